"""The benchmark graphs, built the same way with nbpregel and with LangGraph.

Both libraries share LangGraph's builder API, so each builder takes a ``Library`` (the handful of
names it needs) and returns a compiled graph; the graph's shape never depends on the library.

Supersteps are counted as the recursion limit counts them: the input step (where the hidden
``__start__`` task writes the input) plus one step per round of node tasks. ``Case.steps`` is
therefore the smallest ``recursion_limit`` the run succeeds with, which ``_measure._verify``
checks on both libraries before anything is timed. ``Case.tasks`` counts the graph's own node
tasks (not the hidden ``__start__`` task).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Annotated, Any, TypedDict

__all__ = ["CASES", "Case", "Library", "load_libraries"]

CYCLE_STEPS = 1_000
FANOUT_WIDTH = 100
WIDE_KEYS = 300
WIDE_WRITERS = 10
# Every run starts with the input step (the hidden __start__ task), counted like any other.
INPUT_STEP = 1


@dataclass(frozen=True)
class Library:
    """The names a benchmark needs from one library, plus the version measured."""

    name: str
    version: str
    state_graph: Any
    send: Any
    start: str
    end: str
    recursion_error: type[Exception]


def load_libraries() -> tuple[Library, Library]:
    """Import nbpregel and LangGraph and return them as (nbpregel, LangGraph)."""
    import langgraph.errors
    import langgraph.graph
    import langgraph.types

    import nbpregel

    ours = Library(
        name="nbpregel",
        version=nbpregel.__version__,
        state_graph=nbpregel.StateGraph,
        send=nbpregel.Send,
        start=nbpregel.START,
        end=nbpregel.END,
        recursion_error=nbpregel.GraphRecursionError,
    )
    theirs = Library(
        name="LangGraph",
        version=metadata.version("langgraph"),
        state_graph=langgraph.graph.StateGraph,
        send=langgraph.types.Send,
        start=langgraph.graph.START,
        end=langgraph.graph.END,
        recursion_error=langgraph.errors.GraphRecursionError,
    )
    return ours, theirs


@dataclass(frozen=True)
class Case:
    """One benchmark: a graph, its input, and exactly what one run does.

    Attributes:
        name: the id used by ``--only``.
        title: a short description for the table.
        build: compiles the graph with the given library.
        make_input: a fresh input for each run.
        steps: supersteps per run, counting the input step (= the minimal recursion limit).
        tasks: node tasks per run (the hidden ``__start__`` task is not counted).
        check: raises ``AssertionError`` when the output of a run is wrong.
        targets: whether the issue's per-superstep target applies.
        target_ratio: that target: how many times less time per superstep than LangGraph.
        scaling: whether the case is one of the chain lengths compared for per-step growth.
    """

    name: str
    title: str
    build: Callable[[Library], Any]
    make_input: Callable[[], dict[str, Any]]
    steps: int
    tasks: int
    check: Callable[[dict[str, Any]], None]
    targets: bool = True
    scaling: bool = False
    target_ratio: float = 10.0


# ---- (a) chain: k nodes in a row, each incrementing a counter --------------------------------


class Counter(TypedDict):
    n: int


def _increment(state: Counter) -> dict[str, int]:
    return {"n": state["n"] + 1}


def _build_chain(lib: Library, length: int) -> Any:
    graph = lib.state_graph(Counter)
    previous = lib.start
    for index in range(length):
        name = f"n{index}"
        graph.add_node(name, _increment)
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, lib.end)
    return graph.compile()


def _expect_n(expected: int) -> Callable[[dict[str, Any]], None]:
    def check(output: dict[str, Any]) -> None:
        assert output == {"n": expected}, f"expected n={expected}, got {output!r}"

    return check


def _chain_case(length: int, *, targets: bool) -> Case:
    return Case(
        name=f"chain{length}",
        title=f"{'(a) ' if targets else ''}chain of {length:,} nodes",
        build=lambda lib: _build_chain(lib, length),
        make_input=lambda: {"n": 0},
        steps=INPUT_STEP + length,
        tasks=length,
        check=_expect_n(length),
        targets=targets,
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
    graph = lib.state_graph(Wide)
    previous = lib.start
    for index in range(WIDE_WRITERS):
        name = f"w{index}"
        graph.add_node(name, _bump(WIDE_KEY_NAMES))
        graph.add_edge(previous, name)
        previous = name
    graph.add_edge(previous, lib.end)
    return graph.compile()


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
    _chain_case(10, targets=False),
    _chain_case(100, targets=True),
    _chain_case(1_000, targets=False),
    FANOUT,
    CYCLE,
    WIDE_SEQUENTIAL,
    WIDE_PARALLEL,
)

# The subgraph case lives in its own module; it needs the names above, hence the late import.
from _subgraph_case import FANOUT_TO_SUBGRAPH  # noqa: E402

CASES = (*CASES, FANOUT_TO_SUBGRAPH)
