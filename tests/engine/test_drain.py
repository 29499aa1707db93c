"""Stopping a run between supersteps: ``RunControl.request_drain()`` (LangGraph 1.x's
cooperative drain), from a node through ``runtime.control`` or from outside the run. Each
cross-library test runs on both libraries and expects the same."""

from __future__ import annotations

import operator
import threading
import types
from typing import Annotated, Any, TypedDict

import pytest

from .runtime_libs import LIBS, lib_of

pytestmark = pytest.mark.timeout(30)


class Log(TypedDict):
    log: Annotated[list[str], operator.add]


def three_nodes(lib: types.SimpleNamespace, first: Any, **compile_kwargs: Any) -> Any:
    """``first`` and ``side`` run in the first step, ``last`` after ``first``."""
    builder = lib.StateGraph(Log)
    builder.add_node("first", first)
    builder.add_node("side", lambda state: {"log": ["side"]})
    builder.add_node("last", lambda state: {"log": ["last"]})
    builder.add_edge(lib.START, "first")
    builder.add_edge(lib.START, "side")
    builder.add_edge("first", "last")
    return builder.compile(**compile_kwargs)


def draining(state: Log, runtime: Any) -> dict[str, Any]:
    runtime.control.request_drain("maintenance")
    return {"log": ["first"]}


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


@pytest.mark.parametrize("name", LIBS)
def test_a_node_drains_the_run_after_its_step_and_a_resume_goes_on(name: str) -> None:
    lib = lib_of(name)
    graph = three_nodes(lib, draining, checkpointer=lib.InMemorySaver())
    config = thread("t")
    chunks = []
    with pytest.raises(lib.GraphDrained) as caught:
        for chunk in graph.stream({"log": []}, config, stream_mode=["updates", "values"]):
            chunks.append(chunk)
    assert caught.value.reason == "maintenance"
    assert chunks == [
        ("values", {"log": []}),
        ("updates", {"first": {"log": ["first"]}}),
        ("updates", {"side": {"log": ["side"]}}),
        ("values", {"log": ["first", "side"]}),
    ]
    snapshot = graph.get_state(config)
    assert snapshot.next == ("last",)
    assert snapshot.values == {"log": ["first", "side"]}
    assert graph.invoke(None, config) == {"log": ["first", "side", "last"]}


@pytest.mark.parametrize("name", LIBS)
def test_a_drain_asked_before_the_run_stops_it_before_any_node(name: str) -> None:
    lib = lib_of(name)
    graph = three_nodes(lib, lambda state: {"log": ["first"]}, checkpointer=lib.InMemorySaver())
    control = lib.RunControl()
    control.request_drain()
    config = thread("early")
    with pytest.raises(lib.GraphDrained) as caught:
        graph.invoke({"log": []}, config, control=control)
    assert caught.value.reason == "shutdown"
    assert graph.get_state(config).next == ("__start__",)
    assert len(list(graph.get_state_history(config))) == 1
    assert graph.invoke(None, config) == {"log": ["first", "side", "last"]}


@pytest.mark.parametrize("name", LIBS)
def test_a_drain_in_the_last_step_lets_the_run_finish(name: str) -> None:
    lib = lib_of(name)
    builder = lib.StateGraph(Log)
    builder.add_node("only", draining)
    builder.add_edge(lib.START, "only")
    assert builder.compile().invoke({"log": []}) == {"log": ["first"]}


@pytest.mark.parametrize("name", LIBS)
def test_without_a_checkpointer_a_drain_still_stops_the_run(name: str) -> None:
    lib = lib_of(name)
    seen = []
    graph = three_nodes(lib, draining)
    with pytest.raises(lib.GraphDrained):
        for chunk in graph.stream({"log": []}, stream_mode="updates"):
            seen.extend(chunk)
    assert sorted(seen) == ["first", "side"]


@pytest.mark.parametrize("name", LIBS)
async def test_the_async_driver_drains_the_same_way(name: str) -> None:
    lib = lib_of(name)
    graph = three_nodes(lib, draining, checkpointer=lib.InMemorySaver())
    config = thread("async")
    with pytest.raises(lib.GraphDrained):
        await graph.ainvoke({"log": []}, config)
    assert graph.get_state(config).next == ("last",)
    assert await graph.ainvoke(None, config) == {"log": ["first", "side", "last"]}


@pytest.mark.parametrize("name", LIBS)
def test_the_runtime_carries_the_control_given_to_the_run(name: str) -> None:
    lib = lib_of(name)
    control = lib.RunControl()
    seen = []

    def look(state: Log, runtime: Any) -> dict[str, Any]:
        seen.append(runtime.control)
        return {"log": [str(runtime.server_info)]}

    builder = lib.StateGraph(Log)
    builder.add_node("look", look)
    builder.add_edge(lib.START, "look")
    graph = builder.compile()
    assert graph.invoke({"log": []}, control=control) == {"log": ["None"]}
    graph.invoke({"log": []})
    assert seen[0] is control
    assert isinstance(seen[1], lib.RunControl) and seen[1] is not control


def test_a_drain_from_another_thread_stops_a_long_run_at_a_step_boundary() -> None:
    from nbpregel import END, START, StateGraph
    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.runtime import RunControl

    class Count(TypedDict):
        n: int

    started = threading.Event()

    def tick(state: Count) -> dict[str, Any]:
        started.set()
        return {"n": state["n"] + 1}

    builder = StateGraph(Count)
    builder.add_node("tick", tick)
    builder.add_edge(START, "tick")
    builder.add_conditional_edges("tick", lambda s: END if s["n"] >= 10**9 else "tick")
    graph = builder.compile(checkpointer=InMemorySaver())
    control = RunControl()
    config = {**thread("long"), "recursion_limit": 10**9}
    errors: list[BaseException] = []

    def run() -> None:
        try:
            graph.invoke({"n": 0}, config, control=control)
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert started.wait(10)
    control.request_drain("enough")
    worker.join(10)
    assert not worker.is_alive()
    from nbpregel.errors import GraphDrained

    assert len(errors) == 1 and isinstance(errors[0], GraphDrained)
    assert "resume it with invoke(None, config)" in str(errors[0])
    saved = graph.get_state(config)
    assert saved.next == ("tick",) and saved.values["n"] > 0


def test_a_subgraph_node_asks_and_the_top_level_run_stops_after_the_step() -> None:
    """A deliberate difference: LangGraph stops the subgraph before its next step too (the
    parent resumes it there); nbpregel lets the subgraph finish, as only the top-level run
    drains. Both end with the same state once resumed."""
    from nbpregel import START, StateGraph
    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.errors import GraphDrained

    inner = StateGraph(Log)
    inner.add_node("ask", draining)
    inner.add_node("inner_next", lambda state: {"log": ["inner_next"]})
    inner.add_edge(START, "ask")
    inner.add_edge("ask", "inner_next")
    outer = StateGraph(Log)
    outer.add_node("sub", inner.compile())
    outer.add_node("after", lambda state: {"log": ["after"]})
    outer.add_edge(START, "sub")
    outer.add_edge("sub", "after")
    graph = outer.compile(checkpointer=InMemorySaver())
    config = thread("nested")
    with pytest.raises(GraphDrained):
        graph.invoke({"log": []}, config)
    # The subgraph finished its own steps; the parent stopped before its next one.
    assert graph.get_state(config).values == {"log": ["first", "inner_next"]}
    assert graph.get_state(config).next == ("after",)
    assert graph.invoke(None, config)["log"] == ["first", "inner_next", "after"]
