"""Graphs a node invokes itself (not added as subgraph nodes): each run is recorded in its own
namespace, ``call:<task id>`` for the first, ``call:<task id>|1`` for the second, and so on."""

from __future__ import annotations

from typing import Any, TypedDict

from nbpregel import END, START, StateGraph
from nbpregel.notebook import Recorder
from nbpregel.notebook._highlight import Highlighter, NodeState, namespace_label, ns_path
from nbpregel.notebook.dot import as_drawable


class Count(TypedDict):
    x: int


def _twice() -> Any:
    """``call`` invokes a one-node graph twice, the second time on the first one's output."""
    inner = StateGraph(Count)
    inner.add_node("inner", lambda state: {"x": state["x"] + 1})
    inner.add_edge(START, "inner").add_edge("inner", END)
    sub = inner.compile()

    def call(state: Count) -> dict[str, int]:
        return sub.invoke(sub.invoke(state))

    outer = StateGraph(Count)
    outer.add_node("call", call)
    outer.add_edge(START, "call").add_edge("call", END)
    return outer.compile()


def _recorded(graph: Any) -> Recorder:
    recorder = Recorder()
    recorder.record_input({"x": 0})
    for chunk in graph.stream({"x": 0}, stream_mode=["trace"], subgraphs=True):
        recorder.record(chunk)
    recorder.record_end()
    return recorder


def test_each_run_a_node_starts_is_named_by_its_task_and_number() -> None:
    recorder = _recorded(_twice())
    root, first, second = recorder.namespaces()
    (call,) = recorder.tasks_of(1)
    assert root == ""
    assert first == f"call:{call.task_id}" and second == f"{first}|1"
    assert ns_path(second) == ns_path(first) == [("call", call.task_id)]
    label = f"call (step 1 \u00b7 {call.task_id[:8]})"
    assert namespace_label(recorder, first) == label
    assert namespace_label(recorder, second) == f"{label} \u00b7 run 2"


def test_a_later_run_shows_the_input_it_was_given() -> None:
    recorder = _recorded(_twice())
    _, first, second = recorder.namespaces()
    starts = recorder.writes.query("node == '__start__' and channel == 'x'")
    given = dict(zip(starts["ns"].astype(str), starts["value"], strict=True))
    assert given == {"": 0, first: 0, second: 1}
    assert recorder.state(ns=second) == {"x": 2}


def test_the_node_that_started_a_run_is_lit_with_its_steps() -> None:
    graph = _twice()
    recorder = _recorded(graph)
    _, first, second = recorder.namespaces()
    highlighter = Highlighter(as_drawable(graph))
    for ns in (first, second):
        lit = highlighter.step(recorder, 1, ns)
        assert lit.nodes == {"call": NodeState.DONE}, lit  # its own nodes are not drawn
