"""A checkpoint saver in one SQLite file (stdlib ``sqlite3``), shareable by threads and processes.

The file is put in WAL mode, so readers never wait for a writer. Each save is one short
transaction: a checkpoint, or one task's writes, is a single statement committed on its own
(a ``BEGIN IMMEDIATE`` transaction when one task has more than 32 writes), and a writer that
finds the file locked by another process waits up to ``busy_timeout`` seconds. Within a
process one connection is shared behind a lock (a process that forks gets a fresh connection on
first use). Values are stored through the safe serializer: nothing is pickled unless you pass a
serializer that allows it.

Two tables, named so that they can live next to other tools' tables in the same file::

    nbpregel_checkpoints  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    nbpregel_writes       PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)

>>> from nbpregel.checkpoint.base import empty_checkpoint
>>> with SqliteSaver.from_conn_string(":memory:") as saver:
...     config = saver.put({"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}, {})
...     saver.get_tuple(config).config == config
True
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, Self

from nbpregel.checkpoint._rows import (
    CHECKPOINT_COLUMNS,
    KEYSET_COLUMNS,
    WRITE_COLUMNS,
    WRITES_ORDER,
    checkpoint_row,
    matching,
    page_size,
    paged,
    row_to_tuple,
    scope_conditions,
    write_rows,
)
from nbpregel.checkpoint._sqlite import DEFAULT_BUSY_TIMEOUT, SqliteFile
from nbpregel.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointAddress,
    CheckpointTuple,
    ListScope,
)
from nbpregel.checkpoint.serde import SerializerProtocol
from nbpregel.errors import CheckpointError

__all__ = ["SqliteSaver"]

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS nbpregel_checkpoints (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        parent_checkpoint_id TEXT,
        type TEXT NOT NULL,
        checkpoint BLOB NOT NULL,
        metadata_type TEXT NOT NULL,
        metadata BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    )""",
    """CREATE TABLE IF NOT EXISTS nbpregel_writes (
        thread_id TEXT NOT NULL,
        checkpoint_ns TEXT NOT NULL DEFAULT '',
        checkpoint_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        idx INTEGER NOT NULL,
        task_path TEXT NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        value BLOB NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    )""",
)
_SELECT_WRITES: Final = (
    "SELECT task_id, channel, type, value FROM nbpregel_writes "
    f"WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY {WRITES_ORDER}"
)
_WRITE_ROW: Final = "(?, ?, ?, ?, ?, ?, ?, ?, ?)"
# Writes are never overwritten, except those at a pseudo-channel's fixed (negative) index.
_ON_WRITE_CONFLICT: Final = (
    " ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET "
    "task_path = excluded.task_path, channel = excluded.channel, type = excluded.type, "
    "value = excluded.value WHERE excluded.idx < 0"
)
# One statement saves up to this many writes: 9 parameters a row stay far below the 999
# parameters of SQLite builds older than 3.32.
_WRITES_PER_STATEMENT: Final = 32
_INSERT_CHECKPOINT: Final = (
    f"INSERT OR REPLACE INTO nbpregel_checkpoints ({CHECKPOINT_COLUMNS}) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


@functools.cache
def _upsert_writes(count: int) -> str:
    """The statement that saves ``count`` writes (one transaction, even in autocommit mode)."""
    return (
        f"INSERT INTO nbpregel_writes ({WRITE_COLUMNS}) VALUES {', '.join([_WRITE_ROW] * count)}"
        f"{_ON_WRITE_CONFLICT}"
    )


class SqliteSaver(BaseCheckpointSaver):
    """Checkpoints in a SQLite file; use it as a context manager or call :meth:`close`.

    Args:
        conn: a path to the database file (created if missing), ``":memory:"``, or an open
            ``sqlite3.Connection`` (made with ``check_same_thread=False`` if threads share it;
            the saver does not close a connection it was given).
        serde: turns values into bytes and back; a ``SafeSerializer`` by default.
        busy_timeout: seconds a write waits for another process's write to finish.
    """

    def __init__(
        self,
        conn: str | os.PathLike[str] | sqlite3.Connection,
        *,
        serde: SerializerProtocol | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        super().__init__(serde=serde)
        self._db = SqliteFile(
            conn,
            busy_timeout=busy_timeout,
            schema=_SCHEMA,
            owner="SqliteSaver",
            kind="checkpoint",
            open_error=CheckpointError,
            closed_error=CheckpointError,
        )

    @classmethod
    @contextmanager
    def from_conn_string(cls, conn_string: str, **kwargs: Any) -> Iterator[SqliteSaver]:
        """A saver on the file ``conn_string`` (or ``":memory:"``), closed on exit.

        >>> with SqliteSaver.from_conn_string(":memory:") as saver:
        ...     saver.get_tuple({"configurable": {"thread_id": "none yet"}}) is None
        True
        """
        saver = cls(conn_string, **kwargs)
        try:
            yield saver
        finally:
            saver.close()

    def close(self) -> None:
        """Close the connection (unless it was handed in); later calls raise CheckpointError."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the saver protocol ---------------------------------------------------------------

    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        address = CheckpointAddress.from_config(config)
        query = f"SELECT {CHECKPOINT_COLUMNS} FROM nbpregel_checkpoints "
        query += "WHERE thread_id = ? AND checkpoint_ns = ? "
        params: list[str] = [address.thread_id, address.checkpoint_ns]
        if address.checkpoint_id:
            query += "AND checkpoint_id = ?"
            params.append(address.checkpoint_id)
        else:
            query += "ORDER BY checkpoint_id DESC LIMIT 1"
        with self._db.transaction("BEGIN") as conn:
            row = conn.execute(query, params).fetchone()
            if row is None:
                return None
            writes = conn.execute(_SELECT_WRITES, row[:3]).fetchall()
        return row_to_tuple(self, row, writes)

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        scope = ListScope.from_args(config, before)
        rows = self._list_rows(scope, page_size(filter, limit))
        return matching(self, rows, self._writes_of, filter, limit)

    def _writes_of(self, row: Sequence[Any]) -> Sequence[Any]:
        with self._db.transaction("BEGIN") as conn:
            return conn.execute(_SELECT_WRITES, row[:3]).fetchall()

    def _list_rows(self, scope: ListScope, size: int) -> Iterator[Sequence[Any]]:
        """Rows in scope, newest first, read in pages so no statement stays open meanwhile."""
        conditions, params = scope_conditions(scope, "?")

        def fetch(after_last: bool, args: Sequence[Any]) -> Sequence[Any]:
            where = [*conditions, f"{KEYSET_COLUMNS} < (?, ?, ?)"] if after_last else conditions
            query = f"SELECT {CHECKPOINT_COLUMNS} FROM nbpregel_checkpoints"
            query += f" WHERE {' AND '.join(where)}" if where else ""
            query += " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC LIMIT ?"
            with self._db.transaction("BEGIN") as conn:
                return conn.execute(query, args).fetchall()

        return paged(fetch, params, size)

    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any],
        new_versions: Mapping[str, int],
    ) -> dict[str, Any]:
        address, row = checkpoint_row(self.serde, config, checkpoint, metadata)
        self._db.execute(_INSERT_CHECKPOINT, row)
        return address.to_config()

    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        rows = write_rows(self.serde, config, writes, task_id, task_path)
        if len(rows) > _WRITES_PER_STATEMENT:
            with self._db.transaction() as conn:
                conn.executemany(_upsert_writes(1), rows)
        elif rows:
            self._db.execute(_upsert_writes(len(rows)), [v for row in rows for v in row])

    def delete_thread(self, thread_id: str) -> None:
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM nbpregel_checkpoints WHERE thread_id = ?", (str(thread_id),))
            conn.execute("DELETE FROM nbpregel_writes WHERE thread_id = ?", (str(thread_id),))
