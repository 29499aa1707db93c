"""A PostgreSQL database as ``PostgresSaver`` holds it: its tables, statements and connection.

One connection per process, shared by its threads behind a lock, as ``SqliteSaver`` does with its
file: a save is one statement, so one transaction, and the lock only keeps two threads from
interleaving their statements on the wire. A connection the saver opened itself is opened
again when it breaks (the server restarted) or when the process forks; one handed in is used as
it is and never closed.

Text columns use the ``"C"`` collation: ids and task paths then sort by code point, as they do
in Python, whatever locale the database was created with.

psycopg is imported on first use, so that ``import nbpregel`` does not need it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from nbpregel.checkpoint._rows import (
    CHECKPOINT_COLUMNS,
    KEYSET_COLUMNS,
    WRITE_COLUMNS,
    WRITES_ORDER,
    WriteRow,
)
from nbpregel.errors import CheckpointError

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "DELETE_THREAD",
    "INSERT_CHECKPOINT",
    "INSTALL_HINT",
    "UPSERT_WRITES",
    "PostgresDatabase",
    "check_text",
    "select_checkpoints",
    "stored_writes",
    "writes_params",
]

INSTALL_HINT: Final = "pip install 'nbpregel[postgres]' (or pip install 'psycopg[binary]>=3.1')"

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS nbpregel_checkpoints (
        thread_id TEXT COLLATE "C" NOT NULL,
        checkpoint_ns TEXT COLLATE "C" NOT NULL DEFAULT '',
        checkpoint_id TEXT COLLATE "C" NOT NULL,
        parent_checkpoint_id TEXT COLLATE "C",
        type TEXT NOT NULL,
        checkpoint BYTEA NOT NULL,
        metadata_type TEXT NOT NULL,
        metadata BYTEA NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    )""",
    """CREATE TABLE IF NOT EXISTS nbpregel_writes (
        thread_id TEXT COLLATE "C" NOT NULL,
        checkpoint_ns TEXT COLLATE "C" NOT NULL DEFAULT '',
        checkpoint_id TEXT COLLATE "C" NOT NULL,
        task_id TEXT COLLATE "C" NOT NULL,
        idx INTEGER NOT NULL,
        task_path TEXT COLLATE "C" NOT NULL DEFAULT '',
        channel TEXT NOT NULL,
        type TEXT NOT NULL,
        value BYTEA NOT NULL,
        PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
    )""",
)
_TABLES_EXIST: Final = (
    "SELECT to_regclass('nbpregel_checkpoints') IS NOT NULL "
    "AND to_regclass('nbpregel_writes') IS NOT NULL"
)
# Two processes creating the tables at once could both miss them and collide in the catalog:
# setup takes this transaction-scoped advisory lock first ("nbpr" in ASCII).
_SETUP_LOCK: Final = "SELECT pg_advisory_xact_lock(1852928114)"

INSERT_CHECKPOINT: Final = (
    f"INSERT INTO nbpregel_checkpoints ({CHECKPOINT_COLUMNS}) "
    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id) DO UPDATE SET "
    "parent_checkpoint_id = excluded.parent_checkpoint_id, type = excluded.type, "
    "checkpoint = excluded.checkpoint, metadata_type = excluded.metadata_type, "
    "metadata = excluded.metadata"
)
# One statement whatever the number of writes: the per-write columns travel as arrays.
# Writes are never overwritten, except those at a pseudo-channel's fixed (negative) index.
UPSERT_WRITES: Final = (
    f"INSERT INTO nbpregel_writes ({WRITE_COLUMNS}) "
    "SELECT %s::text, %s::text, %s::text, %s::text, w.idx, %s::text, w.channel, w.type, w.value "
    "FROM unnest(%s::integer[], %s::text[], %s::text[], %s::bytea[]) "
    "AS w(idx, channel, type, value) "
    "ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx) DO UPDATE SET "
    "task_path = excluded.task_path, channel = excluded.channel, type = excluded.type, "
    "value = excluded.value WHERE excluded.idx < 0"
)
DELETE_THREAD: Final = (
    "WITH gone AS (DELETE FROM nbpregel_writes WHERE thread_id = %s) "
    "DELETE FROM nbpregel_checkpoints WHERE thread_id = %s"
)
# Each checkpoint comes with its pending writes (four arrays, in WRITES_ORDER): one statement,
# so one consistent snapshot, and one round trip for a whole page of a listing.
_SELECT_WITH_WRITES: Final = (
    "SELECT {columns}, w.task_ids, w.channels, w.types, w.vals "
    "FROM nbpregel_checkpoints LEFT JOIN LATERAL (SELECT "
    "array_agg(task_id ORDER BY {order}) AS task_ids, "
    "array_agg(channel ORDER BY {order}) AS channels, "
    "array_agg(type ORDER BY {order}) AS types, "
    "array_agg(value ORDER BY {order}) AS vals "
    "FROM nbpregel_writes AS pw WHERE pw.thread_id = nbpregel_checkpoints.thread_id "
    "AND pw.checkpoint_ns = nbpregel_checkpoints.checkpoint_ns "
    "AND pw.checkpoint_id = nbpregel_checkpoints.checkpoint_id) AS w ON TRUE"
).format(
    columns=", ".join(f"nbpregel_checkpoints.{c}" for c in CHECKPOINT_COLUMNS.split(", ")),
    order=WRITES_ORDER,
)
_NEWEST_FIRST: Final = " ORDER BY checkpoint_id DESC, thread_id DESC, checkpoint_ns DESC"


def select_checkpoints(conditions: Sequence[str], *, after_last: bool = False) -> str:
    """The checkpoints matching ``conditions``, newest first, with their writes, ``LIMIT %s``;
    with ``after_last``, only those below a keyset (three more parameters)."""
    where = list(conditions)
    if after_last:
        where.append(f"{KEYSET_COLUMNS} < (%s, %s, %s)")
    query = _SELECT_WITH_WRITES
    if where:
        query += " WHERE " + " AND ".join(where)
    return query + _NEWEST_FIRST + " LIMIT %s"


def stored_writes(row: Sequence[Any]) -> list[tuple[Any, Any, Any, Any]]:
    """The pending writes of a row of :func:`select_checkpoints` (after its 8 columns)."""
    task_ids, channels, types, values = row[8:12]
    if task_ids is None:
        return []
    return list(zip(task_ids, channels, types, values, strict=True))


def check_text(what: str, value: str) -> None:
    """PostgreSQL text cannot hold a NUL character: refuse it before anything is saved.

    Raises:
        CheckpointError: ``value`` contains ``"\\x00"``.
    """
    if "\x00" in value:
        raise CheckpointError(
            f"the {what} {value!r} contains a NUL character ('\\x00'), which PostgreSQL text "
            f"cannot store; use a {what} without it"
        )


def writes_params(rows: Sequence[WriteRow]) -> list[Any]:
    """The parameters of :data:`UPSERT_WRITES` for one task's rows (all of one checkpoint).

    A pseudo-channel written twice in one call keeps its last value, as in memory: one
    statement cannot update the same row twice.
    """
    by_index = {row[4]: row for row in rows}
    head = rows[0]
    for what, text in (
        ("thread id", head[0]),
        ("checkpoint namespace", head[1]),
        ("checkpoint id", head[2]),
        ("task id", head[3]),
        ("task path", head[5]),
    ):
        check_text(what, text)
    for row in by_index.values():
        check_text("channel name", row[6])
    kept = by_index.values()
    return [
        *head[:4],
        head[5],
        [row[4] for row in kept],
        [row[6] for row in kept],
        [row[7] for row in kept],
        [row[8] for row in kept],
    ]


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise ImportError(f"PostgresSaver needs psycopg 3: {INSTALL_HINT}") from exc
    return psycopg


def _without_password(conninfo: str) -> str:
    """``conninfo`` fit for an error message."""
    pg = _psycopg()
    try:
        params = pg.conninfo.conninfo_to_dict(conninfo)
    except pg.ProgrammingError:
        return "<a connection string that cannot be parsed>"
    params.pop("password", None)
    return str(pg.conninfo.make_conninfo(**params))


class PostgresDatabase:
    """This process's connection to the saver's database (or the one handed in), with its lock.

    Args:
        conn: a libpq connection string (``"postgresql://user@host:5432/db"`` or
            ``"host=... dbname=..."``), or an open ``psycopg.Connection``.
        owner: the class name errors mention.
    """

    __slots__ = ("_closed", "_conn", "_conninfo", "_owner", "_pid", "_ready", "lock")

    def __init__(self, conn: str | psycopg.Connection[Any], *, owner: str) -> None:
        pg = _psycopg()
        self.lock = threading.RLock()
        self._owner = owner
        self._pid = os.getpid()
        self._ready = False  # the tables are known to exist
        self._closed = False
        if isinstance(conn, str):
            self._conninfo: str | None = conn
            self._conn: psycopg.Connection[Any] | None = None
        elif isinstance(conn, pg.Connection):
            self._conninfo, self._conn = None, conn
        else:
            raise TypeError(
                f"{owner} needs a connection string or a psycopg.Connection, not "
                f"{type(conn).__name__}; for an async connection, pass its connection string "
                f"instead: the saver's async methods run in a worker thread"
            )

    def _connect(self) -> psycopg.Connection[Any]:
        pg = _psycopg()
        assert self._conninfo is not None
        try:
            conn: psycopg.Connection[Any] = pg.connect(self._conninfo, autocommit=True)
        except pg.Error as exc:
            reason = str(exc).strip() or type(exc).__name__
            raise CheckpointError(
                f"{self._owner} cannot connect to PostgreSQL with "
                f"{_without_password(self._conninfo)!r}: {reason}; check that the server is "
                "running and that the host, port, user, password and dbname are right"
            ) from exc
        return conn

    def connection(self) -> psycopg.Connection[Any]:
        """This process's open connection; call with :attr:`lock` held."""
        if self._closed:
            raise CheckpointError(f"this {self._owner} is closed; open a new one to keep using it")
        if self._conninfo is None:
            assert self._conn is not None
            if self._conn.closed:
                raise CheckpointError(
                    f"the psycopg connection handed to {self._owner} is closed; pass an open "
                    "one, or a connection string so that the saver can reconnect by itself"
                )
            return self._conn
        if self._pid != os.getpid():
            # A parent's connection must not be used, nor closed, after a fork (psycopg
            # leaves it alone in the child): open our own.
            self._pid, self._conn = os.getpid(), None
        if self._conn is None or self._conn.closed:  # not opened yet, or broken
            if self._conn is not None:
                self._conn.close()
            self._conn = None
            self._conn = self._connect()
        return self._conn

    def setup(self) -> None:
        """Create the tables if they are missing (idempotent, safe to run from many processes)."""
        from psycopg.rows import tuple_row

        with self.lock:
            conn = self.connection()
            with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
                exists = cursor.execute(_TABLES_EXIST).fetchone()
                if not (exists and exists[0]):
                    cursor.execute(_SETUP_LOCK)
                    for statement in _SCHEMA:
                        cursor.execute(statement)
            self._ready = True

    @contextmanager
    def cursor(self, *, transaction: bool = False) -> Iterator[psycopg.Cursor[Any]]:
        """Hold the lock and yield a cursor whose rows are tuples; the tables exist by then.

        A single statement is a transaction of its own; a block that runs more than one asks
        for ``transaction=True``. (On a connection handed in without autocommit, every block
        is a transaction, committed at its end.)
        """
        from psycopg.rows import tuple_row

        with self.lock:
            if not self._ready:
                self.setup()
            conn = self.connection()
            if transaction or not conn.autocommit:
                with conn.transaction(), conn.cursor(row_factory=tuple_row) as cursor:
                    yield cursor
            else:
                with conn.cursor(row_factory=tuple_row) as cursor:
                    yield cursor

    def close(self) -> None:
        """Close the connection (unless it was handed in); later use raises CheckpointError."""
        with self.lock:
            conn, self._conn, self._closed = self._conn, None, True
            if conn is not None and self._conninfo is not None and self._pid == os.getpid():
                conn.close()
