"""A sync node left running by a step that ended early (a timeout, or a failure under
``fail_fast``) is never called a second time alongside itself: resuming the run at once makes
the same task wait for that call to return before it runs the node again (Python cannot stop
the first call's thread, and its writes are dropped).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from nbpregel.checkpoint.memory import InMemorySaver

from .test_errors import S, side_by_side
from .test_fail_fast import WAIT_S

pytestmark = pytest.mark.timeout(30)

SETTLE_S = 0.3
"""Long enough for a resumed run to reach the node if nothing held it back."""


class Held:
    """A sync node that waits for ``release``, counting its calls and how many overlap."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.calls = 0
        self.active = 0
        self.peak = 0

    def __call__(self, state: S) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            self.release.wait(WAIT_S)
        finally:
            with self.lock:
                self.active -= 1
        return {"log": ["slow"]}


def _config(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def _resume_in_background(app: Any, config: dict[str, Any]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    runner = threading.Thread(target=lambda: out.append(app.invoke(None, config)), daemon=True)
    runner.start()
    return runner, out


def _check_resume_waits_for_the_orphan(app: Any, held: Held, config: dict[str, Any]) -> None:
    """Resume while the first call still runs: no second call until it returns, then one."""
    runner, out = _resume_in_background(app, config)
    try:
        time.sleep(SETTLE_S)
        assert held.calls == 1, "the resumed run called the node alongside its first call"
    finally:
        held.release.set()
    runner.join(WAIT_S)
    assert not runner.is_alive()
    assert held.calls == 2 and held.peak == 1
    assert "slow" in out[0]["log"]


def test_resuming_a_timed_out_step_waits_for_its_sync_task_still_running() -> None:
    held = Held()
    app = side_by_side(slow=held, fast=lambda s: {"log": ["fast"]})
    app = app.compile(checkpointer=InMemorySaver(), step_timeout=0.1)
    with pytest.raises(TimeoutError, match="'slow'"):
        app.invoke({"log": []}, _config("t"))
    assert held.active == 1
    app.step_timeout = None  # the resumed step may wait as long as it takes
    _check_resume_waits_for_the_orphan(app, held, _config("t"))


def test_resuming_a_fail_fast_step_waits_for_its_sync_task_still_running() -> None:
    held = Held()
    broken = [True]

    def bad(state: S) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while held.active == 0 and time.monotonic() < deadline:
            time.sleep(0.005)  # fail once ``slow`` runs, so that it is left running
        if broken[0]:
            raise ValueError("bad is broken")
        return {"log": ["bad"]}

    app = side_by_side(bad=bad, slow=held).compile(checkpointer=InMemorySaver(), fail_fast=True)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke({"log": []}, _config("t"))
    assert held.active == 1
    broken[0] = False
    _check_resume_waits_for_the_orphan(app, held, _config("t"))


async def test_an_async_run_resuming_a_timed_out_step_waits_for_its_sync_task() -> None:
    held = Held()
    app = side_by_side(slow=held, fast=lambda s: {"log": ["fast"]})
    app = app.compile(checkpointer=InMemorySaver(), step_timeout=0.1)
    with pytest.raises(TimeoutError, match="'slow'"):
        await app.ainvoke({"log": []}, _config("a"))
    assert held.active == 1
    app.step_timeout = None
    resumed = asyncio.ensure_future(app.ainvoke(None, _config("a")))
    try:
        await asyncio.sleep(SETTLE_S)
        assert held.calls == 1, "the resumed run called the node alongside its first call"
    finally:
        held.release.set()
    out = await asyncio.wait_for(resumed, WAIT_S)
    assert held.calls == 2 and held.peak == 1
    assert "slow" in out["log"]


def test_a_step_that_did_not_end_early_leaves_nothing_to_wait_for() -> None:
    """A run of the same graph whose steps finish leaves no call for a later run to wait on."""
    held = Held()
    held.release.set()
    app = side_by_side(slow=held, fast=lambda s: {"log": ["fast"]})
    app = app.compile(checkpointer=InMemorySaver(), step_timeout=5)
    assert sorted(app.invoke({"log": []}, _config("u"))["log"]) == ["fast", "slow"]
    from nbpregel.pregel import _orphans

    assert not _orphans.RUNNING


def _failing_slowly(calls: list[float], seconds: float) -> Any:
    """A sync node that takes ``seconds``, then fails (a retryable error), noting each call."""

    def flaky(state: S) -> dict[str, Any]:
        calls.append(time.monotonic())
        time.sleep(seconds)
        raise ValueError("flaky failed")

    return flaky


def _retried(calls: list[float], **compile_kwargs: Any) -> Any:
    from nbpregel import StateGraph
    from nbpregel.constants import START
    from nbpregel.types import RetryPolicy

    graph = StateGraph(S)
    retry = RetryPolicy(max_attempts=4, initial_interval=0.05, jitter=False, retry_on=ValueError)
    graph.add_node("flaky", _failing_slowly(calls, 0.2), retry_policy=retry)

    def bad(state: S) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT_S
        while not calls and time.monotonic() < deadline:
            time.sleep(0.005)  # fail once ``flaky`` runs, so that it is left running
        raise KeyError("bad")

    graph.add_node("bad", bad)
    graph.add_edge(START, "flaky")
    graph.add_edge(START, "bad")
    return graph.compile(**compile_kwargs)


def test_a_sync_node_left_running_by_a_timeout_is_not_retried() -> None:
    calls: list[float] = []
    app = _retried(calls, step_timeout=0.1)
    with pytest.raises(TimeoutError, match="'flaky'"):
        app.invoke({"log": []})
    time.sleep(0.2 * 4 + 0.05 * 3)  # all the attempts the policy allows, had it retried
    assert len(calls) == 1


def test_a_sync_node_left_running_by_fail_fast_is_not_retried() -> None:
    calls: list[float] = []
    app = _retried(calls, fail_fast=True)
    with pytest.raises(KeyError, match="bad"):
        app.invoke({"log": []})
    time.sleep(0.2 * 4 + 0.05 * 3)
    assert len(calls) == 1


def test_a_sync_node_whose_step_waits_for_it_is_retried() -> None:
    calls: list[float] = []
    app = _retried(calls)
    with pytest.raises((ValueError, KeyError)):
        app.invoke({"log": []})
    assert len(calls) == 4
