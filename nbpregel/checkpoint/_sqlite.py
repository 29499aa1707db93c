"""A SQLite file as ``SqliteSaver`` and ``SqliteCache`` hold it: one connection per process.

Both keep their tables the same way: the file in WAL mode, so readers never wait for a writer;
autocommit (``isolation_level=None``), with explicit short transactions around what must go
together; a ``busy_timeout`` for a writer that finds the file locked by another process; and one
connection per process, shared by its threads behind a lock (a process that forks opens its own
on first use, leaving the parent's alone).

>>> db = SqliteFile(":memory:", busy_timeout=1.0, schema=("CREATE TABLE t (x)",), owner="demo")
>>> with db.transaction() as conn:
...     _ = conn.execute("INSERT INTO t VALUES (1)")
>>> with db.transaction("BEGIN") as conn:
...     conn.execute("SELECT x FROM t").fetchall()
[(1,)]
>>> db.close()
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final

__all__ = ["DEFAULT_BUSY_TIMEOUT", "MEMORY", "SqliteFile"]

MEMORY: Final = ":memory:"
DEFAULT_BUSY_TIMEOUT: Final = 30.0
"""Seconds a write waits, by default, for another process's write to finish."""


@contextmanager
def _transaction(conn: sqlite3.Connection, begin: str) -> Iterator[sqlite3.Connection]:
    conn.execute(begin)
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SqliteFile:
    """This process's connection to a SQLite file (or a connection handed in), with its lock.

    Args:
        conn: the file's path (created if missing), ``":memory:"``, or an open connection
            (configured, used and never closed by this object).
        busy_timeout: seconds a write waits for another process's write to finish.
        schema: the ``CREATE ... IF NOT EXISTS`` statements run on every new connection.
        owner: the class name errors mention (``"SqliteSaver"``).
        kind: what the file holds, for the error raised when it cannot be opened.
        open_error: raised when the file cannot be opened.
        closed_error: raised on use after :meth:`close`.
    """

    __slots__ = (
        "_closed_error",
        "_conn",
        "_kind",
        "_open_error",
        "_owner",
        "_pid",
        "_schema",
        "busy_timeout",
        "lock",
        "path",
    )

    def __init__(
        self,
        conn: str | os.PathLike[str] | sqlite3.Connection,
        *,
        busy_timeout: float,
        schema: Sequence[str],
        owner: str,
        kind: str = "database",
        open_error: type[Exception] = OSError,
        closed_error: type[Exception] = ValueError,
    ) -> None:
        self.path = None if isinstance(conn, sqlite3.Connection) else os.fspath(conn)
        self.busy_timeout = busy_timeout
        self.lock = threading.RLock()
        self._schema = tuple(schema)
        self._owner, self._kind = owner, kind
        self._open_error, self._closed_error = open_error, closed_error
        self._pid = os.getpid()
        if isinstance(conn, sqlite3.Connection):
            self._configure(conn)
            self._conn: sqlite3.Connection | None = conn
        else:
            self._conn = self._open()

    def _open(self) -> sqlite3.Connection:
        path = self.path or MEMORY
        try:
            conn = sqlite3.connect(
                path,
                timeout=self.busy_timeout,
                check_same_thread=False,
                isolation_level=None,  # transactions are explicit and short
                uri=path.startswith("file:"),
            )
        except sqlite3.Error as exc:
            raise self._open_error(
                f"cannot open the SQLite {self._kind} file {path!r} ({exc}); check that its "
                "folder exists and is writable"
            ) from exc
        self._configure(conn)
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() not in ("wal", "memory"):
            conn.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL survives a crash of the process; only a power cut can lose the
        # last commits, and it never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        with _transaction(conn, "BEGIN IMMEDIATE"):
            for statement in self._schema:
                conn.execute(statement)

    def connection(self) -> sqlite3.Connection:
        """This process's connection; call with :attr:`lock` held."""
        if self._conn is None:
            raise self._closed_error(
                f"this {self._owner} is closed; open a new one to keep using it"
            )
        if self._pid != os.getpid() and self.path not in (None, MEMORY):
            # A connection must not cross a fork: leave the parent's alone, open our own.
            self._pid = os.getpid()
            self._conn = self._open()
        return self._conn

    @contextmanager
    def transaction(self, begin: str = "BEGIN IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """Hold the lock and run the block in one transaction (``"BEGIN"`` for reads).

        A deferred ``BEGIN`` gives the reads inside it one consistent snapshot; ``BEGIN
        IMMEDIATE`` takes the write lock at once.
        """
        with self.lock, _transaction(self.connection(), begin) as conn:
            yield conn

    def execute(self, statement: str, params: Sequence[Any]) -> None:
        """Run one statement: in autocommit mode it is a transaction of its own."""
        with self.lock:
            self.connection().execute(statement, params)

    def close(self) -> None:
        """Close the connection (unless it was handed in); later use raises ``closed_error``."""
        with self.lock:
            if self._conn is not None and self.path is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
