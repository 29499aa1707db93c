"""Differential tests: subgraph scenarios run with nbpregel and with LangGraph, compared.

Namespaces are compared without their task ids (the libraries derive ids differently) and
interrupts by value. Chunks of parallel tasks are compared as sorted lists where the order of
parallel work is not part of the contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from persistence.support import Calls

from .support import (
    LIBS,
    Lib,
    build_ask_in_sub,
    build_nested_asks,
    build_node_calls_subgraphs,
    build_parent_command,
    build_sub_with_writer,
    lib_named,
    shape,
)

pytest.importorskip("langgraph")

pytestmark = pytest.mark.langgraph

START = {"x": 1, "log": []}
MODES = ["updates", "values", "custom"]
Scenario = Callable[[Lib, Calls], list[Any]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    """Register ``fn``; the test runs it with each library's names and a fresh call counter."""
    SCENARIOS[fn.__name__] = fn
    return fn


def thread(thread_id: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def streamed(app: Any, value: Any, config: Any, **kw: Any) -> list[Any]:
    return shape(list(app.stream(value, config, **kw)))


def namespaces(saver: Any) -> list[Any]:
    return sorted({shape(c.config["configurable"]["checkpoint_ns"]) for c in saver.list(None)})


def tasks_of(snapshot: Any) -> list[Any]:
    out = []
    for task in snapshot.tasks:
        state = task.state
        if state is not None and hasattr(state, "next"):
            state = ("snapshot", state.values, sorted(state.next), tasks_of(state))
        out.append((task.name, shape(list(task.interrupts)), shape(state)))
    return sorted(out, key=repr)


@scenario
def interrupt_in_subgraph_then_resume(lib: Lib, calls: Calls) -> list[Any]:
    saver = lib.saver()
    app = build_ask_in_sub(lib, calls, checkpointer=saver)
    config = thread()
    first = streamed(app, START, config, subgraphs=True, stream_mode=["updates", "values"])
    snap = app.get_state(config)
    deep = app.get_state(config, subgraphs=True)
    child = app.get_state(snap.tasks[0].state)
    resumed = streamed(
        app, lib.types.Command(resume="yes"), config, subgraphs=True, stream_mode="updates"
    )
    final = app.get_state(config)
    return [
        first,
        shape(snap.values),
        sorted(snap.next),
        tasks_of(snap),
        tasks_of(deep),
        shape(child.values),
        list(child.next),
        shape(child.metadata["source"]),
        resumed,
        shape(final.values),
        calls.counts(),
        namespaces(saver),
        len(list(app.get_state_history(config))),
        len(list(app.get_state_history(snap.tasks[0].state))),
    ]


@scenario
def nested_and_parallel_interrupts_answered_one_by_one(lib: Lib, calls: Calls) -> list[Any]:
    saver = lib.saver()
    app = build_nested_asks(lib, calls, checkpointer=saver)
    config = thread()
    first = sorted(map(repr, streamed(app, START, config, subgraphs=True, stream_mode="updates")))
    interrupts = app.get_state(config).interrupts
    by_value = {i.value: i.id for i in interrupts}
    out = [first, shape(list(interrupts)), namespaces(saver)]
    for value in ("deep?", "b?"):
        result = app.invoke(lib.types.Command(resume={by_value[value]: value.upper()}), config)
        out.append(shape(result))
        out.append(calls.counts())
    return out


@scenario
def single_answer_to_two_interrupts_is_refused(lib: Lib, calls: Calls) -> list[Any]:
    app = build_nested_asks(lib, calls, checkpointer=lib.saver())
    config = thread()
    app.invoke(START, config)
    before = app.get_state(config)
    with pytest.raises(Exception, match=r"(?i)interrupt"):
        app.invoke(lib.types.Command(resume="same for both"), config)
    after = app.get_state(config)
    return [before.config == after.config, shape(after.values), calls.counts()]


@scenario
def child_state_edited_then_parent_resumed(lib: Lib, calls: Calls) -> list[Any]:
    app = build_ask_in_sub(lib, calls, checkpointer=lib.saver())
    config = thread()
    app.invoke(START, config)
    child = app.get_state(config).tasks[0].state
    app.update_state(child, {"x": 500}, as_node="inc")
    edited = app.get_state(child)
    result = app.invoke(lib.types.Command(resume="ok"), config)
    return [shape(edited.values), list(edited.next), shape(result), calls.counts()]


@scenario
def command_parent_routes_the_parent(lib: Lib, calls: Calls) -> list[Any]:
    app = build_parent_command(lib, calls, checkpointer=lib.saver())
    config = thread()
    chunks = streamed(app, START, config, subgraphs=True, stream_mode="updates")
    plain = streamed(app, START, thread("other"), stream_mode="updates")
    return [chunks, plain, shape(app.get_state(config).values), calls.counts()]


@scenario
def subgraph_chunks_only_with_subgraphs_true(lib: Lib, calls: Calls) -> list[Any]:
    app = build_sub_with_writer(lib, calls)
    with_subs = streamed(app, START, None, subgraphs=True, stream_mode=MODES)
    without = streamed(app, START, None, stream_mode=MODES)
    single_mode = streamed(app, START, None, subgraphs=True, stream_mode="updates")
    return [with_subs, without, single_mode, shape(app.invoke(START)), calls.counts()]


@scenario
def graphs_invoked_inside_a_node_get_their_own_namespaces(lib: Lib, calls: Calls) -> list[Any]:
    saver = lib.saver()
    app = build_node_calls_subgraphs(lib, calls, checkpointer=saver)
    chunks = streamed(app, START, thread(), subgraphs=True, stream_mode="updates")
    return [chunks, namespaces(saver), calls.counts()]


@scenario
def async_subgraph_stream(lib: Lib, calls: Calls) -> list[Any]:
    import asyncio

    app = build_sub_with_writer(lib, calls)

    async def collect() -> list[Any]:
        return [c async for c in app.astream(START, subgraphs=True, stream_mode=MODES)]

    return [shape(asyncio.run(collect())), calls.counts()]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_behaviour_as_langgraph(name: str) -> None:
    ours, theirs = (SCENARIOS[name](lib_named(lib), Calls()) for lib in LIBS)
    assert ours == theirs
