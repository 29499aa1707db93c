"""Checkpoint savers in a PostgreSQL database (driver: psycopg 3), shareable by threads,
processes and machines.

Install the driver with ``pip install 'nbpregel[postgres]'``. Every save is one statement, so
one transaction: a checkpoint, or all the writes of one task. Values are stored through the
safe serializer (nothing is pickled unless you pass a serializer that allows it) and are
serialized before anything is sent, so a value the serializer refuses changes nothing saved.
The tables are created on first use, or by :meth:`PostgresSaver.setup`; their names start with
``nbpregel_``, so the database can hold other things too::

    nbpregel_checkpoints  PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id)
    nbpregel_writes       PRIMARY KEY (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)

Within a process a saver shares one connection between threads, behind a lock.
:class:`AsyncPostgresSaver` is the same saver for ``async`` code: it opens, sets up and
closes with ``await``, and its async methods run in a worker thread, never blocking the
event loop. (The examples below need a server, so doctest skips them; the test suite runs them
against one.)

>>> url = "postgresql://postgres@localhost:5432/postgres"  # doctest: +SKIP
>>> from nbpregel.checkpoint import empty_checkpoint
>>> with PostgresSaver.from_conn_string(url) as saver:  # doctest: +SKIP
...     saver.setup()
...     config = saver.put({"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}, {})
...     saver.get_tuple(config).config == config
True
>>> import asyncio
>>> async def main() -> list[str]:
...     async with AsyncPostgresSaver.from_conn_string(url) as saver:
...         await saver.setup()
...         return [t.config["configurable"]["thread_id"] async for t in saver.alist(None)]
>>> "t" in asyncio.run(main())  # doctest: +SKIP
True
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any, Self

from nbpregel.checkpoint._postgres import (
    DELETE_THREAD,
    INSERT_CHECKPOINT,
    UPSERT_WRITES,
    PostgresDatabase,
    check_text,
    select_checkpoints,
    stored_writes,
    writes_params,
)
from nbpregel.checkpoint._rows import (
    checkpoint_row,
    matching,
    page_size,
    paged,
    row_to_tuple,
    scope_conditions,
    write_rows,
)
from nbpregel.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointAddress,
    CheckpointTuple,
    ListScope,
)
from nbpregel.checkpoint.serde import SerializerProtocol

if TYPE_CHECKING:
    import psycopg

__all__ = ["AsyncPostgresSaver", "BasePostgresSaver", "PostgresSaver"]

_ADDRESS_PARTS = ("thread id", "checkpoint namespace", "checkpoint id", "parent checkpoint id")


class BasePostgresSaver(BaseCheckpointSaver):
    """What :class:`PostgresSaver` and :class:`AsyncPostgresSaver` share: the saver protocol.

    Args:
        conn: a libpq connection string (``"postgresql://user:password@host:5432/db"`` or
            ``"host=... dbname=..."``), or an open ``psycopg.Connection``, preferably made
            with ``autocommit=True`` (without it each save is still committed at once, unless
            the connection is inside a transaction of yours, which the save then joins); any
            ``row_factory`` will do. The saver connects on first use, and never closes a
            connection it was given.
        serde: turns values into bytes and back; a ``SafeSerializer`` by default.

    Raises:
        ImportError: psycopg is not installed.
        TypeError: ``conn`` is neither (an async connection, say).
    """

    def __init__(
        self,
        conn: str | psycopg.Connection[Any],
        *,
        serde: SerializerProtocol | None = None,
    ) -> None:
        super().__init__(serde=serde)
        self._db = PostgresDatabase(conn, owner=type(self).__name__)

    def close(self) -> None:
        """Close the connection (unless it was handed in); later calls raise CheckpointError."""
        self._db.close()

    # -- the saver protocol ---------------------------------------------------------------

    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        address = CheckpointAddress.from_config(config)
        scope = ListScope(*address, before_id=None)
        conditions, params = scope_conditions(scope, "%s")
        _check_address(params)
        with self._db.cursor() as cursor:
            row = cursor.execute(select_checkpoints(conditions), [*params, 1]).fetchone()
        return None if row is None else row_to_tuple(self, row, stored_writes(row))

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        conditions, params = scope_conditions(ListScope.from_args(config, before), "%s")
        _check_address(params)
        rows = self._pages(conditions, params, page_size(filter, limit))
        return matching(self, rows, stored_writes, filter, limit)

    def _pages(
        self, conditions: Sequence[str], params: Sequence[str], size: int
    ) -> Iterator[Sequence[Any]]:
        """Rows in scope, newest first, with their writes; a page per statement."""

        def fetch(after_last: bool, args: Sequence[Any]) -> Sequence[Any]:
            with self._db.cursor() as cursor:
                query = select_checkpoints(conditions, after_last=after_last)
                return cursor.execute(query, args).fetchall()

        return paged(fetch, params, size)

    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any],
        new_versions: Mapping[str, int],
    ) -> dict[str, Any]:
        address, row = checkpoint_row(self.serde, config, checkpoint, metadata)
        for what, text in zip(_ADDRESS_PARTS, row[:4], strict=True):
            if text is not None:
                check_text(what, text)
        with self._db.cursor() as cursor:
            cursor.execute(INSERT_CHECKPOINT, row)
        return address.to_config()

    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        rows = write_rows(self.serde, config, writes, task_id, task_path)
        if rows:
            params = writes_params(rows)
            with self._db.cursor() as cursor:
                cursor.execute(UPSERT_WRITES, params)

    def delete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        check_text("thread id", thread_id)
        with self._db.cursor() as cursor:
            cursor.execute(DELETE_THREAD, (thread_id, thread_id))


def _check_address(params: Sequence[str]) -> None:
    """Refuse a NUL in the ids a read is scoped to (PostgreSQL cannot even compare them)."""
    for text in params:
        check_text("thread or checkpoint id", text)


class PostgresSaver(BasePostgresSaver):
    """Checkpoints in PostgreSQL; use it as a context manager or call :meth:`close`.

    See :class:`BasePostgresSaver` for the arguments.
    """

    @classmethod
    @contextmanager
    def from_conn_string(cls, conn_string: str, **kwargs: Any) -> Iterator[PostgresSaver]:
        """A saver on the database ``conn_string`` names, closed on exit."""
        saver = cls(conn_string, **kwargs)
        try:
            yield saver
        finally:
            saver.close()

    def setup(self) -> None:
        """Create the tables if they are missing: optional (first use does it), idempotent.

        Raises:
            CheckpointError: the server cannot be reached.
        """
        self._db.setup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncPostgresSaver(BasePostgresSaver):
    """Checkpoints in PostgreSQL for async code; its async methods never block the event loop.

    Use it with ``async with`` or call :meth:`aclose`. Its sync methods work too, from any
    thread (nbpregel's runs call them). See :class:`BasePostgresSaver` for the arguments.
    """

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls, conn_string: str, **kwargs: Any
    ) -> AsyncIterator[AsyncPostgresSaver]:
        """A saver on the database ``conn_string`` names, closed on exit (``async with``)."""
        saver = cls(conn_string, **kwargs)
        try:
            yield saver
        finally:
            await saver.aclose()

    async def setup(self) -> None:
        """Create the tables if they are missing: optional (first use does it), idempotent.

        Raises:
            CheckpointError: the server cannot be reached.
        """
        await self._run_blocking(self._db.setup)

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        await self._run_blocking(self.close)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
