"""The per-node fault-tolerance values of ``add_node`` (LangGraph 1.2's): ``TimeoutPolicy``,
``TracePolicy``, and ``NodeError``, what an error handler receives. ``nbpregel.types`` exports
them."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

__all__ = ["NodeError", "RefreshOn", "TimeoutPolicy", "TracePolicy"]


@dataclasses.dataclass(frozen=True, slots=True)
class NodeError:
    """What a node's error handler receives when the node failed for good (its retries, if
    any, used up). Not an exception.

    A handler declares ``error: NodeError`` to get it (``add_node(..., error_handler=fn)``).

    Attributes:
        node: the name of the node that failed.
        error: the exception it failed with (after a resume, as loaded from the checkpoint).

    Example:
        >>> NodeError("fetch", KeyError("id"))
        NodeError(node='fetch', error=KeyError('id'))
    """

    node: str
    error: BaseException


RefreshOn = Literal["auto", "heartbeat"]
"""What keeps an attempt under ``TimeoutPolicy.idle_timeout`` alive (see ``TimeoutPolicy``)."""

_REFRESH_ON: tuple[RefreshOn, ...] = ("auto", "heartbeat")


def _seconds(value: Any, field: str) -> float | None:
    """``value`` (seconds or a ``timedelta``) as positive finite seconds; ``None`` stays."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise ValueError(f"{field} must be a number of seconds or a timedelta, got {value!r}")
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{field} must be a positive, finite number of seconds, got {value!r}")
    return seconds


@dataclasses.dataclass(frozen=True, slots=True)
class TimeoutPolicy:
    """How long one attempt of an async node may run (``add_node(..., timeout=...)``).

    An attempt that runs out of time is cancelled and fails with
    :class:`~nbpregel.errors.NodeTimeoutError`; the node's retry policy may retry it, and its
    error handler sees it once no retry is left. Only async nodes take a timeout: a thread
    running a sync node cannot be stopped.

    Attributes:
        run_timeout: seconds (or a ``timedelta``) one attempt may take in all, whatever it does.
        idle_timeout: seconds one attempt may go without showing progress.
        refresh_on: what counts as progress for ``idle_timeout``: ``"auto"``, a call of
            ``runtime.heartbeat()`` or a chunk the node writes to its stream writer (its
            ``writer`` argument or ``runtime.stream_writer``); ``"heartbeat"``, only
            ``runtime.heartbeat()``.

    Example:
        >>> TimeoutPolicy.coerce(1.5)
        TimeoutPolicy(run_timeout=1.5, idle_timeout=None, refresh_on='auto')
        >>> TimeoutPolicy.coerce(TimeoutPolicy(idle_timeout=timedelta(seconds=2))).idle_timeout
        2.0
    """

    run_timeout: float | timedelta | None = None
    idle_timeout: float | timedelta | None = None
    refresh_on: RefreshOn = "auto"

    @classmethod
    def coerce(cls, value: float | timedelta | TimeoutPolicy | None) -> TimeoutPolicy | None:
        """A policy in seconds made from seconds, a ``timedelta`` or a policy; ``None`` when
        no limit is set (``None``, or a policy with neither timeout).

        Raises:
            ValueError: a timeout that is not a positive number of seconds or a ``timedelta``
                (``True`` is not a number of seconds), or an unknown ``refresh_on``.
        """
        if value is None:
            return None
        policy = value if isinstance(value, TimeoutPolicy) else cls(run_timeout=value)
        if policy.refresh_on not in _REFRESH_ON:
            raise ValueError(
                f"refresh_on must be one of {list(_REFRESH_ON)}, got {policy.refresh_on!r}"
            )
        field = "run_timeout" if isinstance(value, TimeoutPolicy) else "timeout"
        run_timeout = _seconds(policy.run_timeout, field)
        idle_timeout = _seconds(policy.idle_timeout, "idle_timeout")
        if run_timeout is None and idle_timeout is None:
            return None
        return cls(run_timeout=run_timeout, idle_timeout=idle_timeout, refresh_on=policy.refresh_on)


@dataclasses.dataclass(frozen=True, slots=True)
class TracePolicy:
    """LangGraph's policy for what a node's LangSmith trace records (``add_node(...,
    trace_policy=...)``). Accepted so that LangGraph code runs unchanged, it changes nothing:
    nbpregel sends no LangSmith traces, and in LangGraph it never changes what a node gets.

    Attributes:
        process_inputs: would transform the node's input before it is recorded.
        process_outputs: would transform the node's output before it is recorded.
    """

    process_inputs: Callable[[Any], Any] | None = None
    process_outputs: Callable[[Any], Any] | None = None
