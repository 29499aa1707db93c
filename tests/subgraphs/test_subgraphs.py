"""Subgraphs: namespaced checkpoints, resume into a child, errors, state API, Command.PARENT."""

from __future__ import annotations

import asyncio
import operator
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from persistence.support import Calls

from nbpregel import END, START, Command, InvalidUpdateError, Send, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver, SqliteSaver
from nbpregel.errors import CheckpointError, InvalidResumeError

from .support import build_ask_in_sub, build_nested_asks, lib_named

NB = lib_named("nbpregel")
START_STATE = {"x": 1, "log": []}


class State(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def thread(thread_id: str = "t") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def child_config(app: Any, config: dict[str, Any]) -> dict[str, Any]:
    (task,) = app.get_state(config).tasks
    return task.state


@pytest.fixture(params=["memory", "sqlite"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    return InMemorySaver() if request.param == "memory" else SqliteSaver(tmp_path / "runs.db")


def test_child_checkpoints_live_under_the_task_namespace(saver: Any) -> None:
    calls = Calls()
    app = build_ask_in_sub(NB, calls, checkpointer=saver)
    config = thread()
    app.invoke(START_STATE, config)
    (task,) = app.get_state(config).tasks
    namespaces = {c.config["configurable"]["checkpoint_ns"] for c in saver.list(None)}
    assert namespaces == {"", f"sub:{task.id}"}
    child = app.get_state(task.state)
    parent_checkpoint = app.get_state(config).config["configurable"]["checkpoint_id"]
    assert child.metadata["parents"] == {"": parent_checkpoint}
    assert child.next == ("ask",)
    assert child.values == {"x": 12, "log": ["pre", "inc"]}


def test_resume_continues_the_child_without_rerunning_its_finished_nodes(saver: Any) -> None:
    calls = Calls()
    app = build_ask_in_sub(NB, calls, checkpointer=saver)
    config = thread()
    first = app.invoke(START_STATE, config)
    assert [i.value for i in first["__interrupt__"]] == ["ask?"]
    result = app.invoke(Command(resume="ok"), config)
    assert result["log"] == ["pre", "pre", "inc", "ask=ok", "post"]
    assert calls.counts() == {"pre": 1, "inc": 1, "ask": 2, "post": 1}


def test_an_error_inside_a_subgraph_propagates_and_resume_reruns_only_the_failed_node() -> None:
    calls = Calls()
    fail = {"once": True}

    def flaky(state: State) -> dict[str, Any]:
        calls.add("flaky")
        if fail["once"]:
            fail["once"] = False
            raise KeyError("boom")
        return {"log": ["flaky"]}

    def first(state: State) -> dict[str, Any]:
        calls.add("first")
        return {"log": ["first"]}

    sub = StateGraph(State)
    sub.add_node("first", first)
    sub.add_node("flaky", flaky)
    sub.add_edge(START, "first")
    sub.add_edge("first", "flaky")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile())
    parent.add_edge(START, "sub")
    app = parent.compile(checkpointer=InMemorySaver())
    config = thread()
    with pytest.raises(KeyError) as raised:
        app.invoke(START_STATE, config)
    notes = "\n".join(raised.value.__notes__)
    assert "'flaky'" in notes and "'sub'" in notes
    assert app.invoke(None, config)["log"] == ["first", "flaky"]
    assert calls.counts() == {"first": 1, "flaky": 2}


def test_parallel_interrupts_in_nested_subgraphs_need_ids_and_change_nothing_when_refused() -> None:
    calls = Calls()
    saver = InMemorySaver()
    app = build_nested_asks(NB, calls, checkpointer=saver)
    config = thread()
    app.invoke(START_STATE, config)
    saved = [c.checkpoint["id"] for c in saver.list(None)]
    with pytest.raises(InvalidResumeError, match="2 interrupts are pending"):
        app.invoke(Command(resume="one answer"), config)
    assert [c.checkpoint["id"] for c in saver.list(None)] == saved
    ids = {i.value: i.id for i in app.get_state(config).interrupts}
    result = app.invoke(Command(resume={ids["deep?"]: "D", ids["b?"]: "B"}), config)
    assert sorted(result["log"]) == sorted(["mid_pre", "mid_pre", "deep=D", "b=B"])


def test_a_map_answer_reaches_the_right_task_inside_a_subgraph_with_two_interrupts() -> None:
    def asker(name: str) -> Any:
        def node(state: State) -> dict[str, Any]:
            return {"log": [f"{name}={interrupt(name)}"]}

        return node

    sub = StateGraph(State)
    sub.add_node("p", asker("p"))
    sub.add_node("q", asker("q"))
    sub.add_edge(START, "p")
    sub.add_edge(START, "q")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile())
    parent.add_edge(START, "sub")
    app = parent.compile(checkpointer=InMemorySaver())
    config = thread()
    app.invoke(START_STATE, config)
    ids = {i.value: i.id for i in app.get_state(config).interrupts}
    partial = app.invoke(Command(resume={ids["q"]: "Q"}), config)
    assert [i.value for i in partial["__interrupt__"]] == ["p"]
    done = app.invoke(Command(resume={ids["p"]: "P"}), config)
    assert sorted(done["log"]) == ["p=P", "q=Q"]


def test_breakpoint_inside_a_subgraph_pauses_the_parent_until_invoke_none() -> None:
    sub = StateGraph(State)
    sub.add_node("one", lambda s: {"log": ["one"]})
    sub.add_node("two", lambda s: {"log": ["two"]})
    sub.add_edge(START, "one")
    sub.add_edge("one", "two")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile(interrupt_before=["two"]))
    parent.add_edge(START, "sub")
    app = parent.compile(checkpointer=InMemorySaver())
    config = thread()
    app.invoke(START_STATE, config)
    assert app.get_state(config).next == ("sub",)
    assert app.get_state(child_config(app, config)).next == ("two",)
    assert app.invoke(None, config)["log"] == ["one", "two"]


def test_update_state_of_a_child_namespace_changes_the_child() -> None:
    calls = Calls()
    app = build_ask_in_sub(NB, calls, checkpointer=InMemorySaver())
    config = thread()
    app.invoke(START_STATE, config)
    child = child_config(app, config)
    app.update_state(child, {"x": 500}, as_node="inc")
    assert app.get_state(child).values["x"] == 500
    result = app.invoke(Command(resume="ok"), config)
    assert result["x"] == 500


def test_a_checkpoint_ns_that_names_no_subgraph_is_a_clear_error() -> None:
    app = build_ask_in_sub(NB, Calls(), checkpointer=InMemorySaver())
    bad = {"configurable": {"thread_id": "t", "checkpoint_ns": "pre:0123"}}
    with pytest.raises(CheckpointError, match="'pre', which is not a subgraph node"):
        app.get_state(bad)


def test_command_parent_outside_a_subgraph_is_a_clear_error() -> None:
    graph = StateGraph(State)
    graph.add_node("jump", lambda s: Command(graph=Command.PARENT, update={"x": 2}))
    graph.add_edge(START, "jump")
    with pytest.raises(InvalidUpdateError, match=r"'jump'.*not running as a subgraph"):
        graph.compile().invoke(START_STATE)


def test_subgraph_with_checkpointer_false_keeps_no_checkpoints_of_its_own() -> None:
    sub = StateGraph(State)
    sub.add_node("inner", lambda s: {"log": ["inner"]})
    sub.add_edge(START, "inner")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile(checkpointer=False))
    parent.add_edge(START, "sub")
    saver = InMemorySaver()
    app = parent.compile(checkpointer=saver)
    assert app.invoke(START_STATE, thread())["log"] == ["inner"]
    assert {c.config["configurable"]["checkpoint_ns"] for c in saver.list(None)} == {""}


class LogOnly(TypedDict):
    log: Annotated[list, operator.add]


@pytest.mark.timeout(60)
def test_sends_into_a_subgraph_with_parallel_steps_finish_on_a_small_pool() -> None:
    sub = StateGraph(State, output_schema=LogOnly)
    for name in ("a", "b"):
        sub.add_node(name, lambda s, name=name: {"log": [name]})
        sub.add_edge(START, name)
    sub.add_node("c", lambda s: {"x": s["x"] * 2, "log": ["c"]})
    sub.add_edge(["a", "b"], "c")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile())
    parent.add_conditional_edges(
        START, lambda s: [Send("sub", {"x": i, "log": []}) for i in range(12)]
    )
    app = parent.compile()
    result = app.invoke(START_STATE, {"max_concurrency": 2})
    assert sorted(result["log"]).count("c") == 12
    assert len(result["log"]) == 12 * 3


def test_async_parent_resumes_an_interrupted_subgraph() -> None:
    calls = Calls()
    app = build_ask_in_sub(NB, calls, checkpointer=InMemorySaver())
    config = thread()

    async def run() -> Any:
        await app.ainvoke(START_STATE, config)
        return await app.ainvoke(Command(resume="async"), config)

    assert asyncio.run(run())["log"][-2:] == ["ask=async", "post"]
    assert calls["inc"] == 1


def test_get_state_subgraphs_true_nests_the_child_snapshot() -> None:
    app = build_ask_in_sub(NB, Calls(), checkpointer=InMemorySaver())
    config = thread()
    app.invoke(START_STATE, config)
    (task,) = app.get_state(config, subgraphs=True).tasks
    assert task.state.next == ("ask",)
    assert [i.value for i in task.state.interrupts] == ["ask?"]
    assert END not in task.state.next


@pytest.mark.timeout(30)
def test_a_lone_subgraph_task_streams_its_steps_while_it_runs() -> None:
    import threading

    gate = threading.Event()
    sub = StateGraph(State)
    sub.add_node("first", lambda s: {"log": ["first"]})
    sub.add_node("second", lambda s: gate.wait(10) and {"log": ["second"]})
    sub.add_edge(START, "first")
    sub.add_edge("first", "second")
    parent = StateGraph(State)
    parent.add_node("sub", sub.compile())
    parent.add_edge(START, "sub")
    chunks = parent.compile().stream(START_STATE, subgraphs=True, stream_mode="updates")
    try:
        ns, chunk = next(chunks)
        assert (ns[0].split(":")[0], chunk, gate.is_set()) == (
            "sub",
            {"first": {"log": ["first"]}},
            False,
        )
    finally:
        gate.set()
    assert [chunk for _, chunk in chunks][-1] == {"sub": {"x": 1, "log": ["first", "second"]}}


def test_a_subgraph_keeps_its_private_keys_and_returns_the_shared_ones() -> None:
    class Sub(TypedDict):
        foo: str
        bar: str

    class Parent(TypedDict):
        foo: str

    sub = StateGraph(Sub)
    sub.add_node("one", lambda s: {"bar": "bar"})
    sub.add_node("two", lambda s: {"foo": s["foo"] + s["bar"]})
    sub.add_edge(START, "one")
    sub.add_edge("one", "two")
    parent = StateGraph(Parent)
    parent.add_node("sub", sub.compile())
    parent.add_edge(START, "sub")
    assert parent.compile().invoke({"foo": "foo"}) == {"foo": "foobar"}


def test_checkpoint_events_carry_the_whole_state_even_with_an_output_schema() -> None:
    class Full(TypedDict):
        text: str
        words: list

    class Out(TypedDict):
        words: list

    graph = StateGraph(Full, output_schema=Out)
    graph.add_node("split", lambda s: {"words": s["text"].split()})
    graph.add_edge(START, "split")
    chunks = list(graph.compile().stream({"text": "a b"}, stream_mode="checkpoints"))
    assert chunks[-1]["values"] == {"text": "a b", "words": ["a", "b"]}
