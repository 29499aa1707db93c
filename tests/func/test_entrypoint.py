"""``@entrypoint``: a function becomes a one-node graph with the ordinary Pregel API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nbpregel import END, START, GraphValidationError, Pregel, RetryPolicy
from nbpregel import get_config as nb_get_config
from nbpregel import interrupt as nb_interrupt
from nbpregel.checkpoint import InMemorySaver
from nbpregel.constants import PREVIOUS
from nbpregel.func import entrypoint, task
from nbpregel.types import Command, StreamWriter


def thread(thread_id: str = "1") -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


@task
def add_one(x: int) -> int:
    return x + 1


def test_entrypoint_is_a_pregel_graph_with_one_node() -> None:
    @entrypoint()
    def workflow(n: int) -> int:
        return add_one(n).result()

    assert isinstance(workflow, Pregel)
    assert list(workflow.nodes) == ["workflow"]
    assert set(workflow.channels) >= {START, END, PREVIOUS}
    assert workflow.invoke(1) == 2
    assert list(workflow.stream(1)) == [{"add_one": 2}, {"workflow": 2}]  # default: updates
    assert list(workflow.stream(1, stream_mode="values")) == [2]


def test_get_graph_draws_start_function_end() -> None:
    @entrypoint()
    def workflow(n: int) -> int:
        return n

    graph = workflow.get_graph()
    assert list(graph.nodes) == [START, "workflow", END]
    assert [(edge.source, edge.target) for edge in graph.edges] == [
        (START, "workflow"),
        ("workflow", END),
    ]


def _no_params() -> None:
    return None


def _keyword_only(*, previous: Any = None) -> None:
    return None


@pytest.mark.parametrize("func", [_no_params, _keyword_only], ids=["no-params", "keyword-only"])
def test_a_function_without_a_positional_input_is_refused(func: Any) -> None:
    with pytest.raises(GraphValidationError, match=f"{func.__name__!r} takes no positional"):
        entrypoint()(func)


def test_previous_is_the_last_saved_value_of_the_same_thread() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def total(n: int, *, previous: int | None = None) -> int:
        return (previous or 0) + n

    assert [total.invoke(n, thread("a")) for n in (1, 2, 3)] == [1, 3, 6]
    assert total.invoke(10, thread("b")) == 10
    assert total.get_state(thread("a")).values == 6


def test_previous_is_none_without_a_checkpointer() -> None:
    @entrypoint()
    def echo(n: int, *, previous: Any = None) -> Any:
        return previous

    assert echo.invoke(1) is None
    assert echo.invoke(2) is None


def test_final_returns_one_value_and_saves_another() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def tally(n: int, *, previous: int | None = None) -> Any:
        seen = (previous or 0) + n
        return entrypoint.final(value=f"seen {seen}", save=seen)

    assert tally.invoke(2, thread()) == "seen 2"
    assert tally.invoke(3, thread()) == "seen 5"
    assert tally.get_state(thread()).values == "seen 5"
    assert list(tally.stream(1, thread())) == [{"tally": "seen 6"}]
    final = entrypoint.final(value=1, save=2)
    assert (final.value, final.save) == (1, 2)
    with pytest.raises(AttributeError):
        final.value = 3  # type: ignore[misc]


def test_config_and_writer_are_injected_like_for_nodes() -> None:
    @entrypoint()
    def workflow(n: int, *, config: dict[str, Any], writer: StreamWriter) -> Any:
        writer({"progress": n})
        return config["configurable"]["flag"], nb_get_config()["configurable"]["flag"]

    chunks = list(
        workflow.stream(1, {"configurable": {"flag": "x"}}, stream_mode=["custom", "updates"])
    )
    assert chunks == [("custom", {"progress": 1}), ("updates", {"workflow": ("x", "x")})]


def test_interrupt_in_the_entrypoint_pauses_and_resumes() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def approve(draft: str) -> str:
        verdict = nb_interrupt({"draft": draft})
        return f"{draft}: {verdict}"

    paused = approve.invoke("memo", thread())
    (pending,) = paused["__interrupt__"]
    assert pending.value == {"draft": "memo"}
    state = approve.get_state(thread())
    assert state.next == ("approve",)
    assert state.interrupts == (pending,)
    assert approve.invoke(Command(resume="ok"), thread()) == "memo: ok"
    assert approve.get_state(thread()).next == ()


def test_the_entrypoint_itself_is_retried_by_its_policy() -> None:
    attempts: list[int] = []

    @entrypoint(retry_policy=RetryPolicy(max_attempts=2, initial_interval=0.001, jitter=False))
    def shaky(n: int) -> int:
        attempts.append(n)
        if len(attempts) == 1:
            raise ConnectionError("first attempt fails")
        return n

    assert shaky.invoke(5) == 5
    assert attempts == [5, 5]


def test_an_async_entrypoint_runs_with_sync_and_async_apis() -> None:
    @task
    async def fetch(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    @entrypoint()
    async def gather(n: int) -> list[int]:
        return list(await asyncio.gather(fetch(n), fetch(n + 1)))

    assert gather.invoke(1) == [3, 6]  # nbpregel runs async nodes under sync invoke too
    assert asyncio.run(gather.ainvoke(2)) == [6, 9]


def test_history_has_an_input_and_a_loop_checkpoint_per_run() -> None:
    @entrypoint(checkpointer=InMemorySaver())
    def workflow(n: int) -> int:
        return add_one(n).result()

    workflow.invoke(1, thread())
    workflow.invoke(5, thread())
    history = list(workflow.get_state_history(thread()))
    steps = [(snap.metadata["source"], snap.metadata["step"], snap.values) for snap in history]
    assert steps == [("loop", 2, 6), ("input", 1, 2), ("loop", 0, 2), ("input", -1, None)]
