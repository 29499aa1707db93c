"""Per-node fault tolerance (``add_node(timeout=, error_handler=)``, ``set_node_defaults``).

The first part builds the same graph with nbpregel and with LangGraph and compares what a
user sees: results, ``updates`` streams, ``get_state`` / ``get_state_history`` summaries, the
errors raised. A few deliberate differences are pinned where they show. The second part is
nbpregel's alone: argument checking (every refusal names the node and the fix, and leaves
nothing behind), and what nbpregel does beyond LangGraph (timeouts and async handlers under a
sync ``invoke``, errors restored from checkpoints as themselves).
"""

from __future__ import annotations

import asyncio
import operator
import types
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import START, StateGraph
from nbpregel.checkpoint.memory import InMemorySaver
from nbpregel.errors import GraphValidationError, NodeError, NodeTimeoutError
from nbpregel.runtime import Runtime
from nbpregel.types import Command, TimeoutPolicy, TracePolicy

# -- the two libraries ---------------------------------------------------------------------


class S(TypedDict):
    log: Annotated[list, operator.add]


class Fan(TypedDict):
    log: Annotated[list, operator.add]
    items: list


def lib_of(name: str) -> types.SimpleNamespace:
    """The names these tests build graphs from, spelt by one library."""
    if name == "nbpregel":
        import nbpregel as top
        import nbpregel.cache.memory as cache
        import nbpregel.checkpoint.memory as checkpoint
        import nbpregel.errors as errors
        import nbpregel.graph as graph
        import nbpregel.runtime as runtime
        import nbpregel.types as types_
    else:
        import langgraph.cache.memory as cache  # type: ignore[no-redef]
        import langgraph.checkpoint.memory as checkpoint  # type: ignore[no-redef]
        import langgraph.errors as errors  # type: ignore[no-redef]
        import langgraph.graph as graph  # type: ignore[no-redef]
        import langgraph.runtime as runtime  # type: ignore[no-redef]
        import langgraph.types as top  # type: ignore[no-redef]
        import langgraph.types as types_  # type: ignore[no-redef]
    return types.SimpleNamespace(
        name=name,
        StateGraph=graph.StateGraph,
        START=graph.START,
        END=graph.END,
        Command=types_.Command,
        Send=types_.Send,
        RetryPolicy=types_.RetryPolicy,
        TimeoutPolicy=types_.TimeoutPolicy,
        interrupt=top.interrupt,
        NodeError=errors.NodeError,
        NodeTimeoutError=errors.NodeTimeoutError,
        InMemorySaver=checkpoint.InMemorySaver,
        InMemoryCache=cache.InMemoryCache,
        Runtime=runtime.Runtime,
    )


LG_MARK = pytest.mark.langgraph


def same(scenario: Callable[[types.SimpleNamespace], Any]) -> Any:
    """Run ``scenario`` with both libraries; they must agree. Returns nbpregel's summary."""
    pytest.importorskip("langgraph")
    ours = scenario(lib_of("nbpregel"))
    theirs = scenario(lib_of("langgraph"))
    assert ours == theirs
    return ours


def kind(error: Any) -> str | None:
    """An error's class name, whether it is the exception or (LangGraph's checkpoints) its repr."""
    if error is None:
        return None
    return type(error).__name__ if isinstance(error, BaseException) else str(error).split("(")[0]


def history(app: Any, config: dict[str, Any]) -> list[Any]:
    """Per checkpoint, oldest first: step, values, next (sorted: the libraries order it
    differently), and each task's name and error class."""
    return [
        (
            s.metadata["step"],
            s.values,
            tuple(sorted(s.next)),
            sorted((t.name, kind(t.error)) for t in s.tasks),
        )
        for s in reversed(list(app.get_state_history(config)))
    ]


def chunks(app: Any, payload: Any, config: Any = None, **kwargs: Any) -> list[Any]:
    """The ``updates`` chunks of a run, interrupts as their values (the classes differ)."""
    out = []
    for chunk in app.stream(payload, config, stream_mode="updates", **kwargs):
        body = chunk[-1] if isinstance(chunk, tuple) else chunk
        if "__interrupt__" in body:
            body = {"__interrupt__": [i.value for i in body["__interrupt__"]]}
        out.append(body if not isinstance(chunk, tuple) else (len(chunk[0]), body))
    return out


def fast(lib: Any, attempts: int) -> Any:
    return lib.RetryPolicy(max_attempts=attempts, initial_interval=0.001, jitter=False)


def thread(name: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": name}}


class Counter:
    """A node that raises ``error()`` on its first ``failures`` calls, then writes its name."""

    def __init__(self, name: str, failures: int = 10**6, error: Any = KeyError) -> None:
        self.name, self.failures, self.error, self.calls = name, failures, error, 0
        self.__name__ = name

    def __call__(self, state: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"{self.name} failed")
        return {"log": [self.name]}


def writes(word: str) -> Callable[[Any], dict[str, Any]]:
    return lambda state: {"log": [word]}


def recover(state: Any, error: NodeError) -> dict[str, Any]:
    return {"log": [f"handled {error.node}: {type(error.error).__name__}"]}


# -- error handlers ------------------------------------------------------------------------


def handled_update_ends_the_run(lib: Any) -> Any:
    g = lib.StateGraph(S)
    g.add_node("boom", Counter("boom"), error_handler=recover)
    g.add_node("after", writes("after"))
    g.add_edge(lib.START, "boom")
    g.add_edge("boom", "after")
    app = g.compile(checkpointer=lib.InMemorySaver())
    return chunks(app, {"log": []}, thread("t")), history(app, thread("t"))


@LG_MARK
def test_a_handlers_update_is_applied_and_the_failed_nodes_edges_are_not_followed() -> None:
    updates, steps = same(handled_update_ends_the_run)
    assert updates == [{"__error_handler__boom": {"log": ["handled boom: KeyError"]}}]
    assert steps[1] == (0, {"log": []}, ("boom",), [("boom", "KeyError")])
    assert steps[-1][1:3] == ({"log": ["handled boom: KeyError"]}, ())


def handled_beside_a_sibling(lib: Any) -> Any:
    g = lib.StateGraph(S)
    g.add_node("z", Counter("z"), error_handler=recover)
    g.add_node("b", writes("b"))
    g.add_node("after", writes("after"))
    g.add_edge(lib.START, "z")
    g.add_edge(lib.START, "b")
    g.add_edge("z", "after")
    g.add_edge("b", "after")
    app = g.compile(checkpointer=lib.InMemorySaver())
    updates = chunks(app, {"log": []}, thread("t"))
    # the step's two updates arrive in completion order
    return sorted(map(repr, updates[:2])), updates[2:], history(app, thread("t"))


@LG_MARK
def test_a_sibling_goes_on_and_the_handlers_writes_take_the_failed_nodes_place() -> None:
    _, rest, steps = same(handled_beside_a_sibling)
    assert rest == [{"after": {"log": ["after"]}}]
    # ordered as z's writes would be (after b's), though the handler's name sorts first
    assert steps[-1][1] == {"log": ["b", "handled z: KeyError", "after"]}


def handler_routes(lib: Any) -> Any:
    def route(state: Any, error: NodeError) -> Any:
        return lib.Command(update={"log": [f"rerouted from {error.node}"]}, goto="other")

    g = lib.StateGraph(S)
    g.add_node("boom", Counter("boom"), error_handler=route)
    g.add_node("after", writes("after"))
    g.add_node("other", writes("other"))
    g.add_edge(lib.START, "boom")
    g.add_edge("boom", "after")
    return chunks(g.compile(), {"log": []})


@LG_MARK
def test_a_handlers_command_goto_routes_the_run() -> None:
    assert same(handler_routes) == [
        {"__error_handler__boom": {"log": ["rerouted from boom"]}},
        {"other": {"log": ["other"]}},
    ]


def retries_then_handler(lib: Any) -> Any:
    node = Counter("flaky", error=ConnectionError)
    seen = []

    def handler(state: Any, error: NodeError, runtime: Any) -> dict[str, Any]:
        seen.append((node.calls, runtime.execution_info.node_attempt, str(error.error)))
        return {"log": ["handled"]}

    g = lib.StateGraph(S)
    g.add_node("flaky", node, retry_policy=fast(lib, 3), error_handler=handler)
    g.add_edge(lib.START, "flaky")
    return g.compile().invoke({"log": []}), seen


@LG_MARK
def test_the_handler_runs_once_the_retries_are_used_up() -> None:
    result, seen = same(retries_then_handler)
    assert result == {"log": ["handled"]}
    assert seen == [(3, 1, "flaky failed")]


def failing_handler_then_resume(lib: Any) -> Any:
    node = Counter("boom")
    calls = []

    def handler(state: Any, error: NodeError) -> dict[str, Any]:
        calls.append(kind(error.error))
        if len(calls) == 1:
            raise ValueError("handler broke")
        return {"log": ["second try"]}

    g = lib.StateGraph(S)
    g.add_node("boom", node, error_handler=handler)
    g.add_edge(lib.START, "boom")
    app = g.compile(checkpointer=lib.InMemorySaver())
    with pytest.raises(ValueError, match="handler broke") as raised:
        app.invoke({"log": []}, thread("t"))
    state = app.get_state(thread("t"))
    paused = (state.next, [(t.name, kind(t.error)) for t in state.tasks])
    resumed = app.invoke(None, thread("t"))
    return kind(raised.value), paused, resumed, node.calls, calls


@LG_MARK
def test_a_failing_handler_fails_the_run_and_a_resume_runs_the_handler_not_the_node() -> None:
    pytest.importorskip("langgraph")
    ours = failing_handler_then_resume(lib_of("nbpregel"))
    theirs = failing_handler_then_resume(lib_of("langgraph"))
    raised, paused, resumed, node_calls, handler_calls = ours
    assert ours[:1] + ours[2:] == theirs[:1] + theirs[2:]
    # Deliberate: the task's error is the handler's, what stops the run (LangGraph saves the
    # handler's under a task of its own and shows the node's).
    assert paused == (("boom",), [("boom", "ValueError")])
    assert theirs[1] == (("boom",), [("boom", "KeyError")])
    assert raised == "ValueError"
    assert resumed == {"log": ["second try"]}
    assert node_calls == 1
    assert handler_calls == ["KeyError", "KeyError"]


def async_handler(lib: Any) -> Any:
    async def handler(state: Any, error: NodeError) -> dict[str, Any]:
        await asyncio.sleep(0.001)
        return {"log": [f"async {error.node}"]}

    async def node(state: Any) -> dict[str, Any]:
        raise KeyError("no")

    out = []
    for failing in (Counter("sync_node"), node):
        g = lib.StateGraph(S)
        g.add_node("n", failing, error_handler=handler)
        g.add_edge(lib.START, "n")
        out.append(asyncio.run(g.compile().ainvoke({"log": []})))
    return out


@LG_MARK
def test_an_async_handler_runs_for_sync_and_async_nodes() -> None:
    assert same(async_handler) == [{"log": ["async n"]}, {"log": ["async n"]}]


def interrupt_in_handler(lib: Any) -> Any:
    node = Counter("boom")

    def ask(state: Any, error: NodeError) -> Any:
        answer = lib.interrupt(f"{error.node} failed: go on?")
        return lib.Command(update={"log": [f"answer {answer}"]}, goto="after")

    g = lib.StateGraph(S)
    g.add_node("boom", node, error_handler=ask)
    g.add_node("after", writes("after"))
    g.add_edge(lib.START, "boom")
    app = g.compile(checkpointer=lib.InMemorySaver())
    first = chunks(app, {"log": []}, thread("t"))
    state = app.get_state(thread("t"))
    paused = (state.values, state.next, [(t.name, kind(t.error)) for t in state.tasks])
    second = chunks(app, lib.Command(resume="yes"), thread("t"))
    return first, paused, second, node.calls, app.get_state(thread("t")).values


@LG_MARK
def test_an_interrupt_in_a_handler_pauses_and_resuming_runs_only_the_handler() -> None:
    first, paused, second, node_calls, final = same(interrupt_in_handler)
    assert first == [{"__interrupt__": ["boom failed: go on?"]}]
    assert paused == ({"log": []}, ("boom",), [("boom", "KeyError")])
    assert second == [
        {"__error_handler__boom": {"log": ["answer yes"]}},
        {"after": {"log": ["after"]}},
    ]
    assert node_calls == 1
    assert final == {"log": ["answer yes", "after"]}


def handled_beside_an_interrupt(lib: Any) -> Any:
    calls = []

    def handler(state: Any, error: NodeError) -> dict[str, Any]:
        calls.append(error.node)
        return {"log": ["handled z"]}

    def asker(state: Any) -> dict[str, Any]:
        return {"log": [f"asked {lib.interrupt('q')}"]}

    g = lib.StateGraph(S)
    g.add_node("z", Counter("z"), error_handler=handler)
    g.add_node("b", asker)
    g.add_edge(lib.START, "z")
    g.add_edge(lib.START, "b")
    app = g.compile(checkpointer=lib.InMemorySaver())
    first = sorted(map(repr, chunks(app, {"log": []}, thread("t"))))
    second = chunks(app, lib.Command(resume="yes"), thread("t"))
    return first, sorted(map(repr, second)), app.get_state(thread("t")).values, len(calls)


@LG_MARK
def test_a_step_resumed_after_a_sibling_paused_keeps_the_handlers_outcome() -> None:
    pytest.importorskip("langgraph")
    ours = handled_beside_an_interrupt(lib_of("nbpregel"))
    theirs = handled_beside_an_interrupt(lib_of("langgraph"))
    assert ours[0] == theirs[0] and ours[2] == theirs[2]
    assert ours[2] == {"log": ["asked yes", "handled z"]}
    # Deliberate: the handler's outcome was saved as the task's, so the resumed step reuses it
    # (shown under the node's name, as any reused task's update) where LangGraph runs the
    # handler again.
    assert (ours[3], theirs[3]) == (1, 2)
    assert ours[1] == sorted(["{'z': {'log': ['handled z']}}", "{'b': {'log': ['asked yes']}}"])
    assert theirs[1] == sorted(
        ["{'__error_handler__z': {'log': ['handled z']}}", "{'b': {'log': ['asked yes']}}"]
    )


def failing_sends(lib: Any) -> Any:
    def fan(state: Any) -> Any:
        return [lib.Send("work", {"log": [], "items": [i]}) for i in state["items"]]

    def work(state: Any) -> dict[str, Any]:
        if state["items"][0] % 2:
            raise KeyError(f"odd {state['items'][0]}")
        return {"log": [f"ok {state['items'][0]}"]}

    def handler(state: Any, error: NodeError) -> dict[str, Any]:
        return {"log": [f"handled {state['items']} {error.error}"]}

    g = lib.StateGraph(Fan)
    g.add_node("work", work, error_handler=handler)
    g.add_conditional_edges(lib.START, fan, ["work"])
    app = g.compile()
    updates = chunks(app, {"log": [], "items": [1, 2, 3]})
    return sorted(map(repr, updates)), app.invoke({"log": [], "items": [1, 2, 3]})["log"]


@LG_MARK
def test_each_failed_send_gets_the_handler_with_its_own_input() -> None:
    _, log = same(failing_sends)
    assert log == ["handled [1] 'odd 1'", "ok 2", "handled [3] 'odd 3'"]


def subgraph_failures(lib: Any) -> Any:
    def inner_boom(state: Any) -> Any:
        raise KeyError("inner")

    def describe(state: Any, error: NodeError) -> dict[str, Any]:
        return {"log": [f"{error.node}: {type(error.error).__name__}"]}

    inner = lib.StateGraph(S)
    inner.add_node("inner", inner_boom)
    inner.add_edge(lib.START, "inner")
    outer = lib.StateGraph(S)
    outer.add_node("sub", inner.compile(), error_handler=describe)
    outer.add_edge(lib.START, "sub")
    whole = chunks(outer.compile(), {"log": []}, subgraphs=True)
    # a handler inside the subgraph, and defaults the subgraph does not inherit
    inner = lib.StateGraph(S)
    inner.add_node("inner", inner_boom, error_handler=describe)
    inner.add_edge(lib.START, "inner")
    outer = lib.StateGraph(S).set_node_defaults(error_handler=recover)
    outer.add_node("sub", inner.compile())
    outer.add_node("after", writes("after"))
    outer.add_edge(lib.START, "sub")
    outer.add_edge("sub", "after")
    nested = chunks(outer.compile(), {"log": []}, subgraphs=True)
    return whole, nested


@LG_MARK
def test_a_failing_subgraph_is_handled_as_its_node_and_handlers_inside_it_work() -> None:
    whole, nested = same(subgraph_failures)
    assert whole == [(0, {"__error_handler__sub": {"log": ["sub: KeyError"]}})]
    assert nested == [
        (1, {"__error_handler__inner": {"log": ["inner: KeyError"]}}),
        (0, {"sub": {"log": ["inner: KeyError"]}}),
        (0, {"after": {"log": ["after"]}}),
    ]


def defaults_and_precedence(lib: Any) -> Any:
    a, b = Counter("a", error=ConnectionError), Counter("b", error=ConnectionError)
    c = Counter("c", failures=1, error=ConnectionError)

    def own(state: Any, error: NodeError) -> dict[str, Any]:
        return {"log": [f"own {error.node}"]}

    g = lib.StateGraph(S)
    g.add_node("a", a)
    g.set_node_defaults(retry_policy=fast(lib, 2), error_handler=recover)  # after add_node
    g.add_node("b", b, retry_policy=fast(lib, 4), error_handler=own)
    g.add_node("c", c)
    for name in "abc":
        g.add_edge(lib.START, name)
    app = g.compile()
    app.retry_policy = [fast(lib, 3)]  # the graph's: below the defaults
    result = app.invoke({"log": []})
    return (
        sorted(result["log"]),
        (a.calls, b.calls, c.calls),
        sorted(key for chunk in chunks(app, {"log": []}) for key in chunk),
    )


@LG_MARK
def test_node_arguments_win_over_set_node_defaults_which_win_over_the_graphs_policy() -> None:
    log, calls, names = same(defaults_and_precedence)
    assert log == ["c", "handled a: ConnectionError", "own b"]
    assert calls == (2, 4, 2)
    assert names == ["__default_error_handler__", "__error_handler__b", "c"]


def handler_results_are_not_cached(lib: Any) -> Any:
    node = Counter("boom")
    g = lib.StateGraph(S)
    g.add_node("boom", node, error_handler=recover, cache_policy=lib_cache_policy(lib))
    g.add_edge(lib.START, "boom")
    app = g.compile(cache=lib.InMemoryCache())
    return [app.invoke({"log": []}) for _ in range(2)], node.calls


def lib_cache_policy(lib: Any) -> Any:
    if lib.name == "nbpregel":
        from nbpregel.types import CachePolicy
    else:
        from langgraph.types import CachePolicy  # type: ignore[assignment]
    return CachePolicy()


@LG_MARK
def test_a_handlers_outcome_is_not_cached_as_the_nodes() -> None:
    results, calls = same(handler_results_are_not_cached)
    assert results == [{"log": ["handled boom: KeyError"]}] * 2
    assert calls == 2


def trace_policy_changes_nothing(lib: Any) -> Any:
    if lib.name == "nbpregel":
        policy: Any = TracePolicy(process_inputs=lambda value: {})
    else:
        from langgraph.types import TracePolicy as LangGraphTracePolicy

        policy = LangGraphTracePolicy(process_inputs=lambda value: {})
    g = lib.StateGraph(S)
    g.add_node("a", writes("a"), trace_policy=policy)
    g.add_edge(lib.START, "a")
    return g.compile().invoke({"log": []})


@LG_MARK
def test_trace_policy_is_accepted_and_changes_nothing() -> None:
    assert same(trace_policy_changes_nothing) == {"log": ["a"]}


# -- timeouts ------------------------------------------------------------------------------


def sleeper(seconds: float, *, beat: float | None = None, write: float | None = None) -> Any:
    """An async node that takes ``seconds``, calling ``runtime.heartbeat()`` every ``beat``
    seconds or writing a custom chunk every ``write`` seconds."""

    async def slow(state: Any, runtime: Any) -> dict[str, Any]:
        step = beat or write
        if step is None:
            await asyncio.sleep(seconds)
        else:
            for _ in range(round(seconds / step)):
                await asyncio.sleep(step)
                if beat:
                    runtime.heartbeat()
                else:
                    runtime.stream_writer("tick")
        return {"log": ["done"]}

    return slow


def timed_run(lib: Any, node: Any, timeout: Any, **options: Any) -> Any:
    """Run ``node`` with ``timeout`` under ``ainvoke``: its result, or its error's summary."""
    g = lib.StateGraph(S)
    g.add_node("slow", node, timeout=timeout, **options)
    g.add_edge(lib.START, "slow")
    try:
        return asyncio.run(g.compile().ainvoke({"log": []}))
    except lib.NodeTimeoutError as error:
        return (error.node, error.kind, error.timeout, error.run_timeout, error.idle_timeout)


def timeouts(lib: Any) -> Any:
    policy = lib.TimeoutPolicy
    return [
        timed_run(lib, sleeper(1.0), 0.05),
        timed_run(lib, sleeper(1.0), timedelta(milliseconds=50)),
        timed_run(lib, sleeper(0.01), 1.0),
        timed_run(lib, sleeper(1.0), policy(idle_timeout=0.05)),
        timed_run(lib, sleeper(0.3, beat=0.02), policy(idle_timeout=0.1)),
        timed_run(lib, sleeper(0.6, beat=0.02), policy(idle_timeout=0.1, run_timeout=0.2)),
        timed_run(lib, sleeper(0.3, write=0.02), policy(idle_timeout=0.1)),
        timed_run(lib, sleeper(0.3, write=0.02), policy(idle_timeout=0.1, refresh_on="heartbeat")),
        timed_run(lib, sleeper(0.01), policy()),  # no limit set: no timeout
    ]


@LG_MARK
def test_timeouts_cancel_attempts_and_heartbeats_and_writes_keep_them_alive() -> None:
    done = {"log": ["done"]}
    assert same(timeouts) == [
        ("slow", "run", 0.05, 0.05, None),
        ("slow", "run", 0.05, 0.05, None),
        done,
        ("slow", "idle", 0.05, None, 0.05),
        done,
        ("slow", "run", 0.2, 0.2, 0.1),
        done,
        ("slow", "idle", 0.1, None, 0.1),
        done,
    ]


def timeouts_with_retries_and_handlers(lib: Any) -> Any:
    calls = []

    async def slow_twice(state: Any) -> dict[str, Any]:
        calls.append(1)
        await asyncio.sleep(1.0 if len(calls) < 3 else 0)
        return {"log": [f"done on attempt {len(calls)}"]}

    def timed_out(state: Any, error: NodeError) -> dict[str, Any]:
        e = error.error
        return {"log": [f"{type(e).__name__} {e.node} {e.kind} {e.timeout}"]}

    retried = timed_run(lib, slow_twice, 0.05, retry_policy=fast(lib, 3))
    handled = timed_run(lib, sleeper(1.0), 0.05, error_handler=timed_out)
    return retried, handled


@LG_MARK
def test_a_timeout_is_retried_by_the_default_retry_on_and_then_handled() -> None:
    retried, handled = same(timeouts_with_retries_and_handlers)
    assert retried == {"log": ["done on attempt 3"]}
    assert handled == {"log": ["NodeTimeoutError slow run 0.05"]}


def default_timeouts(lib: Any) -> Any:
    own = timed_run(lib, sleeper(0.1), 1.0, **{})
    g = lib.StateGraph(S).set_node_defaults(timeout=0.05)
    g.add_node("fast_enough", sleeper(0.1), timeout=1.0)  # its own wins
    g.add_node("slow", sleeper(1.0))
    g.add_edge(lib.START, "fast_enough")
    g.add_edge("fast_enough", "slow")
    try:
        asyncio.run(g.compile().ainvoke({"log": []}))
    except lib.NodeTimeoutError as error:
        default = (error.node, error.timeout)

    return own, default


@LG_MARK
def test_a_default_timeout_applies_to_nodes_without_one() -> None:
    own, default = same(default_timeouts)
    assert own == {"log": ["done"]}
    assert default == ("slow", 0.05)


def test_a_default_timeout_also_bounds_error_handlers() -> None:
    # Deliberate: LangGraph's docs say so, and it refuses a sync handler under a default
    # timeout, but its handler tasks run without one (this handler would finish after 1 s).
    async def slow_handler(state: S, error: NodeError) -> S:
        await asyncio.sleep(1.0)
        return {"log": ["never"]}

    g = StateGraph(S).set_node_defaults(timeout=0.05, error_handler=slow_handler)
    g.add_node("fails", failing_async).add_edge(START, "fails")
    with pytest.raises(NodeTimeoutError) as raised:
        asyncio.run(g.compile().ainvoke({"log": []}))
    assert (raised.value.node, raised.value.timeout) == ("__default_error_handler__", 0.05)


async def failing_async(state: S) -> S:
    raise KeyError("x")


def refusals(lib: Any) -> Any:
    """Whether each graph is refused (with a ValueError) before it runs."""

    async def async_node(state: Any) -> Any:
        return {"log": ["a"]}

    def attempt(build: Callable[[Any], None]) -> bool:
        g = lib.StateGraph(S)
        try:
            build(g)
            g.add_edge(lib.START, "a")
            g.compile()
        except ValueError:
            return True
        return False

    cases = [
        lambda g: g.add_node("a", writes("a"), timeout=1),
        lambda g: g.set_node_defaults(timeout=1).add_node("a", writes("a")),
        lambda g: g.set_node_defaults(timeout=1).add_node("a", async_node, error_handler=recover),
        lambda g: g.add_node("a", async_node, timeout=1, error_handler=recover),
        lambda g: g.add_node("a", async_node, timeout=lib.TimeoutPolicy(idle_timeout=2)),
    ]
    cases += [lambda g, bad=bad: g.add_node("a", async_node, timeout=bad) for bad in BAD_TIMEOUTS]
    cases += [
        lambda g: g.add_node(
            "a", async_node, timeout=lib.TimeoutPolicy(run_timeout=1, refresh_on="x")
        ),
        lambda g: g.set_node_defaults(timeout=0),
    ]
    return [attempt(build) for build in cases]


BAD_TIMEOUTS = [0, -1, "soon", timedelta(0)]


@LG_MARK
def test_sync_nodes_and_bad_timeouts_are_refused_before_running() -> None:
    assert same(refusals) == [True, True, True, False, False] + [True] * 4 + [True, True]


# -- nbpregel's own: argument checks --------------------------------------------------------


async def async_node(state: S) -> S:
    return {"log": ["a"]}


def sync_node(state: S) -> S:
    return {"log": ["s"]}


@pytest.mark.parametrize(
    ("timeout", "says"),
    [
        (0, "positive"),
        (-2.5, "positive"),
        (True, "number of seconds"),
        ("10s", "number of seconds"),
        (float("nan"), "positive"),
        (timedelta(seconds=-1), "positive"),
        (TimeoutPolicy(idle_timeout=0), "idle_timeout"),
        (TimeoutPolicy(run_timeout=1, refresh_on="often"), "refresh_on"),  # type: ignore[arg-type]
    ],
    ids=["zero", "negative", "bool", "string", "nan", "negative-timedelta", "idle-zero", "refresh"],
)
def test_a_bad_timeout_is_refused_naming_the_node_and_the_fix(timeout: Any, says: str) -> None:
    g = StateGraph(S)
    with pytest.raises(GraphValidationError, match=says) as raised:
        g.add_node("fetch", async_node, timeout=timeout)
    assert "node 'fetch'" in str(raised.value)
    assert "TimeoutPolicy(" in str(raised.value)  # the fix: what to pass instead
    assert g.nodes == {}  # nothing was added


def test_a_sync_node_with_a_timeout_is_refused_at_add_node() -> None:
    g = StateGraph(S)
    with pytest.raises(GraphValidationError, match="node 'work' is sync") as raised:
        g.add_node("work", sync_node, timeout=5)
    assert "async def" in str(raised.value)
    assert g.nodes == {}


def test_a_default_timeout_over_a_sync_node_or_handler_is_refused_at_compile() -> None:
    saver = InMemorySaver()
    g = StateGraph(S).set_node_defaults(timeout=5)
    g.add_node("work", sync_node).add_edge(START, "work")
    with pytest.raises(GraphValidationError, match=r"node 'work' is sync.*set_node_defaults"):
        g.compile(checkpointer=saver)
    assert list(saver.list(None)) == []  # a refused graph saves nothing

    g = StateGraph(S).set_node_defaults(timeout=5, error_handler=recover)
    g.add_node("work", async_node).add_edge(START, "work")
    with pytest.raises(GraphValidationError, match="error handler 'recover' of node 'work'"):
        g.compile()


@pytest.mark.parametrize("handler", ["recover", 3, StateGraph], ids=["string", "int", "class"])
def test_an_error_handler_that_is_not_a_function_is_refused(handler: Any) -> None:
    g = StateGraph(S)
    with pytest.raises(GraphValidationError, match="node 'fetch': error_handler must be"):
        g.add_node("fetch", sync_node, error_handler=handler)
    assert g.nodes == {}
    with pytest.raises(GraphValidationError, match="set_node_defaults: error_handler must be"):
        g.set_node_defaults(error_handler=handler)
    assert g.node_defaults.error_handler is None


def test_a_handler_must_annotate_error_to_receive_it() -> None:
    def unannotated(state: S, error):  # type: ignore[no-untyped-def]
        return {"log": [str(error)]}

    def extra(state: S, error: NodeError, attempt: int) -> S:
        return {"log": []}

    g = StateGraph(S)
    with pytest.raises(GraphValidationError, match="'error' that is not annotated NodeError"):
        g.add_node("fetch", sync_node, error_handler=unannotated)
    with pytest.raises(GraphValidationError, match="parameter 'attempt' with no default"):
        g.add_node("fetch", sync_node, error_handler=extra)
    assert g.nodes == {}


def test_a_handler_without_an_error_parameter_or_with_a_default_gets_none_of_it() -> None:
    def plain(state: S) -> S:
        return {"log": ["plain"]}

    def optional(state: S, error: NodeError | None = None) -> S:
        return {"log": [f"optional {error.node if error else None}"]}

    for handler, expected in ((plain, "plain"), (optional, "optional boom")):
        g = StateGraph(S).add_node("boom", Counter("boom"), error_handler=handler)
        assert g.add_edge(START, "boom").compile().invoke({"log": []}) == {"log": [expected]}


def test_a_handler_name_taken_by_a_node_is_refused_at_compile() -> None:
    g = StateGraph(S)
    g.add_node("__error_handler__a", sync_node).add_node("a", sync_node, error_handler=recover)
    g.add_edge(START, "a").add_edge(START, "__error_handler__a")
    with pytest.raises(GraphValidationError, match="'__error_handler__a', which is already"):
        g.compile()
    g = StateGraph(S).set_node_defaults(error_handler=recover)
    g.add_node("__default_error_handler__", sync_node).add_edge(START, "__default_error_handler__")
    with pytest.raises(GraphValidationError, match="rename that node"):
        g.compile()


# -- nbpregel's own: beyond LangGraph ------------------------------------------------------


def test_timeouts_and_async_handlers_work_under_a_sync_invoke() -> None:
    # LangGraph runs neither under invoke(): its sync runner cannot run async nodes.
    async def handler(state: S, error: NodeError) -> S:
        await asyncio.sleep(0.001)
        return {"log": [f"{error.error.kind} timeout of {error.node}"]}

    g = StateGraph(S)
    g.add_node("slow", sleeper(1.0), timeout=0.05, error_handler=handler)
    g.add_node("boom", Counter("boom"), error_handler=handler)
    g.add_edge(START, "slow")
    assert g.compile().invoke({"log": []}) == {"log": ["run timeout of slow"]}
    with pytest.raises(NodeTimeoutError, match=r"node 'slow' ran past its run timeout of 0\.050s"):
        StateGraph(S).add_node("slow", sleeper(1.0), timeout=0.05).add_edge(
            START, "slow"
        ).compile().invoke({"log": []})


def test_a_subgraph_node_takes_a_timeout_and_its_nodes_heartbeats_keep_it_alive() -> None:
    inner = StateGraph(S)
    inner.add_node("beats", sleeper(0.3, beat=0.02)).add_edge(START, "beats")
    quiet = StateGraph(S)
    quiet.add_node("sleeps", sleeper(0.3)).add_edge(START, "sleeps")
    for sub, expected in ((inner, {"log": ["done"]}), (quiet, None)):
        g = StateGraph(S).add_node("sub", sub.compile(), timeout=TimeoutPolicy(idle_timeout=0.1))
        app = g.add_edge(START, "sub").compile()
        if expected is None:
            with pytest.raises(NodeTimeoutError, match="node 'sub' showed no progress"):
                app.invoke({"log": []})
        else:
            assert app.invoke({"log": []}) == expected


def test_after_a_resume_the_handler_gets_the_error_as_itself_and_streams_show_both_tasks() -> None:
    seen: list[Any] = []

    def ask(state: S, error: NodeError) -> S:
        seen.append(error.error)
        return {"log": [f"answer {interrupt('retry?')}"]}

    from nbpregel import interrupt

    g = StateGraph(S).add_node("slow", sleeper(1.0), timeout=0.05, error_handler=ask)
    app = g.add_edge(START, "slow").compile(checkpointer=InMemorySaver())
    first = list(app.stream({"log": []}, thread("r"), stream_mode="tasks"))
    app.invoke(Command(resume="no"), thread("r"))
    restored = seen[-1]  # LangGraph hands the handler the error's repr() here
    assert isinstance(restored, NodeTimeoutError)
    assert (restored.node, restored.kind, restored.timeout) == ("slow", "run", 0.05)
    assert app.get_state(thread("r")).values == {"log": ["answer no"]}
    # tasks: the node's start and failure, then the handler's own start and result
    names = [(c["name"], "result" in c or "error" in c) for c in first]
    assert names == [
        ("slow", False),
        ("slow", True),
        ("__error_handler__slow", False),
        ("__error_handler__slow", True),
    ]
    assert "NodeTimeoutError" in first[1]["error"]
    assert first[2]["id"] != first[0]["id"] and first[3]["id"] == first[2]["id"]
    assert first[3]["interrupts"][0].value == "retry?"


def test_the_history_shows_the_handlers_writes_as_the_failed_tasks_result() -> None:
    # Deliberate: LangGraph saves them under a task of the handler's own, and shows
    # result=None here (the error, KeyError, is shown by both).
    g = StateGraph(S).add_node("boom", Counter("boom"), error_handler=recover)
    app = g.add_edge(START, "boom").compile(checkpointer=InMemorySaver())
    app.invoke({"log": []}, thread("h"))
    step0 = next(s for s in app.get_state_history(thread("h")) if s.metadata["step"] == 0)
    assert [(t.name, t.result) for t in step0.tasks] == [
        ("boom", {"log": ["handled boom: KeyError"]})
    ]


def test_heartbeat_outside_a_timed_attempt_does_nothing() -> None:
    def node(state: S, runtime: Runtime) -> S:
        runtime.heartbeat()
        return {"log": ["beat"]}

    app = StateGraph(S).add_node("n", node).add_edge(START, "n").compile()
    assert app.invoke({"log": []}) == {"log": ["beat"]}
