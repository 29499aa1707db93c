"""The tables of ``SqliteStore`` and how namespaces and vectors are written into them.

Four tables, named so that they can share a file with ``SqliteSaver`` (``nbpregel_checkpoints``,
``nbpregel_writes``), ``SqliteCache`` (``nbpregel_cache``) and LangGraph's own store
(``store``, ``store_vectors``)::

    nbpregel_store_namespaces  id (search order), path (labels joined by '.', then '.')
    nbpregel_store_items       id (first-put order), namespace_id, key, value (JSON),
                               created_at, updated_at (ISO 8601, UTC); UNIQUE (namespace_id, key)
    nbpregel_store_vectors     item_id, position, vector (little-endian float64), norm
    nbpregel_store_meta        name, value: the schema version

A namespace row is never deleted, so a namespace keeps its place in ``search`` order after its
last item is deleted, as in ``InMemoryStore``. Labels cannot contain ``'.'``, so the items under a
prefix are those whose path lies in ``[prefix + '.', prefix + '/')`` ('/' follows '.').

>>> path_of(("users", "u1")), namespace_of("users.u1.")
('users.u1.', ('users', 'u1'))
>>> prefix_clause(("users",))
('n.path >= ? AND n.path < ?', ['users.', 'users/'])
>>> unpack(pack((1.0, -2.5)))
(1.0, -2.5)
"""

from __future__ import annotations

import sqlite3
import struct
from collections.abc import Sequence
from typing import Final

from nbpregel.store._errors import StoreError

__all__ = [
    "DELETE_ITEM",
    "DELETE_VECTORS",
    "INSERT_VECTOR",
    "SCHEMA_VERSION",
    "SELECT_ITEM",
    "UPSERT_ITEM",
    "UPSERT_NAMESPACE",
    "count_statement",
    "create_tables",
    "list_statement",
    "namespace_of",
    "pack",
    "path_of",
    "prefix_clause",
    "search_statement",
    "unpack",
    "vectors_statement",
]

SCHEMA_VERSION: Final = 1
"""The version of the tables below; a file written by a later version is refused."""

_SEPARATOR: Final = "."
_AFTER_SEPARATOR: Final = chr(ord(_SEPARATOR) + 1)
_FLOAT: Final = "d"

_SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS nbpregel_store_namespaces (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE
    )""",
    """CREATE TABLE IF NOT EXISTS nbpregel_store_items (
        id INTEGER PRIMARY KEY,
        namespace_id INTEGER NOT NULL REFERENCES nbpregel_store_namespaces (id),
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (namespace_id, key)
    )""",
    """CREATE TABLE IF NOT EXISTS nbpregel_store_vectors (
        item_id INTEGER NOT NULL REFERENCES nbpregel_store_items (id),
        position INTEGER NOT NULL,
        vector BLOB NOT NULL,
        norm REAL NOT NULL,
        PRIMARY KEY (item_id, position)
    )""",
    """CREATE TABLE IF NOT EXISTS nbpregel_store_meta (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
)
_FROM_ITEMS: Final = (
    "FROM nbpregel_store_items i JOIN nbpregel_store_namespaces n ON n.id = i.namespace_id"
)

SELECT_ITEM: Final = (
    f"SELECT i.value, i.created_at, i.updated_at {_FROM_ITEMS} WHERE n.path = ? AND i.key = ?"
)
# The no-op update makes RETURNING give the id of an existing row too.
UPSERT_NAMESPACE: Final = (
    "INSERT INTO nbpregel_store_namespaces (path) VALUES (?) "
    "ON CONFLICT (path) DO UPDATE SET path = excluded.path RETURNING id"
)
# An update keeps the row's id (its place in search order) and its created_at.
UPSERT_ITEM: Final = (
    "INSERT INTO nbpregel_store_items (namespace_id, key, value, created_at, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (namespace_id, key) DO UPDATE SET "
    "value = excluded.value, updated_at = excluded.updated_at RETURNING id"
)
DELETE_ITEM: Final = (
    "DELETE FROM nbpregel_store_items WHERE key = ? AND namespace_id = "
    "(SELECT id FROM nbpregel_store_namespaces WHERE path = ?) RETURNING id"
)
DELETE_VECTORS: Final = "DELETE FROM nbpregel_store_vectors WHERE item_id = ?"
INSERT_VECTOR: Final = (
    "INSERT INTO nbpregel_store_vectors (item_id, position, vector, norm) VALUES (?, ?, ?, ?)"
)


def path_of(namespace: tuple[str, ...]) -> str:
    """The text a namespace is stored as: each label followed by ``'.'``."""
    return "".join(label + _SEPARATOR for label in namespace)


def namespace_of(path: str) -> tuple[str, ...]:
    """The namespace :func:`path_of` turned into ``path``."""
    return tuple(path[:-1].split(_SEPARATOR))


def prefix_clause(prefix: tuple[str, ...]) -> tuple[str, list[str]]:
    """A condition on ``n.path`` (and its parameters) that keeps the namespaces under ``prefix``."""
    if not prefix:
        return "1", []
    low = path_of(prefix)
    return "n.path >= ? AND n.path < ?", [low, low[:-1] + _AFTER_SEPARATOR]


def search_statement(where: str, *, paged: bool) -> str:
    """Items under a prefix, in search order; ``paged`` adds ``LIMIT ? OFFSET ?``."""
    statement = (
        f"SELECT i.id, n.path, i.key, i.value, i.created_at, i.updated_at {_FROM_ITEMS} "
        f"WHERE {where} ORDER BY n.id, i.id"
    )
    return statement + " LIMIT ? OFFSET ?" if paged else statement


def vectors_statement(where: str) -> str:
    """The vectors of the items under a prefix."""
    return (
        "SELECT v.item_id, v.vector, v.norm FROM nbpregel_store_vectors v "
        "JOIN nbpregel_store_items i ON i.id = v.item_id "
        f"JOIN nbpregel_store_namespaces n ON n.id = i.namespace_id WHERE {where} "
        "ORDER BY v.item_id, v.position"
    )


def list_statement(where: str) -> str:
    """The paths of the namespaces under a prefix that hold at least one item."""
    return (
        f"SELECT n.path FROM nbpregel_store_namespaces n WHERE {where} AND EXISTS "
        "(SELECT 1 FROM nbpregel_store_items i WHERE i.namespace_id = n.id)"
    )


def count_statement() -> str:
    """How many items, and how many namespaces hold them."""
    return f"SELECT count(*), count(DISTINCT i.namespace_id) {_FROM_ITEMS}"


def pack(vector: Sequence[float]) -> bytes:
    """A vector as bytes: little-endian float64s, the same on every machine."""
    return struct.pack(f"<{len(vector)}{_FLOAT}", *vector)


def unpack(blob: bytes) -> tuple[float, ...]:
    """The vector :func:`pack` turned into ``blob``."""
    return struct.unpack(f"<{len(blob) // struct.calcsize(_FLOAT)}{_FLOAT}", blob)


def create_tables(conn: sqlite3.Connection, where: str) -> None:
    """Create the tables if missing (in the caller's transaction) and check their version.

    Raises:
        StoreError: when the file's tables were written by a later nbpregel.
    """
    for statement in _SCHEMA:
        conn.execute(statement)
    row = conn.execute("SELECT value FROM nbpregel_store_meta WHERE name = 'schema'").fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO nbpregel_store_meta (name, value) VALUES ('schema', ?)",
            (str(SCHEMA_VERSION),),
        )
    elif int(row[0]) > SCHEMA_VERSION:
        raise StoreError(
            f"the store tables in {where} have schema version {row[0]}, newer than this "
            f"nbpregel's {SCHEMA_VERSION}: upgrade nbpregel to read them"
        )
