"""Mistakes a user can make with a thread are refused with a clear error and change nothing.

For each one the saver's whole content (every checkpoint and every pending write) is captured
before and after the failing call and compared; then the thread is shown to still work as if the
mistake had not happened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nbpregel import END, START, Command, InvalidUpdateError
from nbpregel.constants import INTERRUPT
from nbpregel.errors import CheckpointError, InvalidResumeError
from nbpregel.types import StateUpdate

from .support import (
    NBPREGEL,
    Api,
    Calls,
    build_ask_once,
    build_chain,
    build_fan,
    build_parallel_asks,
    saver_contents,
    thread,
)

START_STATE = {"log": [], "n": 0}


def assert_refused(saver: Any, call: Callable[[], Any], error: type[Exception], match: str) -> None:
    """``call`` raises ``error`` (message matching ``match``) and leaves ``saver`` unchanged."""
    before = saver_contents(saver)
    with pytest.raises(error, match=match):
        call()
    assert saver_contents(saver) == before


# -- resuming ------------------------------------------------------------------------------


def test_a_single_answer_to_two_pending_interrupts(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_parallel_asks(NBPREGEL, calls, checkpointer=saver)
    asked = api.invoke(app, dict(START_STATE), thread())[INTERRUPT]
    executed = calls.counts()
    assert_refused(
        saver,
        lambda: api.invoke(app, Command(resume="one answer"), thread()),
        InvalidResumeError,
        r"2 interrupts are pending.*interrupt_id",
    )
    assert calls.counts() == executed  # refused before any node ran
    answers = {i.id: i.value.upper() for i in asked}
    done = api.invoke(app, Command(resume=answers), thread())
    assert done["log"] == ["p", "x:Q-X:0", "y:Q-Y:0", "end"]


def test_an_unknown_interrupt_id(saver: Any, api: Api) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    [asked] = api.invoke(app, dict(START_STATE), thread())[INTERRUPT]
    unknown = "0" * 32
    assert_refused(
        saver,
        lambda: api.invoke(app, Command(resume={unknown: "x"}), thread()),
        InvalidResumeError,
        rf"unknown interrupt id.*{unknown}.*{asked.id}",
    )
    assert api.invoke(app, Command(resume={asked.id: "ok"}), thread())["log"][1] == "ask:ok:1"


def test_a_map_mixing_a_known_and_an_unknown_id(saver: Any) -> None:
    app = build_parallel_asks(NBPREGEL, Calls(), checkpointer=saver)
    asked = app.invoke(dict(START_STATE), thread())[INTERRUPT]
    assert_refused(
        saver,
        lambda: app.invoke(Command(resume={asked[0].id: "a", "f" * 32: "b"}), thread()),
        InvalidResumeError,
        "unknown interrupt id",
    )


def test_resuming_when_nothing_is_pending(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    assert_refused(
        saver,
        lambda: api.invoke(app, Command(resume="late"), thread()),
        InvalidResumeError,
        "no pending interrupt",
    )


def test_resuming_a_thread_that_does_not_exist(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    assert_refused(
        saver,
        lambda: app.invoke(Command(resume="hello"), thread("never-ran")),
        InvalidResumeError,
        "no pending interrupt",
    )


def test_resuming_without_a_checkpointer() -> None:
    app = build_ask_once(NBPREGEL, Calls())
    paused = app.invoke(dict(START_STATE))
    assert [i.value for i in paused[INTERRUPT]] == ["q1"]
    with pytest.raises(InvalidResumeError, match="checkpointer"):
        app.invoke(Command(resume="ok"))


# -- editing state -------------------------------------------------------------------------


def test_update_state_with_an_unknown_key(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver, interrupt_before=["b"])
    api.invoke(app, dict(START_STATE), thread())
    assert_refused(
        saver,
        lambda: api.update_state(app, thread(), {"log": ["u"], "typo": 1}),
        InvalidUpdateError,
        r"unknown state key.*'typo'",
    )
    assert api.invoke(app, None, thread()) == {"log": ["a", "b", "c"], "n": 3}


def test_update_state_as_an_unknown_node(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["b"])
    api.invoke(app, dict(START_STATE), thread())
    assert_refused(
        saver,
        lambda: api.update_state(app, thread(), {"log": ["u"]}, as_node="nope"),
        InvalidUpdateError,
        r"'nope'.*\['a', 'b', 'c'\]",
    )


def test_update_state_after_a_parallel_step_needs_as_node(saver: Any, api: Api) -> None:
    app = build_fan(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["z"])
    api.invoke(app, dict(START_STATE), thread())
    assert_refused(
        saver,
        lambda: api.update_state(app, thread(), {"log": ["u"]}),
        InvalidUpdateError,
        r"ambiguous.*\['x', 'y'\].*as_node",
    )
    # Naming the node resolves it.
    api.update_state(app, thread(), {"log": ["u"]}, as_node="x")
    assert api.invoke(app, None, thread())["log"] == ["x", "y", "u", "z"]


def test_update_state_without_a_checkpointer() -> None:
    app = build_chain(NBPREGEL, Calls())
    with pytest.raises(CheckpointError, match="checkpointer"):
        app.update_state(thread(), {"log": ["u"]}, as_node=START)


REFUSED_BULK = {
    "no supersteps": ([], ValueError, r"no supersteps"),
    "an empty superstep": ([[]], ValueError, r"superstep 0 .* has no updates"),
    "two updates without as_node": (
        [[StateUpdate({"log": ["x"]}), StateUpdate({"log": ["y"]})]],
        InvalidUpdateError,
        r"superstep 0 has 2 updates.*give each StateUpdate an as_node",
    ),
    "a copy beside another update": (
        [[StateUpdate(None, "__copy__"), StateUpdate({"log": ["x"]}, "x")]],
        InvalidUpdateError,
        r"as_node='__copy__'.*superstep of its own",
    ),
    "an unknown node in the second superstep": (
        [[StateUpdate({"log": ["ok"]}, "x")], [StateUpdate({"log": ["no"]}, "nowhere")]],
        InvalidUpdateError,
        r"'nowhere' is not a node",
    ),
    "an unknown key in the second superstep": (
        [[StateUpdate({"log": ["ok"]}, "x")], [StateUpdate({"typo": 1}, "y")]],
        InvalidUpdateError,
        r"unknown state key.*'typo'",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED_BULK))
def test_a_refused_bulk_update_saves_none_of_its_supersteps(saver: Any, case: str) -> None:
    supersteps, error, match = REFUSED_BULK[case]
    app = build_fan(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["z"])
    app.invoke(dict(START_STATE), thread())
    assert_refused(saver, lambda: app.bulk_update_state(thread(), supersteps), error, match)
    assert app.invoke(None, thread())["log"] == ["x", "y", "z"]


def test_end_with_values_is_refused_naming_the_fix(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["b"])
    api.invoke(app, dict(START_STATE), thread())
    assert_refused(
        saver,
        lambda: api.update_state(app, thread(), {"log": ["u"]}, as_node=END),
        InvalidUpdateError,
        r"'__end__' is not a node.*END with no values to end the thread",
    )
