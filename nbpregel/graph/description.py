"""A graph's shape as plain data, for drawing: nodes, edges, conditional edges, joins.

Pure data, no drawing library: the notebook layer turns it into DOT and SVG.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

__all__ = ["DrawableEdge", "DrawableGraph", "DrawableNode", "NodeKind"]

NodeKind = Literal["start", "end", "node", "subgraph"]


@dataclasses.dataclass(frozen=True, slots=True)
class DrawableNode:
    """One node. ``id`` is unique in the graph and stable across runs; ``name`` is for display.

    Attributes:
        id: the node's name in the graph (``__start__`` and ``__end__`` for the virtual ends).
        name: what to show.
        kind: ``start``, ``end``, ``node`` or ``subgraph``.
        defer: the node runs only when the rest of the run has finished.
        subgraph: the nested graph, for a node that is a compiled graph.
        metadata: free-form extras.
    """

    id: str
    name: str
    kind: NodeKind = "node"
    defer: bool = False
    subgraph: DrawableGraph | None = None
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, slots=True)
class DrawableEdge:
    """One edge from ``source`` to ``target``.

    Attributes:
        source: id of the node the edge leaves.
        target: id of the node it enters.
        conditional: chosen at run time by a routing function (drawn dashed).
        label: the routing function's answer that selects this edge, when a path map names it.
        join: for ``add_edge([a, b], c)``: a key shared by the edges of one join (``"a+b->c"``);
            the target runs once every source of the join has finished.
    """

    source: str
    target: str
    conditional: bool = False
    label: str | None = None
    join: str | None = None

    @property
    def id(self) -> str:
        """A stable id for the edge, unique in its graph."""
        return f"{self.source}->{self.target}" + (f"[{self.label}]" if self.label else "")


@dataclasses.dataclass(frozen=True, slots=True)
class DrawableGraph:
    """The nodes and edges of a compiled graph, in definition order."""

    nodes: tuple[DrawableNode, ...]
    edges: tuple[DrawableEdge, ...]
    name: str = "graph"

    def node(self, node_id: str) -> DrawableNode:
        """The node with ``node_id``; raises ``KeyError`` naming the known ids."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(f"no node {node_id!r} in graph (known: {[n.id for n in self.nodes]})")

    def to_dict(self) -> dict[str, Any]:
        """The graph as JSON-ready data."""
        return dataclasses.asdict(self)
