"""What a store returns: :class:`Item` (from ``get``) and :class:`SearchItem` (from ``search``).

>>> from datetime import datetime, timezone
>>> when = datetime(2024, 1, 1, tzinfo=timezone.utc)
>>> item = Item(value={"food": "pizza"}, key="prefs", namespace=("users", "u1"),
...             created_at=when, updated_at=when)
>>> item.dict()["namespace"], item.dict()["created_at"]
(['users', 'u1'], '2024-01-01T00:00:00+00:00')
>>> SearchItem(("users", "u1"), "prefs", {"food": "pizza"}, when, when, score=0.5) == item
True
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

__all__ = ["Item", "SearchItem"]


def _as_datetime(when: datetime | str) -> datetime:
    """``when`` itself, or the datetime an ISO 8601 string spells."""
    return datetime.fromisoformat(when) if isinstance(when, str) else when


class Item:
    """One stored document: a dict ``value`` under ``key`` in ``namespace``.

    Items compare equal when their value, key, namespace and both timestamps are equal; they hash
    by ``(namespace, key)``.

    Args:
        value: the stored document.
        key: its key, unique within the namespace.
        namespace: the path of labels it lives under (a list is turned into a tuple).
        created_at: when the key was first written (a datetime, or an ISO 8601 string).
        updated_at: when the value was last written (a datetime, or an ISO 8601 string).

    Example:
        >>> from datetime import datetime, timezone
        >>> when = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
        >>> Item(value={"x": 1}, key="k", namespace=["a"], created_at=when,
        ...      updated_at="2024-05-01T12:00:00+00:00")
        Item(namespace=['a'], key='k', value={'x': 1}, created_at='2024-05-01T12:00:00+00:00', \
updated_at='2024-05-01T12:00:00+00:00')
    """

    __slots__ = ("created_at", "key", "namespace", "updated_at", "value")

    def __init__(
        self,
        *,
        value: dict[str, Any],
        key: str,
        namespace: tuple[str, ...],
        created_at: datetime | str,
        updated_at: datetime | str,
    ) -> None:
        self.value = value
        self.key = key
        self.namespace = tuple(namespace)
        self.created_at = _as_datetime(created_at)
        self.updated_at = _as_datetime(updated_at)

    def _fields(self) -> tuple[Any, ...]:
        return (self.value, self.key, self.namespace, self.created_at, self.updated_at)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((self.namespace, self.key))

    def dict(self) -> dict[str, Any]:
        """The item as plain data: the namespace as a list, the timestamps as ISO 8601 strings."""
        return {
            "namespace": list(self.namespace),
            "key": self.key,
            "value": self.value,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={data!r}" for name, data in self.dict().items())
        return f"{type(self).__name__}({fields})"


class SearchItem(Item):
    """An :class:`Item` found by ``search``, with its similarity ``score`` to the query.

    ``score`` is ``None`` when the search had no query (or the store has no index, or the item
    was stored without embeddings). It is left out of equality, like LangGraph's.

    Args:
        namespace: the path of labels the item lives under.
        key: its key.
        value: the stored document.
        created_at: when the key was first written.
        updated_at: when the value was last written.
        score: cosine similarity to the query, higher is closer; ``None`` without a query.

    Example:
        >>> from datetime import datetime, timezone
        >>> when = datetime(2024, 5, 1, tzinfo=timezone.utc)
        >>> found = SearchItem(("a",), "k", {"x": 1}, when, when, score=0.9)
        >>> found.score, found.dict()["score"]
        (0.9, 0.9)
    """

    __slots__ = ("score",)

    def __init__(
        self,
        namespace: tuple[str, ...],
        key: str,
        value: dict[str, Any],
        created_at: datetime | str,
        updated_at: datetime | str,
        score: float | None = None,
    ) -> None:
        super().__init__(
            value=value,
            key=key,
            namespace=namespace,
            created_at=created_at,
            updated_at=updated_at,
        )
        self.score = score

    def dict(self) -> dict[str, Any]:
        """The item as plain data (see :meth:`Item.dict`), with its ``score``."""
        return {**super().dict(), "score": self.score}
