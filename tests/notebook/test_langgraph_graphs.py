"""Graphs built with LangGraph itself, watched with ``nb.run`` and drawn with ``nb.show``.

The notebook layer reads a run's public stream only, so a LangGraph graph (say one a LangChain
helper built) can be watched without porting it: its ``get_graph()`` drawing is converted, its
``debug`` stream recorded, and an answer given in the view is sent as LangGraph's own
``Command``. Each test builds the same graph with both libraries and compares what the views
show, step by step.
"""

from __future__ import annotations

import asyncio
import operator
import re
from dataclasses import dataclass
from typing import Annotated, Any, TypedDict

import pytest
from waiting import TIMEOUT

from nbpregel.notebook import RunView, graph_mimebundle, run
from nbpregel.notebook.run import Driver, RunStatus

pytestmark = [pytest.mark.langgraph, pytest.mark.exe]  # every view draws its graph with `dot`
pytest.importorskip("langgraph")


class Review(TypedDict):
    log: Annotated[list[str], operator.add]
    count: int
    verdict: str


@dataclass(frozen=True)
class Lib:
    name: str
    StateGraph: Any
    START: str
    END: str
    interrupt: Any
    Command: Any
    saver: Any
    Send: Any


def nbpregel_lib() -> Lib:
    import nbpregel
    from nbpregel.checkpoint import InMemorySaver

    return Lib(
        "nbpregel",
        nbpregel.StateGraph,
        nbpregel.START,
        nbpregel.END,
        nbpregel.interrupt,
        nbpregel.Command,
        InMemorySaver,
        nbpregel.Send,
    )


def langgraph_lib() -> Lib:
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, Send, interrupt

    return Lib("langgraph", StateGraph, START, END, interrupt, Command, InMemorySaver, Send)


def review_loop(lib: Lib) -> Any:
    """``agent`` and ``tools`` loop twice, then ``review`` asks whether to ship (options)."""

    def agent(state: Review) -> dict[str, Any]:
        return {"log": ["agent"], "count": state["count"] + 1}

    def tools(state: Review) -> dict[str, Any]:
        return {"log": ["tools"]}

    def review(state: Review) -> dict[str, Any]:
        verdict = lib.interrupt({"question": "Ship it?", "options": ["yes", "no"]})
        return {"log": [f"review:{verdict}"], "verdict": verdict}

    def route(state: Review) -> str:
        return "tools" if state["count"] < 2 else "review"

    builder = lib.StateGraph(Review)
    builder.add_node("agent", agent)
    builder.add_node("tools", tools)
    builder.add_node("review", review)
    builder.add_edge(lib.START, "agent")
    builder.add_conditional_edges("agent", route, {"tools": "tools", "review": "review"})
    builder.add_edge("tools", "agent")
    builder.add_edge("review", lib.END)
    return builder.compile(checkpointer=lib.saver())


def watched(lib: Lib) -> RunView:
    view = run(review_loop(lib), {"log": [], "count": 0, "verdict": ""})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED, view.error
    return view


def step_by_step(view: RunView) -> list[tuple[Any, ...]]:
    """What the view shows at each step: the lit nodes and edges, and the step's tasks."""
    shown = []
    for step in range(view.slider.min, view.slider.max + 1):
        view.slider.value = step
        nodes = sorted(view.tasks[view.tasks.step == step].node.astype(str))
        shown.append((step, view.graph_view.node_states, view.graph_view.active_edges, nodes))
    return shown


def drawn_elements(graph: Any) -> set[tuple[str, str]]:
    """The ids and classes of the nodes and edges of ``graph``'s SVG."""
    svg = graph_mimebundle(graph)["image/svg+xml"]
    return set(re.findall(r'<g id="([ne]-[^"]*)" class="([^"]*)"', svg))


def test_a_langgraph_graph_is_drawn_like_the_same_nbpregel_graph() -> None:
    theirs = drawn_elements(review_loop(langgraph_lib()))
    assert theirs == drawn_elements(review_loop(nbpregel_lib()))
    assert ("n-__start__", "node nbp-node nbp-kind-start") in theirs
    assert ("e-agent-%3Etools", "edge nbp-edge nbp-conditional") in theirs


def test_a_langgraph_run_shows_the_same_steps_and_resumes_from_the_prompt() -> None:
    views = {lib.name: watched(lib) for lib in (nbpregel_lib(), langgraph_lib())}
    shown = {name: step_by_step(view) for name, view in views.items()}
    assert shown["langgraph"] == shown["nbpregel"]
    for view in views.values():
        (prompt,) = view.prompts.children
        assert [button.description for button in prompt.buttons] == ["yes", "no"]
        (yes,) = [button for button in prompt.buttons if button.description == "yes"]
        yes.click()  # LangGraph's run is resumed with LangGraph's Command
        assert view.wait(TIMEOUT) is RunStatus.DONE, view.error
        assert list(view.interrupts.answer) == ["yes"]
    states = {name: view.state() for name, view in views.items()}
    assert states["langgraph"] == states["nbpregel"]
    assert states["langgraph"]["verdict"] == "yes"
    assert step_by_step(views["langgraph"]) == step_by_step(views["nbpregel"])


def test_resume_from_code_sends_langgraph_s_command() -> None:
    view = watched(langgraph_lib())
    view.resume("no")
    assert view.wait(TIMEOUT) is RunStatus.DONE, view.error
    assert view.state()["log"][-1] == "review:no"


def fetch_then_sum(lib: Lib) -> Any:
    """An async node, then a subgraph whose one node is async too."""

    async def fetch(state: Review) -> dict[str, Any]:
        await asyncio.sleep(0.01)
        return {"log": ["fetch"], "count": state["count"] + 1}

    async def add(state: Review) -> dict[str, Any]:
        return {"log": ["add"], "count": state["count"] + 10}

    inner = lib.StateGraph(Review)
    inner.add_node("add", add)
    inner.add_edge(lib.START, "add")
    inner.add_edge("add", lib.END)
    builder = lib.StateGraph(Review)
    builder.add_node("fetch", fetch)
    builder.add_node("sub", inner.compile())
    builder.add_edge(lib.START, "fetch")
    builder.add_edge("fetch", "sub")
    builder.add_edge("sub", lib.END)
    return builder.compile(checkpointer=lib.saver())


def test_an_async_langgraph_graph_runs_on_its_async_api() -> None:
    states = {}
    for lib in (nbpregel_lib(), langgraph_lib()):
        view = run(fetch_then_sum(lib), {"log": [], "count": 0, "verdict": ""})
        assert view.wait(TIMEOUT) is RunStatus.DONE, view.run.error
        assert view.run.driver is Driver.ASYNC
        states[lib.name] = view.state()
    assert (
        states["langgraph"]
        == states["nbpregel"]
        == {
            "log": ["fetch", "fetch", "add"],  # the subgraph returns its whole log, appended
            "count": 11,
            "verdict": "",
        }
    )


def map_reduce(lib: Lib) -> Any:
    """``plan`` sends three ``work`` tasks (``Send``), then ``total`` sums their counts."""

    def plan(state: Review) -> dict[str, Any]:
        return {"log": ["plan"]}

    def spread(state: Review) -> list[Any]:
        return [lib.Send("work", {"log": [], "count": n, "verdict": ""}) for n in (1, 2, 3)]

    def work(state: Review) -> dict[str, Any]:
        return {"log": [f"work{state['count']}"]}

    def total(state: Review) -> dict[str, Any]:
        return {"log": ["total"], "count": len(state["log"])}

    builder = lib.StateGraph(Review)
    builder.add_node("plan", plan)
    builder.add_node("work", work)
    builder.add_node("total", total)
    builder.add_edge(lib.START, "plan")
    builder.add_conditional_edges("plan", spread, ["work"])
    builder.add_edge("work", "total")
    builder.add_edge("total", lib.END)
    return builder.compile(checkpointer=lib.saver())


def test_a_langgraph_send_fan_out_lights_the_same_edges() -> None:
    shown = {}
    for lib in (nbpregel_lib(), langgraph_lib()):
        view = run(map_reduce(lib), {"log": [], "count": 0, "verdict": ""})
        assert view.wait(TIMEOUT) is RunStatus.DONE, view.run.error
        shown[lib.name] = step_by_step(view)
    assert shown["langgraph"] == shown["nbpregel"]
    assert (1, {"plan": "done"}, ["plan->work"], ["plan"]) in shown["langgraph"]


def test_langgraph_s_own_agent_without_a_checkpointer_lights_its_loop() -> None:
    """LangGraph streams no checkpoint without a checkpointer: the steps' edges still light."""
    pytest.importorskip("langchain_core")
    from prebuilt.libs import lib_of
    from prebuilt.test_react_agent import START_INPUT, add, two_calls

    shown, views = {}, {}
    for name in ("nbpregel", "langgraph"):
        agent = lib_of(name).create_react_agent(two_calls(), [add])
        view = views[name] = run(agent, START_INPUT)
        assert view.wait(TIMEOUT) is RunStatus.DONE, view.run.error
        shown[name] = {row[0]: row[1:3] for row in step_by_step(view)}
    for step in (1, 2, 3):  # agent -> tools, tools -> agent, agent -> END
        assert shown["langgraph"][step] == shown["nbpregel"][step]
    assert shown["langgraph"][1] == ({"agent": "done"}, ["agent->tools"])
    assert shown["langgraph"][3] == ({"agent": "done", "__end__": "done"}, ["agent->__end__"])
    # each step's state comes from LangGraph's ``values`` chunks: the steps are done
    ours, theirs = views["nbpregel"], views["langgraph"]
    assert list(theirs.steps.status) == ["done"] * 3
    for step in (1, 2, 3):
        assert len(theirs.state(step)["messages"]) == len(ours.state(step)["messages"])
    assert theirs.state()["messages"][-1].content == "3 and 7"
