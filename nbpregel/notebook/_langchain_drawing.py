"""LangGraph's own ``get_graph()`` drawing (LangChain's ``Graph``) as a :class:`DrawableGraph`,
so that ``nb.show`` and ``nb.run`` draw a graph built with LangGraph too. Recognised by its
shape: LangChain is not imported.

Example:
    >>> from types import SimpleNamespace as Obj
    >>> drawing = Obj(
    ...     nodes={i: Obj(id=i, name=i) for i in ("__start__", "agent", "__end__")},
    ...     edges=[Obj(source="__start__", target="agent", conditional=False, data=None),
    ...            Obj(source="agent", target="__end__", conditional=True, data="done")])
    >>> is_langchain_graph(drawing)
    True
    >>> graph = from_langchain(drawing, "agent")
    >>> [(node.id, node.kind) for node in graph.nodes.values()]
    [('__start__', 'start'), ('agent', 'node'), ('__end__', 'end')]
    >>> [(edge.id, edge.conditional) for edge in graph.edges]
    [('__start__->agent', False), ('agent->__end__[done]', True)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nbpregel.constants import END, START
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode, NodeKind

__all__ = ["from_langchain", "is_langchain_graph"]


def is_langchain_graph(drawing: object) -> bool:
    """Whether ``drawing`` has the shape of LangGraph's ``get_graph()`` (LangChain's ``Graph``:
    ``nodes`` by id, each with ``id`` and ``name``; ``edges`` with ``source``, ``target``,
    ``conditional`` and ``data``), checked by shape: LangChain is not imported."""
    nodes, edges = getattr(drawing, "nodes", None), getattr(drawing, "edges", None)
    if not isinstance(nodes, Mapping) or not isinstance(edges, Sequence):
        return False
    return all(hasattr(node, "id") and hasattr(node, "name") for node in nodes.values()) and all(
        hasattr(edge, "source") and hasattr(edge, "target") for edge in edges
    )


def from_langchain(drawing: Any, name: str) -> DrawableGraph:
    """LangGraph's drawing as a :class:`DrawableGraph`: START and END shaped, conditional edges
    dashed, an edge's ``data`` as its label (LangGraph draws no joins and no deferred nodes)."""
    kinds: dict[str, NodeKind] = {START: "start", END: "end"}
    nodes = [
        DrawableNode(
            id=str(node_id),
            name=str(node.name),
            kind=kinds.get(node_id, "node"),
            metadata=dict(getattr(node, "metadata", None) or {}),
        )
        for node_id, node in drawing.nodes.items()
    ]
    edges: dict[tuple[str, str, str | None], DrawableEdge] = {}
    for edge in drawing.edges:
        data = getattr(edge, "data", None)
        label = None if data is None else str(data)
        key = (str(edge.source), str(edge.target), label)
        edges.setdefault(
            key, DrawableEdge(key[0], key[1], bool(getattr(edge, "conditional", False)), label)
        )
    return DrawableGraph(nodes, edges.values(), name=str(name))
