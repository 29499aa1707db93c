"""Node caching in runs: a cached task is not executed, its writes come from the cache."""

from __future__ import annotations

import asyncio
import operator
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import (
    END,
    START,
    CachePolicy,
    Command,
    NodeBuilder,
    Pregel,
    Send,
    StateGraph,
    interrupt,
)
from nbpregel.cache import BaseCache, InMemoryCache, SqliteCache
from nbpregel.channels import LastValue
from nbpregel.checkpoint import InMemorySaver
from nbpregel.errors import SerializationError

CACHED = {"__metadata__": {"cached": True}}


class State(TypedDict, total=False):
    x: int
    tag: str
    log: Annotated[list, operator.add]


class Counter:
    """Counts the calls of node functions, by node name."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def __call__(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1


def chain(
    cache: BaseCache | None,
    count: Counter,
    *,
    policy: CachePolicy | None = None,
    checkpointer: Any = None,
) -> Any:
    """``double`` (cached) then ``note`` (not cached)."""

    def double(state: State) -> dict:
        count("double")
        return {"x": state["x"] * 2, "log": ["double"]}

    def note(state: State) -> dict:
        count("note")
        return {"log": [f"note {state['x']}"]}

    builder = StateGraph(State)
    builder.add_node("double", double, cache_policy=policy or CachePolicy())
    builder.add_node("note", note)
    builder.add_edge(START, "double")
    builder.add_edge("double", "note")
    builder.add_edge("note", END)
    return builder.compile(cache=cache, checkpointer=checkpointer)


def test_a_second_run_on_equal_input_is_served_from_the_cache(cache: BaseCache) -> None:
    count = Counter()
    graph = chain(cache, count)
    first = list(graph.stream({"x": 3, "log": []}))
    second = list(graph.stream({"x": 3, "log": []}))
    assert first == [{"double": {"x": 6, "log": ["double"]}}, {"note": {"log": ["note 6"]}}]
    assert second == [{"double": {"x": 6, "log": ["double"]}, **CACHED}, first[1]]
    assert count.calls == {"double": 1, "note": 2}
    assert graph.invoke({"x": 3, "log": []}) == {"x": 6, "log": ["double", "note 6"]}


def test_a_different_input_misses(cache: BaseCache) -> None:
    count = Counter()
    graph = chain(cache, count)
    assert graph.invoke({"x": 1, "log": []})["x"] == 2
    assert graph.invoke({"x": 2, "log": []})["x"] == 4
    assert count.calls["double"] == 2


def test_key_func_sees_the_node_input(cache: BaseCache) -> None:
    count = Counter()
    graph = chain(cache, count, policy=CachePolicy(key_func=lambda state: str(state["x"])))
    graph.invoke({"x": 5, "tag": "first", "log": []})
    second = list(graph.stream({"x": 5, "tag": "second", "log": ["old"]}))
    assert second[0] == {"double": {"x": 10, "log": ["double"]}, **CACHED}
    assert count.calls["double"] == 1


def test_an_entry_expires_after_the_policy_ttl(cache: BaseCache) -> None:
    count = Counter()
    graph = chain(cache, count, policy=CachePolicy(ttl=1))
    graph.invoke({"x": 1, "log": []})
    graph.invoke({"x": 1, "log": []})
    assert count.calls["double"] == 1
    time.sleep(1.1)
    chunks = list(graph.stream({"x": 1, "log": []}))
    assert "__metadata__" not in chunks[0]
    assert count.calls["double"] == 2


def test_nodes_without_a_policy_are_never_cached() -> None:
    count = Counter()
    graph = chain(InMemoryCache(), count)
    for _ in range(3):
        graph.invoke({"x": 1, "log": []})
    assert count.calls["note"] == 3


def test_the_tasks_stream_reports_the_cached_task() -> None:
    graph = chain(InMemoryCache(), Counter())
    graph.invoke({"x": 1, "log": []})
    chunks = [c for mode, c in graph.stream({"x": 1, "log": []}, stream_mode=["tasks"])]
    start, result = (c for c in chunks if c["name"] == "double")
    assert start["input"] == {"x": 1, "log": []}
    assert result["cached"] is True
    assert result["result"] == {"x": 2, "log": ["double"]}
    assert (result["attempts"], result["error"]) == (0, None)
    note_result = [c for c in chunks if c["name"] == "note" and "result" in c]
    assert note_result[0]["cached"] is False


def test_the_debug_stream_reports_the_cached_task() -> None:
    graph = chain(InMemoryCache(), Counter())
    graph.invoke({"x": 1, "log": []})
    results = [
        c["payload"]
        for c in graph.stream({"x": 1, "log": []}, stream_mode="debug")
        if c["type"] == "task_result"
    ]
    assert [(r["name"], r["cached"]) for r in results] == [("double", True), ("note", False)]


def test_with_a_checkpointer_cached_writes_are_saved_like_any_others() -> None:
    count = Counter()
    saver = InMemorySaver()
    graph = chain(InMemoryCache(), count, checkpointer=saver)
    one, two = ({"configurable": {"thread_id": t}} for t in ("1", "2"))
    graph.invoke({"x": 4, "log": []}, one)
    graph.invoke({"x": 4, "log": []}, two)
    assert count.calls["double"] == 1
    assert graph.get_state(two).values == graph.get_state(one).values
    history = list(graph.get_state_history(two))
    step0 = next(snap for snap in history if snap.metadata["step"] == 0)
    pending = saver.get_tuple(step0.config).pending_writes
    assert [(ch, v) for _, ch, v in pending if ch in State.__annotations__] == [
        ("x", 8),
        ("log", ["double"]),
    ]


def asking(cache: BaseCache, count: Counter) -> Any:
    def ask(state: State) -> dict:
        count("ask")
        answer = interrupt(f"tag for {state['x']}?")
        return {"tag": answer}

    builder = StateGraph(State)
    builder.add_node("ask", ask, cache_policy=CachePolicy())
    builder.add_edge(START, "ask")
    return builder.compile(cache=cache, checkpointer=InMemorySaver())


def test_an_interrupted_task_is_not_cached_but_its_resumed_run_is(cache: BaseCache) -> None:
    count = Counter()
    graph = asking(cache, count)
    one, two = ({"configurable": {"thread_id": t}} for t in ("1", "2"))
    paused = graph.invoke({"x": 1}, one)
    assert "__interrupt__" in paused
    paused_again = graph.invoke({"x": 1}, two)  # nothing cached yet: asks again
    assert "__interrupt__" in paused_again
    assert graph.invoke(Command(resume="red"), one) == {"x": 1, "tag": "red", "log": []}
    three = {"configurable": {"thread_id": "3"}}
    assert list(graph.stream({"x": 1}, three)) == [{"ask": {"tag": "red"}, **CACHED}]
    assert count.calls["ask"] == 3  # first ask, second ask, resumed run; none for thread 3


def test_a_task_answering_an_interrupt_runs_even_when_cached(cache: BaseCache) -> None:
    count = Counter()
    graph = asking(cache, count)
    one, two = ({"configurable": {"thread_id": t}} for t in ("1", "2"))
    graph.invoke({"x": 1}, one)
    graph.invoke({"x": 1}, two)
    graph.invoke(Command(resume="theirs"), two)  # caches {"tag": "theirs"}
    assert graph.invoke(Command(resume="mine"), one) == {"x": 1, "tag": "mine", "log": []}


def test_a_failed_task_is_not_cached(cache: BaseCache) -> None:
    attempts: list[int] = []

    def flaky(state: State) -> dict:
        attempts.append(state["x"])
        if len(attempts) == 1:
            raise RuntimeError("first call fails")
        return {"x": state["x"] + 1}

    builder = StateGraph(State)
    builder.add_node("flaky", flaky, cache_policy=CachePolicy())
    builder.add_edge(START, "flaky")
    graph = builder.compile(cache=cache)
    with pytest.raises(RuntimeError, match="first call fails"):
        graph.invoke({"x": 1})
    assert graph.invoke({"x": 1}) == {"x": 2, "log": []}
    assert graph.invoke({"x": 1}) == {"x": 2, "log": []}
    assert attempts == [1, 1]


def test_a_task_that_finished_is_cached_even_when_a_sibling_fails(cache: BaseCache) -> None:
    count = Counter()

    def good(state: State) -> dict:
        count("good")
        return {"log": ["good"]}

    def bad(state: State) -> dict:
        raise ValueError("bad node")

    builder = StateGraph(State)
    builder.add_node("good", good, cache_policy=CachePolicy())
    builder.add_node("bad", bad)
    builder.add_edge(START, "good")
    builder.add_edge(START, "bad")
    graph = builder.compile(cache=cache)
    for _ in range(2):
        with pytest.raises(ValueError, match="bad node"):
            graph.invoke({"log": []})
    assert count.calls == {"good": 1}


def test_a_key_func_that_raises_fails_the_task_without_running_it() -> None:
    count = Counter()

    def broken_key(state: Any) -> str:
        raise KeyError("no such field")

    graph = chain(InMemoryCache(), count, policy=CachePolicy(key_func=broken_key))
    with pytest.raises(KeyError) as info:
        graph.invoke({"x": 1, "log": []})
    assert any("cache key of task 'double'" in note for note in info.value.__notes__)
    assert count.calls == {}


class Opaque:
    """Not a type the safe serializer accepts."""


def test_writes_the_cache_cannot_serialize_fail_the_task_with_a_fix() -> None:
    class Loose(TypedDict, total=False):
        thing: Any

    builder = StateGraph(Loose)
    builder.add_node("make", lambda state: {"thing": Opaque()}, cache_policy=CachePolicy())
    builder.add_edge(START, "make")
    graph = builder.compile(cache=InMemoryCache())
    with pytest.raises(SerializationError) as info:
        graph.invoke({"thing": 0})
    notes = " ".join(info.value.__notes__)
    assert "caching the writes of task 'make'" in notes
    assert "register_type" in notes


def test_async_graphs_hit_the_cache(cache: BaseCache) -> None:
    count = Counter()

    async def slow_double(state: State) -> dict:
        count("double")
        await asyncio.sleep(0)
        return {"x": state["x"] * 2}

    builder = StateGraph(State)
    builder.add_node("double", slow_double, cache_policy=CachePolicy())
    builder.add_edge(START, "double")
    graph = builder.compile(cache=cache)

    async def main() -> tuple[Any, list[Any]]:
        first = await graph.ainvoke({"x": 21})
        chunks = [chunk async for chunk in graph.astream({"x": 21})]
        return first, chunks

    first, chunks = asyncio.run(main())
    assert first == {"x": 42, "log": []}
    assert chunks == [{"double": {"x": 42}, **CACHED}]
    assert count.calls == {"double": 1}


def fan_out(cache: BaseCache, count: Counter) -> Any:
    def spread(state: State) -> list[Send]:
        return [Send("work", {"x": x}) for x in range(state["x"])]

    def work(arg: dict) -> dict:
        count("work")
        return {"log": [arg["x"] % 2]}

    builder = StateGraph(State)
    builder.add_node("work", work, cache_policy=CachePolicy(key_func=lambda a: str(a["x"] % 2)))
    builder.add_conditional_edges(START, spread, ["work"])
    return builder.compile(cache=cache)


def test_send_tasks_are_keyed_by_their_argument(cache: BaseCache) -> None:
    count = Counter()
    graph = fan_out(cache, count)
    assert graph.invoke({"x": 2, "log": []})["log"] == [0, 1]
    assert count.calls["work"] == 2
    chunks = list(graph.stream({"x": 4, "log": []}))
    assert count.calls["work"] == 2  # every task's key (x % 2) was seen: all four hit
    assert chunks == [{"work": {"log": [x % 2]}, **CACHED} for x in range(4)]


def test_clear_cache_makes_nodes_run_again(cache: BaseCache) -> None:
    count = Counter()
    graph = chain(cache, count)
    builder_two = StateGraph(State)
    builder_two.add_node("double", lambda s: {"x": 0}, cache_policy=CachePolicy())
    builder_two.add_edge(START, "double")
    graph.invoke({"x": 1, "log": []})
    graph.clear_cache(["note"])  # not the cached node: nothing changes
    graph.invoke({"x": 1, "log": []})
    assert count.calls["double"] == 1
    graph.clear_cache()
    graph.invoke({"x": 1, "log": []})
    assert count.calls["double"] == 2
    graph.clear_cache(["double"])
    asyncio.run(graph.aclear_cache(["double"]))
    graph.invoke({"x": 1, "log": []})
    assert count.calls["double"] == 3


def test_clear_cache_names_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"unknown node\(s\) \['dobule'\]"):
        chain(InMemoryCache(), Counter()).clear_cache(["dobule"])
    with pytest.raises(ValueError, match="no cache to clear: compile it with cache="):
        chain(None, Counter()).clear_cache()


def test_entries_are_namespaced_by_node_and_function() -> None:
    cache = InMemoryCache()
    count = Counter()
    chain(cache, count).invoke({"x": 1, "log": []})
    namespaces = list(cache._entries)
    assert namespaces == [("__pregel_ns_writes", f"{__name__}.chain.<locals>.double", "double")]


def test_a_low_level_pregel_caches_nodes_with_a_policy() -> None:
    calls: list[int] = []

    def square(x: int) -> int:
        calls.append(x)
        return x * x

    node = NodeBuilder().subscribe_only("a").do(square).write_to("b")
    app = Pregel(
        nodes={"square": node.add_cache_policy(CachePolicy())},
        channels={"a": LastValue(int), "b": LastValue(int)},
        input_channels="a",
        output_channels="b",
        cache=InMemoryCache(),
    )
    assert [app.invoke(7), app.invoke(7), app.invoke(8)] == [49, 49, 64]
    assert calls == [7, 8]
    assert list(app.stream(7, stream_mode="updates")) == [{"square": 49, **CACHED}]


def test_two_graphs_share_a_sqlite_cache_file(tmp_path: Path) -> None:
    count = Counter()
    with SqliteCache(path=tmp_path / "c.db") as first_cache:
        chain(first_cache, count).invoke({"x": 1, "log": []})
    with SqliteCache(path=tmp_path / "c.db") as second_cache:
        chunks = list(chain(second_cache, count).stream({"x": 1, "log": []}))
    assert chunks[0] == {"double": {"x": 2, "log": ["double"]}, **CACHED}
    assert count.calls["double"] == 1


_SCRIPT = textwrap.dedent(
    """
    import sys
    from typing import TypedDict
    from nbpregel import START, CachePolicy, StateGraph
    from nbpregel.cache import SqliteCache

    class S(TypedDict):
        x: int

    def slow_square(state):
        print("executed", flush=True)
        return {"x": state["x"] ** 2}

    builder = StateGraph(S)
    builder.add_node("square", slow_square, cache_policy=CachePolicy())
    builder.add_edge(START, "square")
    with SqliteCache(path=sys.argv[1]) as cache:
        for chunk in builder.compile(cache=cache).stream({"x": 12}):
            print(chunk, flush=True)
    """
)


def test_a_sqlite_cache_serves_a_later_process(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")

    def run() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", _SCRIPT, path], capture_output=True, text=True, check=True
        )
        return done.stdout.splitlines()

    assert run() == ["executed", "{'square': {'x': 144}}"]
    assert run() == ["{'square': {'x': 144}, '__metadata__': {'cached': True}}"]


def _sub_graph(count: Counter) -> Callable[[Any], Any]:
    def inner(state: State) -> dict:
        count("inner")
        return {"x": state["x"] + 100}

    builder = StateGraph(State)
    builder.add_node("inner", inner, cache_policy=CachePolicy())
    builder.add_edge(START, "inner")
    return builder.compile()


def test_a_subgraph_without_a_cache_uses_its_parents() -> None:
    count = Counter()
    builder = StateGraph(State)
    builder.add_node("sub", _sub_graph(count))
    builder.add_edge(START, "sub")
    graph = builder.compile(cache=InMemoryCache())
    assert graph.invoke({"x": 1}) == {"x": 101, "log": []}
    assert graph.invoke({"x": 1}) == {"x": 101, "log": []}
    assert count.calls == {"inner": 1}
