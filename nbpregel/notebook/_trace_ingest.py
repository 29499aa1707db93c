"""The ``trace`` side of the recorder: the engine's own events applied to the records.

A ``trace`` chunk is a list of events that share the engine's task objects (see
:class:`nbpregel.constants.TraceEvent`), so it costs the run little to make. Applying one is
cheap too: a checkpoint fills its step record at once (the state, what changed, the time), but
the task events of a step are only kept in the step's *inbox*, and turned into task records
when something reads that step's tasks (a view showing it, a table, a question about pending
interrupts). A live view that shows the latest step therefore never pays for the steps it does
not show, and a run of many tasks records at the cost of a list append per event.

:class:`TraceIngest` is a part of :class:`~nbpregel.notebook._ingest.RecordStore`; the
handlers assume its lock is held.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import TraceEvent
from nbpregel.notebook._records import StepRecord, TaskRecord
from nbpregel.notebook._tables import TaskStatus

if TYPE_CHECKING:
    from nbpregel.notebook._ingest import Space
    from nbpregel.notebook._records import Stamp
    from nbpregel.types import TracedTask

__all__ = ["TraceIngest"]

_TASKS: Final = TraceEvent.TASKS.value
_DONE: Final = TraceEvent.DONE.value
_CHECKPOINT: Final = TraceEvent.CHECKPOINT.value
_PAUSE: Final = TraceEvent.PAUSE.value
_INPUT_SOURCE: Final = "input"
_FINISHED: Final = frozenset({TaskStatus.OK, TaskStatus.CACHED})


class TraceIngest:
    """Apply ``trace`` events; settle a step's task events when its tasks are read."""

    _unsettled: deque[tuple[Space, StepRecord]]
    _inside: dict[str, list[Space]]
    _at_breakpoint: bool
    _last_checkpoint_id: str | None

    def _apply_trace(self, space: Space, events: Sequence[tuple[Any, ...]], root: bool) -> None:
        """Apply one ``trace`` chunk of namespace ``space``."""
        if root:
            self._at_breakpoint = False  # until a pause says otherwise
        for event in events:
            kind = event[0]
            if kind == _DONE:
                self._on_traced_done(space, event)
            elif kind == _TASKS:
                self._on_traced_tasks(space, event)
            elif kind == _CHECKPOINT:
                self._on_traced_checkpoint(space, event)
            elif kind == _PAUSE:
                self._on_traced_pause(space, event[2], root)

    def _on_traced_tasks(self, space: Space, event: tuple[Any, ...]) -> None:
        _, step, tasks, at = event
        record = self._step(space, step, at)
        self._hold(space, record, event)
        before = space.steps.get(step - 1) or space.inputs.get(step - 1)
        if before is not None and before.checkpointed:
            before.next = tuple([task.name for task in tasks])

    def _on_traced_done(self, space: Space, event: tuple[Any, ...]) -> None:
        step, task = event[1], event[2]
        record = space.steps.get(step)
        if record is None:  # the recorder joined after the step started
            record = self._step(space, step, None)
        self._hold(space, record, event)
        if task.interrupts or task.id in self._inside:
            # Settled now: its interrupts are asked for at once, and the subgraph runs it
            # ran may have steps to close.
            self._settle(space, record)

    def _on_traced_checkpoint(self, space: Space, event: tuple[Any, ...]) -> None:
        _, step, source, checkpoint_id, values, updated, version, every, at = event
        if source == _INPUT_SOURCE:
            record = space.inputs[step] = StepRecord(step=step, started_at=at, ns=space.ns)
        else:
            record = self._step(space, step, at)
        record.checkpointed = True
        record.values = values if type(values) is dict else _as_state(values)
        record.updated_channels = updated  # sorted when a row is made
        record.finished_at = at
        record.checkpoint_id = checkpoint_id
        versions = space.versions
        if every is not None:
            versions.update(every)
        versions.update(dict.fromkeys(record.values.keys() & updated, version))
        record.versions = versions.copy()
        space.last_updated = record.updated_channels
        if not space.ns:
            self._last_checkpoint_id = checkpoint_id

    def _on_traced_pause(self, space: Space, nodes: tuple[str, ...], root: bool) -> None:
        latest = space.latest_saved()
        if latest is not None:
            latest.next = nodes
        if root:
            self._at_breakpoint = True

    # -- settling ---------------------------------------------------------------------------

    def _hold(self, space: Space, record: StepRecord, event: tuple[Any, ...]) -> None:
        if not record.inbox:
            self._unsettled.append((space, record))
        record.inbox.append(event)

    def _settle_all(self) -> None:
        """Turn every held task event into task records, oldest step first."""
        while self._unsettled:
            space, record = self._unsettled.popleft()
            self._settle(space, record)

    def _settle(self, space: Space, record: StepRecord) -> None:
        """Turn the task events ``record`` holds into task records, in order."""
        events, record.inbox = record.inbox, []
        for event in events:
            if event[0] == _TASKS:
                self._settle_planned(space, event[1], event[2], event[3])
            else:
                self._settle_done(space, event[1], event[2])

    def _settle_planned(
        self, space: Space, step: int, tasks: Sequence[TracedTask], at: Stamp
    ) -> None:
        for task in tasks:
            key = (step, task.id)
            earlier = space.tasks.get(key)
            if earlier is not None and earlier.status in _FINISHED:
                space.replays.add(key)  # a resumed step plans its finished tasks again
                continue
            self._add_task(space, TaskRecord.planned(task, step, space.ns, at), at)

    def _settle_done(self, space: Space, step: int, task: TracedTask) -> None:
        key = (step, task.id)
        if key in space.replays:
            space.replays.discard(key)
            return
        record = space.tasks.get(key)
        if record is None:  # the recorder joined after the task started
            record = TaskRecord.planned(task, step, space.ns, None)
            self._add_task(space, record, None)
        self._task_finished(space, record, record.settle(task))

    # -- provided by RecordStore ------------------------------------------------------------

    def _step(self, space: Space, step: int, at: Stamp) -> StepRecord:
        raise NotImplementedError

    def _add_task(self, space: Space, task: TaskRecord, at: Stamp) -> None:
        raise NotImplementedError

    def _task_finished(self, space: Space, task: TaskRecord, interrupts: Sequence[Any]) -> None:
        raise NotImplementedError


def _as_state(values: Any) -> dict[str, Any]:
    """A state that is not a dict (a graph with one output channel) as one."""
    return dict(values) if isinstance(values, Mapping) else {"value": values}
