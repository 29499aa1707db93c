"""``@entrypoint``: a plain function turned into a one-node graph that can call tasks.

The graph has one node, named after the function, and three channels: ``__start__`` (the
input), ``__end__`` (the function's return value, the run's output) and ``__previous__`` (what the
thread saved for its next run). Everything else, tasks, checkpoints, interrupts and streams, is
the ordinary superstep loop of :class:`~nbpregel.pregel.Pregel`.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

from nbpregel.channels import EphemeralValue, LastValue
from nbpregel.constants import END, PREVIOUS, START
from nbpregel.errors import GraphValidationError
from nbpregel.graph._policies import async_timeout
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.pregel._context import CURRENT
from nbpregel.pregel._futures import ajoin_calls, join_calls
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel._runtime import saved_previous
from nbpregel.pregel.main import Pregel
from nbpregel.types import CachePolicy, RetryPolicy, TimeoutPolicy

__all__ = ["EntrypointGraph", "entrypoint"]

R = TypeVar("R")
S = TypeVar("S")

_POSITIONAL = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.VAR_POSITIONAL,
)


def _takes_previous(func: Callable[..., Any]) -> bool:
    """Check the signature: one positional input first; returns whether it takes ``previous``."""
    name = getattr(func, "__name__", repr(func))
    try:
        params = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        return False  # a builtin or C callable: called with the input alone
    if not params or params[0].kind not in _POSITIONAL:
        raise GraphValidationError(
            f"entrypoint function {name!r} takes no positional parameter: it must take the "
            f"run's input first, e.g. def {name}(inputs, *, previous=None)"
        )
    return any(p.name == "previous" for p in params[1:])


def _previous() -> Any:
    """The value the thread saved last time (``None`` on a thread's first run)."""
    runtime = CURRENT.get()
    return saved_previous(runtime.loop) if runtime is not None else None


def _body(func: Callable[..., Any], *, is_async: bool, previous: bool) -> Callable[..., Any]:
    """The node function: calls ``func`` with the input, ``previous`` and what the engine injects.

    It also waits for the task calls it did not wait for, so none outlives the step.
    """
    if is_async:

        async def run_async(value: Any, **injected: Any) -> Any:
            if previous:
                injected["previous"] = _previous()
            try:
                return await func(value, **injected)
            finally:
                await ajoin_calls()

        return functools.wraps(func)(run_async)

    def run(value: Any, **injected: Any) -> Any:
        if previous:
            injected["previous"] = _previous()
        try:
            return func(value, **injected)
        finally:
            join_calls()

    return functools.wraps(func)(run)


def _write_result(output: Any, task: Any, channels: Any) -> list[tuple[str, Any]]:
    """The run's output and the value saved for the next run (both the result, unless final)."""
    if isinstance(output, entrypoint.final):
        return [(END, output.value), (PREVIOUS, output.save)]
    return [(END, output), (PREVIOUS, output)]


class EntrypointGraph(Pregel):
    """The graph ``@entrypoint`` makes of a function: ``__start__`` -> function -> ``__end__``.

    A :class:`~nbpregel.pregel.Pregel`: ``invoke``, ``stream``, their async twins and the state
    API work as for any graph; ``stream`` defaults to ``stream_mode="updates"``.
    """

    def __init__(
        self,
        func: Callable[..., Any],
        *,
        checkpointer: Any | None = None,
        store: Any | None = None,
        cache: Any | None = None,
        context_schema: type[Any] | None = None,
        cache_policy: CachePolicy | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> None:
        takes_previous = _takes_previous(func)
        probe = PregelNode(name="probe", triggers=(START,), reads=START, bound=func)
        name = getattr(func, "__name__", type(func).__name__)
        node = PregelNode(
            name=name,
            triggers=(START,),
            reads=START,
            bound=_body(func, is_async=probe.is_async, previous=takes_previous),
            writer=_write_result,
            streams_while_running=True,
            timeout=async_timeout(f"@entrypoint {name!r}", func, timeout),
        )
        node.accepts = probe.accepts  # what the engine injects: config, writer, runtime, store
        super().__init__(
            nodes={node.name: node},
            channels={START: EphemeralValue(Any), END: LastValue(Any), PREVIOUS: LastValue(Any)},
            input_channels=START,
            output_channels=END,
            stream_channels=END,
            checkpointer=checkpointer,
            cache=cache,
            store=store,
            context_schema=context_schema,
            stream_mode="updates",
            retry_policy=retry_policy,
            cache_policy=cache_policy,
        )
        self.func = func

    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> DrawableGraph:
        """The graph's shape, for drawing: ``__start__`` -> the function -> ``__end__``
        (``config`` and ``xray`` are LangGraph's and change nothing)."""
        (name,) = self.nodes
        return DrawableGraph(
            nodes=(
                DrawableNode(START, START, kind="start"),
                DrawableNode(name, name),
                DrawableNode(END, END, kind="end"),
            ),
            edges=(DrawableEdge(START, name), DrawableEdge(name, END)),
            name=self.name,
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from nbpregel.notebook.show import graph_mimebundle

        return graph_mimebundle(self.get_graph())


class entrypoint:  # lower case, as LangGraph spells it
    """Turn a function into a graph (a :class:`~nbpregel.pregel.Pregel`) that can call tasks.

    The function takes the run's input as its one positional parameter, and may take keyword
    parameters ``previous`` (what the thread's last run saved; ``None`` at first), ``config``,
    ``writer``, ``runtime`` and ``store`` (as graph nodes do). It runs as the graph's only
    node, sync or async; the ``@task`` functions it calls run as checkpointed tasks of the same
    superstep. Its return value is the run's output and is saved for the next run, unless it
    returns ``entrypoint.final(value=..., save=...)`` to return one value and save another.

    Args:
        checkpointer: a saver, to keep ``previous``, pause at ``interrupt()`` and resume.
        store: what the function and its tasks reach as ``runtime.store`` or through a
            ``store`` parameter.
        cache: where tasks with a ``cache_policy`` (and the entrypoint) keep their results.
        context_schema: the class of ``runtime.context`` (a dict passed as ``context=`` is
            made into it when it is a dataclass or pydantic model).
        cache_policy: the cache policy of the entrypoint and of every ``@task`` it calls that
            has none of its own (results kept in ``cache``), as LangGraph's.
        retry_policy: how to retry the entrypoint and every ``@task`` it calls that has no
            retry policy of its own, as LangGraph's: a failing task is retried alone, not the
            whole entrypoint.
        timeout: how long each attempt of an async entrypoint function may run before it is
            cancelled with ``NodeTimeoutError`` (seconds, a ``timedelta`` or a
            ``TimeoutPolicy``); its ``@task`` calls take their own (``@task(timeout=...)``).

    Example:
        >>> from nbpregel.checkpoint import InMemorySaver
        >>> from nbpregel.func import entrypoint
        >>> @entrypoint(checkpointer=InMemorySaver())
        ... def counter(step: int, *, previous: int | None = None) -> int:
        ...     return (previous or 0) + step
        >>> config = {"configurable": {"thread_id": "t1"}}
        >>> counter.invoke(1, config), counter.invoke(10, config)
        (1, 11)
    """

    @dataclasses.dataclass(frozen=True)
    class final(Generic[R, S]):  # LangGraph's name
        """Return ``value`` from the run but save ``save`` as the next run's ``previous``.

        >>> entrypoint.final(value="shown", save={"count": 1})
        entrypoint.final(value='shown', save={'count': 1})
        """

        value: R
        save: S

    def __init__(
        self,
        checkpointer: Any | None = None,
        store: Any | None = None,
        cache: Any | None = None,
        context_schema: type[Any] | None = None,
        cache_policy: CachePolicy | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> None:
        self.timeout = timeout
        self.checkpointer = checkpointer
        self.store = store
        self.context_schema = context_schema
        self.cache = cache
        self.cache_policy = cache_policy
        self.retry_policy = retry_policy

    def __call__(self, func: Callable[..., Any]) -> EntrypointGraph:
        """Build the graph of ``func``."""
        return EntrypointGraph(
            func,
            checkpointer=self.checkpointer,
            store=self.store,
            cache=self.cache,
            context_schema=self.context_schema,
            cache_policy=self.cache_policy,
            retry_policy=self.retry_policy,
            timeout=self.timeout,
        )
