"""The notebook layer: draw graphs and watch runs (needs the ``notebook`` extra)."""

from __future__ import annotations

from nbpregel.notebook.dot import dot_source, to_dot
from nbpregel.notebook.graph_view import GraphView, NodeState
from nbpregel.notebook.show import graph_mimebundle, show
from nbpregel.notebook.svg import (
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizRenderError,
    render_svg,
)

__all__ = [
    "GraphView",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizRenderError",
    "NodeState",
    "dot_source",
    "graph_mimebundle",
    "render_svg",
    "show",
    "to_dot",
]
