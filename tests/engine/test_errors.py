"""Errors a run can end with: each names the culprit (node, channel, limit) and says what to do."""

from __future__ import annotations

import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import (
    END,
    START,
    GraphRecursionError,
    InvalidUpdateError,
    NbPregelError,
    StateGraph,
)

from .graphs import CASES, NBPREGEL, Log, fresh


class S(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def side_by_side(**nodes: Any) -> StateGraph:
    """A graph (not compiled yet) whose ``nodes`` all run in the first step, side by side."""
    g = StateGraph(S)
    for name, fn in nodes.items():
        g.add_node(name, fn)
        g.add_edge(START, name)
    return g


def single_node(fn: Any) -> Any:
    return side_by_side(only=fn).compile()


# -- bad writes ----------------------------------------------------------------------------


def test_two_writes_to_a_plain_key_name_the_channel_the_writers_and_the_fix() -> None:
    g = side_by_side(left=lambda s: {"x": 1}, right=lambda s: {"x": 2})
    with pytest.raises(InvalidUpdateError) as info:
        g.compile().invoke({"x": 0, "log": []})
    message = str(info.value)
    assert "'x'" in message
    assert "'left'" in message and "'right'" in message
    assert "reducer" in message and "Annotated" in message


def test_concurrent_writes_to_a_reducer_key_are_fine() -> None:
    g = side_by_side(left=lambda s: {"log": ["l"]}, right=lambda s: {"log": ["r"]})
    assert g.compile().invoke({"x": 0, "log": []}) == {"x": 0, "log": ["l", "r"]}


@pytest.mark.parametrize("value", [5, "text", [1, 2], 3.5], ids=["int", "str", "list", "float"])
def test_node_returning_a_non_dict_is_an_error_naming_node_and_type(value: Any) -> None:
    with pytest.raises(InvalidUpdateError) as info:
        single_node(lambda s: value).invoke({"x": 0, "log": []})
    message = str(info.value)
    assert "'only'" in message
    assert type(value).__name__ in message


def test_node_returning_unknown_keys_is_an_error_naming_node_and_keys() -> None:
    # deliberately differs from LangGraph, which drops unknown keys silently
    with pytest.raises(InvalidUpdateError) as info:
        single_node(lambda s: {"x": 1, "typo": 2, "other": 3}).invoke({"x": 0, "log": []})
    message = str(info.value)
    assert "'only'" in message
    assert "'typo'" in message and "'other'" in message
    assert "'x'" in message  # the keys the state does have


def bad_reducer(left: list, right: list) -> list:
    raise ZeroDivisionError("reducer failed")


class BadReducer(TypedDict):
    items: Annotated[list, bad_reducer]


def test_reducer_error_is_an_invalid_update_naming_the_channel_chained_to_the_cause() -> None:
    g = StateGraph(BadReducer)
    g.add_node("writer", lambda s: {"items": [1]})
    g.add_edge(START, "writer")
    with pytest.raises(InvalidUpdateError, match="items") as info:
        g.compile().invoke({"items": []})
    chain = []
    exc: BaseException | None = info.value
    while exc is not None:
        chain.append(type(exc))
        exc = exc.__cause__
    assert ZeroDivisionError in chain


def test_routing_function_answer_missing_from_path_map_is_named() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: None)
    g.add_node("b", lambda s: None)
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "maybe", {"yes": "b", "no": END})
    with pytest.raises(InvalidUpdateError, match="'maybe'"):
        g.compile().invoke({"x": 0, "log": []})


def test_routing_function_returning_an_unknown_node_is_named() -> None:
    g = StateGraph(S)
    g.add_node("a", lambda s: None)
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "elsewhere")
    with pytest.raises(InvalidUpdateError, match="'elsewhere'"):
        g.compile().invoke({"x": 0, "log": []})


# -- node errors ---------------------------------------------------------------------------


class CustomError(Exception):
    """A user's own exception type."""


@pytest.mark.parametrize("exc_type", [KeyError, CustomError, ValueError])
def test_node_error_propagates_as_its_own_type_with_a_note_naming_node_and_step(
    exc_type: type[Exception],
) -> None:
    def boom(state: S) -> None:
        raise exc_type("it broke")

    g = StateGraph(S)
    g.add_node("first", lambda s: {"x": 1})
    g.add_node("boom", boom)
    g.add_edge(START, "first")
    g.add_edge("first", "boom")
    with pytest.raises(exc_type) as info:
        g.compile().invoke({"x": 0, "log": []})
    assert type(info.value) is exc_type  # not wrapped
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "'boom'" in notes
    assert "superstep 2" in notes  # START runs in step 0, first in 1, boom in 2


def test_node_error_in_a_parallel_step_lets_the_other_tasks_finish() -> None:
    finished = threading.Event()

    def slow(state: S) -> dict[str, Any]:
        time.sleep(0.05)
        finished.set()
        return {"log": ["slow"]}

    def boom(state: S) -> None:
        raise CustomError("fast failure")

    with pytest.raises(CustomError):
        side_by_side(slow=slow, boom=boom).compile().invoke({"x": 0, "log": []})
    assert finished.is_set()


def test_no_update_of_the_failed_step_is_streamed_as_values() -> None:
    def boom(state: S) -> None:
        raise CustomError("no")

    g = side_by_side(ok=lambda s: {"log": ["ok"]}, boom=boom)
    chunks: list[Any] = []
    with pytest.raises(CustomError):
        for chunk in g.compile().stream({"x": 0, "log": []}, stream_mode="values"):
            chunks.append(chunk)
    assert chunks == [{"x": 0, "log": []}]  # the failed step's writes never reach the state


# -- recursion limit -----------------------------------------------------------------------


def test_recursion_error_names_the_limit_and_how_to_raise_it() -> None:
    case = CASES["endless_cycle"]
    with pytest.raises(GraphRecursionError) as info:
        case.build(NBPREGEL).invoke(fresh(case.input), {"recursion_limit": 6})
    assert isinstance(info.value, RecursionError)
    assert isinstance(info.value, NbPregelError)
    assert "6" in str(info.value)
    assert "recursion_limit" in str(info.value)


def chain_of(k: int) -> Any:
    g = StateGraph(Log)
    g.add_sequence([(f"n{i}", lambda s: {"n": s["n"] + 1}) for i in range(k)])
    g.add_edge(START, "n0")
    return g.compile()


@pytest.mark.parametrize("k", [1, 2, 5])
def test_a_chain_of_k_nodes_needs_a_recursion_limit_of_k_plus_one(k: int) -> None:
    app = chain_of(k)
    assert app.invoke({"log": [], "n": 0}, {"recursion_limit": k + 1}) == {"log": [], "n": k}
    with pytest.raises(GraphRecursionError, match=str(k)):
        app.invoke({"log": [], "n": 0}, {"recursion_limit": k})


def test_default_recursion_limit_lets_a_long_loop_finish() -> None:
    class C(TypedDict):
        n: int

    g = StateGraph(C)
    g.add_node("inc", lambda s: {"n": s["n"] + 1})
    g.add_edge(START, "inc")
    g.add_conditional_edges("inc", lambda s: "inc" if s["n"] < 300 else END)
    assert g.compile().invoke({"n": 0}) == {"n": 300}


# -- step timeout --------------------------------------------------------------------------


def test_step_timeout_raises_timeout_error_naming_the_unfinished_task() -> None:
    release = threading.Event()

    def slow(state: S) -> dict[str, Any]:
        release.wait(2)
        return {"log": ["slow"]}

    app = side_by_side(slow=slow, fast=lambda s: {"log": ["fast"]}).compile(step_timeout=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError) as info:
            app.invoke({"x": 0, "log": []})
    finally:
        release.set()
    assert time.monotonic() - started < 1.0
    assert "'slow'" in str(info.value)
    assert "'fast'" not in str(info.value)


def test_step_timeout_does_not_fire_when_steps_are_fast() -> None:
    g = side_by_side(a=lambda s: {"log": ["a"]}, b=lambda s: {"log": ["b"]})
    assert g.compile(step_timeout=5).invoke({"x": 0, "log": []})["log"] == ["a", "b"]


# -- resuming after an error ---------------------------------------------------------------


def test_resume_after_an_error_reruns_only_the_failed_task() -> None:
    import nbpregel

    calls = {"ok": 0, "flaky": 0}
    broken = [True]

    def ok(state: S) -> dict[str, Any]:
        calls["ok"] += 1
        return {"log": ["ok"]}

    def flaky(state: S) -> dict[str, Any]:
        calls["flaky"] += 1
        if broken[0]:
            raise CustomError("first time")
        return {"log": ["flaky"]}

    g = side_by_side(ok=ok, flaky=flaky)
    g.add_node("after", lambda s: {"log": ["after"]})
    g.add_edge(["ok", "flaky"], "after")
    app = g.compile(checkpointer=nbpregel.InMemorySaver())
    config = {"configurable": {"thread_id": "resume-after-error"}}
    with pytest.raises(CustomError):
        app.invoke({"x": 0, "log": []}, config)
    assert app.get_state(config).next == ("flaky",)  # ok's writes were saved as pending
    broken[0] = False
    assert app.invoke(None, config)["log"] == ["flaky", "ok", "after"]
    assert calls == {"ok": 1, "flaky": 2}


# -- no input -------------------------------------------------------------------------------


@pytest.mark.parametrize("saved", [False, True], ids=["no-checkpointer", "fresh-thread"])
@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke"])
def test_no_input_on_a_thread_without_a_checkpoint_is_an_error(saved: bool, how: str) -> None:
    import asyncio

    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.errors import EmptyInputError

    saver = InMemorySaver() if saved else None
    app = side_by_side(only=lambda s: {"log": ["ran"]}).compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "never-ran"}}
    calls = {
        "invoke": lambda: app.invoke(None, config),
        "stream": lambda: list(app.stream(None, config)),
        "ainvoke": lambda: asyncio.run(app.ainvoke(None, config)),
    }
    with pytest.raises(EmptyInputError, match=r"no input.*invoke\(input, config\)"):
        calls[how]()
    if saver is not None:
        assert list(saver.list(None)) == []  # nothing saved
    assert app.invoke({"x": 0, "log": []}, config)["log"] == ["ran"]  # the fix works
    if saved:  # and now the thread has a checkpoint: None continues it
        assert app.invoke(None, config)["log"] == ["ran"]


def test_no_input_is_the_error_langgraph_raises() -> None:
    pytest.importorskip("langgraph")
    from langgraph.errors import EmptyInputError as Theirs
    from langgraph.graph import END as THEIR_END
    from langgraph.graph import START as THEIR_START
    from langgraph.graph import StateGraph as TheirStateGraph

    from nbpregel.errors import EmptyInputError

    g = TheirStateGraph(S)
    g.add_node("only", lambda s: {"log": ["ran"]})
    g.add_edge(THEIR_START, "only")
    g.add_edge("only", THEIR_END)
    with pytest.raises(Theirs):
        g.compile().invoke(None)
    with pytest.raises(EmptyInputError):
        single_node(lambda s: {"log": ["ran"]}).invoke(None)
