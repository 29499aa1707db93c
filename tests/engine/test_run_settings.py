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


# -- breakpoints: interrupt_before_nodes / interrupt_after_nodes, LangGraph's attribute names --


def _a_then_b(lib: Lib = NBPREGEL) -> Any:
    """``a`` then ``b``, with a checkpointer (breakpoints pause into it)."""
    from nbpregel.checkpoint.memory import InMemorySaver

    graph = lib.StateGraph(S)
    graph.add_node("a", lambda s: {"log": ["a"]})
    graph.add_node("b", lambda s: {"log": ["b"]})
    graph.add_edge(lib.START, "a")
    graph.add_edge("a", "b")
    graph.add_edge("b", lib.END)
    if lib is NBPREGEL:
        return graph.compile(checkpointer=InMemorySaver())
    from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver

    return graph.compile(checkpointer=LangGraphSaver())


def _thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def test_breakpoints_set_after_compile_pause_the_next_runs() -> None:
    app = _a_then_b()
    assert app.interrupt_before_nodes == [] and app.interrupt_after_nodes == []
    app.interrupt_before_nodes = ["b"]
    assert app.interrupt_before_nodes == ["b"]
    assert app.invoke({"log": []}, _thread("before"))["log"] == ["a"]
    assert app.get_state(_thread("before")).next == ("b",)
    app.interrupt_before_nodes = None
    app.interrupt_after_nodes = "a"
    assert app.interrupt_after_nodes == ["a"]
    assert app.invoke({"log": []}, _thread("after"))["log"] == ["a"]
    assert app.get_state(_thread("after")).next == ("b",)
    app.interrupt_after_nodes = "*"
    assert app.interrupt_after_nodes == "*"
    app.interrupt_after_nodes = []
    assert app.invoke({"log": []}, _thread("none"))["log"] == ["a", "b"]


def test_a_breakpoint_on_an_unknown_node_is_refused_and_changes_nothing() -> None:
    app = _a_then_b()
    app.interrupt_before_nodes = ["b"]
    with pytest.raises(GraphValidationError, match="interrupt_before") as info:
        app.interrupt_before_nodes = ["b", "ghost"]
    assert "'ghost'" in str(info.value) and "['a', 'b']" in str(info.value)
    assert app.interrupt_before_nodes == ["b"]


@pytest.mark.parametrize("role", ["interrupt_before", "interrupt_after"])
def test_breakpoints_that_are_not_names_are_refused_naming_them(role: str) -> None:
    app = _a_then_b()
    with pytest.raises(GraphValidationError, match=f"{role}=5 is not node names"):
        setattr(app, f"{role}_nodes", 5)
    assert getattr(app, f"{role}_nodes") == []
    with pytest.raises(GraphValidationError, match=f"{role}=5 is not node names"):
        app.invoke({"log": []}, _thread("t"), **{role: 5})
    with pytest.raises(GraphValidationError, match=f"{role}=5 is not node names"):
        side_by_side(a=lambda s: {"log": ["a"]}).compile(**{role: 5})


@pytest.mark.parametrize("role", ["interrupt_before", "interrupt_after"])
def test_a_run_breakpoint_on_an_unknown_node_is_refused_before_anything_is_saved(
    role: str,
) -> None:
    app = _a_then_b()
    with pytest.raises(GraphValidationError, match=f"{role} names unknown node 'ghost'"):
        app.invoke({"log": []}, _thread("t"), **{role: ["ghost"]})
    assert app.get_state(_thread("t")).values == {}  # no checkpoint was written
    assert list(app.checkpointer.list(_thread("t"))) == []


@pytest.mark.langgraph
@pytest.mark.parametrize("lib", [NBPREGEL, langgraph_lib()], ids=lambda lib: lib.name)
def test_a_langgraph_notebook_setting_breakpoints_on_the_graph_pauses_alike(lib: Lib) -> None:
    app = _a_then_b(lib)
    app.interrupt_before_nodes = ["b"]
    assert app.invoke({"log": []}, _thread("t"))["log"] == ["a"]
    assert app.get_state(_thread("t")).next == ("b",)
    assert app.invoke(None, _thread("t"))["log"] == ["a", "b"]
