"""Stream modes and chunk shapes (spec §8): values, updates, custom, tasks, debug, and several."""

from __future__ import annotations

import operator
import threading
from datetime import datetime
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, StateGraph, get_stream_writer

from .graphs import CASES, NBPREGEL, Log, fresh
from .runtime_libs import LIBS, lib_of


class S(TypedDict):
    log: Annotated[list, operator.add]
    n: int


def fan_out() -> Any:
    return CASES["fan_out_in"].build(NBPREGEL)


def test_values_streams_the_input_then_the_state_after_each_step() -> None:
    chunks = list(fan_out().stream({"log": ["in"], "n": 0}, stream_mode="values"))
    assert chunks == [
        {"log": ["in"], "n": 0},
        {"log": ["in", "a"], "n": 0},
        {"log": ["in", "a", "b", "c"], "n": 0},
        {"log": ["in", "a", "b", "c", "d"], "n": 0},
    ]


def test_updates_streams_one_chunk_per_task() -> None:
    chunks = list(fan_out().stream({"log": [], "n": 0}, stream_mode="updates"))
    assert chunks[0] == {"a": {"log": ["a"]}}
    assert sorted(chunks[1:3], key=str) == [{"b": {"log": ["b"]}}, {"c": {"log": ["c"]}}]
    assert chunks[3] == {"d": {"log": ["d"]}}


def test_state_graph_streams_updates_by_default() -> None:
    assert next(iter(fan_out().stream({"log": [], "n": 0}))) == {"a": {"log": ["a"]}}


def test_node_returning_none_streams_a_none_update() -> None:
    chunks = list(CASES["returns_none"].build(NBPREGEL).stream({"log": [], "n": 0}))
    assert chunks == [{"quiet": None}, {"loud": {"log": ["loud"], "n": 5}}, {"quiet_again": None}]


def test_several_modes_yield_mode_chunk_pairs_in_order() -> None:
    chunks = list(fan_out().stream({"log": [], "n": 0}, stream_mode=["values", "updates"]))
    modes = [mode for mode, _ in chunks]
    assert modes == ["values", "updates", "values", "updates", "updates", "values", "updates",
                     "values"]  # fmt: skip
    assert chunks[-1] == ("values", {"log": ["a", "b", "c", "d"], "n": 0})


def test_unknown_stream_mode_lists_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="'sideways'") as info:
        list(fan_out().stream({"log": [], "n": 0}, stream_mode="sideways"))
    assert "updates" in str(info.value) and "values" in str(info.value)


# -- custom --------------------------------------------------------------------------------


def talker(state: S) -> dict[str, Any]:
    write = get_stream_writer()
    write("hello")
    write({"progress": 0.5})
    return {"log": ["talked"]}


def test_custom_chunks_from_get_stream_writer() -> None:
    g = StateGraph(S)
    g.add_node("talker", talker)
    g.add_edge(START, "talker")
    app = g.compile()
    assert list(app.stream({"log": [], "n": 0}, stream_mode="custom")) == [
        "hello",
        {"progress": 0.5},
    ]
    chunks = list(app.stream({"log": [], "n": 0}, stream_mode=["custom", "updates"]))
    assert chunks == [
        ("custom", "hello"),
        ("custom", {"progress": 0.5}),
        ("updates", {"talker": {"log": ["talked"]}}),
    ]
    # not streaming custom: the writer is a no-op and the run is unaffected
    assert app.invoke({"log": [], "n": 0}) == {"log": ["talked"], "n": 0}


def test_writer_keyword_argument_is_injected() -> None:
    def node(state: S, writer: Any) -> dict[str, Any]:
        writer(f"n={state['n']}")
        return {"n": state["n"] + 1}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    assert list(g.compile().stream({"log": [], "n": 4}, stream_mode="custom")) == ["n=4"]


def test_get_stream_writer_outside_a_node_is_a_no_op() -> None:
    get_stream_writer()("nobody listens")


def test_custom_chunks_reach_the_caller_while_the_node_still_runs() -> None:
    seen_by_caller = threading.Event()

    def patient(state: S) -> dict[str, Any]:
        get_stream_writer()("waiting")
        return {"log": [f"caller saw it: {seen_by_caller.wait(2)}"]}

    g = StateGraph(S)
    g.add_node("patient", patient)
    g.add_node("other", lambda s: {"n": 1})
    g.add_edge(START, "patient")
    g.add_edge(START, "other")
    final = None
    for mode, chunk in g.compile().stream({"log": [], "n": 0}, stream_mode=["custom", "values"]):
        if mode == "custom":
            seen_by_caller.set()
        else:
            final = chunk
    assert final == {"log": ["caller saw it: True"], "n": 1}


# -- tasks and debug -----------------------------------------------------------------------

TASK_START_KEYS = {"id", "name", "input", "triggers"}
TASK_RESULT_KEYS = {"id", "name", "error", "result", "interrupts"}


def test_tasks_mode_reports_start_and_result_of_every_task() -> None:
    chunks = list(fan_out().stream({"log": [], "n": 0}, stream_mode="tasks"))
    starts = [c for c in chunks if "triggers" in c]
    results = [c for c in chunks if "result" in c]
    assert len(starts) == len(results) == 4
    for chunk in starts:
        assert set(chunk) == TASK_START_KEYS
    for chunk in results:
        assert set(chunk) >= TASK_RESULT_KEYS
        assert chunk["error"] is None and chunk["interrupts"] == []
    assert [c["id"] for c in starts] and {c["id"] for c in starts} == {c["id"] for c in results}
    first = starts[0]
    assert first["name"] == "a"
    assert first["input"] == {"log": [], "n": 0}
    assert first["triggers"] == ("branch:to:a",)
    assert results[0]["result"] == {"log": ["a"]}
    # a start comes before its result
    for result in results:
        assert chunks.index(result) > next(
            i for i, c in enumerate(chunks) if c["id"] == result["id"]
        )


def test_tasks_mode_reports_a_failed_task() -> None:
    def broken(state: S) -> None:
        raise KeyError("missing")

    g = StateGraph(S)
    g.add_node("broken", broken)
    g.add_edge(START, "broken")
    chunks: list[Any] = []
    with pytest.raises(KeyError):
        for chunk in g.compile().stream({"log": [], "n": 0}, stream_mode="tasks"):
            chunks.append(chunk)
    result = next(c for c in chunks if "result" in c)
    assert result["name"] == "broken"
    assert "KeyError" in result["error"] and "missing" in result["error"]


def test_send_tasks_report_their_argument_and_the_push_trigger() -> None:
    case = CASES["send_map_reduce"]
    chunks = list(case.build(NBPREGEL).stream(fresh(case.input), stream_mode="tasks"))
    work = [c for c in chunks if c["name"] == "work" and "triggers" in c]
    assert [c["input"] for c in work] == [{"item": i} for i in case.input["items"]]
    assert {c["triggers"] for c in work} == {("__pregel_push",)}


def test_debug_mode_wraps_task_events_with_step_and_timestamp() -> None:
    chunks = list(fan_out().stream({"log": [], "n": 0}, stream_mode="debug"))
    assert chunks and all(set(c) == {"step", "timestamp", "type", "payload"} for c in chunks)
    for chunk in chunks:
        datetime.fromisoformat(chunk["timestamp"])
    task_events = [
        (c["step"], c["type"], c["payload"]["name"]) for c in chunks if c["type"] != "checkpoint"
    ]
    assert task_events[:2] == [(1, "task", "a"), (1, "task_result", "a")]
    assert sorted(task_events[2:6]) == [
        (2, "task", "b"), (2, "task", "c"), (2, "task_result", "b"), (2, "task_result", "c"),
    ]  # fmt: skip
    assert task_events[6:] == [(3, "task", "d"), (3, "task_result", "d")]


def test_invoke_returns_the_final_values() -> None:
    assert fan_out().invoke({"log": [], "n": 0}) == {"log": ["a", "b", "c", "d"], "n": 0}


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_key_written_twice_by_one_task_streams_each_write(lib_name: str) -> None:
    lib = lib_of(lib_name)

    def two(state: dict[str, Any]) -> list[Any]:
        return [lib.Command(update={"log": ["a"], "n": 1}), lib.Command(update={"log": ["b"]})]

    builder = lib.StateGraph(Log)
    builder.add_node("two", two)
    builder.add_node("one", lambda state: {"log": ["c"], "n": 2})
    builder.add_edge(lib.START, "two")
    builder.add_edge("two", "one")
    chunks = list(builder.compile().stream({"log": [], "n": 0}, stream_mode="updates"))
    assert chunks == [
        {"two": [{"log": ["a"]}, {"n": 1}, {"log": ["b"]}]},
        {"one": {"log": ["c"], "n": 2}},
    ]
