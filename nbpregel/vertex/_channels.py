"""The channels a vertex program runs on: per-superstep folds and the superstep counter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Self

from nbpregel.channels._held import HeldValue
from nbpregel.channels.base import MISSING

__all__ = ["StepCounter", "StepFold"]


class StepFold(HeldValue[Any, Any]):
    """Holds ``fold(values)`` of the values written in the previous superstep; a superstep
    without writes empties it. A vertex's inbox and an aggregator are such channels.

    Args:
        fold: what the step's values (a non-empty list, in task order) become.
        key: the channel's name (the graph sets it when it binds the channel).

    >>> inbox = StepFold(tuple, key="inbox:a")
    >>> inbox.update([1.0, 2.0]), inbox.get()
    (True, (1.0, 2.0))
    >>> inbox.update([]), inbox.is_available()
    (True, False)
    """

    __slots__ = ("fold",)

    clears_when_idle: ClassVar[bool] = True
    shares_value: ClassVar[bool] = True
    plain_value: ClassVar[bool] = True

    def __init__(self, fold: Callable[[Sequence[Any]], Any], *, key: str = "") -> None:
        super().__init__(Any, key)
        self.fold = fold

    def update(self, values: Sequence[Any]) -> bool:
        """Hold the fold of this superstep's values, or empty the channel when there are none."""
        if values:
            self.value = self.fold(values)
            return True
        return self.clear()

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new channel with the same fold, holding ``checkpoint``."""
        channel = type(self)(self.fold, key=self.key)
        channel.value = checkpoint
        return channel


class StepCounter(HeldValue[int, int]):
    """Counts supersteps: a write sets the count, and each superstep that does not write it
    adds one. A vertex program's input writes 0, so its vertices read their superstep here.

    >>> counter = StepCounter(key="__superstep__")
    >>> counter.update([0]), counter.update([]), counter.update([]), counter.get()
    (True, True, True, 2)
    """

    __slots__ = ()

    clears_when_idle: ClassVar[bool] = True  # the loop calls update([]) at each step's end
    shares_value: ClassVar[bool] = True
    plain_value: ClassVar[bool] = True

    def __init__(self, *, key: str = "") -> None:
        super().__init__(int, key)

    def update(self, values: Sequence[int]) -> bool:
        """Take the last value written, or count one more superstep."""
        if values:
            self.value = values[-1]
            return True
        if self.value is MISSING:
            return False
        self.value += 1
        return True

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new counter holding ``checkpoint``."""
        channel = type(self)(key=self.key)
        channel.value = checkpoint
        return channel
