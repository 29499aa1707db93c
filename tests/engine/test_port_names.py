"""Names a ported LangGraph notebook imports from the modules it imported them from:
``langgraph.types.interrupt`` becomes ``nbpregel.types.interrupt``, and so on; and the older
``NodeInterrupt`` pauses a run as LangGraph's does (each cross-library test runs on both)."""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

from .graphs import Counter
from .runtime_libs import LIBS, lib_of

PORTED = {
    "nbpregel.types": ["interrupt", "Command", "Send", "StreamMode", "Durability", "Checkpointer"],
    "nbpregel.errors": ["NodeInterrupt", "GraphRecursionError", "NodeTimeoutError"],
    "nbpregel.constants": ["START", "END", "TAG_NOSTREAM", "TAG_HIDDEN"],
    "nbpregel.config": ["get_config", "get_store", "get_stream_writer"],
    "nbpregel.managed": ["RemainingSteps", "IsLastStep"],
}


@pytest.mark.parametrize("module", sorted(PORTED))
def test_a_ported_import_finds_its_name(module: str) -> None:
    ours = importlib.import_module(module)
    for name in PORTED[module]:
        assert getattr(ours, name) is not None, f"{module}.{name}"


@pytest.mark.langgraph
def test_the_ported_names_are_langgraphs_names() -> None:
    for module, names in PORTED.items():
        theirs = importlib.import_module(module.replace("nbpregel", "langgraph"))
        assert [name for name in names if not hasattr(theirs, name)] == [], module


def test_interrupt_from_types_is_the_one_nodes_call() -> None:
    from nbpregel import interrupt
    from nbpregel.types import interrupt as from_types

    assert from_types is interrupt
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        importlib.import_module("nbpregel.types").nothing  # noqa: B018


@pytest.mark.parametrize("lib_name", LIBS)
def test_node_interrupt_pauses_and_the_node_runs_again_when_the_thread_goes_on(
    lib_name: str,
) -> None:
    lib = lib_of(lib_name)
    errors = importlib.import_module(f"{lib_name}.errors")

    def guard(state: dict[str, Any]) -> dict[str, Any]:
        if state["n"] > 5:
            raise errors.NodeInterrupt(f"n is {state['n']}")
        return {"n": state["n"] + 1}

    builder = lib.StateGraph(Counter)
    builder.add_node("guard", guard)
    builder.add_edge(lib.START, "guard")
    graph = builder.compile(checkpointer=lib.InMemorySaver())
    config = {"configurable": {"thread_id": "1"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # LangGraph's NodeInterrupt is deprecated
        paused = graph.invoke({"n": 9}, config)
        assert [i.value for i in paused["__interrupt__"]] == ["n is 9"]
        assert graph.get_state(config).next == ("guard",)
        again = graph.invoke(None, config)  # runs the node again: it pauses again
        assert [i.value for i in again["__interrupt__"]] == ["n is 9"]
        graph.update_state(config, {"n": 1})
        assert graph.invoke(None, config)["n"] == 2
