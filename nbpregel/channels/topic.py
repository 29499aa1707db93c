"""``Topic``: a publish/subscribe channel that collects every value written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Self

from typing_extensions import TypeVar

from nbpregel.channels.base import MISSING, BaseChannel

__all__ = ["Topic"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error


class Topic(Generic[V], BaseChannel[list[V], V | list[V]]):
    """Collects the values written in a step into a list; a written list adds its items.

    Without ``accumulate`` the list holds only the last step's writes (a step without writes
    empties it); with ``accumulate=True`` it keeps growing. An empty topic is not available:
    ``get()`` raises ``EmptyChannelError``, as it does for every empty channel.

    Args:
        typ: the type of one item (informational).
        accumulate: keep the values of earlier steps too.
        key: the channel's name (the graph sets it when it binds the channel).

    >>> topic = Topic(str, key="events")
    >>> topic.update(["a", ["b", "c"]]), topic.get()
    (True, ['a', 'b', 'c'])
    >>> topic.update([]), topic.is_available()
    (True, False)
    >>> log = Topic(int, accumulate=True)
    >>> log.update([1]), log.update([2]), log.update([]), log.get()
    (True, True, False, [1, 2])
    """

    __slots__ = ("accumulate", "values")

    def __init__(self, typ: Any = Any, accumulate: bool = False, *, key: str = "") -> None:
        super().__init__(typ, key)
        self.accumulate = accumulate
        self.values: list[V] = []

    @property
    def clears_when_idle(self) -> bool:  # type: ignore[override]
        """True unless accumulating: only then does ``update([])`` empty the list."""
        return not self.accumulate

    def update(self, values: Sequence[V | list[V]]) -> bool:
        """Add this step's values (flattening lists) to a list emptied first unless accumulating."""
        changed = False
        if not self.accumulate and self.values:
            # a fresh list: a checkpoint or reader may still hold the old one
            self.values = []
            changed = True
        items = self.values
        for value in values:
            if isinstance(value, list):
                if value:
                    items.extend(value)
                    changed = True
            else:
                items.append(value)
                changed = True
        return changed

    def get(self) -> list[V]:
        """A copy of the collected values. Raises ``EmptyChannelError`` when there are none."""
        if not self.values:
            raise self._empty()
        return list(self.values)

    def is_available(self) -> bool:
        """Whether any value is collected."""
        return bool(self.values)

    def checkpoint(self) -> Any:
        """A copy of the collected values, or ``MISSING`` when there are none."""
        return list(self.values) if self.values else MISSING

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new topic configured like this one, holding a copy of ``checkpoint``."""
        channel = type(self)(self.typ, self.accumulate, key=self.key)
        if checkpoint is not MISSING:
            channel.values = list(checkpoint)
        return channel
