"""How ``trace`` events are handed out once the engine knows a graph's nodes are quick.

A node is quick once a traced run saw its task finish within ``QUICK_S``. The events of steps
of quick nodes share one chunk for up to ``LIVE_AFTER_S`` (a fast run yields a handful of
chunks, not one per step), the calling thread helps run a quick parallel step, and a step of a
node not known to be quick still hands its tasks out as it starts.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypedDict

import pytest

from nbpregel import END, START, Send, StateGraph
from nbpregel.constants import TraceEvent
from nbpregel.pregel._emitter import LIVE_AFTER_S, QUICK_S

from .trace_events import Event, flatten

TASKS, DONE, CHECKPOINT, STEP = (
    TraceEvent.TASKS,
    TraceEvent.DONE,
    TraceEvent.CHECKPOINT,
    TraceEvent.STEP,
)
WAIT_S = 0.5
"""How long a slow node waits for the consumer's signal: 25 times ``LIVE_AFTER_S``."""


class Count(TypedDict):
    n: int


def _chain(length: int, node: Callable[[Count], dict[str, int]] | None = None) -> Any:
    def step(state: Count) -> dict[str, int]:
        return {"n": state["n"] + 1}

    graph = StateGraph(Count)
    names = [f"n{index:03d}" for index in range(length)]
    graph.add_sequence([(name, node or step) for name in names])
    graph.add_edge(START, names[0]).add_edge(names[-1], END)
    return graph.compile()


def _trace(app: Any, value: Any) -> list[list[Event]]:
    return list(app.stream(value, stream_mode="trace"))


def test_nodes_become_quick_once_a_traced_run_sees_them_finish_fast() -> None:
    app = _chain(3)
    assert not any(node.quick for node in app.nodes.values())
    list(app.stream({"n": 0}))  # untraced: nothing learnt
    assert not any(node.quick for node in app.nodes.values())
    _trace(app, {"n": 0})
    assert all(app.nodes[name].quick for name in ("n000", "n001", "n002"))


def test_a_fresh_graph_hands_out_each_step_as_it_starts() -> None:
    chunks = _trace(_chain(30), {"n": 0})
    assert len(chunks) >= 31  # the input, then every step of nodes not known to be quick


def test_a_chain_of_quick_nodes_yields_a_few_chunks() -> None:
    app = _chain(50)
    first = _trace(app, {"n": 0})
    for _ in range(3):  # a loaded machine may stretch a run past LIVE_AFTER_S: more chunks
        chunks = _trace(app, {"n": 0})
        if len(chunks) <= 5:
            break
    assert len(chunks) <= 5, [len(chunk) for chunk in chunks]
    # A step planned and ended within a chunk is one STEP event (``flatten`` checks it and
    # restores its TASKS, DONE and CHECKPOINT events): only a step cut by a chunk's end keeps
    # its own.
    dones = [event for chunk in chunks for event in chunk if event[0] == DONE]
    assert len(dones) < len(chunks)
    whole = [event[1] for chunk in chunks for event in chunk if event[0] == STEP]
    assert len(whole) > 50 - len(chunks), whole
    assert [e[:2] for e in flatten(chunks)] == [e[:2] for e in flatten(first)]
    assert flatten(chunks)[-1][4] == {"n": 50}


def test_a_step_saved_in_the_chunk_that_planned_it_is_one_step_event() -> None:
    app = _chain(4)
    _trace(app, {"n": 0})  # learn that the nodes are quick
    chunks = _trace(app, {"n": 0})
    steps = {event[1]: event for chunk in chunks for event in chunk if event[0] == STEP}
    assert set(steps) == {0, 1, 2, 3, 4}, [[e[:2] for e in chunk] for chunk in chunks]
    kinds = [event[0] for chunk in chunks for event in chunk if event[1] >= 0]
    assert kinds == [STEP] * 5, "a whole step leaves no TASKS, DONE or CHECKPOINT of its own"
    assert steps[0][2].name == "__start__", "a step of one task carries the task itself"
    _, _, task, at, source, checkpoint_id, values, updated, _, versions, saved_at = steps[3]
    assert task.name == "n002" and task.status == "ok"
    assert task.writes[0] == ("n", 3)  # then the route to n003
    assert (source, values, versions) == ("loop", {"n": 3}, None)
    assert sorted(updated) == ["branch:to:n002", "branch:to:n003", "n"]  # consumed, written
    assert checkpoint_id and checkpoint_id != steps[2][5]
    assert steps[2][10] <= at <= saved_at <= steps[4][3]


def test_batched_events_reach_the_consumer_within_about_live_after_s() -> None:
    pause = QUICK_S / 4

    def nap(state: Count) -> dict[str, int]:
        time.sleep(pause)
        return {"n": state["n"] + 1}

    app = _chain(150, nap)
    _trace(app, {"n": 0})  # learn that the nodes are quick
    late, chunks = 0.0, 0
    for chunk in app.stream({"n": 0}, stream_mode="trace"):
        arrived = time.time()
        chunks += 1
        stamps = [e[3] for e in chunk if e[0] in (TASKS, STEP)] + [
            e[8] for e in chunk if e[0] == CHECKPOINT
        ]
        late = max(late, arrived - min(stamps))
    assert chunks >= 3, "the events of a run longer than LIVE_AFTER_S went out in one chunk"
    assert late < 5 * LIVE_AFTER_S, f"an event waited {late * 1000:.0f} ms to go out"


def test_a_node_known_to_be_slow_shows_as_running_while_quick_steps_batch() -> None:
    signal = threading.Event()
    came: list[bool] = []

    def slow(state: Count) -> dict[str, int]:
        came.append(signal.wait(WAIT_S))
        time.sleep(2 * QUICK_S)  # slow even once the signal came at once
        return {"n": state["n"] + 1}

    def quick(state: Count) -> dict[str, int]:
        return {"n": state["n"] + 1}

    graph = StateGraph(Count)
    graph.add_sequence([("a", quick), ("b", quick), ("c", quick), ("slow", slow)])
    graph.add_edge(START, "a").add_edge("slow", END)
    app = graph.compile()
    for _ in range(2):  # the first run teaches it: a, b and c are quick, slow is not
        signal.clear()
        for chunk in app.stream({"n": 0}, stream_mode="trace"):
            if any(e[0] == TASKS and e[2][0].name == "slow" for e in chunk):
                signal.set()
    assert app.nodes["a"].quick and not app.nodes["slow"].quick
    assert came == [True, True], "the TASKS event of 'slow' was held until it finished"


def test_the_calling_thread_helps_with_a_quick_parallel_step() -> None:
    ran_on: set[int] = set()

    class Items(TypedDict):
        items: list[int]

    def work(item: int) -> dict[str, Any]:
        ran_on.add(threading.get_ident())
        return {}

    graph = StateGraph(Items)
    graph.add_node("work", work)
    graph.add_conditional_edges(START, lambda s: [Send("work", i) for i in s["items"]])
    app = graph.compile()
    _trace(app, {"items": list(range(50))})  # learn that 'work' is quick
    ran_on.clear()
    _trace(app, {"items": list(range(50))})
    assert threading.get_ident() in ran_on


@pytest.mark.timeout(30)
def test_a_step_that_turns_slow_is_still_handed_out_when_it_ends() -> None:
    """A quick node that turns slow holds its step's events until it ends, no longer."""
    slow_now = threading.Event()

    def sometimes_slow(state: Count) -> dict[str, int]:
        if slow_now.is_set():
            time.sleep(2 * LIVE_AFTER_S)
        return {"n": state["n"] + 1}

    app = _chain(5, sometimes_slow)
    _trace(app, {"n": 0})
    slow_now.set()
    chunks = _trace(app, {"n": 0})
    assert len(chunks) >= 5  # every step outlasts LIVE_AFTER_S: handed out as each ends
    assert flatten(chunks)[-1][4] == {"n": 5}


# -- a quick step's events are made as it is saved, or as soon as anything goes out first --


def _learnt(app: Any, value: Any) -> None:
    """Run ``app`` traced once, so that the engine knows its nodes are quick."""
    _trace(app, value)
    assert all(node.quick for name, node in app.nodes.items() if name != "__start__")


def test_a_quick_step_that_fails_hands_out_its_tasks_and_its_error() -> None:
    failing = threading.Event()

    def step(state: Count) -> dict[str, int]:
        if failing.is_set() and state["n"] == 2:
            raise ValueError("boom at 2")
        return {"n": state["n"] + 1}

    app = _chain(4, step)
    _learnt(app, {"n": 0})
    failing.set()
    chunks: list[list[Event]] = []
    with pytest.raises(ValueError, match="boom at 2"):
        for chunk in app.stream({"n": 0}, stream_mode="trace"):
            chunks.append(chunk)
    events = flatten(chunks)
    tasks, done = events[-2], events[-1]
    assert tasks[:2] == (TASKS, 3) and [task.name for task in tasks[2]] == ["n002"]
    assert done[:2] == (DONE, 3) and done[2] is tasks[2][0]
    assert done[2].status == "error" and str(done[2].error) == "boom at 2"
    assert [event[1] for event in events if event[0] == CHECKPOINT] == [-1, 0, 1, 2]


def test_a_quick_step_that_asks_hands_out_its_interrupt() -> None:
    from nbpregel import Command, interrupt
    from nbpregel.checkpoint.memory import InMemorySaver

    asking = threading.Event()

    def step(state: Count) -> dict[str, int]:
        if asking.is_set() and state["n"] == 1:
            return {"n": interrupt("how many?")}
        return {"n": state["n"] + 1}

    graph = StateGraph(Count)
    graph.add_sequence([("a", step), ("b", step), ("c", step)])
    graph.add_edge(START, "a").add_edge("c", END)
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    list(app.stream({"n": 0}, config, stream_mode="trace"))
    assert app.nodes["b"].quick
    asking.set()
    config = {"configurable": {"thread_id": "u"}}
    events = flatten(app.stream({"n": 0}, config, stream_mode="trace"))
    assert [event[:2] for event in events[-2:]] == [(TASKS, 2), (DONE, 2)]
    assert events[-1][2].status == "interrupted"
    assert events[-1][2].interrupts[0].value == "how many?"
    resumed = flatten(app.stream(Command(resume=10), config, stream_mode="trace"))
    assert resumed[-1][:2] == (CHECKPOINT, 3) and resumed[-1][4] == {"n": 11}


def test_a_quick_steps_events_come_before_the_chunks_its_node_puts() -> None:
    from nbpregel.func import task

    @task
    def double(value: int) -> int:
        return 2 * value

    def step(state: Count) -> dict[str, int]:
        return {"n": double(state["n"]).result()}

    app = _chain(3, step)
    _learnt(app, {"n": 1})
    events = flatten(_trace(app, {"n": 1}))
    step_two = [(event[0], _names(event)) for event in events if event[1] == 2]
    assert step_two == [
        (TASKS, ["n001"]),
        (TASKS, ["double"]),
        (DONE, ["double"]),
        (DONE, ["n001"]),
        (CHECKPOINT, []),
    ]
    assert events[-1][4] == {"n": 8}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("resumed", [False, True], ids=["in-a-batch", "first-of-a-run"])
@pytest.mark.parametrize("driver", ["sync", "async"])
def test_a_quick_async_node_that_turns_slow_shows_as_running(driver: str, resumed: bool) -> None:
    """An async node's step is not run by the calling thread: its events go out as the step
    outlasts ``LIVE_AFTER_S``, so a quick node that turns slow shows as running. The first
    step of a run (here a resumed one) too, though no batch is open as it starts."""
    import asyncio

    from nbpregel import Command, interrupt
    from nbpregel.checkpoint.memory import InMemorySaver

    release = threading.Event()
    slow_now = threading.Event()

    def first(state: Count) -> dict[str, int]:
        return {"n": state["n"] + 1}

    async def second(state: Count) -> dict[str, int]:
        if slow_now.is_set():
            if resumed:
                interrupt("go on?")
            waited = 0.0
            while not release.is_set() and waited < WAIT_S:
                await asyncio.sleep(QUICK_S)
                waited += QUICK_S
        return {"n": state["n"] + 1}

    graph = StateGraph(Count)
    graph.add_sequence([("first", first), ("second", second)])
    graph.add_edge(START, "first").add_edge("second", END)
    app = graph.compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "learn"}}
    list(app.stream({"n": 1}, config, stream_mode="trace"))
    assert app.nodes["first"].quick and app.nodes["second"].quick
    slow_now.set()
    config = {"configurable": {"thread_id": "slow"}}
    if resumed:
        list(app.stream({"n": 1}, config, stream_mode="trace"))  # pauses in 'second'
        assert app.nodes["second"].quick
    value: Any = Command(resume=True) if resumed else {"n": 1}
    seen: list[list[Event]] = []

    def take(chunk: list[Event]) -> None:
        seen.append(chunk)
        if any(event[0] == TASKS and _names(event) == ["second"] for event in chunk):
            release.set()  # the running step was handed out before it ended

    if driver == "sync":
        for chunk in app.stream(value, config, stream_mode="trace"):
            take(chunk)
    else:

        async def consume() -> None:
            async for chunk in app.astream(value, config, stream_mode="trace"):
                take(chunk)

        asyncio.run(consume())
    assert release.is_set(), "the TASKS event of the slow step was held until it ended"
    assert flatten(seen)[-1][4] == {"n": 3}


def _names(event: Event) -> list[str]:
    if event[0] == TASKS:
        return [task.name for task in event[2]]
    return [event[2].name] if event[0] == DONE else []
