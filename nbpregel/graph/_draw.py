"""``get_graph()`` for state graphs: the builder's nodes and edges as ``DrawableGraph`` data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbpregel.constants import END, START
from nbpregel.graph._validate import successors
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode

if TYPE_CHECKING:
    from nbpregel.graph.state import StateGraph

__all__ = ["describe"]


def describe(builder: StateGraph, name: str) -> DrawableGraph:
    """Nodes (START, each node, END) and edges: plain, joins, conditional (with labels)."""
    nodes = [DrawableNode(id=START, name=START, kind="start")]
    for node_name, spec in builder.nodes.items():
        sub = getattr(spec.action, "get_graph", None)
        nodes.append(
            DrawableNode(
                id=node_name,
                name=node_name,
                kind="subgraph" if sub is not None else "node",
                defer=spec.defer,
                subgraph=sub() if sub is not None else None,
                metadata=dict(spec.metadata),
            )
        )
    nodes.append(DrawableNode(id=END, name=END, kind="end"))
    all_targets = (*builder.nodes, END)
    edges: list[DrawableEdge] = [DrawableEdge(s, t) for s, t in builder.edges]
    for sources, target in builder.joins:
        key = f"{'+'.join(sources)}->{target}"
        edges.extend(DrawableEdge(source, target, join=key) for source in sources)
    for source, branches in builder.branches.items():
        for branch in branches:
            if branch.path_map is not None:
                # as LangGraph draws it: a key naming its own target is no label
                edges.extend(
                    DrawableEdge(source, target, True, str(key) if str(key) != target else None)
                    for key, target in branch.path_map.items()
                )
            else:
                targets = branch.targets() or all_targets
                edges.extend(DrawableEdge(source, t, conditional=True) for t in targets)
    for node_name, spec in builder.nodes.items():
        for target, label in (spec.destinations or {}).items():
            edges.append(DrawableEdge(node_name, target, conditional=True, label=label or None))
    nexts, _dynamic = successors(builder)
    for node_name, spec in builder.nodes.items():
        if not nexts[node_name] and node_name not in builder.branches and not spec.destinations:
            edges.append(DrawableEdge(node_name, END))
    return DrawableGraph(nodes=tuple(nodes), edges=tuple(_dedupe(edges)), name=name)


def _dedupe(edges: list[DrawableEdge]) -> list[DrawableEdge]:
    seen: set[str] = set()
    out = []
    for edge in edges:
        if edge.id not in seen:
            seen.add(edge.id)
            out.append(edge)
    return out
