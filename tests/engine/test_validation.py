"""Compile-time validation (GraphValidationError names the culprit) and ``get_graph()`` data."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import pytest

from nbpregel import END, START, Command, GraphValidationError, NbPregelError, StateGraph

from .graphs import CASES, NBPREGEL


class S(TypedDict):
    n: int


def noop(state: S) -> None:
    return None


def nodes(*names: str) -> StateGraph:
    g = StateGraph(S)
    for name in names:
        g.add_node(name, noop)
    return g


# -- errors --------------------------------------------------------------------------------


def no_entry(g: StateGraph) -> None:
    g.add_edge("a", "b")


def edge_to_unknown(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_edge("a", "ghost")


def edge_from_unknown(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_edge("ghost", "b")


def unreachable(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_edge("a", END)
    g.add_node("island", noop)


def endless_cycle(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "a")


def path_map_to_unknown(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_conditional_edges("a", lambda s: "x", {"x": "ghost"})


def join_from_unknown(g: StateGraph) -> None:
    g.add_edge(START, "a")
    g.add_edge(["a", "ghost"], "b")


@pytest.mark.parametrize(
    ("declare", "culprits"),
    [
        (no_entry, ["entry point", "START"]),
        (edge_to_unknown, ["'ghost'"]),
        (edge_from_unknown, ["'ghost'"]),
        (unreachable, ["'island'", "'b'"]),
        (endless_cycle, ["'a'", "'b'", "END"]),
        (path_map_to_unknown, ["'ghost'"]),
        (join_from_unknown, ["'ghost'"]),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_compile_errors_name_the_culprit(
    declare: Callable[[StateGraph], None], culprits: list[str]
) -> None:
    g = nodes("a", "b")
    declare(g)
    with pytest.raises(GraphValidationError) as info:
        g.compile()
    for culprit in culprits:
        assert culprit in str(info.value)
    assert isinstance(info.value, NbPregelError) and isinstance(info.value, ValueError)


def test_edge_out_of_end_is_rejected_where_it_is_declared() -> None:
    g = nodes("a")
    with pytest.raises(GraphValidationError, match="END"):
        g.add_edge(END, "a")
    with pytest.raises(GraphValidationError, match="END"):
        g.add_edge([END, "a"], "a")
    with pytest.raises(GraphValidationError, match="END"):
        g.add_conditional_edges(END, lambda s: "a")


@pytest.mark.parametrize("name", [START, END])
def test_reserved_node_names(name: str) -> None:
    with pytest.raises(GraphValidationError, match="reserved"):
        nodes(name)


def test_duplicate_node_name() -> None:
    with pytest.raises(GraphValidationError, match="'a'"):
        nodes("a", "a")


def test_unknown_breakpoint_node() -> None:
    g = nodes("a")
    g.add_edge(START, "a")
    with pytest.raises(GraphValidationError, match="'ghost'"):
        g.compile(interrupt_before=["ghost"])


@pytest.mark.parametrize(
    "name",
    ["cycle_counter", "command_loop", "conditional_end", "send_map_reduce", "returns_none"],
)
def test_valid_graphs_compile(name: str) -> None:
    # cycles with a conditional exit, Command-only routing, dead ends that end implicitly
    CASES[name].build(NBPREGEL)


def test_node_routing_only_by_command_counts_as_a_way_out() -> None:
    def hop(state: S) -> Command[Literal["hop"]]:
        return Command(goto="hop" if state["n"] < 2 else END, update={"n": state["n"] + 1})

    g = StateGraph(S)
    g.add_node("hop", hop)
    g.add_edge(START, "hop")
    assert g.compile().invoke({"n": 0}) == {"n": 3}


# -- get_graph -----------------------------------------------------------------------------


def edges_of(name: str) -> set[tuple[Any, ...]]:
    graph = CASES[name].build(NBPREGEL).get_graph()
    return {(e.source, e.target, e.conditional, e.label, e.join) for e in graph.edges}


def test_get_graph_nodes() -> None:
    graph = CASES["defer"].build(NBPREGEL).get_graph()
    assert [(n.id, n.kind) for n in graph.nodes.values()] == [
        (START, "start"), ("a", "node"), ("b", "node"), ("c1", "node"), ("c2", "node"),
        ("d", "node"), (END, "end"),
    ]  # fmt: skip
    assert [n.id for n in graph.nodes.values() if n.defer] == ["d"]
    assert graph.node("a").name == "a"
    with pytest.raises(KeyError, match="ghost"):
        graph.node("ghost")


def test_get_graph_plain_edges_and_implicit_end() -> None:
    assert edges_of("chain") == {
        (START, "a", False, None, None),
        ("a", "b", False, None, None),
        ("b", "c", False, None, None),
        ("c", END, False, None, None),
    }


def test_get_graph_marks_joins() -> None:
    joins = {e for e in edges_of("join") if e[4] is not None}
    assert joins == {("b", "d", False, None, "b+c2->d"), ("c2", "d", False, None, "b+c2->d")}


def test_get_graph_conditional_edges_with_a_path_map_carry_labels() -> None:
    conditional = {e for e in edges_of("conditional_map") if e[2]}
    assert conditional == {
        ("check", "even", True, "True", None),
        ("check", "odd", True, "False", None),
    }


def test_get_graph_conditional_edges_without_a_map_may_go_anywhere() -> None:
    targets = {e[1] for e in edges_of("conditional_end") if e[0] == "gate" and e[2]}
    assert targets == {"gate", "work", END}


def test_get_graph_command_destinations_from_the_return_annotation() -> None:
    targets = {(e[1], e[2]) for e in edges_of("command_goto") if e[0] == "decide"}
    assert targets == {("left", True), ("right", True)}


def test_get_graph_is_json_ready_data() -> None:
    data = json.loads(json.dumps(CASES["join"].build(NBPREGEL).get_graph().to_dict()))
    assert {n["id"] for n in data["nodes"]} == {START, "a", "b", "c1", "c2", "d", END}
    assert {"source": "b", "target": "d", "conditional": False, "label": None,
            "join": "b+c2->d"} in data["edges"]  # fmt: skip


def test_unresolvable_schema_annotations_are_an_error_not_a_silent_downgrade() -> None:
    # This module uses `from __future__ import annotations`, so a class defined here keeps its
    # annotations as strings; a reducer that is not a module-level name cannot be resolved.
    def local_reducer(a: list[int], b: list[int]) -> list[int]:
        return a + b

    class State(TypedDict):
        notes: Annotated[list[int], local_reducer]

    with pytest.raises(GraphValidationError, match=r"local_reducer.*module level"):
        StateGraph(State)
