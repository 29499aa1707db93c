"""``UntrackedValue``: a value that lives in the run only and is never checkpointed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self

from typing_extensions import TypeVar

from nbpregel.channels._common import too_many_values
from nbpregel.channels._held import HeldValue
from nbpregel.channels.base import MISSING

__all__ = ["UntrackedValue"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error


class UntrackedValue(HeldValue[V, V]):
    """Holds the last value written, but ``checkpoint()`` is always ``MISSING``.

    For values that cannot or should not be saved (clients, open files, caches): a run restored
    from a checkpoint starts with the channel empty.

    Args:
        typ: the type of the value (informational).
        guard: reject two or more writes in one step (with ``False``, keep the last).
        key: the channel's name (the graph sets it when it binds the channel).

    >>> channel = UntrackedValue(object, key="client")
    >>> channel.update(["conn"]), channel.get(), channel.checkpoint()
    (True, 'conn', MISSING)
    >>> channel.from_checkpoint(channel.checkpoint()).is_available()
    False
    """

    __slots__ = ("guard",)

    shares_value: ClassVar[bool] = True
    holds_last_write: ClassVar[bool] = True

    def __init__(self, typ: Any = Any, guard: bool = True, *, key: str = "") -> None:
        super().__init__(typ, key)
        self.guard = guard

    def update(self, values: Sequence[V]) -> bool:
        """Keep the value written; an empty step leaves the value alone.

        Raises:
            InvalidUpdateError: when guarded and two or more values are written in one step.
        """
        if len(values) == 1 or (values and not self.guard):
            self.value = values[-1]
            return True
        if not values:
            return False
        fix = "UntrackedValue(guard=True) accepts one; pass guard=False to keep the last"
        raise too_many_values(self.key, len(values), fix)

    def checkpoint(self) -> Any:
        """Always ``MISSING``: this channel is never saved."""
        return MISSING

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new, empty channel configured like this one (``checkpoint`` is ignored)."""
        return type(self)(self.typ, self.guard, key=self.key)

    def copy(self) -> Self:
        """A new channel configured like this one, holding the same value (within the run)."""
        channel = self.from_checkpoint(MISSING)
        channel.value = self.value
        return channel
