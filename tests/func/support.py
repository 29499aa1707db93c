"""Workflows shared by the functional-API tests, written once for nbpregel and LangGraph.

Every workflow is declared by a ``build_*(lib, calls, **entrypoint_kwargs)`` function, where
``lib`` is one library's spelling of the functional API (:class:`Lib`), so the differential
tests build the very same workflow with both libraries. Tasks record each execution in a
``Calls`` counter: that is how the tests see which tasks ran again after a resume.

No ``from __future__ import annotations`` here: the state schema below is read at build time.
"""

import asyncio
import operator
import threading
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

from persistence.support import NBPREGEL, Calls, Lib, langgraph_lib

__all__ = [
    "NBPREGEL",
    "Lib",
    "build_ask_after_tasks",
    "build_ask_then_confirm",
    "build_async_pipeline",
    "build_cached",
    "build_counter",
    "build_failing",
    "build_flaky",
    "build_nested",
    "build_node_calls_task",
    "build_policies_by_default",
    "build_retried_caller",
    "build_sequence",
    "build_task_asks",
    "langgraph_lib",
]


def _counted(lib: Lib, calls: Calls, name: str, fn: Callable[..., Any]) -> Any:
    def body(*args: Any) -> Any:
        calls.add(name)
        return fn(*args)

    body.__name__ = name
    return lib.task(body)


def _asking(lib: Lib, calls: Calls) -> Any:
    """A task ``ask(x)`` that asks question ``q<x>`` and returns ``"<x>:<answer>"``."""

    @lib.task
    def ask(x: int) -> str:
        calls.add(f"ask{x}")
        return f"{x}:{lib.interrupt(f'q{x}')}"

    return ask


# -- workflows -----------------------------------------------------------------------------


def build_sequence(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """``add_one`` then ``double`` (awaited one after the other), returning both results."""
    add_one = _counted(lib, calls, "add_one", lambda x: x + 1)
    double = _counted(lib, calls, "double", lambda x: x * 2)

    @lib.entrypoint(**kwargs)
    def sequence(n: int) -> dict[str, int]:
        a = add_one(n).result()
        return {"a": a, "b": double(a).result()}

    return sequence


def build_ask_after_tasks(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """Two concurrent tasks, then an ``interrupt()`` in the entrypoint, then one more task."""
    add_one = _counted(lib, calls, "add_one", lambda x: x + 1)
    double = _counted(lib, calls, "double", lambda x: x * 2)

    @lib.entrypoint(**kwargs)
    def review(n: int) -> dict[str, Any]:
        first, second = add_one(n), double(n)
        total = first.result() + second.result()
        answer = lib.interrupt({"total": total})
        return {"total": total, "answer": answer, "last": add_one(total).result()}

    return review


def build_task_asks(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """A plain task, then two tasks that each ask a question, awaited in order."""
    quick = _counted(lib, calls, "quick", lambda x: x)
    ask = _asking(lib, calls)

    @lib.entrypoint(**kwargs)
    def asks(n: int) -> list[Any]:
        plain = quick(n).result()
        first = ask(n).result()
        second = ask(n + 1).result()
        return [plain, first, second]

    return asks


def build_ask_then_confirm(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """Two tasks that ask (called together), then the entrypoint asks for confirmation."""
    ask = _asking(lib, calls)

    @lib.entrypoint(**kwargs)
    def confirm(n: int) -> list[Any]:
        first, second = ask(n), ask(n + 1)
        answers = [first.result(), second.result()]
        return [*answers, lib.interrupt("confirm?")]

    return confirm


def build_retried_caller(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """An entrypoint that fails once after a task call, retried by its policy."""
    step = _counted(lib, calls, "step", lambda x: x + 1)
    policy = lib.RetryPolicy(
        max_attempts=2, initial_interval=0.001, jitter=False, retry_on=ValueError
    )

    @lib.entrypoint(retry_policy=policy, **kwargs)
    def retried(n: int) -> int:
        value = step(n).result()
        calls.add("retried")
        if calls["retried"] == 1:
            raise ValueError("first attempt fails after its call")
        return value

    return retried


def build_counter(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """Adds its input to ``previous``; a negative input returns ``"reset"`` and saves 0."""

    @lib.entrypoint(**kwargs)
    def counter(n: int, *, previous: Any = None) -> Any:
        calls.add("counter")
        if n < 0:
            return lib.entrypoint.final(value={"reset": previous}, save=0)
        return (previous or 0) + n

    return counter


def build_nested(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """A task that calls another task."""
    inner = _counted(lib, calls, "inner", lambda x: x + 1)

    @lib.task
    def outer(x: int) -> int:
        calls.add("outer")
        return inner(x).result() * 10

    @lib.entrypoint(**kwargs)
    def nested(n: int) -> int:
        return outer(n).result()

    return nested


def build_flaky(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """A task that fails twice with ``ConnectionError`` before it succeeds (retried)."""
    policy = lib.RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False)
    lock = threading.Lock()

    @lib.task(retry_policy=policy)
    def fetch(x: int) -> int:
        with lock:
            calls.add("fetch")
            attempt = calls["fetch"]
        if attempt < 3:
            raise ConnectionError(f"attempt {attempt}")
        return x * 100

    @lib.entrypoint(**kwargs)
    def flaky(n: int) -> int:
        return fetch(n).result()

    return flaky


def build_failing(lib: Lib, calls: Calls, failing: set[str], **kwargs: Any) -> Any:
    """``ok`` then ``bad``; ``bad`` raises ``ValueError`` while its name is in ``failing``."""
    ok = _counted(lib, calls, "ok", lambda x: x + 1)

    @lib.task
    def bad(x: int) -> int:
        calls.add("bad")
        if "bad" in failing:
            raise ValueError("bad is broken")
        return -x

    @lib.entrypoint(**kwargs)
    def failing_flow(n: int) -> list[int]:
        return [ok(n).result(), bad(n).result()]

    return failing_flow


def build_async_pipeline(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """An async entrypoint awaiting an async task, then a sync one, then asking a question."""

    @lib.task
    async def fetch(x: int) -> int:
        calls.add("fetch")
        await asyncio.sleep(0.001)
        return x + 1

    square = _counted(lib, calls, "square", lambda x: x * x)

    @lib.entrypoint(**kwargs)
    async def pipeline(n: int) -> dict[str, Any]:
        fetched = await fetch(n)
        squared = await square(fetched)
        answer = lib.interrupt(squared)
        return {"squared": squared, "answer": answer}

    return pipeline


def build_cached(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """A task with a ``cache_policy``, called twice per run (the entrypoint has a cache)."""

    @lib.task(cache_policy=lib.CachePolicy())
    def costly(x: int) -> int:
        calls.add("costly")
        return x * 2

    @lib.entrypoint(cache=lib.memory_cache(), **kwargs)
    def cached(n: int) -> list[int]:
        return [costly(n).result(), costly(n + 1).result()]

    return cached


def build_policies_by_default(lib: Lib, calls: Calls, **kwargs: Any) -> Any:
    """An entrypoint whose retry and cache policies cover its tasks, which have none: a task
    that fails twice is retried alone, and task results come from the cache across runs."""

    @lib.task
    def flaky(x: int) -> int:
        calls.add(f"flaky{x}")
        if calls[f"flaky{x}"] < 3:
            raise ValueError("not yet")
        return x * 10

    @lib.task
    def double(x: int) -> int:
        calls.add(f"double{x}")
        return x * 2

    policy = lib.RetryPolicy(
        max_attempts=5, initial_interval=0.001, jitter=False, retry_on=ValueError
    )

    @lib.entrypoint(
        retry_policy=policy, cache=lib.memory_cache(), cache_policy=lib.CachePolicy(), **kwargs
    )
    def covered(n: int) -> list[int]:
        calls.add("covered")
        return [flaky(n).result(), double(n).result(), double(n + 1).result()]

    return covered


class Counter(TypedDict):
    """State of the graph whose node calls a task."""

    x: int
    log: Annotated[list, operator.add]


def build_node_calls_task(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """A ``StateGraph`` whose one node calls a task and writes its result."""
    increment = _counted(lib, calls, "increment", lambda x: x + 1)

    def node(state: Counter) -> dict[str, Any]:
        calls.add("node")
        return {"x": increment(state["x"]).result(), "log": ["node"]}

    graph = lib.StateGraph(Counter)
    graph.add_node("node", node)
    graph.add_edge(lib.START, "node")
    return graph.compile(**compile_kwargs)
