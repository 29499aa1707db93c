"""Differential tests: node caching in nbpregel and in LangGraph, on the same graphs.

Each graph is declared once (``build(lib)``) and run with both libraries; they must agree on
what is streamed (``updates`` chunks, ``"__metadata__": {"cached": True}`` included) and on how
many times each node is executed. Known differences are pinned as such.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest
from persistence.support import NBPREGEL, Lib, langgraph_lib

pytest.importorskip("langgraph")

pytestmark = pytest.mark.langgraph


class State(TypedDict, total=False):
    x: int
    tag: str
    log: Annotated[list, operator.add]


def chain(lib: Lib, calls: list[str], policy: Any, checkpointer: Any = None) -> Any:
    def double(state: State) -> dict:
        calls.append("double")
        return {"x": state["x"] * 2, "log": ["double"]}

    def note(state: State) -> dict:
        calls.append("note")
        return {"log": [f"note {state['x']}"]}

    builder = lib.StateGraph(State)
    builder.add_node("double", double, cache_policy=policy)
    builder.add_node("note", note)
    builder.add_edge(lib.START, "double")
    builder.add_edge("double", "note")
    return builder.compile(cache=lib.memory_cache(), checkpointer=checkpointer)


def run_both(scenario: Callable[[Lib], Any]) -> None:
    """``scenario(lib)`` must give the same result with both libraries."""
    ours, theirs = scenario(NBPREGEL), scenario(langgraph_lib())
    assert ours == theirs


def test_two_runs_then_a_different_input() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[str] = []
        graph = chain(lib, calls, lib.CachePolicy())
        runs = [list(graph.stream({"x": x, "log": []})) for x in (1, 1, 2, 1)]
        return runs, calls

    run_both(scenario)


def test_key_func_and_ttl() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[str] = []
        policy = lib.CachePolicy(key_func=lambda state: str(state["x"]), ttl=1)
        graph = chain(lib, calls, policy)
        runs = [list(graph.stream({"x": 1, "tag": tag, "log": []})) for tag in "ab"]
        time.sleep(1.1)
        runs.append(list(graph.stream({"x": 1, "tag": "c", "log": []})))
        return runs, calls

    run_both(scenario)


def test_clear_cache() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[str] = []
        graph = chain(lib, calls, lib.CachePolicy())
        graph.invoke({"x": 1, "log": []})
        graph.clear_cache(["note"])
        graph.invoke({"x": 1, "log": []})
        graph.clear_cache()
        return graph.invoke({"x": 1, "log": []}), calls

    run_both(scenario)


def test_send_tasks_with_distinct_keys() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[int] = []

        def spread(state: State) -> list[Any]:
            return [lib.Send("work", x) for x in range(state["x"])]

        def work(x: int) -> dict:
            calls.append(x)
            return {"log": [x * 10]}

        builder = lib.StateGraph(State)
        builder.add_node("work", work, cache_policy=lib.CachePolicy(key_func=str))
        builder.add_conditional_edges(lib.START, spread, ["work"])
        graph = builder.compile(cache=lib.memory_cache())
        graph.invoke({"x": 2, "log": []})
        updates = list(graph.stream({"x": 3, "log": []}))
        # Cached tasks are streamed before the executed one by both, in task order.
        return updates, graph.invoke({"x": 3, "log": []}), sorted(calls)

    run_both(scenario)


def test_errors_are_not_cached() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[int] = []

        def flaky(state: State) -> dict:
            calls.append(state["x"])
            if len(calls) == 1:
                raise RuntimeError("once")
            return {"x": state["x"] + 1}

        builder = lib.StateGraph(State)
        builder.add_node("flaky", flaky, cache_policy=lib.CachePolicy())
        builder.add_edge(lib.START, "flaky")
        graph = builder.compile(cache=lib.memory_cache())
        with pytest.raises(RuntimeError):
            graph.invoke({"x": 1})
        return [list(graph.stream({"x": 1})) for _ in range(2)], calls

    run_both(scenario)


def test_interrupts_and_resumes() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[str] = []

        def ask(state: State) -> dict:
            calls.append("ask")
            return {"tag": lib.interrupt("tag?")}

        builder = lib.StateGraph(State)
        builder.add_node("ask", ask, cache_policy=lib.CachePolicy())
        builder.add_edge(lib.START, "ask")
        graph = builder.compile(cache=lib.memory_cache(), checkpointer=lib.memory_saver())
        one, two = ({"configurable": {"thread_id": t}} for t in "12")
        paused = [c for c in graph.stream({"x": 1}, one) if "__interrupt__" in c]
        resumed = list(graph.stream(lib.Command(resume="red"), one))
        other = list(graph.stream({"x": 1}, two))
        return len(paused), resumed, other, graph.get_state(two).values, calls

    run_both(scenario)


def test_cached_writes_become_pending_writes_of_the_checkpoint() -> None:
    def scenario(lib: Lib) -> Any:
        saver = lib.memory_saver()
        graph = chain(lib, [], lib.CachePolicy(), checkpointer=saver)
        for thread in "12":
            graph.invoke({"x": 5, "log": []}, {"configurable": {"thread_id": thread}})
        by_step = {}
        for snapshot in saver.list({"configurable": {"thread_id": "2"}}):
            by_step[snapshot.metadata["step"]] = [
                (channel, value)
                for _, channel, value in snapshot.pending_writes or []
                if channel in State.__annotations__
            ]
        return by_step

    run_both(scenario)


def test_the_tasks_stream_differs_by_design() -> None:
    """LangGraph streams no result chunk for a cached task; nbpregel does, marked ``cached``."""
    results = {}
    for lib in (NBPREGEL, langgraph_lib()):
        graph = chain(lib, [], lib.CachePolicy())
        graph.invoke({"x": 1, "log": []})
        chunks = list(graph.stream({"x": 1, "log": []}, stream_mode="tasks"))
        starts = [c["name"] for c in chunks if "input" in c]
        ends = [(c["name"], c.get("cached")) for c in chunks if "result" in c]
        results[lib.name] = starts, ends
    assert results["langgraph"] == (["double", "note"], [("note", None)])
    assert results["nbpregel"] == (["double", "note"], [("double", True), ("note", False)])


def test_tasks_sharing_a_key_in_one_step_all_hit_by_design() -> None:
    """LangGraph serves one of several same-key tasks of a step from the cache and runs the rest."""
    executed = {}
    for lib in (NBPREGEL, langgraph_lib()):
        calls: list[int] = []

        def spread(state: State, lib: Lib = lib) -> list[Any]:
            return [lib.Send("work", x) for x in range(state["x"])]

        def work(x: int, calls: list[int] = calls) -> dict:
            calls.append(x)
            return {"log": [x % 2]}

        builder = lib.StateGraph(State)
        policy = lib.CachePolicy(key_func=lambda x: str(x % 2))
        builder.add_node("work", work, cache_policy=policy)
        builder.add_conditional_edges(lib.START, spread, ["work"])
        graph = builder.compile(cache=lib.memory_cache())
        graph.invoke({"x": 2, "log": []})
        calls.clear()
        graph.invoke({"x": 4, "log": []})
        executed[lib.name] = len(calls)
    assert executed == {"nbpregel": 0, "langgraph": 2}


def test_a_node_that_writes_nothing_is_cached_too() -> None:
    def scenario(lib: Lib) -> Any:
        calls: list[str] = []

        def quiet(state: State) -> None:
            calls.append("quiet")

        builder = lib.StateGraph(State)
        builder.add_node("quiet", quiet, cache_policy=lib.CachePolicy())
        builder.add_edge(lib.START, "quiet")
        graph = builder.compile(cache=lib.memory_cache())
        return [list(graph.stream({"x": 1})) for _ in range(2)], calls

    run_both(scenario)
