"""``EphemeralValue``: a value that lives for the one step after it was written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from typing_extensions import TypeVar

from nbpregel.channels._common import too_many_values
from nbpregel.channels._held import HeldValue

__all__ = ["EphemeralValue"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error


class EphemeralValue(HeldValue[V, V]):
    """Holds the value written in the previous step only; a step without writes clears it.

    The graph's input and the edges that trigger nodes use it: a trigger fires once, then goes.

    Args:
        typ: the type of the value (informational).
        guard: reject two or more writes in one step (with ``False``, keep the last).
        key: the channel's name (the graph sets it when it binds the channel).

    >>> channel = EphemeralValue(int, key="branch:to:b")
    >>> channel.update([1]), channel.get()
    (True, 1)
    >>> channel.update([]), channel.is_available()
    (True, False)
    >>> EphemeralValue(int, guard=False).update([1, 2])
    True
    """

    __slots__ = ("guard",)

    shares_value: ClassVar[bool] = True
    holds_last_write: ClassVar[bool] = True
    clears_when_idle: ClassVar[bool] = True

    def __init__(self, typ: Any = Any, guard: bool = True, *, key: str = "") -> None:
        super().__init__(typ, key)
        self.guard = guard

    def update(self, values: Sequence[V]) -> bool:
        """Keep the value written this step, or clear the value when nothing was written.

        Raises:
            InvalidUpdateError: when guarded and two or more values are written in one step.
        """
        if len(values) == 1 or (values and not self.guard):
            self.value = values[-1]
            return True
        if values:
            fix = "EphemeralValue(guard=True) accepts one; pass guard=False to keep the last"
            raise too_many_values(self.key, len(values), fix)
        return self.clear()

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new channel configured like this one, holding ``checkpoint``."""
        if type(self) is EphemeralValue:
            # Every run copies every channel: skip __init__, whose only work is redone here.
            channel = object.__new__(EphemeralValue)
            channel.typ, channel.key, channel.guard = self.typ, self.key, self.guard
        else:
            channel = type(self)(self.typ, self.guard, key=self.key)
        channel.value = checkpoint
        return channel  # type: ignore[return-value]
