"""``show(graph)`` and the MIME bundle that compiled graphs use to draw themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from nbpregel.notebook.dot import as_drawable
from nbpregel.notebook.svg import drawing

if TYPE_CHECKING:
    from nbpregel.notebook.graph_view import GraphView

__all__ = ["graph_mimebundle", "show"]

SVG_MIME: Final = "image/svg+xml"
TEXT_MIME: Final = "text/plain"


def show(graph: object, *, legend: bool = True) -> GraphView:
    """Draw a graph in the notebook, no run needed.

    Args:
        graph: a :class:`~nbpregel.graph.description.DrawableGraph` or an object with
            ``get_graph()`` returning one (a compiled graph).
        legend: show the legend of state colors.

    Returns:
        A :class:`GraphView`; as the last expression of a cell it displays itself, and front ends
        without widget support show its SVG instead.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        TypeError: ``graph`` cannot be drawn.

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> show(DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=()))
        GraphView(graph='graph', nodes=1, edges=0)
    """
    from nbpregel.notebook.graph_view import GraphView  # ipywidgets only when a widget is made

    return GraphView(graph, legend=legend)


def graph_mimebundle(graph: object) -> dict[str, str]:
    """The SVG drawing and a one-line text summary of a graph, for ``_repr_mimebundle_``.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        TypeError: ``graph`` cannot be drawn.

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> bundle = graph_mimebundle(DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=()))
        >>> bundle["text/plain"]
        "<graph 'graph': 1 node, 0 edges>"
        >>> bundle["image/svg+xml"].startswith("<svg")
        True
    """
    drawable = as_drawable(graph)
    n_nodes, n_edges = len(drawable.nodes), len(drawable.edges)
    summary = (
        f"<graph {drawable.name!r}: {n_nodes} node{'s' * (n_nodes != 1)}, "
        f"{n_edges} edge{'s' * (n_edges != 1)}>"
    )
    return {SVG_MIME: drawing(drawable)[0], TEXT_MIME: summary}
