"""``LastValue``, the default channel of a state key, and ``LastValueAfterFinish`` (deferred)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, Self

from typing_extensions import TypeVar

from nbpregel.channels._common import too_many_values
from nbpregel.channels._held import HeldValue
from nbpregel.channels.base import MISSING, BaseChannel

__all__ = ["LastValue", "LastValueAfterFinish"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error

_REDUCER_HINT = (
    "a plain key accepts one write per step: to merge concurrent writes, give the key a reducer "
    "with Annotated[type, reducer], e.g. Annotated[list, operator.add]"
)


class LastValue(HeldValue[V, V]):
    """Holds the value written in the last step that wrote it; at most one write per step.

    Args:
        typ: the type of the value (informational).
        key: the channel's name (the graph sets it when it binds the channel).

    >>> channel = LastValue(int, "count")
    >>> channel.update([1]), channel.get()
    (True, 1)
    >>> channel.update([2, 3])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    nbpregel.errors.InvalidUpdateError: channel 'count': received 2 values in one superstep; ...
    """

    __slots__ = ()

    shares_value: ClassVar[bool] = True
    holds_last_write: ClassVar[bool] = True
    plain_value: ClassVar[bool] = True

    def update(self, values: Sequence[V]) -> bool:
        """Keep the single value written; an empty step leaves the value alone.

        Raises:
            InvalidUpdateError: when two or more values are written in one step.
        """
        if len(values) == 1:
            self.value = values[0]
            return True
        if not values:
            return False
        raise too_many_values(self.key, len(values), _REDUCER_HINT)

    def update_one(self, value: V) -> bool:
        """Keep ``value`` (one write: always accepted)."""
        self.value = value
        return True

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new ``LastValue`` with the same type and key, holding ``checkpoint``."""
        if type(self) is LastValue:
            # Every run copies every channel: skip __init__, whose only work is redone here.
            channel = object.__new__(LastValue)
            channel.typ, channel.key = self.typ, self.key
        else:
            channel = type(self)(self.typ, self.key)
        channel.value = checkpoint
        return channel  # type: ignore[return-value]


class LastValueAfterFinish(Generic[V], BaseChannel[V, V]):
    """Like ``LastValue``, but readable only once the run would end (after ``finish()``).

    This triggers ``defer=True`` nodes: they run after everything else. Several writes in one
    step are accepted and the last one is kept, since several nodes may lead to the same deferred
    node in one step. ``consume()`` after ``finish()`` clears the value, so the deferred node runs
    once per wave of writes.

    >>> channel = LastValueAfterFinish(str, "branch:to:summary")
    >>> channel.update(["a", "b"]), channel.is_available()
    (True, False)
    >>> channel.finish(), channel.get()
    (True, 'b')
    >>> channel.consume(), channel.is_available()
    (True, False)
    """

    __slots__ = ("finished", "value")

    shares_value: ClassVar[bool] = True

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(typ, key)
        self.value: V | Any = MISSING
        self.finished = False

    def update(self, values: Sequence[V]) -> bool:
        """Keep the last value written; a new write hides the value until the next finish."""
        if not values:
            return False
        self.value = values[-1]
        self.finished = False
        return True

    def get(self) -> V:
        """The value once finished. Raises ``EmptyChannelError`` before that."""
        if self.value is MISSING or not self.finished:
            raise self._empty()
        return self.value

    def is_available(self) -> bool:
        """Whether a value is held and ``finish()`` has been called since it was written."""
        return self.finished and self.value is not MISSING

    def finish(self) -> bool:
        """Make a held value readable; True when that changed anything."""
        if self.finished or self.value is MISSING:
            return False
        self.finished = True
        return True

    def consume(self) -> bool:
        """Clear a value that has been made readable (its subscriber has now run)."""
        if not self.finished:
            return False
        self.value = MISSING
        self.finished = False
        return True

    def checkpoint(self) -> Any:
        """``(value, finished)``, or ``MISSING`` when empty."""
        if self.value is MISSING:
            return MISSING
        return (self.value, self.finished)

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new channel with the same type and key, restored from ``(value, finished)``."""
        channel = type(self)(self.typ, self.key)
        if checkpoint is not MISSING:
            channel.value, channel.finished = checkpoint
        return channel
