"""A ``Command``'s ``update`` (and ``goto``) given with a resume is saved with the checkpoint.

As in LangGraph, the command's writes are saved as pending writes of the checkpoint the run
resumes from, under a task id of their own, and belong to that checkpoint's state: its
snapshot shows them, and a run that starts from it again (after the resumed node failed, or
paused on a second question, or time travel) applies them again. Before, an edit given with
an answer lived only in memory until the next checkpoint: a failure of the resumed node lost
it while keeping the answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nbpregel.constants import NULL_TASK_ID

from .support import (
    NBPREGEL,
    Calls,
    Lib,
    Log,
    Scenarios,
    build_ask_once,
    build_ask_twice,
    normalize,
    thread,
)
from .test_vs_langgraph import history_of, state_of

pytest.importorskip("langgraph.checkpoint.sqlite")

pytestmark = pytest.mark.langgraph

START_STATE = {"log": [], "n": 0}
SCENARIOS = Scenarios()
scenario = SCENARIOS


class Failing:
    """Raises in ``node`` the first ``times`` times it runs."""

    def __init__(self, times: int = 1) -> None:
        self.times = times

    def __call__(self) -> None:
        if self.times > 0:
            self.times -= 1
            raise RuntimeError("the node failed")


def build_ask_then_fail(lib: Lib, calls: Calls, fail: Failing, **compile_kwargs: Any) -> Any:
    """``a -> ask -> b``: ``ask`` fails after it got its answer while ``fail`` says so; every
    node logs ``n``."""

    def ask(state: Any) -> dict[str, Any]:
        calls.add("ask")
        answer = lib.interrupt("q1")
        fail()
        return {"log": [f"ask:{answer}:{state['n']}"]}

    def logs_n(name: str) -> Callable[[Any], dict[str, Any]]:
        def node(state: Any) -> dict[str, Any]:
            calls.add(name)
            return {"log": [f"{name}:{state['n']}"]}

        return node

    g = lib.StateGraph(Log)
    for name, node in (("a", logs_n("a")), ("ask", ask), ("b", logs_n("b"))):
        g.add_node(name, node)
    for source, target in itertools.pairwise((lib.START, "a", "ask", "b", lib.END)):
        g.add_edge(source, target)
    return g.compile(**compile_kwargs)


@scenario
def an_edit_given_with_the_answer_shows_at_the_paused_checkpoint(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    paused = app.get_state(thread()).config
    done = normalize(app.invoke(lib.Command(resume="yes", update={"n": 5}), thread()))
    return [done, state_of(app, paused), history_of(app, thread()), calls.counts()]


@scenario
def an_edit_survives_a_failure_of_the_resumed_node(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_then_fail(lib, calls, Failing(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    with pytest.raises(RuntimeError, match="the node failed"):
        app.invoke(lib.Command(resume="yes", update={"n": 5}), thread())
    seen = [state_of(app, thread())]
    seen += [normalize(app.invoke(None, thread()))]
    return [*seen, history_of(app, thread()), calls.counts()]


@scenario
def an_edit_survives_a_second_question(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_twice(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    seen = [normalize(app.invoke(lib.Command(resume="one", update={"n": 5}), thread()))]
    seen += [state_of(app, thread())]
    seen += [normalize(app.invoke(lib.Command(resume="two"), thread()))]
    return [*seen, history_of(app, thread()), calls.counts()]


@scenario
def two_edits_at_one_checkpoint_both_count(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_twice(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.invoke(lib.Command(resume="one", update={"n": 5, "log": ["edit1"]}), thread())
    seen = [normalize(app.invoke(lib.Command(resume="two", update={"log": ["edit2"]}), thread()))]
    return [*seen, history_of(app, thread()), calls.counts()]


@scenario
def replaying_the_edited_checkpoint_applies_the_edit_again(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    paused = app.get_state(thread()).config
    app.invoke(lib.Command(resume="yes", update={"n": 5}), thread())
    seen = [normalize(app.invoke(None, paused))]  # time travel: ask asks again
    seen += [normalize(app.invoke(lib.Command(resume="again"), thread()))]
    return [*seen, state_of(app, thread()), calls.counts()]


@scenario
def an_edit_with_goto_at_a_breakpoint(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_ask_once(lib, calls, checkpointer=saver, interrupt_before=["ask"])
    app.invoke(dict(START_STATE), thread())
    paused = app.get_state(thread()).config
    done = normalize(app.invoke(lib.Command(update={"n": 3}, goto="b"), thread()))
    return [done, state_of(app, paused), history_of(app, thread()), calls.counts()]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_behaviour_as_langgraph(name: str, saver_kind: str, tmp_path: Path) -> None:
    SCENARIOS.compare(name, saver_kind, tmp_path)


def test_the_edit_is_saved_as_the_checkpoint_s_pending_writes(saver: Any) -> None:
    calls = Calls()
    app = build_ask_then_fail(NBPREGEL, calls, Failing(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    paused = app.get_state(thread()).config
    with pytest.raises(RuntimeError):
        app.invoke(NBPREGEL.Command(resume="yes", update={"n": 5}), thread())
    pending = saver.get_tuple(paused).pending_writes
    assert (NULL_TASK_ID, "n", 5) in [tuple(write) for write in pending]
    assert app.get_state(thread()).values["n"] == 5
    assert normalize(app.invoke(None, thread()))["log"] == ["a:0", "ask:yes:5", "b:5"]
