"""Small graphs whose runs the notebook tests record, view, answer and export.

No ``from __future__ import annotations`` here: the state schemas' ``Annotated`` reducers must be
real objects when the graphs are built.
"""

import asyncio
import operator
import threading
from pathlib import Path
from typing import Annotated, Any, TypedDict

from nbpregel import END, START, RetryPolicy, Send, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver, SqliteSaver

HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_NODE = "<img src=x onerror=alert(1)>"
SAVERS = ("memory", "sqlite")


def make_saver(kind: str, tmp_path: Path) -> Any:
    """A fresh checkpointer: ``memory`` or ``sqlite`` (a file under ``tmp_path``)."""
    return InMemorySaver() if kind == "memory" else SqliteSaver(tmp_path / "runs.db")


class FanState(TypedDict, total=False):
    topic: str
    items: Annotated[list[str], operator.add]
    answer: str


def fanout_graph(saver: Any = None) -> Any:
    """START -> a, b (parallel) -> join fan -> Send x2 worker -> ask (options interrupt) -> END."""

    def fan(state: FanState) -> dict[str, Any]:
        return {}

    def route(state: FanState) -> list[Send]:
        return [Send("worker", {"topic": str(i)}) for i in range(2)]

    def ask(state: FanState) -> dict[str, Any]:
        return {"answer": interrupt({"question": "Approve?", "options": ["yes", "no"]})}

    builder = StateGraph(FanState)
    builder.add_node("a", lambda state: {"items": ["a"]})
    builder.add_node("b", lambda state: {"items": ["b"]})
    builder.add_node("fan", fan)
    builder.add_node("worker", lambda state: {"items": ["w" + state["topic"]]})
    builder.add_node("ask", ask)
    builder.add_edge(START, "a")
    builder.add_edge(START, "b")
    builder.add_edge(["a", "b"], "fan")
    builder.add_conditional_edges("fan", route, ["worker"])
    builder.add_edge("worker", "ask")
    builder.add_edge("ask", END)
    return builder.compile(checkpointer=saver or InMemorySaver())


class Flaky(Exception):
    """A failure that the default retry policy retries."""


class CountState(TypedDict, total=False):
    count: int
    text: str


def retry_graph(failures: int = 2) -> Any:
    """START -> flaky (fails ``failures`` times, retried up to 3 attempts) -> END."""
    calls = {"n": 0}

    def flaky(state: CountState) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise Flaky(f"attempt {calls['n']}")
        return {"count": calls["n"]}

    builder = StateGraph(CountState)
    policy = RetryPolicy(max_attempts=3, initial_interval=0.001, jitter=False)
    builder.add_node("flaky", flaky, retry_policy=policy)
    builder.add_edge(START, "flaky")
    builder.add_edge("flaky", END)
    return builder.compile()


def error_graph() -> Any:
    """START -> ok -> boom (raises KeyError) -> END."""

    def boom(state: CountState) -> dict[str, Any]:
        raise KeyError("<b>missing</b>")

    builder = StateGraph(CountState)
    builder.add_node("ok", lambda state: {"count": 1})
    builder.add_node("boom", boom)
    builder.add_edge(START, "ok")
    builder.add_edge("ok", "boom")
    builder.add_edge("boom", END)
    return builder.compile()


class AskState(TypedDict, total=False):
    first: Any
    second: Any


def two_questions_graph(first: Any, second: Any, saver: Any = None) -> Any:
    """START -> q1, q2 in parallel, each interrupting with the given value -> END."""
    builder = StateGraph(AskState)
    builder.add_node("q1", lambda state: {"first": interrupt(first)})
    builder.add_node("q2", lambda state: {"second": interrupt(second)})
    builder.add_edge(START, "q1")
    builder.add_edge(START, "q2")
    builder.add_edge("q1", END)
    builder.add_edge("q2", END)
    return builder.compile(checkpointer=saver or InMemorySaver())


def one_question_graph(value: Any) -> Any:
    """START -> q (interrupts with ``value``, stores the answer in ``first``) -> END."""
    builder = StateGraph(AskState)
    builder.add_node("q", lambda state: {"first": interrupt(value)})
    builder.add_edge(START, "q")
    builder.add_edge("q", END)
    return builder.compile(checkpointer=InMemorySaver())


def gated_graph(gate: threading.Event, checkpointer: Any = None) -> Any:
    """START -> first -> slow (waits for ``gate``) -> last -> END; to watch a run mid-way."""

    def slow(state: CountState) -> dict[str, Any]:
        if not gate.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return {"count": state["count"] + 1}

    builder = StateGraph(CountState)
    builder.add_node("first", lambda state: {"count": state["count"] + 1})
    builder.add_node("slow", slow)
    builder.add_node("last", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "first")
    builder.add_edge("first", "slow")
    builder.add_edge("slow", "last")
    builder.add_edge("last", END)
    return builder.compile(checkpointer=checkpointer)


def breakpoint_graph() -> Any:
    """START -> x -> END, paused before ``x`` (``interrupt_before``)."""
    builder = StateGraph(CountState)
    builder.add_node("x", lambda state: {"count": state["count"] * 10})
    builder.add_edge(START, "x")
    builder.add_edge("x", END)
    return builder.compile(checkpointer=InMemorySaver(), interrupt_before=["x"])


def async_graph() -> Any:
    """START -> fetch (async) -> END."""

    async def fetch(state: CountState) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"text": f"fetched {state['count']}"}

    builder = StateGraph(CountState)
    builder.add_node("fetch", fetch)
    builder.add_edge(START, "fetch")
    builder.add_edge("fetch", END)
    return builder.compile()


def hostile_graph() -> Any:
    """START -> <hostile node> (writes hostile text) -> END."""
    builder = StateGraph(CountState)
    builder.add_node(HOSTILE_NODE, lambda state: {"text": HOSTILE})
    builder.add_edge(START, HOSTILE_NODE)
    builder.add_edge(HOSTILE_NODE, END)
    return builder.compile()


def chain_graph(n: int, checkpointer: Any = None) -> Any:
    """START -> n0 -> n1 -> ... -> n{n-1} -> END, each adding one to ``count``."""
    builder = StateGraph(CountState)
    for i in range(n):
        builder.add_node(f"n{i}", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "n0")
    for i in range(n - 1):
        builder.add_edge(f"n{i}", f"n{i + 1}")
    builder.add_edge(f"n{n - 1}", END)
    return builder.compile(checkpointer=checkpointer)


class Lib:
    """The builder names a graph needs, from nbpregel (default) or from LangGraph."""

    def __init__(self, state_graph: Any = StateGraph, start: str = START, end: str = END) -> None:
        self.StateGraph, self.START, self.END = state_graph, start, end


def nested_graph(lib: Lib | None = None, saver: Any = None) -> Any:
    """START -> a -> sub -> END, where sub is START -> s1 -> inner -> END and inner is
    START -> i1 -> END: each node adds to ``count`` (a: +1, s1: +10, i1: +100)."""
    lib = lib or Lib()

    def adds(amount: int) -> Any:
        return lambda state: {"count": state["count"] + amount}

    def line(*nodes: tuple[str, Any]) -> Any:
        builder = lib.StateGraph(CountState)
        previous = lib.START
        for name, action in nodes:
            builder.add_node(name, action)
            builder.add_edge(previous, name)
            previous = name
        builder.add_edge(previous, lib.END)
        return builder

    inner = line(("i1", adds(100))).compile()
    sub = line(("s1", adds(10)), ("inner", inner)).compile()
    return line(("a", adds(1)), ("sub", sub)).compile(checkpointer=saver)


def subgraph_question_graph() -> Any:
    """START -> a -> sub -> END; sub is START -> ask (an ``options`` interrupt) -> END."""

    def ask(state: CountState) -> dict[str, Any]:
        return {"text": interrupt({"question": "Approve?", "options": ["yes", "no"]})}

    sub = StateGraph(CountState)
    sub.add_node("ask", ask)
    sub.add_edge(START, "ask")
    sub.add_edge("ask", END)
    builder = StateGraph(CountState)
    builder.add_node("a", lambda state: {"count": state["count"] + 1})
    builder.add_node("sub", sub.compile())
    builder.add_edge(START, "a")
    builder.add_edge("a", "sub")
    builder.add_edge("sub", END)
    return builder.compile(checkpointer=InMemorySaver())
