"""``AnyValue``: a value several tasks may write in one step, assuming they agree."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from typing_extensions import TypeVar

from nbpregel.channels._held import HeldValue

__all__ = ["AnyValue"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error


class AnyValue(HeldValue[V, V]):
    """Keeps the last of the values written in a step; a step without writes clears it.

    Use it where several tasks write the same value (the writes are assumed equal, so keeping
    the last is as good as any).

    Args:
        typ: the type of the value (informational).
        key: the channel's name (the graph sets it when it binds the channel).

    >>> channel = AnyValue(str, "route")
    >>> channel.update(["left", "left"]), channel.get()
    (True, 'left')
    >>> channel.update([]), channel.is_available()
    (True, False)
    """

    __slots__ = ()

    shares_value: ClassVar[bool] = True
    holds_last_write: ClassVar[bool] = True
    clears_when_idle: ClassVar[bool] = True

    def update(self, values: Sequence[V]) -> bool:
        """Keep the last value written, or clear the value when nothing was written."""
        if values:
            self.value = values[-1]
            return True
        return self.clear()

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new ``AnyValue`` with the same type and key, holding ``checkpoint``."""
        channel = type(self)(self.typ, self.key)
        channel.value = checkpoint
        return channel
