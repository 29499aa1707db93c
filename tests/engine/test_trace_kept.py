"""What a traced run leaves its consumer to keep, in forms that cost the run little to hold.

A recorder keeps every task and checkpoint of a run: the engine hands over a task's many writes
as one ``WriteMap`` (a dict, not a tuple per write), a state reader's input as the very state
traced at the checkpoint before it (equal to it: kept once), and repeated ``updated`` tuples
once. None of it may change what a consumer reads: each test holds the trace against the
``debug`` stream of the same graph, which keeps nothing.
"""

from __future__ import annotations

import gc
import operator
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import END, START, Command, NodeBuilder, Pregel, StateGraph, interrupt
from nbpregel.channels import LastValue
from nbpregel.checkpoint import InMemorySaver
from nbpregel.constants import TraceEvent
from nbpregel.pregel._emitter import _MAP_WRITES
from nbpregel.pregel._task import WriteMap

from .graphs import CASES, NBPREGEL, fresh
from .test_trace import _fan_out
from .trace_events import Event, flatten, tasks_of

DONE, CHECKPOINT = TraceEvent.DONE, TraceEvent.CHECKPOINT
KEYS = tuple(f"k{i}" for i in range(_MAP_WRITES + 2))
Wide = TypedDict("Wide", {key: int for key in KEYS})  # type: ignore[misc]


class Count(TypedDict):
    x: int


class Logged(TypedDict):
    x: int
    log: Annotated[list, operator.add]


def traced(app: Any, input: Any, config: dict[str, Any] | None = None) -> list[Event]:
    return flatten(app.stream(input, config, stream_mode="trace"))


def debug_payloads(
    app: Any, input: Any, kind: str, config: dict[str, Any] | None = None
) -> dict[tuple[int, str], list[Any]]:
    """The ``debug`` stream's ``kind`` payloads, by step and task name (a run without a saver
    draws new task ids each time: tasks of two runs are matched by step and name)."""
    found: dict[tuple[int, str], list[Any]] = {}
    for chunk in app.stream(input, config, stream_mode="debug"):
        if chunk["type"] == kind:
            found.setdefault((chunk["step"], chunk["payload"]["name"]), []).append(chunk["payload"])
    return found


def done(events: list[Event]) -> dict[tuple[int, str], list[Any]]:
    """The finished tasks of a trace, by step and name."""
    found: dict[tuple[int, str], list[Any]] = {}
    for event in events:
        if event[0] == DONE:
            found.setdefault((event[1], event[2].name), []).append(event[2])
    return found


def done_tasks(events: list[Event]) -> list[Any]:
    return [event[2] for event in events if event[0] == DONE]


def wide(node: Any) -> Any:
    graph = StateGraph(Wide)
    graph.add_node("bump", node)
    graph.add_edge(START, "bump")
    graph.add_edge("bump", END)
    return graph.compile()


# -- writes --------------------------------------------------------------------------------


def test_a_task_writing_many_channels_hands_them_over_as_one_map_in_order() -> None:
    app = wide(lambda state: {key: state[key] + 1 for key in reversed(KEYS)})
    input = dict.fromkeys(KEYS, 1)
    events = traced(app, input)
    [bump] = done(events)[(1, "bump")]
    [result] = debug_payloads(app, input, "task_result")[(1, "bump")]
    expected = result["writes"]
    assert type(bump.writes) is WriteMap
    assert list(bump.writes) == expected and len(bump.writes) == len(expected)
    assert [channel for channel, _ in bump.writes][:3] == ["k9", "k8", "k7"]
    assert bump.writes[0] == expected[0] and bump.writes == expected
    assert events[-1][4] == app.invoke(input) == {key: 2 for key in KEYS}  # applied as a map


def test_a_task_writing_a_channel_twice_keeps_every_write_in_a_tuple() -> None:
    class Log(TypedDict):
        log: Annotated[list, operator.add]

    graph = StateGraph(Log)
    graph.add_node("say", lambda _: [Command(update={"log": [i]}) for i in range(_MAP_WRITES)])
    graph.add_edge(START, "say")
    app = graph.compile()
    [say] = done(traced(app, {"log": []}))[(1, "say")]
    [result] = debug_payloads(app, {"log": []}, "task_result")[(1, "say")]
    assert type(say.writes) is tuple and len(say.writes) >= _MAP_WRITES
    assert list(say.writes) == result["writes"]
    assert app.invoke({"log": []}) == {"log": list(range(_MAP_WRITES))}


def test_a_task_with_few_writes_keeps_a_tuple() -> None:
    app = wide(lambda state: {"k0": 5})
    bump = next(t for t in done_tasks(traced(app, dict.fromkeys(KEYS, 0))) if t.name == "bump")
    assert type(bump.writes) is tuple and ("k0", 5) in bump.writes


# -- inputs --------------------------------------------------------------------------------


def test_a_state_readers_input_is_the_state_traced_before_its_step() -> None:
    graph = StateGraph(Logged)
    graph.add_node("a", lambda s: {"x": s["x"] + 1, "log": ["a"]})
    graph.add_node("b", lambda s: {"x": s["x"] * 10, "log": ["b"]})
    graph.add_edge(START, "a")
    graph.add_edge("a", "b")
    app = graph.compile()
    events = traced(app, {"x": 1, "log": []})
    state_after = {e[1]: e[4] for e in events if e[0] == CHECKPOINT}
    by_name = {t.name: (e[1], t) for e in events if e[0] == DONE for t in (e[2],)}
    for name in ("a", "b"):
        step, task = by_name[name]
        assert task.input is state_after[step - 1]
    assert by_name["b"][1].input == {"x": 2, "log": ["a"]}


def test_a_node_changing_its_input_leaves_the_traced_input_as_it_was_given() -> None:
    def meddle(state: dict[str, Any]) -> dict[str, Any]:
        state["x"] = 99  # a node may change the dict it was given ...
        state["log"] = ["meddled"]
        return {"x": 1}

    graph = StateGraph(Logged)
    graph.add_node("meddle", meddle)
    graph.add_edge(START, "meddle")
    app = graph.compile()
    task = next(t for t in done_tasks(traced(app, {"x": 5, "log": ["in"]})) if t.name == "meddle")
    assert task.input == {"x": 5, "log": ["in"]}  # ... the record shows what it was given


@pytest.mark.parametrize(
    "name", ["chain", "fan_out_in", "defer", "defer_join", "send_map_reduce", "cycle_counter"]
)
def test_every_traced_input_is_what_the_debug_stream_announced(name: str) -> None:
    catalogued = CASES[name]
    app = catalogued.build(NBPREGEL)
    finished = done(traced(app, fresh(catalogued.input), catalogued.config))
    del finished[(0, START)]  # hidden from the debug stream
    announced = debug_payloads(app, fresh(catalogued.input), "task", catalogued.config)
    assert finished and finished.keys() == announced.keys()
    for key, tasks in finished.items():
        given = [payload["input"] for payload in announced[key]]
        assert sorted(map(repr, (t.input for t in tasks))) == sorted(map(repr, given)), key


@pytest.mark.parametrize(
    "name", ["chain", "fan_out_in", "defer", "defer_join", "send_map_reduce", "cycle_counter"]
)
def test_nodes_run_on_the_same_inputs_traced_or_not(name: str) -> None:
    """A traced run plans a state reader's input from the state traced at the checkpoint
    before it (a copy, not a second read): what every node returns must not change."""
    catalogued = CASES[name]
    app = catalogued.build(NBPREGEL)
    both = app.stream(fresh(catalogued.input), catalogued.config, stream_mode=["trace", "updates"])
    updates = [chunk for mode, chunk in both if mode == "updates"]
    plain = list(app.stream(fresh(catalogued.input), catalogued.config, stream_mode="updates"))
    # Compared as multisets: the parallel tasks of a step finish in any order.
    assert updates and sorted(map(repr, updates)) == sorted(map(repr, plain))


def test_a_node_changing_its_input_changes_neither_the_trace_nor_the_next_nodes_input() -> None:
    def meddle(state: dict[str, Any]) -> dict[str, Any]:
        state["x"] = 99  # its own copy: the state traced before it stays as it was
        state["log"].append("meddled")  # the same list object as the channel's: shared
        return {"log": ["m"]}

    graph = StateGraph(Logged)
    graph.add_node("meddle", meddle)
    graph.add_node("check", lambda s: {"log": [s["x"]]})
    graph.add_edge(START, "meddle")
    graph.add_edge("meddle", "check")
    app = graph.compile()
    events = traced(app, {"x": 5, "log": []})
    states = {e[1]: e[4] for e in events if e[0] == CHECKPOINT}
    assert states[0]["x"] == 5 and states[1]["x"] == 5
    assert states[2] == {"x": 5, "log": ["meddled", "m", 5]}
    assert states[2] == app.invoke({"x": 5, "log": []})


def test_a_node_reading_a_one_channel_state_gets_its_value_traced_or_not() -> None:
    """A state of one channel reads as its value (an int here, which has no ``copy``)."""
    app = Pregel(
        nodes={
            "one": NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("s"),
            "two": NodeBuilder().subscribe_only("s").do(lambda x: x * 10).write_to("out"),
        },
        channels={"a": LastValue(int), "s": LastValue(int), "out": LastValue(int)},
        input_channels="a",
        output_channels="s",
    )
    assert app.spec.state_readers == {"two"}
    events = traced(app, 1)
    (two,) = [t for t in done_tasks(events) if t.name == "two"]
    assert two.input == 2 and ("out", 20) in two.writes
    both = app.stream(1, stream_mode=["trace", "updates"])
    assert [c for mode, c in both if mode == "updates"] == list(
        app.stream(1, stream_mode="updates")
    )


def test_send_tasks_keep_their_own_input() -> None:
    app = _fan_out()
    work = [t for t in done_tasks(traced(app, {"items": [1, 2], "out": []})) if t.name == "work"]
    assert sorted(t.input for t in work) == [1, 2]


# -- updated channels ----------------------------------------------------------------------


def test_updated_tuples_follow_every_step_of_a_loop_and_a_resume() -> None:
    """A loop updates the same channels every step (one tuple is reused); a resume's command
    adds its channels to the next step's: the trace says what the saver says each time."""

    def ask(state: Logged) -> dict[str, Any]:
        if state["x"] == 3:
            return {"log": [interrupt("go on?")]}
        return {"x": state["x"] + 1}

    graph = StateGraph(Logged)
    graph.add_node("ask", ask)
    graph.add_node("again", lambda s: {"x": s["x"]})
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "again")
    graph.add_conditional_edges("again", lambda s: END if s["log"] else "ask", ["ask", END])
    saver = InMemorySaver()
    app = graph.compile(checkpointer=saver)
    config = {"configurable": {"thread_id": "loop"}}
    first = traced(app, {"x": 0, "log": []}, config)
    second = traced(app, Command(resume="yes", update={"x": 3}), config)
    assert second[-1][4]["log"] == ["yes"]
    _check_updated(saver, "loop", first + second)


def test_updated_tuples_follow_a_chain_whose_steps_update_as_many_channels() -> None:
    graph = StateGraph(Logged)
    for name in "abcd":
        graph.add_node(name, lambda s, name=name: {"x": s["x"] + 1, "log": [name]})
    graph.add_edge(START, "a")
    for before, after in zip("abc", "bcd", strict=True):
        graph.add_edge(before, after)
    saver = InMemorySaver()
    app = graph.compile(checkpointer=saver)
    events = traced(app, {"x": 0, "log": []}, {"configurable": {"thread_id": "chain"}})
    _check_updated(saver, "chain", events)


def _check_updated(saver: InMemorySaver, thread_id: str, events: list[Event]) -> None:
    """Each checkpoint event's ``updated`` names exactly the channels the saved checkpoint
    gave its new version."""
    checkpoints = [e for e in events if e[0] == CHECKPOINT]
    assert len(checkpoints) > 4
    sizes = set()
    for _, step, _, checkpoint_id, _, updated, version, _, _ in checkpoints:
        config = {"configurable": {"thread_id": thread_id, "checkpoint_id": checkpoint_id}}
        saved = saver.get_tuple(config)
        assert saved is not None, step
        versions = saved.checkpoint["channel_versions"]
        assert set(updated) == {c for c, v in versions.items() if v == version}, (step, updated)
        sizes.add(len(updated))
    assert len(sizes) < len(checkpoints)  # steps of the same size, whose tuples may be shared


def test_a_kept_trace_of_a_loop_holds_few_objects_the_collector_visits() -> None:
    """What a recorder keeps of each step, the cyclic collector visits again and again while
    the run goes on: a loop of quick nodes keeps at most 5 such objects a step (the task, the
    step's task list, its event, and the task's writes: the node's own write and the tuple of
    writes). Routes and triggers are shared; the state of plain values is a dict the collector
    leaves alone."""

    def bump(state: Count) -> dict[str, int]:
        return {"x": state["x"] + 1}

    graph = StateGraph(Count)
    graph.add_node("a", bump)
    graph.add_node("b", bump)
    graph.add_edge(START, "a")
    graph.add_edge("a", "b")
    graph.add_conditional_edges("b", lambda s: END if s["x"] >= 400 else "a", ["a", END])
    app = graph.compile()
    config = {"recursion_limit": 500}
    list(app.stream({"x": 0}, config, stream_mode="trace"))  # the nodes turn quick
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        kept = list(app.stream({"x": 0}, config, stream_mode="trace"))
        per_step = (len(gc.get_objects()) - before) / 400
    finally:
        gc.enable()
    events = [event for chunk in kept for event in chunk]
    tasks = [task for event in events if event[0] == TraceEvent.STEP for task in tasks_of(event)]
    assert len(tasks) > 300, "the steps of quick nodes travel as STEP events"
    routes = [task.writes[-1] for task in tasks if task.name == "b"]
    assert {id(route) for route in routes[:-1]} == {id(routes[0])} and routes[0][1] == "b"
    assert routes[-1] == ("x", 400), "the last b routes to END: no write"
    assert all(task.triggers is task.node.triggers for task in tasks if task.name != "__start__")
    assert per_step <= 4.5, f"a kept step holds {per_step:.1f} objects the collector tracks"
