"""Stopping a run cleanly between supersteps: :class:`RunControl` (LangGraph's cooperative
drain).

Every run has one (given as ``stream(..., control=...)``, or a fresh one), and nodes reach it
as ``runtime.control``. Once ``request_drain()`` is called, from a node or from any other
thread, the run finishes the superstep under way, saves its checkpoint and stops before the
next one, raising ``GraphDrained``. Resuming the thread (``invoke(None, config)``) goes on
from there. Subgraphs share their parent's control but never stop half-way: the run that
stops is the top-level one, at its own next superstep.
"""

from __future__ import annotations

__all__ = ["RunControl"]


class RunControl:
    """Asks a run to stop at its next superstep boundary (safe from any thread).

    >>> control = RunControl()
    >>> control.drain_requested
    False
    >>> control.request_drain("new deployment")
    >>> control.drain_requested, control.drain_reason
    (True, 'new deployment')
    """

    __slots__ = ("_reason",)

    def __init__(self) -> None:
        self._reason: str | None = None

    def request_drain(self, reason: str = "shutdown") -> None:
        """Stop the run before its next superstep (a second request keeps the first reason)."""
        if self._reason is None:
            self._reason = reason  # one attribute write: no lock needed

    @property
    def drain_requested(self) -> bool:
        """Whether a drain was requested."""
        return self._reason is not None

    @property
    def drain_reason(self) -> str | None:
        """Why the drain was requested, or ``None``."""
        return self._reason

    def __repr__(self) -> str:
        return f"RunControl(drain_reason={self._reason!r})"
