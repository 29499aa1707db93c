"""The default executor for sync tasks: a shared thread pool, and one step's crew of helpers
draining the step's queue of tasks (see ``TaskPool``)."""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import queue
import threading
from collections import deque
from typing import TYPE_CHECKING, Any

from nbpregel.pregel._execute import run_task
from nbpregel.pregel._task import Task

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop

__all__ = ["Crew", "TaskPool", "run_reporting", "shared_pool"]


class TaskPool:
    """The default executor: threads created on first use, a few workers sharing a step's tasks.

    Most steps run one task inline and never start a thread. For a step with many tasks, a few
    workers drain one shared queue, instead of one future per task: tiny tasks (a map over
    hundreds of ``Send``) then cost a queue pop, not a thread hand-off each.
    """

    def __init__(self, max_workers: int | None) -> None:
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self.pool: concurrent.futures.ThreadPoolExecutor | None = None

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        """Run ``fn`` on a pool thread."""
        if self.pool is None:
            self.pool = concurrent.futures.ThreadPoolExecutor(
                self.max_workers, thread_name_prefix="nbpregel-task"
            )
        return self.pool.submit(fn, *args, **kwargs)

    def shutdown(self) -> None:
        """Stop the threads (running tasks finish; queued ones are dropped)."""
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)


_shared_pools: dict[int | None, TaskPool] = {}
_shared_pools_lock = threading.Lock()


def shared_pool(max_workers: int | None) -> TaskPool:
    """The process-wide pool for ``max_workers`` (threads outlive runs: starting them is slow)."""
    with _shared_pools_lock:
        pool = _shared_pools.get(max_workers)
        if pool is None:
            pool = _shared_pools[max_workers] = TaskPool(max_workers)
        return pool


def run_reporting(loop: RunLoop, task: Task, done: queue.SimpleQueue[Any]) -> None:
    """Run ``task`` to its end, then put it in ``done`` (its error noted, whatever happens)."""
    try:
        run_task(loop, task)
    except BaseException as exc:
        task.error = exc
    finally:
        done.put(task)


class Crew:
    """The pool threads draining one step's shared queue of sync tasks.

    Helpers are hired one at a time, each new helper hiring the next while tasks are still
    waiting, so a step of slow tasks soon has ``limit`` of them running at once. A helper may
    only get the GIL long after the step is over (when its tasks were tiny and the calling
    thread ran them); ``disband`` then leaves it nothing to do and nothing to keep alive.
    """

    __slots__ = ("done", "hired", "limit", "loop", "pool", "shared")

    def __init__(
        self,
        loop: RunLoop,
        pool: TaskPool,
        shared: deque[Task],
        done: queue.SimpleQueue[Any],
        limit: int,
    ) -> None:
        self.loop: RunLoop | None = loop
        self.pool = pool
        self.shared = shared
        self.done = done
        self.limit = limit
        self.hired = 0

    def hire(self) -> None:
        """Start one more helper if tasks are waiting and fewer than ``limit`` were hired."""
        # Only the caller (once) and then each new helper (once, first thing) call this: the
        # count is never updated by two threads at once.
        if self.shared and self.hired < self.limit:
            self.hired += 1
            self.pool.submit(contextvars.copy_context().run, self.work)

    def work(self) -> None:
        """A helper: hire the next one, then run tasks until the queue is empty."""
        loop, shared, done = self.loop, self.shared, self.done
        if loop is None:
            return  # the step is over
        self.hire()
        while True:
            try:
                task = shared.popleft()
            except IndexError:
                return
            run_reporting(loop, task, done)
            if loop.fails_step(task):
                shared.clear()  # fail_fast: no task of the step starts after a failure
                return

    def disband(self) -> None:
        """End the step (every task has finished): helpers yet to start will find no work."""
        self.loop = None
        self.shared = deque()
