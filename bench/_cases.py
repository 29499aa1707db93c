"""The benchmark graphs, built the same way with nbpregel and with LangGraph, and ``CASES``.

``Case`` and ``Library`` (re-exported here) are defined in ``_case``; each benchmark's builder takes
a ``Library`` and compiles the same graph with it. ``CASES`` gathers the cases of this module and of
``_subgraph_case``, in the order the report lists them.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Annotated, Any, TypedDict

from _case import ENGINE_TARGET, INPUT_STEP, Case, Library, load_libraries
from _subgraph_case import FANOUT_TO_SUBGRAPH

__all__ = ["CASES", "Case", "Library", "load_libraries", "select"]

CYCLE_STEPS = 1_000
FANOUT_WIDTH = 100
WIDE_KEYS = 300
WIDE_WRITERS = 10


def _compile_sequence(lib: Library, schema: Any, nodes: Sequence[tuple[str, Any]]) -> Any:
    """Compile ``nodes`` run one after the other, from the start to the end."""
    graph = lib.state_graph(schema)
    graph.add_sequence(nodes)
    graph.add_edge(lib.start, nodes[0][0])
    graph.add_edge(nodes[-1][0], lib.end)
    return graph.compile()


# ---- (a) chain: k nodes in a row, each incrementing a counter --------------------------------


class Counter(TypedDict):
    n: int


def _increment(state: Counter) -> dict[str, int]:
    return {"n": state["n"] + 1}


def _build_chain(lib: Library, length: int) -> Any:
    return _compile_sequence(lib, Counter, [(f"n{index}", _increment) for index in range(length)])


def _expect_n(expected: int) -> Callable[[dict[str, Any]], None]:
    def check(output: dict[str, Any]) -> None:
        assert output == {"n": expected}, f"expected n={expected}, got {output!r}"

    return check


def _chain_case(length: int, *, target: float | None) -> Case:
    return Case(
        name=f"chain{length}",
        title=f"{'(a) ' if target is not None else ''}chain of {length:,} nodes",
        build=lambda lib: _build_chain(lib, length),
        make_input=lambda: {"n": 0},
        steps=INPUT_STEP + length,
        tasks=length,
        check=_expect_n(length),
        target=target,
        scaling=True,
    )


# ---- (c) fan-out: one node sends 100 tasks to a worker, results reduced with operator.add ------


class FanOut(TypedDict):
    width: int
    results: Annotated[list[int], operator.add]


def _dispatch(state: FanOut) -> dict[str, Any]:
    return {}


def _work(item: int) -> dict[str, list[int]]:
    return {"results": [item]}


def _build_fanout(lib: Library) -> Any:
    def fan(state: FanOut) -> list[Any]:
        return [lib.send("work", index) for index in range(state["width"])]

    graph = lib.state_graph(FanOut)
    graph.add_node("dispatch", _dispatch)
    graph.add_node("work", _work)
    graph.add_edge(lib.start, "dispatch")
    graph.add_conditional_edges("dispatch", fan, ["work"])
    graph.add_edge("work", lib.end)
    return graph.compile()


def _check_fanout(output: dict[str, Any]) -> None:
    assert sorted(output["results"]) == list(range(FANOUT_WIDTH)), output


FANOUT = Case(
    name="fanout100",
    title=f"(c) fan-out of {FANOUT_WIDTH} Sends",
    build=_build_fanout,
    make_input=lambda: {"width": FANOUT_WIDTH, "results": []},
    steps=INPUT_STEP + 2,  # then dispatch, then the 100 workers
    tasks=1 + FANOUT_WIDTH,
    check=_check_fanout,
)


# ---- (d) cycle: a -> b -> a until the counter reaches 1,000 ----------------------------------


def _build_cycle(lib: Library) -> Any:
    def route(state: Counter) -> str:
        return lib.end if state["n"] >= CYCLE_STEPS else "a"

    graph = lib.state_graph(Counter)
    graph.add_node("a", _increment)
    graph.add_node("b", _increment)
    graph.add_edge(lib.start, "a")
    graph.add_edge("a", "b")
    graph.add_conditional_edges("b", route, ["a", lib.end])
    return graph.compile()


CYCLE = Case(
    name="cycle1000",
    title=f"(d) 2-node cycle, {CYCLE_STEPS:,} steps",
    build=_build_cycle,
    make_input=lambda: {"n": 0},
    steps=INPUT_STEP + CYCLE_STEPS,
    tasks=CYCLE_STEPS,
    check=_expect_n(CYCLE_STEPS),
)


# ---- (e) wide state: 300 keys written by 10 nodes, in sequence or in parallel ----------------

WIDE_KEY_NAMES = tuple(f"k{index:03d}" for index in range(WIDE_KEYS))
# Functional syntax: 300 keys are not worth spelling out.
Wide = TypedDict("Wide", {key: int for key in WIDE_KEY_NAMES})  # type: ignore[misc]


def _bump(keys: tuple[str, ...]) -> Callable[[dict[str, Any]], dict[str, int]]:
    def bump(state: dict[str, Any]) -> dict[str, int]:
        return {key: state[key] + 1 for key in keys}

    return bump


def _join(state: dict[str, Any]) -> dict[str, Any]:
    return {}


def _build_wide_sequential(lib: Library) -> Any:
    writers = [(f"w{index}", _bump(WIDE_KEY_NAMES)) for index in range(WIDE_WRITERS)]
    return _compile_sequence(lib, Wide, writers)


def _build_wide_parallel(lib: Library) -> Any:
    graph = lib.state_graph(Wide)
    width = WIDE_KEYS // WIDE_WRITERS
    names = [f"w{index}" for index in range(WIDE_WRITERS)]
    for index, name in enumerate(names):
        graph.add_node(name, _bump(WIDE_KEY_NAMES[index * width : (index + 1) * width]))
        graph.add_edge(lib.start, name)
    graph.add_node("join", _join)
    graph.add_edge(names, "join")
    graph.add_edge("join", lib.end)
    return graph.compile()


def _expect_all(expected: int) -> Callable[[dict[str, Any]], None]:
    def check(output: dict[str, Any]) -> None:
        wrong = {key: value for key, value in output.items() if value != expected}
        assert len(output) == WIDE_KEYS and not wrong, f"keys not equal to {expected}: {wrong}"

    return check


WIDE_SEQUENTIAL = Case(
    name="wide_seq",
    title=f"(e) {WIDE_KEYS}-key state, {WIDE_WRITERS} sequential writers",
    build=_build_wide_sequential,
    make_input=lambda: dict.fromkeys(WIDE_KEY_NAMES, 0),
    steps=INPUT_STEP + WIDE_WRITERS,
    tasks=WIDE_WRITERS,
    check=_expect_all(WIDE_WRITERS),
)

WIDE_PARALLEL = Case(
    name="wide_par",
    title=f"(e) {WIDE_KEYS}-key state, {WIDE_WRITERS} parallel writers + join",
    build=_build_wide_parallel,
    make_input=lambda: dict.fromkeys(WIDE_KEY_NAMES, 0),
    steps=INPUT_STEP + 2,  # then the 10 writers, then join
    tasks=WIDE_WRITERS + 1,
    check=_expect_all(1),
)


CASES: tuple[Case, ...] = (
    _chain_case(10, target=None),
    _chain_case(100, target=ENGINE_TARGET),
    _chain_case(1_000, target=None),
    FANOUT,
    CYCLE,
    WIDE_SEQUENTIAL,
    WIDE_PARALLEL,
    FANOUT_TO_SUBGRAPH,
)


def select(names: Iterable[str]) -> list[Case]:
    """The cases called ``names``, in the order of ``CASES``.

    Raises:
        ValueError: a name is not one of ``CASES``.
    """
    wanted = set(names)
    known = {case.name for case in CASES}
    unknown = sorted(wanted - known)
    if unknown:
        raise ValueError(
            f"unknown case {', '.join(map(repr, unknown))} (must be one of {sorted(known)})"
        )
    return [case for case in CASES if case.name in wanted]
