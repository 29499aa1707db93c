"""A recorded run of a graph compiled with ``fail_fast``: the tasks its failure stopped."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, StateGraph
from nbpregel.checkpoint.memory import InMemorySaver
from nbpregel.notebook import Recorder


class S(TypedDict):
    log: Annotated[list, operator.add]


def test_a_recorded_fail_fast_run_shows_the_tasks_that_never_ran_as_unfinished() -> None:
    def node(name: str) -> Any:
        def run(state: S) -> dict[str, Any]:
            if name == "b_bad":
                raise ValueError("b_bad is broken")
            return {"log": [name]}

        return run

    g = StateGraph(S)
    for name in ("a_ok", "b_bad", "c_later"):
        g.add_node(name, node(name))
        g.add_edge(START, name)
    app = g.compile(checkpointer=InMemorySaver(), fail_fast=True)
    config = {"configurable": {"thread_id": "t"}, "max_concurrency": 1}
    recorder = Recorder()
    modes = list(Recorder.stream_modes(app))
    with pytest.raises(ValueError) as info:
        for chunk in app.stream({"log": []}, config, stream_mode=modes, subgraphs=True):
            recorder.record(chunk)
    recorder.record_failure(info.value)
    tasks = recorder.tasks.astype({"node": str}).set_index("node")
    assert tasks.loc["a_ok", "status"] == "ok"
    assert tasks.loc["b_bad", "status"] == "error"
    assert "b_bad is broken" in tasks.loc["b_bad", "error"]
    assert tasks.loc["c_later", "status"] == "error"
    assert "did not finish" in tasks.loc["c_later", "error"]
