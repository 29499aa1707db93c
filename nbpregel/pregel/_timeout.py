"""Per-attempt timeouts of async nodes (``add_node(..., timeout=...)``).

An attempt of a node with a :class:`~nbpregel.types.TimeoutPolicy` runs as an asyncio task of
its own, watched by an :class:`AttemptClock`:

- ``run_timeout`` bounds the whole attempt;
- ``idle_timeout`` bounds the time since the attempt last showed progress: a call of
  ``runtime.heartbeat()`` and, under ``refresh_on="auto"``, a chunk written to the node's
  stream writer (its ``writer`` argument or ``runtime.stream_writer``). Nodes the attempt runs
  in turn (a subgraph's, ``@task`` calls) build their runtime inside it and share its clock.

At a limit the attempt is cancelled (its output, had it come, would be dropped; its later
stream chunks are) and fails with :class:`~nbpregel.errors.NodeTimeoutError`, which the node's
retry policy may retry like any other failure. Sync nodes take no timeout: a thread cannot be
stopped, so the graph refuses one at ``add_node`` or ``compile``.

Nodes without a timeout never reach this module: the execute phase checks one attribute.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any, Literal

from nbpregel.errors import NodeTimeoutError
from nbpregel.types import StreamWriter, TimeoutPolicy

__all__ = ["ACTIVE", "AttemptClock", "run_timed"]

Limit = Literal["run", "idle"]


def _seconds(value: float | timedelta | None) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else value


class AttemptClock:
    """The time of one attempt of a node with a timeout: when it started and last showed
    progress, and whether it is over.

    Example:
        >>> clock = AttemptClock(TimeoutPolicy(idle_timeout=60.0))
        >>> clock.expired(clock.started + 30.0), clock.expired(clock.started + 61.0)
        (None, 'idle')
        >>> clock.touch()  # progress: the idle limit counts from now
        >>> clock.expired(clock.last_progress + 59.0) is None
        True
    """

    __slots__ = ("closed", "idle_timeout", "last_progress", "run_timeout", "started", "watches")

    def __init__(self, policy: TimeoutPolicy) -> None:
        self.run_timeout = _seconds(policy.run_timeout)
        self.idle_timeout = _seconds(policy.idle_timeout)
        # Whether chunks the node streams count as progress.
        self.watches = policy.refresh_on == "auto" and self.idle_timeout is not None
        self.started = self.last_progress = time.monotonic()
        self.closed = False

    def touch(self) -> None:
        """Note progress now (``runtime.heartbeat()``)."""
        self.last_progress = time.monotonic()

    def expired(self, now: float) -> Limit | None:
        """The limit reached at ``now`` (``run`` first), or ``None``."""
        if self.run_timeout is not None and now - self.started >= self.run_timeout:
            return "run"
        if self.idle_timeout is not None and now - self.last_progress >= self.idle_timeout:
            return "idle"
        return None

    def remaining(self, now: float) -> float:
        """Seconds from ``now`` until the nearest limit (progress may push the idle one)."""
        waits = []
        if self.run_timeout is not None:
            waits.append(self.started + self.run_timeout - now)
        if self.idle_timeout is not None:
            waits.append(self.last_progress + self.idle_timeout - now)
        return max(0.0, min(waits))

    def writer(self, write: StreamWriter) -> StreamWriter:
        """``write`` as the attempt's nodes get it: a chunk is progress (``refresh_on="auto"``),
        and nothing is written once the attempt timed out."""

        def watched(chunk: Any) -> None:
            if self.closed:
                return
            if self.watches:
                self.last_progress = time.monotonic()
            write(chunk)

        return watched

    def error(self, node: str, limit: Limit) -> NodeTimeoutError:
        """The error of an attempt of ``node`` cancelled at ``limit``."""
        return NodeTimeoutError(
            node,
            time.monotonic() - self.started,
            limit,
            idle_timeout=self.idle_timeout,
            run_timeout=self.run_timeout,
        )


ACTIVE: ContextVar[AttemptClock | None] = ContextVar("nbpregel_attempt_clock", default=None)
"""The clock of the timed attempt the current code runs in (``None``: none)."""

Prepare = Callable[[], tuple[Callable[..., Awaitable[Any]], Any, dict[str, Any]]]


def _start(clock: AttemptClock, prepare: Prepare) -> asyncio.Future[Any]:
    """Start the attempt as a task of its own, in a context where ``clock`` is active (so the
    runtime its nodes build can reach it)."""
    token = ACTIVE.set(clock)
    try:
        fn, value, kwargs = prepare()
        if "writer" in kwargs:
            kwargs["writer"] = clock.writer(kwargs["writer"])
        return asyncio.ensure_future(fn(value, **kwargs))  # copies this context
    finally:
        ACTIVE.reset(token)


def _retrieve(attempt: asyncio.Future[Any]) -> None:
    """Take a cancelled attempt's outcome, so asyncio does not log it as never retrieved."""
    if not attempt.cancelled():
        attempt.exception()


async def run_timed(node: str, policy: TimeoutPolicy, prepare: Prepare) -> Any:
    """Run one attempt of the async node ``node`` within ``policy``; returns its output.

    Args:
        node: the node's name (for the error).
        policy: its limits, as ``TimeoutPolicy.coerce`` made them (seconds).
        prepare: returns the function to call, its input and its keyword arguments; called
            with the attempt's clock active.

    Raises:
        NodeTimeoutError: a limit was reached; the attempt was cancelled.
    """
    clock = AttemptClock(policy)
    attempt = _start(clock, prepare)
    try:
        while True:
            limit = clock.expired(time.monotonic())
            if limit is not None:
                break
            done, _ = await asyncio.wait((attempt,), timeout=clock.remaining(time.monotonic()))
            if done:
                return attempt.result()
    except asyncio.CancelledError:  # the step ended first: the attempt goes with it
        clock.closed = True
        attempt.cancel()
        attempt.add_done_callback(_retrieve)
        raise
    clock.closed = True
    attempt.cancel()
    attempt.add_done_callback(_retrieve)
    raise clock.error(node, limit)
