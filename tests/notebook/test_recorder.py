"""Recorder: stream events become the rows of the public tables, with their documented schema."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from run_graphs import (
    SAVERS,
    CountState,
    Flaky,
    breakpoint_graph,
    error_graph,
    fanout_graph,
    make_saver,
    retry_graph,
    two_questions_graph,
)

from nbpregel import Command
from nbpregel.notebook import Recorder
from nbpregel.notebook import recorder as recorder_module

UTC_NS = "datetime64[ns, UTC]"
# The public contract (notebook spec, section 2): column names, in order, and their dtypes.
SCHEMAS: dict[str, dict[str, str]] = {
    "steps": {
        "step": "int64",
        "status": "category",
        "n_tasks": "int64",
        "triggered_by": "object",
        "updated_channels": "object",
        "started_at": UTC_NS,
        "finished_at": UTC_NS,
        "duration_ms": "float64",
        "checkpoint_id": "object",
        "ns": "category",
    },
    "tasks": {
        "step": "int64",
        "task_id": "object",
        "node": "category",
        "kind": "category",
        "triggers": "object",
        "input": "object",
        "status": "category",
        "attempts": "int64",
        "error": "object",
        "started_at": UTC_NS,
        "duration_ms": "float64",
        "n_writes": "int64",
        "ns": "category",
    },
    "writes": {
        "step": "int64",
        "task_id": "object",
        "node": "category",
        "channel": "category",
        "value": "object",
        "seq": "int64",
        "ns": "category",
    },
    "channels": {
        "step": "int64",
        "channel": "category",
        "version": "int64",
        "value": "object",
        "ns": "category",
    },
    "interrupts": {
        "step": "int64",
        "task_id": "object",
        "node": "category",
        "interrupt_id": "object",
        "value": "object",
        "answer": "object",
        "answered_at": UTC_NS,
        "ns": "category",
    },
}
CATEGORIES = {
    ("steps", "status"): ["done", "interrupted", "error", "running"],
    ("tasks", "kind"): ["PULL", "PUSH"],
    ("tasks", "status"): ["ok", "error", "interrupted", "cached", "running"],
}


def record(graph: Any, input: Any, config: Any = None, **kwargs: Any) -> Recorder:
    """Stream ``graph`` into a new recorder (errors of the run are recorded, then re-raised)."""
    recorder = Recorder()
    recorder.record_input(input)
    feed(recorder, graph, input, config, **kwargs)
    return recorder


def feed(
    recorder: Recorder,
    graph: Any,
    input: Any,
    config: Any = None,
    modes: tuple[str, ...] | None = None,
    **kwargs: Any,
) -> None:
    """Stream a run into ``recorder`` the way ``nb.run`` does (``debug``, with subgraphs)."""
    try:
        wanted = list(modes or Recorder.stream_modes(graph))
        chunks = graph.stream(input, config, stream_mode=wanted, subgraphs=True, **kwargs)
        for chunk in chunks:
            recorder.record(chunk)
    except Exception as exc:
        recorder.record_failure(exc)
        raise
    recorder.record_end()


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


def assert_schema(name: str, frame: pd.DataFrame) -> None:
    assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == SCHEMAS[name]
    assert list(frame.columns) == list(SCHEMAS[name])
    for (table, column), categories in CATEGORIES.items():
        if table == name:
            assert list(frame[column].cat.categories) == categories


def readme_columns() -> dict[str, list[str]]:
    """The columns the README's contract table lists, per table, in order."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Notebook tables (public contract)", 1)[1].split("\n## ", 1)[0]
    columns: dict[str, list[str]] = {}
    table = ""
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or not cells[1].startswith("`"):
            continue
        table = cells[0].strip("`").removeprefix("run.") or table
        columns.setdefault(table, []).extend(re.findall(r"`(\w+)`", cells[1]))
    return columns


def test_readme_documents_every_column_in_order() -> None:
    assert readme_columns() == {name: list(schema) for name, schema in SCHEMAS.items()}


@pytest.fixture(params=SAVERS)
def fanout_recorder(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Recorder, Any]:
    """A recorded run of the fan-out graph, paused at its interrupt (memory or sqlite saver)."""
    graph = fanout_graph(make_saver(request.param, tmp_path))
    return record(graph, {"topic": "x"}, thread("fan")), graph


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_empty_tables_have_the_schema(name: str) -> None:
    frame = getattr(Recorder(), name)
    assert len(frame) == 0
    assert_schema(name, frame)


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_tables_of_a_run_have_the_schema(name: str, fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    frame = getattr(recorder, name)
    assert len(frame) > 0
    assert_schema(name, frame)


def test_parallel_tasks_and_send_fanout(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    tasks = recorder.tasks
    by_step = tasks.groupby("step", observed=True)["node"].apply(lambda s: sorted(s)).to_dict()
    assert by_step == {
        0: ["__start__"],
        1: ["a", "b"],
        2: ["fan"],
        3: ["worker", "worker"],
        4: ["ask"],
    }
    workers = tasks[tasks.node == "worker"]
    assert set(workers.kind) == {"PUSH"}
    assert set(workers.triggers) == {("__pregel_push",)}
    assert sorted(inp["topic"] for inp in workers.input) == ["0", "1"]
    assert set(tasks[tasks.node != "worker"].kind) == {"PULL"}
    sends = recorder.writes[recorder.writes.node == "fan"]
    assert list(sends.channel) == ["__pregel_tasks", "__pregel_tasks"]
    assert list(sends.seq) == [0, 1]
    assert sorted(send.arg["topic"] for send in sends.value) == ["0", "1"]
    # every task's n_writes counts its rows in `writes`
    counts = recorder.writes.groupby("task_id").size()
    assert all(counts.get(row.task_id, 0) == row.n_writes for row in tasks.itertuples())


def test_start_task_shows_the_input_it_wrote(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    start = recorder.writes[recorder.writes.step == 0]
    assert list(zip(start.channel, start.value, strict=True)) == [
        ("topic", "x"),
        ("branch:to:a", "__start__"),
        ("branch:to:b", "__start__"),
    ]
    assert recorder.tasks.loc[0, "input"] == {"topic": "x"}


def test_steps_match_the_saved_checkpoints(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, graph = fanout_recorder
    steps = recorder.steps.set_index("step")
    assert list(steps.status) == ["done", "done", "done", "done", "interrupted"]
    assert list(steps.n_tasks) == [1, 2, 1, 2, 1]
    history = {snap.metadata["step"]: snap for snap in graph.get_state_history(thread("fan"))}
    for step in range(4):
        saved = history[step]
        assert steps.loc[step, "checkpoint_id"] == saved.config["configurable"]["checkpoint_id"]
        assert recorder.state(step) == saved.values
        assert steps.loc[step + 1, "triggered_by"] == steps.loc[step, "updated_channels"]
    assert (steps.finished_at.dropna() >= steps.started_at.dropna().reindex(range(4))).all()
    assert pd.isna(steps.loc[4, "finished_at"]) and pd.isna(steps.loc[4, "duration_ms"])


def test_channels_are_the_state_in_long_form(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    channels = recorder.channels
    for step, rows in channels.groupby("step"):
        assert dict(zip(rows.channel, rows.value, strict=True)) == recorder.state(int(step))
    items = channels[channels.channel == "items"].set_index("step")
    assert list(items.value) == [[], ["a", "b"], ["a", "b"], ["a", "b", "w0", "w1"]]
    assert items.version.is_monotonic_increasing


def test_state_and_diff(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    assert recorder.state() == recorder.state(3)
    assert recorder.diff(0).added == {"topic": "x"}
    assert recorder.diff(1).changed == {"items": ([], ["a", "b"])}
    assert not recorder.diff(2)  # fan only sent: no state key changed
    with pytest.raises(KeyError, match=r"no state was saved after step 4 .*\[0, 1, 2, 3\]"):
        recorder.state(4)


def test_a_rewrite_of_the_same_value_counts_as_a_change() -> None:
    from nbpregel import END, START, StateGraph

    builder = StateGraph(CountState)
    builder.add_node("same", lambda state: {"count": state["count"]})
    builder.add_edge(START, "same")
    builder.add_edge("same", END)
    recorder = record(builder.compile(), {"count": 5})
    assert recorder.diff(1).changed == {"count": (5, 5)}


def test_interrupt_then_answer(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, graph = fanout_recorder
    (pending,) = recorder.pending_interrupts()
    interrupts = recorder.interrupts
    assert list(interrupts.node) == ["ask"] and list(interrupts.step) == [4]
    assert interrupts.loc[0, "value"] == {"question": "Approve?", "options": ["yes", "no"]}
    assert interrupts.loc[0, "answer"] is None and pd.isna(interrupts.loc[0, "answered_at"])
    recorder.record_answers({pending.interrupt_id: "yes"})
    feed(recorder, graph, Command(resume={pending.interrupt_id: "yes"}), thread("fan"))
    assert recorder.pending_interrupts() == []
    assert recorder.interrupts.loc[0, "answer"] == "yes"
    assert not pd.isna(recorder.interrupts.loc[0, "answered_at"])
    ask = recorder.tasks[recorder.tasks.step == 4]
    assert list(ask.status) == ["ok"] and len(ask) == 1  # the re-run replaced the row
    assert list(recorder.steps.status) == ["done"] * 5
    assert recorder.state()["answer"] == "yes"


@pytest.mark.parametrize("saver", SAVERS)
def test_two_interrupts_answered_one_at_a_time(saver: str, tmp_path: Path) -> None:
    graph = two_questions_graph("first?", "second?", make_saver(saver, tmp_path))
    recorder = record(graph, {}, thread("two"))
    pending = {record.node: record.interrupt_id for record in recorder.pending_interrupts()}
    assert set(pending) == {"q1", "q2"}
    recorder.record_answers({pending["q1"]: 1})
    feed(recorder, graph, Command(resume={pending["q1"]: 1}), thread("two"))
    assert [r.node for r in recorder.pending_interrupts()] == ["q2"]
    assert recorder.status_of(1) == "interrupted"
    recorder.record_answers({pending["q2"]: 2})
    feed(recorder, graph, Command(resume={pending["q2"]: 2}), thread("two"))
    tasks = recorder.tasks
    assert sorted(tasks[tasks.step == 1].node) == ["q1", "q2"]  # replays add no rows
    assert set(tasks[tasks.step == 1].attempts) == {1}
    assert recorder.state() == {"first": 1, "second": 2}
    assert list(recorder.interrupts.answer) == [1, 2]


def test_retried_task_counts_its_attempts() -> None:
    recorder = record(retry_graph(failures=2), {"count": 0})
    (row,) = recorder.tasks[recorder.tasks.node == "flaky"].itertuples()
    assert (row.status, row.attempts, row.error) == ("ok", 3, None)
    assert recorder.state() == {"count": 3}


def test_error_rows() -> None:
    recorder = Recorder()
    with pytest.raises(KeyError, match="missing"):  # the node's own exception type
        feed(recorder, error_graph(), {"count": 0})
    steps = recorder.steps.set_index("step")
    assert list(steps.status) == ["done", "done", "error"]
    (row,) = recorder.tasks[recorder.tasks.node == "boom"].itertuples()
    assert (row.status, row.error, row.n_writes) == ("error", "KeyError('<b>missing</b>')", 0)
    assert recorder.state() == {"count": 1}


def test_exhausted_retries_are_an_error_with_their_attempts() -> None:
    recorder = Recorder()
    with pytest.raises(Flaky):
        feed(recorder, retry_graph(failures=5), {"count": 0})
    (row,) = recorder.tasks[recorder.tasks.node == "flaky"].itertuples()
    assert (row.status, row.attempts, row.error) == ("error", 3, "Flaky('attempt 3')")


def test_static_breakpoint_names_the_next_nodes() -> None:
    graph = breakpoint_graph()
    recorder = record(graph, {"count": 2}, thread("bp"))
    assert recorder.paused_before == ("x",)  # known once the stream ended
    assert recorder.pending_interrupts() == []
    feed(recorder, graph, None, thread("bp"))
    assert recorder.paused_before == ()
    assert recorder.state() == {"count": 20}


def test_frames_are_built_on_access_and_cached_until_the_next_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[int] = []
    real = recorder_module.build_frame

    def counting(schema: Any, rows: Any) -> pd.DataFrame:
        built.append(len(rows))
        return real(schema, rows)

    monkeypatch.setattr(recorder_module, "build_frame", counting)
    graph = breakpoint_graph()
    recorder = record(graph, {"count": 1}, thread("cache"))
    assert built == []  # recording builds nothing
    first = recorder.tasks
    assert recorder.tasks.equals(first) and len(built) == 1
    first.loc[0, "attempts"] = 99  # a caller's edit does not reach the cache
    assert recorder.tasks.loc[0, "attempts"] == 1 and len(built) == 1
    feed(recorder, graph, None, thread("cache"))
    assert len(recorder.tasks) == len(first) + 1 and len(built) == 2


def test_interrupt_after_names_the_nodes_that_come_next() -> None:
    from nbpregel import END, START, StateGraph
    from nbpregel.checkpoint import InMemorySaver

    builder = StateGraph(CountState)
    builder.add_node("a", lambda state: {"count": 1})
    builder.add_node("b", lambda state: {"count": 2})
    builder.add_edge(START, "a").add_edge("a", "b").add_edge("b", END)
    graph = builder.compile(checkpointer=InMemorySaver(), interrupt_after=["a"])
    recorder = record(graph, {"count": 0}, thread("after"))
    assert graph.get_state(thread("after")).next == ("b",)
    assert recorder.paused_before == ("b",)


def test_an_updates_pause_chunk_marks_a_breakpoint_without_record_end() -> None:
    graph, recorder = breakpoint_graph(), Recorder()
    for chunk in graph.stream({"count": 2}, thread("bp2"), stream_mode=["debug", "updates"]):
        recorder.record(chunk)
    assert recorder.paused_before == ("x",)
    for chunk in graph.stream(None, thread("bp2"), stream_mode=["debug", "updates"]):
        recorder.record(chunk)
    assert recorder.paused_before == () and recorder.state() == {"count": 20}


def test_a_finished_run_is_not_paused() -> None:
    recorder = record(retry_graph(failures=0), {"count": 0})
    assert recorder.paused_before == () and recorder.pending_interrupts() == []


def test_chunks_of_other_modes_are_ignored() -> None:
    recorder = Recorder()
    recorder.record(("updates", {"node": {"a": 1}}))
    recorder.record((("sub:1",), "updates", {"node": {"a": 1}}))
    recorder.record(("custom", "anything"))
    assert recorder.events == 0 and recorder.step_numbers() == []
    assert recorder.namespaces() == [""]
    recorder.record(("values", {"a": 1}))  # a state with no step before it: the input's
    assert recorder.events == 1 and recorder.step_numbers() == []


def test_recording_queues_and_reading_applies() -> None:
    recorder = Recorder()
    chunks = list(retry_graph(failures=0).stream({"count": 0}, stream_mode=["debug"]))
    for chunk in chunks:
        recorder.record(chunk)
    assert recorder.events == len(chunks) and len(recorder._queue) == len(chunks)
    assert recorder.step_numbers() == [0, 1] and not recorder._queue


def test_reading_while_a_thread_records_sees_a_consistent_run() -> None:
    from run_graphs import chain_graph

    chunks = list(chain_graph(60).stream({"count": 0}, stream_mode=["debug"], subgraphs=True))
    recorder, seen = Recorder(), []

    def produce() -> None:
        for chunk in chunks:
            recorder.record(chunk)

    producer = threading.Thread(target=produce)
    producer.start()
    while producer.is_alive():
        steps = recorder.step_numbers()
        seen.append(len(steps))
        assert steps == list(range(len(steps)))  # never a gap, never out of order
        frame = recorder.steps
        assert list(frame.step) == list(range(len(frame)))
    producer.join()
    assert seen == sorted(seen)
    assert recorder.step_numbers() == list(range(61)) and recorder.state() == {"count": 60}
    assert len(recorder.tasks) == 61 and recorder.events == len(chunks)


def test_single_mode_chunks_are_refused_with_the_fix() -> None:
    with pytest.raises(ValueError, match=r"stream_mode=\['debug'\] \(a list"):
        Recorder().record({"step": 0})  # type: ignore[arg-type]


def test_unknown_answer_ids_are_refused(fanout_recorder: tuple[Recorder, Any]) -> None:
    recorder, _ = fanout_recorder
    with pytest.raises(KeyError, match="no recorded interrupt has the ids \\['nope'\\]"):
        recorder.record_answers({"nope": 1})
    assert recorder.interrupts.answer.isna().all()
