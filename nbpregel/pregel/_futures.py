"""What a task call hands its caller: a future, and the scope that waits for every call.

A running task's ``@task`` calls are kept in its :class:`CallScope`, so the task finishes only
once they have: sync code gets :class:`TaskFuture` objects (a call no worker has taken yet runs on
the thread that waits for it), async code on its event loop gets ``asyncio`` futures, and
:func:`join_calls` / :func:`ajoin_calls` wait for whatever the task did not wait for itself.

>>> future = TaskFuture()
>>> future.set_result(3)
>>> future.result()
3
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any

from nbpregel.pregel._context import CURRENT

__all__ = ["CallScope", "TaskFuture", "ajoin_calls", "join_calls"]


class TaskFuture(concurrent.futures.Future[Any]):
    """What a task call returns in sync code: ``.result()`` waits for the task's return value.

    A call not yet picked up by a worker when ``.result()`` is asked for runs right there, on
    the waiting thread, so nested calls never exhaust the thread pool. ``await`` works too.
    """

    def __init__(self, run: Callable[[TaskFuture], None] | None = None) -> None:
        super().__init__()
        self._run = run
        self._claim = threading.Lock()

    def run_if_unclaimed(self) -> None:
        """Run the call on this thread unless another thread has taken it (or it is done)."""
        run = self._run
        if run is not None and self._claim.acquire(blocking=False):
            run(self)

    def result(self, timeout: float | None = None) -> Any:
        """The task's return value; raises its error (or ``GraphInterrupt`` when it paused)."""
        self.run_if_unclaimed()
        return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The task's error, or ``None`` once it returned."""
        self.run_if_unclaimed()
        return super().exception(timeout)

    def __await__(self) -> Any:
        return asyncio.wrap_future(self).__await__()


class CallScope:
    """The calls one attempt of a task made: their count (for ids) and their futures."""

    __slots__ = ("children", "count", "lock")

    def __init__(self) -> None:
        self.children: list[Any] = []
        self.count = 0
        self.lock = threading.Lock()

    def next_index(self) -> int:
        """The index of the next call (calls are numbered in the order they are made)."""
        with self.lock:
            index = self.count
            self.count += 1
            return index

    def join(self) -> None:
        """Wait for every call made from sync code (their errors are the caller's business)."""
        for future in list(self.children):
            if isinstance(future, TaskFuture):
                future.run_if_unclaimed()
                concurrent.futures.wait([future])


def join_calls() -> None:
    """Wait for every call the running sync task made (on its own thread)."""
    runtime = CURRENT.get()
    if runtime is not None and runtime.calls is not None:
        runtime.calls.join()


async def ajoin_calls() -> None:
    """Wait for every call the running async task made (errors are the caller's business)."""
    runtime = CURRENT.get()
    if runtime is None or runtime.calls is None:
        return
    pending = [f for f in runtime.calls.children if isinstance(f, asyncio.Future)]
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
