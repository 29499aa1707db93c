"""The event side of the recorder: stream events applied to step, task and interrupt records.

:class:`~nbpregel.notebook.recorder.Recorder` adds the public API (recording entry points,
tables, state); the handlers here assume its lock is held.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import PUSH_TRIGGER, START
from nbpregel.notebook._records import (
    InterruptRecord,
    Stamp,
    StepRecord,
    TaskRecord,
    fill_checkpoint,
    seconds,
    start_writes,
    step_status,
)
from nbpregel.notebook._tables import Kind, StepStatus, TaskStatus

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PUSH_TRIGGER", "RecordStore"]

"""The trigger of a task planned by a ``Send``."""
UNSET: Final = object()
"""No input was noted for the next run."""
_INPUT_SOURCE: Final = "input"
_FINISHED: Final = frozenset({TaskStatus.OK, TaskStatus.CACHED})


class RecordStore:
    """The records of a run, and the handlers that update them from stream events."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._steps: dict[int, StepRecord] = {}
        self._tasks: dict[tuple[int, str], TaskRecord] = {}
        self._interrupts: dict[str, InterruptRecord] = {}
        self._replays: set[tuple[int, str]] = set()
        self._inputs: dict[int, StepRecord] = {}  # input checkpoints, by step
        self._last_updated: tuple[str, ...] = ()
        self._input: Any = UNSET
        self._start_task: TaskRecord | None = None  # the __start__ task awaiting its checkpoint
        self._frames: dict[str, pd.DataFrame] = {}
        self.events = 0
        """How many events were recorded (a cheap way to notice change)."""
        self.paused_before: tuple[str, ...] = ()
        """The nodes a static breakpoint stopped before (empty unless paused at one)."""
        self.last_checkpoint_id: str | None = None
        """The id of the latest checkpoint recorded (the one a resume continues from)."""

    def tasks_of(self, step: int) -> list[TaskRecord]:
        """The task records of ``step``, in the order they were planned."""
        with self._lock:
            record = self._steps.get(step)
            if record is None:
                return []
            return [self._tasks[(step, task_id)] for task_id in record.task_ids]

    # -- events -----------------------------------------------------------------------------

    def _on_debug(self, event: Mapping[str, Any]) -> None:
        kind, step, payload = event["type"], event["step"], event["payload"]
        at = event.get("timestamp")
        if kind == "checkpoint":
            self._on_checkpoint(step, at, payload)
        elif kind == "task":
            self._on_task(step, at, payload)
        elif kind == "task_result":
            self._on_task_result(step, payload)

    def _on_checkpoint(self, step: int, at: Stamp, payload: Mapping[str, Any]) -> None:
        metadata = payload.get("metadata") or {}
        if metadata.get("source") == _INPUT_SOURCE:
            record = StepRecord(step=step, started_at=at, checkpointed=True)
            fill_checkpoint(record, at, payload)
            self._inputs[step] = record
            self._last_updated = record.updated_channels  # what step 0 is triggered by
            for task in payload.get("tasks") or ():
                if task.get("name") == START:
                    self._begin_start_task(step + 1, str(task["id"]), at)
        else:
            record = self._step(step, at)
            record.checkpointed = True
            fill_checkpoint(record, at, payload)
            self._finish_start_task(record)
        self._last_updated = record.updated_channels
        self.last_checkpoint_id = record.checkpoint_id
        self.paused_before = ()

    def _on_task(self, step: int, at: Stamp, payload: Mapping[str, Any]) -> None:
        key = (step, str(payload["id"]))
        earlier = self._tasks.get(key)
        if earlier is not None and earlier.status in _FINISHED:
            self._replays.add(key)  # a resumed step announces its finished tasks again
            return
        triggers = tuple(payload.get("triggers") or ())
        self._add_task(
            TaskRecord(
                step=step,
                task_id=key[1],
                node=str(payload.get("name")),
                kind=Kind.PUSH if PUSH_TRIGGER in triggers else Kind.PULL,
                triggers=triggers,
                input=payload.get("input"),
                started_at=at,
            ),
            at,
        )

    def _on_task_result(self, step: int, payload: Mapping[str, Any]) -> None:
        key = (step, str(payload["id"]))
        if key in self._replays:
            self._replays.discard(key)
            return
        task = self._tasks.get(key)
        if task is None:  # the recorder joined after the task started
            task = TaskRecord(step, key[1], str(payload.get("name")), Kind.PULL, (), None)
            self._add_task(task, None)
        for interrupt in task.finish(payload):
            self._interrupts[interrupt.id] = InterruptRecord(
                step, task.task_id, task.node, interrupt.id, interrupt.value
            )

    def _on_interrupt_update(self, interrupts: Sequence[Any]) -> None:
        if interrupts:
            return  # the task_result that follows carries them, with their task
        checkpointed = [s for s in self._steps.values() if s.checkpointed]
        self.paused_before = checkpointed[-1].next if checkpointed else ()

    # -- helpers ----------------------------------------------------------------------------

    def _step(self, step: int, at: Stamp) -> StepRecord:
        record = self._steps.get(step)
        if record is None:
            record = self._steps[step] = StepRecord(
                step=step, started_at=at, triggered_by=self._last_updated
            )
        return record

    def _add_task(self, task: TaskRecord, at: Stamp) -> None:
        record = self._step(task.step, at)
        key = (task.step, task.task_id)
        if key not in self._tasks:
            record.task_ids.append(task.task_id)
        elif not record.checkpointed and step_status(record, self.tasks_of(task.step)) in (
            StepStatus.INTERRUPTED,
            StepStatus.ERROR,
        ):
            record.started_at, record.error = at, None  # the step runs again, after a resume
        self._tasks[key] = task
        self.paused_before = ()

    def _begin_start_task(self, step: int, task_id: str, at: Stamp) -> None:
        value = None if self._input is UNSET else self._input
        task = TaskRecord(step, task_id, START, Kind.PULL, (START,), value, started_at=at)
        self._add_task(task, at)
        self._start_task = task

    def _finish_start_task(self, record: StepRecord) -> None:
        """The ``__start__`` task of this step (if any) wrote what the checkpoint shows."""
        task = self._start_task
        if task is None or task.step != record.step:
            return
        self._start_task = None
        given = self._input if isinstance(self._input, Mapping) else {}
        task.writes, task.status, task.attempts = start_writes(record, given), TaskStatus.OK, 1
        start, end = seconds(task.started_at), seconds(record.finished_at)
        if start is not None and end is not None:
            task.duration_ms = (end - start) * 1000.0
        self._input = UNSET
