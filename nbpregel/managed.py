"""Managed values: state keys that the engine computes for each task instead of keeping them.

Declare one in a state schema, as LangGraph's ``langgraph.managed`` does::

    class AgentState(TypedDict):
        messages: Annotated[list, add_messages]
        remaining_steps: RemainingSteps

A node reading the state then finds ``state["remaining_steps"]``: how many more supersteps
the recursion limit lets the run take after the current one (``0`` in the last one).
``IsLastStep`` is ``True`` when that count is ``1``, as LangGraph computes it: stop there (route
to END) and the run ends one superstep before its limit. The counts are LangGraph's, fresh or
resumed. They are not channels: they are never saved, streamed or returned, an input's value for
them is ignored, and a node writing one is refused.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

__all__ = [
    "IsLastStep",
    "IsLastStepManager",
    "ManagedValue",
    "RemainingSteps",
    "RemainingStepsManager",
    "managed_of",
]


class ManagedValue:
    """A kind of managed value: ``get(step, stop)`` is its value for a task of superstep
    ``step`` of a run whose last allowed superstep is ``stop``."""

    @staticmethod
    def get(step: int, stop: int) -> Any:
        raise NotImplementedError


class RemainingStepsManager(ManagedValue):
    """The supersteps the run may still take after the current one.

    Example:
        >>> RemainingStepsManager.get(3, 10)
        7
    """

    @staticmethod
    def get(step: int, stop: int) -> int:
        return stop - step


class IsLastStepManager(ManagedValue):
    """Whether one superstep is left after the current one (LangGraph's "last step").

    Example:
        >>> IsLastStepManager.get(9, 10), IsLastStepManager.get(8, 10)
        (True, False)
    """

    @staticmethod
    def get(step: int, stop: int) -> bool:
        return step == stop - 1


RemainingSteps = Annotated[int, RemainingStepsManager]
"""A state key holding how many more supersteps the run may take (see the module doc)."""
IsLastStep = Annotated[bool, IsLastStepManager]
"""A state key that is ``True`` when one superstep is left (see the module doc)."""


def managed_of(hint: Any) -> type[ManagedValue] | None:
    """The managed value a state key's annotation declares, or ``None``.

    Example:
        >>> managed_of(RemainingSteps).__name__, managed_of(int)
        ('RemainingStepsManager', None)
    """
    if typing.get_origin(hint) is not Annotated:
        return None
    for extra in typing.get_args(hint)[1:]:
        if isinstance(extra, type) and issubclass(extra, ManagedValue):
            return extra
    return None
