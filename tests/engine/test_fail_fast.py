"""``fail_fast``: a failed task ends its step at once (spec §4, Errors); and what a step
that ends early (a failure, a timeout) does with its tasks still running.

By default the other tasks of a failed step finish and their writes are saved, so resuming runs
only what saved nothing. With ``compile(fail_fast=True)`` no task of the step starts after the
failure, running async nodes are cancelled, a running sync node is not waited for (its writes
are dropped), and the run fails with the failed task's own error.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from typing import Any

import pytest

from nbpregel.checkpoint.memory import InMemorySaver

from .test_errors import S, side_by_side

pytestmark = pytest.mark.timeout(30)

WAIT_S = 10.0
"""How long a held node waits for its release: far longer than any assertion needs."""


class Calls:
    """Counts each node's calls; ``broken`` nodes raise ``ValueError`` while it holds them."""

    def __init__(self, *broken: str) -> None:
        self.counts: Counter[str] = Counter()
        self.broken = set(broken)

    def node(self, name: str) -> Any:
        def run(state: S) -> dict[str, Any]:
            self.counts[name] += 1
            if name in self.broken:
                raise ValueError(f"{name} is broken")
            return {"log": [name]}

        return run


def thread(name: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": name}, "max_concurrency": 1}


def held(release: threading.Event, finished: threading.Event, name: str) -> Any:
    """A sync node that notes it started, waits for ``release``, then notes that it finished."""

    def run(state: S) -> dict[str, Any]:
        STARTED.set()
        release.wait(WAIT_S)
        finished.set()
        return {"log": [name]}

    return run


STARTED = threading.Event()
BROKEN = {"bad": True}


def fails_once_held_started(state: S) -> dict[str, Any]:
    """While ``BROKEN``, fails once the held node runs (so that it is running, not queued)."""
    if BROKEN["bad"]:
        assert STARTED.wait(WAIT_S)
        raise ValueError("bad is broken")
    return {"log": ["bad"]}


def cancellable(cancelled: asyncio.Event | threading.Event) -> Any:
    """An async node that waits long, and sets ``cancelled`` if it is cancelled."""

    async def slow(state: S) -> dict[str, Any]:
        try:
            await asyncio.sleep(WAIT_S)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return {"log": ["slow"]}

    return slow


def _b_fails(**compile_kwargs: Any) -> tuple[Calls, Any]:
    """Three tasks side by side, of which ``b_bad`` (the second) fails, and their counts."""
    calls = Calls("b_bad")
    graph = side_by_side(**{n: calls.node(n) for n in ("a_ok", "b_bad", "c_later")})
    return calls, graph.compile(**compile_kwargs)


def test_by_default_a_failed_step_waits_for_its_other_tasks_and_keeps_their_writes() -> None:
    calls, app = _b_fails(checkpointer=InMemorySaver())
    with pytest.raises(ValueError, match="b_bad is broken"):
        app.invoke({"log": []}, thread())
    assert calls.counts == {"a_ok": 1, "b_bad": 1, "c_later": 1}
    calls.broken.clear()
    assert app.invoke(None, thread())["log"] == ["a_ok", "b_bad", "c_later"]
    assert calls.counts == {"a_ok": 1, "b_bad": 2, "c_later": 1}


def test_fail_fast_starts_no_task_of_the_step_after_the_failure() -> None:
    calls, app = _b_fails(checkpointer=InMemorySaver(), fail_fast=True)
    with pytest.raises(ValueError, match="b_bad is broken") as info:
        app.invoke({"log": []}, thread())  # one task at a time, in task order
    assert calls.counts == {"a_ok": 1, "b_bad": 1}
    assert any("'b_bad'" in note for note in info.value.__notes__)
    # Resuming runs what saved no writes: the failed task and the one that never started.
    calls.broken.clear()
    assert app.invoke(None, thread())["log"] == ["a_ok", "b_bad", "c_later"]
    assert calls.counts == {"a_ok": 1, "b_bad": 2, "c_later": 1}


def test_fail_fast_starts_nothing_more_without_a_checkpointer_either() -> None:
    calls, app = _b_fails(fail_fast=True)
    with pytest.raises(ValueError, match="b_bad is broken"):
        app.invoke({"log": []}, {"max_concurrency": 1})  # the calling thread runs them
    assert calls.counts == {"a_ok": 1, "b_bad": 1}


def test_fail_fast_does_not_wait_for_a_running_sync_task_and_drops_its_writes() -> None:
    release, finished = threading.Event(), threading.Event()
    STARTED.clear()
    BROKEN["bad"] = True
    app = side_by_side(bad=fails_once_held_started, slow=held(release, finished, "slow"))
    app = app.compile(checkpointer=InMemorySaver(), fail_fast=True)
    config = {"configurable": {"thread_id": "t"}}
    try:
        with pytest.raises(ValueError, match="bad is broken"):
            app.invoke({"log": []}, config)
        assert not finished.is_set()  # the run failed while ``slow`` still ran
    finally:
        release.set()
    assert finished.wait(WAIT_S)
    time.sleep(0.05)  # the orphaned task returns: its writes must not be saved
    tasks = {task.name: task for task in app.get_state(config).tasks}
    assert set(tasks) == {"bad", "slow"}
    assert isinstance(tasks["bad"].error, ValueError)
    assert tasks["slow"].error is None
    # ``slow`` saved nothing: resuming runs it again.
    BROKEN["bad"] = False
    finished.clear()
    assert sorted(app.invoke(None, config)["log"]) == ["bad", "slow"]
    assert finished.is_set()


def test_a_timed_out_step_does_not_wait_for_its_sync_task_and_drops_its_writes() -> None:
    release, finished = threading.Event(), threading.Event()
    app = side_by_side(slow=held(release, finished, "slow"), fast=lambda s: {"log": ["fast"]})
    app = app.compile(checkpointer=InMemorySaver(), step_timeout=0.1)
    config = {"configurable": {"thread_id": "t"}}
    try:
        with pytest.raises(TimeoutError, match="'slow'"):
            app.invoke({"log": []}, config)
        assert not finished.is_set()  # raised at the deadline, ``slow`` still running
    finally:
        release.set()
    assert finished.wait(WAIT_S)
    time.sleep(0.05)  # the orphaned task returns: its writes must not be saved
    # ``fast`` finished within the step and saved its writes; ``slow`` saved none: it is the
    # step's one task left, and resuming runs it alone.
    state = app.get_state(config)
    assert {task.name for task in state.tasks} == {"slow", "fast"}
    assert state.values["log"] == ["fast"]
    assert state.next == ("slow",)
    finished.clear()
    assert sorted(app.invoke(None, config)["log"]) == ["fast", "slow"]
    assert finished.is_set()


def test_without_fail_fast_the_same_run_waits_for_the_running_task() -> None:
    release, finished = threading.Event(), threading.Event()
    STARTED.clear()
    BROKEN["bad"] = True
    app = side_by_side(bad=fails_once_held_started, slow=held(release, finished, "slow"))
    app = app.compile()
    timer = threading.Timer(0.3, release.set)
    timer.start()
    try:
        with pytest.raises(ValueError, match="bad is broken"):
            app.invoke({"log": []})
        assert finished.is_set()
    finally:
        timer.cancel()
        release.set()


async def test_fail_fast_cancels_running_async_tasks() -> None:
    cancelled = asyncio.Event()

    async def bad(state: S) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        raise ValueError("bad is broken")

    app = side_by_side(bad=bad, slow=cancellable(cancelled)).compile(fail_fast=True)
    started = time.monotonic()
    with pytest.raises(ValueError, match="bad is broken"):
        await app.ainvoke({"log": []})
    await asyncio.wait_for(cancelled.wait(), 5)
    assert time.monotonic() - started < WAIT_S / 2


def test_fail_fast_cancels_async_tasks_of_a_sync_run() -> None:
    cancelled = threading.Event()

    def bad(state: S) -> dict[str, Any]:
        raise ValueError("bad is broken")

    app = side_by_side(bad=bad, slow=cancellable(cancelled)).compile(fail_fast=True)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke({"log": []})
    assert cancelled.wait(5)


def test_a_timed_out_step_cancels_its_async_tasks_in_a_sync_run() -> None:
    cancelled = threading.Event()
    app = side_by_side(slow=cancellable(cancelled), fast=lambda s: {"log": ["fast"]})
    with pytest.raises(TimeoutError, match="'slow'"):
        app.compile(step_timeout=0.05).invoke({"log": []})
    assert cancelled.wait(5)
