"""Long-term memory for graphs: a store of dicts under ``(namespace, key)``, shared across threads.

The names are LangGraph 1.x's: a notebook using ``langgraph.store.memory.InMemoryStore`` and
``langgraph.store.base.BaseStore`` / ``Item`` ports by importing them from
``nbpregel.store.memory`` and ``nbpregel.store.base`` instead. ``SqliteStore`` (and
``AsyncSqliteStore``) in ``nbpregel.store.sqlite`` keep the items in a file, so that they
survive a kernel restart.

>>> from nbpregel.store import InMemoryStore
>>> store = InMemoryStore()
>>> store.put(("users", "u1", "memories"), "m1", {"text": "likes tea", "weight": 3})
>>> store.put(("users", "u1", "memories"), "m2", {"text": "hates rain", "weight": 1})
>>> [item.key for item in store.search(("users", "u1"), filter={"weight": {"$gte": 2}})]
['m1']
>>> store
InMemoryStore(2 items in 1 namespaces)
"""

from nbpregel.store._errors import (
    EmbeddingError,
    InvalidNamespaceError,
    InvalidStoreArgumentError,
    StoreError,
    TTLNotSupportedError,
)
from nbpregel.store.base import (
    BaseStore,
    Embeddings,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    MatchCondition,
    PutOp,
    SearchItem,
    SearchOp,
)
from nbpregel.store.memory import InMemoryStore
from nbpregel.store.sqlite import AsyncSqliteStore, SqliteStore

__all__ = [
    "AsyncSqliteStore",
    "BaseStore",
    "EmbeddingError",
    "Embeddings",
    "GetOp",
    "InMemoryStore",
    "IndexConfig",
    "InvalidNamespaceError",
    "InvalidStoreArgumentError",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "PutOp",
    "SearchItem",
    "SearchOp",
    "SqliteStore",
    "StoreError",
    "TTLNotSupportedError",
]
