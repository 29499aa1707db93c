"""The public names the runtime and drain tests build graphs from, spelt by either library
(each cross-library test runs on both and expects the same)."""

from __future__ import annotations

import types

import pytest

__all__ = ["LIBS", "lib_of"]

LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]


def lib_of(name: str) -> types.SimpleNamespace:
    """The names these tests build graphs from, spelt by one library."""
    if name == "nbpregel":
        import nbpregel as types_
        import nbpregel.checkpoint as checkpoint
        import nbpregel.errors as errors
        import nbpregel.func as func
        import nbpregel.graph as graph
        import nbpregel.runtime as runtime
        import nbpregel.store.memory as memory
    else:
        import langgraph.checkpoint.memory as checkpoint  # type: ignore[no-redef]
        import langgraph.errors as errors  # type: ignore[no-redef]
        import langgraph.func as func  # type: ignore[no-redef]
        import langgraph.graph as graph  # type: ignore[no-redef]
        import langgraph.runtime as runtime  # type: ignore[no-redef]
        import langgraph.store.memory as memory  # type: ignore[no-redef]
        import langgraph.types as types_  # type: ignore[no-redef]
    return types.SimpleNamespace(
        StateGraph=graph.StateGraph,
        START=graph.START,
        END=graph.END,
        Runtime=runtime.Runtime,
        get_runtime=runtime.get_runtime,
        entrypoint=func.entrypoint,
        task=func.task,
        InMemorySaver=checkpoint.InMemorySaver,
        InMemoryStore=memory.InMemoryStore,
        RetryPolicy=types_.RetryPolicy,
        interrupt=types_.interrupt,
        Command=types_.Command,
        GraphDrained=errors.GraphDrained,
        RunControl=runtime.RunControl,
    )
