"""Plan phase: which tasks run in the next superstep.

A PULL task runs when one of its node's trigger channels has a version the node has not seen;
a PUSH task runs for each ``Send`` waiting in the tasks channel. Only nodes subscribed to the
channels updated by the previous step are examined, so planning costs what changed, not the size
of the graph.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from nbpregel.channels.base import BaseChannel
from nbpregel.constants import PUSH_TRIGGER, TASKS, TaskKind
from nbpregel.errors import EmptyChannelError, InvalidUpdateError
from nbpregel.pregel._ids import task_id
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel._task import Task
from nbpregel.pregel._values import WIDE_READ, LayoutCache, LiveValues, read_input
from nbpregel.types import Send

__all__ = ["GraphIndex", "plan_tasks", "read_input"]

_PUSH_TRIGGERS: tuple[str, ...] = (PUSH_TRIGGER,)
_PUSH, _PULL = TaskKind.PUSH, TaskKind.PULL
_NO_VERSIONS: dict[str, int] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class GraphIndex:
    """What planning needs to know of a graph, computed once per compiled graph.

    Attributes:
        nodes: the nodes by name.
        trigger_to_nodes: for each channel, the sorted names of the nodes it triggers.
        all_nodes: every node name, sorted (planning from a checkpoint with no update record).
        trigger_channels: every channel that triggers some node.
        layouts: the channels' layout, learnt from the first run and kept for the others,
            and whether nodes read enough channels for live values to pay.
    """

    nodes: Mapping[str, PregelNode]
    trigger_to_nodes: Mapping[str, tuple[str, ...]]
    all_nodes: tuple[str, ...]
    trigger_channels: frozenset[str] = frozenset()
    layouts: LayoutCache = dataclasses.field(default_factory=LayoutCache, compare=False)

    @classmethod
    def build(cls, nodes: Mapping[str, PregelNode]) -> GraphIndex:
        """Index ``nodes`` by the channels that trigger them."""
        index: dict[str, set[str]] = {}
        for name, node in nodes.items():
            for channel in node.triggers:
                index.setdefault(channel, set()).add(name)
        widest = max(
            (len(n.reads) for n in nodes.values() if not isinstance(n.reads, str)), default=0
        )
        return cls(
            nodes=dict(nodes),
            trigger_to_nodes={ch: tuple(sorted(names)) for ch, names in index.items()},
            all_nodes=tuple(sorted(nodes)),
            trigger_channels=frozenset(index),
            layouts=LayoutCache(worthwhile=widest >= WIDE_READ),
        )


def _push_tasks(
    index: GraphIndex,
    channels: Mapping[str, BaseChannel[Any, Any]],
    checkpoint_id: str,
    ns: str,
    step: int,
) -> list[Task]:
    tasks_channel = channels.get(TASKS)
    if tasks_channel is None or not tasks_channel.is_available():
        return []
    tasks = []
    for i, packet in enumerate(tasks_channel.get()):
        if not isinstance(packet, Send):
            raise InvalidUpdateError(f"the tasks channel holds {packet!r}: only Send packets")
        node = index.nodes.get(packet.node)
        if node is None:
            raise InvalidUpdateError(
                f"Send to unknown node {packet.node!r}: known nodes are {sorted(index.nodes)}"
            )
        tid = task_id(checkpoint_id, ns, step, packet.node, "PUSH", i)
        tasks.append(
            Task(
                id=tid,
                name=packet.node,
                kind=_PUSH,
                index=i,
                node=node,
                input=packet.arg,
                triggers=_PUSH_TRIGGERS,
                parent_ns=ns,
            )
        )
    return tasks


def _fired(
    node: PregelNode,
    channels: Mapping[str, BaseChannel[Any, Any]],
    channel_versions: Mapping[str, int],
    seen: Mapping[str, int],
) -> list[str] | None:
    """The node's triggers with a version it has not seen and a value; None if there are none."""
    fired = None
    for ch in node.triggers:
        if channel_versions.get(ch, 0) > seen.get(ch, 0) and channels[ch].is_available():
            if fired is None:
                fired = [ch]
            else:
                fired.append(ch)
    return fired


def _read_shared(
    reads: str | tuple[str, ...],
    channels: Mapping[str, BaseChannel[Any, Any]],
    values: LiveValues | None,
    read_cache: dict[int, dict[str, Any]],
) -> Any:
    """A node's input, copied from a sibling's read of the same channels if there was one."""
    if isinstance(reads, str):
        return read_input(channels, reads, values)
    # Keyed by identity: hashing a tuple of hundreds of keys costs more than reading them.
    cached = read_cache.get(id(reads))
    if cached is None:
        # The first reader takes the dict itself: no task runs before planning ends, so it
        # is still as read when a sibling copies it.
        cached = read_cache[id(reads)] = read_input(channels, reads, values)
        return cached
    return cached.copy()  # every task gets its own dict (copy() clones a dict in C)


def plan_tasks(
    index: GraphIndex,
    channels: Mapping[str, BaseChannel[Any, Any]],
    channel_versions: Mapping[str, int],
    versions_seen: Mapping[str, Mapping[str, int]],
    *,
    updated_channels: Collection[str] | None,
    checkpoint_id: str,
    ns: str,
    step: int,
    values: LiveValues | None = None,
    state: dict[str, Any] | None = None,
    state_readers: frozenset[str] = frozenset(),
    stop: int | None = None,
) -> list[Task]:
    """The tasks of the next superstep: PUSH tasks first (in ``Send`` order), then PULL tasks.

    Args:
        index: the graph's trigger index.
        channels: live channels, as of the end of the previous step.
        channel_versions: the current version of each channel.
        versions_seen: for each node, the versions of its triggers it last ran on.
        updated_channels: channels the previous step updated; ``None`` to examine every node.
        checkpoint_id: id of the checkpoint the step starts from (seeds the task ids).
        ns: the graph's checkpoint namespace ("" at the top level).
        step: the superstep's number.
        values: the channels' live values, when the caller keeps them (inputs are then read
            from there instead of from each channel).
        state: the state as the channels hold it now, when the caller read it already: the
            input of ``state_readers`` (the nodes that read exactly that) is a copy of it.
        state_readers: see ``state``.
        stop: the last superstep the run may take (its recursion budget), which the inputs'
            managed values derive from; ``None`` leaves them out (a snapshot's tasks).

    Returns:
        The planned tasks, inputs read from ``channels``.
    """
    tasks = _push_tasks(index, channels, checkpoint_id, ns, step)
    if updated_channels is None:
        candidates: Collection[str] = index.all_nodes
    else:
        names: set[str] = set()
        t2n = index.trigger_to_nodes
        # Only trigger channels matter; the set intersection skips plain state keys in C.
        for channel in index.trigger_channels.intersection(updated_channels):
            names.update(t2n[channel])
        candidates = sorted(names) if len(names) > 1 else names
    due = []
    for name in candidates:
        node = index.nodes[name]
        fired = _fired(node, channels, channel_versions, versions_seen.get(name, _NO_VERSIONS))
        if fired is not None:
            due.append((name, node, fired))
    # Siblings reading the same channels copy the first one's read (only worth it for several).
    read_cache: dict[int, dict[str, Any]] | None = {} if len(due) > 1 else None
    for name, node, fired in due:
        try:
            if state is not None and name in state_readers:
                value = state.copy()  # read already (copy() clones a dict in C)
            elif read_cache is None:
                value = read_input(channels, node.reads, values)
            else:
                value = _read_shared(node.reads, channels, values, read_cache)
        except EmptyChannelError:
            continue  # a node reading a single empty channel has nothing to run on
        if node.managed and stop is not None and type(value) is dict:
            value = {**value, **{key: how.get(step, stop) for key, how in node.managed}}
        if node.mapper is not None:
            value = node.mapper(value)  # the node's own input type (dataclass, pydantic model)
        tid = task_id(checkpoint_id, ns, step, name, "PULL", name)
        tasks.append(
            Task(
                id=tid,
                name=name,
                kind=_PULL,
                index=0,
                node=node,
                input=value,
                # A node whose every trigger fired (one trigger, mostly) shares its tuple.
                triggers=node.triggers if len(fired) == len(node.triggers) else tuple(fired),
                parent_ns=ns,
            )
        )
    return tasks
