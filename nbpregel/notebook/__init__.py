"""The notebook layer: draw graphs and watch runs (needs the ``notebook`` extra).

The widget classes and the recorder are imported on first use, so that drawing an SVG
(``graph_mimebundle``) loads neither ipywidgets nor pandas.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nbpregel._lazy import load_lazy
from nbpregel.notebook.dot import dot_source, to_dot
from nbpregel.notebook.run import run
from nbpregel.notebook.show import graph_mimebundle, show
from nbpregel.notebook.svg import (
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizRenderError,
    render_svg,
)
from nbpregel.notebook.vertex_tables import VertexTables, vertex_tables

if TYPE_CHECKING:
    from nbpregel.notebook.graph_view import GraphView, NodeState
    from nbpregel.notebook.prompt import InterruptPrompt
    from nbpregel.notebook.recorder import Recorder
    from nbpregel.notebook.run_view import RunView

__all__ = [
    "GraphView",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizRenderError",
    "InterruptPrompt",
    "NodeState",
    "Recorder",
    "RunView",
    "VertexTables",
    "dot_source",
    "graph_mimebundle",
    "render_svg",
    "run",
    "show",
    "to_dot",
    "vertex_tables",
]

# Loaded on first use. (Modules named like a function they define, such as ``show``, ``run`` and
# ``vertex_tables``, are imported above: once imported, a submodule would otherwise shadow the
# function of the same name.)
_LAZY = {
    "GraphView": "nbpregel.notebook.graph_view",
    "NodeState": "nbpregel.notebook.graph_view",
    "InterruptPrompt": "nbpregel.notebook.prompt",
    "Recorder": "nbpregel.notebook.recorder",
    "RunView": "nbpregel.notebook.run_view",
}


def __getattr__(name: str) -> Any:
    return load_lazy(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted(__all__)
