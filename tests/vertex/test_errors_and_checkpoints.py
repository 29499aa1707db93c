"""A vertex program's mistakes get errors naming the culprit and the fix, and lose nothing
saved; checkpoints let a failed or paused program resume (spec §10, §11)."""

from __future__ import annotations

import math
import operator
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbpregel import Command, GraphRecursionError, interrupt
from nbpregel.checkpoint import InMemorySaver, SqliteSaver
from nbpregel.errors import GraphValidationError, InvalidUpdateError, NbPregelError
from nbpregel.vertex import Vertex, VertexProgram, aggregate, send, vote_to_halt

pytestmark = pytest.mark.timeout(30)


def halt(vertex: Vertex, messages: tuple[Any, ...]) -> None:
    vote_to_halt()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"edges": [("a", 1.5)]}, r"vertex id 1\.5 is a float: vertex ids are str or int"),
        ({"edges": [(("a",), "b")]}, r"vertex id \('a',\) is a tuple"),
        ({"edges": [("a", True)]}, r"vertex id True is a bool"),
        ({"vertices": [""]}, r"empty string"),
        ({"edges": [(1, "1")]}, r"vertex ids '1' and 1 are both named '1'"),
        ({"edges": [("a", "b"), ("a", "b", 2)]}, r"edge 'a' -> 'b' is given twice"),
        ({"edges": {"a": "bc"}}, r"edges\['a'\] is 'bc': give a list of targets"),
        ({"edges": [("a", "b", 1, 2)]}, r"is not \(source, target\)"),
        ({"edges": ["ab"]}, r"edge 'ab' is not \(source, target\)"),
        ({}, r"no vertices: give edges= or vertices="),
        ({"vertices": ["inbox:a", "a"]}, r"vertex names \['inbox:a'\] clash"),
        ({"vertices": ["__superstep__"]}, r"clash with the program's own channels"),
        ({"vertices": ["a"], "combiner": 3}, r"combiner 3 is not a function"),
        ({"vertices": ["a"], "aggregators": {"s": "sum"}}, r"s 'sum' is not a function"),
    ],
)
def test_a_bad_program_is_refused_with_the_culprit_named(kwargs: Any, match: str) -> None:
    with pytest.raises(GraphValidationError, match=match):
        VertexProgram(halt, **kwargs).compile()


def test_compute_must_be_a_plain_function() -> None:
    async def later(vertex: Vertex, messages: Any) -> None:
        pass

    for compute in (later, "compute"):
        with pytest.raises(GraphValidationError, match="is not a plain function"):
            VertexProgram(compute, vertices=["a"])  # type: ignore[arg-type]


def test_helpers_outside_compute_say_where_to_call_them() -> None:
    with pytest.raises(NbPregelError, match=r"send\(\) was called outside a vertex's compute"):
        send("a", 1)
    with pytest.raises(NbPregelError, match=r"vote_to_halt\(\) was called outside"):
        vote_to_halt()
    with pytest.raises(NbPregelError, match=r"aggregate\(\) was called outside"):
        aggregate("s", 1)


def _saver(tmp_path: Path) -> tuple[SqliteSaver, dict[str, Any]]:
    return SqliteSaver(tmp_path / "runs.db"), {"configurable": {"thread_id": "t"}}


def test_a_message_to_an_unknown_vertex_fails_the_superstep_and_keeps_the_last_checkpoint(
    tmp_path: Path,
) -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vertex.value = vertex.superstep
        if vertex.superstep == 1:
            send("nowhere", 1)
        if vertex.superstep == 2:
            vote_to_halt()

    saver, config = _saver(tmp_path)
    app = VertexProgram(compute, vertices=["a"]).compile(checkpointer=saver)
    with pytest.raises(InvalidUpdateError, match=r"vertex 'a' sent a message to unknown vertex"):
        app.invoke({}, config)
    state = app.get_state(config)
    assert state.values == {"a": 0}  # superstep 0's checkpoint is the latest
    assert state.next == ("a",)


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ([1, 2], r"input is a dict of initial values by vertex .* got list"),
        ({"zz": 1}, r"unknown vertices \['zz'\]"),
    ],
)
def test_bad_input_is_refused_before_anything_is_saved(
    tmp_path: Path, given: Any, match: str
) -> None:
    saver, config = _saver(tmp_path)
    app = VertexProgram(halt, vertices=["a"]).compile(checkpointer=saver)
    app.invoke({"a": 1}, config)
    before = [s.config for s in app.get_state_history(config)]
    with pytest.raises(InvalidUpdateError, match=match):
        app.invoke(given, config)
    assert [s.config for s in app.get_state_history(config)] == before


def test_unknown_aggregator_names_the_known_ones() -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        aggregate("totl", 1)

    app = VertexProgram(compute, vertices=["a"], aggregators={"total": operator.add}).compile()
    with pytest.raises(InvalidUpdateError, match=r"unknown aggregator 'totl'.*\['total'\]"):
        app.invoke({})

    def reads(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vertex.aggregated("totl")

    app = VertexProgram(reads, vertices=["a"], aggregators={"total": operator.add}).compile()
    with pytest.raises(KeyError, match="no aggregator 'totl'"):
        app.invoke({})


def test_a_compute_error_propagates_as_itself() -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        raise ZeroDivisionError(f"{vertex.id} divided by zero")

    with pytest.raises(ZeroDivisionError, match="a divided by zero"):
        VertexProgram(compute, vertices=["a"]).compile().invoke({})


def test_a_program_that_never_halts_stops_at_max_supersteps() -> None:
    def forever(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vertex.value = vertex.superstep

    app = VertexProgram(forever, vertices=["a"], name="forever").compile(
        InMemorySaver(), max_supersteps=7
    )
    config = {"configurable": {"thread_id": "1"}}
    with pytest.raises(GraphRecursionError, match=r"ran to superstep 6\)"):
        app.invoke({}, config)
    assert app.get_state(config).values == {"a": 6}  # supersteps 0 to 6: seven of them
    with pytest.raises(GraphRecursionError, match=r"recursion limit of 3 .*superstep 3\)"):
        app.invoke({}, {"configurable": {"thread_id": "2"}, "recursion_limit": 3})  # wins


def test_a_failed_superstep_resumes_without_recomputing_the_vertices_that_finished(
    tmp_path: Path,
) -> None:
    calls: Counter[tuple[str, int]] = Counter()
    lock = threading.Lock()
    broken = {"c": True}

    def compute(vertex: Vertex, messages: tuple[float, ...]) -> None:
        with lock:
            calls[vertex.id, vertex.superstep] += 1
        if vertex.id == "c" and vertex.superstep == 2 and broken.pop("c", False):
            raise RuntimeError("flaky")
        best = min(messages, default=math.inf)
        if best < vertex.value or (vertex.superstep == 0 and vertex.value == 0):
            vertex.value = min(best, vertex.value)
            for target, weight in vertex.edges.items():
                send(target, vertex.value + weight)
        vote_to_halt()

    edges = [("a", "b", 1), ("a", "c", 5), ("b", "c", 1), ("b", "d", 1), ("c", "d", 1)]
    saver, config = _saver(tmp_path)
    app = VertexProgram(compute, edges, values=math.inf, combiner=min).compile(checkpointer=saver)
    with pytest.raises(RuntimeError, match="flaky"):
        app.invoke({"a": 0}, config)
    assert app.invoke(None, config) == {"a": 0, "b": 1, "c": 2, "d": 2}
    assert calls["c", 2] == 2  # failed, then resumed
    assert calls["d", 2] == 1  # finished before the failure: its writes were kept


def test_an_interrupt_in_compute_pauses_and_the_answer_resumes(tmp_path: Path) -> None:
    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        if vertex.id == "judge" and messages:
            vertex.value = interrupt({"question": f"accept {sorted(messages)}?"})
        elif vertex.superstep == 0 and vertex.id != "judge":
            send("judge", vertex.id)
        vote_to_halt()

    saver, config = _saver(tmp_path)
    app = VertexProgram(compute, {"x": ["judge"], "y": ["judge"]}).compile(checkpointer=saver)
    paused = app.invoke({}, config)
    assert paused["__interrupt__"][0].value == {"question": "accept ['x', 'y']?"}
    assert app.get_state(config).next == ("judge",)
    assert app.invoke(Command(resume="yes"), config) == {"judge": "yes"}


@pytest.mark.parametrize("fail_fast", [True, False])
def test_fail_fast_ends_the_superstep_at_the_failing_vertex(fail_fast: bool) -> None:
    ran: list[str] = []

    def compute(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        ran.append(vertex.id)
        if vertex.id == "b":
            raise ValueError("b is broken")
        vote_to_halt()

    app = VertexProgram(compute, vertices=list("abcde")).compile(fail_fast=fail_fast)
    with pytest.raises(ValueError, match="b is broken"):
        app.invoke({})
    assert sorted(ran) == (["a", "b"] if fail_fast else list("abcde"))
