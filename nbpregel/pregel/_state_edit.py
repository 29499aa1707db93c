"""Editing a thread's saved state: ``update_state`` and ``bulk_update_state`` (and their async
twins), as a mixin of ``Pregel``.

Each superstep of updates becomes one checkpoint, as if its nodes had run side by side: their
values go through the reducers together and their edges fire. Three names are not nodes:
``as_node="__copy__"`` saves the checkpoint again as a new branch (a fork),
``as_node=END`` (with no values) ends the thread: nothing is left to run, and
``as_node="__input__"`` (``INPUT``) saves the values as the thread's input, the ``input``
checkpoint ``invoke(values, config)`` would save before its first step: ``invoke(None,
config)`` then runs START on them. Every superstep is built and checked before the first is
saved, so a refused update saves nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from nbpregel.channels.base import MISSING
from nbpregel.checkpoint.base import CheckpointTuple
from nbpregel.checkpoint.ids import new_checkpoint_id
from nbpregel.constants import (
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    END,
    INPUT,
    NO_WRITES,
    START,
    TASKS,
    TaskKind,
)
from nbpregel.errors import InvalidUpdateError
from nbpregel.pregel._snapshot import CheckpointBuilder
from nbpregel.pregel._spec import map_input
from nbpregel.pregel._state import Restored, StateMixin, with_ns
from nbpregel.pregel._task import Task
from nbpregel.pregel._update import apply_writes
from nbpregel.types import StateUpdate

if TYPE_CHECKING:
    from nbpregel.pregel._node import PregelNode

__all__ = ["COPY", "EditMixin"]

COPY: Final = "__copy__"
"""The ``as_node`` that saves the checkpoint again, unchanged, as a new branch (a fork)."""


class _Put(NamedTuple):
    """A checkpoint to save, and the updates that finished a task due at its parent (saved
    there as that task's writes, so that the parent's snapshot shows them as its result)."""

    parent: dict[str, Any]
    checkpoint: dict[str, Any]
    metadata: dict[str, Any]
    done: list[Task]


class EditMixin(StateMixin):
    """The state-editing API of a compiled graph; needs a checkpointer."""

    def update_state(
        self,
        config: Mapping[str, Any],
        values: Any,
        as_node: str | None = None,
        task_id: str | None = None,
    ) -> dict[str, Any]:
        """Write ``values`` to the thread as if node ``as_node`` had returned them.

        The values go through the reducers and the node's edges fire, so ``invoke(None,
        config)`` continues from there. Without ``as_node`` the update is attributed to the node
        that ran last (an error when that is ambiguous). ``as_node="__copy__"`` saves the
        checkpoint again as a new branch (``values`` are ignored); ``as_node=END`` with no
        values ends the thread; ``as_node="__input__"`` saves ``values`` as the thread's
        input (the tasks due stay due, and START runs on it next). ``task_id`` names the
        update's task (its id otherwise is the node's name; an input has none).

        Returns:
            The config of the new checkpoint.

        Raises:
            InvalidUpdateError: an unknown or ambiguous ``as_node``, values the node could
                not have written, or no input for ``"__input__"``; nothing is saved then.
        """
        return self.bulk_update_state(config, [[StateUpdate(values, as_node, task_id)]])

    def bulk_update_state(
        self, config: Mapping[str, Any], supersteps: Sequence[Sequence[StateUpdate]]
    ) -> dict[str, Any]:
        """Apply ``supersteps`` of updates in order, one checkpoint each (see ``update_state``
        for one update).

        Args:
            config: the thread (and checkpoint) to start from.
            supersteps: a list of supersteps, each a list of ``StateUpdate(values, as_node,
                task_id)`` applied together; with several in one superstep, each names its
                ``as_node`` (a fork, an end or an input is a superstep of its own).

        Returns:
            The config of the last checkpoint saved.

        Raises:
            ValueError: no supersteps, or a superstep with no updates.
            InvalidUpdateError: an update that does not fit; nothing is saved then.

        Example:
            >>> from nbpregel.types import StateUpdate
            >>> StateUpdate({"count": 1}, as_node="a")
            StateUpdate(values={'count': 1}, as_node='a', task_id=None)
        """
        steps = _checked(supersteps)
        config = self._run_config(config) or {}
        graph, saver = self._target(config)
        target = graph if isinstance(graph, EditMixin) else self
        puts = target._build_updates(saver.get_tuple(with_ns(config)), with_ns(config), steps)
        saved: Mapping[str, Any] = config
        for put in puts:  # each parent is the checkpoint saved before (or the fork's sibling's)
            for task in put.done:
                saver.put_writes(put.parent, list(task.writes) or [(NO_WRITES, None)], task.id)
            saved = saver.put(
                put.parent, put.checkpoint, put.metadata, put.checkpoint["channel_versions"]
            )
        return dict(saved)

    async def aupdate_state(
        self,
        config: Mapping[str, Any],
        values: Any,
        as_node: str | None = None,
        task_id: str | None = None,
    ) -> dict[str, Any]:
        """The async twin of ``update_state``."""
        return await asyncio.to_thread(self.update_state, config, values, as_node, task_id)

    async def abulk_update_state(
        self, config: Mapping[str, Any], supersteps: Sequence[Sequence[StateUpdate]]
    ) -> dict[str, Any]:
        """The async twin of ``bulk_update_state``."""
        return await asyncio.to_thread(self.bulk_update_state, config, supersteps)

    def _build_updates(
        self, saved: CheckpointTuple | None, config: dict[str, Any], steps: list[list[StateUpdate]]
    ) -> list[_Put]:
        """The checkpoints of ``steps``, each built on the one before (nothing saved)."""
        puts: list[_Put] = []
        ns = config["configurable"][CONFIG_KEY_CHECKPOINT_NS]
        for updates in steps:
            restored = Restored(self.spec, saved)
            due = restored.next_tasks(self.spec, ns) if saved else []  # plans, changes nothing
            source = "update"
            done: list[Task] = []
            (first,) = updates[:1]
            if first.as_node == COPY:
                source, updated = "fork", restored.updated
            elif first.as_node == END and first.values is None:
                updated = _end(restored, self.spec.channels, self.nodes)
            elif first.as_node == INPUT:
                self._input(restored, first.values)
                source, updated = "input", None  # unknown: the tasks due stay due
            else:
                updated, done = self._apply(restored, updates, due)
            checkpoint = CheckpointBuilder().build(
                new_checkpoint_id(), restored.channels, restored.versions, updated, ran=None
            )
            # On an empty thread the update is the first checkpoint: step 0 (an input: -1, as
            # a run's input is), as in LangGraph.
            step = restored.step + 1 if saved is not None else -1 if source == "input" else 0
            metadata = {"source": source, "step": step, "parents": {}}
            parent = saved.config if saved is not None else _thread_config(config)
            if source == "fork" and saved is not None:  # a sibling of the copied checkpoint
                parent = saved.parent_config or _thread_config(config)
            puts.append(_Put(parent, checkpoint, metadata, done))
            address = {**parent["configurable"], CONFIG_KEY_CHECKPOINT_ID: checkpoint["id"]}
            saved = CheckpointTuple({"configurable": address}, checkpoint, metadata, parent, [])  # type: ignore[arg-type]
        return puts

    def _input(self, restored: Restored, values: Any) -> None:
        """Write ``values`` to the input channels of ``restored``, as a run's input.

        The tasks due there stay due beside START's, so the checkpoint records no updated
        channels (``None``: the next plan looks at every node), as LangGraph's does.
        """
        writes = map_input(self.spec, values)
        if not writes:
            raise InvalidUpdateError(
                f"as_node={INPUT!r} got values {values!r} that write none of the input "
                f"channels {list(self.spec.input_channels)}: pass the input as for "
                f"invoke(input, config)"
            )
        apply_writes(restored.channels, [Task.carrier(INPUT, writes)], restored.versions)

    def _apply(
        self, restored: Restored, updates: list[StateUpdate], due: list[Task]
    ) -> tuple[set[str], list[Task]]:
        """Apply one superstep of updates to ``restored``; returns the channels updated, and
        the updates that stand for a task due at the checkpoint (which take its id)."""
        carriers: list[Task] = []
        done: list[Task] = []
        for update in updates:
            name = update.as_node or _guess_as_node(self, restored)
            node = self.nodes.get(name)
            if node is None:
                raise InvalidUpdateError(
                    f"as_node={name!r} is not a node: known nodes are "
                    f"{sorted(n for n in self.nodes if n != START)} (or START for input, "
                    f"{INPUT!r} to save values as the thread's input, {COPY!r} to fork, END "
                    f"with no values to end the thread)"
                )
            carrier = Task.carrier(name, [])
            carrier.kind = TaskKind.PULL
            task = _due_task(due, name, update.task_id)
            carrier.id = task.id if task is not None else update.task_id or name
            carrier.triggers = _triggers(node, restored)
            output = node.bound(update.values) if node.hidden else update.values
            carrier.writes = node.writer(output, carrier, restored.channels) if node.writer else []
            carriers.append(carrier)
            if task is not None:
                due.remove(task)
                done.append(carrier)
        return apply_writes(restored.channels, carriers, restored.versions), done


def _checked(supersteps: Sequence[Sequence[StateUpdate]]) -> list[list[StateUpdate]]:
    """``supersteps`` as lists of ``StateUpdate``, refused before anything is read or saved
    when their shape does not fit."""
    steps = [[StateUpdate(*update) for update in updates] for updates in supersteps]
    if not steps:
        raise ValueError("bulk_update_state got no supersteps: give a list of lists of updates")
    for index, updates in enumerate(steps):
        if not updates:
            raise ValueError(
                f"superstep {index} of bulk_update_state has no updates: give at least one "
                f"StateUpdate(values, as_node) or drop the superstep"
            )
        _check_input(index, updates)
        if len(updates) == 1:
            continue
        names = [update.as_node for update in updates]
        special = next((name for name in (COPY, END, INPUT) if name in names), None)
        if special is not None:
            raise InvalidUpdateError(
                f"superstep {index} has {len(updates)} updates, one of them as_node={special!r}: "
                f"a fork, an end of the thread or an input is a superstep of its own"
            )
        if None in names:
            raise InvalidUpdateError(
                f"superstep {index} has {len(updates)} updates, and not all name their node: "
                f"give each StateUpdate an as_node"
            )
    return steps


def _check_input(index: int, updates: list[StateUpdate]) -> None:
    """Refuse an input update with no values (``invoke(None)`` is how to run without one)."""
    if any(update.as_node == INPUT and update.values is None for update in updates):
        raise InvalidUpdateError(
            f"superstep {index} has as_node={INPUT!r} with values None: an input update "
            f"needs the input (as for invoke(input, config)); to continue without input, "
            f"call invoke(None, config)"
        )


def _due_task(due: list[Task], name: str, task_id: str | None) -> Task | None:
    """The task due at the checkpoint that an update as node ``name`` (with ``task_id``, if
    given) stands for, if any."""
    for task in due:
        if task.name == name and (task_id is None or task.id == task_id):
            return task
    return None


def _triggers(node: PregelNode, restored: Restored) -> tuple[str, ...]:
    known = restored.versions.channel_versions
    return tuple(channel for channel in node.triggers if channel in known)


def _end(restored: Restored, channels: Mapping[str, Any], nodes: Mapping[str, Any]) -> set[str]:
    """End the thread: every node has seen every channel's version, and no Send waits."""
    versions = restored.versions
    if TASKS in channels:
        restored.channels[TASKS] = channels[TASKS].from_checkpoint(MISSING)
    current = dict(versions.channel_versions)
    for name in nodes:
        versions.versions_seen.setdefault(name, {}).update(current)
    return set()


def _thread_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The parent of an empty thread's first checkpoint: the thread, no checkpoint id."""
    configurable = {
        key: value
        for key, value in config["configurable"].items()
        if key != CONFIG_KEY_CHECKPOINT_ID
    }
    configurable.setdefault(CONFIG_KEY_CHECKPOINT_NS, "")
    return {"configurable": configurable}


def _guess_as_node(graph: StateMixin, restored: Restored) -> str:
    seen = restored.versions.versions_seen
    if not any(v for versions in seen.values() for v in versions.values()):
        return START
    last = sorted(
        (version, node)
        for node, versions in seen.items()
        if node in graph.nodes
        for version in versions.values()
    )
    if len(last) == 1 or (len(last) > 1 and last[-1][0] != last[-2][0]):
        return last[-1][1]
    candidates = sorted({node for version, node in last if version == last[-1][0]})
    raise InvalidUpdateError(
        f"ambiguous update: nodes {candidates} ran last, so update_state cannot tell which "
        f"one the values come from; pass as_node='...'"
    )
