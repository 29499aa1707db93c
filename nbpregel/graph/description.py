"""A graph's shape as plain data, for drawing: nodes, edges, conditional edges, joins.

Pure data, no drawing library: the notebook layer turns it into DOT and SVG. LangGraph's drawing
calls work on it offline: ``draw_mermaid`` writes Mermaid text, and ``draw_png`` and
``draw_mermaid_png`` draw with the local Graphviz ``dot`` (the notebook extra), since Mermaid
itself needs a browser or a web service.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Final, Literal

__all__ = ["DrawableEdge", "DrawableGraph", "DrawableNode", "NodeKind"]

NodeKind = Literal["start", "end", "node", "subgraph"]

_MERMAID_OPTIONS: Final = frozenset(
    {"with_styles", "curve_style", "node_colors", "wrap_label_n_words", "frontmatter_config"}
)
"""LangGraph's options of ``draw_mermaid``: accepted, and without effect here."""
_MERMAID_PNG_OPTIONS: Final = _MERMAID_OPTIONS - {"with_styles"} | {
    "draw_method",
    "background_color",
    "padding",
    "max_retries",
    "retry_delay",
}
_PNG_OPTIONS: Final = frozenset({"fontname", "labels"})


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
    def data(self) -> str | None:
        """The label, under LangGraph's name for it (``Edge.data``)."""
        return self.label

    @property
    def id(self) -> str:
        """A stable id for the edge, unique in its graph."""
        return f"{self.source}->{self.target}" + (f"[{self.label}]" if self.label else "")


@dataclasses.dataclass(frozen=True, slots=True, init=False)
class DrawableGraph:
    """The nodes and edges of a compiled graph, in definition order.

    ``nodes`` maps each node's id to the node, as LangGraph's ``get_graph().nodes`` does
    (``"agent" in graph.nodes``, ``graph.nodes["agent"]``); iterate ``nodes.values()`` for the
    nodes themselves. It is built from the nodes in order (a sequence or such a mapping).

    Example:
        >>> graph = DrawableGraph((DrawableNode("a", "a"), DrawableNode("b", "b")), ())
        >>> list(graph.nodes), graph.nodes["b"].name
        (['a', 'b'], 'b')

    Raises:
        ValueError: two nodes have the same id, or a mapping's key is not its node's id.
    """

    nodes: dict[str, DrawableNode]
    edges: tuple[DrawableEdge, ...]
    name: str

    def __init__(
        self,
        nodes: Iterable[DrawableNode] | Mapping[str, DrawableNode],
        edges: Iterable[DrawableEdge],
        name: str = "graph",
    ) -> None:
        listed = list(nodes.values() if isinstance(nodes, Mapping) else nodes)
        by_id = {node.id: node for node in listed}
        if len(by_id) != len(listed):
            ids = [node.id for node in listed]
            repeated = sorted({node_id for node_id in ids if ids.count(node_id) > 1})
            raise ValueError(f"a drawable graph's node ids must be unique: {repeated} repeat")
        if isinstance(nodes, Mapping) and list(nodes) != list(by_id):
            raise ValueError(
                f"a drawable graph's nodes mapping must key each node by its id: keys "
                f"{list(nodes)}, ids {list(by_id)}"
            )
        object.__setattr__(self, "nodes", by_id)
        object.__setattr__(self, "edges", tuple(edges))
        object.__setattr__(self, "name", name)

    def node(self, node_id: str) -> DrawableNode:
        """The node with ``node_id``; raises ``KeyError`` naming the known ids."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in graph (known: {list(self.nodes)})") from None

    def check_edges(self) -> None:
        """Raise ``ValueError`` naming the first edge that leaves or enters an unknown node
        (drawing such a graph would invent the node)."""
        for edge in self.edges:
            for end in (edge.source, edge.target):
                if end not in self.nodes:
                    raise ValueError(
                        f"edge {edge.id!r} of graph {self.name!r} names node {end!r}, which the "
                        f"graph does not have (known: {list(self.nodes)}): add the node or "
                        f"drop the edge"
                    )

    def first_node(self) -> DrawableNode | None:
        """The ``start`` node (LangGraph's ``first_node``), or ``None`` if the graph has none."""
        return next((node for node in self.nodes.values() if node.kind == "start"), None)

    def last_node(self) -> DrawableNode | None:
        """The ``end`` node (LangGraph's ``last_node``), or ``None`` if the graph has none."""
        return next((node for node in self.nodes.values() if node.kind == "end"), None)

    def to_dict(self) -> dict[str, Any]:
        """The graph as JSON-ready data: its nodes and edges as lists of dicts, in order."""
        return {
            "nodes": [dataclasses.asdict(node) for node in self.nodes.values()],
            "edges": [dataclasses.asdict(edge) for edge in self.edges],
            "name": self.name,
        }

    def draw_mermaid(self, **options: Any) -> str:
        """The graph as Mermaid flowchart text. LangGraph's styling options are accepted and
        have no effect.

        Raises:
            TypeError: an option LangGraph does not have either.
        """
        from nbpregel.graph._mermaid import mermaid_text

        _check_options("draw_mermaid", options, _MERMAID_OPTIONS)
        return mermaid_text(self)

    def draw_ascii(self) -> str:
        """The graph as a text drawing, top to bottom (LangGraph's ``draw_ascii``, without the
        ``grandalf`` package): a box per node, conditional edges dotted, labels beside their
        arrows, back edges of cycles and joins listed below the drawing. It aims to fit in
        ``nbpregel.graph._ascii.MAX_WIDTH`` (150) columns, wrapping a wider layer.

        Example:
            >>> graph = DrawableGraph((DrawableNode("a", "a"), DrawableNode("b", "b")),
            ...                       (DrawableEdge("a", "b"),))
            >>> print(graph.draw_ascii())
            +---+
            | a |
            +---+
              |
              v
            +---+
            | b |
            +---+
        """
        from nbpregel.graph._ascii import ascii_drawing

        return ascii_drawing(self)

    def print_ascii(self) -> None:
        """Prints :meth:`draw_ascii` (LangGraph's ``print_ascii``)."""
        print(self.draw_ascii())

    def draw_png(self, output_file_path: str | Path | None = None, **options: Any) -> bytes:
        """A PNG picture of the graph, drawn by Graphviz ``dot`` (as ``nb.show`` draws it), also
        written to ``output_file_path`` if given. ``fontname`` and ``labels`` are accepted and
        have no effect.

        Raises:
            ImportError: the notebook extra is not installed.
            GraphvizNotFoundError: the ``dot`` program is not installed (says how to).
        """
        _check_options("draw_png", options, _PNG_OPTIONS)
        try:
            from nbpregel.notebook.svg import render_png
        except ImportError as exc:
            raise ImportError(
                f"drawing a picture needs nbpregel's notebook extra: pip install "
                f"'nbpregel[notebook]' ({exc})"
            ) from exc
        data = render_png(self)
        if output_file_path is not None:
            Path(output_file_path).write_bytes(data)
        return data

    def draw_mermaid_png(self, output_file_path: str | Path | None = None, **options: Any) -> bytes:
        """LangGraph's ``draw_mermaid_png``, offline: the same PNG as :meth:`draw_png` (Graphviz,
        not Mermaid, which would need a browser or a web service). LangGraph's Mermaid options
        are accepted and have no effect."""
        _check_options("draw_mermaid_png", options, _MERMAID_PNG_OPTIONS)
        return self.draw_png(output_file_path)


def _check_options(method: str, options: dict[str, Any], known: Collection[str]) -> None:
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(
            f"{method}() got unexpected keyword argument(s) {unknown}; it takes "
            f"{sorted(known)}, which have no effect here"
        )
