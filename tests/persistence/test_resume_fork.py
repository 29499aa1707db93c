"""``Command(resume=...)`` at a checkpoint with no pending interrupt: forks of an interrupt.

``update_state`` on an interrupted checkpoint (or ``as_node="__copy__"``) saves a fork with no
saved interrupt; resuming it runs the interrupted node again and its ``interrupt()`` returns the
answer at once, as in LangGraph. The first half of this module runs the same scenarios with both
libraries and compares what they show; the second half pins where nbpregel deliberately refuses
an answer LangGraph would accept and not use (``nbpregel.pregel._answers``), checking what
LangGraph does there, that the refusal changes no saved checkpoint, and that the fix it names
works.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbpregel.constants import INTERRUPT
from nbpregel.errors import InvalidResumeError

from .support import (
    NBPREGEL,
    Calls,
    Lib,
    Log,
    Scenarios,
    build_ask_once,
    build_chain,
    build_parallel_asks,
    langgraph_lib,
    normalize,
    saver_contents,
    thread,
)
from .test_vs_langgraph import history_of, state_of

pytest.importorskip("langgraph.checkpoint.sqlite")

pytestmark = pytest.mark.langgraph

START_STATE = {"log": [], "n": 0}
SCENARIOS = Scenarios()
scenario = SCENARIOS  # @scenario registers a function under its name


def paused_fork(lib: Lib, saver: Any, values: Any = None, as_node: str | None = None) -> Any:
    """``a -> ask -> b`` paused on ``ask``, and a fork of that checkpoint: (app, calls, fork)."""
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    paused = app.get_state(thread()).config
    fork = app.update_state(paused, values, as_node=as_node)
    calls.clear()
    return app, calls, fork


def build_nested_asks(lib: Lib, calls: Calls, *, checkpointer: Any, first: str = "pre") -> Any:
    """A parent whose node ``sub`` is a subgraph ``first -> ask2`` (``first`` may ask too)."""

    def step(name: str, asks: bool) -> Callable[[Any], dict[str, Any]]:
        def node(state: Any) -> dict[str, Any]:
            calls.add(name)
            answer = lib.interrupt(name) if asks else "-"
            return {"log": [f"{name}:{answer}"]}

        return node

    child = lib.StateGraph(Log)
    child.add_node(first, step(first, asks=first != "pre"))
    child.add_node("ask2", step("ask2", asks=True))
    child.add_edge(lib.START, first)
    child.add_edge(first, "ask2")
    child.add_edge("ask2", lib.END)
    parent = lib.StateGraph(Log)
    parent.add_node("sub", child.compile())
    parent.add_edge(lib.START, "sub")
    parent.add_edge("sub", lib.END)
    return parent.compile(checkpointer=checkpointer)


# -- as LangGraph --------------------------------------------------------------------------


@scenario
def resume_an_update_state_fork(lib: Lib, saver: Any) -> list[Any]:
    app, calls, fork = paused_fork(lib, saver, {"n": 10})
    seen = [state_of(app, fork), normalize(app.invoke(lib.Command(resume="A"), fork))]
    return [*seen, calls.counts(), state_of(app, thread()), history_of(app, thread())]


@scenario
def resume_a_fork_through_the_thread(lib: Lib, saver: Any) -> list[Any]:
    app, calls, _ = paused_fork(lib, saver, {"n": 10}, as_node="a")
    done = normalize(app.invoke(lib.Command(resume="A"), thread()))  # the fork is the latest
    return [done, calls.counts(), history_of(app, thread())]


@scenario
def resume_a_copy_fork(lib: Lib, saver: Any) -> list[Any]:
    app, calls, fork = paused_fork(lib, saver, as_node="__copy__")
    seen = [state_of(app, fork), normalize(app.invoke(lib.Command(resume="C"), fork))]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def resume_a_fork_streams(lib: Lib, saver: Any) -> list[Any]:
    app, _, fork = paused_fork(lib, saver, {"n": 10})
    modes = ["updates", "values"]
    return normalize(list(app.stream(lib.Command(resume="S"), fork, stream_mode=modes)))


@scenario
def resume_a_fork_with_an_update(lib: Lib, saver: Any) -> list[Any]:
    app, calls, fork = paused_fork(lib, saver, {"n": 10})
    done = app.invoke(lib.Command(resume={"any": "dict"}, update={"n": 20}), fork)
    # Not the history: LangGraph shows a Command's update in the resumed checkpoint's values
    # (saved there as pending writes), nbpregel in the next checkpoint only, fork or not.
    return [normalize(done), calls.counts(), state_of(app, thread())]


@scenario
def the_fork_leaves_the_old_branch_answerable(lib: Lib, saver: Any) -> list[Any]:
    app, calls, fork = paused_fork(lib, saver, {"n": 10})
    paused = app.get_state(fork).parent_config
    seen = [normalize(app.invoke(lib.Command(resume="F"), fork))]
    seen += [normalize(app.invoke(lib.Command(resume="OLD"), paused))]
    return [*seen, calls.counts(), history_of(app, thread())]


@scenario
def resume_a_fork_of_a_subgraph_interrupt(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_nested_asks(lib, calls, checkpointer=saver)
    seen = [normalize(app.invoke(dict(START_STATE), thread()))]
    fork = app.update_state(app.get_state(thread()).config, {"n": 5})
    seen += [normalize(app.invoke(lib.Command(resume="S"), fork))]
    return [*seen, calls.counts(), state_of(app, thread())]


@scenario
def a_forked_subgraph_answers_one_interrupt(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_nested_asks(lib, calls, checkpointer=saver, first="ask1")
    app.invoke(dict(START_STATE), thread())
    fork = app.update_state(app.get_state(thread()).config, {"n": 5})
    seen = [normalize(app.invoke(lib.Command(resume="S"), fork))]  # ask2 asks again
    seen += [normalize(app.invoke(lib.Command(resume="T"), thread()))]
    return [*seen, calls.counts(), state_of(app, thread())]


@scenario
def replay_a_graph_with_a_subgraph_from_its_input(lib: Lib, saver: Any) -> list[Any]:
    """Plain time travel (no fork, no answer) past a subgraph node: the subgraph starts over
    with its own history, not at the parent's checkpoint id."""
    calls = Calls()
    app = build_nested_asks(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.invoke(lib.Command(resume="first"), thread())
    (start,) = [s for s in app.get_state_history(thread()) if s.metadata["step"] == -1]
    seen = [normalize(app.invoke(None, start.config))]  # asks again
    seen += [normalize(app.invoke(lib.Command(resume="again"), thread()))]
    return [*seen, calls.counts(), state_of(app, thread())]


@scenario
def resume_at_a_static_breakpoint(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver, interrupt_before=["ask"])
    seen = [normalize(app.invoke(dict(START_STATE), thread()))]
    seen += [normalize(app.invoke(lib.Command(resume="now"), thread()))]
    return [*seen, calls.counts(), history_of(app, thread())]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_behaviour_as_langgraph(name: str, saver_kind: str, tmp_path: Path) -> None:
    SCENARIOS.compare(name, saver_kind, tmp_path)


def test_the_fork_answer_reaches_the_rerun_node(saver: Any) -> None:
    app, calls, fork = paused_fork(NBPREGEL, saver, {"n": 10})
    done = app.invoke(NBPREGEL.Command(resume="yes"), fork)
    assert done == {"log": ["a", "ask:yes:10", "b"], "n": 11}
    assert calls.counts() == {"ask": 1, "b": 1}


# -- refused, where LangGraph would not use the answer ------------------------------------


def assert_refused(saver: Any, call: Callable[[], Any], match: str) -> None:
    """``call`` raises ``InvalidResumeError`` matching ``match`` and leaves ``saver`` as it was."""
    before = saver_contents(saver)
    with pytest.raises(InvalidResumeError, match=match):
        call()
    assert saver_contents(saver) == before


def langgraph_app(build: Any, calls: Calls) -> Any:
    lib = langgraph_lib()
    return lib, build(lib, calls, checkpointer=lib.memory_saver())


def test_an_earlier_checkpoint_whose_tasks_finished(saver: Any) -> None:
    calls = Calls()
    app = build_ask_once(NBPREGEL, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_a = next(s for s in app.get_state_history(thread()) if s.next == ("a",)).config
    assert_refused(
        saver,
        lambda: app.invoke(NBPREGEL.Command(resume="early"), before_a),
        r"no pending interrupt, and its tasks \['a'\] already finished there.*invoke\(None",
    )
    # The fix the error names: replay to the interrupt, then answer it.
    assert [i.value for i in app.invoke(None, before_a)[INTERRUPT]] == ["q1"]
    assert app.invoke(NBPREGEL.Command(resume="late"), thread())["log"] == ["a", "ask:late:1", "b"]
    # LangGraph runs `a` again and pauses on the same question: the answer went unused.
    lib, theirs = langgraph_app(build_ask_once, Calls())
    theirs.invoke(dict(START_STATE), thread())
    before_a = next(s for s in theirs.get_state_history(thread()) if s.next == ("a",)).config
    again = theirs.invoke(lib.Command(resume="early"), before_a)
    assert [i.value for i in again[INTERRUPT]] == ["q1"]


def test_an_interrupt_answered_before(saver: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.invoke(NBPREGEL.Command(resume="first"), thread())
    asked = next(s for s in app.get_state_history(thread()) if s.next == ("ask",)).config
    assert_refused(
        saver,
        lambda: app.invoke(NBPREGEL.Command(resume="second"), asked),
        r"tasks \['ask'\] already finished there",
    )
    # LangGraph reruns `ask` with its saved answer: the new one is dropped.
    lib, theirs = langgraph_app(build_ask_once, Calls())
    theirs.invoke(dict(START_STATE), thread())
    theirs.invoke(lib.Command(resume="first"), thread())
    asked = next(s for s in theirs.get_state_history(thread()) if s.next == ("ask",)).config
    assert theirs.invoke(lib.Command(resume="second"), asked)["log"][1] == "ask:first:1"


def test_a_finished_thread(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    for config in (thread(), app.get_state(thread()).config):
        assert_refused(
            saver,
            lambda config=config: app.invoke(NBPREGEL.Command(resume="late"), config),
            "no pending interrupt and no task left to run",
        )
    # LangGraph returns the finished state; the answer is dropped.
    lib, theirs = langgraph_app(build_chain, Calls())
    done = theirs.invoke(dict(START_STATE), thread())
    assert theirs.invoke(lib.Command(resume="late"), thread()) == done


def test_a_thread_that_never_ran(saver: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    assert_refused(
        saver,
        lambda: app.invoke(NBPREGEL.Command(resume="hi"), thread("new")),
        r"thread 'new' has no checkpoint.*invoke\(input, config\)",
    )


def test_old_interrupt_ids_on_a_fork(saver: Any) -> None:
    calls = Calls()
    app = build_ask_once(NBPREGEL, calls, checkpointer=saver)
    [asked] = app.invoke(dict(START_STATE), thread())[INTERRUPT]
    fork = app.update_state(app.get_state(thread()).config, {"n": 10})
    assert_refused(
        saver,
        lambda: app.invoke(NBPREGEL.Command(resume={asked.id: "old"}), fork),
        rf"unknown interrupt id.*{asked.id}.*new interrupt ids.*Command\(resume=value\)",
    )
    assert calls["ask"] == 1  # refused before anything ran
    # LangGraph pauses again, under a new id: the answer went unused.
    lib, theirs = langgraph_app(build_ask_once, Calls())
    [asked] = theirs.invoke(dict(START_STATE), thread())[INTERRUPT]
    fork = theirs.update_state(theirs.get_state(thread()).config, {"n": 10})
    [again] = theirs.invoke(lib.Command(resume={asked.id: "old"}), fork)[INTERRUPT]
    assert again.id != asked.id


def test_one_answer_for_two_askers_on_a_fork(saver: Any) -> None:
    calls = Calls()
    app = build_parallel_asks(NBPREGEL, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    fork = app.update_state(app.get_state(thread()).config, {"n": 10})
    assert_refused(
        saver,
        lambda: app.invoke(NBPREGEL.Command(resume="one"), fork),
        r"3 tasks \['p', 'x', 'y'\] run at .* ambiguous.*invoke\(None, config\)",
    )
    # The fix the error names: replay the fork, then answer each interrupt by id.
    asked = {i.value: i.id for i in app.invoke(None, fork)[INTERRUPT]}
    answers = {asked["q-x"]: "X", asked["q-y"]: "Y"}
    done = app.invoke(NBPREGEL.Command(resume=answers), thread())
    assert done["log"] == ["p", "x:X:10", "y:Y:10", "end"]
    # LangGraph hands the answer to whichever asks first, and the other pauses.
    lib, theirs = langgraph_app(build_parallel_asks, Calls())
    theirs.invoke(dict(START_STATE), thread())
    fork = theirs.update_state(theirs.get_state(thread()).config, {"n": 10})
    assert len(theirs.invoke(lib.Command(resume="one"), fork)[INTERRUPT]) == 1
