"""A :class:`~nbpregel.graph.description.DrawableGraph` as DOT source, built with ``graphviz``.

How the drawing reads:

- nodes are rounded boxes; ``START`` is a small filled circle, ``END`` a double circle;
- a deferred node has a dashed border and a ``(deferred)`` line under its name;
- conditional edges are dashed and carry their label, when the path map names one;
- the edges of one join (``add_edge([a, b], c)``) share a color and meet in a junction point,
  from which a single arrow enters the target;
- a node whose ``subgraph`` is set is drawn as a cluster holding the nested graph; edges to and
  from it end on the cluster's border.

Every node, edge, cluster and junction point gets a DOT ``id`` (``n-``, ``e-``, ``j-``, ``je-``
followed by :func:`~nbpregel.notebook._ids.dom_token` of its id), which the ``dot`` program copies
into the SVG; :mod:`nbpregel.notebook.svg` then adds classes and ``data-*`` attributes to them.
Nodes of a nested graph have qualified ids: ``"sub|agent"`` for node ``agent`` inside node ``sub``.
Names and labels are passed through :func:`graphviz.escape`, so no name can end a quoted string,
start an HTML-like label, or smuggle in an escape sequence.
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Final

import graphviz

from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook._ids import (
    EDGE_PREFIX,
    JOIN_OUT_PREFIX,
    JOIN_POINT_PREFIX,
    NODE_PREFIX,
    display_text,
    dom_token,
    qualify,
)
from nbpregel.notebook._langchain_drawing import from_langchain, is_langchain_graph

__all__ = ["DotDocument", "DrawnElement", "ElementKind", "as_drawable", "dot_source", "to_dot"]

_FONT: Final = "Helvetica,Arial,sans-serif"
_GRAPH_ATTRS: Final = {"compound": "true", "nodesep": "0.35", "ranksep": "0.45", "fontname": _FONT}
_NODE_ATTRS: Final = {
    "fontname": _FONT,
    "fontsize": "12",
    "shape": "box",
    "style": "rounded,filled",
    "fillcolor": "#f8f9fa",
    "color": "#495057",
    "height": "0.4",
}
_EDGE_ATTRS: Final = {"fontname": _FONT, "fontsize": "10", "color": "#495057", "arrowsize": "0.7"}
_TERMINAL_ATTRS: Final = {"style": "filled", "fillcolor": "#ced4da", "fixedsize": "true"}
_START_ATTRS: Final = {**_TERMINAL_ATTRS, "shape": "circle", "width": "0.55", "fontsize": "9"}
_END_ATTRS: Final = {**_TERMINAL_ATTRS, "shape": "doublecircle", "width": "0.45", "fontsize": "9"}
_CLUSTER_ATTRS: Final = {
    "style": "rounded,filled",
    "fillcolor": "#fcfcfd",
    "color": "#868e96",
    "labeljust": "l",
    "fontsize": "11",
}
_JOIN_COLORS: Final = ("#1971c2", "#9c36b5", "#2f9e44", "#0c8599", "#c2255c", "#5c940d")
_DUPLICATE_MARK: Final = "%%"  # never produced by dom_token, so a de-duplicated id stays unique


class ElementKind(StrEnum):
    """What an SVG group stands for."""

    NODE = "node"
    """A node, or the cluster of a subgraph node."""
    EDGE = "edge"
    """An edge; for a join member, the segment from its source to the junction point."""
    JOIN_POINT = "join-point"
    """The point where the edges of one join meet."""
    JOIN_OUT = "join-out"
    """The segment from a join's junction point to its target, shared by the join's edges."""


@dataclasses.dataclass(frozen=True, slots=True)
class DrawnElement:
    """One SVG group the drawing will contain, and what to put on it.

    Attributes:
        dom_id: the ``id`` of the ``<g>`` element.
        kind: what it stands for.
        key: the node id, edge id or join key (qualified for nested graphs).
        title: the tooltip text (plain text; escaped when written).
        svg_class: the class ``dot`` gives the group: ``node``, ``edge`` or ``cluster``.
        classes: every class the group ends up with, ``svg_class`` first.
        join: the join key, for the edges and junction point of a join.
    """

    dom_id: str
    kind: ElementKind
    key: str
    title: str
    svg_class: str
    classes: tuple[str, ...]
    join: str | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class DotDocument:
    """DOT source and the elements its SVG will hold.

    Attributes:
        source: the DOT text.
        elements: one entry per node, edge, cluster, junction point and join segment.
    """

    source: str
    elements: tuple[DrawnElement, ...]

    @property
    def node_ids(self) -> frozenset[str]:
        """The (qualified) ids of the drawn nodes."""
        return frozenset(e.key for e in self.elements if e.kind is ElementKind.NODE)

    @property
    def edge_ids(self) -> frozenset[str]:
        """The (qualified) ids of the drawn edges."""
        return frozenset(e.key for e in self.elements if e.kind is ElementKind.EDGE)


@dataclasses.dataclass(frozen=True, slots=True)
class _Anchor:
    """Where edges attach to a node: the DOT nodes to aim at, and the cluster to clip at."""

    head: str
    tail: str
    cluster: str | None = None


def as_drawable(graph: object) -> DrawableGraph:
    """``graph`` itself if it is a :class:`DrawableGraph`, else ``graph.get_graph()``.

    Raises:
        TypeError: ``graph`` is neither, or its ``get_graph()`` returns something else.

    Example:
        >>> g = DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=())
        >>> as_drawable(g) is g
        True
    """
    if isinstance(graph, DrawableGraph):
        return graph
    get_graph = getattr(graph, "get_graph", None)
    if not callable(get_graph):
        raise TypeError(
            f"cannot draw a {type(graph).__name__}: pass a DrawableGraph or an object with a "
            "get_graph() method, such as a compiled graph"
        )
    drawable = get_graph()
    if isinstance(drawable, DrawableGraph):
        return drawable
    if is_langchain_graph(drawable):
        return from_langchain(drawable, getattr(graph, "name", None) or "graph")
    raise TypeError(
        f"{type(graph).__name__}.get_graph() returned a {type(drawable).__name__}, expected a "
        f"nbpregel DrawableGraph (or LangGraph's drawing: nodes by id, edges with source and "
        f"target)"
    )


def to_dot(graph: DrawableGraph) -> DotDocument:
    """Lay out nothing, just describe: the DOT source for ``graph`` and its element list.

    Raises:
        ValueError: an edge names a node that the graph does not have.

    Example:
        >>> start = DrawableNode("__start__", "__start__", kind="start")
        >>> g = DrawableGraph(
        ...     nodes=(start, DrawableNode("a", "a")),
        ...     edges=(DrawableEdge("__start__", "a"),),
        ... )
        >>> doc = to_dot(g)
        >>> sorted(doc.node_ids), sorted(doc.edge_ids)
        (['__start__', 'a'], ['__start__->a'])
        >>> "shape=circle" in doc.source
        True
    """
    digraph = graphviz.Digraph(
        name=graphviz.escape(display_text(graph.name)),
        graph_attr=_GRAPH_ATTRS,
        node_attr=_NODE_ATTRS,
        edge_attr=_EDGE_ATTRS,
    )
    builder = _Builder()
    builder.add_graph(digraph, graph, prefix="")
    return DotDocument(source=digraph.source, elements=tuple(builder.elements))


def dot_source(graph: object) -> str:
    """The DOT source for a :class:`DrawableGraph` or an object with ``get_graph()``."""
    return to_dot(as_drawable(graph)).source


class _Builder:
    """Walks a graph (and its nested graphs) once, adding DOT statements and elements."""

    def __init__(self) -> None:
        self.elements: list[DrawnElement] = []
        self._anchors: dict[str, _Anchor] = {}
        self._names: dict[str, str] = {}
        self._dom_ids: set[str] = set()
        self._joins = 0

    def add_graph(self, target: graphviz.Digraph, graph: DrawableGraph, prefix: str) -> None:
        for node in graph.nodes.values():
            self._add_node(target, node, prefix)
        graph.check_edges()
        joins: dict[str, list[DrawableEdge]] = {}
        for edge in graph.edges:
            if edge.join is None:
                self._add_edge(target, edge, prefix)
            else:
                joins.setdefault(edge.join, []).append(edge)
        for key, members in joins.items():
            self._add_join(target, key, members, prefix)

    def _unique(self, dom_id: str) -> str:
        candidate, n = dom_id, 1
        while candidate in self._dom_ids:
            n += 1
            candidate = f"{dom_id}{_DUPLICATE_MARK}{n}"
        self._dom_ids.add(candidate)
        return candidate

    def _add_node(self, target: graphviz.Digraph, node: DrawableNode, prefix: str) -> None:
        qid = qualify(prefix, node.id)
        self._names[qid] = display_text(node.name)
        dom_id = self._unique(NODE_PREFIX + dom_token(qid))
        if node.subgraph is not None and node.subgraph.nodes:
            self._add_cluster(target, node, node.subgraph, qid, dom_id)
            return
        target.node(dom_id, **_node_attrs(node, dom_id))
        self._anchors[qid] = _Anchor(head=dom_id, tail=dom_id)
        classes = ["node", "nbp-node", f"nbp-kind-{node.kind}"]
        if node.defer:
            classes.append("nbp-deferred")
        self._element(dom_id, ElementKind.NODE, qid, self._names[qid], classes)

    def _add_cluster(
        self,
        target: graphviz.Digraph,
        node: DrawableNode,
        nested: DrawableGraph,
        qid: str,
        dom_id: str,
    ) -> None:
        cluster = f"cluster_{dom_id}"
        with target.subgraph(name=cluster) as sub:
            sub.attr(id=dom_id, label=graphviz.escape(display_text(node.name)), **_CLUSTER_ATTRS)
            self.add_graph(sub, nested, qid)
        nodes = list(nested.nodes.values())
        head = nested.first_node() or nodes[0]
        tail = nested.last_node() or nodes[-1]
        self._anchors[qid] = _Anchor(
            head=self._anchors[qualify(qid, head.id)].head,
            tail=self._anchors[qualify(qid, tail.id)].tail,
            cluster=cluster,
        )
        classes = ["cluster", "nbp-node", "nbp-subgraph"]
        self._element(dom_id, ElementKind.NODE, qid, self._names[qid], classes)

    def _add_edge(self, target: graphviz.Digraph, edge: DrawableEdge, prefix: str) -> None:
        eid = qualify(prefix, edge.id)
        dom_id = self._unique(EDGE_PREFIX + dom_token(eid))
        source, dest = qualify(prefix, edge.source), qualify(prefix, edge.target)
        attrs = {"id": dom_id, **self._clips(source, dest)}
        classes = ["edge", "nbp-edge"]
        if edge.conditional:
            attrs["style"] = "dashed"
            classes.append("nbp-conditional")
        label = graphviz.escape(display_text(edge.label)) if edge.label else None
        target.edge(self._anchors[source].tail, self._anchors[dest].head, label=label, **attrs)
        title = f"{self._names[source]} \u2192 {self._names[dest]}"
        if edge.label:
            title += f" [{display_text(edge.label)}]"
        self._element(dom_id, ElementKind.EDGE, eid, title, classes)

    def _add_join(
        self, target: graphviz.Digraph, key: str, members: list[DrawableEdge], prefix: str
    ) -> None:
        jkey = qualify(prefix, key)
        color = _JOIN_COLORS[self._joins % len(_JOIN_COLORS)]
        self._joins += 1
        point = self._unique(JOIN_POINT_PREFIX + dom_token(jkey))
        target.node(point, id=point, shape="point", width="0.1", color=color, label="")
        title = f"join {display_text(key)}"
        self._element(point, ElementKind.JOIN_POINT, jkey, title, ["node", "nbp-join-point"], jkey)
        for edge in members:
            eid = qualify(prefix, edge.id)
            dom_id = self._unique(EDGE_PREFIX + dom_token(eid))
            source = qualify(prefix, edge.source)
            clip = {"ltail": c} if (c := self._anchors[source].cluster) else {}
            style = {"style": "dashed"} if edge.conditional else {}
            attrs = {"id": dom_id, "color": color, "arrowhead": "none", **clip, **style}
            target.edge(self._anchors[source].tail, point, **attrs)
            edge_title = f"{self._names[source]} \u2192 {self._names[qualify(prefix, edge.target)]}"
            classes = ["edge", "nbp-edge", "nbp-join"]
            self._element(dom_id, ElementKind.EDGE, eid, edge_title, classes, jkey)
        for dest in dict.fromkeys(qualify(prefix, edge.target) for edge in members):
            dom_id = self._unique(JOIN_OUT_PREFIX + dom_token(jkey))
            clip = {"lhead": c} if (c := self._anchors[dest].cluster) else {}
            target.edge(point, self._anchors[dest].head, id=dom_id, color=color, **clip)
            out_title = f"{title} \u2192 {self._names[dest]}"
            classes = ["edge", "nbp-edge", "nbp-join-out"]
            self._element(dom_id, ElementKind.JOIN_OUT, jkey, out_title, classes, jkey)

    def _clips(self, source: str, dest: str) -> dict[str, str]:
        """``ltail``/``lhead`` so that an edge to or from a subgraph ends at its cluster."""
        clips = {}
        if (tail_cluster := self._anchors[source].cluster) is not None:
            clips["ltail"] = tail_cluster
        if (head_cluster := self._anchors[dest].cluster) is not None:
            clips["lhead"] = head_cluster
        return clips

    def _element(
        self,
        dom_id: str,
        kind: ElementKind,
        key: str,
        title: str,
        classes: list[str],
        join: str | None = None,
    ) -> None:
        self.elements.append(
            DrawnElement(dom_id, kind, key, title, classes[0], tuple(classes), join)
        )


def _node_attrs(node: DrawableNode, dom_id: str) -> dict[str, str]:
    if node.kind == "start":
        return {"id": dom_id, "label": "start", **_START_ATTRS}
    if node.kind == "end":
        return {"id": dom_id, "label": "end", **_END_ATTRS}
    label = graphviz.escape(display_text(node.name))
    attrs = {"id": dom_id, "label": label}
    if node.kind == "subgraph":
        attrs["shape"] = "box3d"
        attrs["style"] = "filled"
    if node.defer:
        attrs["label"] = graphviz.nohtml(label + r"\n(deferred)")
        attrs["style"] = "rounded,filled,dashed"
    return attrs
