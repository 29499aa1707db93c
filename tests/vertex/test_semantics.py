"""What a vertex program guarantees (spec §10): who computes in which superstep, what messages
arrive, halting and waking, combiners, aggregators and the superstep counter."""

from __future__ import annotations

import concurrent.futures
import operator
import threading
from collections import defaultdict
from typing import Any

import pytest

from nbpregel.checkpoint import InMemorySaver
from nbpregel.vertex import Vertex, VertexProgram, aggregate, send, vote_to_halt

pytestmark = pytest.mark.timeout(30)


class Journal:
    """Which vertex computed in which superstep, and with what messages (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seen: dict[int, dict[str, tuple[Any, ...]]] = defaultdict(dict)

    def note(self, vertex: Vertex, messages: tuple[Any, ...]) -> None:
        with self.lock:
            self.seen[vertex.superstep][vertex.id] = messages

    def active(self) -> dict[int, list[str]]:
        return {step: sorted(names) for step, names in sorted(self.seen.items())}


def test_every_vertex_computes_in_superstep_0_and_all_halting_ends_the_run() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        vote_to_halt()

    VertexProgram(compute, [("a", "b")], vertices=["c"]).compile().invoke({})
    assert journal.active() == {0: ["a", "b", "c"]}
    assert journal.seen[0] == {"a": (), "b": (), "c": ()}


def test_a_vertex_that_does_not_vote_runs_again_without_messages() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        if vertex.id != "slow" or vertex.superstep == 3:
            vote_to_halt()

    VertexProgram(compute, vertices=["fast", "slow"]).compile().invoke({})
    assert journal.active() == {0: ["fast", "slow"], 1: ["slow"], 2: ["slow"], 3: ["slow"]}


def test_a_message_wakes_a_halted_vertex_in_the_next_superstep_only() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        if vertex.id == "a" and vertex.superstep < 2:
            return  # stays active
        if vertex.id == "a":
            send("b", "wake up")
        vote_to_halt()

    VertexProgram(compute, [("a", "b")]).compile().invoke({})
    assert journal.active() == {0: ["a", "b"], 1: ["a"], 2: ["a"], 3: ["b"]}
    assert journal.seen[3] == {"b": ("wake up",)}


def test_messages_arrive_whole_and_unchanged_from_every_sender() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        if vertex.superstep == 0 and vertex.id != "hub":
            send("hub", [vertex.id, 1])  # a list message stays one message
            send("hub", {"from": vertex.id})
        vote_to_halt()

    VertexProgram(compute, {"x": ["hub"], "y": ["hub"], "hub": []}).compile().invoke({})
    got = journal.seen[1]["hub"]
    assert isinstance(got, tuple)
    assert sorted(map(repr, got)) == sorted(
        map(repr, [["x", 1], {"from": "x"}, ["y", 1], {"from": "y"}])
    )


def test_a_combiner_delivers_one_folded_message() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        if vertex.superstep == 0 and vertex.id != "sink":
            vertex.send_to_neighbors(int(vertex.id[1:]))
        vote_to_halt()

    edges = [(f"s{i}", "sink") for i in range(1, 6)]
    VertexProgram(compute, edges, combiner=operator.add).compile().invoke({})
    assert journal.seen[1] == {"sink": (15,)}


def test_aggregators_fold_one_superstep_and_are_read_in_the_next() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vertex.value = (vertex.aggregated("total"), vertex.aggregated("top", default="none"))
        journal.note(vertex, vertex.value)
        aggregate("total", vertex.superstep + 1)
        if vertex.id == "b":
            vertex.aggregate("top", vertex.superstep)
        if vertex.superstep == 2:
            vote_to_halt()

    program = VertexProgram(
        compute, vertices=["a", "b", "c"], aggregators={"total": operator.add, "top": max}
    )
    result = program.compile().invoke({})
    assert journal.seen[0]["a"] == (None, "none")
    assert journal.seen[1]["a"] == (3, 0)  # three vertices gave 1; b gave 0
    assert journal.seen[2]["c"] == (6, 1)
    assert result == {"a": (6, 1), "b": (6, 1), "c": (6, 1)}


def test_initial_values_come_from_the_program_and_the_input_overrides_them() -> None:
    def keep(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vote_to_halt()

    program = VertexProgram(keep, vertices=["a", "b"], values={"a": 1, "b": 2, "c": 3})
    assert program.vertices == ["a", "b", "c"]
    assert program.compile().invoke({"b": 20}) == {"a": 1, "b": 20, "c": 3}
    by_name = VertexProgram(keep, vertices=["a", "bb"], values=len).compile()
    assert by_name.invoke({}) == {"a": 1, "bb": 2}
    assert VertexProgram(keep, vertices=["a"]).compile().invoke({}) == {}  # no value yet


def test_the_superstep_counts_from_each_input_on_a_thread() -> None:
    journal = Journal()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        journal.note(vertex, messages)
        vertex.value = vertex.superstep
        if vertex.superstep == 2:
            vote_to_halt()

    app = VertexProgram(compute, vertices=["a"]).compile(checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    assert app.invoke({}, config) == {"a": 2}
    journal.seen.clear()
    assert app.invoke({}, config) == {"a": 2}  # a second input starts again at superstep 0
    assert journal.active() == {0: ["a"], 1: ["a"], 2: ["a"]}
    assert app.get_state(config).values == {"a": 2}


def test_int_ids_are_named_by_str_and_reachable_both_ways() -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        if vertex.id == "1" and vertex.superstep == 0:
            send(2, "by int")
            send("3", "by name")
        vertex.value = messages
        vote_to_halt()

    app = VertexProgram(compute, [(1, 2), (1, 3)]).compile()
    assert app.invoke({}) == {"1": (), "2": ("by int",), "3": ("by name",)}
    assert [node.id for node in app.get_graph().nodes.values()] == ["1", "2", "3"]


def test_the_vertex_shows_its_edges_and_the_graph_size() -> None:
    seen: dict[str, Any] = {}

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        seen[vertex.id] = (dict(vertex.edges), vertex.num_vertices, vertex.halted)
        vote_to_halt()
        seen[vertex.id] += (vertex.halted,)

    VertexProgram(compute, {"a": {"b": 2.5, "c": None}}).compile().invoke({})
    assert seen["a"] == ({"b": 2.5, "c": None}, 3, False, True)
    assert seen["b"] == ({}, 3, False, True)


def test_get_graph_draws_vertices_and_labelled_edges() -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vote_to_halt()

    graph = VertexProgram(compute, [("a", "b", 4), ("b", "a")], name="pair").compile().get_graph()
    assert graph.name == "pair"
    assert [(n.id, n.kind) for n in graph.nodes.values()] == [("a", "node"), ("b", "node")]
    assert [(e.source, e.target, e.label) for e in graph.edges] == [
        ("a", "b", "4"),
        ("b", "a", None),
    ]


def test_computes_run_on_the_calling_thread_unless_the_program_has_an_executor() -> None:
    threads: set[int] = set()

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        threads.add(threading.get_ident())
        if vertex.superstep < 2:
            vertex.send_to_neighbors(1)
        else:
            vote_to_halt()

    edges = [(i, (i + 1) % 20) for i in range(20)]
    VertexProgram(compute, edges).compile(checkpointer=InMemorySaver()).invoke(
        {}, {"configurable": {"thread_id": "t"}}
    )
    assert threads == {threading.get_ident()}  # short CPU work: threads would only add hand-offs
    threads.clear()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        VertexProgram(compute, edges).compile(executor=pool).invoke({})
    assert threading.get_ident() not in threads and threads
