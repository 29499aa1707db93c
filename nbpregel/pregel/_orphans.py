"""Sync node calls that a step may leave running: never two calls for one task at once.

A step that ends early (a ``step_timeout``, or a failure under ``fail_fast``) cannot stop a sync
node's thread: the call goes on, unwatched, and its writes are dropped. Resuming then plans the
same task again (task ids derive from the checkpoint), so the node would run a second time
alongside the first. Calls that can be left so are noted in ``RUNNING`` while they run; a call
for a task id found there waits for that call to return first.

Only graphs whose steps can end early (``GraphSpec.ends_early``) note their calls; any call
looks for a running one only while ``RUNNING`` is not empty, so a plain run pays one truth
test per call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["RUNNING", "call_alone"]

RUNNING: dict[str, threading.Event] = {}
"""Task id -> set when that task's running call returns."""
_lock = threading.Lock()


def call_alone(
    task_id: str, note: bool, fn: Callable[..., Any], value: Any, kwargs: dict[str, Any]
) -> Any:
    """``fn(value, **kwargs)`` once no other call for ``task_id`` runs; noted in ``RUNNING``
    while it runs when ``note`` (its step may end without it)."""
    while True:
        with _lock:
            running = RUNNING.get(task_id)
            if running is None:
                if note:
                    RUNNING[task_id] = returned = threading.Event()
                break
        running.wait()  # a call left by a step that ended early: it cannot be stopped
    if not note:
        return fn(value, **kwargs)
    try:
        return fn(value, **kwargs)
    finally:
        with _lock:
            del RUNNING[task_id]
        returned.set()
