"""Managed values (``nbpregel.managed``): ``RemainingSteps`` and ``IsLastStep`` state keys,
computed for each task from its superstep and the recursion limit, as LangGraph's
``langgraph.managed`` ones are (each cross-library test runs on both and expects the same).

No ``from __future__ import annotations``: the schemas are local, read by both libraries.
"""

import dataclasses
import operator
import types
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import InvalidUpdateError
from nbpregel.graph._schema import channels_for

from .runtime_libs import LIBS, lib_of


def managed_lib(name: str) -> types.SimpleNamespace:
    lib = lib_of(name)
    if name == "nbpregel":
        import nbpregel.managed as managed
        from nbpregel import Send
    else:
        import langgraph.managed as managed  # type: ignore[no-redef]
        from langgraph.types import Send  # type: ignore[assignment]
    lib.RemainingSteps, lib.IsLastStep, lib.Send = (
        managed.RemainingSteps,
        managed.IsLastStep,
        Send,
    )
    return lib


def schema(lib: types.SimpleNamespace) -> Any:
    class Loop(TypedDict):
        n: int
        log: Annotated[list, operator.add]
        remaining_steps: lib.RemainingSteps  # type: ignore[name-defined]
        is_last_step: lib.IsLastStep  # type: ignore[name-defined]

    return Loop


def looping_graph(lib: types.SimpleNamespace) -> Any:
    """``prepare -> step`` then ``step`` again until the last step the limit allows (the
    routing function reads ``is_last_step``)."""

    def prepare(state: dict[str, Any]) -> dict[str, Any]:
        return {"log": [("prepare", state["remaining_steps"], state["is_last_step"])]}

    def step(state: dict[str, Any]) -> dict[str, Any]:
        return {"n": state["n"] + 1, "log": [(state["remaining_steps"], state["is_last_step"])]}

    def again(state: dict[str, Any]) -> str:
        return lib.END if state["is_last_step"] else "step"

    builder = lib.StateGraph(schema(lib))
    builder.add_node("prepare", prepare)
    builder.add_node("step", step)
    builder.add_edge(lib.START, "prepare")
    builder.add_edge("prepare", "step")
    builder.add_conditional_edges("step", again, ["step", lib.END])
    return builder.compile(checkpointer=lib.InMemorySaver())


@pytest.mark.parametrize("lib_name", LIBS)
@pytest.mark.parametrize("limit", [3, 6])
def test_nodes_and_routes_see_the_steps_left_and_the_last_step(lib_name: str, limit: int) -> None:
    lib = managed_lib(lib_name)
    config = {"configurable": {"thread_id": "1"}, "recursion_limit": limit}
    result = looping_graph(lib).invoke({"n": 0, "log": []}, config)
    left = list(range(limit - 2, 0, -1))
    assert result == {
        "n": len(left),
        "log": [("prepare", limit - 1, False), *[(n, n == 1) for n in left]],
    }


@pytest.mark.parametrize("lib_name", LIBS)
def test_managed_values_are_never_saved_streamed_or_taken_from_the_input(lib_name: str) -> None:
    lib = managed_lib(lib_name)
    graph = looping_graph(lib)
    config = {"configurable": {"thread_id": "1"}, "recursion_limit": 4}
    given = {"n": 0, "log": [], "remaining_steps": 99, "is_last_step": True}
    chunks = list(graph.stream(given, config, stream_mode=["values", "updates"]))
    for _mode, chunk in chunks:
        keys = set(chunk) if _mode == "values" else {k for u in chunk.values() for k in u}
        assert not keys & {"remaining_steps", "is_last_step"}
    assert set(graph.get_state(config).values) == {"n", "log"}
    assert [entry[-2] for entry in graph.get_state(config).values["log"]] == [3, 2, 1]


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_send_gets_only_what_was_sent(lib_name: str) -> None:
    lib = managed_lib(lib_name)

    def fan(state: dict[str, Any]) -> list[Any]:
        return [lib.Send("peek", {"n": 5, "log": []})]

    def peek(state: dict[str, Any]) -> dict[str, Any]:
        return {"log": [sorted(state)]}

    builder = lib.StateGraph(schema(lib))
    builder.add_node("peek", peek)
    builder.add_conditional_edges(lib.START, fan, ["peek"])
    assert builder.compile().invoke({"n": 0, "log": []})["log"] == [["log", "n"]]


def test_a_node_writing_a_managed_value_is_refused_naming_it() -> None:
    lib = managed_lib("nbpregel")
    builder = lib.StateGraph(schema(lib))
    builder.add_node("cheat", lambda state: {"remaining_steps": 100})
    builder.add_edge(lib.START, "cheat")
    with pytest.raises(InvalidUpdateError, match=r"'cheat' wrote \['remaining_steps'\].*read-only"):
        builder.compile().invoke({"n": 0, "log": []})


def test_a_dataclass_state_and_a_node_input_schema_get_them_too() -> None:
    from nbpregel.managed import RemainingSteps

    @dataclasses.dataclass
    class State:
        n: int
        remaining_steps: RemainingSteps = 0

    class Narrow(TypedDict):
        left: RemainingSteps

    def count(state: State) -> dict[str, int]:
        return {"n": state.remaining_steps}

    def narrow(state: Narrow) -> dict[str, int]:
        return {"n": state["left"] * 100}

    lib = managed_lib("nbpregel")
    builder = lib.StateGraph(State)
    builder.add_node("count", count)
    builder.add_node("narrow", narrow, input_schema=Narrow)
    builder.add_edge(lib.START, "count")
    builder.add_edge("count", "narrow")
    graph = builder.compile()
    assert graph.invoke({"n": 0}, {"recursion_limit": 10})["n"] == 800  # narrow: 2nd step
    assert list(channels_for(State)) == ["n"]  # a managed key is no channel


@pytest.mark.parametrize("lib_name", LIBS)
def test_the_config_module_reaches_the_run_from_a_node(lib_name: str) -> None:
    lib = managed_lib(lib_name)
    if lib_name == "nbpregel":
        from nbpregel.config import get_config, get_store, get_stream_writer
    else:
        from langgraph.config import (  # type: ignore[assignment]
            get_config,
            get_store,
            get_stream_writer,
        )

    def look(state: dict[str, Any]) -> dict[str, Any]:
        get_stream_writer()({"from": "look"})
        store = get_store()
        store.put(("notes",), "seen", {"thread": get_config()["configurable"]["thread_id"]})
        return {"n": 1}

    builder = lib.StateGraph(schema(lib))
    builder.add_node("look", look)
    builder.add_edge(lib.START, "look")
    store = lib.InMemoryStore()
    graph = builder.compile(checkpointer=lib.InMemorySaver(), store=store)
    config = {"configurable": {"thread_id": "t1"}}
    chunks = list(graph.stream({"n": 0, "log": []}, config, stream_mode="custom"))
    assert chunks == [{"from": "look"}]
    assert store.get(("notes",), "seen").value == {"thread": "t1"}
    with pytest.raises(Exception, match="outside"):
        get_store()


@pytest.mark.parametrize("lib_name", LIBS)
def test_required_and_not_required_keys_keep_their_reducers(lib_name: str) -> None:
    import typing_extensions

    lib = managed_lib(lib_name)

    class Qualified(TypedDict, total=False):
        kept: typing_extensions.NotRequired[Annotated[list, operator.add]]
        also: typing_extensions.Required[Annotated[list, operator.add]]
        left: typing_extensions.NotRequired[lib.RemainingSteps]  # type: ignore[name-defined]

    builder = lib.StateGraph(Qualified)
    builder.add_node("add", lambda state: {"kept": [state["left"]], "also": ["b"]})
    builder.add_edge(lib.START, "add")
    result = builder.compile().invoke({"kept": ["a"], "also": ["a"]}, {"recursion_limit": 5})
    assert result == {"kept": ["a", 4], "also": ["a", "b"]}


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_resumed_run_gets_the_same_budget_as_in_langgraph(lib_name: str) -> None:
    lib = managed_lib(lib_name)

    def step(state: dict[str, Any]) -> dict[str, Any]:
        if state["n"] == 2:
            lib.interrupt("go on?")
        return {"n": state["n"] + 1, "log": [state["remaining_steps"]]}

    builder = lib.StateGraph(schema(lib))
    builder.add_node("step", step)
    builder.add_edge(lib.START, "step")
    builder.add_conditional_edges("step", lambda s: "step" if s["n"] < 100 else lib.END)
    graph = builder.compile(checkpointer=lib.InMemorySaver())
    config = {"configurable": {"thread_id": "1"}, "recursion_limit": 6}
    assert graph.invoke({"n": 0, "log": []}, config)["log"] == [5, 4]
    with pytest.raises(Exception, match="recursion") as caught:
        graph.invoke(lib.Command(resume="yes"), config)
    assert type(caught.value).__name__ == "GraphRecursionError"
    # The resumed run may go to the resumed step + the limit + 1, as a fresh one from its input.
    assert graph.get_state(config).values["log"] == [5, 4, 7, 6, 5, 4, 3, 2, 1, 0]
