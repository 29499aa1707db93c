"""The long-term store interface: documents (dicts) under ``(namespace, key)``, shared by runs.

A checkpointer keeps one thread's state; a store keeps what outlives threads (user preferences,
memories). Namespaces are tuples of labels, such as ``("users", "u1", "memories")``. The names
and behaviour are LangGraph 1.x's (``langgraph.store.base``), so a notebook ports by changing
``langgraph.store`` to ``nbpregel.store`` in its imports.

Subclasses implement :meth:`BaseStore.batch` and :meth:`BaseStore.abatch`; every other method
builds one op, checks it, and runs it through them.

>>> from nbpregel.store.memory import InMemoryStore
>>> store = InMemoryStore()
>>> store.put(("users", "u1"), "prefs", {"food": "pizza"})
>>> store.get(("users", "u1"), "prefs").value
{'food': 'pizza'}
>>> [item.key for item in store.search(("users",), filter={"food": "pizza"})]
['prefs']
>>> store.list_namespaces()
[('users', 'u1')]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, Literal, cast

from nbpregel.store._embed import Embeddings, ensure_embeddings, texts_at_path, tokenize_path
from nbpregel.store._errors import (
    EmbeddingError,
    InvalidNamespaceError,
    InvalidStoreArgumentError,
    StoreError,
    TTLNotSupportedError,
)
from nbpregel.store._filter import FilterOperator
from nbpregel.store._item import Item, SearchItem
from nbpregel.store._ops import (
    NOT_GIVEN,
    GetOp,
    IndexConfig,
    ListNamespacesOp,
    MatchCondition,
    NamespaceMatchType,
    NamespacePath,
    NotProvided,
    Op,
    PutOp,
    Result,
    SearchOp,
    TTLConfig,
)
from nbpregel.store._validate import check_op

__all__ = [
    "NOT_GIVEN",
    "BaseStore",
    "EmbeddingError",
    "Embeddings",
    "FilterOperator",
    "GetOp",
    "IndexConfig",
    "InvalidNamespaceError",
    "InvalidStoreArgumentError",
    "Item",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "NotProvided",
    "Op",
    "PutOp",
    "Result",
    "SearchItem",
    "SearchOp",
    "StoreError",
    "TTLConfig",
    "TTLNotSupportedError",
    "ensure_embeddings",
    "get_text_at_path",
    "tokenize_path",
]


def get_text_at_path(value: dict[str, Any], path: str) -> list[str]:
    """The texts an index embeds for ``path`` of ``value`` (strings as is, the rest as JSON).

    Example:
        >>> get_text_at_path({"tags": ["red", "blue"], "n": 3}, "tags[*]")
        ['red', 'blue']
    """
    return texts_at_path(value, tokenize_path(path))


class BaseStore(ABC):
    """A key-value store of dicts, organised in hierarchical namespaces.

    Attributes:
        supports_ttl: whether ``put`` may give items a time to live.
        ttl_config: the store's TTL defaults, if it supports TTL.
    """

    supports_ttl: bool = False
    ttl_config: TTLConfig | None = None

    @abstractmethod
    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops`` together; one result per op, in order.

        Reads see the store as it was before the batch; writes apply after them, the last write
        to a key winning.
        """

    @abstractmethod
    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """:meth:`batch`, for async code."""

    # -- op builders: one place checks the arguments of each sync / async pair -----------------

    def _refresh(self, refresh_ttl: bool | None) -> bool:
        if refresh_ttl is not None:
            return refresh_ttl
        return self.ttl_config.get("refresh_on_read", True) if self.ttl_config else True

    def _checked(self, op: Op) -> Op:
        check_op(op, supports_ttl=self.supports_ttl)
        return op

    def _put_op(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any] | None,
        index: Literal[False] | list[str] | None,
        ttl: float | NotProvided | None,
    ) -> Op:
        if isinstance(ttl, NotProvided):
            ttl = self.ttl_config.get("default_ttl") if self.ttl_config else None
        if ttl is not None and not self.supports_ttl:
            raise TTLNotSupportedError(
                f"ttl={ttl!r} for key {key!r}: {type(self).__name__} cannot expire items; "
                "pass ttl=None (or leave it out), or delete the item yourself"
            )
        as_dict = cast(dict[str, Any] | None, value)
        return self._checked(PutOp(namespace, key, as_dict, index=index, ttl=ttl))

    def _search_op(
        self,
        namespace_prefix: tuple[str, ...],
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> Op:
        refresh = self._refresh(refresh_ttl)
        return self._checked(SearchOp(namespace_prefix, filter, limit, offset, query, refresh))

    def _list_op(
        self,
        prefix: NamespacePath | None,
        suffix: NamespacePath | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> Op:
        conditions: list[MatchCondition] = []
        if prefix is not None:
            conditions.append(MatchCondition("prefix", prefix))
        if suffix is not None:
            conditions.append(MatchCondition("suffix", suffix))
        op = ListNamespacesOp(tuple(conditions) or None, max_depth, limit, offset)
        return self._checked(op)

    # -- sync ----------------------------------------------------------------------------------

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """The item under ``key`` in ``namespace``, or ``None``.

        Args:
            namespace: the item's namespace, e.g. ``("users", "u1")``.
            key: its key.
            refresh_ttl: whether reading pushes back its expiry (stores with TTL only).

        Example:
            >>> from nbpregel.store.memory import InMemoryStore
            >>> InMemoryStore().get(("users", "u1"), "prefs") is None
            True
        """
        op = self._checked(GetOp(namespace, key, self._refresh(refresh_ttl)))
        return cast(Item | None, self.batch([op])[0])

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """Items in namespaces that start with ``namespace_prefix`` (``()``: all), paginated.

        Args:
            namespace_prefix: the labels the namespaces start with.
            query: text to rank the items by similarity (needs a store with an ``index``;
                without one it is ignored, as in LangGraph).
            filter: conditions on the values' keys, ``{"age": {"$gte": 18}, "city": "Paris"}``;
                see :class:`FilterOperator`.
            limit: at most this many items.
            offset: skip this many first.
            refresh_ttl: whether reading pushes back their expiry (stores with TTL only).

        Example:
            >>> from nbpregel.store.memory import InMemoryStore
            >>> store = InMemoryStore()
            >>> for n in range(5):
            ...     store.put(("nums",), f"n{n}", {"n": n})
            >>> [item.key for item in store.search(("nums",), filter={"n": {"$gt": 1}}, limit=2)]
            ['n2', 'n3']
        """
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return cast(list[SearchItem], self.batch([op])[0])

    def put(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_GIVEN,
    ) -> None:
        """Store ``value`` under ``key`` in ``namespace``, replacing any value there.

        Args:
            namespace: non-empty tuple of labels, e.g. ``("users", "u1")``.
            key: the key, unique within the namespace.
            value: a dict (``None`` deletes the key, as :meth:`delete`).
            index: ``None`` embeds the fields the store's index names, ``False`` nothing, a
                list of paths those paths instead.
            ttl: minutes until the item expires, on stores that support TTL; ``None``: never.

        Raises:
            InvalidNamespaceError: for an empty namespace, a label that is not a non-empty
                ``str`` without ``'.'``, or a first label ``"langgraph"``.
            InvalidStoreArgumentError: for a key that is not a ``str`` or a value not a dict.
            TTLNotSupportedError: for a ``ttl`` on a store that cannot expire items.

        Example:
            >>> from nbpregel.store.memory import InMemoryStore
            >>> store = InMemoryStore()
            >>> store.put(("docs",), "a", {"text": "hello"})
            >>> store.get(("docs",), "a").value
            {'text': 'hello'}
        """
        self.batch([self._put_op(namespace, key, value, index, ttl)])

    def delete(self, namespace: tuple[str, ...], key: str) -> None:
        """Delete the item under ``key`` in ``namespace``; a missing item is not an error.

        Example:
            >>> from nbpregel.store.memory import InMemoryStore
            >>> store = InMemoryStore()
            >>> store.put(("docs",), "a", {"text": "hello"})
            >>> store.delete(("docs",), "a")
            >>> store.get(("docs",), "a") is None
            True
        """
        self.batch([self._checked(PutOp(namespace, key, None))])

    def list_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """The namespaces that hold items, sorted; ``"*"`` in a prefix or suffix is any label.

        Args:
            prefix: keep namespaces that start with these labels.
            suffix: keep namespaces that end with these labels.
            max_depth: cut namespaces to this many labels (duplicates are then merged).
            limit: at most this many namespaces.
            offset: skip this many first.

        Example:
            >>> from nbpregel.store.memory import InMemoryStore
            >>> store = InMemoryStore()
            >>> for user in ("u1", "u2"):
            ...     store.put(("users", user, "memories"), "m", {"text": "..."})
            >>> store.list_namespaces(prefix=("users", "*"), max_depth=2)
            [('users', 'u1'), ('users', 'u2')]
        """
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return cast(list[tuple[str, ...]], self.batch([op])[0])

    # -- async twins: the same ops, run through abatch ----------------------------------------

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        """:meth:`get`, for async code."""
        op = self._checked(GetOp(namespace, key, self._refresh(refresh_ttl)))
        return cast(Item | None, (await self.abatch([op]))[0])

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        """:meth:`search`, for async code."""
        op = self._search_op(namespace_prefix, query, filter, limit, offset, refresh_ttl)
        return cast(list[SearchItem], (await self.abatch([op]))[0])

    async def aput(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        *,
        ttl: float | NotProvided | None = NOT_GIVEN,
    ) -> None:
        """:meth:`put`, for async code."""
        await self.abatch([self._put_op(namespace, key, value, index, ttl)])

    async def adelete(self, namespace: tuple[str, ...], key: str) -> None:
        """:meth:`delete`, for async code."""
        await self.abatch([self._checked(PutOp(namespace, key, None))])

    async def alist_namespaces(
        self,
        *,
        prefix: NamespacePath | None = None,
        suffix: NamespacePath | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[tuple[str, ...]]:
        """:meth:`list_namespaces`, for async code."""
        op = self._list_op(prefix, suffix, max_depth, limit, offset)
        return cast(list[tuple[str, ...]], (await self.abatch([op]))[0])
