"""The ``trace`` stream mode (``TraceEvent``): event shapes, batching, liveness, pauses,
interrupts, errors and retries, subgraphs, ``@task`` calls, and ``trace`` next to ``updates``.

A ``trace`` chunk is a list of event tuples; most tests flatten the chunks in order of arrival
and check the events against what the other stream modes, or the checkpointer, say.
"""

from __future__ import annotations

import asyncio
import operator
import threading
import time
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import END, START, Command, RetryPolicy, Send, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver
from nbpregel.constants import TraceEvent
from nbpregel.func import entrypoint, task
from nbpregel.pregel._emitter import LIVE_AFTER_S
from nbpregel.types import TracedTask

from .trace_events import Event, flatten

TASKS, DONE, CHECKPOINT, PAUSE = (
    TraceEvent.TASKS,
    TraceEvent.DONE,
    TraceEvent.CHECKPOINT,
    TraceEvent.PAUSE,
)
STATE_KEYS = ("x", "log")
INPUT = {"x": 0, "log": []}
SLOW_WAIT_S = 0.5
"""How long a slow node waits for the consumer's signal: 25 times ``LIVE_AFTER_S``."""


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


class Log(TypedDict):
    log: Annotated[list, operator.add]


# -- helpers -------------------------------------------------------------------------------


def step_node(name: str) -> Callable[[S], dict[str, Any]]:
    def node(state: S) -> dict[str, Any]:
        return {"x": state["x"] + 1, "log": [name]}

    return node


def chain(names: Iterable[str], **compile_kwargs: Any) -> Any:
    """START -> names[0] -> ... -> names[-1] -> END, each node adding 1 to x and its name to log."""
    graph = StateGraph(S)
    previous = START
    for name in names:
        graph.add_node(name, step_node(name))
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, END)
    return graph.compile(**compile_kwargs)


def parallel(nodes: dict[str, Callable[..., Any]], **compile_kwargs: Any) -> Any:
    """Every node in one step, right after START."""
    graph = StateGraph(Log)
    for name, node in nodes.items():
        graph.add_node(name, node)
        graph.add_edge(START, name)
    return graph.compile(**compile_kwargs)


def thread(thread_id: str = "t", **extra: Any) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}, **extra}


def kinds(events: Iterable[Event]) -> list[str]:
    return [str(event[0]) for event in events]


def names(event: Event) -> list[str]:
    """The task names of a TASKS event, or the task name of a DONE event, as a list."""
    if event[0] == TASKS:
        return [t.name for t in event[2]]
    assert event[0] == DONE, event
    return [event[2].name]


def is_about(event: Event, kind: TraceEvent, name: str) -> bool:
    """Whether ``event`` is a ``kind`` (TASKS or DONE) event for a task named ``name``."""
    return event[0] == kind and name in names(event)


def index_of(events: list[Event], kind: TraceEvent, name: str) -> int:
    return next(i for i, e in enumerate(events) if is_about(e, kind, name))


def chunk_index(chunks: list[list[Event]], kind: TraceEvent, name: str) -> int:
    """The position of the first chunk holding a ``kind`` event for ``name``."""
    return next(i for i, chunk in enumerate(chunks) if any(is_about(e, kind, name) for e in chunk))


# -- 1. event shapes -----------------------------------------------------------------------


def _chain_events(app: Any, *, subgraphs: bool) -> list[Event]:
    if not subgraphs:
        return flatten(app.stream(INPUT, stream_mode="trace"))
    chunks = list(app.stream(INPUT, stream_mode=["trace"], subgraphs=True))
    assert {(ns, mode) for ns, mode, _ in chunks} == {((), "trace")}
    return flatten(events for _, _, events in chunks)


def _check_task_step(tasks_event: Event, done: Event, step: int, name: str, span: tuple) -> None:
    assert tasks_event[:2] == (TASKS, step)
    assert [t.name for t in tasks_event[2]] == [name]
    at = tasks_event[3]
    assert isinstance(at, float) and span[0] <= at <= span[1]
    traced = tasks_event[2][0]
    assert isinstance(traced, TracedTask)
    assert done[:2] == (DONE, step)
    assert done[2] is traced  # the engine's own task object, shared
    assert (traced.status, traced.attempts, traced.error, tuple(traced.interrupts)) == (
        "ok",
        1,
        None,
        (),
    )
    assert isinstance(traced.writes, tuple) and ("x", step) in traced.writes
    if name != START:
        assert ("log", [name]) in traced.writes
    assert traced.started_at is not None and at <= traced.started_at <= span[1]
    assert traced.duration_ms is not None and traced.duration_ms >= 0


@pytest.mark.parametrize("subgraphs", [False, True], ids=["single-mode", "mode-list-subgraphs"])
def test_chain_events_come_in_order_with_their_documented_shapes(subgraphs: bool) -> None:
    app = chain("abc")
    span_start = time.time()
    events = _chain_events(app, subgraphs=subgraphs)
    span = (span_start, time.time())
    values = list(app.stream(INPUT, stream_mode="values"))
    assert kinds(events) == ["checkpoint"] + ["tasks", "done", "checkpoint"] * 4

    first = events[0]
    assert first[:3] == (CHECKPOINT, -1, "input")
    assert START in first[5] and first[7] == {}  # a new thread: no state channel has a version
    versions_seen = [first[6]]
    for step, name in enumerate([START, "a", "b", "c"]):
        tasks_event, done, checkpoint = events[1 + 3 * step : 4 + 3 * step]
        _check_task_step(tasks_event, done, step, name, span)
        _, ckpt_step, source, checkpoint_id, state, updated, version, versions, at = checkpoint
        assert (ckpt_step, source, versions) == (step, "loop", None)
        assert state == values[step]
        assert isinstance(updated, tuple) and "x" in updated
        assert name == START or "log" in updated
        assert isinstance(version, int) and version > versions_seen[-1]
        versions_seen.append(version)
        assert isinstance(checkpoint_id, str) and checkpoint_id != first[3]
        assert span[0] <= at <= span[1] and at >= done[2].started_at


def test_checkpoint_events_agree_with_the_saved_checkpoints() -> None:
    """A recorder can rebuild every state channel's version from ``versions`` + ``updated``."""
    saver = InMemorySaver()
    app = chain("abc", checkpointer=saver)
    app.invoke(INPUT, thread())  # a second run on the thread starts from known versions
    events = flatten(app.stream({"x": 10}, thread(), stream_mode="trace"))
    checkpoints = [e for e in events if e[0] == CHECKPOINT]
    assert [c[2] for c in checkpoints] == ["input"] + ["loop"] * 4
    assert checkpoints[0][7] is not None and all(c[7] is None for c in checkpoints[1:])
    rebuilt: dict[str, Any] = {}
    for _, step, _, checkpoint_id, values, updated, version, versions, _ in checkpoints:
        config = {"configurable": {"thread_id": "t", "checkpoint_id": checkpoint_id}}
        saved = saver.get_tuple(config)
        assert saved is not None, f"checkpoint {checkpoint_id} of step {step} was not saved"
        channel_versions = saved.checkpoint["channel_versions"]
        assert saved.metadata["step"] == step
        assert values == app.get_state(config).values
        assert all(channel_versions[channel] == version for channel in updated)
        if versions is not None:
            rebuilt = dict(versions)
        rebuilt.update({channel: version for channel in updated if channel in STATE_KEYS})
        state_versions = {k: v for k, v in channel_versions.items() if k in STATE_KEYS}
        assert rebuilt == state_versions
    assert set(checkpoints[0][7]) == set(STATE_KEYS)


# -- 2. batching ---------------------------------------------------------------------------


def _best_of_three(run: Callable[[], list[list[Event]]], ok: Callable[[Any], bool]) -> Any:
    """Run up to three times: a step that turns slow (a loaded machine) is handed out live,
    in more chunks; batching that never happens fails every time."""
    for _ in range(3):
        chunks = run()
        if ok(chunks):
            return chunks
    pytest.fail(f"not batched in three runs: {[len(chunk) for chunk in chunks]}")


def test_a_long_chain_yields_about_one_chunk_per_step() -> None:
    app = chain([f"n{i:02d}" for i in range(50)])
    steps = 51  # __start__ and the 50 nodes
    chunks = _best_of_three(
        lambda: list(app.stream(INPUT, stream_mode="trace")), lambda c: len(c) <= steps + 2
    )
    events = flatten(chunks)
    assert len(events) == 3 * steps + 1
    assert kinds(events) == ["checkpoint"] + ["tasks", "done", "checkpoint"] * steps
    assert events[-1][4]["x"] == 50


def _fan_out(**compile_kwargs: Any) -> Any:
    class Items(TypedDict):
        items: list
        out: Annotated[list, operator.add]

    graph = StateGraph(Items)
    graph.add_node("work", lambda v: {"out": [v * 2]})
    graph.add_conditional_edges(START, lambda s: [Send("work", i) for i in s["items"]])
    return graph.compile(**compile_kwargs)


def _work_chunks(chunks: list[list[Event]]) -> list[list[Event]]:
    return [c for c in chunks if any(is_about(e, DONE, "work") for e in c)]


@pytest.mark.parametrize("saver", [None, InMemorySaver], ids=["no-saver", "saver"])
def test_a_fan_out_reports_all_its_done_events_in_one_chunk(saver: Any) -> None:
    def run() -> list[list[Event]]:  # a fresh graph: its nodes are not known to be quick
        app = _fan_out(checkpointer=saver() if saver else None)
        return list(app.stream({"items": list(range(100))}, thread(), stream_mode="trace"))

    chunks = _best_of_three(run, lambda c: len(_work_chunks(c)) == 1)
    (chunk,) = _work_chunks(chunks)
    done = [e for e in chunk if e[0] == DONE]
    assert len(done) == 100 and {e[1] for e in done} == {1}
    assert sorted(e[2].input for e in done) == list(range(100))
    tasks_event = next(e for e in flatten(chunks) if e[0] == TASKS and e[1] == 1)
    assert {id(t) for t in tasks_event[2]} == {id(e[2]) for e in done}
    assert all(str(t.kind) == "PUSH" for t in tasks_event[2])
    assert flatten(chunks)[-1][4]["out"] == [v * 2 for v in range(100)]


# -- 3. liveness ---------------------------------------------------------------------------


class Signal:
    """A node waits for the consumer's signal (with a timeout) and notes whether it came."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.came: bool | None = None

    def wait(self) -> None:
        self.came = self.event.wait(SLOW_WAIT_S)

    async def await_(self) -> None:
        # The consumer sets the event on the caller's thread: poll instead of asyncio.Event.
        deadline = time.monotonic() + SLOW_WAIT_S
        while not self.event.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.002)
        self.came = self.event.is_set()


def _consume(chunks: Iterable[list[Event]], signal: Signal, kind: TraceEvent, name: str) -> list:
    """Collect the chunks, setting ``signal`` once an event ``kind`` for ``name`` arrived."""
    seen = []
    for chunk in chunks:
        seen.append(chunk)
        if any(is_about(e, kind, name) for e in chunk):
            signal.event.set()
    return seen


@pytest.mark.parametrize("saver", [None, InMemorySaver], ids=["no-saver", "saver"])
def test_a_slow_nodes_tasks_event_reaches_the_consumer_before_it_finishes(saver: Any) -> None:
    signal = Signal()

    def slow(state: S) -> dict[str, Any]:
        signal.wait()
        return {"log": ["slow"]}

    graph = StateGraph(S)
    graph.add_node("slow", slow)
    graph.add_edge(START, "slow")
    app = graph.compile(checkpointer=saver() if saver else None)
    chunks = _consume(app.stream(INPUT, thread(), stream_mode="trace"), signal, TASKS, "slow")
    assert signal.came is True, "the TASKS event of 'slow' was held until it finished"
    events = flatten(chunks)
    assert index_of(events, TASKS, "slow") < index_of(events, DONE, "slow")


def _fast_and_slow(signal: Signal, fast_s: float, **compile_kwargs: Any) -> Any:
    def fast(state: Log) -> dict[str, Any]:
        time.sleep(fast_s)
        return {"log": ["fast"]}

    def slow(state: Log) -> dict[str, Any]:
        signal.wait()
        return {"log": ["slow"]}

    return parallel({"fast": fast, "slow": slow}, **compile_kwargs)


def _check_fast_done_went_out_first(chunks: list[list[Event]], signal: Signal) -> None:
    assert signal.came is True, "the DONE of 'fast' was held until 'slow' finished"
    events = flatten(chunks)
    done = [e[2] for e in events if e[0] == DONE and e[1] == 1]
    assert sorted(t.name for t in done) == ["fast", "slow"]
    assert all(t.status == "ok" for t in done)
    assert chunk_index(chunks, DONE, "fast") < chunk_index(chunks, DONE, "slow")
    assert events[-1][4] == {"log": ["fast", "slow"]}


LIVE_CASES = {
    "no-saver": (False, None),
    "saver": (True, None),
    "no-saver-max_concurrency-1": (False, 1),
    "saver-max_concurrency-1": (True, 1),
}
"""``(checkpointer?, max_concurrency)`` of the runs a step's first DONE must escape live."""


def _run_fast_and_slow(case: str, fast_s: float) -> None:
    saver, max_concurrency = LIVE_CASES[case]
    signal = Signal()
    app = _fast_and_slow(signal, fast_s, checkpointer=InMemorySaver() if saver else None)
    config = thread() if max_concurrency is None else thread(max_concurrency=max_concurrency)
    stream = app.stream({"log": []}, config, stream_mode="trace")
    _check_fast_done_went_out_first(_consume(stream, signal, DONE, "fast"), signal)


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "case", ["no-saver", "saver", "no-saver-max_concurrency-1", "saver-max_concurrency-1"]
)
def test_a_slowish_steps_first_done_is_handed_out_while_another_task_runs(case: str) -> None:
    """'fast' outlasts ``LIVE_AFTER_S``: its DONE must go out at once, while 'slow' waits."""
    _run_fast_and_slow(case, 2 * LIVE_AFTER_S)


@pytest.mark.timeout(30)
def test_every_task_of_a_slow_traced_step_runs_with_one_worker() -> None:
    def nap(state: Log) -> dict[str, Any]:
        time.sleep(LIVE_AFTER_S)
        return {"log": [1]}

    app = parallel({f"n{i}": nap for i in range(4)})
    events = flatten(app.stream({"log": []}, thread(max_concurrency=1), stream_mode="trace"))
    done = [e[2] for e in events if e[0] == DONE and e[1] == 1]
    assert sorted(t.name for t in done) == ["n0", "n1", "n2", "n3"]
    assert all((t.status, t.attempts) == ("ok", 1) for t in done)
    assert events[-1][4] == {"log": [1, 1, 1, 1]}


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "case", ["no-saver", "saver", "no-saver-max_concurrency-1", "saver-max_concurrency-1"]
)
def test_a_quick_done_is_handed_out_while_a_slow_task_runs(case: str) -> None:
    _run_fast_and_slow(case, 0.0)


@pytest.mark.timeout(30)
async def test_a_quick_async_done_is_handed_out_while_a_slow_task_runs() -> None:
    signal = Signal()

    async def fast(state: Log) -> dict[str, Any]:
        return {"log": ["fast"]}

    async def slow(state: Log) -> dict[str, Any]:
        await signal.await_()
        return {"log": ["slow"]}

    app = parallel({"fast": fast, "slow": slow})
    chunks = []
    async for chunk in app.astream({"log": []}, stream_mode="trace"):
        chunks.append(chunk)
        if any(is_about(e, DONE, "fast") for e in chunk):
            signal.event.set()
    _check_fast_done_went_out_first(chunks, signal)


# -- 4. static breakpoints -----------------------------------------------------------------


@pytest.mark.parametrize(
    "breakpoint", [{"interrupt_before": ["b"]}, {"interrupt_after": ["a"]}], ids=["before", "after"]
)
def test_a_static_breakpoint_pauses_with_a_pause_event_and_resumes(breakpoint: Any) -> None:
    app = chain("abc", checkpointer=InMemorySaver(), **breakpoint)
    events = flatten(app.stream(INPUT, thread(), stream_mode="trace"))
    assert events[-1] == (PAUSE, 2, ("b",))
    assert [e for e in events if e[0] == PAUSE] == [events[-1]]
    assert [name for e in events if e[0] == TASKS for name in names(e)] == [START, "a"]
    assert events[-2][:3] == (CHECKPOINT, 1, "loop") and events[-2][4] == {"x": 1, "log": ["a"]}
    assert app.get_state(thread()).next == ("b",)

    resumed = flatten(app.stream(None, thread(), stream_mode="trace"))
    assert resumed[0][:2] == (TASKS, 2) and names(resumed[0]) == ["b"]
    assert kinds(resumed) == ["tasks", "done", "checkpoint"] * 2
    assert [name for e in resumed if e[0] == DONE for name in names(e)] == ["b", "c"]
    assert resumed[-1][4] == {"x": 3, "log": ["a", "b", "c"]}
    assert not any(e[0] == PAUSE for e in resumed)


# -- 5. dynamic interrupts -----------------------------------------------------------------


def test_an_interrupted_task_is_done_interrupted_and_done_ok_once_resumed() -> None:
    def ask(state: Log) -> dict[str, Any]:
        return {"log": [interrupt("q")]}

    def other(state: Log) -> dict[str, Any]:
        return {"log": ["other"]}

    app = parallel({"ask": ask, "other": other}, checkpointer=InMemorySaver())
    events = flatten(app.stream({"log": []}, thread(), stream_mode="trace"))
    done = {e[2].name: e[2] for e in events if e[0] == DONE and e[1] == 1}
    assert done["ask"].status == "interrupted" and done["ask"].interrupts[0].value == "q"
    assert not done["ask"].writes and done["other"].status == "ok"
    assert not any(e[0] == CHECKPOINT and e[1] == 1 for e in events)  # the step did not end

    resumed = flatten(app.stream(Command(resume="x"), thread(), stream_mode="trace"))
    assert kinds(resumed) == ["tasks", "done", "done", "checkpoint"]
    assert resumed[0][1] == 1 and sorted(names(resumed[0])) == ["ask", "other"]
    # 'other' finishes again from its saved writes, right after being planned again
    finished = {event[2].name: event[2] for event in resumed[1:3]}
    restored, answered = finished["other"], finished["ask"]
    assert (restored.name, restored.status, restored.attempts) == ("other", "ok", 0)
    assert (answered.name, answered.status, answered.attempts) == ("ask", "ok", 1)
    assert not answered.interrupts and ("log", ["x"]) in answered.writes
    assert answered.id == done["ask"].id
    assert sorted(resumed[-1][4]["log"]) == ["other", "x"]


# -- 6. errors and retries -----------------------------------------------------------------


def _one_node(node: Callable[..., Any], **add_kwargs: Any) -> Any:
    graph = StateGraph(S)
    graph.add_node("node", node, **add_kwargs)
    graph.add_edge(START, "node")
    return graph.compile()


def test_a_failing_task_is_done_with_its_error_and_ends_the_trace() -> None:
    def boom(state: S) -> dict[str, Any]:
        raise ValueError("boom")

    chunks: list[list[Event]] = []
    with pytest.raises(ValueError, match="boom"):
        for chunk in _one_node(boom).stream(INPUT, stream_mode="trace"):
            chunks.append(chunk)
    events = flatten(chunks)
    last = events[-1]
    assert last[:2] == (DONE, 1) and last[2].name == "node"
    assert last[2].status == "error" and isinstance(last[2].error, ValueError)
    assert str(last[2].error) == "boom" and not last[2].writes
    assert last[2].attempts == 1 and last[2].duration_ms is not None


@pytest.mark.parametrize(
    ("failures", "status"), [(1, "ok"), (5, "error")], ids=["then-ok", "always"]
)
def test_retries_count_in_attempts(failures: int, status: str) -> None:
    calls = []

    def flaky(state: S) -> dict[str, Any]:
        calls.append(1)
        if len(calls) <= failures:
            raise ValueError(f"failure {len(calls)}")
        return {"x": 1}

    policy = RetryPolicy(max_attempts=2, initial_interval=0.001, jitter=False, retry_on=ValueError)
    chunks: list[list[Event]] = []
    try:
        for chunk in _one_node(flaky, retry_policy=policy).stream(INPUT, stream_mode="trace"):
            chunks.append(chunk)
    except ValueError as exc:
        assert status == "error" and str(exc) == "failure 2"
    (done,) = [e[2] for e in flatten(chunks) if e[0] == DONE and e[2].name == "node"]
    assert (done.status, done.attempts, len(calls)) == (status, 2, 2)
    assert (done.error is None) == (status == "ok")


# -- 7. subgraphs --------------------------------------------------------------------------


def _parent_with_subgraph() -> Any:
    sub = StateGraph(S)
    sub.add_node("s1", lambda s: {"log": ["s1"]})
    sub.add_node("s2", lambda s: {"log": ["s2"]})
    sub.add_edge(START, "s1")
    sub.add_edge("s1", "s2")
    parent = StateGraph(S)
    parent.add_node("pre", lambda s: {"log": ["pre"]})
    parent.add_node("child", sub.compile())
    parent.add_edge(START, "pre")
    parent.add_edge("pre", "child")
    return parent.compile()


def test_subgraph_events_carry_the_child_namespace_and_precede_the_parent_done() -> None:
    chunks = list(_parent_with_subgraph().stream(INPUT, stream_mode="trace", subgraphs=True))
    tagged = [(ns, event) for ns, events in chunks for event in flatten([events])]
    root = [event for ns, event in tagged if ns == ()]
    child_task = next(e for e in root if e[0] == TASKS and names(e) == ["child"])[2][0]
    parent_done = next(i for i, (ns, e) in enumerate(tagged) if e[0] == DONE and e[2] is child_task)
    child = [(i, ns, e) for i, (ns, e) in enumerate(tagged) if ns != ()]
    assert {ns for _, ns, _ in child} == {(f"child:{child_task.id}",)}
    assert all(i < parent_done for i, _, _ in child)
    child_events = [e for _, _, e in child]
    assert kinds(child_events) == ["checkpoint"] + ["tasks", "done", "checkpoint"] * 3
    assert [n for e in child_events if e[0] == DONE for n in names(e)] == [START, "s1", "s2"]
    assert child_events[-1][4]["log"] == ["pre", "s1", "s2"]
    assert child_task.status == "ok"
    assert kinds(root) == ["checkpoint"] + ["tasks", "done", "checkpoint"] * 3


def test_without_subgraphs_only_the_root_graph_is_traced() -> None:
    events = flatten(_parent_with_subgraph().stream(INPUT, stream_mode="trace"))
    assert [n for e in events if e[0] == TASKS for n in names(e)] == [START, "pre", "child"]


# -- 8. the functional API -----------------------------------------------------------------


@task
def double(value: int) -> int:
    return value * 2


@entrypoint()
def doubled_sum(n: int) -> int:
    return sum(future.result() for future in [double(n), double(n + 1)])


def test_task_calls_are_tasks_and_done_events_of_the_entrypoints_step() -> None:
    chunks = list(doubled_sum.stream(3, stream_mode="trace"))
    events = flatten(chunks)
    assert events[0][:3] == (CHECKPOINT, -1, "input")
    assert events[1][:2] == (TASKS, 0) and names(events[1]) == ["doubled_sum"]
    entry_done = index_of(events, DONE, "doubled_sum")
    calls = [
        (i, e)
        for i, e in enumerate(events)
        if is_about(e, TASKS, "double") or is_about(e, DONE, "double")
    ]
    assert sorted(kinds(e for _, e in calls)) == ["done", "done", "tasks", "tasks"]
    assert all(e[1] == 0 and i < entry_done for i, e in calls)
    started = {id(e[2][0]): i for i, e in calls if e[0] == TASKS and len(e[2]) == 1}
    for i, done in [(i, e[2]) for i, e in calls if e[0] == DONE]:
        assert started[id(done)] < i  # the call's own TASKS event came first
        assert str(done.kind) == "PUSH" and (done.status, done.attempts) == ("ok", 1)
    returned = sorted(value for _, e in calls if e[0] == DONE for _, value in e[2].writes)
    assert returned == [6, 8]
    calling = [c for c in chunks if any(is_about(e, k, "double") for e in c for k in (TASKS, DONE))]
    assert [len(c) for c in calling] == [1, 1, 1, 1]  # single-event chunks
    assert events[-1][:3] == (CHECKPOINT, 0, "loop") and events[-1][4] == 14


# -- 9. trace next to other modes ----------------------------------------------------------


def test_trace_and_updates_stream_together_in_order_of_arrival() -> None:
    app = chain("abc")
    pairs = list(app.stream(INPUT, stream_mode=["trace", "updates"]))
    assert {mode for mode, _ in pairs} == {"trace", "updates"}
    updates = [chunk for mode, chunk in pairs if mode == "updates"]
    assert updates == list(app.stream(INPUT, stream_mode="updates"))
    events = flatten(chunk for mode, chunk in pairs if mode == "trace")
    assert kinds(events) == kinds(flatten(app.stream(INPUT, stream_mode="trace")))

    trace_chunks = [chunk if mode == "trace" else [] for mode, chunk in pairs]

    def position(kind: TraceEvent, name: str) -> int:
        return chunk_index(trace_chunks, kind, name)

    for name, following in [("a", "b"), ("b", "c"), ("c", None)]:
        update = pairs.index(("updates", {name: {"x": "abc".index(name) + 1, "log": [name]}}))
        assert position(TASKS, name) < update
        assert following is None or update < position(TASKS, following)


async def test_astream_traces_the_same_events_as_stream() -> None:
    app = chain("abc", checkpointer=InMemorySaver())
    events = flatten([chunk async for chunk in app.astream(INPUT, thread(), stream_mode="trace")])
    sync = flatten(app.stream(INPUT, thread("other"), stream_mode="trace"))
    assert kinds(events) == kinds(sync)
    assert [(e[1], names(e)) for e in events if e[0] == DONE] == [
        (e[1], names(e)) for e in sync if e[0] == DONE
    ]
    assert [e[4] for e in events if e[0] == CHECKPOINT] == [
        e[4] for e in sync if e[0] == CHECKPOINT
    ]
