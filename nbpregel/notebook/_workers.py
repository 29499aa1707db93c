"""Daemon threads that background runs reuse: starting a thread per run costs ~0.1 ms.

A run blocked forever (say, on a node waiting for I/O) must not keep the interpreter from
exiting, so the threads are daemons (``concurrent.futures`` pools join theirs at exit). A
thread waits a while for the next job, then ends; a job that finds no idle thread starts one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Final

__all__ = ["submit"]

IDLE_S: Final = 60.0
"""How long an idle thread waits for a job before it ends."""
_THREAD_NAME: Final = "nbpregel-run"

_jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_lock = threading.Lock()
_idle = 0  # threads waiting for a job


def submit(job: Callable[[], None]) -> None:
    """Run ``job`` on a daemon thread: an idle one if there is one, else a new one.

    Example:
        >>> done = threading.Event()
        >>> submit(done.set)
        >>> done.wait(5)
        True
    """
    global _idle
    with _lock:
        start = _idle == 0
        if not start:
            _idle -= 1  # that thread is taken by this job
    _jobs.put(job)
    if start:
        threading.Thread(target=_work, name=_THREAD_NAME, daemon=True).start()


def _work() -> None:
    global _idle
    while True:
        try:
            job = _jobs.get(timeout=IDLE_S)
        except queue.Empty:
            with _lock:
                if _idle > 0 and _jobs.empty():
                    _idle -= 1
                    return
            continue  # a job was promised to this thread meanwhile: wait for it
        try:
            job()
        finally:
            del job  # an idle thread must not keep the finished run (and its recording) alive
            with _lock:
                _idle += 1
