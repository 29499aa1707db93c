"""The operations a store's ``batch`` runs, and the types that describe them.

``get``, ``search``, ``put``, ``delete`` and ``list_namespaces`` each build one op and run it
through ``batch``; call ``batch`` yourself to run several in one go (reads see the store as it was
before the batch's writes).

>>> from nbpregel.store import InMemoryStore
>>> store = InMemoryStore()
>>> store.batch([PutOp(("docs",), "a", {"n": 1}), GetOp(("docs",), "a")])
[None, None]
>>> store.batch([GetOp(("docs",), "a")])[0].value
{'n': 1}
"""

from __future__ import annotations

from typing import Any, Final, Literal, NamedTuple, NotRequired, TypedDict

from nbpregel.store._item import Item, SearchItem

__all__ = [
    "NOT_GIVEN",
    "WILDCARD",
    "GetOp",
    "IndexConfig",
    "ListNamespacesOp",
    "MatchCondition",
    "NamespaceMatchType",
    "NamespacePath",
    "NotProvided",
    "Op",
    "PutOp",
    "Result",
    "SearchOp",
    "TTLConfig",
]

WILDCARD: Final = "*"
"""In a ``list_namespaces`` prefix or suffix, a label that matches any one label."""

NamespacePath = tuple[str, ...]
"""A namespace prefix or suffix; a ``"*"`` label matches any one label."""

NamespaceMatchType = Literal["prefix", "suffix"]
"""Which end of a namespace a :class:`MatchCondition` path is compared with."""


class NotProvided:
    """The type of :data:`NOT_GIVEN`: "use the store's default", as opposed to ``None``."""

    _instance: NotProvided | None = None

    def __new__(cls) -> NotProvided:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __bool__(self) -> bool:
        return False


NOT_GIVEN: Final = NotProvided()
"""``put(..., ttl=NOT_GIVEN)``: use the store's default TTL (``None`` means "never expires")."""


class TTLConfig(TypedDict, total=False):
    """How a store that supports TTL expires items (the in-memory store does not)."""

    refresh_on_read: bool
    """Whether reads push an item's expiry back by its TTL, when the call does not say."""
    default_ttl: float | None
    """Minutes an item lives when ``put`` gives no ``ttl``; ``None``: forever."""
    sweep_interval_minutes: int | None
    """How often expired items are removed in the background."""


class IndexConfig(TypedDict):
    """``InMemoryStore(index=...)``: how values are embedded for ``search(query=...)``."""

    embed: Any
    """A function ``list[str] -> list[list[float]]`` (sync or async), or an object with
    ``embed_documents`` and ``embed_query`` (a LangChain ``Embeddings`` works)."""
    dims: NotRequired[int]
    """How many numbers each vector has; when given, vectors of another length are refused."""
    fields: NotRequired[list[str] | None]
    """Paths of the value to embed (``"text"``, ``"meta.title"``, ``"tags[*]"``, ``"items[0]"``);
    ``["$"]`` (the default) embeds the whole value as JSON."""


class MatchCondition(NamedTuple):
    """A ``list_namespaces`` condition: the namespace starts (or ends) with ``path``.

    Example:
        >>> MatchCondition("prefix", ("users", "*"))
        MatchCondition(match_type='prefix', path=('users', '*'))
    """

    match_type: NamespaceMatchType
    path: NamespacePath


class GetOp(NamedTuple):
    """Read the item under ``key`` in ``namespace``; the result is an :class:`Item` or ``None``.

    Example:
        >>> GetOp(("users",), "u1")
        GetOp(namespace=('users',), key='u1', refresh_ttl=True)
    """

    namespace: tuple[str, ...]
    key: str
    refresh_ttl: bool = True


class SearchOp(NamedTuple):
    """Find items under ``namespace_prefix``; the result is a list of :class:`SearchItem`.

    Example:
        >>> SearchOp(("users",), filter={"age": {"$gte": 18}}, limit=5).limit
        5
    """

    namespace_prefix: tuple[str, ...]
    filter: dict[str, Any] | None = None
    limit: int = 10
    offset: int = 0
    query: str | None = None
    refresh_ttl: bool = True


class PutOp(NamedTuple):
    """Store ``value`` under ``key`` in ``namespace``; a ``value`` of ``None`` deletes the key.

    ``index`` is ``None`` (embed the fields the store's index names), ``False`` (do not embed)
    or a list of paths to embed instead. The result is ``None``.

    Example:
        >>> PutOp(("users",), "u1", None)
        PutOp(namespace=('users',), key='u1', value=None, index=None, ttl=None)
    """

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    index: Literal[False] | list[str] | None = None  # type: ignore[assignment]
    ttl: float | None = None


class ListNamespacesOp(NamedTuple):
    """List the namespaces that hold items; the result is a sorted list of tuples.

    Example:
        >>> ListNamespacesOp(match_conditions=(MatchCondition("suffix", ("memories",)),))
        ListNamespacesOp(match_conditions=(MatchCondition(match_type='suffix', \
path=('memories',)),), max_depth=None, limit=100, offset=0)
    """

    match_conditions: tuple[MatchCondition, ...] | None = None
    max_depth: int | None = None
    limit: int = 100
    offset: int = 0


Op = GetOp | SearchOp | PutOp | ListNamespacesOp
"""Any operation ``batch`` runs."""

Result = Item | list[Item] | list[SearchItem] | list[tuple[str, ...]] | None
"""What ``batch`` returns for one op, in the op's position."""
