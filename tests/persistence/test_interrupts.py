"""``interrupt()`` and ``Command(resume=...)``: pausing a run and answering it (spec §7).

A resumed node runs again from its start, so the ``Calls`` counters show exactly which tasks were
re-executed; tasks of the same step that had finished are never re-run (their saved writes are
reused).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from nbpregel import Command, Interrupt
from nbpregel.constants import INTERRUPT

from .support import (
    NBPREGEL,
    Api,
    Calls,
    build_ask_once,
    build_ask_twice,
    build_parallel_asks,
    thread,
)

START_STATE = {"log": [], "n": 0}
HEX32 = re.compile(r"[0-9a-f]{32}")


def test_interrupt_pauses_and_resume_reruns_the_node(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_ask_once(NBPREGEL, calls, checkpointer=saver)
    config = thread()

    paused = api.invoke(app, dict(START_STATE), config)
    assert paused["log"] == ["a"]
    [pending] = paused[INTERRUPT]
    assert isinstance(pending, Interrupt)
    assert pending.value == "q1"
    assert HEX32.fullmatch(pending.id)
    state = api.get_state(app, config)
    assert state.next == ("ask",)
    assert state.interrupts == (pending,)
    assert [task.interrupts for task in state.tasks] == [(pending,)]
    assert calls.counts() == {"a": 1, "ask": 1}

    done = api.invoke(app, Command(resume="yes"), config)
    assert done == {"log": ["a", "ask:yes:1", "b"], "n": 2}
    assert calls.counts() == {"a": 1, "ask": 2, "b": 1}
    state = api.get_state(app, config)
    assert state.next == ()
    assert state.interrupts == ()


def test_two_interrupts_in_one_node_are_answered_in_order(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_ask_twice(NBPREGEL, calls, checkpointer=saver)
    config = thread()

    first = api.invoke(app, dict(START_STATE), config)
    assert [i.value for i in first[INTERRUPT]] == ["q1"]
    second = api.invoke(app, Command(resume="A"), config)
    # The node ran again from its start: the first interrupt() returned "A", the second paused.
    assert [i.value for i in second[INTERRUPT]] == ["q2"]
    assert api.get_state(app, config).next == ("ask",)
    done = api.invoke(app, Command(resume="B"), config)
    assert done == {"log": ["ask:A:B", "done"], "n": 0}
    assert calls.counts() == {"ask": 3, "done": 1}


def test_two_interrupts_answered_through_their_id(saver: Any) -> None:
    calls = Calls()
    app = build_ask_twice(NBPREGEL, calls, checkpointer=saver)
    config = thread()
    [first] = app.invoke(dict(START_STATE), config)[INTERRUPT]
    [second] = app.invoke(Command(resume={first.id: "A"}), config)[INTERRUPT]
    assert second.value == "q2"
    assert app.invoke(Command(resume={second.id: "B"}), config)["log"] == ["ask:A:B", "done"]


def _pause_parallel(saver: Any, api: Api, calls: Calls) -> tuple[Any, dict[str, Interrupt]]:
    app = build_parallel_asks(NBPREGEL, calls, checkpointer=saver)
    paused = api.invoke(app, dict(START_STATE), thread())
    # p finished in the same step: its write is visible although the step is not complete.
    assert paused["log"] == ["p"]
    by_value = {i.value: i for i in paused[INTERRUPT]}
    assert sorted(by_value) == ["q-x", "q-y"]
    assert by_value["q-x"].id != by_value["q-y"].id
    state = api.get_state(app, thread())
    assert sorted(state.next) == ["x", "y"]
    assert sorted(state.interrupts, key=lambda i: i.value) == [by_value["q-x"], by_value["q-y"]]
    return app, by_value


def test_parallel_interrupts_answered_at_once_by_a_map(saver: Any, api: Api) -> None:
    calls = Calls()
    app, asked = _pause_parallel(saver, api, calls)
    done = api.invoke(app, Command(resume={asked["q-x"].id: "X", asked["q-y"].id: "Y"}), thread())
    assert done == {"log": ["p", "x:X:0", "y:Y:0", "end"], "n": 0}
    # p's saved write was reused: it ran once.
    assert calls.counts() == {"x": 2, "y": 2, "p": 1, "end": 1}
    assert api.get_state(app, thread()).next == ()


def test_parallel_interrupts_answered_one_at_a_time(saver: Any, api: Api) -> None:
    calls = Calls()
    app, asked = _pause_parallel(saver, api, calls)

    partial = api.invoke(app, Command(resume={asked["q-x"].id: "X"}), thread())
    assert partial[INTERRUPT] == [asked["q-y"]]
    assert partial["log"] == ["p", "x:X:0"]
    state = api.get_state(app, thread())
    assert state.next == ("y",)
    assert state.interrupts == (asked["q-y"],)

    done = api.invoke(app, Command(resume={asked["q-y"].id: "Y"}), thread())
    assert done == {"log": ["p", "x:X:0", "y:Y:0", "end"], "n": 0}
    # x ran again when answered and not after; y was re-asked once, then answered.
    assert calls.counts() == {"x": 2, "y": 3, "p": 1, "end": 1}


def test_a_single_value_answers_the_only_pending_interrupt_left(saver: Any) -> None:
    calls = Calls()
    app, asked = _pause_parallel(saver, Api(use_async=False), calls)
    app.invoke(Command(resume={asked["q-y"].id: "Y"}), thread())
    done = app.invoke(Command(resume="X"), thread())
    assert done["log"] == ["p", "x:X:0", "y:Y:0", "end"]


def test_resume_with_a_state_update_applies_both(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_parallel_asks(NBPREGEL, calls, checkpointer=saver)
    asked = {i.value: i for i in api.invoke(app, dict(START_STATE), thread())[INTERRUPT]}
    answers = {asked["q-x"].id: "X", asked["q-y"].id: "Y"}
    done = api.invoke(app, Command(resume=answers, update={"n": 7}), thread())
    # The re-run nodes see the update; the finished sibling p is not re-run.
    assert done == {"log": ["p", "x:X:7", "y:Y:7", "end"], "n": 7}
    assert calls.counts() == {"x": 2, "y": 2, "p": 1, "end": 1}


# -- where interrupts show up ---------------------------------------------------------------


def test_interrupt_in_the_updates_stream(saver: Any, api: Api) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    chunks = api.stream(app, dict(START_STATE), thread(), stream_mode="updates")
    assert chunks[0] == {"a": {"log": ["a"], "n": 1}}
    [pause] = chunks[1:]
    assert list(pause) == [INTERRUPT]
    assert isinstance(pause[INTERRUPT], tuple)
    assert [i.value for i in pause[INTERRUPT]] == ["q1"]
    resumed = api.stream(app, Command(resume="ok"), thread(), stream_mode="updates")
    assert resumed == [{"ask": {"log": ["ask:ok:1"]}}, {"b": {"log": ["b"], "n": 2}}]


def test_interrupt_in_the_values_stream(saver: Any, api: Api) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    chunks = api.stream(app, dict(START_STATE), thread(), stream_mode="values")
    assert chunks[:2] == [{"log": [], "n": 0}, {"log": ["a"], "n": 1}]
    last = chunks[-1]
    assert {k: v for k, v in last.items() if k != INTERRUPT} == {"log": ["a"], "n": 1}
    assert [i.value for i in last[INTERRUPT]] == ["q1"]
    resumed = api.stream(app, Command(resume="ok"), thread(), stream_mode="values")
    assert resumed[-1] == {"log": ["a", "ask:ok:1", "b"], "n": 2}
    assert all(INTERRUPT not in chunk for chunk in resumed)


def test_interrupt_in_a_multi_mode_stream(saver: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    chunks = list(app.stream(dict(START_STATE), thread(), stream_mode=["updates", "values"]))
    pauses = [chunk for mode, chunk in chunks if mode == "updates" and INTERRUPT in chunk]
    assert [[i.value for i in p[INTERRUPT]] for p in pauses] == [["q1"]]


def test_invoke_result_has_no_interrupt_key_once_answered(saver: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    assert INTERRUPT in app.invoke(dict(START_STATE), thread())
    assert INTERRUPT not in app.invoke(Command(resume="ok"), thread())


@pytest.mark.parametrize("answer", [0, "", {"not": "an id map"}, ["a", "list"]])
def test_any_value_can_be_an_answer(saver: Any, answer: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    assert app.invoke(Command(resume=answer), thread())["log"][1] == f"ask:{answer}:1"
