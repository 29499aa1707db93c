"""A recorded run of nodes with an ``error_handler``: the node's failure stays visible in the
``tasks`` table (its ``error``) while the task ends as its handler did (``ok``)."""

from __future__ import annotations

import asyncio
import operator
from typing import Annotated, Any, TypedDict

from test_recorder import record

from nbpregel import START, StateGraph
from nbpregel.errors import NodeError
from nbpregel.notebook import Recorder
from nbpregel.types import TracedTask


class S(TypedDict):
    log: Annotated[list, operator.add]


def broken(state: S) -> dict[str, Any]:
    raise ValueError("broken for good")


async def slow(state: S) -> dict[str, Any]:
    await asyncio.sleep(5)
    return {"log": ["slow"]}


def handle(state: S, error: NodeError) -> dict[str, Any]:
    return {"log": [f"handled {error.node}"]}


def test_a_handled_failure_is_in_the_error_column_of_an_ok_task() -> None:
    g = StateGraph(S)
    g.add_node("broken", broken, error_handler=handle)
    g.add_node("slow", slow, timeout=0.2, error_handler=handle)
    g.add_node("fine", lambda state: {"log": ["fine"]})
    for name in ("broken", "slow", "fine"):
        g.add_edge(START, name)
    recorder: Recorder = record(g.compile(), {"log": []})
    rows = recorder.tasks.set_index("node").loc[["broken", "slow", "fine"]]
    assert rows["status"].tolist() == ["ok", "ok", "ok"]
    assert rows.loc["broken", "error"] == repr(ValueError("broken for good"))
    assert rows.loc["slow", "error"].startswith("NodeTimeoutError(")
    assert rows.loc["fine", "error"] is None
    assert sorted(recorder.state()["log"]) == ["fine", "handled broken", "handled slow"]


def test_a_traced_task_says_what_its_handler_took_over_from() -> None:
    g = StateGraph(S)
    g.add_node("broken", broken, error_handler=handle)
    g.add_edge(START, "broken")
    traced = [
        task
        for _ns, _mode, events in g.compile().stream(
            {"log": []}, stream_mode=["trace"], subgraphs=True
        )
        for event in events
        for task in (event[2] if isinstance(event[2], list) else [event[2]])
        if isinstance(task, TracedTask) and task.name == "broken"
    ]
    assert traced, "the trace stream showed no task 'broken'"
    assert all(isinstance(task.handled, ValueError) for task in traced)
    assert traced[0].error is None
