"""nbpregel: a Pregel / BSP runtime for agent graphs, built to be watched in a notebook.

The engine (this package without ``nbpregel.notebook``) imports no notebook library; ``show``,
``run`` and the widgets are loaded on first use through the module ``__getattr__``.
"""

from __future__ import annotations

from typing import Any

from nbpregel._lazy import load_lazy
from nbpregel.constants import END, START
from nbpregel.errors import (
    EmptyChannelError,
    GraphInterrupt,
    GraphRecursionError,
    GraphValidationError,
    InvalidUpdateError,
    NbPregelError,
)
from nbpregel.graph import CompiledStateGraph, StateGraph
from nbpregel.pregel import NodeBuilder, Pregel, get_config, get_stream_writer, interrupt
from nbpregel.types import (
    CachePolicy,
    Command,
    Interrupt,
    Overwrite,
    RetryPolicy,
    Send,
    StateSnapshot,
)

__all__ = [
    "END",
    "START",
    "CachePolicy",
    "Command",
    "CompiledStateGraph",
    "EmptyChannelError",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphValidationError",
    "Interrupt",
    "InvalidUpdateError",
    "NbPregelError",
    "NodeBuilder",
    "Overwrite",
    "Pregel",
    "RetryPolicy",
    "Send",
    "StateGraph",
    "StateSnapshot",
    "get_config",
    "get_stream_writer",
    "interrupt",
]

__version__ = "0.1.0"

# Loaded lazily so that ``import nbpregel`` never imports ipywidgets, pandas or graphviz.
_LAZY = {
    "show": "nbpregel.notebook",
    "run": "nbpregel.notebook",
    "vertex_tables": "nbpregel.notebook",
    "GraphView": "nbpregel.notebook",
    "RunView": "nbpregel.notebook",
    "InterruptPrompt": "nbpregel.notebook",
    "InMemorySaver": "nbpregel.checkpoint",
    "MemorySaver": "nbpregel.checkpoint",
    "SqliteSaver": "nbpregel.checkpoint",
}


def __getattr__(name: str) -> Any:
    return load_lazy(globals(), _LAZY, name)


def __dir__() -> list[str]:
    return sorted([*__all__, *_LAZY])
