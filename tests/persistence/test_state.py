"""A thread's saved state (spec §6): history, ``update_state``, forking, durability."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nbpregel import START, Command
from nbpregel.types import StateUpdate

from .support import (
    NBPREGEL,
    Api,
    Calls,
    build_ask_once,
    build_chain,
    build_fan,
    build_flaky,
    thread,
)

START_STATE = {"log": [], "n": 0}
FINAL = {"log": ["a", "b", "c"], "n": 3}


def _id(config: dict[str, Any] | None) -> str | None:
    return None if config is None else config["configurable"]["checkpoint_id"]


def _summary(snapshots: list[Any]) -> list[tuple[int, str, tuple[str, ...], Any]]:
    return [(s.metadata["step"], s.metadata["source"], s.next, s.values) for s in snapshots]


# -- history -------------------------------------------------------------------------------


def test_history_of_a_three_node_chain(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    assert api.invoke(app, dict(START_STATE), thread()) == FINAL
    history = api.history(app, thread())
    assert _summary(history) == [
        (3, "loop", (), FINAL),
        (2, "loop", ("c",), {"log": ["a", "b"], "n": 2}),
        (1, "loop", ("b",), {"log": ["a"], "n": 1}),
        (0, "loop", ("a",), {"log": [], "n": 0}),
        (-1, "input", ("__start__",), {"log": []}),
    ]
    # Newest first, each the child of the next one, ids and times in creation order.
    assert [_id(s.parent_config) for s in history] == [_id(s.config) for s in history[1:]] + [None]
    ids = [_id(s.config) for s in history]
    assert ids == sorted(ids, reverse=True)
    assert [s.created_at for s in history] == sorted((s.created_at for s in history), reverse=True)
    assert api.get_state(app, thread()) == history[0]


def test_history_filter_before_and_limit(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    full = api.history(app, thread())

    def steps(**kwargs: Any) -> list[int]:
        return [s.metadata["step"] for s in api.history(app, thread(), **kwargs)]

    assert steps(limit=2) == [3, 2]
    assert steps(filter={"source": "input"}) == [-1]
    assert steps(filter={"step": 1}) == [1]
    assert steps(before=full[1].config) == [1, 0, -1]
    assert steps(before=full[1].config, limit=1) == [1]


def test_history_of_one_thread_ignores_the_others(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread("one"))
    app.invoke({"log": ["other"], "n": 10}, thread("two"))
    one = list(app.get_state_history(thread("one")))
    two = list(app.get_state_history(thread("two")))
    assert len(one) == len(two) == 5
    assert all("other" not in s.values["log"] for s in one)
    # (the input checkpoint holds the input in __start__; the state keys get it at step 0)
    assert all(s.values["log"][:1] == ["other"] for s in two[:-1])


def test_a_new_input_on_a_finished_thread_continues_its_history(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    assert app.invoke({"log": ["again"]}, thread()) == {
        "log": ["a", "b", "c", "again", "a", "b", "c"],
        "n": 6,
    }
    history = list(app.get_state_history(thread()))
    assert [s.metadata["step"] for s in history] == [8, 7, 6, 5, 4, 3, 2, 1, 0, -1]
    assert (history[4].metadata["source"], history[4].values) == ("input", FINAL)


def test_history_snapshots_show_what_each_task_did(saver: Any, api: Api) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    api.invoke(app, Command(resume="ok"), thread())
    by_step = {s.metadata["step"]: s for s in api.history(app, thread())}
    [a] = by_step[0].tasks
    assert (a.name, a.result, a.interrupts) == ("a", {"log": ["a"], "n": 1}, ())
    # A past step keeps its answered interrupt next to the result of the run that answered it.
    [ask] = by_step[1].tasks
    assert (ask.name, ask.result) == ("ask", {"log": ["ask:ok:1"]})
    assert [i.value for i in ask.interrupts] == ["q1"]
    assert [i.value for i in by_step[1].interrupts] == ["q1"]
    assert by_step[3].tasks == ()
    # The latest state only shows what still blocks the run: nothing.
    assert api.get_state(app, thread()).interrupts == ()


def test_history_keeps_a_retried_tasks_error(saver: Any) -> None:
    failing = {"bad"}
    app = build_flaky(NBPREGEL, Calls(), failing, checkpointer=saver)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(dict(START_STATE), thread())
    failing.clear()
    app.invoke(None, thread())
    step0 = next(s for s in app.get_state_history(thread()) if s.metadata["step"] == 0)
    tasks = {task.name: task for task in step0.tasks}
    assert "bad is broken" in str(tasks["bad"].error)
    assert tasks["bad"].result == {"log": ["bad"], "n": 7}
    assert tasks["x"].error is None
    assert tasks["x"].result == {"log": ["x"]}


# -- update_state --------------------------------------------------------------------------


def test_update_state_is_attributed_to_the_node_that_ran_last(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver, interrupt_before=["b"])
    api.invoke(app, dict(START_STATE), thread())
    config = api.update_state(app, thread(), {"log": ["u"], "n": 50})
    state = api.get_state(app, thread())
    assert state.config == config
    assert (state.metadata["source"], state.metadata["step"]) == ("update", 2)
    assert state.values == {"log": ["a", "u"], "n": 50}
    assert state.next == ("b",)  # as if a had written it: a's edge still leads to b
    assert api.invoke(app, None, thread()) == {"log": ["a", "u", "b", "c"], "n": 52}
    assert calls.counts() == {"a": 1, "b": 1, "c": 1}


def test_update_state_as_a_node_fires_that_nodes_edges(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver, interrupt_before=["b"])
    api.invoke(app, dict(START_STATE), thread())
    api.update_state(app, thread(), {"log": ["as-b"], "n": 50}, as_node="b")
    assert api.get_state(app, thread()).next == ("c",)
    assert api.invoke(app, None, thread()) == {"log": ["a", "as-b", "c"], "n": 51}
    assert calls["b"] == 0


def test_update_state_as_start_reruns_the_graph(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    api.update_state(app, thread(), {"log": ["again"], "n": 0}, as_node=START)
    assert api.get_state(app, thread()).next == ("a",)
    assert api.invoke(app, None, thread()) == {
        "log": ["a", "b", "c", "again", "a", "b", "c"],
        "n": 3,
    }
    assert calls.counts() == {"a": 2, "b": 2, "c": 2}


def test_update_state_on_an_empty_thread_starts_it(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    api.update_state(app, thread(), {"log": ["seed"], "n": 5})
    state = api.get_state(app, thread())
    assert state.metadata["source"] == "update"
    assert state.next == ("a",)
    assert api.invoke(app, None, thread()) == {"log": ["seed", "a", "b", "c"], "n": 8}


def test_update_state_goes_through_the_reducers(saver: Any) -> None:
    app = build_fan(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.update_state(thread(), {"log": ["1"]}, as_node="z")
    app.update_state(thread(), {"log": ["2"]}, as_node="z")
    assert app.get_state(thread()).values["log"] == ["x", "y", "z", "1", "2"]


def test_update_state_after_a_parallel_step_as_one_of_them(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_fan(NBPREGEL, calls, checkpointer=saver, interrupt_before=["z"])
    api.invoke(app, dict(START_STATE), thread())
    api.update_state(app, thread(), {"log": ["u"]}, as_node="y")
    assert api.get_state(app, thread()).next == ("z",)
    assert api.invoke(app, None, thread()) == {"log": ["x", "y", "u", "z"], "n": 0}
    assert calls.counts() == {"x": 1, "y": 1, "z": 1}


# -- forking (time travel) -----------------------------------------------------------------


def test_fork_reruns_only_the_later_nodes_and_keeps_the_newer_history(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    original = api.history(app, thread())
    before_b = next(s for s in original if s.next == ("b",))
    calls.clear()

    assert api.invoke(app, None, before_b.config) == FINAL
    assert calls.counts() == {"b": 1, "c": 1}
    history = api.history(app, thread())
    # The newer history is kept; the fork adds a fork checkpoint and one per re-run step.
    assert len(history) == len(original) + 3
    assert {_id(s.config) for s in original} <= {_id(s.config) for s in history}
    fork, after_b, after_c = history[2], history[1], history[0]
    assert (fork.metadata["source"], _id(fork.parent_config)) == ("fork", _id(before_b.config))
    assert (fork.next, fork.values) == (("b",), before_b.values)
    assert _id(after_b.parent_config) == _id(fork.config)
    assert _id(after_c.parent_config) == _id(after_b.config)
    assert api.get_state(app, thread()) == after_c


def test_fork_from_a_paused_interrupt_asks_again(saver: Any) -> None:
    calls = Calls()
    app = build_ask_once(NBPREGEL, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.invoke(Command(resume="first"), thread())
    asked = next(s for s in app.get_state_history(thread()) if s.next == ("ask",))
    again = app.invoke(None, asked.config)
    assert [i.value for i in again["__interrupt__"]] == ["q1"]
    done = app.invoke(Command(resume="second"), thread())
    assert done == {"log": ["a", "ask:second:1", "b"], "n": 2}
    assert calls.counts() == {"a": 1, "ask": 4, "b": 2}


def test_fork_with_update_state_on_a_past_checkpoint(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    before_b = next(s for s in api.history(app, thread()) if s.next == ("b",))
    config = api.update_state(app, before_b.config, {"log": ["patched"], "n": 100})
    updated = api.get_state(app, config)
    assert (updated.metadata["source"], _id(updated.parent_config)) == (
        "update",
        _id(before_b.config),
    )
    calls.clear()
    assert api.invoke(app, None, config) == {"log": ["a", "patched", "b", "c"], "n": 102}
    assert calls.counts() == {"b": 1, "c": 1}
    # Both branches stay in the history.
    finals = [s.values for s in api.history(app, thread()) if s.next == ()]
    assert finals == [{"log": ["a", "patched", "b", "c"], "n": 102}, FINAL]


def test_a_new_input_on_a_past_checkpoint(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_b = next(s for s in app.get_state_history(thread()) if s.next == ("b",))
    assert app.invoke({"log": ["new"]}, before_b.config) == {
        "log": ["a", "new", "a", "b", "c"],
        "n": 4,
    }


# -- durability ----------------------------------------------------------------------------


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_durability_of_an_uninterrupted_run(saver: Any, api: Api, durability: str) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    assert api.invoke(app, dict(START_STATE), thread(), durability=durability) == FINAL
    steps = [s.metadata["step"] for s in api.history(app, thread())]
    # "exit" saves only the final checkpoint (as LangGraph does).
    assert steps == ([3] if durability == "exit" else [3, 2, 1, 0, -1])
    assert api.get_state(app, thread()).values == FINAL


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_durability_across_an_interrupt(saver: Any, durability: str) -> None:
    calls = Calls()
    app = build_ask_once(NBPREGEL, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread(), durability=durability)
    paused = list(app.get_state_history(thread()))
    assert [s.metadata["step"] for s in paused] == ([1] if durability == "exit" else [1, 0, -1])
    assert paused[0].next == ("ask",)
    assert [i.value for i in paused[0].interrupts] == ["q1"]

    done = app.invoke(Command(resume="ok"), thread(), durability=durability)
    assert done == {"log": ["a", "ask:ok:1", "b"], "n": 2}
    history = list(app.get_state_history(thread()))
    expected = [3, 1] if durability == "exit" else [3, 2, 1, 0, -1]
    assert [s.metadata["step"] for s in history] == expected
    assert _id(history[0].parent_config) == _id(history[1].config)
    assert calls.counts() == {"a": 1, "ask": 2, "b": 1}


def test_durability_exit_keeps_a_failed_steps_writes(saver: Any) -> None:
    # Spec §4: the tasks that finished in a failing step keep their writes, whatever the
    # durability. (LangGraph loses the slow sibling's writes here and re-runs it.)
    failing = {"bad"}
    calls = Calls()
    app = build_flaky(NBPREGEL, calls, failing, checkpointer=saver)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(dict(START_STATE), thread(), durability="exit")
    failing.clear()
    assert app.invoke(None, thread(), durability="exit")["log"] == ["bad", "x", "y", "z"]
    assert calls.counts() == {"x": 1, "y": 1, "bad": 2, "z": 1}


# -- Command as input ----------------------------------------------------------------------


def test_command_with_update_and_goto_on_a_finished_thread(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_fan(NBPREGEL, calls, checkpointer=saver)
    api.invoke(app, dict(START_STATE), thread())
    calls.clear()
    result = api.invoke(app, Command(update={"log": ["cmd"], "n": 9}, goto="y"), thread())
    assert result == {"log": ["x", "y", "z", "cmd", "y", "z"], "n": 9}
    assert calls.counts() == {"y": 1, "z": 1}


def test_command_with_goto_on_a_paused_thread(saver: Any, api: Api) -> None:
    calls = Calls()
    app = build_fan(NBPREGEL, calls, checkpointer=saver, interrupt_before=["z"])
    api.invoke(app, dict(START_STATE), thread())
    result = api.invoke(app, Command(update={"log": ["cmd"]}, goto="x"), thread())
    # z was already due and stays due; goto adds x to the same step. x's edge makes z due
    # again, and the breakpoint before z holds it.
    assert result == {"log": ["x", "y", "cmd", "x", "z"], "n": 0}
    assert calls.counts() == {"x": 2, "y": 1, "z": 1}
    assert api.get_state(app, thread()).next == ("z",)
    assert api.invoke(app, None, thread())["log"] == ["x", "y", "cmd", "x", "z", "z"]


def test_command_with_update_and_goto_on_a_new_thread(saver: Any) -> None:
    calls = Calls()
    app = build_fan(NBPREGEL, calls, checkpointer=saver)
    assert app.invoke(Command(update={"log": ["cmd"], "n": 9}, goto="z"), thread()) == {
        "log": ["cmd", "z"],
        "n": 9,
    }
    assert calls.counts() == {"z": 1}


def test_bulk_update_state_and_its_async_twin_save_one_checkpoint_per_superstep(
    saver: Any,
) -> None:
    app = build_fan(NBPREGEL, Calls(), checkpointer=saver)
    supersteps = [
        [StateUpdate({"log": ["in"], "n": 1}, START)],
        [StateUpdate({"log": ["x"]}, "x"), StateUpdate({"log": ["y"]}, "y")],
    ]
    sync_config = app.bulk_update_state(thread("sync"), supersteps)
    async_config = asyncio.run(app.abulk_update_state(thread("async"), supersteps))
    for name, config in (("sync", sync_config), ("async", async_config)):
        history = list(app.get_state_history(thread(name)))
        assert _summary(history) == [
            (1, "update", ("z",), {"log": ["in", "x", "y"], "n": 1}),
            (0, "update", ("x", "y"), {"log": ["in"], "n": 1}),
        ]
        assert history[0].parent_config == history[1].config
        assert history[0].config == config
    forked = asyncio.run(app.aupdate_state(thread("async"), None, as_node="__copy__"))
    assert app.get_state(forked).metadata["source"] == "fork"
    assert app.invoke(None, forked)["log"] == ["in", "x", "y", "z"]
