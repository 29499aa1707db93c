"""The compiled, immutable description of a graph that the loop runs."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from nbpregel.channels.base import BaseChannel
from nbpregel.constants import TASKS
from nbpregel.errors import GraphValidationError, InvalidUpdateError
from nbpregel.pregel._plan import GraphIndex
from nbpregel.types import Command, Send

__all__ = ["GraphSpec", "breakpoint_names", "map_input"]

Interrupts = frozenset[str] | Literal["*"]


@dataclasses.dataclass(frozen=True, slots=True)
class GraphSpec:
    """Everything the loop needs to know of a graph, fixed at compile time.

    Attributes:
        index: nodes and the trigger index.
        channels: channel *specs*; every run copies them.
        input_channels: where input goes: one channel (the whole input) or several (a dict).
        output_channels: what a run returns: one channel's value or a dict of several.
        stream_channels: what ``values`` / ``updates`` / ``tasks`` chunks show (for a state
            graph, every state key; the output schema applies only to ``invoke``'s result).
        finishers: channels with a ``finish()`` rule (deferred nodes and barriers).
        clearable: channels whose ``update([])`` may clear them.
        stream_keys: ``stream_channels`` as a set (chunks look every write up in it).
        interrupt_before: nodes to pause before (``"*"``: all).
        interrupt_after: nodes to pause after.
        step_timeout: seconds a superstep may take, or ``None``.
        fail_fast: a failed task ends its step at once: tasks not started yet never start,
            running async tasks are cancelled, and a running sync task's result is dropped.
        state_readers: the nodes whose input is the state as ``values`` chunks show it (they
            read ``stream_channels``, unmapped): a traced run plans their input as a copy of
            the state traced at the checkpoint before, and a finished task's input is that state.
        input_mapper: turns a run's input into writes, for a graph whose input is not simply
            its input channels' values (a vertex program's initial values); it raises
            ``InvalidUpdateError`` for input it refuses.
        ends_early: a step may end with a sync node's call still running (a ``step_timeout``,
            or ``fail_fast``): such calls are noted while they run (``pregel/_orphans.py``).
    """

    index: GraphIndex
    channels: Mapping[str, BaseChannel[Any, Any]]
    input_channels: str | tuple[str, ...]
    output_channels: str | tuple[str, ...]
    stream_channels: str | tuple[str, ...]
    finishers: tuple[str, ...]
    clearable: frozenset[str]
    stream_keys: str | frozenset[str]
    interrupt_before: Interrupts = frozenset()
    interrupt_after: Interrupts = frozenset()
    step_timeout: float | None = None
    fail_fast: bool = False
    command_mapper: Callable[[Command[Any]], list[tuple[str, Any]]] | None = None
    input_mapper: Callable[[Any], list[tuple[str, Any]]] | None = None
    state_readers: frozenset[str] = frozenset()
    ends_early: bool = dataclasses.field(init=False, default=False)

    def __post_init__(self) -> None:
        check_run_settings(self.step_timeout, self.fail_fast)
        # frozen: the derived field is set the way dataclasses set fields
        object.__setattr__(self, "ends_early", self.step_timeout is not None or self.fail_fast)
        self._check_breakpoints(self.interrupt_before, "interrupt_before")
        self._check_breakpoints(self.interrupt_after, "interrupt_after")

    def run_breakpoints(
        self, before: Sequence[str] | str | None, after: Sequence[str] | str | None
    ) -> tuple[Interrupts, Interrupts]:
        """A run's breakpoints: the ones it was given (checked), else the compiled ones."""
        before_names = self._run_breakpoints(before, "interrupt_before")
        return before_names, self._run_breakpoints(after, "interrupt_after")

    def _run_breakpoints(self, given: Sequence[str] | str | None, role: str) -> Interrupts:
        if given is None:
            compiled: Interrupts = getattr(self, role)
            return compiled
        names = breakpoint_names(given, role)
        self._check_breakpoints(names, role)
        return names

    def _check_breakpoints(self, names: Interrupts, role: str) -> None:
        nodes = self.index.nodes
        if names == "*":
            return
        for name in sorted(names):
            if name not in nodes:
                known = sorted(key for key, node in nodes.items() if not node.hidden)
                raise GraphValidationError(
                    f"{role} names unknown node {name!r} (known nodes: {known})"
                )

    def command_writes(self, command: Command[Any]) -> list[tuple[str, Any]]:
        """The writes of a ``Command`` given as input (its ``update`` and ``goto``)."""
        if self.command_mapper is not None:
            return self.command_mapper(command)
        writes: list[tuple[str, Any]] = list(command.update_items())
        for target in command.goto_targets():
            if not isinstance(target, Send):
                raise InvalidUpdateError(
                    f"Command(goto={target!r}) needs a StateGraph; in a low-level Pregel graph "
                    f"route with Send(node, arg)"
                )
            writes.append((TASKS, target))
        return writes

    @classmethod
    def build(
        cls,
        index: GraphIndex,
        channels: Mapping[str, BaseChannel[Any, Any]],
        *,
        stream_channels: str | tuple[str, ...],
        **kwargs: Any,
    ) -> GraphSpec:
        """A spec whose finisher and clearable sets are derived from the channel kinds."""
        finishers = tuple(
            name for name, ch in channels.items() if type(ch).finish is not BaseChannel.finish
        )
        clearable = frozenset(name for name, ch in channels.items() if ch.clears_when_idle)
        state_readers = frozenset(
            name
            for name, node in index.nodes.items()
            if node.reads == stream_channels and node.mapper is None and not node.managed
        )
        return cls(
            index=index,
            channels=channels,
            stream_channels=stream_channels,
            finishers=finishers,
            clearable=clearable,
            state_readers=state_readers,
            stream_keys=(
                stream_channels if isinstance(stream_channels, str) else frozenset(stream_channels)
            ),
            **kwargs,
        )


def breakpoint_names(value: Sequence[str] | str | None, role: str) -> Interrupts:
    """Breakpoints as given for ``role`` (a name, names, ``"*"`` or ``None``) as the spec keeps
    them."""
    if value is None:
        return frozenset()
    if value == "*":
        return "*"
    if isinstance(value, str):
        return frozenset([value])
    try:
        return frozenset(value)
    except TypeError:
        raise GraphValidationError(
            f'{role}={value!r} is not node names: give a node\'s name, a list of names, "*" '
            f"for every node, or None"
        ) from None


def check_run_settings(step_timeout: Any, fail_fast: Any) -> None:
    """Refuse a ``step_timeout`` that is not positive seconds (or ``None``), or a ``fail_fast``
    that is not a bool, naming the value and the fix.

    >>> check_run_settings(0.5, False)
    >>> try:
    ...     check_run_settings(0, False)
    ... except GraphValidationError as error:
    ...     print(str(error).split(":")[0])
    step_timeout=0 is not a number of seconds above 0
    """
    seconds = isinstance(step_timeout, (int, float)) and not isinstance(step_timeout, bool)
    if step_timeout is not None and not (
        seconds and step_timeout > 0 and math.isfinite(step_timeout)
    ):
        raise GraphValidationError(
            f"step_timeout={step_timeout!r} is not a number of seconds above 0: give positive "
            f"seconds (an int or a float), or None for no limit"
        )
    if not isinstance(fail_fast, bool):
        raise GraphValidationError(
            f"fail_fast={fail_fast!r} is not a bool: give True (a failed task ends its step at "
            f"once) or False (the step's other tasks finish)"
        )


def map_input(spec: GraphSpec, value: Any) -> list[tuple[str, Any]]:
    """The writes that feed ``value`` into the graph's input channels."""
    if spec.input_mapper is not None:
        return spec.input_mapper(value)
    inputs = spec.input_channels
    if isinstance(inputs, str):
        return [(inputs, value)]
    if not isinstance(value, Mapping):
        raise InvalidUpdateError(
            f"input must be a dict with keys among {list(inputs)}, got {type(value).__name__}"
        )
    unknown = [key for key in value if key not in inputs]
    if unknown:
        raise InvalidUpdateError(
            f"input has unknown keys {unknown}: the input channels are {list(inputs)}"
        )
    return [(key, val) for key, val in value.items() if key != TASKS]
