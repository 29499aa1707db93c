"""A store in a SQLite file: a notebook's memories survive a kernel restart.

``SqliteStore`` behaves as :class:`~nbpregel.store.memory.InMemoryStore` in every operation (the
same order, filters, pagination, refusals and scores; the tests run the same scripts on both),
except that values must be JSON, and keeps its items in a file that another store, process or
kernel can open again. Filters and ranking run in Python on the decoded values, as in the
in-memory store, so a search reads the items under its prefix (without a query, only until its
page is full; without a filter either, SQL cuts the page). Code that
imports ``langgraph.store.sqlite``'s ``SqliteStore`` / ``AsyncSqliteStore`` ports by importing
them from ``nbpregel.store.sqlite`` instead; ``from_conn_string`` and ``setup`` are there too.

Where it differs from LangGraph's ``SqliteStore``:

* it behaves as the in-memory store: ``search`` lists namespaces in the order they got their
  first item and keys in first-put order (LangGraph's lists the newest update first); an
  update keeps ``created_at``; timestamps are UTC with microseconds (LangGraph's are naive, to
  the second); filters compare as Python does, also on nested dicts (LangGraph's compares in
  SQL and refuses nested conditions);
* a value JSON cannot hold exactly (a tuple, set, datetime, bytes, NaN, a non-str key) is
  refused, naming the key and the place, and nothing is stored (LangGraph's turns a tuple into
  a list and NaN into ``None`` silently);
* semantic search needs no SQLite extension: vectors are kept in a table and ranked in Python;
* ``ttl`` is refused (:class:`~nbpregel.store.TTLNotSupportedError`), and ``deserializer`` is
  not a parameter;
* the async methods work on ``SqliteStore`` too, and ``AsyncSqliteStore`` needs no ``aiosqlite``
  (its ``abatch`` runs the SQLite work in a worker thread).

Threads and processes: one connection per store, shared by its threads behind a lock (nodes run
on worker threads); the file is in WAL mode, so other processes read while one writes. A batch
is one transaction: its reads see the store as it was before its writes, and a refused batch
changes nothing. The tables (see ``nbpregel/store/_sqlite_tables.py``) are created by
:meth:`SqliteStore.setup`, or on first use; their names start with ``nbpregel_store_``, so the
file can be shared with a ``SqliteSaver`` (give each the path: one connection handed to both
would mix their transactions).

>>> with SqliteStore.from_conn_string(":memory:") as store:
...     store.put(("users", "u1"), "prefs", {"food": "pizza"})
...     store.get(("users", "u1"), "prefs").value
{'food': 'pizza'}
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from datetime import UTC, datetime
from functools import partial
from itertools import islice
from typing import Any, Self

from nbpregel.checkpoint._sqlite import DEFAULT_BUSY_TIMEOUT, SqliteFile
from nbpregel.store import _sqlite_tables as tables
from nbpregel.store._batch import PlannedStore, QueryVectors, Write, read_all
from nbpregel.store._embed import StoredVector, rank
from nbpregel.store._errors import StoreError, TTLNotSupportedError
from nbpregel.store._filter import filter_matches, namespaces_page
from nbpregel.store._item import Item, SearchItem
from nbpregel.store._json import decode_value, encode_value, to_text
from nbpregel.store._ops import (
    WILDCARD,
    GetOp,
    IndexConfig,
    ListNamespacesOp,
    Op,
    Result,
    SearchOp,
    TTLConfig,
)

__all__ = ["AsyncSqliteStore", "SqliteStore"]

Connectable = str | os.PathLike[str] | sqlite3.Connection
"""A database file's path, ``":memory:"``, or an open ``sqlite3.Connection``."""


def _conn_error(conn: Any, owner: str) -> str:
    library = type(conn).__module__.split(".")[0]
    why = "; nbpregel's needs no aiosqlite" if library == "aiosqlite" else ""
    return (
        f"{owner} needs a file path, ':memory:' or a sqlite3.Connection, not {conn!r}{why}: "
        f"write {owner}('memories.db') or {owner}.from_conn_string('memories.db')"
    )


class _SqliteStoreBase(PlannedStore):
    """What the sync and async SQLite stores share: everything but ``setup`` and the
    context managers."""

    def __init__(
        self,
        conn: Connectable,
        *,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
    ) -> None:
        owner = type(self).__name__
        if not isinstance(conn, str | os.PathLike | sqlite3.Connection):
            raise StoreError(_conn_error(conn, owner))
        if ttl is not None:
            raise TTLNotSupportedError(
                f"ttl={ttl!r}: nbpregel's {owner} cannot expire items; leave ttl out and "
                "delete old items yourself (e.g. after a search by date)"
            )
        super().__init__(index=index)
        self._db = SqliteFile(
            conn,
            busy_timeout=busy_timeout,
            schema=(),
            owner=owner,
            kind="store",
            open_error=StoreError,
            closed_error=StoreError,
        )
        self.is_setup = False

    def __repr__(self) -> str:
        where = repr(self._db.path) if self._db.path is not None else "<sqlite3.Connection>"
        try:
            items, namespaces = self._counts()
        except StoreError:
            return f"{type(self).__name__}({where}, closed)"
        return f"{type(self).__name__}({where}, {items} items in {namespaces} namespaces)"

    def close(self) -> None:
        """Close the connection (unless it was handed in); later calls raise StoreError."""
        self._db.close()

    def _counts(self) -> tuple[int, int]:
        self._setup()
        with self._transaction("BEGIN") as conn:
            items, namespaces = conn.execute(tables.count_statement()).fetchone()
        return int(items), int(namespaces)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction under the lock; rolled back if the block raises."""
        try:
            with self._db.transaction(begin) as conn:
                yield conn
        except sqlite3.ProgrammingError as error:
            if "thread" not in str(error):
                raise
            raise StoreError(
                f"the sqlite3.Connection given to {type(self).__name__} belongs to another "
                "thread, and graph nodes run on worker threads: open it with "
                "sqlite3.connect(path, check_same_thread=False), or pass the path instead"
            ) from error

    def _setup(self) -> None:
        """Create the tables once; every batch calls it, so setup() is optional."""
        if self.is_setup:
            return
        where = repr(self._db.path) if self._db.path is not None else "this database"
        with self._transaction("BEGIN IMMEDIATE") as conn:
            tables.create_tables(conn, where)
        self.is_setup = True

    # -- the batch: values as JSON, then one transaction ---------------------------------------

    def _copy_value(self, key: str, value: Mapping[str, Any]) -> dict[str, Any]:
        return decode_value(encode_value(key, value))

    def _run(
        self, ops: Sequence[Op], writes: Sequence[Write], queries: QueryVectors
    ) -> list[Result]:
        self._setup()
        # A batch that writes takes the write lock first, so its reads and writes see one state.
        with self._transaction("BEGIN IMMEDIATE" if writes else "BEGIN") as conn:
            now = datetime.now(UTC).isoformat()  # under the lock: timestamps follow commits
            results = read_all(
                ops,
                queries,
                partial(_get, conn),
                partial(_search, conn),
                partial(_list_namespaces, conn),
            )
            for write in writes:
                _apply(conn, write, now)
        return results


# -- reads and writes inside a transaction -----------------------------------------------------


def _get(conn: sqlite3.Connection, op: GetOp) -> Item | None:
    row = conn.execute(tables.SELECT_ITEM, (tables.path_of(op.namespace), op.key)).fetchone()
    if row is None:
        return None
    value, created_at, updated_at = row
    return Item(
        value=decode_value(value),
        key=op.key,
        namespace=op.namespace,
        created_at=created_at,
        updated_at=updated_at,
    )


def _search_item(row: Sequence[Any], score: float | None) -> SearchItem:
    _, path, key, value, created_at, updated_at = row
    return SearchItem(
        tables.namespace_of(path), key, decode_value(value), created_at, updated_at, score
    )


def _search(
    conn: sqlite3.Connection, op: SearchOp, query: tuple[float, ...] | None
) -> list[SearchItem]:
    where, params = tables.prefix_clause(op.namespace_prefix)
    if query is None and not op.filter:  # the page is a slice of the rows: SQL cuts it
        statement = tables.search_statement(where, paged=True)
        rows = conn.execute(statement, [*params, op.limit, op.offset])
        return [_search_item(row, None) for row in rows]
    with closing(conn.execute(tables.search_statement(where, paged=False), params)) as cursor:
        found: Iterable[Sequence[Any]] = cursor
        if op.filter:
            found = (row for row in cursor if filter_matches(decode_value(row[3]), op.filter))
        if query is None:  # in search order: stop reading once the page is full
            page = islice(found, op.offset, op.offset + op.limit)
            return [_search_item(row, None) for row in page]
        hits = list(found)
    vectors: dict[int, list[StoredVector]] = {}
    for item_id, blob, length in conn.execute(tables.vectors_statement(where), params):
        vectors.setdefault(item_id, []).append((tables.unpack(blob), length))
    ranked = rank(hits, lambda row: vectors.get(row[0], ()), query)
    return [_search_item(row, score) for score, row in ranked[op.offset : op.offset + op.limit]]


def _list_namespaces(conn: sqlite3.Connection, op: ListNamespacesOp) -> list[tuple[str, ...]]:
    # SQL keeps the namespaces under the labels a prefix fixes before its first wildcard.
    fixed: tuple[str, ...] = ()
    for match_type, path in op.match_conditions or ():
        head = path[: path.index(WILDCARD)] if WILDCARD in path else path
        if match_type == "prefix" and len(head) > len(fixed):
            fixed = head
    where, params = tables.prefix_clause(fixed)
    rows = conn.execute(tables.list_statement(where), params)
    return namespaces_page((tables.namespace_of(path) for (path,) in rows), op)


def _apply(conn: sqlite3.Connection, write: Write, now: str) -> None:
    if write.value is None:
        deleted = conn.execute(
            tables.DELETE_ITEM, (write.key, tables.path_of(write.namespace))
        ).fetchall()
        for (item_id,) in deleted:
            conn.execute(tables.DELETE_VECTORS, (item_id,))
        return
    ((namespace_id,),) = conn.execute(
        tables.UPSERT_NAMESPACE, (tables.path_of(write.namespace),)
    ).fetchall()
    text = to_text(write.value)
    ((item_id,),) = conn.execute(
        tables.UPSERT_ITEM, (namespace_id, write.key, text, now, now)
    ).fetchall()
    conn.execute(tables.DELETE_VECTORS, (item_id,))
    conn.executemany(
        tables.INSERT_VECTOR,
        [
            (item_id, position, tables.pack(vector), length)
            for position, (vector, length) in enumerate(write.vectors)
        ],
    )


# -- the public classes ------------------------------------------------------------------------


class SqliteStore(_SqliteStoreBase):
    """A store in a SQLite file; use it as a context manager or call :meth:`close`.

    Args:
        conn: the database file's path (created if missing; it may be shared with a
            ``SqliteSaver``), ``":memory:"``, or an open ``sqlite3.Connection`` (made with
            ``check_same_thread=False`` when graph nodes use it; the store does not close a
            connection it was given, and puts the file in WAL mode).
        index: ``{"embed": ..., "dims": ..., "fields": [...]}`` to enable ``search(query=...)``;
            see :class:`~nbpregel.store.base.IndexConfig`. ``None``: queries are ignored.
        ttl: must be ``None``: this store cannot expire items.
        busy_timeout: seconds a write waits for another process's write to finish.

    Raises:
        InvalidStoreArgumentError: for an index config it cannot use.
        TTLNotSupportedError: for a ``ttl`` config.
        StoreError: when ``conn`` is not a path or a connection, or the file cannot be opened.

    Example:
        >>> import sqlite3
        >>> store = SqliteStore(sqlite3.connect(":memory:", check_same_thread=False))
        >>> store.setup()
        >>> store.put(("docs",), "a", {"text": "hello", "n": 1})
        >>> [item.key for item in store.search(("docs",), filter={"n": {"$gte": 1}})]
        ['a']
        >>> store
        SqliteStore(<sqlite3.Connection>, 1 items in 1 namespaces)
    """

    @classmethod
    @contextmanager
    def from_conn_string(
        cls,
        conn_string: str | os.PathLike[str],
        *,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> Iterator[SqliteStore]:
        """A store on the file ``conn_string`` (or ``":memory:"``), closed on exit.

        Example:
            >>> import os, tempfile
            >>> path = os.path.join(tempfile.mkdtemp(), "memories.db")
            >>> with SqliteStore.from_conn_string(path) as store:
            ...     store.put(("users", "u1"), "prefs", {"food": "pizza"})
            >>> with SqliteStore.from_conn_string(path) as store:  # later, in a new kernel
            ...     store.get(("users", "u1"), "prefs").value
            {'food': 'pizza'}
        """
        store = cls(conn_string, index=index, ttl=ttl)
        try:
            yield store
        finally:
            store.close()

    def setup(self) -> None:
        """Create the store's tables if missing; idempotent, and done on first use anyway."""
        self._setup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncSqliteStore(_SqliteStoreBase):
    """:class:`SqliteStore` for async code: ``abatch`` runs the SQLite work in a worker thread.

    It takes the same arguments (a path or a ``sqlite3.Connection``, not an ``aiosqlite`` one),
    and its sync methods work too, from any thread.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     async with AsyncSqliteStore.from_conn_string(":memory:") as store:
        ...         await store.setup()
        ...         await store.aput(("docs",), "a", {"text": "hello"})
        ...         return (await store.aget(("docs",), "a")).value
        >>> asyncio.run(main())
        {'text': 'hello'}
    """

    @classmethod
    @asynccontextmanager
    async def from_conn_string(
        cls,
        conn_string: str | os.PathLike[str],
        *,
        index: IndexConfig | None = None,
        ttl: TTLConfig | None = None,
    ) -> AsyncIterator[AsyncSqliteStore]:
        """A store on the file ``conn_string`` (or ``":memory:"``), closed on exit."""
        store = cls(conn_string, index=index, ttl=ttl)
        try:
            yield store
        finally:
            store.close()

    async def setup(self) -> None:
        """Create the store's tables if missing; idempotent, and done on first use anyway."""
        await asyncio.to_thread(self._setup)

    async def _arun(
        self, ops: Sequence[Op], writes: Sequence[Write], queries: QueryVectors
    ) -> list[Result]:
        return await asyncio.to_thread(self._run, ops, writes, queries)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()
