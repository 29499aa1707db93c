"""Persistence for one run: load the checkpoint, save steps and pending writes, stage resumes.

The loop talks only to ``Persistence``; with no checkpointer the same object keeps the ids and
bookkeeping in memory, so the loop has a single code path.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from nbpregel.channels.base import MISSING
from nbpregel.checkpoint.ids import new_checkpoint_id
from nbpregel.constants import (
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_THREAD_ID,
    ERROR,
    INTERRUPT,
    NO_WRITES,
    NULL_TASK_ID,
    RESUME,
    Durability,
    TaskKind,
)
from nbpregel.errors import CheckpointError, EmptyInputError, InvalidResumeError
from nbpregel.pregel import _answers
from nbpregel.pregel._saved import OUTCOME_UNKNOWN, Saved, finished_writes, writes_by_task
from nbpregel.pregel._snapshot import CheckpointBuilder
from nbpregel.pregel._task import Task, TaskStatus
from nbpregel.pregel._update import VersionState

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop

__all__ = ["Persistence"]


class Persistence:
    """Checkpoint traffic of one run, for any saver (or none)."""

    def __init__(
        self,
        saver: Any | None,
        config: Mapping[str, Any],
        *,
        durability: Durability = Durability.SYNC,
        ns: str = "",
    ) -> None:
        self.saver = saver
        self.durability = durability
        configurable = dict(config.get("configurable", {}))
        if saver is not None and configurable.get(CONFIG_KEY_THREAD_ID) is None:
            raise CheckpointError(
                "this graph has a checkpointer, so each run needs a thread: pass "
                "config={'configurable': {'thread_id': '...'}}"
            )
        configurable.setdefault(CONFIG_KEY_CHECKPOINT_NS, ns)
        self.config: dict[str, Any] = {"configurable": configurable}
        self.checkpoint_id: str = configurable.get(CONFIG_KEY_CHECKPOINT_ID) or ""
        self.has_history = False
        self.forked = False
        self.pending: list[tuple[str, str, Any]] = []
        self._staged_resume: dict[str, Any] = {}
        self._staged_any: Any = MISSING
        self._fork_answer: Any = MISSING  # accepted, not yet handed to a task (hand_answer)
        self._offered: list[Task] = []  # the tasks offered ``_staged_any`` so far
        self._unsaved: list[tuple[str, list[tuple[str, Any]], str]] = []
        self._background: concurrent.futures.ThreadPoolExecutor | None = None
        self._futures: list[concurrent.futures.Future[Any]] = []
        self.saved_config: dict[str, Any] | None = None
        self._exit_parent: dict[str, Any] | None = None
        self._run_id = ""
        self._counter = 0
        self.metadata: dict[str, Any] | None = None
        self.last_checkpoint: dict[str, Any] | None = None
        self._builder = CheckpointBuilder()
        self._writes_config: dict[str, Any] = {}  # the current checkpoint's, for put_writes
        self.parents: dict[str, str] = {}  # enclosing namespaces -> their current checkpoint

    # -- loading ---------------------------------------------------------------------------

    def load(self) -> Saved:
        """The checkpoint named by the config (or the thread's latest), or an empty one."""
        if self.saver is None:
            self.checkpoint_id = self._run_id = new_checkpoint_id()
            return Saved.of(None)
        saved = self.saver.get_tuple(self.config)
        if saved is None:
            if self.checkpoint_id:
                raise CheckpointError(
                    f"no checkpoint {self.checkpoint_id!r} in thread "
                    f"{self.config['configurable'][CONFIG_KEY_THREAD_ID]!r}: list the thread's "
                    f"checkpoints with get_state_history(config)"
                )
            self.checkpoint_id = new_checkpoint_id()
            return Saved.of(None)
        self.has_history = True
        self.forked = bool(self.checkpoint_id)
        self.saved_config = dict(saved.config)
        self.metadata = dict(saved.metadata or {})
        self.checkpoint_id = saved.checkpoint["id"]
        self.pending = list(saved.pending_writes or [])
        return Saved.of(saved)

    # -- resuming --------------------------------------------------------------------------

    def finished_tasks(self) -> set[str]:
        """Ids of the tasks whose saved writes show they finished (they will not run again)."""
        return {task_id for task_id, channel, _ in self.pending if channel not in OUTCOME_UNKNOWN}

    def pending_interrupts(self) -> dict[str, Any]:
        """Interrupt id -> (task id, interrupt), for interrupts not yet answered by a rerun."""
        finished = self.finished_tasks()
        found: dict[str, Any] = {}
        for task_id, channel, value in self.pending:
            if channel == INTERRUPT and task_id not in finished:
                for item in value:
                    found.setdefault(item.id, (task_id, item))
        return found

    def accept_resume(self, resume: Any, *, nested: bool = False) -> None:
        """Validate a ``Command(resume=...)`` against the pending interrupts and stage it.

        With no pending interrupt at the checkpoint (a fork of an interrupted one, say), the
        answer waits for ``hand_answer`` to give it to the task that will ask again
        (``nbpregel.pregel._answers``). A subgraph gets answers its parent already
        validated: when its own checkpoint has no pending interrupt, its tasks are offered it.
        """
        if resume is None:
            return
        if self.saver is None:
            raise InvalidResumeError(
                "resuming needs a checkpointer: compile the graph with "
                "checkpointer=InMemorySaver() (or SqliteSaver) and pass a thread_id"
            )
        pending = self.pending_interrupts()
        if pending:
            self._staged_resume.update(_answers.by_task(resume, pending, self.pending))
        elif nested:
            self._staged_any = resume
        elif not self.has_history:
            raise _answers.no_checkpoint(self.config["configurable"][CONFIG_KEY_THREAD_ID])
        elif _answers.is_id_map(resume):
            raise _answers.stale_ids(resume, self._where())
        else:
            self._fork_answer = resume

    @property
    def answer_waiting(self) -> bool:
        """Whether an accepted answer still needs ``hand_answer`` to find the task taking it."""
        return self._fork_answer is not MISSING

    def hand_answer(self, tasks: list[Task]) -> None:
        """Give the waiting answer to the one task of ``tasks`` (the first step's) that runs.

        Raises:
            InvalidResumeError: no task, or more than one, would run (nothing is saved yet).
        """
        task = _answers.taker(tasks, self.finished_tasks(), self._where())
        self._staged_resume[task.id] = self._fork_answer
        self._fork_answer = MISSING

    def offer_answer(self, answer: Any) -> None:
        """Offer a parent's answer (or ``MISSING``) to a subgraph that starts afresh, as when
        its parent task runs again on a fork: its first ``interrupt()`` takes it."""
        if self.saver is not None:
            self._staged_any = answer

    def _where(self) -> str:
        thread_id = self.config["configurable"][CONFIG_KEY_THREAD_ID]
        return f"checkpoint {self.checkpoint_id!r} of thread {thread_id!r}"

    def no_input_error(self) -> EmptyInputError:
        """The error for a run given no input with no checkpoint to continue from."""
        thread = self.config.get("configurable", {}).get(CONFIG_KEY_THREAD_ID)
        where = (
            f"thread {thread!r} has no checkpoint"
            if self.saver is not None
            else "the graph has no checkpointer"
        )
        return EmptyInputError(
            f"no input: invoke(None, config) continues a thread from its checkpoint, and {where} "
            f"to continue from: pass the input, invoke(input, config)"
        )

    def mark_resumed(self, versions: VersionState) -> None:
        """Remember the versions at resume time, so static breakpoints do not fire twice."""
        versions.versions_seen[INTERRUPT] = dict(versions.channel_versions)

    @staticmethod
    def changed_since_resume(versions: VersionState) -> bool:
        """Whether any channel changed since the run last paused or resumed."""
        seen = versions.versions_seen.get(INTERRUPT)
        if seen is None:
            return True
        return any(v > seen.get(ch, 0) for ch, v in versions.channel_versions.items())

    def starts_branch(self) -> bool:
        """Whether replaying the loaded (addressed) checkpoint saves a ``fork`` checkpoint first.

        A checkpoint made by ``update_state`` (or a fork) already starts a branch, unless the
        thread has moved past it since.
        """
        if self.saver is None:
            return False
        if (self.metadata or {}).get("source") not in ("update", "fork"):
            return True
        latest = self.saver.get_tuple(self._thread_config())
        return latest is not None and latest.checkpoint["id"] != self.checkpoint_id

    def discard_pending(self) -> None:
        """Forget the pending writes of the current checkpoint (a new input supersedes them)."""
        self.pending = []

    def restore_task_writes(self, tasks: list[Task]) -> None:
        """Give planned tasks their saved writes (they will not run again) and resume values."""
        if not self.pending and not self._staged_resume and self._staged_any is MISSING:
            return
        if self._staged_any is not MISSING:
            self._offer_to(tasks)
        by_task = writes_by_task(self.pending)
        for task in tasks:
            saved = by_task.get(task.id, ())
            for channel, value in saved:
                if channel == RESUME:
                    task.resume = list(value)
            if task.id in self._staged_resume:
                task.next_resume = self._staged_resume[task.id]
            elif self._staged_any is not MISSING:
                task.next_resume = self._staged_any
            writes = finished_writes(saved)
            if writes is not None:
                task.writes = writes
                task.status = TaskStatus.OK

    def _offer_to(self, tasks: list[Task]) -> None:
        """Withdraw the offered answer once a task took it (it answers one interrupt only)."""
        if _answers.taken(self._staged_any, self._offered):
            self._staged_any = MISSING
            self._offered = []
        else:
            self._offered.extend(tasks)

    # -- saving ----------------------------------------------------------------------------

    def _config_for(self, checkpoint_id: str) -> dict[str, Any]:
        return {
            "configurable": {**self.config["configurable"], CONFIG_KEY_CHECKPOINT_ID: checkpoint_id}
        }

    def save_task(self, task: Task) -> None:
        """Save a finished task's writes as pending writes of the current checkpoint."""
        if self.saver is None:
            return
        if task.status == TaskStatus.INTERRUPTED:
            writes: list[tuple[str, Any]] = [(INTERRUPT, list(task.interrupts))]
        elif task.error is not None:
            writes = [(ERROR, task.error)]
        else:
            writes = list(task.writes) or [(NO_WRITES, None)]
        if task.resume:
            writes.append((RESUME, list(task.resume)))
        self.pending.extend((task.id, ch, v) for ch, v in writes)
        if self.durability is Durability.EXIT:
            self._unsaved.append((task.id, writes, task.ns))
            return
        self._submit(self.saver.put_writes, self._task_config(), writes, task.id, task.ns)

    def save_command_writes(self, writes: list[tuple[str, Any]]) -> None:
        """Save the writes of the ``Command`` the run resumes with as pending writes of the
        current checkpoint (under ``NULL_TASK_ID``): part of its state from now on (see
        ``Saved.restore``), so a failure of the step that follows does not lose them."""
        if self.saver is None or not self.has_history:
            return
        # after the ones saved before: a saver keeps the first write at each index of a task
        earlier = [(ch, v) for task_id, ch, v in self.pending if task_id == NULL_TASK_ID]
        self.pending.extend((NULL_TASK_ID, channel, value) for channel, value in writes)
        if self.durability is Durability.EXIT:
            self._unsaved = [w for w in self._unsaved if w[0] != NULL_TASK_ID]
            self._unsaved.append((NULL_TASK_ID, earlier + writes, ""))
            return
        config = self._task_config()
        self._submit(self.saver.put_writes, config, earlier + writes, NULL_TASK_ID, "")

    def _task_config(self) -> dict[str, Any]:
        """The config of the current checkpoint, made once for all the tasks of a step."""
        config = self._writes_config
        if config.get("configurable", {}).get(CONFIG_KEY_CHECKPOINT_ID) != self.checkpoint_id:
            config = self._writes_config = self._config_for(self.checkpoint_id)
        return config

    def save(self, loop: RunLoop, *, source: str) -> None:
        """Start a new checkpoint for the step that just ended (or for the input)."""
        if self.saver is None:
            # Nothing is stored, so the id only needs to be unique within the run (task ids
            # derive from it); a counter on the run's first id is much cheaper than a new id.
            self._counter += 1
            previous_id, self.checkpoint_id = self.checkpoint_id, f"{self._run_id}.{self._counter}"
            if loop.emits_checkpoints:
                metadata = {"source": source, "step": loop.step, "parents": dict(self.parents)}
                loop.checkpoint_ready(
                    self._config_for(self.checkpoint_id), self._config_for(previous_id), metadata
                )
            return
        new_id = new_checkpoint_id()
        # After a step, only the nodes that ran have new seen versions; otherwise copy all.
        ran = [t.name for t in loop.tasks if t.kind is TaskKind.PULL] if source == "loop" else None
        checkpoint = self._builder.build(
            new_id, loop.channels, loop.versions, loop.updated, ran=ran
        )
        metadata = {"source": source, "step": loop.step, "parents": dict(self.parents)}
        parent = self.saved_config
        if self.durability is Durability.EXIT:
            if self._exit_parent is None:
                self._exit_parent = parent or self._thread_config()
        else:
            self._submit(
                self.saver.put,
                parent or self._thread_config(),
                checkpoint,
                metadata,
                checkpoint["channel_versions"],
            )
        self.metadata = metadata
        self.last_checkpoint = checkpoint
        self.saved_config = self._config_for(new_id)
        self.has_history = True
        if loop.emits_checkpoints:
            loop.checkpoint_ready(self._config_for(new_id), parent, metadata)
        self.checkpoint_id = new_id
        self.pending = []
        self._unsaved = []

    def _thread_config(self) -> dict[str, Any]:
        configurable = dict(self.config["configurable"])
        configurable.pop(CONFIG_KEY_CHECKPOINT_ID, None)
        return {"configurable": configurable}

    def _submit(self, fn: Any, *args: Any) -> None:
        if self.durability is Durability.ASYNC:
            if self._background is None:
                self._background = concurrent.futures.ThreadPoolExecutor(1, "nbpregel-save")
            self._futures.append(self._background.submit(fn, *args))
        else:
            fn(*args)

    def flush_pending(self) -> None:
        """On error or pause: make sure the step's finished writes are saved."""
        self._drain()

    def close(self) -> None:
        """Write what ``exit`` durability held back and wait for background saves."""
        if self.saver is not None and self.durability is Durability.EXIT and self.last_checkpoint:
            self.saver.put(
                self._exit_parent or self._thread_config(),
                self.last_checkpoint,
                self.metadata,
                self.last_checkpoint["channel_versions"],
            )
            for task_id, writes, path in self._unsaved:
                self.saver.put_writes(self._config_for(self.checkpoint_id), writes, task_id, path)
            self._unsaved = []
        self._drain()
        if self._background is not None:
            self._background.shutdown(wait=True)
            self._background = None

    def _drain(self) -> None:
        futures, self._futures = self._futures, []
        for future in futures:
            future.result()
