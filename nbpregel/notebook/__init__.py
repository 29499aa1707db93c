"""The notebook layer: draw graphs and watch runs (needs the ``notebook`` extra).

Names are imported on first use, so that drawing an SVG (``graph_mimebundle``) does not load
ipywidgets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_MODULES = {
    "GraphView": "graph_view",
    "GraphvizError": "svg",
    "GraphvizNotFoundError": "svg",
    "GraphvizRenderError": "svg",
    "NodeState": "graph_view",
    "dot_source": "dot",
    "graph_mimebundle": "show",
    "render_svg": "svg",
    "show": "show",
    "to_dot": "dot",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
