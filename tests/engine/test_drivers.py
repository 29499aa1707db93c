"""The sync driver's scheduling of a step's tasks (``_drivers``).

When nothing watches a run while its step executes (no stream, no checkpointer), the calling
thread runs tasks itself next to the pool's helpers; otherwise it stays free to stream and save
each task as it finishes. Either way the tasks of a step run concurrently.
"""

from __future__ import annotations

import collections
import contextvars
import operator
import queue
import threading
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, InMemorySaver, StateGraph
from nbpregel.pregel._pool import Crew, TaskPool

WIDTH = 4


class Log(TypedDict):
    log: Annotated[list, operator.add]


def parallel(node: Any, width: int = WIDTH, **compile_kwargs: Any) -> Any:
    """``width`` copies of ``node`` in one step, each appending its result to ``log``."""
    graph = StateGraph(Log)
    for index in range(width):
        graph.add_node(f"n{index}", node)
        graph.add_edge(START, f"n{index}")
    return graph.compile(**compile_kwargs)


class Threads:
    """Records the thread each task ran on."""

    def __init__(self) -> None:
        self.names: collections.Counter[str] = collections.Counter()
        self.lock = threading.Lock()

    def node(self, state: Log) -> dict[str, Any]:
        with self.lock:
            self.names[threading.current_thread().name] += 1
        return {"log": [1]}


def test_an_unwatched_run_works_on_its_own_step() -> None:
    threads = Threads()
    assert parallel(threads.node).invoke({"log": []}) == {"log": [1] * WIDTH}
    assert threads.names[threading.current_thread().name] >= 1
    assert sum(threads.names.values()) == WIDTH


@pytest.mark.parametrize(
    ("how", "kwargs"),
    [
        pytest.param("stream", {}, id="streamed"),
        pytest.param("invoke", {"checkpointer": InMemorySaver()}, id="checkpointed"),
    ],
)
def test_a_watched_run_leaves_its_tasks_to_the_pool(how: str, kwargs: dict[str, Any]) -> None:
    threads = Threads()
    app = parallel(threads.node, **kwargs)
    config = {"configurable": {"thread_id": "t"}}
    if how == "stream":
        chunks = list(app.stream({"log": []}, config, stream_mode="updates"))
        assert len(chunks) == WIDTH
    else:
        assert app.invoke({"log": []}, config) == {"log": [1] * WIDTH}
    assert threading.current_thread().name not in threads.names
    assert sum(threads.names.values()) == WIDTH


def test_tasks_of_a_step_still_run_at_the_same_time() -> None:
    # each task waits for all the others: run one after the other, they would time out
    barrier = threading.Barrier(WIDTH, timeout=10)

    def meet(state: Log) -> dict[str, Any]:
        barrier.wait()
        return {"log": [threading.current_thread().name]}

    log = parallel(meet).invoke({"log": []})["log"]
    assert len(log) == WIDTH and len(set(log)) == WIDTH
    assert threading.current_thread().name in log


def test_max_concurrency_one_runs_the_step_on_the_calling_thread() -> None:
    threads = Threads()
    app = parallel(threads.node)
    assert app.invoke({"log": []}, {"max_concurrency": 1}) == {"log": [1] * WIDTH}
    assert threads.names == {threading.current_thread().name: WIDTH}


def test_a_helper_hired_for_a_finished_step_finds_no_work() -> None:
    pool = TaskPool(1)
    try:
        shared: Any = collections.deque()
        crew = Crew(object(), pool, shared, queue.SimpleQueue(), limit=1)  # type: ignore[arg-type]
        crew.disband()
        assert crew.loop is None and not crew.shared
        crew.work()  # returns at once: it would otherwise run tasks of a run that is over
        crew.hire()
        assert crew.hired == 0  # nothing waits: no helper is started
    finally:
        pool.shutdown()


def test_context_variables_set_by_nodes_stay_out_of_the_caller() -> None:
    mark: contextvars.ContextVar[str] = contextvars.ContextVar("mark", default="untouched")

    def set_mark(state: Log) -> dict[str, Any]:
        mark.set("set by a node")
        return {"log": [1]}

    assert parallel(set_mark).invoke({"log": []}) == {"log": [1] * WIDTH}
    assert mark.get() == "untouched"
