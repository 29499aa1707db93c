"""``NamedBarrierValue``: a join that opens once every named writer has written."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Generic, Self

from typing_extensions import TypeVar

from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.errors import InvalidUpdateError

__all__ = ["NamedBarrierValue", "NamedBarrierValueAfterFinish"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error


class _NamedBarrier(Generic[V], BaseChannel[None, V]):
    """What both barriers share: the names to wait for, the names seen, the update rule."""

    __slots__ = ("names", "seen")

    shares_value: ClassVar[bool] = True

    def __init__(self, typ: Any, names: Iterable[V], *, key: str = "") -> None:
        super().__init__(typ, key)
        self.names: frozenset[V] = frozenset(names)
        self.seen: set[V] = set()

    def update(self, values: Sequence[V]) -> bool:
        """Record the names written; True when a new name arrived.

        Raises:
            InvalidUpdateError: when a value is not one of ``names`` (nothing is recorded).
        """
        if not self.names.issuperset(values):
            unknown = next(value for value in values if value not in self.names)
            allowed = ", ".join(sorted(map(repr, self.names)))
            raise InvalidUpdateError(
                f"channel {self.key!r}: unknown writer {unknown!r} for this barrier (must be "
                f"one of [{allowed}]); write the name of one of the joined nodes"
            )
        seen = self.seen
        before = len(seen)
        seen.update(values)
        return len(seen) != before

    def _sorted_seen(self) -> list[V]:
        """The names seen in a stable order (a set iterates in a per-process order)."""
        try:
            return sorted(self.seen)  # type: ignore[type-var]
        except TypeError:  # names of mixed types
            return sorted(self.seen, key=repr)


class NamedBarrierValue(_NamedBarrier[V]):
    """Available (its value is ``None``) once each name in ``names`` has been written.

    Each predecessor of a join node writes its own name; the join runs when all have arrived,
    and ``consume()`` then closes the barrier for the next wave. Checkpoints hold the names seen
    so far as a sorted list, so they are the same from one run to the next.

    Args:
        typ: the type of the names (informational).
        names: the names that must all be written.
        key: the channel's name (the graph sets it when it binds the channel).

    >>> join = NamedBarrierValue(str, {"a", "b"}, key="join:a+b:c")
    >>> join.update(["a"]), join.is_available()
    (True, False)
    >>> join.update(["b", "a"]), join.get(), join.checkpoint()
    (True, None, ['a', 'b'])
    >>> join.consume(), join.is_available()
    (True, False)
    """

    __slots__ = ()

    def get(self) -> None:
        """``None`` once every name has been written. Raises ``EmptyChannelError`` before."""
        if self.seen != self.names:
            raise self._empty()
        return None

    def is_available(self) -> bool:
        """Whether every name has been written."""
        return self.seen == self.names

    def consume(self) -> bool:
        """Close a complete barrier (its subscriber has run); True when that happened."""
        if self.seen != self.names:
            return False
        self.seen = set()
        return True

    def checkpoint(self) -> Any:
        """The names seen so far, sorted, or ``MISSING`` when none."""
        return self._sorted_seen() if self.seen else MISSING

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new barrier with the same names and key, having seen the names in ``checkpoint``."""
        channel = type(self)(self.typ, self.names, key=self.key)
        if checkpoint is not MISSING:
            channel.seen = set(checkpoint)
        return channel


class NamedBarrierValueAfterFinish(_NamedBarrier[V]):
    """Like ``NamedBarrierValue``, but available only after ``finish()`` (deferred joins).

    >>> join = NamedBarrierValueAfterFinish(str, {"a", "b"})
    >>> join.update(["a", "b"]), join.is_available()
    (True, False)
    >>> join.finish(), join.is_available(), join.checkpoint()
    (True, True, (['a', 'b'], True))
    """

    __slots__ = ("finished",)

    def __init__(self, typ: Any, names: Iterable[V], *, key: str = "") -> None:
        super().__init__(typ, names, key=key)
        self.finished = False

    def get(self) -> None:
        """``None`` once all names are in and finished. Raises ``EmptyChannelError`` before."""
        if not self.finished or self.seen != self.names:
            raise self._empty()
        return None

    def is_available(self) -> bool:
        """Whether every name has been written and the barrier was finished."""
        return self.finished and self.seen == self.names

    def finish(self) -> bool:
        """Open a complete barrier; True when that changed anything."""
        if self.finished or self.seen != self.names:
            return False
        self.finished = True
        return True

    def consume(self) -> bool:
        """Close an open barrier (its subscriber has run); True when that happened."""
        if not self.is_available():
            return False
        self.seen = set()
        self.finished = False
        return True

    def checkpoint(self) -> Any:
        """``(sorted names seen, finished)``, or ``MISSING`` when nothing was written."""
        if not self.seen and not self.finished:
            return MISSING
        return (self._sorted_seen(), self.finished)

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new barrier with the same names and key, restored from ``(seen, finished)``."""
        channel = type(self)(self.typ, self.names, key=self.key)
        if checkpoint is not MISSING:
            seen, channel.finished = checkpoint
            channel.seen = set(seen)
        return channel
