"""Reading a thread's saved state: ``get_state`` and ``get_state_history`` (and their async
twins), as a mixin of ``Pregel`` (editing it: ``_state_edit``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from nbpregel.channels.base import BaseChannel
from nbpregel.constants import (
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_THREAD_ID,
    ERROR,
    INTERRUPT,
    NS_END,
    NS_SEP,
)
from nbpregel.errors import CheckpointError
from nbpregel.pregel._chunks import output_of_writes
from nbpregel.pregel._config import ConfigMixin
from nbpregel.pregel._plan import plan_tasks, read_input
from nbpregel.pregel._saved import Saved, finished_writes, writes_by_task
from nbpregel.pregel._task import Task
from nbpregel.pregel._update import apply_writes
from nbpregel.types import PregelTask, StateSnapshot

if TYPE_CHECKING:
    from nbpregel.checkpoint.base import CheckpointTuple
    from nbpregel.pregel._node import PregelNode
    from nbpregel.pregel._spec import GraphSpec

__all__ = ["Restored", "StateMixin", "with_ns"]


class Restored:
    """Live channels and versions rebuilt from a saved checkpoint, as a run starts from it."""

    def __init__(self, spec: GraphSpec, saved: CheckpointTuple | None) -> None:
        start = Saved.of(saved)
        self.channels, self.versions = start.restore(spec)
        self.step = start.step
        self.updated = set(start.updated_channels) if start.updated_channels is not None else None
        self.checkpoint_id = start.checkpoint_id

    def next_tasks(self, spec: GraphSpec, ns: str) -> list[Task]:
        return plan_tasks(
            spec.index,
            self.channels,
            self.versions.channel_versions,
            self.versions.versions_seen,
            updated_channels=self.updated,
            checkpoint_id=self.checkpoint_id,
            ns=ns,
            step=self.step + 1,
        )


class StateMixin(ConfigMixin):
    """The state API of a compiled graph; needs a checkpointer."""

    if TYPE_CHECKING:
        checkpointer: Any
        nodes: dict[str, PregelNode]
        spec: GraphSpec

    def _saver(self, checkpointer: Any | None = None) -> Any:
        saver = checkpointer if checkpointer is not None else self.checkpointer
        if saver is None or saver is False:
            raise CheckpointError(
                "this graph has no checkpointer, so it keeps no state: compile it with "
                "checkpointer=InMemorySaver() (or SqliteSaver(path))"
            )
        return saver

    # -- reading ---------------------------------------------------------------------------

    def _target(self, config: Mapping[str, Any]) -> tuple[StateMixin, Any]:
        """The graph a config's ``checkpoint_ns`` addresses (this one or a subgraph), and the
        saver (a subgraph keeps its checkpoints in its root graph's saver)."""
        saver = self._saver()
        ns = config.get("configurable", {}).get(CONFIG_KEY_CHECKPOINT_NS) or ""
        graph: StateMixin = self
        for part in ns.split(NS_SEP) if ns else ():
            name = part.split(NS_END, 1)[0]
            if part.isdigit():
                continue  # a second graph invoked by the same task: `node:id|1`
            node = graph.nodes.get(name)
            sub = node.subgraph if node is not None else None
            if sub is None:
                raise CheckpointError(
                    f"checkpoint_ns {ns!r} names {name!r}, which is not a subgraph node of "
                    f"graph {getattr(graph, 'name', '?')!r}: use the config of a task's state "
                    f"from get_state(config).tasks"
                )
            graph = sub
        return graph, saver

    def _task_state(
        self, saver: Any, task: Task, config: Mapping[str, Any], subgraphs: bool
    ) -> Any:
        """A subgraph task's ``state``: its namespace's config, or its snapshot (subgraphs=True)."""
        node = self.nodes.get(task.name)
        if node is None or node.subgraph is None:
            return None
        thread = config.get("configurable", {}).get(CONFIG_KEY_THREAD_ID)
        child = {"configurable": {CONFIG_KEY_THREAD_ID: thread, CONFIG_KEY_CHECKPOINT_NS: task.ns}}
        if not subgraphs:
            return child
        saved = saver.get_tuple(child)
        if saved is None:
            return child
        return node.subgraph._snapshot(saver, saved, child, apply_pending=True, subgraphs=True)

    def _snapshot(
        self,
        saver: Any,
        saved: Any | None,
        config: Mapping[str, Any],
        *,
        apply_pending: bool,
        subgraphs: bool = False,
    ) -> StateSnapshot:
        if saved is None:
            return StateSnapshot({}, (), dict(config), None, None, None, (), ())
        restored = Restored(self.spec, saved)
        ns = saved.config["configurable"].get(CONFIG_KEY_CHECKPOINT_NS, "")
        tasks = restored.next_tasks(self.spec, ns)
        keys = self.spec.stream_channels
        by_task = writes_by_task(saved.pending_writes or ())
        with_writes = []
        reported = []
        for task in tasks:
            saved_writes = by_task.get(task.id, [])
            state_writes = finished_writes(saved_writes)  # None: the task did not finish
            # The latest checkpoint shows what still blocks the run (errors, unanswered
            # interrupts); a past one shows what happened in its step, retried errors and
            # answered interrupts included (as LangGraph does).
            settled = state_writes is not None and apply_pending
            error = None if settled else next((v for ch, v in saved_writes if ch == ERROR), None)
            interrupts = (
                () if settled else tuple(i for ch, v in saved_writes if ch == INTERRUPT for i in v)
            )
            if apply_pending:
                task.writes = state_writes or []
            if task.writes:
                with_writes.append(task)
            result = output_of_writes(state_writes, self.spec.stream_keys) if state_writes else None
            state = self._task_state(saver, task, config, subgraphs)
            reported.append(
                (task, PregelTask(task.id, task.name, task.path, error, interrupts, state, result))
            )
        if with_writes:
            apply_writes(restored.channels, with_writes, restored.versions)
        values = _read(restored.channels, keys)
        return StateSnapshot(
            values=values,
            next=tuple(task.name for task, _ in reported if not task.writes),
            config=saved.config,
            metadata=saved.metadata,
            created_at=saved.checkpoint.get("ts"),
            parent_config=saved.parent_config,
            tasks=tuple(info for _, info in reported),
            interrupts=tuple(i for _, info in reported for i in info.interrupts),
        )

    def get_state(self, config: Mapping[str, Any], *, subgraphs: bool = False) -> StateSnapshot:
        """The thread's state at ``config`` (its latest checkpoint without a checkpoint_id).

        Returns:
            ``StateSnapshot(values, next, config, metadata, created_at, parent_config, tasks,
            interrupts)``; ``next`` names the nodes that would run on ``invoke(None, config)``.
        """
        config = self._run_config(config) or {}
        graph, saver = self._target(config)
        latest = not config.get("configurable", {}).get(CONFIG_KEY_CHECKPOINT_ID)
        saved = saver.get_tuple(with_ns(config))
        return graph._snapshot(saver, saved, config, apply_pending=latest, subgraphs=subgraphs)

    def get_state_history(
        self,
        config: Mapping[str, Any],
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[StateSnapshot]:
        """The thread's snapshots, newest first (``filter`` matches metadata keys)."""
        config = self._run_config(config) or {}
        graph, saver = self._target(config)
        for saved in saver.list(with_ns(config), filter=filter, before=before, limit=limit):
            yield graph._snapshot(saver, saved, config, apply_pending=False)

    async def aget_state(
        self, config: Mapping[str, Any], *, subgraphs: bool = False
    ) -> StateSnapshot:
        """The async twin of ``get_state``."""
        return await asyncio.to_thread(self.get_state, config, subgraphs=subgraphs)

    async def aget_state_history(
        self,
        config: Mapping[str, Any],
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[StateSnapshot]:
        """The async twin of ``get_state_history``."""
        snapshots = await asyncio.to_thread(
            lambda: list(self.get_state_history(config, filter=filter, before=before, limit=limit))
        )
        for snapshot in snapshots:
            yield snapshot


def with_ns(config: Mapping[str, Any]) -> dict[str, Any]:
    configurable = dict(config.get("configurable", {}))
    if configurable.get(CONFIG_KEY_THREAD_ID) is None:
        raise CheckpointError(
            "config has no thread: pass config={'configurable': {'thread_id': '...'}}"
        )
    configurable.setdefault(CONFIG_KEY_CHECKPOINT_NS, "")
    return {**config, "configurable": configurable}


def _read(channels: Mapping[str, BaseChannel[Any, Any]], keys: str | tuple[str, ...]) -> Any:
    if isinstance(keys, str):
        channel = channels[keys]
        return channel.get() if channel.is_available() else None
    return read_input(channels, keys)
