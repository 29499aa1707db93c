"""Async nodes and the async twins ``ainvoke`` / ``astream``; sync ``invoke`` of async graphs."""

from __future__ import annotations

import asyncio
import operator
import threading
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, StateGraph, get_stream_writer

from .graphs import CASES, NBPREGEL, fresh


class S(TypedDict):
    log: Annotated[list, operator.add]


class Boom(Exception):
    pass


def async_graph() -> Any:
    case = CASES["async_fan_out"]
    return case.build(NBPREGEL), fresh(case.input)


EXPECTED = {"log": ["a", "b", "c", "d"], "n": 1}


async def test_ainvoke() -> None:
    app, value = async_graph()
    assert await app.ainvoke(value) == EXPECTED


async def test_astream_updates_per_step() -> None:
    app, value = async_graph()
    chunks = [chunk async for chunk in app.astream(value, stream_mode="updates")]
    names = [next(iter(chunk)) for chunk in chunks]
    assert names[0] == "a" and sorted(names[1:3]) == ["b", "c"] and names[3] == "d"


def test_sync_invoke_of_a_graph_with_async_nodes() -> None:
    app, value = async_graph()
    assert app.invoke(value) == EXPECTED


async def test_sync_invoke_inside_a_running_event_loop() -> None:
    # what a Jupyter cell does: call the sync API while the kernel's loop is running
    asyncio.get_running_loop()
    app, value = async_graph()
    assert app.invoke(value) == EXPECTED
    assert list(app.stream(fresh(value), stream_mode="values"))[-1] == EXPECTED


def parallel_pair(first: Any, second: Any) -> Any:
    g = StateGraph(S)
    g.add_node("first", first)
    g.add_node("second", second)
    g.add_edge(START, "first")
    g.add_edge(START, "second")
    return g.compile()


def rendezvous() -> Any:
    """Two async nodes that finish only if they run at the same time."""
    events: dict[str, asyncio.Event] = {}

    def event(name: str) -> asyncio.Event:
        return events.setdefault(name, asyncio.Event())

    async def first(state: S) -> dict[str, Any]:
        event("first").set()
        await asyncio.wait_for(event("second").wait(), 2)
        return {"log": ["first"]}

    async def second(state: S) -> dict[str, Any]:
        event("second").set()
        await asyncio.wait_for(event("first").wait(), 2)
        return {"log": ["second"]}

    return parallel_pair(first, second)


async def test_async_nodes_of_a_step_run_concurrently() -> None:
    assert (await rendezvous().ainvoke({"log": []}))["log"] == ["first", "second"]


def test_async_nodes_run_concurrently_under_sync_invoke() -> None:
    assert rendezvous().invoke({"log": []})["log"] == ["first", "second"]


async def test_sync_nodes_under_ainvoke_run_off_the_event_loop() -> None:
    released = threading.Event()

    def blocking(state: S) -> dict[str, Any]:
        # would deadlock (and time out) if it blocked the loop that runs `releaser`
        return {"log": [f"released={released.wait(2)}"]}

    async def releaser(state: S) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        released.set()
        return {"log": ["releaser"]}

    result = await parallel_pair(blocking, releaser).ainvoke({"log": []})
    assert result["log"] == ["released=True", "releaser"]


async def test_async_node_error_propagates_with_a_note() -> None:
    async def broken(state: S) -> None:
        await asyncio.sleep(0)
        raise Boom("async failure")

    app = parallel_pair(broken, lambda s: {"log": ["ok"]})
    with pytest.raises(Boom) as info:
        await app.ainvoke({"log": []})
    assert "'first'" in " ".join(info.value.__notes__)
    with pytest.raises(Boom):
        app.invoke({"log": []})


async def test_async_step_timeout_names_the_unfinished_task() -> None:
    async def slow(state: S) -> dict[str, Any]:
        await asyncio.sleep(2)
        return {"log": ["slow"]}

    async def quick(state: S) -> dict[str, Any]:
        return {"log": ["quick"]}

    g = StateGraph(S)
    g.add_node("slow", slow)
    g.add_node("quick", quick)
    g.add_edge(START, "slow")
    g.add_edge(START, "quick")
    app = g.compile(step_timeout=0.05)
    with pytest.raises(TimeoutError, match="'slow'") as info:
        await app.ainvoke({"log": []})
    assert "'quick'" not in str(info.value)
    with pytest.raises(TimeoutError, match="'slow'"):
        app.invoke({"log": []})


async def test_custom_chunks_from_an_async_node() -> None:
    async def talk(state: S) -> dict[str, Any]:
        write = get_stream_writer()
        for i in range(3):
            write({"progress": i})
            await asyncio.sleep(0)
        return {"log": ["talked"]}

    g = StateGraph(S)
    g.add_node("talk", talk)
    g.add_edge(START, "talk")
    chunks = [c async for c in g.compile().astream({"log": []}, stream_mode=["custom", "updates"])]
    assert chunks == [
        ("custom", {"progress": 0}),
        ("custom", {"progress": 1}),
        ("custom", {"progress": 2}),
        ("updates", {"talk": {"log": ["talked"]}}),
    ]


async def test_astream_matches_stream() -> None:
    case = CASES["send_map_reduce"]
    app = case.build(NBPREGEL)
    sync_values = list(app.stream(fresh(case.input), stream_mode="values"))
    async_values = [c async for c in app.astream(fresh(case.input), stream_mode="values")]
    assert async_values == sync_values
