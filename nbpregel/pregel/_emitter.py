"""What a run streams: the modes its callers asked for, and the chunks buffered for the driver.

:class:`~nbpregel.pregel._loop.RunLoop` inherits :class:`Emitter`: the loop calls its hooks at
the points of a superstep, the driver drains ``buffer`` between phases (``pregel/_run.py``).
Chunks are ``(namespace, mode, chunk)`` until the driver shapes them for the caller.

The ``trace`` mode (see :class:`~nbpregel.constants.TraceEvent`) is made for recorders, and
costs a fraction of ``debug``: its events are tuples that share the engine's task objects
instead of payload dicts, and the events the driver thread makes between two drains travel as
one chunk (the open *batch*). Anything else put in the buffer, or an event from another thread,
seals the batch first, so events keep their order across chunks. When the driver hands a batch
out is ``_run._due``'s rule: quick steps share one, for up to ``LIVE_AFTER_S``. A step whose
TASKS event is still in the open batch when it is saved becomes one STEP event there; a step
of one quick task makes no event until it is saved, unless something goes out first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import StreamMode, TaskKind, TraceEvent
from nbpregel.pregel import _chunks
from nbpregel.pregel._task import Task, WriteMap

if TYPE_CHECKING:
    from nbpregel.pregel._spec import GraphSpec
    from nbpregel.pregel._update import VersionState

__all__ = ["LIVE_AFTER_S", "QUICK_S", "Emitter", "StreamItem"]

StreamItem = tuple[tuple[str, ...], StreamMode, Any]
"""A buffered chunk: ``(namespace, mode, chunk)``."""
LIVE_AFTER_S: Final = 0.02
"""How long ``trace`` events wait to be handed out, at most, while the driver is free: a batch
this old goes out, and a step running this long hands its events out as they happen."""
QUICK_S: Final = 0.002
"""A node whose latest task finished within this is quick (see ``PregelNode.quick``)."""

_TASKS, _DEBUG, _TRACE, _CHECKPOINTS = (
    StreamMode.TASKS,
    StreamMode.DEBUG,
    StreamMode.TRACE,
    StreamMode.CHECKPOINTS,
)
_PULL: Final = TaskKind.PULL
_QUICK_MS: Final = QUICK_S * 1000.0
_MAP_WRITES: Final = 8
"""A finished traced task writing this many channels keeps them as a ``WriteMap``."""
_TRACE_TASKS: Final = TraceEvent.TASKS
_TRACE_DONE: Final = TraceEvent.DONE
_TRACE_CHECKPOINT: Final = TraceEvent.CHECKPOINT
_TRACE_PAUSE: Final = TraceEvent.PAUSE
_TRACE_STEP: Final = TraceEvent.STEP


class Emitter:
    """The stream side of a run: wanted modes, the buffer, and the chunk builders' hooks.

    Attributes:
        buffer: chunks not drained yet, oldest first (appended from any thread).
        watched: someone reads this run's chunks as they come: a mode other than ``trace``,
            whose batches may wait for the step's end, is streamed.
        announces: ``tasks`` or ``debug`` chunks report each task's start and result.
        tracing: ``trace`` events are made.
        emits_checkpoints: ``checkpoints`` or ``debug`` chunks report each checkpoint.
        batch: the open ``trace`` batch: the newest buffered chunk, which later events join
            (``None`` once sealed).
        loose: the buffer holds more than the open ``trace`` batch alone (a sealed batch,
            another mode's chunk): the driver hands it out at its next check. Cleared as the
            driver drains; a chunk put meanwhile may leave it set with nothing left, which
            only costs an empty drain.
        batch_due: the epoch time the open batch is due to go out: ``LIVE_AFTER_S`` after its
            first event, or after the current step's start if that is earlier.
        untraced: the tasks of the current step, when its events are not made yet (see
            ``announce_step``): a box of at most one list, emptied by one atomic ``pop``, so
            that only one thread makes them (holding a lock until they are buffered, so that
            the driver's report of the task, if it came too late for them, follows them).
            They are due as the open batch is, or ``LIVE_AFTER_S`` after the step's start when
            no batch is open.
        step_started: the epoch time the current step's tasks were announced.
        step_quick: every task of the current traced step is of a quick node: the step may run
            before its events are handed out, and the calling thread may run its tasks.
        state_before: the state traced at the latest checkpoint, while the channels still
            hold it (``None`` once they changed otherwise): what the step's tasks of
            ``spec.state_readers`` read. The plan gives them a copy of it (no second read of
            the channels), and their traced ``input`` becomes it once they finish (one dict
            kept, not two equal ones).
    """

    ns: tuple[str, ...]
    step: int
    spec: GraphSpec
    wake: Callable[[], None] | None
    updated: set[str] | None
    versions: VersionState

    def _init_stream(self, modes: frozenset[StreamMode]) -> None:
        self.buffer: deque[StreamItem] = deque()
        self._want = {mode: mode in modes for mode in StreamMode}
        self.watched = bool(modes - {_TRACE})
        self.announces = self._want[_TASKS] or self._want[_DEBUG]
        self.tracing = self._want[_TRACE]
        self.streams_messages = self._want[StreamMode.MESSAGES]
        self.emits_checkpoints = self._want[_CHECKPOINTS] or self._want[_DEBUG]
        self.batch: list[tuple[Any, ...]] | None = None
        self.loose = False
        self.batch_due = 0.0
        self.step_started = 0.0
        self.step_quick = False
        # The batch holding the current step's TASKS event, and where: while the step's events
        # stay in it, the step becomes one STEP event there (see ``trace_checkpoint``).
        self._step_batch: list[tuple[Any, ...]] | None = None
        self._step_at = 0
        self.untraced: list[list[Task]] = []
        # Whether the current step was left untraced; whether its task was reported meanwhile;
        # whether the thread that made its events made the DONE event too. That thread holds
        # the lock from taking the step out of the box until its chunk is buffered.
        self._deferred = False
        self._untraced_done = False
        self._done_made = False
        self._untraced_lock = threading.Lock()
        self._defers = self.tracing and not self.watched
        self._unreported: tuple[Any, ...] | None = None
        self.state_before: Any = None
        self._traced_versions = False
        self._last_updated: tuple[str, ...] = ()
        self._last_changed: frozenset[str] = frozenset()

    def wants(self, mode: StreamMode) -> bool:
        """Whether chunks of ``mode`` are made."""
        return self._want[mode]

    # -- the buffer -------------------------------------------------------------------------

    def emit(self, mode: StreamMode, chunk: Any) -> None:
        """Buffer ``chunk`` if ``mode`` is wanted (any thread; seals the open batch)."""
        if self._want[mode]:
            self.put((self.ns, mode, chunk))

    def put(self, item: StreamItem) -> None:
        """Buffer a chunk from any thread (the open batch is sealed first)."""
        if self.untraced:
            self._trace_untraced()  # the step's events come first
        self.batch = None
        self.buffer.append(item)
        self.loose = True  # set after the append: a drain in between clears it early

    def receive(self, item: StreamItem) -> None:
        """Take a chunk from a subgraph run by one of this run's tasks, and wake the driver
        (thread-safe)."""
        self.put(item)
        if self.wake is not None:
            self.wake()

    def custom(self, chunk: Any) -> None:
        """Emit a ``custom`` chunk from a running node."""
        if self._want[StreamMode.CUSTOM]:
            self.receive((self.ns, StreamMode.CUSTOM, chunk))

    def seal(self) -> None:
        """End the open ``trace`` batch: the driver is about to hand out every chunk (the
        current step's events included)."""
        if self.untraced:
            self._trace_untraced()
        self.batch = None
        self.loose = False

    def _trace(self, event: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Add ``event`` to the open batch (opened if need be); returns the batch."""
        batch = self.batch
        if batch is None:
            self.batch = batch = [event]
            self.batch_due = min(self.step_started, time.time()) + LIVE_AFTER_S
            self.buffer.append((self.ns, _TRACE, batch))
        else:
            batch.append(event)
        return batch

    # -- task events ------------------------------------------------------------------------

    def announce_step(self, tasks: list[Task]) -> None:
        """The step's tasks start (the driver thread).

        The TASKS event of a step whose one task is of a quick node is not made now: when
        nothing else goes out before the step is saved, the step is one STEP event, made then.
        Whatever goes out first (a drain, a chunk put from the task's thread) makes the step's
        events before it (``_trace_untraced``).
        """
        self.step_started = now = time.time()
        if self.tracing:
            quick = True
            for task in tasks:
                if not task.node.quick:
                    quick = False
                    break
            self.step_quick = quick
            self._deferred = deferred = quick and self._defers and len(tasks) == 1
            if deferred:
                self._untraced_done = False
                if self.batch is None:
                    self.batch_due = now + LIVE_AFTER_S
                self.untraced.append(tasks)
            else:
                self._step_batch = batch = self._trace((_TRACE_TASKS, self.step, tasks, now))
                self._step_at = len(batch) - 1
        if self.announces:
            for task in tasks:
                if not task.node.hidden:
                    self._announce(task)

    def report_task(self, task: Task) -> None:
        """A task of the step finished (the driver thread); ``updates`` are the loop's."""
        if self.tracing:
            duration = task.duration_ms
            if duration is not None:
                task.node.quick = duration < _QUICK_MS
            state = self.state_before
            if state is not None and task.kind is _PULL and task.name in self.spec.state_readers:
                task.input = state  # read alike (see ``state_before``): kept once, not twice
            writes = task.writes
            if type(writes) is list:  # kept by the consumer: in a form the collector leaves
                # alone when the values are plain (a tuple, or one map for many writes)
                task.writes = tuple(writes) if len(writes) < _MAP_WRITES else _mapped(writes)
            if self._deferred:
                self._untraced_done = True  # made with the step's other events, unless
                if not self.untraced:  # another thread made them before it could see that
                    self._trace_done_after(task)
            else:
                self._trace((_TRACE_DONE, self.step, task))
        if self.announces and not task.node.hidden:
            self._report(task, self.spec.stream_keys)

    def announce_call(self, task: Task) -> None:
        """A ``@task`` call starts (any thread)."""
        if self.tracing:
            self.put((self.ns, _TRACE, [(_TRACE_TASKS, self.step, [task], time.time())]))
        if self.announces:
            self._announce(task)

    def report_call(self, task: Task, output_keys: _chunks.OutputKeys) -> bool:
        """A ``@task`` call finished (any thread); returns whether anything was buffered."""
        if self.tracing:
            self.put((self.ns, _TRACE, [(_TRACE_DONE, self.step, task)]))
        if self.announces:
            self._report(task, output_keys)
        return self.tracing or self.announces

    def _announce(self, task: Task) -> None:
        payload = _chunks.task_start_payload(task)
        self.emit(_TASKS, payload)
        if self._want[_DEBUG]:
            self.emit(_DEBUG, _chunks.debug_chunk(self.step, "task", payload))

    def _report(self, task: Task, output_keys: _chunks.OutputKeys) -> None:
        payload = _chunks.task_result_payload(task, output_keys)
        self.emit(_TASKS, payload)
        if self._want[_DEBUG]:
            self.emit(_DEBUG, _chunks.debug_chunk(self.step, "task_result", payload))

    # -- checkpoints and pauses -------------------------------------------------------------

    def trace_checkpoint(self, source: str, checkpoint_id: str, values: Any) -> None:
        """The state after the step was saved (call only when ``tracing``): ``values`` is the
        state as ``values`` chunks show it.

        When the step's TASKS event is still in the open batch, the step becomes one STEP event
        in its place, and its DONE events are dropped: the checkpoint says every task finished,
        and a consumer reads (and keeps) one event for the step instead of several. A step left
        untraced (see ``announce_step``) becomes one STEP event carrying its one task.
        """
        self.state_before = values
        version = self.versions.max_version
        versions = None if self._traced_versions else self._state_versions()
        updated: tuple[str, ...] = ()
        changed = self.updated
        if changed:  # as a tuple (which the collector leaves alone), the previous step's if equal
            if changed != self._last_changed:
                self._last_changed = frozenset(changed)
                self._last_updated = tuple(changed)
            updated = self._last_updated
        saved_at = time.time()
        try:
            (task,) = self.untraced.pop()
        except IndexError:
            self._trace_saved((source, checkpoint_id, values, updated, version, versions, saved_at))
        else:  # the step's one task itself: its list is not kept
            self._trace(
                (
                    _TRACE_STEP,
                    self.step,
                    task,
                    self.step_started,
                    source,
                    checkpoint_id,
                    values,
                    updated,
                    version,
                    versions,
                    saved_at,
                )
            )

    def _trace_saved(self, saved: tuple[Any, ...]) -> None:
        """Trace a checkpoint whose step's TASKS event was made: its fields are ``saved``."""
        batch = self.batch
        if batch is not None and batch is self._step_batch:
            where = self._step_at
            del batch[where + 1 :]
            _, step, tasks, started = batch[where]
            batch[where] = (_TRACE_STEP, step, tasks, started, *saved)
        else:
            self._trace((_TRACE_CHECKPOINT, self.step, *saved))
        self._step_batch = None

    def _trace_untraced(self) -> None:
        """Make the events of the step ``announce_step`` left untraced, as a chunk of their own
        (any thread: the one that empties ``untraced`` makes them)."""
        with self._untraced_lock:
            try:
                tasks = self.untraced.pop()
            except IndexError:
                return  # another thread made them
            events: list[tuple[Any, ...]] = [(_TRACE_TASKS, self.step, tasks, self.step_started)]
            self._done_made = done = self._untraced_done
            if done:
                events.append((_TRACE_DONE, self.step, tasks[0]))
            self.put((self.ns, _TRACE, events))  # the box is empty: ``put`` does not call back

    def _trace_done_after(self, task: Task) -> None:
        """Trace the DONE of the untraced step's ``task`` unless the thread that made the
        step's events made it too (the driver thread, once that thread is through)."""
        with self._untraced_lock:
            if not self._done_made:
                self._trace((_TRACE_DONE, self.step, task))

    def _state_versions(self) -> dict[str, Any]:
        """Every state channel's version, for the run's first traced checkpoint."""
        self._traced_versions = True
        keys = self.spec.stream_keys
        known = self.versions.channel_versions
        state = (keys,) if isinstance(keys, str) else keys
        return {channel: known[channel] for channel in state if channel in known}

    def trace_pause(self, tasks: list[Task]) -> None:
        """A static breakpoint paused the run before ``tasks``."""
        if self.tracing:
            names = tuple(task.name for task in tasks if not task.node.hidden)
            self._trace((_TRACE_PAUSE, self.step, names))

    def report_checkpoint(self, next_tasks: list[Task]) -> None:
        """Stream the checkpoint noted in ``_unreported`` (``checkpoints`` and ``debug``), now
        that the tasks planned after it are known."""
        if self._unreported is None:
            return
        config, parent, metadata, values, versions, updated = self._unreported
        self._unreported = None
        snapshot = {
            "config": config,
            "parent_config": parent,
            "values": values,
            "metadata": metadata,
            "next": [task.name for task in next_tasks],
            "tasks": [
                {"id": t.id, "name": t.name, "interrupts": tuple(t.interrupts), "state": None}
                for t in next_tasks
            ],
        }
        self.emit(_CHECKPOINTS, snapshot)
        if self._want[_DEBUG]:
            extended = {**snapshot, "channel_versions": versions, "updated_channels": updated}
            self.emit(_DEBUG, _chunks.debug_chunk(metadata["step"], "checkpoint", extended))


def _mapped(writes: list[tuple[str, Any]]) -> Sequence[tuple[str, Any]]:
    """Many writes of a finished task as a consumer keeps them: one ``WriteMap`` (a dict,
    not a tuple per write), or a tuple if a channel was written twice."""
    values = dict(writes)
    return WriteMap(values) if len(values) == len(writes) else tuple(writes)
