"""``Space``: the records of one namespace of a recording, and the ``trace`` events it holds.

Each namespace (the root graph ``""``, a subgraph run ``"sub:<task id>"``, ...) has its own
steps, as the engine numbers them. A ``trace`` stream's events are not copied into per-step
lists: a space keeps the chunks they came in, and notes for each step where its events are
(``Span``: three numbers packed in one int, which the cyclic garbage collector never visits, so
holding a run's steps costs it nothing). A chunk is let go once none of its events is held.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from nbpregel.notebook._records import Channels, StepRecord, TaskRecord

__all__ = ["UNSET", "Space", "Span"]

Span = int
"""Where some of a step's ``trace`` events are: chunk number, start and stop, packed in one int
(``chunk << 64 | start << 32 | stop``; a chunk holds fewer than 2**32 events)."""
_BITS: Final = 32
_LOW: Final = (1 << _BITS) - 1
_NEXT_EVENT: Final = (1 << _BITS) + 1
"""Added to a span of one event, the span of the event after it."""
UNSET: Final = object()
"""No input was noted for the next run."""


class Space:
    """The records of one namespace: its steps, its tasks, and what links one step to the next.

    Attributes:
        ns: the namespace.
        steps: step number -> record (the input checkpoints are in ``inputs``).
        tasks: ``(step, task id)`` -> record.
        inputs: the input checkpoints (source ``input``), by step.
        replays: tasks a resumed step announced again, whose result must be ignored.
        last_updated: the channels the latest checkpoint updated (what triggers the next step).
        start_task: the ``__start__`` task waiting for its checkpoint.
        input: the input of the next run, when known (``UNSET`` otherwise).
        held: the ``trace`` events of each step not made into records yet (see
            ``_trace_ingest``): where they are in ``chunks``, a ``Span``, or a tuple of spans
            when they came in pieces.
        chunks: the ``trace`` chunks of this namespace, in order of arrival (emptied once
            none of their events is held).
        spans_left: how many held spans each chunk still has.
    """

    __slots__ = (
        "chunks",
        "held",
        "input",
        "inputs",
        "last_updated",
        "ns",
        "replays",
        "spans_left",
        "start_task",
        "steps",
        "tasks",
    )

    def __init__(self, ns: str, input: Any = UNSET) -> None:
        self.ns = ns
        self.steps: dict[int, StepRecord] = {}
        self.tasks: dict[tuple[int, str], TaskRecord] = {}
        self.inputs: dict[int, StepRecord] = {}
        self.replays: set[tuple[int, str]] = set()
        self.last_updated: Channels = ()
        self.start_task: TaskRecord | None = None
        self.input = input
        self.held: dict[int, Span | tuple[Span, ...]] = {}
        self.chunks: list[Sequence[tuple[Any, ...]]] = []
        self.spans_left: list[int] = []

    def tasks_of(self, step: int) -> list[TaskRecord]:
        """The tasks of ``step``, in the order they were planned."""
        record = self.steps.get(step)
        if record is None:
            return []
        return [self.tasks[(step, task_id)] for task_id in record.task_ids]

    def ordered(self) -> list[StepRecord]:
        """The step records, by step (held steps not included)."""
        return [self.steps[step] for step in sorted(self.steps)]

    def step_numbers(self) -> list[int]:
        """Every recorded step, held or not, in order."""
        return sorted(self.steps.keys() | self.held.keys())

    def add_chunk(self, events: Sequence[tuple[Any, ...]]) -> int:
        """Keep a ``trace`` chunk while it is applied (until ``applied``) and while any of its
        events is held; returns its number."""
        self.chunks.append(events)
        self.spans_left.append(1)  # the application's own hold
        return len(self.chunks) - 1

    def applied(self, chunk: int) -> None:
        """The chunk is applied: keep it only while some of its events are held."""
        self.spans_left[chunk] -= 1
        self.release(chunk)

    def release(self, chunk: int) -> None:
        """Let a chunk go once it has no held span left."""
        if not self.spans_left[chunk]:
            self.chunks[chunk] = ()

    def hold(self, step: int, chunk: int, start: int, stop: int) -> None:
        """Hold events ``start:stop`` of chunk number ``chunk``, which are of ``step``."""
        if start == stop:
            return
        self.spans_left[chunk] += 1
        span = chunk << 2 * _BITS | start << _BITS | stop
        found = self.held.get(step)
        if found is None:
            self.held[step] = span
        else:  # a step in pieces (continued in a later chunk, or resumed)
            self.held[step] = (*_spans(found), span)

    def hold_each(self, first: int, chunk: int, begin: int, end: int) -> bool:
        """Hold the events ``begin:end`` of chunk number ``chunk`` as one step's each, from step
        ``first`` on (a quick run's STEP events); returns ``False``, holding nothing, when one
        of those steps holds events already (then each must be held with ``hold``, in order).

        Spans and steps are made by ``range`` and the dict is filled by ``update``: holding a
        quick run's steps costs no Python operation per step.
        """
        count = end - begin
        steps = range(first, first + count)
        held = self.held
        if count <= 0 or not held.keys().isdisjoint(steps):
            return False
        span = chunk << 2 * _BITS | begin << _BITS | begin + 1  # events begin:begin + 1
        spans = range(span, span + count * _NEXT_EVENT, _NEXT_EVENT)
        held.update(zip(steps, spans, strict=True))
        self.spans_left[chunk] += count
        return True

    def held_events(self, step: int) -> Sequence[tuple[Any, ...]]:
        """The held events of ``step``, in order (none if it holds none)."""
        found = self.held.get(step)
        if found is None:
            return ()
        if isinstance(found, int):
            chunk, start, stop = _unpack(found)
            return self.chunks[chunk][start:stop]
        return [event for span in found for event in _events(self.chunks, span)]

    def take(self, step: int) -> Sequence[tuple[Any, ...]]:
        """The held events of ``step``, no longer held (their chunks let go when done)."""
        events = self.held_events(step)
        found = self.held.pop(step, None)
        if found is not None:
            for span in _spans(found):
                chunk = span >> 2 * _BITS
                self.spans_left[chunk] -= 1
                self.release(chunk)
        return events


def _spans(held: Span | tuple[Span, ...]) -> tuple[Span, ...]:
    """A step's held spans, whether it holds one or several."""
    return (held,) if isinstance(held, int) else held


def _unpack(span: Span) -> tuple[int, int, int]:
    """A span's chunk number, start and stop."""
    return span >> 2 * _BITS, span >> _BITS & _LOW, span & _LOW


def _events(chunks: list[Sequence[tuple[Any, ...]]], span: Span) -> Sequence[tuple[Any, ...]]:
    chunk, start, stop = _unpack(span)
    return chunks[chunk][start:stop]
