"""A catalogue of state graphs that can be built with nbpregel or with LangGraph.

Each ``GraphCase`` has a ``build(lib)`` function that declares the same graph with whatever
``lib`` provides (``StateGraph``, ``START``, ``END``, ``Send``, ``Command``), so the differential
tests build every graph twice, once with ``nbpregel`` and once with ``langgraph``, and compare what
the two runs stream. The engine's own tests use the catalogue too (``build(NBPREGEL)``).

Node functions are pure functions of their input so that two runs can be compared; a node that
sleeps does so to shuffle the order in which parallel tasks finish, never to change its output.

This module deliberately has no ``from __future__ import annotations``: node signatures such as
``-> lib.Command[Literal["b", "c"]]`` and ``(state: Private)`` are evaluated when the graph is
built, so that both libraries see real types.
"""

import asyncio
import copy
import dataclasses
import operator
import random
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypedDict

import pydantic

__all__ = ["CASES", "NBPREGEL", "GraphCase", "Lib", "case", "fresh", "langgraph_lib"]


@dataclasses.dataclass(frozen=True)
class Lib:
    """The names a catalogue graph is built from (one library's spelling of them)."""

    name: str
    StateGraph: Any
    START: str
    END: str
    Send: Any
    Command: Any


def _nbpregel_lib() -> Lib:
    import nbpregel as nb

    return Lib("nbpregel", nb.StateGraph, nb.START, nb.END, nb.Send, nb.Command)


def langgraph_lib() -> Lib:
    """LangGraph's spelling (imported on demand: LangGraph is a test-only dependency)."""
    from langgraph import graph, types

    return Lib("langgraph", graph.StateGraph, graph.START, graph.END, types.Send, types.Command)


NBPREGEL = _nbpregel_lib()


@dataclasses.dataclass(frozen=True)
class GraphCase:
    """One catalogue entry.

    Attributes:
        id: the test id.
        build: ``build(lib)`` returns the compiled graph.
        input: the graph's input (a fresh deep copy is used for every run).
        config: the run config (``recursion_limit`` ...), or ``None``.
        is_async: the graph has async nodes (run it with ``ainvoke`` / ``astream``).
        raises: the name of the exception type the run ends with, if it fails on purpose.
    """

    id: str
    build: Callable[[Lib], Any]
    input: Any
    config: dict[str, Any] | None = None
    is_async: bool = False
    raises: str | None = None


CASES: dict[str, GraphCase] = {}


def fresh(value: Any) -> Any:
    """A deep copy of a case's input, so that no run sees another run's mutations."""
    return copy.deepcopy(value)


def case(
    input: Any,
    *,
    config: dict[str, Any] | None = None,
    is_async: bool = False,
    raises: str | None = None,
) -> Callable[[Callable[[Lib], Any]], Callable[[Lib], Any]]:
    """Register ``build`` under its own name (without the ``build_`` prefix)."""

    def register(build: Callable[[Lib], Any]) -> Callable[[Lib], Any]:
        name = build.__name__.removeprefix("build_")
        CASES[name] = GraphCase(name, build, input, config, is_async, raises)
        return build

    return register


# -- schemas -------------------------------------------------------------------------------


class Log(TypedDict):
    """A log every node appends to, and one plain value."""

    log: Annotated[list, operator.add]
    n: int


class Text(TypedDict):
    text: str


class Counter(TypedDict):
    n: int
    log: Annotated[list, operator.add]


class MapReduce(TypedDict):
    items: list[str]
    results: Annotated[list, operator.add]
    summary: str


@dataclasses.dataclass
class DataState:
    name: str
    steps: Annotated[list, operator.add] = dataclasses.field(default_factory=list)
    count: int = 0


class PydanticState(pydantic.BaseModel):
    name: str
    steps: Annotated[list, operator.add] = []
    count: int = 0


class Question(TypedDict):
    question: str


class Answer(TypedDict):
    answer: str


class Full(TypedDict):
    question: str
    answer: str
    scratch: str


class Private(TypedDict):
    secret: str


class Public(TypedDict):
    text: str
    out: str


def _append(label: str, **extra: Any) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        return {"log": [label], **extra}

    node.__name__ = label
    return node


def _sleepy(label: str, seconds: float) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        time.sleep(seconds * random.random())
        return {"log": [label]}

    node.__name__ = label
    return node


# -- plain edges ---------------------------------------------------------------------------


@case({"log": [], "n": 0})
def build_chain(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_node("a", _append("a", n=1))
    g.add_node("b", lambda s: {"log": ["b"], "n": s["n"] + 1})
    g.add_node("c", lambda s: {"log": [f"c{s['n']}"], "n": s["n"] * 10})
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", lib.END)
    return g.compile()


@case({"log": [], "n": 0})
def build_sequence(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_sequence([("one", _append("one")), ("two", _append("two", n=2))])
    g.add_edge(lib.START, "one")
    return g.compile()


@case({"log": ["in"], "n": 0})
def build_fan_out_in(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    for name in ("a", "b", "c", "d"):
        g.add_node(name, _append(name))
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c")
    g.add_edge("b", "d")
    g.add_edge("c", "d")
    g.add_edge("d", lib.END)
    return g.compile()


@case({"log": [], "n": 0})
def build_fan_in_3way(lib: Lib) -> Any:
    """Three parallel nodes that finish in random order; the reducer order must not change."""
    g = lib.StateGraph(Log)
    g.add_node("fork", _append("fork"))
    for name in ("z3", "a1", "m2"):
        g.add_node(name, _sleepy(name, 0.02))
        g.add_edge("fork", name)
        g.add_edge(name, "join")
    g.add_node("join", _append("join"))
    g.add_edge(lib.START, "fork")
    return g.compile()


def _uneven(lib: Lib, *, defer: bool = False) -> Any:
    """Branches of length 1 (``a -> b``) and 2 (``a -> c1 -> c2``) towards ``d``, not joined yet."""
    g = lib.StateGraph(Log)
    for name in ("a", "b", "c1", "c2"):
        g.add_node(name, _append(name))
    g.add_node("d", _append("d"), defer=defer)
    g.add_edge(lib.START, "a")
    g.add_edge("a", "b")
    g.add_edge("a", "c1")
    g.add_edge("c1", "c2")
    return g


@case({"log": [], "n": 0})
def build_join(lib: Lib) -> Any:
    """``add_edge([b, c2], d)``: d waits for both branches, the long one included."""
    g = _uneven(lib)
    g.add_edge(["b", "c2"], "d")
    g.add_edge("d", lib.END)
    return g.compile()


@case({"log": [], "n": 0})
def build_uneven_no_join(lib: Lib) -> Any:
    """Branches of length 1 and 2 into d without a join: d runs once per branch."""
    g = _uneven(lib)
    g.add_edge("b", "d")
    g.add_edge("c2", "d")
    return g.compile()


@case({"log": [], "n": 0})
def build_defer(lib: Lib) -> Any:
    """The same uneven branches, but d is deferred: it runs once, after everything else."""
    g = _uneven(lib, defer=True)
    g.add_edge("b", "d")
    g.add_edge("c2", "d")
    return g.compile()


@case({"log": [], "n": 0})
def build_defer_join(lib: Lib) -> Any:
    """A deferred join target."""
    g = _uneven(lib, defer=True)
    g.add_edge(["b", "c2"], "d")
    return g.compile()


@case({"log": [], "n": 0})
def build_returns_none(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_node("quiet", lambda s: None)
    g.add_node("loud", _append("loud", n=5))
    g.add_node("quiet_again", lambda s: None)
    g.add_edge(lib.START, "quiet")
    g.add_edge("quiet", "loud")
    g.add_edge("loud", "quiet_again")
    return g.compile()


# -- conditional edges ---------------------------------------------------------------------


@case({"log": [], "n": 7})
def build_conditional_map(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_node("check", _append("check"))
    g.add_node("odd", _append("odd"))
    g.add_node("even", _append("even"))
    g.add_edge(lib.START, "check")
    g.add_conditional_edges("check", lambda s: s["n"] % 2 == 0, {True: "even", False: "odd"})
    g.add_edge("odd", lib.END)
    g.add_edge("even", lib.END)
    return g.compile()


@case({"log": [], "n": 0})
def build_conditional_map_to_end(lib: Lib) -> Any:
    """A path map whose answers include END; the loop stops after three laps."""
    g = lib.StateGraph(Log)
    g.add_node("lap", lambda s: {"log": [f"lap{s['n']}"], "n": s["n"] + 1})
    g.add_edge(lib.START, "lap")
    g.add_conditional_edges(
        "lap", lambda s: "stop" if s["n"] >= 3 else "again", {"again": "lap", "stop": lib.END}
    )
    return g.compile()


@case({"log": [], "n": 2})
def build_conditional_list(lib: Lib) -> Any:
    """The routing function returns a list of node names: all of them run."""
    g = lib.StateGraph(Log)
    for name in ("start", "x", "y", "z"):
        g.add_node(name, _append(name))
    g.add_edge(lib.START, "start")
    g.add_conditional_edges("start", lambda s: ["z", "x"][: s["n"]], ["x", "y", "z"])
    return g.compile()


@case({"log": [], "n": 3})
def build_conditional_end(lib: Lib) -> Any:
    """Routes straight to END when ``n`` is odd."""
    g = lib.StateGraph(Log)
    g.add_node("gate", _append("gate"))
    g.add_node("work", _append("work"))
    g.add_edge(lib.START, "gate")
    g.add_conditional_edges("gate", lambda s: lib.END if s["n"] % 2 else "work")
    return g.compile()


@case({"log": [], "n": 1})
def build_conditional_entry(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_node("low", _append("low"))
    g.add_node("high", _append("high"))
    g.set_conditional_entry_point(lambda s: "high" if s["n"] > 0 else "low", ["low", "high"])
    return g.compile()


@case({"n": 0, "log": []})
def build_cycle_counter(lib: Lib) -> Any:
    g = lib.StateGraph(Counter)
    g.add_node("inc", lambda s: {"n": s["n"] + 1, "log": [s["n"]]})
    g.add_edge(lib.START, "inc")
    g.add_conditional_edges("inc", lambda s: "inc" if s["n"] < 5 else lib.END)
    return g.compile()


@case({"n": 0, "log": []}, config={"recursion_limit": 6}, raises="GraphRecursionError")
def build_endless_cycle(lib: Lib) -> Any:
    """A cycle whose exit condition is never met: the recursion limit stops it."""
    g = lib.StateGraph(Counter)
    g.add_node("inc", lambda s: {"n": s["n"] + 1})
    g.add_edge(lib.START, "inc")
    g.add_conditional_edges("inc", lambda s: "inc" if s["n"] >= 0 else lib.END)
    return g.compile()


@case({"log": [], "n": 0})
def build_two_branches_from_one_node(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    for name in ("a", "b", "c"):
        g.add_node(name, _append(name))
    g.add_edge(lib.START, "a")

    def to_b(state: Log) -> str:
        return "b"

    def to_c(state: Log) -> list[str]:
        return ["c"]

    g.add_conditional_edges("a", to_b, ["b"])
    g.add_conditional_edges("a", to_c, ["c"])
    return g.compile()


# -- Send and Command ----------------------------------------------------------------------


@case({"items": ["pear", "fig", "apple", "kiwi"], "results": [], "summary": ""})
def build_send_map_reduce(lib: Lib) -> Any:
    g = lib.StateGraph(MapReduce)

    def work(arg: dict[str, Any]) -> dict[str, Any]:
        time.sleep(0.01 * random.random())
        return {"results": [arg["item"].upper()]}

    g.add_node("plan", lambda s: {"summary": "planned"})
    g.add_node("work", work)
    g.add_node("reduce", lambda s: {"summary": "+".join(s["results"])})
    g.add_edge(lib.START, "plan")
    g.add_conditional_edges(
        "plan", lambda s: [lib.Send("work", {"item": item}) for item in s["items"]]
    )
    g.add_edge("work", "reduce")
    return g.compile()


@case({"log": [], "n": 4})
def build_send_and_names(lib: Lib) -> Any:
    """A routing function returning Sends and a node name together."""
    g = lib.StateGraph(Log)
    g.add_node("fork", _append("fork"))
    g.add_node("each", lambda arg: {"log": [f"each{arg}"]})
    g.add_node("other", _append("other"))
    g.add_edge(lib.START, "fork")
    g.add_conditional_edges(
        "fork", lambda s: [*(lib.Send("each", i) for i in range(s["n"])), "other"]
    )
    return g.compile()


@case({"log": [], "n": 0})
def build_command_goto(lib: Lib) -> Any:
    def decide(state: Log) -> lib.Command[Literal["left", "right"]]:
        return lib.Command(goto="right", update={"log": ["decide"], "n": 42})

    g = lib.StateGraph(Log)
    g.add_node("decide", decide)
    g.add_node("left", _append("left"))
    g.add_node("right", lambda s: {"log": [f"right{s['n']}"]})
    g.add_edge(lib.START, "decide")
    return g.compile()


@case({"log": [], "n": 3})
def build_command_send(lib: Lib) -> Any:
    """``Command(goto=[Send, ...])`` plus a static edge from the same node."""

    def spread(state: Log) -> Any:
        return lib.Command(
            update={"log": ["spread"]},
            goto=[lib.Send("leaf", {"i": i}) for i in range(state["n"])],
        )

    g = lib.StateGraph(Log)
    g.add_node("spread", spread, destinations=("leaf",))
    g.add_node("leaf", lambda arg: {"log": [f"leaf{arg['i']}"]})
    g.add_node("after", _append("after"))
    g.add_edge(lib.START, "spread")
    g.add_edge("spread", "after")
    return g.compile()


@case({"n": 0, "log": []})
def build_command_loop(lib: Lib) -> Any:
    """A cycle driven by ``Command(goto=...)`` alone, no edges."""

    def step(state: Counter) -> Any:
        if state["n"] >= 3:
            return lib.Command(goto=lib.END, update={"log": ["done"]})
        return lib.Command(goto="step", update={"n": state["n"] + 1, "log": [state["n"]]})

    g = lib.StateGraph(Counter)
    g.add_node("step", step, destinations=("step",))
    g.add_edge(lib.START, "step")
    return g.compile()


# -- schemas -------------------------------------------------------------------------------


def _two_counting_steps(lib: Lib, schema: type) -> Any:
    """Two nodes in a row reading the state as attributes (``s.name``), as ``schema`` makes it."""
    g = lib.StateGraph(schema)
    g.add_node("first", lambda s: {"steps": [f"{s.name}-1"], "count": s.count + 1})
    g.add_node("second", lambda s: {"steps": [f"{s.name}-2"], "count": s.count + 1})
    g.add_edge(lib.START, "first")
    g.add_edge("first", "second")
    return g.compile()


@case({"name": "dc"})
def build_dataclass_state(lib: Lib) -> Any:
    return _two_counting_steps(lib, DataState)


@case({"name": "pd"})
def build_pydantic_state(lib: Lib) -> Any:
    return _two_counting_steps(lib, PydanticState)


@case({"question": "why?"})
def build_input_output_schemas(lib: Lib) -> Any:
    g = lib.StateGraph(Full, input_schema=Question, output_schema=Answer)
    g.add_node("think", lambda s: {"scratch": s["question"] + " because"})
    g.add_node("answer", lambda s: {"answer": s["scratch"] + "."})
    g.add_edge(lib.START, "think")
    g.add_edge("think", "answer")
    return g.compile()


def _reveal(state: Private) -> dict[str, Any]:
    return {"out": state["secret"] * 2}


@case({"text": "ab"})
def build_private_input_schema(lib: Lib) -> Any:
    """A node writes a key that only a node with its own input schema reads."""
    g = lib.StateGraph(Public)
    g.add_node("hide", lambda s: {"secret": s["text"] + "!"})
    g.add_node("reveal", _reveal)
    g.add_edge(lib.START, "hide")
    g.add_edge("hide", "reveal")
    return g.compile()


@case({"text": "ab"})
def build_private_input_schema_kwarg(lib: Lib) -> Any:
    """The same, with the schema given as ``add_node(..., input_schema=)``."""
    g = lib.StateGraph(Public)
    g.add_node("hide", lambda s: {"secret": s["text"] + "?"})
    g.add_node("reveal", lambda s: {"out": s["secret"] + str(sorted(s))}, input_schema=Private)
    g.add_edge(lib.START, "hide")
    g.add_edge("hide", "reveal")
    return g.compile()


# -- a wide state: more keys than the engine reads one by one -----------------------------

WIDE_KEYS = tuple(f"k{index:02d}" for index in range(20))
# Functional syntax: twenty keys are not worth spelling out; ``log`` takes a reducer.
Wide = TypedDict(  # type: ignore[misc]
    "Wide", {**dict.fromkeys(WIDE_KEYS, int), "log": Annotated[list, operator.add]}
)


def _wide_writer(label: str, keys: tuple[str, ...]) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        seen = sum(state[key] for key in WIDE_KEYS if key in state)
        return {"log": [f"{label}{seen}"], **{key: state.get(key, 0) + 1 for key in keys}}

    node.__name__ = label
    return node


def _wide_join(state: Any) -> dict[str, Any]:
    state["k05"] = -100  # changing the input dict must not change the state
    return {"log": [f"d{list(state)}"], "k19": state["k19"] * 2}  # keys in state order


@case({"log": [], **{key: index for index, key in enumerate(WIDE_KEYS[:12])}})
def build_wide_state(lib: Lib) -> Any:
    """Sequential and parallel writers, a fan-in and a loop, over a state of many keys."""
    g = lib.StateGraph(Wide)
    g.add_node("a", _wide_writer("a", WIDE_KEYS[:10]))
    g.add_node("b", _wide_writer("b", WIDE_KEYS[10:15]))
    g.add_node("c", _wide_writer("c", WIDE_KEYS[15:]))
    g.add_node("d", _wide_join)
    g.add_edge(lib.START, "a")
    for name in ("b", "c"):
        g.add_edge("a", name)
        g.add_edge(name, "d")
    g.add_conditional_edges("d", lambda s: "a" if s["k00"] < 2 else lib.END, ["a", lib.END])
    return g.compile()


# -- async ---------------------------------------------------------------------------------


def _async_append(label: str) -> Callable[[Any], Any]:
    async def node(state: Any) -> dict[str, Any]:
        await asyncio.sleep(0.01 * random.random())
        return {"log": [label]}

    node.__name__ = label
    return node


@case({"log": [], "n": 0}, is_async=True)
def build_async_fan_out(lib: Lib) -> Any:
    g = lib.StateGraph(Log)
    g.add_node("a", _async_append("a"))
    for name in ("c", "b"):
        g.add_node(name, _async_append(name))
        g.add_edge("a", name)
        g.add_edge(name, "d")
    g.add_node("d", _append("d", n=1))  # a sync node in an async graph
    g.add_edge(lib.START, "a")
    return g.compile()
