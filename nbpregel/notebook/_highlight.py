"""Which nodes and edges to light up for one recorded step.

A node's color comes from its tasks in the step (several tasks of one node, from a ``Send``
fan-out, show the most telling status). An edge ``Y -> X`` is active when a task of ``Y``
wrote, in that step, to what starts ``X``:

- ``branch:to:X`` (a plain or conditional edge, or ``Command(goto=X)``);
- a join's channel ``join:<sources>:X``;
- a ``Send("X", ...)`` (the ``__pregel_tasks`` channel);
- a vertex program's message to vertex ``X`` (its ``inbox:X``).

Nothing is written to reach ``END``; on the step that ended the run, the edges from the nodes
that ran to ``__end__`` are lit and ``__end__`` is shown done.

A step of a subgraph's run (a namespace ``"sub:<task id>"``) is lit inside the cluster of node
``sub``, with qualified ids (``"sub|inner"``); the subgraph node itself is lit as its task is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import (
    BRANCH_PREFIX,
    END,
    INBOX_PREFIX,
    JOIN_PREFIX,
    NS_END,
    NS_SEP,
    TASKS,
    TaskKind,
)
from nbpregel.graph.description import DrawableGraph
from nbpregel.notebook._ids import qualify
from nbpregel.notebook._records import TaskRecord
from nbpregel.notebook._tables import TaskStatus
from nbpregel.types import Send

if TYPE_CHECKING:
    from nbpregel.notebook.recorder import Recorder

__all__ = [
    "ROOT_LABEL",
    "EdgeIndex",
    "Highlighter",
    "NodeState",
    "StepHighlight",
    "highlight",
    "namespace_label",
    "ns_path",
    "write_target",
]


ROOT_LABEL: Final = "root graph"
"""How a view names the root graph's run."""
_SHORT_ID: Final = 8  # characters of a task id shown in a run's name


class NodeState(StrEnum):
    """How a node looks in a ``GraphView``; each state has its own fill color."""

    IDLE = "idle"
    RUNNING = "running"
    DONE = "done"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    CACHED = "cached"


_NODE_STATE: Final = {
    TaskStatus.OK: NodeState.DONE,
    TaskStatus.CACHED: NodeState.CACHED,
    TaskStatus.ERROR: NodeState.ERROR,
    TaskStatus.INTERRUPTED: NodeState.INTERRUPTED,
    TaskStatus.RUNNING: NodeState.RUNNING,
}
# When several tasks of one node ran in a step, the first of these states that occurs wins.
_PRECEDENCE: Final = (
    NodeState.ERROR,
    NodeState.INTERRUPTED,
    NodeState.RUNNING,
    NodeState.DONE,
    NodeState.CACHED,
)


@dataclasses.dataclass(frozen=True, slots=True)
class StepHighlight:
    """The look of one step: ``{node_id: state}`` for the lit nodes, and the active edge ids."""

    nodes: dict[str, NodeState]
    edges: tuple[str, ...]


class EdgeIndex:
    """The edges of a drawn graph by ``(source, target)``, top level only.

    Example:
        >>> from nbpregel.graph.description import DrawableEdge, DrawableNode
        >>> graph = DrawableGraph(
        ...     nodes=(DrawableNode("a", "a"), DrawableNode("b", "b")),
        ...     edges=(DrawableEdge("a", "b", True, "yes"), DrawableEdge("a", "b", True, "ok")),
        ... )
        >>> EdgeIndex(graph).between("a", "b")
        ('a->b[yes]', 'a->b[ok]')
    """

    def __init__(self, graph: DrawableGraph) -> None:
        edges: dict[tuple[str, str], list[str]] = {}
        for edge in graph.edges:
            edges.setdefault((edge.source, edge.target), []).append(edge.id)
        self._edges = {key: tuple(ids) for key, ids in edges.items()}
        self.node_ids: frozenset[str] = frozenset(graph.nodes)

    def between(self, source: str, target: str) -> tuple[str, ...]:
        """The ids of the edges from ``source`` to ``target`` (none if not drawn)."""
        return self._edges.get((source, target), ())


def write_target(channel: str, value: Any) -> str | None:
    """The node a write starts, or ``None`` for a write to the state.

    Example:
        >>> write_target("branch:to:tools", "agent"), write_target("join:a+b:c", "a")
        ('tools', 'c')
        >>> write_target("__pregel_tasks", Send("worker", 1)), write_target("messages", [])
        ('worker', None)
        >>> write_target("inbox:b", 0.25)
        'b'
    """
    if channel.startswith(BRANCH_PREFIX):
        return channel[len(BRANCH_PREFIX) :]
    if channel.startswith(INBOX_PREFIX):
        return channel[len(INBOX_PREFIX) :]
    if channel.startswith(JOIN_PREFIX):
        return channel.rpartition(":")[2]
    if channel == TASKS and isinstance(value, Send):
        return value.node
    return None


def highlight(tasks: Iterable[TaskRecord], index: EdgeIndex, *, ended: bool) -> StepHighlight:
    """The nodes and edges to light for a step whose tasks are ``tasks``.

    Args:
        tasks: the step's task records.
        index: the drawn graph's edges; nodes and edges it does not draw are left out.
        ended: the run ended with this step (``__end__`` is then lit, see the module doc).
    """
    states: dict[str, set[NodeState]] = {}
    edges: dict[str, None] = {}
    for task in tasks:
        states.setdefault(task.node, set()).add(_NODE_STATE[task.status])
        for channel, value in task.writes:
            target = write_target(channel, value)
            if target is not None:
                edges.update(dict.fromkeys(index.between(task.node, target)))
    if ended:
        for node in list(states):
            edges.update(dict.fromkeys(index.between(node, END)))
        states[END] = {NodeState.DONE}
    nodes = {node: _winner(seen) for node, seen in states.items() if node in index.node_ids}
    return StepHighlight(nodes=nodes, edges=tuple(edges))


def _with_edges_to_next(
    lit: StepHighlight, tasks: list[TaskRecord], after: list[TaskRecord], index: EdgeIndex
) -> StepHighlight:
    """``lit`` with the edges from ``tasks``' nodes to the nodes of the next step's tasks
    (``after``) that an edge's channel or a ``Send`` started, for a stream that reports no
    writes to those channels (LangGraph's ``debug``): an edge is lit when the drawing has it."""
    targets = {
        task.node
        for task in after
        if task.kind is TaskKind.PUSH  # a Send
        or any(write_target(trigger, None) == task.node for trigger in task.triggers)
    }
    edges = dict.fromkeys(lit.edges)
    for node in dict.fromkeys(task.node for task in tasks):
        for target in sorted(targets):
            edges.update(dict.fromkeys(index.between(node, target)))
    return dataclasses.replace(lit, edges=tuple(edges))


def _winner(states: set[NodeState]) -> NodeState:
    return next(state for state in _PRECEDENCE if state in states)


def ns_path(ns: str) -> list[tuple[str, str]]:
    """The ``(node, task id)`` of each level of a namespace, outermost first.

    A part that is only a number is not a level: it counts the graph runs one task started
    (``call:1f`` its first, ``call:1f|1`` its second).

    Example:
        >>> ns_path(""), ns_path("sub:1f|inner:2e"), ns_path("call:1f|1")
        ([], [('sub', '1f'), ('inner', '2e')], [('call', '1f')])
    """
    if not ns:
        return []
    return [
        (node, task_id)
        for node, sep, task_id in (part.rpartition(NS_END) for part in ns.split(NS_SEP))
        if sep
    ]


class Highlighter:
    """Lights recorded steps, of the root graph or of a subgraph's run, on one drawn graph.

    Example:
        >>> from nbpregel.graph.description import DrawableEdge, DrawableNode
        >>> inner = DrawableGraph((DrawableNode("x", "x"),), ())
        >>> outer = DrawableGraph((DrawableNode("sub", "sub", "subgraph", subgraph=inner),), ())
        >>> index, prefix = Highlighter(outer).index("sub:1f")
        >>> sorted(index.node_ids), prefix
        (['x'], 'sub')
        >>> Highlighter(outer).index("other:2e") is None
        True
    """

    def __init__(self, graph: DrawableGraph) -> None:
        self.graph = graph
        self._indexes: dict[tuple[str, ...], tuple[EdgeIndex, str] | None] = {}

    def index(self, ns: str) -> tuple[EdgeIndex, str] | None:
        """The edges of the graph drawn for namespace ``ns``, and its id prefix (``None`` when
        that subgraph is not drawn)."""
        nodes = tuple(node for node, _ in ns_path(ns))
        if nodes not in self._indexes:
            self._indexes[nodes] = self._resolve(nodes)
        return self._indexes[nodes]

    def _resolve(self, nodes: tuple[str, ...]) -> tuple[EdgeIndex, str] | None:
        graph, prefix = self.graph, ""
        for name in nodes:
            node = graph.nodes.get(name)
            if node is None or node.subgraph is None or not node.subgraph.nodes:
                return None
            graph, prefix = node.subgraph, qualify(prefix, name)
        return EdgeIndex(graph), prefix

    def step(self, recorder: Recorder, step: int, ns: str = "") -> StepHighlight:
        """The nodes and edges to light for ``step`` of namespace ``ns``, with qualified ids.

        A namespace's steps end with a checkpoint that plans nothing: ``__end__`` is lit then.

        Raises:
            KeyError: ``step`` (or ``ns``) was not recorded.
        """
        record = recorder.step(step, ns)
        nodes: dict[str, NodeState] = {}
        outer = ""
        for node, task_id in ns_path(ns):  # the subgraph nodes around it, lit as their tasks
            outer = qualify(outer, node)
            task = recorder.task(task_id)
            nodes[outer] = NodeState.RUNNING if task is None else _NODE_STATE[task.status]
        found = self.index(ns)
        if found is None:
            return StepHighlight(nodes=nodes, edges=())
        index, prefix = found
        tasks = recorder.tasks_of(step, ns)
        ends = record.checkpointed and not record.next
        inferred = recorder.edges_inferred  # (a LangGraph run without a checkpointer saves no step)
        # The next step's tasks, only where they tell: a state taken from a ``values`` chunk
        # says nothing of what comes next, and an inferred step's edges lead to them.
        after = recorder.tasks_of(step + 1, ns) if ends or inferred else []
        lit = highlight(tasks, index, ended=ends and not after)
        if inferred:
            lit = _with_edges_to_next(lit, tasks, after, index)
        nodes.update((qualify(prefix, node), state) for node, state in lit.nodes.items())
        return StepHighlight(nodes=nodes, edges=tuple(qualify(prefix, e) for e in lit.edges))


def namespace_label(recorder: Recorder, ns: str) -> str:
    """How the dropdown names a run: ``root graph``, or each subgraph node on the way with the
    step its task ran in and the start of the task's id, e.g. ``sub (step 2 · 1d9de87a)``."""
    if not ns:
        return ROOT_LABEL
    parts: list[str] = []
    for part in ns.split(NS_SEP):
        node, sep, task_id = part.rpartition(NS_END)
        if not sep:  # another graph run by the task of the level before (0 was its first)
            if parts and part.isdigit():
                parts[-1] += f" \u00b7 run {int(part) + 1}"
            continue
        task = recorder.task(task_id)
        where = f"step {task.step} \u00b7 " if task is not None else ""
        parts.append(f"{node} ({where}{task_id[:_SHORT_ID]})")
    return " \u203a ".join(parts)
