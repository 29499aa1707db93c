"""The daemon threads background runs reuse (``notebook/_workers.py``)."""

from __future__ import annotations

import gc
import threading
import time
import weakref

from nbpregel.notebook import _workers


class Job:
    """A job that notes the thread it ran on."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.thread: int | None = None

    def __call__(self) -> None:
        self.thread = threading.get_ident()
        self.done.set()


def _wait_for(condition: object, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.005)
    return False


def test_a_finished_job_is_not_kept_alive_by_its_idle_thread() -> None:
    job = Job()
    gone = weakref.ref(job)
    gc.disable()  # only references may free it
    try:
        _workers.submit(job)
        assert job.done.wait(5)
        del job
        assert _wait_for(lambda: gone() is None), "the idle thread still holds the finished job"
    finally:
        gc.enable()


def test_jobs_reuse_an_idle_thread() -> None:
    first = Job()
    _workers.submit(first)
    assert first.done.wait(5)
    assert _wait_for(lambda: _workers._idle > 0)  # the thread is back, waiting for a job
    existing = {thread.ident for thread in threading.enumerate()}
    second = Job()
    _workers.submit(second)
    assert second.done.wait(5)
    assert second.thread in existing  # no thread was started for it
    assert threading.current_thread().ident not in (first.thread, second.thread)
