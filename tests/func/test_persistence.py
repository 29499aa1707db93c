"""Task calls are checkpointed: saved as each finishes, reused (never re-run) on resume."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from persistence.support import Calls

from nbpregel import Command
from nbpregel.checkpoint import SqliteSaver
from nbpregel.constants import ERROR, RETURN
from nbpregel.func import entrypoint, task

from .support import NBPREGEL, build_ask_after_tasks, build_failing, build_task_asks


def thread(thread_id: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


@pytest.fixture(params=["memory", "sqlite"], ids=["InMemorySaver", "SqliteSaver"])
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    instance = NBPREGEL.saver(str(request.param), tmp_path / "func.db")
    yield instance
    if isinstance(instance, SqliteSaver):
        instance.close()


@pytest.mark.parametrize("use_async", [False, True], ids=["sync-api", "async-api"])
@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
def test_resume_reuses_finished_calls(saver: Any, durability: str, use_async: bool) -> None:
    calls = Calls()
    app = build_ask_after_tasks(NBPREGEL, calls, checkpointer=saver)

    def invoke(value: Any) -> Any:
        if use_async:
            return asyncio.run(app.ainvoke(value, thread(), durability=durability))
        return app.invoke(value, thread(), durability=durability)

    paused = invoke(3)
    assert [i.value for i in paused["__interrupt__"]] == [{"total": 10}]
    assert calls.counts() == {"add_one": 1, "double": 1}
    assert invoke(Command(resume="go")) == {"total": 10, "answer": "go", "last": 11}
    assert calls.counts() == {"add_one": 2, "double": 1}  # only add_one(10) is new


def test_each_call_is_saved_as_soon_as_it_finishes(saver: Any) -> None:
    @task
    def first(x: int) -> int:
        return x * 7

    @task
    def inspect_saver(x: int) -> list[Any]:
        # Still inside the step: the first call's result must already be a pending write.
        saved = saver.get_tuple(thread()).pending_writes
        return [value for _, channel, value in saved if channel == RETURN]

    @entrypoint(checkpointer=saver)
    def workflow(n: int) -> list[Any]:
        value = first(n).result()
        return inspect_saver(value).result()

    assert workflow.invoke(6, thread()) == [42]


def test_a_failed_step_keeps_the_finished_calls_and_the_error(saver: Any) -> None:
    calls = Calls()
    failing = {"bad"}
    app = build_failing(NBPREGEL, calls, failing, checkpointer=saver)
    with pytest.raises(ValueError, match="bad is broken"):
        app.invoke(1, thread())
    saved = {channel: value for _, channel, value in saver.get_tuple(thread()).pending_writes}
    assert saved[RETURN] == 2
    assert "bad is broken" in str(saved[ERROR])
    failing.clear()
    assert app.invoke(None, thread()) == [2, -1]
    assert calls.counts() == {"ok": 1, "bad": 2}


def test_call_ids_are_the_same_when_the_step_runs_again(saver: Any) -> None:
    app = build_ask_after_tasks(NBPREGEL, Calls(), checkpointer=saver)

    def call_ids(value: Any) -> dict[tuple[str, str], str]:
        chunks = app.stream(value, thread(), stream_mode="tasks")
        return {(c["name"], repr(c["input"])): c["id"] for c in chunks if "input" in c}

    first = call_ids(3)
    second = call_ids(Command(resume="ok"))
    assert len(first) == 3  # the entrypoint and its two calls
    assert {key: second[key] for key in first} == first


def test_plain_answers_reach_the_task_that_asked(saver: Any) -> None:
    calls = Calls()
    app = build_task_asks(NBPREGEL, calls, checkpointer=saver)
    questions = []
    result = app.invoke(5, thread())
    for answer in ("A", "B"):
        questions += [i.value for i in result["__interrupt__"]]
        result = app.invoke(Command(resume=answer), thread())
    assert questions == ["q5", "q6"]
    assert result == [5, "5:A", "6:B"]
    assert calls.counts() == {"quick": 1, "ask5": 2, "ask6": 2}


def test_resume_in_an_async_entrypoint(saver: Any) -> None:
    calls = Calls()

    @task
    async def ask(x: int) -> str:
        calls.add("ask")
        return f"{x}:{NBPREGEL.interrupt('why?')}"

    @task
    def note(x: int) -> int:
        calls.add("note")
        return x

    @entrypoint(checkpointer=saver)
    async def workflow(n: int) -> list[Any]:
        return [await note(n), await ask(n)]

    paused = workflow.invoke(1, thread())  # sync API, async entrypoint
    assert [i.value for i in paused["__interrupt__"]] == ["why?"]
    assert asyncio.run(workflow.ainvoke(Command(resume="because"), thread())) == [1, "1:because"]
    assert calls.counts() == {"note": 1, "ask": 2}


def test_many_calls_finishing_at_once_are_all_saved(saver: Any) -> None:
    calls = Calls()

    @task
    def square(x: int) -> int:
        calls.add("square")
        return x * x

    @entrypoint(checkpointer=saver)
    def workflow(n: int) -> int:
        total = sum(f.result() for f in [square(i) for i in range(n)])
        return total + NBPREGEL.interrupt("add what?")

    workflow.invoke(40, thread(), durability="async")
    writes = saver.get_tuple(thread()).pending_writes
    assert sorted(value for _, ch, value in writes if ch == RETURN) == [i * i for i in range(40)]
    assert workflow.invoke(Command(resume=1), thread()) == sum(i * i for i in range(40)) + 1
    assert calls["square"] == 40
