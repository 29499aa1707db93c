"""A compiled graph's run settings, ``step_timeout`` and ``fail_fast``: given to ``compile``, or
set on the compiled graph afterwards (``app.step_timeout = 5``, as a LangGraph notebook does),
and checked either way: a bad value is refused with an error naming it, and leaves the graph as
it was."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

import pytest

from nbpregel.errors import GraphValidationError

from .graphs import NBPREGEL, Lib, langgraph_lib
from .test_errors import S, side_by_side
from .test_fail_fast import WAIT_S, Calls

pytestmark = pytest.mark.timeout(30)


def _held_and_fast(release: threading.Event) -> Any:
    """Two nodes side by side: ``slow`` waits for ``release``, ``fast`` returns at once."""

    def slow(state: S) -> dict[str, Any]:
        release.wait(WAIT_S)
        return {"log": ["slow"]}

    return side_by_side(slow=slow, fast=lambda s: {"log": ["fast"]})


def test_step_timeout_set_after_compile_ends_a_slow_step() -> None:
    release = threading.Event()
    app = _held_and_fast(release).compile()
    assert app.step_timeout is None
    app.step_timeout = 0.05
    assert app.step_timeout == 0.05
    try:
        with pytest.raises(TimeoutError, match="'slow'"):
            app.invoke({"log": []})
    finally:
        release.set()


def test_step_timeout_set_back_to_none_waits_again() -> None:
    timer_release = threading.Event()
    app = _held_and_fast(timer_release).compile(step_timeout=0.05)
    assert app.step_timeout == 0.05
    app.step_timeout = None
    timer = threading.Timer(0.2, timer_release.set)
    timer.start()
    try:
        assert sorted(app.invoke({"log": []})["log"]) == ["fast", "slow"]
    finally:
        timer.cancel()
        timer_release.set()


def test_a_whole_number_of_seconds_is_a_step_timeout() -> None:
    app = side_by_side(a=lambda s: {"log": ["a"]}).compile(step_timeout=5)
    assert app.step_timeout == 5
    assert app.invoke({"log": []})["log"] == ["a"]


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "5", True])
def test_compile_refuses_a_step_timeout_that_is_not_positive_seconds(bad: Any) -> None:
    with pytest.raises(GraphValidationError, match="step_timeout") as info:
        side_by_side(a=lambda s: {"log": ["a"]}).compile(step_timeout=bad)
    assert repr(bad) in str(info.value)
    assert "None" in str(info.value)  # the fix: positive seconds, or None for no limit


@pytest.mark.parametrize("bad", [0, -0.5, math.nan, "1s"])
def test_a_refused_step_timeout_leaves_the_graph_as_it_was(bad: Any) -> None:
    app = side_by_side(a=lambda s: {"log": ["a"]}).compile(step_timeout=3)
    with pytest.raises(GraphValidationError, match="step_timeout"):
        app.step_timeout = bad
    assert app.step_timeout == 3
    assert app.invoke({"log": []})["log"] == ["a"]


def test_fail_fast_set_after_compile_starts_nothing_after_a_failure() -> None:
    calls = Calls("b_bad")
    app = side_by_side(**{n: calls.node(n) for n in ("a_ok", "b_bad", "c_later")}).compile()
    assert app.fail_fast is False
    app.fail_fast = True
    assert app.fail_fast is True
    with pytest.raises(ValueError, match="b_bad is broken"):
        app.invoke({"log": []}, {"max_concurrency": 1})
    assert calls.counts == {"a_ok": 1, "b_bad": 1}  # c_later never started
    app.fail_fast = False
    calls.counts.clear()
    with pytest.raises(ValueError, match="b_bad is broken"):
        app.invoke({"log": []}, {"max_concurrency": 1})
    assert calls.counts == {"a_ok": 1, "b_bad": 1, "c_later": 1}


@pytest.mark.parametrize("bad", [1, "yes", None])
def test_fail_fast_must_be_a_bool(bad: Any) -> None:
    app = side_by_side(a=lambda s: {"log": ["a"]}).compile()
    with pytest.raises(GraphValidationError, match="fail_fast") as info:
        app.fail_fast = bad
    assert repr(bad) in str(info.value)
    assert app.fail_fast is False
    with pytest.raises(GraphValidationError, match="fail_fast"):
        side_by_side(a=lambda s: {"log": ["a"]}).compile(fail_fast=bad)


def _slow_step_with_timeout_set_after_compile(lib: Lib) -> Any:
    """A one-node graph whose node outlasts the ``step_timeout`` set on the compiled graph."""

    def slow(state: S) -> dict[str, Any]:
        time.sleep(0.3)
        return {"log": ["slow"]}

    graph = lib.StateGraph(S)
    graph.add_node("slow", slow)
    graph.add_edge(lib.START, "slow")
    graph.add_edge("slow", lib.END)
    app = graph.compile()
    app.step_timeout = 0.05
    return app


@pytest.mark.langgraph
@pytest.mark.parametrize("lib", [NBPREGEL, langgraph_lib()], ids=lambda lib: lib.name)
def test_a_langgraph_notebook_setting_step_timeout_on_the_graph_times_out_alike(lib: Lib) -> None:
    app = _slow_step_with_timeout_set_after_compile(lib)
    assert app.step_timeout == 0.05
    with pytest.raises(TimeoutError):
        app.invoke({"log": []})
