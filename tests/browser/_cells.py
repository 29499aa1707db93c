"""Code cells of the small notebooks that the browser tests serve with Voila.

The graph cells are plain source text: the notebook runs them in Voila's kernel, and the tests
run the same text in the test process (:func:`build`) to know what the page should show.
"""

from __future__ import annotations

from typing import Any, Final

REVIEW_GRAPH: Final = """
import operator
from typing import Annotated, TypedDict

import nbpregel as nb
from nbpregel import END, START, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver


class State(TypedDict, total=False):
    topic: str
    notes: Annotated[list[str], operator.add]
    verdict: str


def fetch(state):
    return {"notes": ["fetched " + state["topic"]]}


def left(state):
    return {"notes": ["left"]}


def right(state):
    return {"notes": ["right"]}


def merge(state):
    return {"notes": ["merged"]}


def review(state):
    return {"verdict": interrupt({"question": "Approve?", "options": ["yes", "no"]})}


builder = StateGraph(State)
for node in (fetch, left, right, merge, review):
    builder.add_node(node.__name__, node)
builder.add_edge(START, "fetch")
builder.add_edge("fetch", "left")
builder.add_edge("fetch", "right")
builder.add_edge(["left", "right"], "merge")
builder.add_edge("merge", "review")
builder.add_conditional_edges("review", lambda s: END if s["verdict"] == "yes" else "fetch",
                              ["fetch", END])
graph = builder.compile(checkpointer=InMemorySaver())
"""
"""A run of this graph pauses at step 4, in ``review``; answering ``"yes"`` ends it."""

REVIEW_STEPS: Final = {
    0: {"__start__": "done"},
    1: {"fetch": "done"},
    2: {"left": "done", "right": "done"},
    3: {"merge": "done"},
    4: {"review": "interrupted"},
}
"""The lit nodes of each step of the paused run: what the BSP model says must happen."""

EVIL_NODE: Final = "<img src=x onerror=alert(1)>"
EVIL_VALUE: Final = "<script>alert(1)</script>"
EVIL_QUESTION: Final = "<img src=y onerror=alert(2)>"
EVIL_OPTION: Final = "<script>alert(3)</script>"

HOSTILE_GRAPH: Final = f"""
from typing import TypedDict

import nbpregel as nb
from nbpregel import END, START, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver


class State(TypedDict, total=False):
    payload: str
    answer: str


def evil(state):
    return {{"payload": {EVIL_VALUE!r}}}


def ask(state):
    options = [{EVIL_OPTION!r}, "fine"]
    return {{"answer": interrupt({{"question": {EVIL_QUESTION!r}, "options": options}})}}


builder = StateGraph(State)
builder.add_node({EVIL_NODE!r}, evil)
builder.add_node("ask", ask)
builder.add_edge(START, {EVIL_NODE!r})
builder.add_edge({EVIL_NODE!r}, "ask")
builder.add_edge("ask", END)
graph = builder.compile(checkpointer=InMemorySaver())
"""
"""A node whose name is markup, a state value that is a script, and a prompt made of both."""

LOOP_GRAPH: Final = """
import time
from typing import TypedDict

import nbpregel as nb
from nbpregel import END, START, StateGraph
from nbpregel.checkpoint import InMemorySaver


class Count(TypedDict):
    n: int


def tick(state):
    time.sleep(0.05)
    return {"n": state["n"] + 1}


builder = StateGraph(Count)
builder.add_node("tick", tick)
builder.add_edge(START, "tick")
builder.add_conditional_edges("tick", lambda s: END if s["n"] >= 2000 else "tick", ["tick", END])
graph = builder.compile(checkpointer=InMemorySaver())
"""
"""A loop of 2,000 steps of 50 ms: still running when a test clicks its view's stop button."""

RUN_LOOP: Final = """
run = nb.run(graph, {"n": 0}, {"configurable": {"thread_id": "stop"}, "recursion_limit": 5000})
run
"""

SHOW: Final = "nb.show(graph)"
RUN_PAUSED: Final = """
run = nb.run(graph, INPUT, {"configurable": {"thread_id": "browser-test"}})
assert run.wait() == "interrupted", run.run.error
run
"""


def run_cell(input_value: dict[str, Any]) -> str:
    """A cell that runs ``graph`` on ``input_value`` until its interrupt and shows the view."""
    return RUN_PAUSED.replace("INPUT", repr(input_value))


def build(source: str) -> Any:
    """Run a graph cell here, in the test process, and return its compiled ``graph``."""
    namespace: dict[str, Any] = {}
    # dont_inherit: the cell must not pick up this module's `from __future__ import annotations`.
    exec(compile(source, "<graph cell>", "exec", dont_inherit=True), namespace)
    return namespace["graph"]
