"""The superstep loop: one implementation, driven by the thin sync and async runners.

A ``RunLoop`` owns a run's live channels and versions. The driver calls, in order::

    loop.start()                  # load the checkpoint, apply the input
    while loop.tick():            # plan; False when the run is over
        ...run loop.pending...    # execute (the driver's job), calling loop.task_done(task)
        loop.after_tick()         # update: apply writes, save the checkpoint
    loop.close()

Stream chunks are appended to ``loop.buffer`` as ``(namespace, mode, chunk)``; the driver drains
it between calls (and while tasks run), so the caller sees events as they happen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nbpregel.channels.base import BaseChannel
from nbpregel.constants import INPUT, INTERRUPT, NS_SEP, StreamMode
from nbpregel.errors import GraphRecursionError, ParentCommand
from nbpregel.pregel import _cache, _chunks
from nbpregel.pregel._emitter import Emitter
from nbpregel.pregel._message_chunks import output_messages, plain_message_keys
from nbpregel.pregel._nested import Nesting
from nbpregel.pregel._persist import Persistence
from nbpregel.pregel._plan import plan_tasks
from nbpregel.pregel._spec import GraphSpec, map_input
from nbpregel.pregel._status import RunStatus
from nbpregel.pregel._task import Task, TaskStatus
from nbpregel.pregel._update import VersionState, apply_writes, finish_channels
from nbpregel.pregel._values import read_input
from nbpregel.types import CachePolicy, Command, Interrupt, RetryPolicy

__all__ = ["RunLoop"]


_VALUES, _UPDATES, _MESSAGES = StreamMode.VALUES, StreamMode.UPDATES, StreamMode.MESSAGES


class RunLoop(Emitter):
    """One run of a graph: live channels, versions, the current step's tasks, stream buffer."""

    def __init__(
        self,
        spec: GraphSpec,
        input: Any,
        *,
        persistence: Persistence,
        modes: frozenset[StreamMode],
        recursion_limit: int,
        interrupt_before: frozenset[str] | str = frozenset(),
        interrupt_after: frozenset[str] | str = frozenset(),
        nest: Nesting | None = None,
        subgraphs: bool = False,
    ) -> None:
        self.spec = spec
        self.input = input
        self.persistence = persistence
        self.recursion_limit = recursion_limit
        self.interrupt_before = interrupt_before
        self.interrupt_after = interrupt_after
        self.nest = nest
        self.caller_modes = modes  # what this run's own caller asked for
        # What subgraphs started by this run's tasks pass up: the root caller's modes when it
        # asked for ``subgraphs=True``, the same all the way down; a child run streams them too.
        if nest is None:
            self.ns: tuple[str, ...] = ()
            self.forward_modes = modes if subgraphs else frozenset()
        else:
            self.ns = nest.ns
            self.forward_modes = nest.parent.forward_modes
            modes = modes | self.forward_modes
        self.ns_str = NS_SEP.join(self.ns)
        self._init_stream(modes)
        self.status = RunStatus.RUNNING
        self.tasks: list[Task] = []
        self.interrupts: list[Interrupt] = []
        self.error: BaseException | None = None
        self.failed: Task | None = None  # the task that ended its step early (fail_fast)
        # The step ended early (fail_fast, a timeout): tasks left running try no more attempts.
        self.abandoned = False
        self.wake: Callable[[], None] | None = None
        self.executor: Any = None
        self.control: Any = None  # the run's ``RunControl``
        # The graph's defaults for nodes and tasks that have no policy of their own.
        self.retry_policy: tuple[RetryPolicy, ...] = ()
        self.cache_policy: CachePolicy | None = None
        self.ships = False  # the executor runs calls in other processes (see ``_remote``)
        self.local_executor: Any = None  # runs the sync tasks that stay in this process
        self.cache: Any = None  # a BaseCache when the graph caches nodes
        self.context: Any = None  # what nodes see as ``runtime.context``
        self.store: Any = None  # what nodes see as ``runtime.store``
        self.calls: Any = None  # this step's @task calls (nbpregel.pregel._call.RunCalls)
        self.run_config: dict[str, Any] = {}
        self.channels: dict[str, BaseChannel[Any, Any]] = {}
        self.versions: VersionState
        self.step = 0
        self.stop = 0
        self.updated: set[str] | None = None
        # Ids streamed in ``messages`` chunks (a subgraph's run shares its parent's set).
        self.seen_messages: set[Any] = set()
        self.token_handler: Any = None  # LangChain's callback handler (``_model_tokens``)
        self.plain_messages: frozenset[str] | None = None  # (``_message_chunks``), when known

    # -- set-up ----------------------------------------------------------------------------

    def start(self) -> None:
        """Restore the checkpoint and apply the input (or the resume command)."""
        saved = self.persistence.load()
        if self.nest is not None:
            self.input = self.nest.child_input(self.input, self.persistence.has_history)
            if not self.persistence.has_history:  # its parent task was forked: a fresh start
                self.persistence.offer_answer(self.nest.answer)
        self.channels, self.versions = saved.restore(self.spec)
        self.step = saved.step + 1
        updated = saved.updated_channels
        self.updated = set(updated) | saved.command_changed if updated is not None else None
        command = self.input if isinstance(self.input, Command) else None
        if self.input is None and not self.persistence.has_history and self.nest is None:
            raise self.persistence.no_input_error()
        if command is None and self.input is not None:
            self._apply_input(map_input(self.spec, self.input))
            self._save("input")
            self.step += 1
        else:
            self._resume(command)
        # As LangGraph's: the steps from the loaded checkpoint's next one up to ``stop``
        # inclusive may run (a fresh run's input step is the first of them).
        self.stop = saved.step + 2 + self.recursion_limit

    def _resume(self, command: Command[Any] | None) -> None:
        """Continue from the loaded checkpoint: answer interrupts, apply a Command, or replay.

        Addressing a past checkpoint without answering an interrupt is time travel: the tasks
        after it run again (their saved writes are dropped), on a new branch of the history that
        starts with a ``fork`` checkpoint.
        """
        replay = self.persistence.forked and (command is None or command.resume is None)
        forks = replay and self.persistence.starts_branch()  # (may read the saver: once)
        if replay:
            self.persistence.discard_pending()
        if command is not None:
            self.persistence.accept_resume(command.resume, nested=self.nest is not None)
            writes = self._command_writes(command)
            if writes:
                # Not a step: the tasks due at this checkpoint (and their saved writes) stay.
                carrier = Task.carrier(INPUT, writes)
                updated = apply_writes(self.channels, [carrier], self.versions)
                if self.updated is not None:
                    self.updated |= updated
                if not forks:  # else the fork saved below has them
                    self.persistence.save_command_writes(writes)
        if self.persistence.answer_waiting:  # no pending interrupt (a fork): who asks again
            self.persistence.hand_answer(self._plan())
        self.persistence.mark_resumed(self.versions)
        if forks:
            self._save("fork")
            self.step += 1
        if self._want[_VALUES] and self.persistence.has_history:
            self.emit(_VALUES, self.values())

    def _command_writes(self, command: Command[Any]) -> list[tuple[str, Any]]:
        if command.update is None and not command.goto:
            return []
        return self.spec.command_writes(command)

    def _apply_input(self, writes: list[tuple[str, Any]]) -> None:
        tasks: list[Task] = []
        if self.persistence.has_history:
            tasks = self._plan()  # tasks left from the last run are marked seen, never run
        carrier = Task.carrier(INPUT, writes)
        self.updated = apply_writes(self.channels, [*tasks, carrier], self.versions)
        self.persistence.discard_pending()
        if self._want[_VALUES] and self._touches_output(self.updated):
            self.emit(_VALUES, self.values())

    # -- plan ------------------------------------------------------------------------------

    def _plan(self) -> list[Task]:
        """The tasks due at the current step from the current channels (changes nothing)."""
        return plan_tasks(
            self.spec.index,
            self.channels,
            self.versions.channel_versions,
            self.versions.versions_seen,
            updated_channels=self.updated,
            checkpoint_id=self.persistence.checkpoint_id,
            ns=self.ns_str,
            step=self.step,
            values=self.versions.values_of(self.channels, self.spec.index.layouts),
            # The state traced at the latest checkpoint, still the channels' (see Emitter).
            state=self.state_before if type(self.state_before) is dict else None,
            state_readers=self.spec.state_readers,
            stop=self.stop,
        )

    def tick(self) -> bool:
        """Plan the next superstep. Returns False when the run is over (done or paused)."""
        if self.status != RunStatus.RUNNING:
            return False
        tasks = self._plan()
        if not tasks and self.spec.finishers:
            finished = finish_channels(self.channels, self.spec.finishers, self.versions)
            if finished:
                self.updated = finished
                self.state_before = None  # the channels changed since it was traced
                tasks = self._plan()
        if self._unreported is not None:
            self.report_checkpoint(tasks)
        if self.step > self.stop:  # as LangGraph's: even with nothing left to run
            raise GraphRecursionError(
                f"recursion limit of {self.recursion_limit} supersteps reached without the graph "
                f"finishing (it ran to superstep {self.stop}): raise it with "
                f"config={{'recursion_limit': N}} if the graph needs more steps, or check for a "
                f"cycle that never reaches END"
            )
        if not tasks:
            self.status = RunStatus.DONE
            return False
        self.tasks = tasks
        self.persistence.restore_task_writes(tasks)
        if self.interrupt_before and self._should_interrupt(self.interrupt_before):
            self._pause_static()
            return False
        if self.control.drain_requested and self.nest is None:
            self.status = RunStatus.DRAINED  # after the breakpoints: a resume passes them
            self.persistence.flush_pending()
            return False
        if self.tracing or self.announces:
            self.announce_step(tasks)
        for task in tasks:
            if task.status != TaskStatus.PENDING:
                self.task_done(task, restored=True)
        if self.cache is not None:
            for task in _cache.lookup_many(self.cache, tasks, self.cache_policy):
                self.task_done(task)  # cached: saved as pending writes, never run
        return True

    @property
    def pending(self) -> list[Task]:
        """The tasks of this step still to execute."""
        return [task for task in self.tasks if task.status == TaskStatus.PENDING]

    # -- execute (called by the driver) ---------------------------------------------------

    def task_done(self, task: Task, *, restored: bool = False) -> None:
        """Record a finished task: save its writes, stream its update."""
        if isinstance(task.error, ParentCommand):
            return  # not a failure: the node running this subgraph applies the command
        if not restored:
            if self.cache is not None:
                _cache.store(self.cache, task)  # may fail the task: its writes cannot be cached
            self.persistence.save_task(task)
        if task.node.hidden:
            if self.tracing:
                self.report_task(task)
            return
        if task.status == TaskStatus.INTERRUPTED:
            self.interrupts.extend(task.interrupts)
            self._emit_interrupts(tuple(task.interrupts))
        elif task.error is None:
            if self.streams_messages:  # before its update, as LangGraph's
                if self.plain_messages is None:
                    self.plain_messages = plain_message_keys(self.channels)
                plain = self.plain_messages
                for chunk in output_messages(task, self.step, self.seen_messages, plain):
                    self.emit(_MESSAGES, chunk)
            if self._want[_UPDATES]:
                self.emit(_UPDATES, _chunks.task_update(task, self.spec.stream_keys))
        if self.tracing or self.announces:
            self.report_task(task)

    def fails_step(self, task: Task) -> bool:
        """Whether ``task`` ends its step at once: it failed and the graph fails fast
        (``GraphSpec.fail_fast``). None of the step's other tasks starts after it (any thread
        may ask)."""
        error = task.error
        return self.spec.fail_fast and error is not None and not isinstance(error, ParentCommand)

    def ends_step(self, task: Task) -> bool:
        """Whether ``task``, just reported, ends its step (``fails_step``); the driver then
        waits for none of the step's other tasks, and the run fails with this task's error."""
        if self.fails_step(task):
            self.failed = task
            self.abandoned = True
            return True
        return False

    # -- update ----------------------------------------------------------------------------

    def after_tick(self) -> None:
        """Apply the step's writes, stream values, save the checkpoint, advance the step."""
        tasks = self.tasks
        for task in tasks:  # one pass over the tasks: usually none failed or paused
            if task.error is not None or task.status == TaskStatus.INTERRUPTED:
                self._end_step_early()
                return
        self.updated = apply_writes(self.channels, tasks, self.versions)
        if self._want[_VALUES] and self._touches_output(self.updated):
            self.emit(_VALUES, self.values())
        self._save("loop")
        self.step += 1
        if self.interrupt_after and self._should_interrupt(self.interrupt_after):
            self.tasks = self._plan()  # the paused checkpoint's next tasks, as get_state shows
            self._pause_static()

    def _end_step_early(self) -> None:
        """A task failed (the run fails with the first error) or paused (the run pauses)."""
        # The task that ended the step early; else the first failed one, in task order (a
        # task still running when the step ended may fail too, later).
        failed = self.failed or next((t for t in self.tasks if t.error is not None), None)
        if failed is not None:
            self.status = RunStatus.ERROR
            self.error = failed.error
            self.persistence.flush_pending()
        else:
            self._pause(self.interrupts)

    def _touches_output(self, updated: set[str]) -> bool:
        outputs = self.spec.stream_keys
        if isinstance(outputs, str):
            return outputs in updated
        return not updated.isdisjoint(outputs)

    # -- interrupts ------------------------------------------------------------------------

    def _should_interrupt(self, names: frozenset[str] | str) -> bool:
        if not self.persistence.changed_since_resume(self.versions):
            return False
        return any(
            not task.node.hidden and (names == "*" or task.name in names) for task in self.tasks
        )

    def _pause_static(self) -> None:
        self.status = RunStatus.INTERRUPTED
        self.persistence.flush_pending()
        self.emit(_UPDATES, _chunks.interrupt_update(()))
        self.trace_pause(self.tasks)

    def _pause(self, interrupts: list[Interrupt]) -> None:
        self.status = RunStatus.INTERRUPTED
        self.persistence.flush_pending()
        # Show the state as it would be with the finished tasks' writes (not saved: the step
        # re-runs its interrupted tasks on resume and reuses the others' saved writes).
        finished = [task for task in self.tasks if task.writes and not task.interrupts]
        if finished:
            updated = apply_writes(self.channels, finished, self.versions)
            if self._want[_VALUES] and self._touches_output(updated):
                self.emit(_VALUES, self.values())

    def _emit_interrupts(self, interrupts: tuple[Interrupt, ...]) -> None:
        self.emit(_UPDATES, _chunks.interrupt_update(interrupts))
        if self._want[_VALUES]:
            values = self.values()
            if isinstance(values, dict):
                self.emit(_VALUES, {**values, INTERRUPT: interrupts})
            else:
                self.emit(_VALUES, {INTERRUPT: interrupts})

    # -- output ----------------------------------------------------------------------------

    def output(self) -> Any:
        """The graph's output as of now: one channel's value or a dict of the available ones."""
        return self._read(self.spec.output_channels)

    def values(self) -> Any:
        """The state as streamed in ``values`` chunks (every stream channel)."""
        return self._read(self.spec.stream_channels)

    def _read(self, keys: str | tuple[str, ...]) -> Any:
        channels = self.channels
        if isinstance(keys, str):
            channel = channels[keys]
            return channel.get() if channel.is_available() else None
        live = self.versions.live_values
        # Without live values made for these channels (a narrow state, or the input's
        # checkpoint, before the first plan makes them), the channels themselves are read.
        return read_input(
            channels, keys, live if live is not None and live.channels is channels else None
        )

    def close(self) -> None:
        """End the run: write whatever the durability mode held back."""
        if self._unreported is not None:
            paused = self.status in (RunStatus.INTERRUPTED, RunStatus.DRAINED)
            self.report_checkpoint(self.tasks if paused else [])
        self.persistence.close()

    # -- stream helpers --------------------------------------------------------------------

    def _save(self, source: str) -> None:
        """Save the checkpoint of the step that just ended (or of the input, or a fork)."""
        self.persistence.save(self, source=source)
        if self.tracing:
            self.trace_checkpoint(source, self.persistence.checkpoint_id, self.values())

    def checkpoint_ready(
        self,
        config: dict[str, Any],
        parent_config: dict[str, Any] | None,
        metadata: Mapping[str, Any],
    ) -> None:
        """Note a saved checkpoint; its stream chunk goes out once the next plan is known."""
        self._unreported = (
            config,
            parent_config,
            dict(metadata),
            self.values(),
            dict(self.versions.channel_versions),
            sorted(self.updated or ()),
        )
