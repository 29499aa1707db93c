"""``@task(timeout=...)`` and ``@entrypoint(timeout=...)``: an async task's (or entrypoint's)
attempt is cancelled with ``NodeTimeoutError`` at its timeout, as in LangGraph 1.2 (each test
runs on both libraries and expects the same), and a sync one refuses a timeout."""

from __future__ import annotations

import asyncio
import types

import pytest

from nbpregel.errors import GraphValidationError

LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]


def lib_of(name: str) -> types.SimpleNamespace:
    if name == "nbpregel":
        from nbpregel.errors import NodeTimeoutError
        from nbpregel.func import entrypoint, task
        from nbpregel.types import RetryPolicy
    else:
        from langgraph.errors import NodeTimeoutError  # type: ignore[no-redef]
        from langgraph.func import entrypoint, task  # type: ignore[no-redef]
        from langgraph.types import RetryPolicy  # type: ignore[no-redef]
    return types.SimpleNamespace(
        entrypoint=entrypoint, task=task, NodeTimeoutError=NodeTimeoutError, RetryPolicy=RetryPolicy
    )


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_task_past_its_timeout_fails_and_a_quick_one_does_not(lib_name: str) -> None:
    lib = lib_of(lib_name)

    @lib.task(timeout=0.2)
    async def wait(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    @lib.entrypoint()
    async def workflow(seconds: float) -> float:
        return await wait(seconds)

    assert asyncio.run(workflow.ainvoke(0.01)) == 0.01
    with pytest.raises(lib.NodeTimeoutError) as caught:
        asyncio.run(workflow.ainvoke(5.0))
    assert (caught.value.node, caught.value.kind, caught.value.timeout) == ("wait", "run", 0.2)


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_timed_out_task_is_retried_by_its_policy(lib_name: str) -> None:
    lib = lib_of(lib_name)
    attempts: list[float] = []
    retry = lib.RetryPolicy(max_attempts=3, initial_interval=0.01, jitter=False)

    @lib.task(timeout=0.2, retry_policy=retry)
    async def slow_then_quick(seconds: float) -> int:
        attempts.append(seconds)
        await asyncio.sleep(seconds if len(attempts) == 1 else 0)
        return len(attempts)

    @lib.entrypoint()
    async def workflow(seconds: float) -> int:
        return await slow_then_quick(seconds)

    assert asyncio.run(workflow.ainvoke(5.0)) == 2


@pytest.mark.parametrize("lib_name", LIBS)
def test_the_entrypoint_timeout_bounds_the_entrypoint(lib_name: str) -> None:
    lib = lib_of(lib_name)

    @lib.task
    async def wait(seconds: float) -> float:
        await asyncio.sleep(seconds)
        return seconds

    @lib.entrypoint(timeout=0.2)
    async def workflow(seconds: float) -> float:
        return await wait(seconds)

    with pytest.raises(lib.NodeTimeoutError) as caught:
        asyncio.run(workflow.ainvoke(5.0))
    assert caught.value.node == "workflow"


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_sync_task_or_entrypoint_refuses_a_timeout(lib_name: str) -> None:
    lib = lib_of(lib_name)
    with pytest.raises(ValueError, match="sync"):

        @lib.task(timeout=1.0)
        def plain(x: int) -> int:
            return x

    with pytest.raises(ValueError, match="sync"):

        @lib.entrypoint(timeout=1.0)
        def flow(x: int) -> int:
            return x

        flow.invoke(1)  # LangGraph refuses it when it compiles the graph


def test_bad_timeouts_name_the_task_and_the_fix() -> None:
    lib = lib_of("nbpregel")
    with pytest.raises(GraphValidationError, match=r"@task 'wait': .*number of seconds > 0"):

        @lib.task(timeout=-1)
        async def wait(x: int) -> int:
            return x

    with pytest.raises(GraphValidationError, match=r"@task 'plain' is sync.*async def"):

        @lib.task(timeout=1.0)
        def plain(x: int) -> int:
            return x
