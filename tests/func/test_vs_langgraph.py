"""Differential tests: the same functional workflows run with nbpregel and with LangGraph.

Each scenario takes a library (``support.Lib``) and a saver kind, builds a workflow of
``support`` with that library, drives it (streams, interrupts, resumes, state reads) and returns
what it observed: stream chunks, results, snapshots and how often each task ran. Both libraries
must observe the same. Interrupt ids are derived differently by the two libraries, so interrupts
are compared by value; chunks of tasks started together are compared as a set (which finishes
first is up to the thread pool), but the entrypoint's own chunk must come after them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from persistence.support import Calls, normalize, thread

from .support import (
    NBPREGEL,
    Lib,
    build_ask_after_tasks,
    build_ask_then_confirm,
    build_async_pipeline,
    build_cached,
    build_counter,
    build_failing,
    build_flaky,
    build_nested,
    build_node_calls_task,
    build_policies_by_default,
    build_retried_caller,
    build_sequence,
    build_task_asks,
    langgraph_lib,
)

pytest.importorskip("langgraph.checkpoint.sqlite")

pytestmark = pytest.mark.langgraph

Scenario = Callable[[Lib, Any], list[Any]]
SCENARIOS: dict[str, Scenario] = {}
ASYNC_SCENARIOS: set[str] = set()  # LangGraph's SqliteSaver has no async methods


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def async_scenario(fn: Scenario) -> Scenario:
    ASYNC_SCENARIOS.add(fn.__name__)
    return scenario(fn)


def settled(chunks: list[Any]) -> tuple[list[str], Any]:
    """``(sorted chunks before the last, last chunk)``: concurrent tasks finish in any order."""
    *head, last = [normalize(chunk) for chunk in chunks]
    return sorted(repr(chunk) for chunk in head), last


def task_events(chunks: list[Any]) -> list[Any]:
    """The ``tasks`` stream without ids and timings: starts, and results of task calls.

    The entrypoint's own result chunk is left out: LangGraph shows it as ``{"__end__": value}``,
    nbpregel as the value (a single output channel is shown bare, as in ``updates``).
    """
    events = []
    for chunk in chunks:
        if "input" in chunk:
            events.append(("start", chunk["name"], normalize(chunk["input"]), chunk["triggers"]))
        elif "__return__" in (chunk["result"] or {}):
            events.append(("result", chunk["name"], normalize(chunk["result"])))
    return events


@scenario
def updates_then_entrypoint_result(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_sequence(lib, calls, checkpointer=saver)
    return [
        list(app.stream(3, thread("s"))),  # default stream mode: updates
        normalize(list(app.stream(4, thread("v"), stream_mode="values"))),
        app.invoke(5, thread("i")),
        task_events(list(app.stream(6, thread("t"), stream_mode="tasks"))),
        calls.counts(),
    ]


@scenario
def resume_does_not_rerun_finished_tasks(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_after_tasks(lib, calls, checkpointer=saver)
    config = thread()
    seen: list[Any] = [settled(list(app.stream(3, config, stream_mode="updates")))]
    seen.append(calls.counts())
    snap = app.get_state(config)
    seen += [snap.next, normalize(snap.values), normalize(list(snap.interrupts))]
    seen.append(list(app.stream(lib.Command(resume="yes"), config, stream_mode="updates")))
    seen.append(calls.counts())  # add_one(3) and double(3) ran once; add_one(10) once
    snap = app.get_state(config)
    seen += [snap.next, normalize(snap.values), snap.metadata["step"]]
    return seen


@scenario
def interrupts_inside_tasks(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_task_asks(lib, calls, checkpointer=saver)
    config = thread()
    seen: list[Any] = [normalize(app.invoke(1, config)), calls.counts()]
    seen.append(normalize(list(app.get_state(config).interrupts)))
    seen.append(normalize(list(app.stream(lib.Command(resume="A"), config, stream_mode="updates"))))
    seen.append(calls.counts())
    (pending,) = app.get_state(config).interrupts
    seen.append(normalize(app.invoke(lib.Command(resume={pending.id: "B"}), config)))
    seen.append(calls.counts())
    return seen


@scenario
def answers_reach_the_tasks_that_asked(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_then_confirm(lib, calls, checkpointer=saver)
    config = thread()
    seen: list[Any] = [normalize(app.invoke(1, config)), calls.counts()]
    with pytest.raises(Exception, match=r"specify the interrupt id|ambiguous"):
        app.invoke(lib.Command(resume="one answer"), config)  # two tasks wait: unclear
    writes = saver.get_tuple(config).pending_writes
    asked = {i.id: i.value for _, ch, value in writes if ch == "__interrupt__" for i in value}
    answers = {interrupt_id: f"re:{question}" for interrupt_id, question in asked.items()}
    seen.append(normalize(app.invoke(lib.Command(resume=answers), config)))  # "confirm?" now
    seen.append(calls.counts())
    seen.append(app.invoke(lib.Command(resume="yes"), config))  # not taken by a task
    seen.append(calls.counts())  # the tasks did not run a third time
    return seen


@scenario
def a_retried_caller_runs_its_calls_again(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_retried_caller(lib, calls, checkpointer=saver)
    return [list(app.stream(1, thread())), calls.counts()]


@scenario
def previous_and_final(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_counter(lib, calls, checkpointer=saver)
    config = thread()
    results = [app.invoke(n, config) for n in (1, 2, -1, 5)]
    values = [snap.values for snap in app.get_state_history(config)]
    other = app.invoke(7, thread("other"))  # previous is per thread
    stream = list(app.stream(-1, config, stream_mode=["updates", "values"]))
    return [results, values, other, stream, calls.counts()]


@scenario
def nested_tasks(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_nested(lib, calls, checkpointer=saver)
    chunks = list(app.stream(2, thread(), stream_mode="updates"))
    return [chunks, calls.counts()]


@scenario
def retried_task(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_flaky(lib, calls, checkpointer=saver)
    return [list(app.stream(4, thread(), stream_mode="updates")), calls.counts()]


@scenario
def failed_task_resumes_without_rerunning_finished_ones(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    failing = {"bad"}
    app = build_failing(lib, calls, failing, checkpointer=saver)
    config = thread()
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(1, config)
    seen: list[Any] = [calls.counts(), app.get_state(config).next]
    failing.clear()
    seen.append(app.invoke(None, config))
    seen.append(calls.counts())  # ok ran once: its saved result was reused
    return seen


@async_scenario
def async_workflow(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_async_pipeline(lib, calls, checkpointer=saver)
    config = thread()

    async def drive() -> list[Any]:
        first = [c async for c in app.astream(2, config, stream_mode="updates")]
        resumed = [c async for c in app.astream(lib.Command(resume="ok"), config)]
        return [normalize(first), resumed, (await app.aget_state(config)).values]

    return [*asyncio.run(drive()), calls.counts()]


@scenario
def cached_tasks(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_cached(lib, calls, checkpointer=saver)
    runs = [list(app.stream(n, thread(str(i)))) for i, n in enumerate((1, 1, 2))]
    return [runs, calls.counts()]  # costly(2) ran once, though called in all three runs


@scenario
def state_graph_node_calls_task(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_node_calls_task(lib, calls, checkpointer=saver)
    chunks = list(app.stream({"x": 1, "log": []}, thread(), stream_mode=["updates", "values"]))
    return [chunks, calls.counts()]


@scenario
def policies_by_default(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_policies_by_default(lib, calls, checkpointer=saver)
    runs = [app.invoke(n, thread(str(i))) for i, n in enumerate((1, 1, 2))]
    # flaky1 ran 3 times (then cached), the entrypoint once per run; double(2) ran once.
    return [runs, calls.counts()]


@pytest.fixture(scope="module")
def langgraph() -> Lib:
    return langgraph_lib()


@pytest.mark.parametrize(
    ("name", "saver_kind"),
    [
        (name, kind)
        for name in sorted(SCENARIOS)
        for kind in ("memory", "sqlite")
        if kind == "memory" or name not in ASYNC_SCENARIOS
    ],
)
def test_same_as_langgraph(name: str, saver_kind: str, langgraph: Lib, tmp_path: Path) -> None:
    run = SCENARIOS[name]
    ours = run(NBPREGEL, NBPREGEL.saver(saver_kind, tmp_path / "ours.db"))
    theirs = run(langgraph, langgraph.saver(saver_kind, tmp_path / "theirs.db"))
    assert ours == theirs
