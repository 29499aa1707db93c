"""End-to-end behaviour of ``StateGraph``: edges, joins, branches, Send, Command, schemas.

Most graphs come from the shared catalogue (``graphs.py``), built with nbpregel; the expected
results are worked out by hand from the superstep semantics (spec §1-5).
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Annotated, Any, TypedDict

import pydantic
import pytest

from nbpregel import END, START, Command, InvalidUpdateError, Send, StateGraph

from .graphs import CASES, NBPREGEL, DataState, PydanticState, fresh


def run(name: str, **overrides: Any) -> Any:
    case = CASES[name]
    app = case.build(NBPREGEL)
    return app.invoke(fresh(overrides.get("input", case.input)), case.config)


def updates(name: str) -> list[list[str]]:
    """The names of the nodes that ran, one sorted list per superstep (from the debug stream)."""
    case = CASES[name]
    app = case.build(NBPREGEL)
    steps: dict[int, list[str]] = {}
    for chunk in app.stream(fresh(case.input), stream_mode="debug"):
        if chunk["type"] == "task_result":
            steps.setdefault(chunk["step"], []).append(chunk["payload"]["name"])
    return [sorted(steps[step]) for step in sorted(steps)]


# -- edges ---------------------------------------------------------------------------------


def test_chain_runs_nodes_in_order_and_each_sees_the_previous_write() -> None:
    assert run("chain") == {"log": ["a", "b", "c2"], "n": 20}
    assert updates("chain") == [["a"], ["b"], ["c"]]


def test_sequence() -> None:
    assert run("sequence") == {"log": ["one", "two"], "n": 2}


def test_fan_out_fan_in_with_a_reducer() -> None:
    # b and c run in the same step; d is triggered by both edges but runs once.
    assert run("fan_out_in") == {"log": ["in", "a", "b", "c", "d"], "n": 0}
    assert updates("fan_out_in") == [["a"], ["b", "c"], ["d"]]


def test_join_waits_for_the_longer_branch() -> None:
    assert run("join")["log"] == ["a", "b", "c1", "c2", "d"]
    assert updates("join") == [["a"], ["b", "c1"], ["c2"], ["d"]]


def test_uneven_branches_without_a_join_run_the_target_once_per_branch() -> None:
    assert run("uneven_no_join")["log"] == ["a", "b", "c1", "c2", "d", "d"]
    assert updates("uneven_no_join") == [["a"], ["b", "c1"], ["c2", "d"], ["d"]]


@pytest.mark.parametrize("name", ["defer", "defer_join"])
def test_deferred_node_runs_once_after_everything_else(name: str) -> None:
    assert run(name)["log"] == ["a", "b", "c1", "c2", "d"]
    assert updates(name) == [["a"], ["b", "c1"], ["c2"], ["d"]]


def test_nodes_returning_none_write_nothing_but_still_route() -> None:
    assert run("returns_none") == {"log": ["loud"], "n": 5}
    assert updates("returns_none") == [["quiet"], ["loud"], ["quiet_again"]]


# -- conditional edges ---------------------------------------------------------------------


@pytest.mark.parametrize(("n", "branch"), [(7, "odd"), (4, "even")])
def test_conditional_edge_with_a_path_map(n: int, branch: str) -> None:
    assert run("conditional_map", input={"log": [], "n": n})["log"] == ["check", branch]


@pytest.mark.parametrize(
    ("n", "log"), [(0, ["start"]), (1, ["start", "z"]), (2, ["start", "x", "z"])]
)
def test_conditional_edge_returning_a_list_runs_every_target(n: int, log: list[str]) -> None:
    # x and z run in the same step; the reducer sees them in name order, not return order.
    assert run("conditional_list", input={"log": [], "n": n})["log"] == log


@pytest.mark.parametrize(("n", "log"), [(3, ["gate"]), (2, ["gate", "work"])])
def test_conditional_edge_to_end(n: int, log: list[str]) -> None:
    assert run("conditional_end", input={"log": [], "n": n})["log"] == log


def test_conditional_entry_point() -> None:
    assert run("conditional_entry")["log"] == ["high"]
    assert run("conditional_entry", input={"log": [], "n": 0})["log"] == ["low"]


def test_two_conditional_edges_from_one_node_both_fire() -> None:
    assert run("two_branches_from_one_node")["log"] == ["a", "b", "c"]


def test_routing_function_sees_the_nodes_own_write() -> None:
    seen: list[int] = []

    class S(TypedDict):
        n: int

    def route(state: S) -> str:
        seen.append(state["n"])
        return END

    g = StateGraph(S)
    g.add_node("bump", lambda s: {"n": s["n"] + 1})
    g.add_edge(START, "bump")
    g.add_conditional_edges("bump", route)
    assert g.compile().invoke({"n": 1}) == {"n": 2}
    assert seen == [2]


def test_cycle_with_a_counter() -> None:
    assert run("cycle_counter") == {"n": 5, "log": [0, 1, 2, 3, 4]}
    assert len(updates("cycle_counter")) == 5


# -- Send and Command ----------------------------------------------------------------------


def test_send_map_reduce_keeps_send_order_in_the_reducer() -> None:
    for _ in range(3):  # the workers sleep for random times: the order must not change
        result = run("send_map_reduce")
        assert result["results"] == ["PEAR", "FIG", "APPLE", "KIWI"]
        assert result["summary"] == "PEAR+FIG+APPLE+KIWI"


def test_send_tasks_come_before_pull_tasks_in_the_reducer() -> None:
    # spec §5: PUSH before PULL (LangGraph applies PULL first; see test_vs_langgraph)
    assert run("send_and_names")["log"] == ["fork", "each0", "each1", "each2", "each3", "other"]


def test_command_goto_and_update() -> None:
    assert run("command_goto") == {"log": ["decide", "right42"], "n": 42}


def test_command_goto_sends_and_static_edges_both_fire() -> None:
    assert run("command_send")["log"] == ["spread", "leaf0", "leaf1", "leaf2", "after"]


def test_command_loop_ends_with_goto_end() -> None:
    assert run("command_loop") == {"n": 3, "log": [0, 1, 2, "done"]}


def test_command_as_input_routes_to_a_node() -> None:
    class S(TypedDict):
        log: Annotated[list, operator.add]

    g = StateGraph(S)
    g.add_node("a", lambda s: {"log": ["a"]})
    g.add_node("b", lambda s: {"log": ["b"]})
    g.add_edge(START, "a")
    app = g.compile()
    assert app.invoke(Command(update={"log": ["cmd"]}, goto="b")) == {"log": ["cmd", "b"]}


def test_send_with_an_unknown_node_is_an_error_naming_it() -> None:
    class S(TypedDict):
        n: int

    g = StateGraph(S)
    g.add_node("a", lambda s: {"n": 1})
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: [Send("ghost", 1)])
    with pytest.raises(InvalidUpdateError, match="ghost"):
        g.compile().invoke({"n": 0})


def test_command_goto_unknown_node_is_an_error_naming_it() -> None:
    class S(TypedDict):
        n: int

    g = StateGraph(S)
    g.add_node("a", lambda s: Command(goto="nowhere"))
    g.add_edge(START, "a")
    with pytest.raises(InvalidUpdateError, match="nowhere"):
        g.compile().invoke({"n": 0})


# -- state schemas -------------------------------------------------------------------------


def test_typeddict_state_nodes_get_a_dict() -> None:
    kinds: list[type] = []

    class S(TypedDict):
        n: int

    def node(state: S) -> dict[str, int]:
        kinds.append(type(state))
        return {"n": state["n"] + 1}

    g = StateGraph(S)
    g.add_node("node", node)
    g.add_edge(START, "node")
    assert g.compile().invoke({"n": 1}) == {"n": 2}
    assert kinds == [dict]


@pytest.mark.parametrize(
    ("name", "schema"), [("dataclass_state", DataState), ("pydantic_state", PydanticState)]
)
def test_dataclass_and_pydantic_state(name: str, schema: type) -> None:
    seen: list[Any] = []
    case = CASES[name]
    app = case.build(NBPREGEL)
    result = app.invoke(fresh(case.input))
    label = case.input["name"]
    assert result == {"name": label, "steps": [f"{label}-1", f"{label}-2"], "count": 2}

    g = StateGraph(schema)
    g.add_node("peek", lambda s: seen.append(s))
    g.add_edge(START, "peek")
    g.compile().invoke({"name": "x"})
    assert [type(s) for s in seen] == [schema]
    assert seen[0].count == 0 and seen[0].steps == []


def test_pydantic_state_validates_the_input() -> None:
    g = StateGraph(PydanticState)
    g.add_node("noop", lambda s: None)
    g.add_edge(START, "noop")
    with pytest.raises(pydantic.ValidationError):
        g.compile().invoke({"name": 3.5, "count": "many"})


def test_node_may_return_a_dataclass_instance() -> None:
    @dataclasses.dataclass
    class S:
        a: int = 0
        b: int = 0

    g = StateGraph(S)
    g.add_node("both", lambda s: S(a=1, b=2))
    g.add_edge(START, "both")
    assert g.compile().invoke({"a": 0}) == {"a": 1, "b": 2}


def test_input_and_output_schemas() -> None:
    assert run("input_output_schemas") == {"answer": "why? because."}
    app = CASES["input_output_schemas"].build(NBPREGEL)
    with pytest.raises(InvalidUpdateError, match="scratch"):
        app.invoke({"question": "q", "scratch": "not an input"})


def test_private_input_schema_channels() -> None:
    assert run("private_input_schema") == {"text": "ab", "out": "ab!ab!"}
    # the node with input_schema=Private reads only the private key
    assert run("private_input_schema_kwarg") == {"text": "ab", "out": "ab?['secret']"}


def test_input_keys_not_in_the_state_are_rejected() -> None:
    app = CASES["chain"].build(NBPREGEL)
    with pytest.raises(InvalidUpdateError, match="bogus"):
        app.invoke({"log": [], "n": 0, "bogus": 1})


# -- determinism ---------------------------------------------------------------------------


def test_reducer_order_is_by_task_path_whatever_order_threads_finish() -> None:
    orders = set()
    completion = set()
    app = CASES["fan_in_3way"].build(NBPREGEL)
    for _ in range(6):
        finished = []
        for mode, chunk in app.stream({"log": [], "n": 0}, stream_mode=["updates", "values"]):
            if mode == "updates":
                finished.extend(chunk)
            else:
                final = chunk
        orders.add(tuple(final["log"]))
        completion.add(tuple(finished[1:4]))
    assert orders == {("fork", "a1", "m2", "z3", "join")}
    # the sleeps are random, so the threads did finish in different orders (p(fail) ~ 6**-5)
    assert len(completion) > 1


def test_same_graph_and_input_give_identical_streams() -> None:
    app = CASES["send_map_reduce"].build(NBPREGEL)
    case = CASES["send_map_reduce"]
    values = [list(app.stream(fresh(case.input), stream_mode="values")) for _ in range(3)]
    assert values[0] == values[1] == values[2]


def test_a_typing_extensions_typeddict_is_a_state_schema_with_its_reducers() -> None:
    import typing_extensions

    class Log(typing_extensions.TypedDict):
        lines: Annotated[list[str], operator.add]
        last: str

    g = StateGraph(Log)
    g.add_node("a", lambda s: {"lines": ["a"], "last": "a"})
    g.add_node("b", lambda s: {"lines": ["b"]})
    g.add_edge(START, "a")
    g.add_edge(START, "b")
    assert g.compile().invoke({"lines": ["in"]}) == {"lines": ["in", "a", "b"], "last": "a"}
