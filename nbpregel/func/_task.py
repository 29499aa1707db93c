"""``@task``: a function whose calls, inside a running graph, become checkpointed child tasks."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar, overload

from nbpregel.constants import PUSH_TRIGGER, RETURN
from nbpregel.graph._policies import async_timeout
from nbpregel.pregel._cache import node_namespace
from nbpregel.pregel._call import call_task
from nbpregel.pregel._node import PregelNode
from nbpregel.types import CachePolicy, RetryPolicy, TimeoutPolicy

__all__ = ["TaskFunction", "task"]

P = ParamSpec("P")
T = TypeVar("T")


def _write_return(output: Any, task: Any, channels: Any) -> list[tuple[str, Any]]:
    """A call's only write: its return value, kept as a pending write (never applied)."""
    return [(RETURN, output)]


class TaskFunction(Generic[P, T]):
    """A function decorated with :func:`task`: calling it starts a task and returns a future.

    Attributes:
        func: the plain function (call it directly to run it outside a graph).
        name: the task's name in streams and saved writes.
        retry_policy: how failing calls are retried.
        cache_policy: when a cached result is reused (the graph needs a ``cache``).
        timeout: how long each attempt of an async task may run (``TimeoutPolicy``), or
            ``None``.
    """

    def __init__(
        self,
        func: Callable[P, T],
        *,
        name: str | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> None:
        if not callable(func):
            raise TypeError(f"@task needs a function, got {func!r}")
        functools.update_wrapper(self, func)
        self.func = func
        self.name: str = name or str(getattr(func, "__name__", type(func).__name__))
        self.__name__: str = self.name
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy
        self.timeout = async_timeout(f"@task {self.name!r}", func, timeout)
        self.node = PregelNode(
            name=self.name,
            triggers=(PUSH_TRIGGER,),
            reads=(),
            bound=func,
            writer=_write_return,
            retry_policy=retry_policy,
            cache_policy=cache_policy,
            timeout=self.timeout,
        )

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Any:
        """Start the task with these arguments; returns a future of its return value.

        Raises:
            NbPregelError: when called outside a running graph.
        """
        return call_task(self.node, args, kwargs)

    def clear_cache(self, cache: Any) -> None:
        """Forget this task's cached results in ``cache`` (a ``BaseCache``)."""
        cache.clear([node_namespace(self.name, self.func)])

    async def aclear_cache(self, cache: Any) -> None:
        """The async twin of :meth:`clear_cache`."""
        await cache.aclear([node_namespace(self.name, self.func)])

    def __repr__(self) -> str:
        return f"task({self.name!r})"


@overload
def task(
    func: None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
    timeout: float | timedelta | TimeoutPolicy | None = None,
) -> Callable[[Callable[P, T]], TaskFunction[P, T]]: ...


@overload
def task(func: Callable[P, T]) -> TaskFunction[P, T]: ...


def task(
    func: Callable[P, T] | None = None,
    *,
    name: str | None = None,
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
    cache_policy: CachePolicy | None = None,
    timeout: float | timedelta | TimeoutPolicy | None = None,
) -> TaskFunction[P, T] | Callable[[Callable[P, T]], TaskFunction[P, T]]:
    """Make ``func`` a task: inside a running graph, a call runs it as a checkpointed task.

    Calling a task inside an :func:`~nbpregel.func.entrypoint` function, another task or a graph
    node returns a future at once (``.result()`` waits; ``await`` it in async code), so calls
    made together run concurrently. Each call is a PUSH task of the caller's superstep, shown
    in the ``updates``, ``tasks`` and ``debug`` streams; its result is saved as it finishes,
    so when the caller runs again (resumed after an interrupt) finished calls are not repeated.

    Args:
        func: the function, sync or async (``@task`` without parentheses).
        name: the task's name (default: the function's name).
        retry_policy: retry failing calls (one policy or several, first match wins).
        cache_policy: reuse the result of an earlier call with equal arguments (``key_func``
            gets the call's arguments); the entrypoint needs ``cache=``.
        timeout: seconds (or a ``timedelta``, or a ``TimeoutPolicy``) each attempt of an
            async task may run before it is cancelled with ``NodeTimeoutError`` (which retry
            policies retry), as a node's ``timeout``.

    Returns:
        A :class:`TaskFunction` (or a decorator making one, when called with options only).

    Example:
        >>> from nbpregel.func import entrypoint, task
        >>> @task
        ... def double(x: int) -> int:
        ...     return 2 * x
        >>> @entrypoint()
        ... def workflow(numbers: list[int]) -> list[int]:
        ...     futures = [double(n) for n in numbers]  # these run concurrently
        ...     return [f.result() for f in futures]
        >>> workflow.invoke([1, 2, 3])
        [2, 4, 6]
    """

    def decorate(fn: Callable[P, T]) -> TaskFunction[P, T]:
        return TaskFunction(
            fn, name=name, retry_policy=retry_policy, cache_policy=cache_policy, timeout=timeout
        )

    return decorate if func is None else decorate(func)
