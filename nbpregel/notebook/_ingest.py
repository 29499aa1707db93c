"""The event side of the recorder: stream chunks applied to step, task and interrupt records.

Recording a chunk only queues it (a deque append, safe from any thread); the queue is applied
to the records when something is read, under the store's lock. A run streamed into a recorder
therefore pays almost nothing per event, and the work is done once, when a view or a user
looks. :class:`~nbpregel.notebook.recorder.Recorder` adds the public API (recording entry
points, tables, state); the handlers here assume its lock is held.

Each namespace (the root graph ``""``, a subgraph run ``"sub:<task id>"``, ...) has its own
steps, as the engine numbers them: a subgraph's run starts again from step ``-1``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import INTERRUPT, NS_END, NS_SEP, PUSH_TRIGGER, START, StreamMode, TaskKind
from nbpregel.notebook._records import (
    Channels,
    InterruptRecord,
    Stamp,
    StepRecord,
    TaskRecord,
    fill_checkpoint,
    seconds,
    start_writes,
    step_status,
)
from nbpregel.notebook._space import UNSET, Space
from nbpregel.notebook._tables import StepStatus, TaskStatus
from nbpregel.notebook._trace_ingest import TraceIngest

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ROOT", "UNSET", "RecordStore", "Space", "is_pause_update", "ns_depth"]

ROOT: Final = ""
"""The namespace of the root graph."""
_DEBUG: Final = StreamMode.DEBUG.value
_TRACE: Final = StreamMode.TRACE.value
_UPDATES: Final = StreamMode.UPDATES.value
_VALUES: Final = StreamMode.VALUES.value
_TASK: Final = "task"
_TASK_RESULT: Final = "task_result"
_CHECKPOINT: Final = "checkpoint"
_INPUT_SOURCE: Final = "input"
_FINISHED: Final = frozenset({TaskStatus.OK, TaskStatus.CACHED})


def ns_depth(ns: str) -> int:
    """How deep a namespace is nested: 0 for the root, 1 for a subgraph of it, ...

    Example:
        >>> ns_depth(""), ns_depth("sub:1"), ns_depth("sub:1|inner:2")
        (0, 1, 2)
    """
    return ns.count(NS_SEP) + 1 if ns else 0


class RecordStore(TraceIngest):
    """The records of a run, the queue of chunks not applied yet, and the handlers."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._queue: deque[tuple[Any, ...]] = deque()
        self._taken = 0  # chunks queued so far
        self._edits = 0  # other changes: answers, failures
        self._applying = False
        self._root = Space(ROOT)
        self._spaces: dict[str, Space] = {ROOT: self._root}
        self._ns_names: dict[tuple[str, ...], str] = {(): ROOT}
        self._interrupts: dict[str, InterruptRecord] = {}
        self._task_index: dict[str, TaskRecord] = {}  # every namespace's tasks, by id
        # task id -> the subgraph runs inside it, at any depth (a namespace part ends with the id)
        self._inside: dict[str, list[Space]] = {}
        self._frames: dict[str, pd.DataFrame] = {}
        self._frames_at = 0
        self._at_breakpoint = False
        # Task results without their writes to the edges' channels: a step's edges are read
        # from the triggers of the next step's tasks (see ``_highlight``).
        self.edges_inferred = False
        self._root_traced = False  # the root graph is recorded from a ``trace`` stream
        self._last_checkpoint_id: str | None = None

    @property
    def events(self) -> int:
        """How many changes were recorded (chunks and answers): a cheap way to notice change."""
        return self._taken + self._edits

    def _apply_queue(self) -> None:
        """Apply the queued chunks, oldest first (the lock is held)."""
        queue = self._queue
        if not queue or self._applying:
            return
        self._applying = True
        try:
            while queue:
                self._apply(queue.popleft())
        finally:
            self._applying = False

    def _apply(self, chunk: tuple[Any, ...]) -> None:
        """Apply one chunk: ``trace`` events, a ``debug`` event, or a pause in ``updates``."""
        root = len(chunk) == 2 or not chunk[0]
        mode, event = chunk[-2], chunk[-1]
        space = self._root if root else self._space(chunk[0])
        if mode == _TRACE:
            self._apply_trace(space, event, root=root)
            return
        if mode == _VALUES:
            self._on_values(space, event)
            return
        if root:
            self._at_breakpoint = mode == _UPDATES and not event[INTERRUPT]  # a static one
        if mode != _DEBUG:
            return
        kind, step, payload = event["type"], event["step"], event["payload"]
        if kind == _TASK:
            self._on_task(space, step, event.get("timestamp"), payload)
        elif kind == _TASK_RESULT:
            self._on_task_result(space, step, payload)
        elif kind == _CHECKPOINT:
            self._on_checkpoint(space, step, event.get("timestamp"), payload)

    def _space(self, parts: tuple[str, ...]) -> Space:
        ns = self._ns_names.get(parts)
        if ns is None:
            ns = self._ns_names[parts] = NS_SEP.join(parts)
        space = self._spaces.get(ns)
        if space is None:
            # A subgraph's input is what the task running it received; a numbered part (the
            # second or later graph run one task started) has an input the stream does not say.
            ends = [part.rpartition(NS_END) for part in parts]
            task_ids = [task_id for _, sep, task_id in ends if sep]
            first_run = bool(ends[-1][1])
            parent = self._find_task(task_ids[-1]) if first_run and task_ids else None
            space = self._spaces[ns] = Space(ns, UNSET if parent is None else parent.input)
            for task_id in task_ids:
                self._inside.setdefault(task_id, []).append(space)
        return space

    # -- events -----------------------------------------------------------------------------

    def _on_checkpoint(
        self, space: Space, step: int, at: Stamp, payload: Mapping[str, Any]
    ) -> None:
        metadata = payload.get("metadata") or {}
        if metadata.get("source") == _INPUT_SOURCE:
            record = StepRecord(step=step, started_at=at, checkpointed=True, ns=space.ns)
            fill_checkpoint(record, at, payload)
            space.inputs[step] = record
            space.last_updated = record.updated_channels  # what step 0 is triggered by
            for task in payload.get("tasks") or ():
                if task.get("name") == START:
                    self._begin_start_task(space, step + 1, str(task["id"]), at)
        else:
            record = self._step(space, step, at)
            record.checkpointed = True
            fill_checkpoint(record, at, payload)
            self._finish_start_task(space, record)
        space.last_updated = record.updated_channels
        if space.ns == ROOT:
            self._last_checkpoint_id = record.checkpoint_id

    def _on_values(self, space: Space, values: Any) -> None:
        """The state after the latest step, from a ``values`` chunk: it finishes that step's
        record unless a checkpoint event did (or will: it then takes over), or a task of the
        step did not finish (an interrupt, an error). A graph without a checkpointer streams
        no checkpoint events (LangGraph's); the input's chunk finds no step and is dropped."""
        if not space.steps:
            return
        record = space.steps[max(space.steps)]
        if record.checkpointed:
            return
        if any(task.status not in _FINISHED for task in space.tasks_of(record.step)):
            return
        record.checkpointed = True
        record.values = dict(values) if isinstance(values, Mapping) else {"value": values}
        record.finished_at = time.time()

    def _on_task(self, space: Space, step: int, at: Stamp, payload: Mapping[str, Any]) -> None:
        task_id = payload["id"]
        key = (step, task_id)
        earlier = space.tasks.get(key)
        if earlier is not None and earlier.status in _FINISHED:
            space.replays.add(key)  # a resumed step announces its finished tasks again
            return
        triggers = payload.get("triggers") or ()
        if type(triggers) is not tuple:
            triggers = tuple(triggers)
        kind = TaskKind.PUSH if PUSH_TRIGGER in triggers else TaskKind.PULL
        task = TaskRecord(
            step,
            task_id,
            payload["name"],
            kind,
            triggers,
            payload.get("input"),
            started_at=at,
            ns=space.ns,
        )
        self._add_task(space, task, at)

    def _on_task_result(self, space: Space, step: int, payload: Mapping[str, Any]) -> None:
        if "writes" not in payload:  # the state updates only (LangGraph's ``result``)
            self.edges_inferred = True
        key = (step, payload["id"])
        if key in space.replays:
            space.replays.discard(key)
            return
        task = space.tasks.get(key)
        if task is None:  # the recorder joined after the task started
            name = str(payload.get("name"))
            task = TaskRecord(step, key[1], name, TaskKind.PULL, (), None, ns=space.ns)
            self._add_task(space, task, None)
        self._task_finished(space, task, task.finish(payload))

    def _task_finished(self, space: Space, task: TaskRecord, interrupts: Sequence[Any]) -> None:
        """A task reported its result: index its interrupts, close the subgraph runs it ended."""
        step = task.step
        if task.status in _FINISHED and not interrupts:
            self._close_children(task.task_id)
        for interrupt in interrupts:
            interrupt_id, value = _interrupt_fields(interrupt)
            known = self._interrupts.get(interrupt_id)
            if known is not None and ns_depth(known.ns) > ns_depth(space.ns):
                continue  # the subgraph's own record names the node that asked
            self._interrupts[interrupt_id] = InterruptRecord(
                step, task.task_id, task.node, interrupt_id, value, ns=space.ns
            )

    # -- helpers ----------------------------------------------------------------------------

    def _step(
        self, space: Space, step: int, at: Stamp, triggered_by: Channels | None = None
    ) -> StepRecord:
        """The record of ``step``, made if new (triggered by ``triggered_by``, or by what the
        latest checkpoint applied updated)."""
        record = space.steps.get(step)
        if record is None:
            record = space.steps[step] = StepRecord(
                step=step,
                started_at=at,
                triggered_by=space.last_updated if triggered_by is None else triggered_by,
                ns=space.ns,
            )
        return record

    def _find_task(self, task_id: str) -> TaskRecord | None:
        """The record of a task of any namespace (held steps are made into records first)."""
        found = self._task_index.get(task_id)
        if found is None:
            self._settle_all()
            found = self._task_index.get(task_id)
        return found

    def _add_task(self, space: Space, task: TaskRecord, at: Stamp) -> None:
        record = self._step(space, task.step, at)
        key = (task.step, task.task_id)
        if key not in space.tasks:
            record.task_ids.append(task.task_id)
        elif not record.checkpointed and step_status(record, space.tasks_of(task.step)) in (
            StepStatus.INTERRUPTED,
            StepStatus.ERROR,
        ):
            record.started_at, record.error = at, None  # the step runs again, after a resume
        space.tasks[key] = task
        self._task_index[task.task_id] = task

    def _begin_start_task(self, space: Space, step: int, task_id: str, at: Stamp) -> None:
        value = None if space.input is UNSET else space.input
        task = TaskRecord(
            step, task_id, START, TaskKind.PULL, (START,), value, started_at=at, ns=space.ns
        )
        self._add_task(space, task, at)
        space.start_task = task

    def _finish_start_task(self, space: Space, record: StepRecord) -> None:
        """The ``__start__`` task of this step (if any) wrote what the checkpoint shows."""
        task = space.start_task
        if task is None or task.step != record.step:
            return
        space.start_task = None
        given = space.input if isinstance(space.input, Mapping) else {}
        task.writes, task.status, task.attempts = start_writes(record, given), TaskStatus.OK, 1
        start, end = seconds(task.started_at), seconds(record.finished_at)
        if start is not None and end is not None:
            task.duration_ms = (end - start) * 1000.0
        space.input = UNSET

    def _pending(self) -> list[InterruptRecord]:
        """The interrupts of interrupted tasks that have no answer yet."""
        for known in list(self._interrupts.values()):  # a re-run may be held by its step
            self._settle(self._spaces[known.ns], known.step)
        return [
            record
            for record in self._interrupts.values()
            if record.answered_at is None
            and self._spaces[record.ns].tasks[(record.step, record.task_id)].status
            is TaskStatus.INTERRUPTED
        ]

    def _close_children(self, task_id: str) -> None:
        """A task that ran a subgraph finished: a step left open inside it was ended by a
        ``Command(graph=Command.PARENT)``, whose task reports no result of its own."""
        for space in self._inside.get(task_id, ()):
            self._settle_space(space)
            for record in space.ordered():
                if record.checkpointed:
                    continue
                for task in space.tasks_of(record.step):
                    if task.status is TaskStatus.RUNNING:
                        task.status = TaskStatus.OK
                record.handed_up = True

    def _fail_open_steps(self, error: BaseException) -> None:
        """The run stopped with ``error``: the root's last open step fails with it, and in every
        namespace the tasks that never reported a result fail."""
        self._settle_all()
        for space in self._spaces.values():
            open_steps = [s for s in space.ordered() if not s.checkpointed]
            if not open_steps:
                continue
            last = open_steps[-1]
            running = [t for t in space.tasks_of(last.step) if t.status is TaskStatus.RUNNING]
            if space.ns == ROOT or running:
                last.error = repr(error)
            for task in running:
                task.status = TaskStatus.ERROR
                task.error = f"did not finish: the run stopped with {error!r}"

    def _paused_before(self) -> tuple[str, ...]:
        if not self._at_breakpoint:
            return ()
        latest = self._latest_saved(self._root)
        return latest.next if latest is not None else ()


def _interrupt_fields(interrupt: Any) -> tuple[str, Any]:
    """An interrupt's id and value: from an ``Interrupt``, or from the dict LangGraph's
    ``debug`` stream reports it as (``{"value": ..., "id": ...}``).

    >>> _interrupt_fields({"value": "Ship it?", "id": "7fc8"})
    ('7fc8', 'Ship it?')
    """
    if isinstance(interrupt, Mapping):
        return str(interrupt["id"]), interrupt.get("value")
    return interrupt.id, interrupt.value


def is_pause_update(payload: Any) -> bool:
    """Whether an ``updates`` chunk reports a pause: ``{"__interrupt__": ...}``."""
    return type(payload) is dict and INTERRUPT in payload
