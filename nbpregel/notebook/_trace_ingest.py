"""The ``trace`` side of the recorder: the engine's own events, held by step, read on demand.

A ``trace`` chunk is a list of events that share the engine's task objects (see
:class:`nbpregel.constants.TraceEvent`), so it costs the run little to make. Applying one costs
little too: the space notes where each step's events are in it (``Space.held``: a span of the
chunk per step). A step's events become its step record and task records when something reads
that step (a view showing it, its state, a table). A live view that shows the latest step
therefore never pays for the steps it skips, and recording a run costs a few operations a step.
A step planned and ended in one chunk is one STEP event, without DONE events: its checkpoint
finishes its tasks.

A step's record does not depend on the records before it: what triggered it is read from the
previous step's checkpoint (held or not), what it changed from its own ``updated`` channels,
and channel versions are only added up when the ``channels`` table is built. A few events are
applied at once: an input's checkpoint, a pause, and the result of a task that asked
questions (its interrupts are pending at once) or ran a subgraph (whose open steps it closes).

:class:`TraceIngest` is a part of :class:`~nbpregel.notebook._ingest.RecordStore`; the
handlers assume its lock is held.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import islice
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import TraceEvent
from nbpregel.notebook._records import Channels, StepRecord, TaskRecord
from nbpregel.notebook._tables import TaskStatus

if TYPE_CHECKING:
    from nbpregel.notebook._records import Stamp
    from nbpregel.notebook._space import Space
    from nbpregel.types import TracedTask

__all__ = ["TraceIngest"]

# The members themselves (equal to their values): ``list.count`` and ``list.index`` find
# them by identity, without a string comparison.
_TASKS: Final = TraceEvent.TASKS
_DONE: Final = TraceEvent.DONE
_CHECKPOINT: Final = TraceEvent.CHECKPOINT
_PAUSE: Final = TraceEvent.PAUSE
_STEP: Final = TraceEvent.STEP
_INPUT_SOURCE: Final = "input"
_FINISHED: Final = frozenset({TaskStatus.OK, TaskStatus.CACHED})
_KIND: Final = itemgetter(0)
_STEP_OF: Final = itemgetter(1)


class TraceIngest:
    """Hold ``trace`` events by step; make a step's records when it is read."""

    _inside: dict[str, list[Space]]
    _spaces: dict[str, Space]
    _at_breakpoint: bool
    _root_traced: bool
    _last_checkpoint_id: str | None

    def _apply_trace(self, space: Space, events: Sequence[tuple[Any, ...]], root: bool) -> None:
        """Apply one ``trace`` chunk of namespace ``space``: note where each step's events are."""
        if root:
            self._root_traced = True
            self._at_breakpoint = False  # until a pause says otherwise
        chunk = space.add_chunk(events)
        # A quick run's STEP events, one a step in a row, are held at C speed if they can be.
        begin, end = _steps_block(events)
        latest_id = self._hold_by_step(space, chunk, events, root, (0, begin), None)
        if begin < end:
            if not space.hold_each(events[begin][1], chunk, begin, end):
                self._hold_by_step(space, chunk, events, root, (begin, end), None)
            latest_id = events[end - 1][5]
        latest_id = self._hold_by_step(space, chunk, events, root, (end, len(events)), latest_id)
        if root and latest_id is not None:
            self._last_checkpoint_id = latest_id
        space.applied(chunk)

    def _hold_by_step(
        self,
        space: Space,
        chunk: int,
        events: Sequence[tuple[Any, ...]],
        root: bool,
        where: tuple[int, int],
        latest_id: str | None,
    ) -> str | None:
        """Hold the events ``begin:end`` (``where``) of chunk number ``chunk`` step by step,
        applying the few that are applied at once; returns the chunk's latest checkpoint id as
        of ``end``, given ``latest_id`` as of ``begin`` (``None`` after an input's: that one is
        noted as it is applied)."""
        inside = self._inside
        begin, end = where
        at, start = None, begin  # the step of the run of events from ``start`` on
        for index, event in enumerate(islice(events, begin, end), begin):
            kind, step = event[0], event[1]
            if kind == _STEP:  # most events of a quick run
                if step != at:
                    if at is not None:
                        space.hold(at, chunk, start, index)
                    at, start = step, index
                latest_id = event[5]
                continue
            if (kind == _CHECKPOINT and event[2] == _INPUT_SOURCE) or kind == _PAUSE:
                if at is not None:
                    space.hold(at, chunk, start, index)
                    at = None
                if kind == _PAUSE:
                    self._on_traced_pause(space, event[2], root)
                else:
                    latest_id = None
                    self._on_input_checkpoint(space, event, root)
                continue
            if step != at:
                if at is not None:
                    space.hold(at, chunk, start, index)
                at, start = step, index
            if kind == _CHECKPOINT:
                latest_id = event[3]
            elif kind == _DONE and (event[2].interrupts or event[2].id in inside):
                space.hold(step, chunk, start, index + 1)
                self._settle(space, step)
                at = None
        if at is not None:
            space.hold(at, chunk, start, end)
        return latest_id

    def _on_input_checkpoint(self, space: Space, event: tuple[Any, ...], root: bool) -> None:
        step, saved = event[1], event[3:]  # saved: checkpoint_id ... at, as ``_fill`` takes
        if root:
            self._last_checkpoint_id = saved[0]
        record = space.inputs[step] = StepRecord(step=step, started_at=saved[-1], ns=space.ns)
        _fill(record, *saved)

    def _on_traced_pause(self, space: Space, nodes: tuple[str, ...], root: bool) -> None:
        latest = self._latest_saved(space)
        if latest is not None:
            latest.next = nodes
        if root:
            self._at_breakpoint = True

    # -- reading held steps -----------------------------------------------------------------

    def _settle(self, space: Space, step: int) -> StepRecord | None:
        """The record of ``step``, its held events made into records first (in order)."""
        for event in space.take(step):
            kind = event[0]
            if kind == _STEP:
                self._settle_planned(space, step, _tasks_of(event), event[3])
                self._settle_checkpoint(space, step, event[5:])
            elif kind == _TASKS:
                self._settle_planned(space, step, event[2], event[3])
            elif kind == _DONE:
                self._settle_done(space, step, event[2])
            else:
                self._settle_checkpoint(space, step, event[3:])
        return space.steps.get(step)

    def _settle_space(self, space: Space) -> None:
        """Make records of every held step of ``space``, oldest first."""
        for step in sorted(space.held):
            self._settle(space, step)

    def _settle_all(self) -> None:
        """Make records of every held step of every namespace."""
        for space in list(self._spaces.values()):
            self._settle_space(space)

    def _latest_saved(self, space: Space) -> StepRecord | None:
        """The latest step of ``space`` with a saved state (its checkpoint arrived), or its
        latest input's when that is newer (a run paused before its first step)."""
        latest_input = space.inputs[max(space.inputs)] if space.inputs else None
        for step in sorted(space.steps.keys() | space.held.keys(), reverse=True):
            if latest_input is not None and step < latest_input.step:
                break
            record = self._settle(space, step)
            if record is not None and record.checkpointed:
                return record
        return latest_input

    def _settle_planned(
        self, space: Space, step: int, tasks: Sequence[TracedTask], at: Stamp
    ) -> None:
        self._step(space, step, at, _updated_before(space, step))
        for task in tasks:
            key = (step, task.id)
            earlier = space.tasks.get(key)
            if earlier is not None and earlier.status in _FINISHED:
                space.replays.add(key)  # a resumed step plans its finished tasks again
                continue
            self._add_task(space, TaskRecord.planned(task, step, space.ns, at), at)
        before = space.steps.get(step - 1) or space.inputs.get(step - 1)
        if before is not None and before.checkpointed:
            before.next = tuple([task.name for task in tasks])

    def _settle_done(self, space: Space, step: int, task: TracedTask) -> None:
        key = (step, task.id)
        if key in space.replays:
            space.replays.discard(key)
            return
        record = space.tasks.get(key)
        if record is None:  # the recorder joined after the task started
            self._step(space, step, None, _updated_before(space, step))
            record = TaskRecord.planned(task, step, space.ns, None)
            self._add_task(space, record, None)
        self._task_finished(space, record, record.settle(task))

    def _settle_checkpoint(self, space: Space, step: int, saved: Sequence[Any]) -> None:
        """Make ``step``'s checkpoint into its record: ``saved`` are the event's fields from
        ``checkpoint_id`` on (see ``_fill``)."""
        at = saved[-1]
        record = self._step(space, step, at, _updated_before(space, step))
        # A step whose events travelled in one chunk has no DONE events: it ended, so every
        # task of it finished.
        for task in space.tasks_of(step):
            if task.status is TaskStatus.RUNNING and task.traced is not None:
                self._task_finished(space, task, task.settle(task.traced))
        if space.replays:
            space.replays.difference_update([key for key in space.replays if key[0] == step])
        _fill(record, *saved)
        if not record.next:
            record.next = _planned_after(space, step)

    # -- provided by RecordStore ------------------------------------------------------------

    def _step(
        self, space: Space, step: int, at: Stamp, triggered_by: Channels | None = None
    ) -> StepRecord:
        raise NotImplementedError

    def _add_task(self, space: Space, task: TaskRecord, at: Stamp) -> None:
        raise NotImplementedError

    def _task_finished(self, space: Space, task: TaskRecord, interrupts: Sequence[Any]) -> None:
        raise NotImplementedError


def _fill(
    record: StepRecord,
    checkpoint_id: str,
    values: Any,
    updated: Channels,
    version: Any,
    every: Mapping[str, Any] | None,
    at: Stamp,
) -> None:
    """Take a ``checkpoint`` event's state into ``record`` (kept, not copied)."""
    record.checkpointed = True
    record.values = values if type(values) is dict else _as_state(values)
    record.updated_channels = updated  # sorted when a row is made
    record.version, record.run_versions = version, every
    record.finished_at = at
    record.checkpoint_id = checkpoint_id


def _updated_before(space: Space, step: int) -> Channels:
    """The channels the checkpoint before ``step`` updated: what triggered ``step``."""
    prior = step - 1
    for event in reversed(space.held_events(prior)):
        kind = event[0]
        if kind == _STEP:
            return event[7]
        if kind == _CHECKPOINT:
            return event[5]
    record = space.steps.get(prior) or space.inputs.get(prior)
    return record.updated_channels if record is not None and record.checkpointed else ()


def _planned_after(space: Space, step: int) -> tuple[str, ...]:
    """The nodes planned for the step after ``step``, if it was recorded."""
    following = step + 1
    for event in space.held_events(following):
        if event[0] == _TASKS or event[0] == _STEP:
            return tuple([task.name for task in _tasks_of(event)])
    if following in space.steps:
        return tuple([task.node for task in space.tasks_of(following)])
    return ()


def _tasks_of(event: tuple[Any, ...]) -> Sequence[TracedTask]:
    """The tasks of a TASKS or STEP event (a STEP event of one task carries the task itself)."""
    tasks = event[2]
    return tasks if type(tasks) is list else [tasks]


def _steps_block(events: Sequence[tuple[Any, ...]]) -> tuple[int, int]:
    """Where the chunk's STEP events are when they are all in a row, of consecutive steps:
    ``(begin, end)`` (an empty block otherwise). Checked at C speed, with no Python operation
    per event."""
    kinds = list(map(_KIND, events))
    count = kinds.count(_STEP)
    if not count:
        return 0, 0
    begin = kinds.index(_STEP)
    end = begin + count
    first = events[begin][1]
    steps = list(map(_STEP_OF, islice(events, begin, end)))
    if kinds[begin:end].count(_STEP) != count or steps != list(range(first, first + count)):
        return 0, 0
    return begin, end


def _as_state(values: Any) -> dict[str, Any]:
    """A state that is not a dict (a graph with one output channel) as one."""
    return dict(values) if isinstance(values, Mapping) else {"value": values}
