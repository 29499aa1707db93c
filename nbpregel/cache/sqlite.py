"""A cache in one SQLite file (stdlib ``sqlite3``), shared by threads and processes, kept on disk.

The file is put in WAL mode, so readers never wait for a writer; each write is one short
``BEGIN IMMEDIATE`` transaction, and a writer that finds the file locked by another process waits
up to ``busy_timeout`` seconds. Within a process one connection is shared behind a lock; a
process that forks opens its own on first use; other processes open the file themselves.
Values go through the safe serializer: nothing is pickled unless you pass a serializer that
allows it. One table, named so that it can share a file with other tools' tables::

    nbpregel_cache  PRIMARY KEY (ns, key), columns expiry, type, value

>>> with SqliteCache(path=":memory:") as cache:
...     cache.set({(("node",), "k"): ({"x": (1, 2)}, 60)})
...     cache.get([(("node",), "k")])
{(('node',), 'k'): {'x': (1, 2)}}
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from typing import Final, Self

from nbpregel.cache.base import BaseCache, FullKey, Namespace, ValueT, expiry_of
from nbpregel.checkpoint._sqlite import DEFAULT_BUSY_TIMEOUT, SqliteFile
from nbpregel.checkpoint.serde import SerializerProtocol

__all__ = ["SqliteCache"]

_SCHEMA: Final = """CREATE TABLE IF NOT EXISTS nbpregel_cache (
    ns TEXT NOT NULL,
    key TEXT NOT NULL,
    expiry REAL,
    type TEXT NOT NULL,
    value BLOB NOT NULL,
    PRIMARY KEY (ns, key)
)"""
_BATCH: Final = 250
"""Keys per ``SELECT``: two parameters each, under SQLite's oldest 999-parameter limit."""


def _ns_text(ns: Namespace) -> str:
    # JSON, not a joined string: a node name may contain any separator.
    return json.dumps(list(ns), separators=(",", ":"))


class SqliteCache(BaseCache[ValueT]):
    """A cache in a SQLite file; use it as a context manager or call :meth:`close`.

    Args:
        path: the database file (created if missing, and may be shared with a ``SqliteSaver``),
            or ``":memory:"`` for a cache private to this object.
        serde: turns values into bytes and back; a ``SafeSerializer`` by default.
        busy_timeout: seconds a write waits for another process's write to finish.
    """

    def __init__(
        self,
        *,
        path: str | os.PathLike[str],
        serde: SerializerProtocol | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        super().__init__(serde=serde)
        self.path = os.fspath(path)
        self.busy_timeout = busy_timeout
        self._db = SqliteFile(
            self.path,
            busy_timeout=busy_timeout,
            schema=(_SCHEMA,),
            owner="SqliteCache",
            kind="cache",
        )

    def close(self) -> None:
        """Close the connection; later calls raise ``ValueError``."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteCache(path={self.path!r})"

    # -- the cache protocol ---------------------------------------------------------------

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """The live values stored under ``keys``; expired entries found are deleted."""
        wanted = {(_ns_text(ns), key): (tuple(ns), key) for ns, key in keys}
        rows: list[tuple[str, str, float | None, str, bytes]] = []
        pairs = list(wanted)
        with self._db.transaction("BEGIN") as conn:  # one snapshot for every batch
            for start in range(0, len(pairs), _BATCH):
                batch = pairs[start : start + _BATCH]
                marks = ",".join("(?, ?)" for _ in batch)
                rows.extend(
                    conn.execute(
                        "SELECT ns, key, expiry, type, value FROM nbpregel_cache "
                        f"WHERE (ns, key) IN (VALUES {marks})",
                        [part for pair in batch for part in pair],
                    )
                )
        now = time.time()
        found: dict[FullKey, ValueT] = {}
        expired = []
        for ns, key, expiry, tag, value in rows:
            if expiry is not None and now >= expiry:
                expired.append((ns, key, now))
            else:
                found[wanted[(ns, key)]] = self.serde.loads_typed((tag, value))
        if expired:
            with self._db.transaction() as conn:
                # ``expiry <= ?``: leave alone an entry another process refreshed meanwhile.
                conn.executemany(
                    "DELETE FROM nbpregel_cache WHERE ns = ? AND key = ? AND expiry <= ?", expired
                )
        return found

    def set(self, pairs: Mapping[FullKey, tuple[ValueT, float | None]]) -> None:
        """Store each ``key: (value, ttl)`` in one transaction, after serializing them all."""
        now = time.time()
        rows = []
        for (ns, key), (value, ttl) in pairs.items():
            tag, payload = self.serde.dumps_typed(value)
            rows.append((_ns_text(ns), key, expiry_of(ttl, now), tag, payload))
        if not rows:
            return
        with self._db.transaction() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO nbpregel_cache (ns, key, expiry, type, value) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces`` (every entry when ``None``)."""
        with self._db.transaction() as conn:
            if namespaces is None:
                conn.execute("DELETE FROM nbpregel_cache")
            else:
                conn.executemany(
                    "DELETE FROM nbpregel_cache WHERE ns = ?",
                    [(_ns_text(ns),) for ns in namespaces],
                )
