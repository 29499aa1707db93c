"""Stopping a run from the notebook: ``Run.stop()`` and the view's stop button drain the run
before its next superstep; *continue* (or ``resume()``) goes on from the saved checkpoint."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from run_graphs import CountState, gated_graph
from waiting import TIMEOUT, wait_until

from nbpregel.checkpoint import InMemorySaver
from nbpregel.notebook import run
from nbpregel.notebook.run import Driver, Run, RunStatus

pytestmark = pytest.mark.exe  # every view draws its graph with `dot`


@pytest.mark.parametrize("driver", [Driver.THREAD, Driver.ASYNC])
def test_the_stop_button_stops_before_the_next_step_and_continue_goes_on(
    gate: threading.Event, driver: Driver
) -> None:
    view = run(gated_graph(gate, InMemorySaver()), {"count": 0}, driver=driver)
    wait_until(lambda: view.graph_view.node_states.get("slow") == "running", "slow runs")
    assert view.stop_button.layout.display is None  # shown while running
    view.stop_button.click()
    assert view.stop_button.disabled
    gate.set()  # the step under way finishes
    assert view.run.wait(TIMEOUT) is RunStatus.STOPPED
    assert view.run.error is None
    assert view.state() == {"count": 2}  # first and slow ran, last did not
    assert "last" not in set(view.tasks["node"])
    view.refresh()
    assert "stopped after step" in view.status.value
    assert view.stop_button.layout.display == "none" and not view.stop_button.disabled
    (row,) = view.prompts.children
    label, button = row.children
    assert "stopped" in label.value and button.description == "continue"
    button.click()
    assert view.run.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"count": 3}
    view.refresh()
    assert view.prompts.children == ()


def test_stop_and_resume_refuse_what_does_not_fit(gate: threading.Event) -> None:
    view = run(gated_graph(gate, InMemorySaver()), {"count": 0})
    wait_until(lambda: view.graph_view.node_states.get("slow") == "running", "slow runs")
    view.stop("enough for now")
    gate.set()
    assert view.run.wait(TIMEOUT) is RunStatus.STOPPED
    with pytest.raises(RuntimeError, match="nothing to stop: the run is stopped"):
        view.run.stop()
    with pytest.raises(ValueError, match="call resume\\(\\) without an answer"):
        view.run.resume("an answer")
    assert view.run.status is RunStatus.STOPPED  # a refused resume changes nothing
    view.run.resume()
    assert view.run.wait(TIMEOUT) is RunStatus.DONE
    with pytest.raises(RuntimeError, match="nothing to stop: the run is done"):
        view.run.stop()


def test_a_stopped_run_without_a_checkpointer_offers_no_continue(gate: threading.Event) -> None:
    view = run(gated_graph(gate), {"count": 0})
    wait_until(lambda: view.graph_view.node_states.get("slow") == "running", "slow runs")
    view.stop()
    gate.set()
    assert view.run.wait(TIMEOUT) is RunStatus.STOPPED
    view.refresh()
    (note,) = view.prompts.children
    assert "no checkpointer" in note.value
    with pytest.raises(RuntimeError, match="no checkpointer"):
        view.resume()


@pytest.mark.langgraph
def test_a_langgraph_graph_stops_and_continues_the_same_way(gate: threading.Event) -> None:
    from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver
    from langgraph.graph import END, START, StateGraph

    def slow(state: CountState) -> dict[str, int]:
        if not gate.wait(timeout=30):
            raise TimeoutError("the test never opened the gate")
        return {"count": state["count"] + 1}

    builder = StateGraph(CountState)
    builder.add_node("slow", slow)
    builder.add_node("last", lambda state: {"count": state["count"] + 1})
    builder.add_edge(START, "slow")
    builder.add_edge("slow", "last")
    builder.add_edge("last", END)
    recorded = Run(builder.compile(checkpointer=LangGraphSaver()))  # LangGraph's own drain
    recorded.start({"count": 0})
    wait_until(lambda: len(recorded.recorder.tasks) > 1, "slow starts")
    recorded.stop()
    gate.set()
    assert recorded.wait(TIMEOUT) is RunStatus.STOPPED
    assert recorded.error is None
    assert recorded.recorder.state() == {"count": 1}
    recorded.resume()
    assert recorded.wait(TIMEOUT) is RunStatus.DONE
    assert recorded.recorder.state() == {"count": 2}


class _NoControl:
    """A graph whose ``stream`` takes no ``control=``, as a LangGraph older than its drain."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self.nodes = graph.nodes

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        if "control" in kwargs:
            raise TypeError("stream() got an unexpected keyword argument 'control'")
        return self.graph.stream(input, config, **kwargs)


def test_a_graph_without_control_runs_and_says_it_cannot_be_stopped(
    gate: threading.Event,
) -> None:
    recorded = Run(_NoControl(gated_graph(gate)))
    recorded.start({"count": 0})
    wait_until(lambda: "slow" in set(recorded.recorder.tasks["node"]), "slow starts")
    with pytest.raises(RuntimeError, match="takes no control="):
        recorded.stop()
    gate.set()
    assert recorded.wait(TIMEOUT) is RunStatus.DONE  # never given control=
    assert recorded.recorder.state() == {"count": 3}
    again = Run(gated_graph(gate))  # known per stream function: an nbpregel graph still stops
    again.start({"count": 0})
    assert again.wait(TIMEOUT) is RunStatus.DONE
    assert "control" in again._stream_kwargs()


class _Unreadable:
    """A graph whose ``debug`` stream reports an interrupt the recorder cannot read."""

    def stream(self, input: Any, config: Any = None, **kwargs: Any) -> Any:
        task = {"id": "t1", "name": "ask", "input": {}, "triggers": ("branch:to:ask",)}
        yield ((), "debug", {"type": "task", "step": 1, "timestamp": "", "payload": task})
        result = {"id": "t1", "name": "ask", "error": None, "result": {}, "interrupts": [42]}
        yield ((), "debug", {"type": "task_result", "step": 1, "timestamp": "", "payload": result})


def test_a_stream_the_recorder_cannot_read_ends_the_run_with_the_error() -> None:
    recorded = Run(_Unreadable())
    recorded.start({})
    assert recorded.wait(TIMEOUT) is RunStatus.ERROR  # not left running forever
    assert isinstance(recorded.error, AttributeError)
