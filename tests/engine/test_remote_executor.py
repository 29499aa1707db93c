"""A graph whose executor runs calls in other processes: a real Dask ``LocalCluster`` with
worker processes (and a ``ProcessPoolExecutor``). Tasks are shipped as picklable calls and the
run keeps its bookkeeping here, so each test compares what the cluster did with what the
default thread pool does, or checks which process ran what."""

from __future__ import annotations

import concurrent.futures
import dataclasses
import multiprocessing
import operator
import os
import threading
import time
from collections.abc import Iterator
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import (
    END,
    START,
    Command,
    NbPregelError,
    RetryPolicy,
    Send,
    StateGraph,
    get_config,
    get_stream_writer,
    interrupt,
)
from nbpregel.checkpoint.memory import InMemorySaver
from nbpregel.func import entrypoint, task
from nbpregel.runtime import Runtime, get_runtime
from nbpregel.store.memory import InMemoryStore

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A Dask client on a local cluster of two single-threaded worker processes."""
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def worker_pids(client: Any) -> set[int]:
    return set(client.run(os.getpid).values())


def thread_of(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


# -- graphs (module level: worker processes import them by name) -----------------------------


class Fan(TypedDict, total=False):
    items: list[int]
    item: int
    squares: Annotated[list[int], operator.add]
    pids: Annotated[list[int], operator.add]


def fan_out(state: Fan) -> list[Send]:
    return [Send("square", {"item": item}) for item in state["items"]]


def square(state: Fan, writer: Any) -> dict[str, Any]:
    writer({"squared": state["item"]})
    get_stream_writer()({"again": state["item"]})
    return {"squares": [state["item"] ** 2], "pids": [os.getpid()]}


def fan_graph(**compile_kwargs: Any) -> Any:
    builder = StateGraph(Fan)
    builder.add_node("square", square)
    builder.add_conditional_edges(START, fan_out, ["square"])
    return builder.compile(**compile_kwargs)


class Talk(TypedDict, total=False):
    answers: Annotated[list[Any], operator.add]
    thread: str
    attempt: int


def ask_twice(state: Talk, config: dict[str, Any]) -> dict[str, Any]:
    first = interrupt("first?")
    second = interrupt("second?")
    thread = get_config()["configurable"]["thread_id"]
    assert config["configurable"]["thread_id"] == thread
    return {"answers": [first, second], "thread": thread}


def talk_graph(**compile_kwargs: Any) -> Any:
    builder = StateGraph(Talk)
    builder.add_node("ask", ask_twice)
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=InMemorySaver(), **compile_kwargs)


def ask_each(state: Fan) -> dict[str, Any]:
    return {"squares": [interrupt(f"square of {state['item']}?")]}


def flaky(state: Talk) -> dict[str, Any]:
    attempt = get_runtime().execution_info.node_attempt  # type: ignore[union-attr]
    if attempt < 3:
        raise ConnectionError(f"attempt {attempt} failed")
    return {"attempt": attempt}


class Logged(TypedDict, total=False):
    log: str
    item: int
    items: list[int]
    squares: Annotated[list[int], operator.add]


def fails_on_two_until_fixed(state: Logged) -> dict[str, Any]:
    """Logs each run to a file; fails on item 2 until a ``fixed`` file sits beside the log."""
    with open(state["log"], "a") as log:
        log.write(f"{state['item']}\n")
    if state["item"] == 2 and not os.path.exists(state["log"] + ".fixed"):
        raise ValueError("two is not allowed")
    return {"squares": [state["item"] ** 2]}


def check_each(state: Logged) -> list[Send]:
    return [Send("check", {"item": i, "log": state["log"]}) for i in state["items"]]


@dataclasses.dataclass
class User:
    name: str


class Greeting(TypedDict, total=False):
    text: str


def greet(state: Greeting, runtime: Runtime[User]) -> dict[str, Any]:
    return {"text": f"hello {runtime.context.name} from {get_runtime().context.name}"}


def remember(state: Greeting, store: Any) -> dict[str, Any]:
    store.put(("notes",), "last", {"text": "hi"})
    return {"text": "saved"}


def slow(state: Greeting) -> dict[str, Any]:
    time.sleep(5)  # keeps a worker busy after the test: no longer than need be
    return {"text": "late"}


def one_pid(state: Fan) -> dict[str, Any]:
    return {"pids": [os.getpid()]}


@task
def cube(x: int) -> tuple[int, int]:
    return x**3, os.getpid()


def cubes_here(state: Fan) -> dict[str, Any]:
    results = [cube(x).result() for x in state["items"]]
    return {"squares": [value for value, _ in results], "pids": [pid for _, pid in results]}


# -- tests -------------------------------------------------------------------------------


def test_a_send_fan_out_runs_in_the_workers_and_gives_the_thread_pools_result(
    client: Any, worker_pids: set[int]
) -> None:
    inputs = {"items": [1, 2, 3, 4, 5, 6]}
    here = fan_graph().invoke(inputs)
    there = fan_graph(executor=client.get_executor()).invoke(inputs)
    assert there["squares"] == here["squares"] == [1, 4, 9, 16, 25, 36]
    assert set(here["pids"]) == {os.getpid()}
    assert set(there["pids"]) <= worker_pids
    assert os.getpid() not in there["pids"]


def test_a_dask_client_is_taken_as_its_executor(client: Any, worker_pids: set[int]) -> None:
    result = fan_graph(executor=client).invoke({"items": [3]})
    assert result["squares"] == [9]
    assert set(result["pids"]) <= worker_pids


def test_the_stream_shows_the_same_chunks_as_a_local_run(client: Any) -> None:
    modes = ["updates", "custom"]

    def chunks(graph: Any) -> list[Any]:
        out = []
        for mode, chunk in graph.stream({"items": [1, 2]}, stream_mode=modes):
            if mode == "updates":
                chunk = {name: {"squares": update["squares"]} for name, update in chunk.items()}
            out.append((mode, chunk))
        return sorted(out, key=repr)

    assert chunks(fan_graph(executor=client.get_executor())) == chunks(fan_graph())


def test_interrupts_in_a_shipped_node_pause_and_resume_in_order(client: Any) -> None:
    graph = talk_graph(executor=client.get_executor())
    config = thread_of("talk")
    first = graph.invoke({"answers": []}, config)
    assert [item.value for item in first["__interrupt__"]] == ["first?"]
    second = graph.invoke(Command(resume="yes"), config)
    assert [item.value for item in second["__interrupt__"]] == ["second?"]
    final = graph.invoke(Command(resume="no"), config)
    assert final == {"answers": ["yes", "no"], "thread": "talk"}
    assert graph.get_state(config).next == ()


def test_parallel_interrupts_are_answered_by_id(client: Any) -> None:
    builder = StateGraph(Fan)
    builder.add_node("ask", ask_each)
    builder.add_conditional_edges(START, lambda s: [Send("ask", {"item": i}) for i in s["items"]])
    graph = builder.compile(checkpointer=InMemorySaver(), executor=client.get_executor())
    config = thread_of("parallel")
    paused = graph.invoke({"items": [2, 3]}, config)
    answers = {
        item.id: int(item.value.split()[-1].rstrip("?")) ** 2 for item in paused["__interrupt__"]
    }
    assert graph.invoke(Command(resume=answers), config)["squares"] == [4, 9]


def test_a_retried_node_is_sent_again_and_counts_its_attempts(client: Any) -> None:
    builder = StateGraph(Talk)
    retry = RetryPolicy(max_attempts=5, initial_interval=0.01, jitter=False)
    builder.add_node("flaky", flaky, retry_policy=retry)
    builder.add_edge(START, "flaky")
    graph = builder.compile(executor=client.get_executor())
    assert graph.invoke({"answers": []}) == {"answers": [], "attempt": 3}


def fails_and_logs(state: Logged) -> dict[str, Any]:
    with open(state["log"], "a") as log:
        log.write("attempt\n")
    raise ConnectionError("the service is down")


def fails_later(state: Logged) -> dict[str, Any]:
    time.sleep(0.3)  # after the other node's first attempt failed
    raise ValueError("broken for good")


def test_a_retry_waiting_when_its_step_fails_is_never_sent(client: Any, tmp_path: Any) -> None:
    builder = StateGraph(Logged)
    builder.add_node(
        "retried", fails_and_logs, retry_policy=RetryPolicy(initial_interval=0.5, jitter=False)
    )
    builder.add_node("broken", fails_later)
    builder.add_edge(START, "retried")
    builder.add_edge(START, "broken")
    graph = builder.compile(executor=client.get_executor())
    graph.fail_fast = True  # the failure ends the step while the retry waits
    log = tmp_path / "attempts"
    with pytest.raises(ValueError, match="broken for good"):
        graph.invoke({"log": str(log)})
    time.sleep(1.0)  # past the retry's delay
    assert log.read_text().split() == ["attempt"]


def test_a_node_error_keeps_its_type_and_a_resume_ships_only_the_failed_task(
    client: Any, tmp_path: Any
) -> None:
    builder = StateGraph(Logged)
    builder.add_node("check", fails_on_two_until_fixed)
    builder.add_conditional_edges(START, check_each, ["check"])
    graph = builder.compile(checkpointer=InMemorySaver(), executor=client.get_executor())
    config = thread_of("errors")
    log = tmp_path / "runs"
    with pytest.raises(ValueError, match="two is not allowed") as caught:
        graph.invoke({"items": [1, 2, 3], "log": str(log)}, config)
    notes = "\n".join(caught.value.__notes__)
    assert "during task 'check'" in notes
    assert "raised in another process" in notes and "fails_on_two_until_fixed" in notes
    assert sorted(log.read_text().split()) == ["1", "2", "3"]
    (tmp_path / "runs.fixed").touch()
    assert graph.invoke(None, config)["squares"] == [1, 4, 9]
    assert sorted(log.read_text().split()) == ["1", "2", "2", "3"]


def test_the_context_reaches_a_shipped_node(client: Any) -> None:
    builder = StateGraph(Greeting, context_schema=User)
    builder.add_node("greet", greet)
    builder.add_edge(START, "greet")
    graph = builder.compile(executor=client.get_executor())
    assert graph.invoke({}, context={"name": "ada"}) == {"text": "hello ada from ada"}


def test_a_store_that_cannot_travel_gives_a_clear_error_when_used(client: Any) -> None:
    builder = StateGraph(Greeting)
    builder.add_node("remember", remember)
    builder.add_edge(START, "remember")
    store = InMemoryStore()
    graph = builder.compile(executor=client.get_executor(), store=store)
    with pytest.raises(NbPregelError, match="node 'remember' used the run's store") as caught:
        graph.invoke({})
    assert "InMemoryStore.put" in str(caught.value) and "async node" in str(caught.value)
    assert store.search(("notes",)) == []


def test_a_node_taking_runtime_works_beside_a_store_that_stays_here(client: Any) -> None:
    builder = StateGraph(Greeting, context_schema=User)
    builder.add_node("greet", greet)
    builder.add_edge(START, "greet")
    graph = builder.compile(executor=client.get_executor(), store=InMemoryStore())
    assert graph.invoke({}, context=User("bo")) == {"text": "hello bo from bo"}


def test_an_input_that_cannot_be_pickled_is_refused_naming_it(client: Any) -> None:
    builder = StateGraph(Fan)
    builder.add_node("square", square)
    builder.add_edge(START, "square")
    graph = builder.compile(executor=client.get_executor())
    with pytest.raises(NbPregelError, match="its input cannot be pickled") as caught:
        graph.invoke({"item": 2, "pids": [threading.Lock()]})  # type: ignore[list-item]
    assert "task 'square'" in str(caught.value) and "executor=" in str(caught.value)


def test_a_subgraph_node_runs_here_and_ships_its_own_tasks(
    client: Any, worker_pids: set[int]
) -> None:
    inner = fan_graph()
    builder = StateGraph(Fan)
    builder.add_node("inner", inner)
    builder.add_edge(START, "inner")
    graph = builder.compile(executor=client.get_executor())
    result = graph.invoke({"items": [1, 2, 3]})
    assert result["squares"] == [1, 4, 9]
    assert set(result["pids"]) <= worker_pids


def test_task_calls_are_shipped_and_the_entrypoint_stays_here(
    client: Any, worker_pids: set[int]
) -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def cubes(items: list[int]) -> dict[str, Any]:
        results = [future.result() for future in [cube(x) for x in items]]
        return {"cubes": [value for value, _ in results], "pids": [pid for _, pid in results]}

    cubes.executor = client.get_executor()
    result = cubes.invoke([1, 2, 3], thread_of("calls"))
    assert result["cubes"] == [1, 8, 27]
    assert set(result["pids"]) <= worker_pids


def test_a_task_called_inside_a_shipped_node_runs_on_the_spot(
    client: Any, worker_pids: set[int]
) -> None:
    builder = StateGraph(Fan)
    builder.add_node("cubes", cubes_here)
    builder.add_edge(START, "cubes")
    graph = builder.compile(executor=client.get_executor())
    result = graph.invoke({"items": [2, 3]})
    assert result["squares"] == [8, 27]
    assert len(set(result["pids"])) == 1 and set(result["pids"]) <= worker_pids


async def test_the_async_driver_ships_sync_nodes_too(client: Any, worker_pids: set[int]) -> None:
    graph = fan_graph(executor=client.get_executor())
    result = await graph.ainvoke({"items": [1, 2, 3]})
    assert result["squares"] == [1, 4, 9]
    assert set(result["pids"]) <= worker_pids
    paused = await talk_graph(executor=client.get_executor()).ainvoke({}, thread_of("async"))
    assert [item.value for item in paused["__interrupt__"]] == ["first?"]


def test_a_step_timeout_stops_waiting_for_a_shipped_node(client: Any) -> None:
    builder = StateGraph(Greeting)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    builder.add_edge("slow", END)
    graph = builder.compile(executor=client.get_executor())
    graph.step_timeout = 0.5
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="slow"):
        graph.invoke({})
    assert time.monotonic() - started < 4  # did not wait for the node


def test_a_process_pool_runs_the_graph_too() -> None:
    context = multiprocessing.get_context("fork")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=context) as pool:
        result = fan_graph(executor=pool).invoke({"items": [4, 5]})
    assert result["squares"] == [16, 25]
    assert os.getpid() not in result["pids"]


def shortest_path(vertex: Any, messages: Any) -> None:
    best = min(messages, default=float("inf"))
    improved = best < vertex.value
    if improved:
        vertex.value = best
    if improved or (vertex.superstep == 0 and vertex.value == 0):
        for target, weight in vertex.edges.items():
            vertex.send(target, vertex.value + weight)
    vertex.vote_to_halt()


def test_a_vertex_program_runs_on_the_cluster_with_the_same_result(client: Any) -> None:
    from nbpregel.vertex import VertexProgram

    edges = [("a", "b", 4), ("a", "c", 1), ("c", "b", 2), ("b", "d", 1)]

    def program(**compile_kwargs: Any) -> Any:
        return VertexProgram(shortest_path, edges, values=float("inf"), combiner=min).compile(
            **compile_kwargs
        )

    expected = {"a": 0, "b": 3, "c": 1, "d": 4}
    assert program().invoke({"a": 0}) == expected
    assert program(executor=client.get_executor()).invoke({"a": 0}) == expected


def counted(state: Logged) -> dict[str, Any]:
    with open(state["log"], "a") as log:
        log.write("ran\n")
    return {"squares": [len(state["log"])]}


def test_a_cached_node_is_not_sent_again(client: Any, tmp_path: Any) -> None:
    from nbpregel import CachePolicy
    from nbpregel.cache.memory import InMemoryCache

    builder = StateGraph(Logged)
    builder.add_node("counted", counted, cache_policy=CachePolicy())
    builder.add_edge(START, "counted")
    graph = builder.compile(executor=client.get_executor(), cache=InMemoryCache())
    log = str(tmp_path / "runs")
    first, second = graph.invoke({"log": log}), graph.invoke({"log": log})
    assert first == second == {"log": log, "squares": [len(log)]}
    assert (tmp_path / "runs").read_text() == "ran\n"


class CountingPool(concurrent.futures.ProcessPoolExecutor):
    """A process pool that counts the calls it is given."""

    def __init__(self) -> None:
        super().__init__(2, mp_context=multiprocessing.get_context("fork"))
        self.calls = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return super().submit(fn, *args, **kwargs)


def test_a_vertex_programs_computes_travel_in_a_few_batches_per_superstep() -> None:
    from nbpregel.vertex import VertexProgram

    vertices = 300
    edges = [(i, i + 1, 1) for i in range(vertices - 1)]

    def program(**compile_kwargs: Any) -> Any:
        return VertexProgram(shortest_path, edges, values=float("inf"), combiner=min).compile(
            **compile_kwargs
        )

    expected = program().invoke({"0": 0})
    assert expected[str(vertices - 1)] == vertices - 1
    with CountingPool() as pool:
        events = list(program(executor=pool).stream({"0": 0}, stream_mode="debug"))
        calls = pool.calls
        assert program(executor=pool).invoke({"0": 0}) == expected
    tasks = sum(1 for event in events if event["type"] == "task")
    # Superstep 0 wakes every vertex, each later superstep one: the 300 computes of
    # superstep 0 travel in a handful of calls (at most 16), the others one call each.
    assert tasks == 2 * vertices - 1
    assert vertices - 1 < calls <= vertices - 1 + 16


async def test_an_async_run_times_out_on_a_shipped_node_and_names_it(client: Any) -> None:
    builder = StateGraph(Greeting)
    builder.add_node("slow", slow)
    builder.add_edge(START, "slow")
    graph = builder.compile(executor=client.get_executor(), step_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="slow"):
        await graph.ainvoke({})
    assert time.monotonic() - started < 4  # did not wait for the node


async def test_an_async_run_retries_and_interrupts_shipped_nodes(client: Any) -> None:
    builder = StateGraph(Talk)
    retry = RetryPolicy(max_attempts=5, initial_interval=0.01, jitter=False)
    builder.add_node("flaky", flaky, retry_policy=retry)
    builder.add_node("ask", ask_twice)
    builder.add_edge(START, "flaky")
    builder.add_edge("flaky", "ask")
    graph = builder.compile(checkpointer=InMemorySaver(), executor=client.get_executor())
    config = thread_of("async-retry")
    paused = await graph.ainvoke({"answers": []}, config)
    assert paused["attempt"] == 3
    await graph.ainvoke(Command(resume="a"), config)
    final = await graph.ainvoke(Command(resume="b"), config)
    assert final == {"answers": ["a", "b"], "attempt": 3, "thread": "async-retry"}


async def test_an_async_entrypoint_awaits_task_calls_shipped_to_the_cluster(
    client: Any, worker_pids: set[int]
) -> None:
    @entrypoint(checkpointer=InMemorySaver())
    async def cubes(items: list[int]) -> dict[str, Any]:
        results = [await cube(x) for x in items]
        return {"cubes": [value for value, _ in results], "pids": [pid for _, pid in results]}

    cubes.executor = client.get_executor()
    result = await cubes.ainvoke([2, 3], thread_of("async-calls"))
    assert result["cubes"] == [8, 27]
    assert set(result["pids"]) <= worker_pids
