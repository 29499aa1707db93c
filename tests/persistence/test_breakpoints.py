"""Static breakpoints: ``interrupt_before`` / ``interrupt_after`` at compile or call time (spec §7).

The graph is the chain ``a -> b -> c``. Each case lists where the run pauses (what
``get_state().next`` says at each pause); every pause is continued with ``invoke(None, config)``.
"""

from __future__ import annotations

from typing import Any

import pytest

from nbpregel.constants import INTERRUPT

from .support import NBPREGEL, Api, Calls, build_chain, thread

START_STATE = {"log": [], "n": 0}
FINAL = {"log": ["a", "b", "c"], "n": 3}

# (kind, nodes, the `next` of each pause in order)
CASES = [
    ("interrupt_before", ["b"], [("b",)]),
    ("interrupt_before", ["a", "c"], [("a",), ("c",)]),
    ("interrupt_after", ["b"], [("c",)]),
    ("interrupt_after", ["a"], [("b",)]),
    ("interrupt_after", ["c"], []),  # pausing after the last node is just the end
    ("interrupt_before", "*", [("a",), ("b",), ("c",)]),
    ("interrupt_after", "*", [("b",), ("c",)]),
]
IDS = [f"{kind.removeprefix('interrupt_')}-{''.join(nodes)}" for kind, nodes, _ in CASES]


def _values_at(pause: tuple[str, ...]) -> dict[str, Any]:
    done = {"a": 0, "b": 1, "c": 2}[pause[0]]
    return {"log": ["a", "b", "c"][:done], "n": done}


def _run_to_the_end(
    app: Any, api: Api, call_kwargs: dict[str, Any]
) -> tuple[list[tuple[str, ...]], list[Any]]:
    """Invoke, then continue while paused; return the ``next`` at each pause and the results."""
    results = [api.invoke(app, dict(START_STATE), thread(), **call_kwargs)]
    pauses = []
    while (state := api.get_state(app, thread())).next:
        pauses.append(state.next)
        assert state.interrupts == ()  # a breakpoint is not an interrupt() call
        assert len(pauses) <= 3, "the run keeps pausing"
        results.append(api.invoke(app, None, thread(), **call_kwargs))
    return pauses, results


@pytest.mark.parametrize(("kind", "nodes", "expected"), CASES, ids=IDS)
def test_breakpoints_at_compile_time(
    saver: Any, api: Api, kind: str, nodes: Any, expected: list[tuple[str, ...]]
) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver, **{kind: nodes})
    pauses, results = _run_to_the_end(app, api, {})
    assert pauses == expected
    assert results[:-1] == [_values_at(pause) for pause in expected]
    assert results[-1] == FINAL
    assert all(INTERRUPT not in result for result in results)
    assert calls.counts() == {"a": 1, "b": 1, "c": 1}


@pytest.mark.parametrize(("kind", "nodes", "expected"), CASES, ids=IDS)
def test_breakpoints_at_call_time(
    saver: Any, api: Api, kind: str, nodes: Any, expected: list[tuple[str, ...]]
) -> None:
    calls = Calls()
    app = build_chain(NBPREGEL, calls, checkpointer=saver)
    pauses, results = _run_to_the_end(app, api, {kind: nodes})
    assert pauses == expected
    assert results[-1] == FINAL
    assert calls.counts() == {"a": 1, "b": 1, "c": 1}


def test_call_time_breakpoints_apply_to_that_call_only(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread(), interrupt_before="*")
    assert app.get_state(thread()).next == ("a",)
    assert app.invoke(None, thread()) == FINAL


def test_call_time_breakpoints_replace_the_compiled_ones(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["b"])
    app.invoke(dict(START_STATE), thread(), interrupt_before=["c"])
    assert app.get_state(thread()).next == ("c",)


def test_a_breakpoint_reports_an_empty_interrupt_in_the_updates_stream(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver, interrupt_after=["a"])
    chunks = list(app.stream(dict(START_STATE), thread(), stream_mode="updates"))
    assert chunks == [{"a": {"log": ["a"], "n": 1}}, {INTERRUPT: ()}]


def test_breakpoint_pause_saves_the_step_and_nothing_more(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver, interrupt_before=["b"])
    app.invoke(dict(START_STATE), thread())
    history = list(app.get_state_history(thread()))
    assert [s.metadata["step"] for s in history] == [1, 0, -1]
    # b has not run: the checkpoint it would run from has no pending writes.
    assert saver.get_tuple(thread()).pending_writes == []
