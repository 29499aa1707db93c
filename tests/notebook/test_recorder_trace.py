"""The recorder reads the engine's ``trace`` stream into the same tables as its ``debug`` stream.

``nb.run`` records nbpregel graphs from ``trace`` (cheap for the run) and other graphs from
``debug``; both must give the same rows. Every scenario here records the same run twice, once
per stream, and compares every table (times aside: two runs happen at different moments).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from run_graphs import (
    Flaky,
    breakpoint_graph,
    chain_graph,
    error_graph,
    fanout_graph,
    nested_graph,
    retry_graph,
    subgraph_question_graph,
    two_questions_graph,
)
from test_recorder import feed

from nbpregel import Command
from nbpregel.checkpoint import InMemorySaver
from nbpregel.constants import TraceEvent
from nbpregel.notebook import Recorder, _trace_ingest
from nbpregel.pregel._node import PregelNode

TABLES = ("steps", "tasks", "writes", "channels", "interrupts")
TIMES = ("started_at", "finished_at", "duration_ms", "answered_at")
IDS = ("checkpoint_id",)  # ids differ between two runs of the same graph


def thread() -> dict[str, Any]:
    return {"configurable": {"thread_id": f"t-{uuid.uuid4().hex[:8]}"}}


def comparable(recorder: Recorder, name: str) -> list[tuple[Any, ...]]:
    """A table's rows without times and ids; namespaces by depth, task ids by position."""
    frame = getattr(recorder, name)
    frame = frame.drop(columns=[c for c in (*TIMES, *IDS) if c in frame.columns])
    if "ns" in frame.columns:
        frame["ns"] = frame["ns"].astype(str).map(lambda ns: ns.count("|") + 1 if ns else 0)
    task_ids = {tid: i for i, tid in enumerate(dict.fromkeys(recorder.tasks.task_id))}
    if "task_id" in frame.columns:
        frame["task_id"] = frame["task_id"].map(lambda tid: task_ids.get(tid, tid))
    if "interrupt_id" in frame.columns:
        frame = frame.drop(columns=["interrupt_id"])
    return [tuple(_plain(v) for v in row) for row in frame.itertuples(index=False)]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and pd.isna(value):
        return "NaN"
    return repr(value) if isinstance(value, BaseException) else value


Scenario = Callable[[Recorder, tuple[str, ...]], None]


def run_fanout(recorder: Recorder, modes: tuple[str, ...]) -> None:
    graph, config = fanout_graph(), thread()
    recorder.record_input({"topic": "x"})
    feed(recorder, graph, {"topic": "x"}, config, modes=modes)
    (pending,) = recorder.pending_interrupts()
    recorder.record_answers({pending.interrupt_id: "yes"}, at=1.0)
    feed(recorder, graph, Command(resume={pending.interrupt_id: "yes"}), config, modes=modes)


def run_two_questions(recorder: Recorder, modes: tuple[str, ...]) -> None:
    graph, config = two_questions_graph("first?", "second?"), thread()
    recorder.record_input({})
    feed(recorder, graph, {}, config, modes=modes)
    for node in ("q1", "q2"):
        (pending,) = [r for r in recorder.pending_interrupts() if r.node == node]
        recorder.record_answers({pending.interrupt_id: node}, at=1.0)
        feed(recorder, graph, Command(resume={pending.interrupt_id: node}), config, modes=modes)


def run_retry(recorder: Recorder, modes: tuple[str, ...]) -> None:
    recorder.record_input({"count": 0})
    feed(recorder, retry_graph(failures=2), {"count": 0}, modes=modes)


def run_exhausted(recorder: Recorder, modes: tuple[str, ...]) -> None:
    recorder.record_input({"count": 0})
    with pytest.raises(Flaky):
        feed(recorder, retry_graph(failures=5), {"count": 0}, modes=modes)


def run_error(recorder: Recorder, modes: tuple[str, ...]) -> None:
    recorder.record_input({"count": 0})
    with pytest.raises(KeyError):
        feed(recorder, error_graph(), {"count": 0}, modes=modes)


def run_breakpoint(recorder: Recorder, modes: tuple[str, ...]) -> None:
    graph, config = breakpoint_graph(), thread()
    recorder.record_input({"count": 2})
    feed(recorder, graph, {"count": 2}, config, modes=modes)
    assert recorder.paused_before == ("x",)
    feed(recorder, graph, None, config, modes=modes)
    assert recorder.paused_before == ()


def run_interrupt_after(recorder: Recorder, modes: tuple[str, ...]) -> None:
    graph, config = chain_graph(3, InMemorySaver()), thread()
    recorder.record_input({"count": 0})
    feed(recorder, graph, {"count": 0}, config, modes=modes, interrupt_after=["n0"])
    assert recorder.paused_before == ("n1",)
    feed(recorder, graph, None, config, modes=modes)
    assert recorder.paused_before == () and recorder.state() == {"count": 3}


def run_nested(recorder: Recorder, modes: tuple[str, ...]) -> None:
    recorder.record_input({"count": 0})
    feed(recorder, nested_graph(), {"count": 0}, modes=modes)


def run_subgraph_question(recorder: Recorder, modes: tuple[str, ...]) -> None:
    graph, config = subgraph_question_graph(), thread()
    recorder.record_input({"count": 0})
    feed(recorder, graph, {"count": 0}, config, modes=modes)
    (pending,) = recorder.pending_interrupts()
    recorder.record_answers({pending.interrupt_id: "yes"}, at=1.0)
    feed(recorder, graph, Command(resume="yes"), config, modes=modes)


def _hops(vertex: Any, messages: Any) -> None:
    best = min(messages, default=vertex.value)
    if best < vertex.value or vertex.superstep == 0:
        vertex.value = best
        vertex.send_to_neighbors(best + 1)
    vertex.vote_to_halt()


def run_pause_before_the_first_step(recorder: Recorder, modes: tuple[str, ...]) -> None:
    """A vertex program paused before superstep 0: only the input's checkpoint is saved."""
    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.vertex import VertexProgram

    program = VertexProgram(_hops, [("a", "b"), ("b", "c")], values=9)
    graph = program.compile(checkpointer=InMemorySaver(), interrupt_before=["b"])
    config = thread()
    recorder.record_input({"a": 0})
    feed(recorder, graph, {"a": 0}, config, modes=modes)
    assert graph.get_state(config).next == ("a", "b", "c")
    assert recorder.paused_before == ("a", "b", "c")
    assert recorder.state() == {"a": 0, "b": 9, "c": 9}  # the input's state
    feed(recorder, graph, None, config, modes=modes)
    assert recorder.paused_before == ("b", "c")  # b has mail again: paused before superstep 1
    assert recorder.state() == {"a": 0, "b": 9, "c": 9}  # superstep 0 changed no value
    feed(recorder, graph, None, config, modes=modes)
    assert recorder.paused_before == ()
    assert recorder.state() == {"a": 0, "b": 1, "c": 2}


SCENARIOS: dict[str, Scenario] = {
    "fanout_interrupt_resume": run_fanout,
    "parallel_interrupts": run_two_questions,
    "retry": run_retry,
    "exhausted_retries": run_exhausted,
    "error": run_error,
    "interrupt_before": run_breakpoint,
    "interrupt_after": run_interrupt_after,
    "pause_before_the_first_step": run_pause_before_the_first_step,
    "subgraphs": run_nested,
    "interrupt_in_subgraph": run_subgraph_question,
}


@pytest.fixture(params=[False, True], ids=["fresh", "quick"])
def quick(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Run the scenarios with nodes as in a fresh graph, or as the engine knows them once they
    ran fast: then steps share chunks and a step ended in its chunk has no DONE events."""
    if request.param:
        original = PregelNode.__init__

        def init(self: PregelNode, **kwargs: Any) -> None:
            original(self, **kwargs)
            self.quick = True

        monkeypatch.setattr(PregelNode, "__init__", init)
    return bool(request.param)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_trace_and_debug_give_the_same_tables(scenario: str, quick: bool) -> None:
    traced, debugged = Recorder(), Recorder()
    SCENARIOS[scenario](traced, ("trace",))
    SCENARIOS[scenario](debugged, ("debug",))
    assert traced.namespaces() and len(traced.namespaces()) == len(debugged.namespaces())
    for name in TABLES:
        assert comparable(traced, name) == comparable(debugged, name), name
    assert traced.state() == debugged.state()
    assert [r.node for r in traced.pending_interrupts()] == [
        r.node for r in debugged.pending_interrupts()
    ]


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_values_chunks_beside_checkpoint_events_change_no_table(scenario: str) -> None:
    """``nb.run`` streams ``debug`` and ``values`` from other graphs: where the checkpoint
    events are there too (nbpregel's, or LangGraph's with a checkpointer), a step's state is
    theirs, and the tables are those of ``debug`` alone."""
    debugged, with_values = Recorder(), Recorder()
    SCENARIOS[scenario](debugged, ("debug",))
    SCENARIOS[scenario](with_values, ("debug", "values"))
    for name in TABLES:
        assert comparable(with_values, name) == comparable(debugged, name), name
    assert with_values.state() == debugged.state()
    assert with_values.paused_before == debugged.paused_before


def test_nb_run_records_nbpregel_graphs_from_trace() -> None:
    assert Recorder.stream_modes(chain_graph(1)) == ("trace",)
    assert Recorder.stream_modes(object()) == ("debug", "values")


def test_a_step_becomes_records_only_when_read() -> None:
    recorder = Recorder()
    feed(recorder, chain_graph(30), {"count": 0})
    root = recorder._root
    assert recorder.step_numbers() == list(range(31))
    assert sorted(root.held) == list(range(31)) and not root.steps, "every step is still held"
    pieces = [where if type(where) is tuple else (where,) for where in root.held.values()]
    assert all(type(span) is int for spans in pieces for span in spans)  # packed spans
    (task,) = recorder.tasks_of(30)
    assert (task.node, task.status, task.writes[0]) == ("n29", "ok", ("count", 30))
    assert 30 not in root.held and 29 in root.held  # reading step 30 made its records only
    assert "count" in recorder.step(30).triggered_by  # from step 29's held checkpoint
    assert recorder.diff(30).changed == {"count": (29, 30)}  # step 29 made to read its state
    assert sorted(root.held) == list(range(29))
    assert len(recorder.tasks) == 31  # a table makes every step's records
    assert not root.held
    assert root.chunks and not any(root.chunks), "chunks are let go once nothing is held"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_steps_read_latest_first_give_the_same_tables(scenario: str, quick: bool) -> None:
    """A live view reads the newest step first: records made out of order must not differ."""
    traced, debugged = Recorder(), Recorder()
    SCENARIOS[scenario](traced, ("trace",))
    SCENARIOS[scenario](debugged, ("debug",))
    for ns in traced.namespaces():
        for step in reversed(traced.step_numbers(ns)):
            traced.step(step, ns)
            if traced.step(step, ns).checkpointed:
                traced.diff(step, ns)
    for name in TABLES:
        assert comparable(traced, name) == comparable(debugged, name), name


def test_the_highlight_sees_the_end_of_a_traced_run(tmp_path: Path) -> None:
    recorder = Recorder()
    feed(recorder, chain_graph(2), {"count": 0})
    last = recorder.step(2)
    assert last.checkpointed and last.next == ()
    assert recorder.step(1).next == ("n1",)


@pytest.mark.parametrize(
    ("kinds_and_steps", "block"),
    [
        ([("step", 2), ("step", 3), ("step", 4)], (0, 3)),
        ([("done", 1), ("checkpoint", 1), ("step", 2), ("step", 3), ("tasks", 4)], (2, 4)),
        ([("step", 2), ("tasks", 3), ("step", 4)], (0, 0)),  # not in a row
        ([("step", 2), ("step", 4)], (0, 0)),  # a step missing
        ([("step", 3), ("step", 2)], (0, 0)),  # out of order
        ([("step", 2), ("step", 2)], (0, 0)),  # one step twice
        ([("tasks", 1), ("done", 1)], (0, 0)),
        ([], (0, 0)),
    ],
)
def test_a_chunk_s_step_events_are_held_at_once_only_when_one_a_step_in_a_row(
    kinds_and_steps: list[tuple[str, int]], block: tuple[int, int]
) -> None:
    events = [(TraceEvent(kind), step) for kind, step in kinds_and_steps]
    assert _trace_ingest._steps_block(events) == block
