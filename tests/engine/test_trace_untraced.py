"""A step of one quick task is traced once it is saved, unless another thread puts a chunk first.

That thread then makes the step's TASKS event, and its DONE if the driver already reported the
task. These tests place that thread's turn, deterministically, where it can come: before the
driver's report of the task, or as the report looks at the box holding the step (the look then
seeing the step still boxed, or its events made). Each way the failed task's DONE is traced
exactly once, after its TASKS.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, TypedDict

import pytest

from nbpregel import END, START, StateGraph
from nbpregel.constants import TraceEvent
from nbpregel.pregel._emitter import Emitter

from .trace_events import Event, flatten

TASKS, DONE = TraceEvent.TASKS, TraceEvent.DONE
FAILING_AT = 2
"""The value of ``n`` at which the second run's node fails (its step is never saved)."""
FAILING_STEP = FAILING_AT + 1
"""The step of that node, ``c`` (the input's step is 0)."""


class Count(TypedDict):
    n: int


class _Box(list[Any]):
    """The untraced step's box. When ``cut_in`` says so, the first time the driver's report of
    the failing step looks at it, another thread's chunk comes in (made here, on the driver's
    thread, at that point); the driver's look sees the box as it was before (``boxed``) or after
    (``made``)."""

    def __init__(self, emitter: Emitter, cut_in: dict[str, Any]) -> None:
        super().__init__()
        self.emitter = emitter
        self.cut_in = cut_in

    def __len__(self) -> int:
        length = super().__len__()
        reporting = sys._getframe(1).f_code.co_name == "report_task"
        where = self.cut_in["where"]
        if length and reporting and where != "before" and self.emitter.step == FAILING_STEP:
            self.cut_in["times"] += 1
            self.emitter._trace_untraced()  # what a chunk put from another thread does first
            return length if where == "boxed" else super().__len__()
        return length


@pytest.fixture
def cut_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Runs whose failing step's events another thread makes where the yielded dict's
    ``where`` says: ``boxed`` or ``made`` (see ``_Box``), or ``before`` the driver's report;
    its ``times`` counts those turns."""
    setting: dict[str, Any] = {"where": "boxed", "times": 0}
    plain_init, plain_report = Emitter._init_stream, Emitter.report_task

    def init_stream(self: Emitter, modes: Any) -> None:
        plain_init(self, modes)
        self.untraced = _Box(self, setting)

    def report_task(self: Emitter, task: Any) -> None:
        if setting["where"] == "before" and self.untraced and self.step == FAILING_STEP:
            setting["times"] += 1
            self._trace_untraced()
        plain_report(self, task)

    monkeypatch.setattr(Emitter, "_init_stream", init_stream)
    monkeypatch.setattr(Emitter, "report_task", report_task)
    yield setting


def _failing_chain() -> tuple[Any, list[bool]]:
    failing: list[bool] = []

    def step(state: Count) -> dict[str, int]:
        if failing and state["n"] == FAILING_AT:
            raise ValueError(f"boom at {FAILING_AT}")
        return {"n": state["n"] + 1}

    graph = StateGraph(Count)
    graph.add_sequence([("a", step), ("b", step), ("c", step)])
    graph.add_edge(START, "a").add_edge("c", END)
    return graph.compile(), failing


def _failed_run(app: Any, failing: list[bool], cut_in: dict[str, Any]) -> list[Event]:
    list(app.stream({"n": 0}, stream_mode="trace"))  # the nodes turn quick
    assert app.nodes["c"].quick
    failing.append(True)
    cut_in["times"] = 0
    chunks: list[list[Event]] = []
    with pytest.raises(ValueError, match=f"boom at {FAILING_AT}"):
        for chunk in app.stream({"n": 0}, stream_mode="trace"):
            chunks.append(chunk)
    assert cut_in["times"] == 1, "the other thread came in once"
    return flatten(chunks)


@pytest.mark.parametrize("where", ["boxed", "made", "before"])
def test_a_failed_quick_task_is_done_once_whoever_makes_its_step_events(
    cut_in: dict[str, Any], where: str
) -> None:
    cut_in["where"] = where
    app, failing = _failing_chain()
    events = _failed_run(app, failing, cut_in)
    own = [event for event in events if event[1] == FAILING_STEP]
    assert [event[0] for event in own] == [TASKS, DONE], own
    tasks, done = own
    assert done[2] is tasks[2][0] and done[2].name == "c"
    assert done[2].status == "error" and str(done[2].error) == f"boom at {FAILING_AT}"
