"""``@task``: calls return futures, run as concurrent PUSH tasks, and show in the streams."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from typing import Any, TypedDict

import pytest

from nbpregel import NbPregelError, RetryPolicy, StateGraph
from nbpregel.constants import PUSH_TRIGGER
from nbpregel.func import entrypoint, task
from nbpregel.pregel._futures import TaskFuture


@task
def add_one(x: int) -> int:
    """Add one."""
    return x + 1


@task
async def add_two(x: int) -> int:
    await asyncio.sleep(0)
    return x + 2


@pytest.mark.parametrize("fn", [add_one, add_two], ids=["sync", "async"])
def test_calling_a_task_outside_a_run_is_a_clear_error(fn: Any) -> None:
    with pytest.raises(NbPregelError, match=rf"task {fn.name!r} was called outside a running"):
        fn(1)


def test_the_plain_function_stays_reachable() -> None:
    assert add_one.func(1) == 2
    assert (add_one.__name__, add_one.__doc__) == ("add_one", "Add one.")


def test_decorator_forms_and_name() -> None:
    def square(x: int) -> int:
        return x * x

    named = task(name="sq")(square)
    assert (named.name, named.__name__, repr(named)) == ("sq", "sq", "task('sq')")
    assert task()(square).name == task(square).name == "square"

    @entrypoint()
    def workflow(n: int) -> int:
        return named(n).result()

    assert list(workflow.stream(3)) == [{"sq": 9}, {"workflow": 9}]


def test_sync_code_gets_a_concurrent_future() -> None:
    @entrypoint()
    def workflow(n: int) -> tuple[bool, bool, int]:
        future = add_one(n)
        return isinstance(future, concurrent.futures.Future), future.done(), future.result()

    is_future, _, value = workflow.invoke(1)
    assert (is_future, value) == (True, 2)


def test_async_code_gets_asyncio_futures_for_sync_and_async_tasks() -> None:
    @entrypoint()
    async def workflow(n: int) -> list[Any]:
        sync_call, async_call = add_one(n), add_two(n)
        kinds = [isinstance(f, asyncio.Future) for f in (sync_call, async_call)]
        return [*kinds, await sync_call, await async_call]

    assert asyncio.run(workflow.ainvoke(1)) == [True, True, 2, 3]


def test_sync_code_can_call_an_async_task() -> None:
    @entrypoint()
    def workflow(n: int) -> int:
        future = add_two(n)
        assert isinstance(future, TaskFuture)
        return future.result()

    assert workflow.invoke(1) == 3
    assert asyncio.run(workflow.ainvoke(1)) == 3


def test_calls_made_together_run_concurrently() -> None:
    barrier = threading.Barrier(3, timeout=5)  # passes only if all three run at once

    @task
    def meet(x: int) -> int:
        barrier.wait()
        return x

    @entrypoint()
    def workflow(n: int) -> list[int]:
        futures = [meet(n + i) for i in range(3)]
        return [f.result() for f in futures]

    assert workflow.invoke(0) == [0, 1, 2]


def test_async_calls_made_together_run_concurrently() -> None:
    arrived: list[int] = []

    @task
    async def meet(x: int) -> int:
        arrived.append(x)
        while len(arrived) < 3:  # a call that ran alone would spin here until the timeout
            await asyncio.sleep(0.001)
        return x

    @entrypoint()
    async def workflow(n: int) -> list[int]:
        return list(await asyncio.wait_for(asyncio.gather(*(meet(i) for i in range(3))), 5))

    assert asyncio.run(workflow.ainvoke(0)) == [0, 1, 2]


def test_nested_calls_do_not_exhaust_a_one_thread_pool() -> None:
    @task
    def fib(n: int) -> int:
        if n < 2:
            return n
        a, b = fib(n - 1), fib(n - 2)
        return a.result() + b.result()

    @entrypoint()
    def workflow(n: int) -> int:
        return fib(n).result()

    assert workflow.invoke(10, {"max_concurrency": 1}) == 55


def test_tasks_stream_shows_each_call_with_its_arguments_and_result() -> None:
    @task
    def scale(x: int, *, by: int = 1) -> int:
        return x * by

    @entrypoint()
    def workflow(n: int) -> int:
        return scale(n, by=3).result()

    chunks = list(workflow.stream(2, stream_mode="tasks"))
    starts = [c for c in chunks if "input" in c]
    results = [c for c in chunks if "result" in c]
    assert [(c["name"], c["input"], c["triggers"]) for c in starts] == [
        ("workflow", 2, ("__start__",)),
        ("scale", ((2,), {"by": 3}), (PUSH_TRIGGER,)),
    ]
    assert [(c["name"], c["result"], c["error"]) for c in results] == [
        ("scale", {"__return__": 6}, None),
        ("workflow", 6, None),
    ]
    assert starts[1]["id"] == results[0]["id"] != starts[0]["id"]


def test_debug_stream_puts_calls_in_the_callers_step() -> None:
    @entrypoint()
    def workflow(n: int) -> int:
        return add_one(n).result()

    events = [
        (c["type"], c["payload"]["name"], c["step"])
        for c in workflow.stream(1, stream_mode="debug")
        if c["type"] != "checkpoint"
    ]
    assert events == [
        ("task", "workflow", 0),
        ("task", "add_one", 0),
        ("task_result", "add_one", 0),
        ("task_result", "workflow", 0),
    ]


def test_a_task_error_reaches_the_caller_unchanged() -> None:
    @task
    def broken(x: int) -> int:
        raise KeyError(x)

    @entrypoint()
    def careless(n: int) -> int:
        return broken(n).result()

    @entrypoint()
    def careful(n: int) -> str:
        try:
            return str(broken(n).result())
        except KeyError as exc:
            return f"recovered from {exc!r}"

    with pytest.raises(KeyError) as caught:
        careless.invoke(7)
    notes = "\n".join(caught.value.__notes__)
    assert "task 'broken'" in notes and "task 'careless'" in notes
    assert careful.invoke(7) == "recovered from KeyError(7)"


def test_retried_task_records_its_attempts() -> None:
    attempts: list[int] = []

    @task(retry_policy=RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False))
    def flaky(x: int) -> int:
        attempts.append(x)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return x

    @entrypoint()
    def workflow(n: int) -> int:
        return flaky(n).result()

    chunks = list(workflow.stream(4, stream_mode="tasks"))
    (result,) = [c for c in chunks if c["name"] == "flaky" and "result" in c]
    assert (result["result"], result["attempts"], attempts) == ({"__return__": 4}, 3, [4, 4, 4])


def test_a_task_that_is_never_awaited_still_finishes_within_the_step() -> None:
    done = threading.Event()

    @task
    def slow(x: int) -> int:
        time.sleep(0.05)
        done.set()
        return x

    @entrypoint()
    def workflow(n: int) -> str:
        slow(n)
        return "returned early"

    chunks = list(workflow.stream(1))
    assert done.is_set()
    assert chunks == [{"slow": 1}, {"workflow": "returned early"}]


@pytest.mark.timeout(30)
def test_a_sync_node_s_unawaited_calls_finish_within_its_step_under_the_async_driver() -> None:
    """The async driver runs a sync node in a worker thread, then joins the calls the node left
    running: sync ones, and async ones, which need the event loop the driver runs on."""
    finished: list[str] = []

    @task
    def slow_sync(x: int) -> int:
        time.sleep(0.05)
        finished.append("sync")
        return x

    @task
    async def slow_async(x: int) -> int:
        await asyncio.sleep(0.05)
        finished.append("async")
        return x

    def node(state: Counter) -> Counter:
        slow_sync(state["x"])
        slow_async(state["x"])
        return {"x": state["x"] + 1}

    graph = StateGraph(Counter)
    graph.add_node("node", node)
    graph.add_edge("__start__", "node")
    app = graph.compile()

    async def run() -> list[Any]:
        return [chunk async for chunk in app.astream({"x": 1}, stream_mode="updates")]

    chunks = asyncio.run(run())
    assert sorted(finished) == ["async", "sync"]
    assert chunks[-1] == {"node": {"x": 2}}
    assert sorted(next(iter(c)) for c in chunks[:-1]) == ["slow_async", "slow_sync"]


class Counter(TypedDict):
    x: int


def test_graph_nodes_call_tasks_sync_and_async() -> None:
    @task
    def outer(x: int) -> int:
        return add_one(x).result() * 10  # a task calling a task, from a node

    def sync_node(state: Counter) -> Counter:
        return {"x": outer(state["x"]).result()}

    async def async_node(state: Counter) -> Counter:
        return {"x": await add_two(state["x"])}

    graph = StateGraph(Counter)
    graph.add_node("sync_node", sync_node)
    graph.add_node("async_node", async_node)
    graph.add_edge("__start__", "sync_node")
    graph.add_edge("sync_node", "async_node")
    app = graph.compile()
    assert list(app.stream({"x": 1}, stream_mode="updates")) == [
        {"add_one": 2},
        {"outer": 20},
        {"sync_node": {"x": 20}},
        {"add_two": 22},
        {"async_node": {"x": 22}},
    ]
    assert asyncio.run(app.ainvoke({"x": 1})) == {"x": 22}


def _live_stream_workflow(*, use_async: bool) -> tuple[Any, threading.Event, list[str]]:
    gate, returned = threading.Event(), []

    @task
    def first(x: int) -> int:
        return x

    if use_async:

        @entrypoint()
        async def workflow(n: int) -> int:
            value = await first(n)
            await asyncio.to_thread(gate.wait, 2)
            returned.append("workflow")
            return value

    else:

        @entrypoint()
        def workflow(n: int) -> int:
            value = first(n).result()
            gate.wait(2)
            returned.append("workflow")
            return value

    return workflow, gate, returned


@pytest.mark.parametrize(
    "use_async",
    [
        False,
        True,
    ],
    ids=["sync-entrypoint", "async-entrypoint"],
)
def test_a_calls_update_is_streamed_while_its_caller_still_runs(use_async: bool) -> None:
    workflow, gate, returned = _live_stream_workflow(use_async=use_async)
    chunks = workflow.stream(1)
    try:
        assert (next(chunks), returned) == ({"first": 1}, [])
    finally:
        gate.set()
    assert list(chunks) == [{"workflow": 1}]
