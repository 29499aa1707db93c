"""Subgraphs in the notebook: namespaces in the tables, prompts from inside, the view's focus."""

from __future__ import annotations

import operator
import re
from typing import Annotated, Any, TypedDict

import pytest
from run_graphs import Lib, nested_graph, subgraph_question_graph
from test_recorder import assert_schema, record, thread
from widget_comm import RecordingComm

from nbpregel.notebook import GraphView, Recorder, RunView, run
from nbpregel.notebook.dot import to_dot
from nbpregel.notebook.recorder import ROOT
from nbpregel.notebook.run import Run, RunStatus
from nbpregel.notebook.run_view import ROOT_LABEL

TIMEOUT = 20
TABLES = ("steps", "tasks", "writes", "channels", "interrupts")


def levels(recorder: Recorder) -> tuple[str, str, str]:
    """The root's, the subgraph's and the inner subgraph's namespaces."""
    root, sub, inner = recorder.namespaces()
    return root, sub, inner


@pytest.fixture
def nested() -> Recorder:
    return record(nested_graph(), {"count": 0})


def test_each_subgraph_run_is_a_namespace_with_its_own_steps(nested: Recorder) -> None:
    root, sub, inner = levels(nested)
    assert root == ROOT
    node, _, task_id = sub.partition(":")
    assert node == "sub" and nested.task(task_id).node == "sub"
    assert inner.startswith(sub + "|inner:")
    assert nested.step_numbers() == [0, 1, 2]
    assert nested.step_numbers(sub) == [0, 1, 2]
    assert nested.step_numbers(inner) == [0, 1]
    assert [t.node for t in nested.tasks_of(1, sub)] == ["s1"]
    assert [t.node for t in nested.tasks_of(1, inner)] == ["i1"]
    assert nested.state() == {"count": 111}
    assert nested.state(ns=sub) == {"count": 111} and nested.state(1, sub) == {"count": 11}
    assert nested.state(0, inner) == {"count": 11}  # what the inner graph was given
    assert nested.diff(1, inner).changed == {"count": (11, 111)}
    with pytest.raises(KeyError, match="namespace 'nope' was not recorded"):
        nested.state(ns="nope")


@pytest.mark.parametrize("name", TABLES)
def test_every_table_has_the_ns_column(nested: Recorder, name: str) -> None:
    frame = getattr(nested, name)
    assert_schema(name, frame)
    if name != "interrupts":
        assert set(frame.ns) == set(nested.namespaces())


def test_tables_tell_nested_steps_apart(nested: Recorder) -> None:
    root, sub, inner = levels(nested)
    tasks = nested.tasks
    by_ns = {ns: list(zip(rows.step, rows.node, strict=True)) for ns, rows in tasks.groupby("ns")}
    assert by_ns == {
        root: [(0, "__start__"), (1, "a"), (2, "sub")],
        sub: [(0, "__start__"), (1, "s1"), (2, "inner")],
        inner: [(0, "__start__"), (1, "i1")],
    }
    # A subgraph's __start__ task shows the input its node's task received, and wrote it.
    starts = tasks[(tasks.node == "__start__") & (tasks.ns != root)].set_index("ns")
    assert starts.loc[sub, "input"] == {"count": 1} and starts.loc[inner, "input"] == {"count": 11}
    writes = nested.writes
    assert list(writes[(writes.ns == inner) & (writes.step == 1)].value) == [111]
    steps = nested.steps
    assert list(steps.status.unique()) == ["done"]
    assert steps[steps.ns == sub].checkpoint_id.notna().all()


@pytest.mark.langgraph
def test_the_recorder_reads_langgraph_s_stream_the_same_way() -> None:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph

    def rows(recorder: Recorder) -> list[tuple[Any, ...]]:
        tasks = recorder.tasks
        depth = tasks.ns.astype(str).map(lambda ns: ns.count("|") + 1 if ns else 0)
        return sorted(zip(depth, tasks.step, tasks.node.astype(str), tasks.status, strict=True))

    ours = record(nested_graph(), {"count": 0})
    theirs = record(
        nested_graph(Lib(StateGraph, START, END), InMemorySaver()), {"count": 0}, thread("lg")
    )
    assert rows(theirs) == rows(ours)
    assert theirs.state() == ours.state() == {"count": 111}
    for ns_ours, ns_theirs in zip(ours.namespaces(), theirs.namespaces(), strict=True):
        assert ours.step_numbers(ns_ours) == theirs.step_numbers(ns_theirs)


def test_an_interrupt_inside_a_subgraph_is_asked_once_and_resumes() -> None:
    background = run(subgraph_question_graph(), {"count": 0}).run
    assert background.wait(TIMEOUT) is RunStatus.INTERRUPTED
    recorder = background.recorder
    root, sub = recorder.namespaces()
    (pending,) = recorder.pending_interrupts()
    assert (pending.node, pending.ns, pending.step) == ("ask", sub, 1)
    assert len(recorder.interrupts) == 1  # not again for the subgraph node that passed it up
    steps = recorder.steps.set_index(["ns", "step"]).status
    assert steps[(root, 2)] == "interrupted" and steps[(sub, 1)] == "interrupted"
    background.resume("yes")
    assert background.wait(TIMEOUT) is RunStatus.DONE, background.error
    assert recorder.state() == {"count": 1, "text": "yes"}
    assert list(recorder.interrupts.answer) == ["yes"]
    assert set(recorder.steps.status) == {"done"}
    assert list(recorder.tasks[recorder.tasks.ns == sub].status) == ["ok", "ok"]


@pytest.mark.exe
def test_subgraphs_are_clusters_whose_nodes_have_qualified_ids() -> None:
    document = to_dot(nested_graph().get_graph())
    assert {"sub", "sub|s1", "sub|inner", "sub|inner|i1", "sub|inner|__end__"} <= set(
        document.node_ids
    )
    assert {"sub|s1->inner", "sub|inner|i1->__end__"} <= set(document.edge_ids)
    assert len(re.findall(r'subgraph "?cluster_', document.source)) == 2


@pytest.mark.exe
def test_highlight_lights_a_subgraph_step_inside_its_cluster(nested: Recorder) -> None:
    _, sub, inner = levels(nested)
    view = GraphView(nested_graph(), recorder=nested)
    lit = view.highlight(1, ns=sub)
    assert view.node_states == {"sub": "done", "sub|s1": "done"}
    assert view.active_edges == ["sub|s1->inner"] and lit.edges == ("sub|s1->inner",)
    view.highlight(1, ns=inner)  # the inner graph's last step: its end is reached
    assert view.node_states == {
        "sub": "done",
        "sub|inner": "done",
        "sub|inner|i1": "done",
        "sub|inner|__end__": "done",
    }
    assert view.active_edges == ["sub|inner|i1->__end__"]
    view.highlight(2)  # back to the root graph
    assert view.node_states == {"sub": "done", "__end__": "done"}


@pytest.mark.exe
def test_run_view_focuses_on_one_subgraph_run(recording_comm: list[RecordingComm]) -> None:
    view = run(nested_graph(), {"count": 0})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    root, sub, inner = levels(view.run.recorder)
    assert view.namespace.layout.display is None  # shown: subgraphs ran
    labels = dict((value, label) for label, value in view.namespace.options)
    assert labels[root] == ROOT_LABEL and labels[sub].startswith("sub (step 2 · ")
    assert labels[inner].startswith(labels[sub] + " \u203a inner (step 2 · ")
    assert (view.namespace.value, view.slider.max) == (root, 2)
    view.namespace.value = inner
    assert (view.slider.min, view.slider.max, view.slider.value) == (0, 1, 1)
    assert view.graph_view.node_states["sub|inner|i1"] == "done"
    assert "<td>i1</td>" in view.tasks_html.value
    view.slider.value = 0
    assert view.graph_view.active_edges == ["sub|inner|__start__->i1"]
    view.namespace.value = root
    assert view.slider.value == 2 and view.graph_view.node_states == {
        "sub": "done",
        "__end__": "done",
    }


@pytest.mark.exe
def test_run_view_hides_the_choice_without_subgraphs() -> None:
    from run_graphs import chain_graph

    view = run(chain_graph(2), {"count": 0})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.namespace.layout.display == "none"
    assert [value for _, value in view.namespace.options] == [ROOT]


def test_hand_built_chunks_of_a_subgraph_are_recorded_in_its_namespace() -> None:
    """Chunks shaped as LangGraph streams them, before any engine streams subgraphs."""
    recorder = Recorder()
    ns = ("child:t1",)

    def debug(kind: str, step: int, payload: dict[str, Any]) -> tuple[Any, ...]:
        return (ns, "debug", {"type": kind, "step": step, "timestamp": None, "payload": payload})

    recorder.record(debug("task", 1, {"id": "x", "name": "leaf", "input": 1, "triggers": ()}))
    recorder.record(debug("task_result", 1, {"id": "x", "name": "leaf", "writes": [("v", 2)]}))
    recorder.record(debug("checkpoint", 1, {"values": {"v": 2}, "next": [], "metadata": {}}))
    assert recorder.namespaces() == ["", "child:t1"]
    assert recorder.step_numbers() == [] and recorder.step_numbers("child:t1") == [1]
    assert recorder.state(ns="child:t1") == {"v": 2}
    writes = recorder.writes
    assert list(zip(writes.ns, writes.channel, writes.value, strict=True)) == [("child:t1", "v", 2)]
    assert str(writes.ns.dtype) == "category"


@pytest.mark.exe
def test_the_chosen_run_stays_chosen_when_another_appears(
    recording_comm: list[RecordingComm],
) -> None:
    graph = nested_graph()
    chunks = list(graph.stream({"count": 0}, stream_mode=["debug"], subgraphs=True))
    first_inner = next(i for i, (ns, _, _) in enumerate(chunks) if len(ns) == 2)
    view = RunView(Run(graph), refresh_interval=0.0)
    recorder = view.run.recorder
    for chunk in chunks[:first_inner]:
        recorder.record(chunk)
    view.refresh()
    _, sub = recorder.namespaces()
    view.namespace.value = sub
    shown = view.slider.value
    for chunk in chunks[first_inner:]:
        recorder.record(chunk)
    view.refresh()
    assert len(view.namespace.options) == 3 and view.namespace.value == sub
    assert view.slider.max == 2 and view.slider.value >= shown


class Log(TypedDict):
    log: Annotated[list, operator.add]


def test_a_subgraph_step_ended_by_command_parent_is_closed_when_its_parent_task_ends() -> None:
    from nbpregel import START, Command, StateGraph

    sub = StateGraph(Log)
    sub.add_node("jump", lambda s: Command(graph=Command.PARENT, update={"log": ["j"]}, goto="b"))
    sub.add_edge(START, "jump")
    parent = StateGraph(Log)
    parent.add_node("sub", sub.compile(), destinations=("b",))
    parent.add_node("b", lambda s: {"log": ["b"]})
    parent.add_edge(START, "sub")
    recorder = record(parent.compile(), {"log": []})
    child = next(ns for ns in recorder.namespaces() if ns != ROOT)
    tasks = recorder.tasks[recorder.tasks["ns"] == child]
    assert tasks.set_index("node").loc["jump", "status"] == "ok"
    assert set(recorder.steps["status"]) == {"done"}
