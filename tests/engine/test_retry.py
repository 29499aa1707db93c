"""``RetryPolicy``: which errors are retried, how often, how long between attempts."""

from __future__ import annotations

import asyncio
import operator
import time
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, RetryPolicy, StateGraph


class S(TypedDict):
    log: Annotated[list, operator.add]


def fast(**kwargs: Any) -> RetryPolicy:
    """A policy that waits 1 ms between attempts, without jitter."""
    return RetryPolicy(**{"initial_interval": 0.001, "jitter": False, **kwargs})


class Flaky:
    """A node that fails ``failures`` times with ``error``, then succeeds; counts its calls."""

    def __init__(self, failures: int, error: Callable[[], Exception]) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    def __call__(self, state: S) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error()
        return {"log": [f"ok after {self.calls}"]}


def graph(node: Any, policy: RetryPolicy | list[RetryPolicy] | None) -> Any:
    g = StateGraph(S)
    g.add_node("flaky", node, retry_policy=policy)
    g.add_node("steady", lambda s: {"log": ["steady"]})
    g.add_edge(START, "flaky")
    g.add_edge(START, "steady")
    return g.compile()


def test_retried_then_succeeds_and_attempts_are_counted() -> None:
    node = Flaky(2, lambda: ConnectionError("down"))
    app = graph(node, fast(max_attempts=3))
    results = [c for c in app.stream({"log": []}, stream_mode="tasks") if "result" in c]
    assert node.calls == 3
    by_name = {c["name"]: c for c in results}
    assert by_name["flaky"]["attempts"] == 3
    assert by_name["flaky"]["error"] is None
    assert by_name["flaky"]["result"] == {"log": ["ok after 3"]}
    assert by_name["steady"]["attempts"] == 1  # a retry does not re-run the other tasks


def test_retried_then_exhausted_raises_the_last_error() -> None:
    node = Flaky(10, lambda: ConnectionError("still down"))
    with pytest.raises(ConnectionError, match="still down") as info:
        graph(node, fast(max_attempts=4)).invoke({"log": []})
    assert node.calls == 4
    assert "'flaky'" in " ".join(info.value.__notes__)


def test_without_a_policy_there_is_one_attempt() -> None:
    node = Flaky(1, lambda: ConnectionError("down"))
    with pytest.raises(ConnectionError):
        graph(node, None).invoke({"log": []})
    assert node.calls == 1


@pytest.mark.parametrize(
    "error",
    [ValueError, TypeError, KeyError, RuntimeError, ZeroDivisionError],
    ids=lambda e: e.__name__,
)
def test_default_policy_does_not_retry_programming_errors(error: type[Exception]) -> None:
    node = Flaky(1, lambda: error("bug"))
    with pytest.raises(error):
        graph(node, fast(max_attempts=5)).invoke({"log": []})
    assert node.calls == 1


@pytest.mark.parametrize(
    ("retry_on", "error", "calls"),
    [
        (KeyError, KeyError, 2),
        (KeyError, ValueError, 1),
        ((KeyError, ValueError), ValueError, 2),
        (lambda exc: "transient" in str(exc), ValueError, 2),
    ],
    ids=["class-match", "class-miss", "tuple", "predicate"],
)
def test_retry_on_selects_the_errors(retry_on: Any, error: type[Exception], calls: int) -> None:
    node = Flaky(1, lambda: error("transient"))
    app = graph(node, fast(max_attempts=3, retry_on=retry_on))
    if calls == 1:
        with pytest.raises(error):
            app.invoke({"log": []})
    else:
        assert app.invoke({"log": []})["log"] == ["ok after 2", "steady"]
    assert node.calls == calls


def test_first_matching_policy_of_several_applies() -> None:
    node = Flaky(3, lambda: KeyError("k"))
    policies = [fast(max_attempts=2, retry_on=ValueError), fast(max_attempts=4, retry_on=KeyError)]
    assert graph(node, policies).invoke({"log": []})["log"] == ["ok after 4", "steady"]


def test_backoff_grows_and_is_capped_by_max_interval() -> None:
    node = Flaky(3, lambda: ConnectionError("down"))
    policy = fast(initial_interval=0.02, backoff_factor=3.0, max_interval=0.03, max_attempts=4)
    started = time.monotonic()
    graph(node, policy).invoke({"log": []})
    elapsed = time.monotonic() - started
    # waits: 0.02, then min(0.06, 0.03), then min(0.18, 0.03) -> 0.08 s in all
    assert 0.075 <= elapsed < 0.5


async def test_async_node_is_retried() -> None:
    calls = 0

    async def flaky(state: S) -> dict[str, Any]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        if calls < 3:
            raise TimeoutError("slow network")
        return {"log": ["async ok"]}

    app = graph(flaky, fast(max_attempts=3, retry_on=TimeoutError))
    assert (await app.ainvoke({"log": []}))["log"] == ["async ok", "steady"]
    assert calls == 3


@pytest.mark.parametrize(
    "lib", ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]
)
def test_a_graph_wide_retry_policy_covers_nodes_without_their_own(lib: str) -> None:
    if lib == "nbpregel":
        graph_lib: Any = __import__("nbpregel")
        policy_cls = RetryPolicy
    else:
        import langgraph.graph as graph_lib
        from langgraph.types import RetryPolicy as policy_cls
    flaky, own = Flaky(2, lambda: ValueError("x")), Flaky(1, lambda: KeyError("y"))
    builder = graph_lib.StateGraph(S)
    builder.add_node("flaky", flaky)
    builder.add_node("own", own, retry_policy=policy_cls(max_attempts=1))
    builder.add_edge(graph_lib.START, "flaky")
    builder.add_edge("flaky", "own")
    app = builder.compile()
    # A sequence: LangGraph reads the attribute as one.
    app.retry_policy = (
        policy_cls(max_attempts=5, initial_interval=0.001, jitter=False, retry_on=Exception),
    )
    with pytest.raises(KeyError):  # the node's own policy wins: no retry of ``own``
        app.invoke({"log": []})
    assert (flaky.calls, own.calls) == (3, 1)
