"""What a run streams: the modes its callers asked for, and the chunks buffered for the driver.

:class:`~nbpregel.pregel._loop.RunLoop` inherits :class:`Emitter`: the loop calls its hooks at
the points of a superstep, the driver drains ``buffer`` between phases (``pregel/_run.py``).
Chunks are ``(namespace, mode, chunk)`` until the driver shapes them for the caller.

The ``trace`` mode (see :class:`~nbpregel.constants.TraceEvent`) is made for recorders, and
costs a fraction of ``debug``: its events are tuples that share the engine's task objects
instead of payload dicts, and the events the driver thread makes between two drains travel as
one chunk (the open *batch*). Anything else put in the buffer, or an event from another thread,
seals the batch first, so events keep their order across chunks.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import StreamMode, TraceEvent
from nbpregel.pregel import _chunks
from nbpregel.pregel._task import Task

if TYPE_CHECKING:
    from nbpregel.pregel._spec import GraphSpec

__all__ = ["LIVE_AFTER_S", "Emitter", "StreamItem"]

StreamItem = tuple[tuple[str, ...], StreamMode, Any]
"""A buffered chunk: ``(namespace, mode, chunk)``."""
LIVE_AFTER_S: Final = 0.02
"""How long a step runs before its ``trace`` events are handed out as they happen."""

_TASKS, _DEBUG, _TRACE, _CHECKPOINTS = (
    StreamMode.TASKS,
    StreamMode.DEBUG,
    StreamMode.TRACE,
    StreamMode.CHECKPOINTS,
)
_TRACE_TASKS: Final = TraceEvent.TASKS
_TRACE_DONE: Final = TraceEvent.DONE
_TRACE_CHECKPOINT: Final = TraceEvent.CHECKPOINT
_TRACE_PAUSE: Final = TraceEvent.PAUSE


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
    """

    ns: tuple[str, ...]
    step: int
    spec: GraphSpec
    wake: Callable[[], None] | None

    def _init_stream(self, modes: frozenset[StreamMode]) -> None:
        self.buffer: deque[StreamItem] = deque()
        self._want = {mode: mode in modes for mode in StreamMode}
        self.watched = bool(modes - {_TRACE})
        self.announces = self._want[_TASKS] or self._want[_DEBUG]
        self.tracing = self._want[_TRACE]
        self.emits_checkpoints = self._want[_CHECKPOINTS] or self._want[_DEBUG]
        self.batch: list[tuple[Any, ...]] | None = None
        self.step_started = 0.0  # epoch time the current step's tasks were announced
        self._unreported: tuple[Any, ...] | None = None

    def wants(self, mode: StreamMode) -> bool:
        """Whether chunks of ``mode`` are made."""
        return self._want[mode]

    # -- the buffer -------------------------------------------------------------------------

    def emit(self, mode: StreamMode, chunk: Any) -> None:
        """Buffer ``chunk`` if ``mode`` is wanted (any thread; seals the open batch)."""
        if self._want[mode]:
            self.batch = None
            self.buffer.append((self.ns, mode, chunk))

    def put(self, item: StreamItem) -> None:
        """Buffer a chunk from any thread (the open batch is sealed first)."""
        self.batch = None
        self.buffer.append(item)

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
        """End the open ``trace`` batch (the driver is about to hand it out)."""
        self.batch = None

    def _trace(self, event: tuple[Any, ...]) -> None:
        batch = self.batch
        if batch is None:
            self.batch = batch = [event]
            self.buffer.append((self.ns, _TRACE, batch))
        else:
            batch.append(event)

    # -- task events ------------------------------------------------------------------------

    def announce_step(self, tasks: list[Task]) -> None:
        """The step's tasks start (the driver thread)."""
        self.step_started = now = time.time()
        if self.tracing:
            self._trace((_TRACE_TASKS, self.step, tasks, now))
        if self.announces:
            for task in tasks:
                if not task.node.hidden:
                    self._announce(task)

    def report_task(self, task: Task) -> None:
        """A task of the step finished (the driver thread); ``updates`` are the loop's."""
        if self.tracing:
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

    def trace_checkpoint(
        self,
        source: str,
        checkpoint_id: str,
        values: Any,
        updated: AbstractSet[str],
        version: Any,
        versions: Mapping[str, Any] | None,
    ) -> None:
        """The state after the step was saved (call only when ``tracing``)."""
        event = (_TRACE_CHECKPOINT, self.step, source, checkpoint_id, values, updated, version)
        self._trace((*event, versions, time.time()))

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
