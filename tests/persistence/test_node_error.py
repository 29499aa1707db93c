"""A node that raises: its siblings' writes are kept, and a resume re-runs only the failed task.

Graph: ``x`` (slow), ``y`` and ``bad`` run in one step, then ``z``. ``bad`` raises until it is
fixed; the error propagates unchanged (spec §4), the finished siblings' writes are saved as pending
writes of the step's checkpoint, and ``invoke(None, config)`` picks the run up from there.
"""

from __future__ import annotations

from typing import Any

import pytest

from nbpregel.constants import ERROR

from .support import NBPREGEL, Api, Calls, build_flaky, thread

START_STATE = {"log": [], "n": 0}


def _uninterrupted_result() -> Any:
    return build_flaky(NBPREGEL, Calls(), set()).invoke(dict(START_STATE))


def _fail(saver: Any, api: Api, durability: str) -> tuple[Any, Calls, set[str]]:
    failing = {"bad"}
    calls = Calls()
    app = build_flaky(NBPREGEL, calls, failing, checkpointer=saver)
    with pytest.raises(ValueError, match="bad is broken") as caught:
        api.invoke(app, dict(START_STATE), thread(), durability=durability)
    assert any("'bad'" in note for note in caught.value.__notes__)
    assert calls.counts() == {"x": 1, "y": 1, "bad": 1}
    return app, calls, failing


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_the_other_tasks_writes_are_saved_as_pending_writes(
    saver: Any, api: Api, durability: str
) -> None:
    app, _, _ = _fail(saver, api, durability)
    latest = saver.get_tuple(thread())
    assert latest.metadata["step"] == 0  # the failed step produced no checkpoint
    writes = [(channel, value) for _, channel, value in latest.pending_writes]
    logged = sorted(value for channel, value in writes if channel == "log")
    assert logged == [["x"], ["y"]]
    errors = [value for channel, value in writes if channel == ERROR]
    assert len(errors) == 1
    assert "bad is broken" in str(errors[0])

    state = api.get_state(app, thread())
    assert state.next == ("bad",)
    assert state.values == {"log": ["x", "y"], "n": 0}
    [failed] = [task for task in state.tasks if task.name == "bad"]
    assert "bad is broken" in str(failed.error)
    assert all(task.error is None for task in state.tasks if task.name != "bad")


@pytest.mark.parametrize("durability", ["sync", "async"])
def test_resume_reruns_only_the_failed_task(saver: Any, api: Api, durability: str) -> None:
    app, calls, failing = _fail(saver, api, durability)
    failing.clear()
    result = api.invoke(app, None, thread(), durability=durability)
    assert result == _uninterrupted_result()
    assert calls.counts() == {"x": 1, "y": 1, "bad": 2, "z": 1}
    history = api.history(app, thread())
    assert [s.metadata["step"] for s in history] == [2, 1, 0, -1]
    assert history[0].values == result


def test_a_task_failing_twice_keeps_the_first_writes(saver: Any) -> None:
    app, calls, failing = _fail(saver, Api(use_async=False), "sync")
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(None, thread())
    assert calls.counts() == {"x": 1, "y": 1, "bad": 2}
    failing.clear()
    assert app.invoke(None, thread()) == _uninterrupted_result()
    assert calls.counts() == {"x": 1, "y": 1, "bad": 3, "z": 1}


def test_a_new_input_after_an_error_discards_the_unfinished_step(saver: Any) -> None:
    app, calls, failing = _fail(saver, Api(use_async=False), "sync")
    failing.clear()
    result = app.invoke({"log": ["fresh"]}, thread())
    # The failed step is abandoned (the saved writes of x and y are dropped); the new input
    # runs every node again.
    assert result == {"log": ["fresh", "bad", "x", "y", "z"], "n": 7}
    assert calls.counts() == {"x": 2, "y": 2, "bad": 2, "z": 1}
