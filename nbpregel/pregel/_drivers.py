"""The two thin drivers around the shared loop: sync (threads) and async (the event loop).

Each runs the same ``RunLoop`` phases; they differ only in how a step's tasks are scheduled
and awaited. A step with a single sync task runs inline, on the caller's thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import queue
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any

from nbpregel.errors import NbPregelError
from nbpregel.pregel._execute import arun_task, run_task
from nbpregel.pregel._loop import RunLoop
from nbpregel.pregel._pool import Crew, TaskPool, run_reporting
from nbpregel.pregel._remote import shipped
from nbpregel.pregel._ship import ship_step
from nbpregel.pregel._task import Task

__all__ = ["arun_step", "background_loop", "run_step"]

_WAKE = object()


# -- the background event loop for async nodes under a sync driver -------------------------

_bg_lock = threading.Lock()
_bg_loop: asyncio.AbstractEventLoop | None = None


def background_loop() -> asyncio.AbstractEventLoop:
    """A private event loop thread: runs async nodes for sync ``invoke``, even inside Jupyter."""
    global _bg_loop
    with _bg_lock:
        if _bg_loop is None or _bg_loop.is_closed():
            new_loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=new_loop.run_forever, name="nbpregel-async-nodes", daemon=True
            )
            thread.start()
            _bg_loop = new_loop
        return _bg_loop


def _timeout_error(tasks: list[Task], seconds: float) -> TimeoutError:
    names = sorted({task.name for task in tasks})
    return TimeoutError(
        f"superstep timed out after {seconds}s with tasks still running: {names}; raise "
        f"step_timeout or make those nodes faster"
    )


# -- sync driver ---------------------------------------------------------------------------


def _report_done(done: queue.SimpleQueue[Any], task: Task, future: Any) -> None:
    if future.cancelled():
        return  # the step ended first: no one waits for this task any more
    if future.exception() is not None and task.error is None:
        task.error = future.exception()
    done.put(task)


def _start(
    loop: RunLoop,
    todo: list[Task],
    done: queue.SimpleQueue[Any],
    *,
    caller_helps: bool,
    helpers: bool = True,
) -> tuple[Crew | None, list[concurrent.futures.Future[Any]]]:
    """Start every task of the step; returns the crew draining the sync tasks (with the pool),
    and the futures of the others (async nodes, or a user's executor): those a step that ends
    early cancels.

    With ``caller_helps`` the calling thread drains the queue too, so one fewer helper is hired;
    without ``helpers`` it drains it alone.
    """
    shared: deque[Task] = deque()
    crew = None
    futures: list[concurrent.futures.Future[Any]] = []
    sync_tasks = []
    if loop.ships:
        remote, todo = _split_shipped(loop, todo)
        futures.extend(ship_step(loop, remote, done))
    for task in todo:
        if task.node.is_async:
            future = asyncio.run_coroutine_threadsafe(arun_task(loop, task), background_loop())
            future.add_done_callback(functools.partial(_report_done, done, task))
            futures.append(future)
        else:
            sync_tasks.append(task)
    executor = loop.executor
    if isinstance(executor, TaskPool):
        shared.extend(sync_tasks)
        limit = min(len(sync_tasks), executor.max_workers) - caller_helps if helpers else 0
        crew = Crew(loop, executor, shared, done, limit)
        crew.hire()
    else:
        for task in sync_tasks:  # a user's executor gets one call per task
            futures.append(_submit(loop.local_executor, loop, task, done))
    return crew, futures


def _split_shipped(loop: RunLoop, tasks: list[Task]) -> tuple[list[Task], list[Task]]:
    """``tasks`` sent to another process (``_remote.shipped``), and those run here."""
    away: list[Task] = []
    here: list[Task] = []
    for task in tasks:
        (away if shipped(loop, task.node) else here).append(task)
    return away, here


def _submit(executor: Any, loop: RunLoop, task: Task, done: queue.SimpleQueue[Any]) -> Any:
    """Hand one task to an executor that runs it in this process."""
    try:
        return executor.submit(contextvars.copy_context().run, run_reporting, loop, task, done)
    except Exception as exc:
        raise NbPregelError(
            f"the graph's executor ({type(executor).__name__}) refused task {task.name!r}: "
            f"{exc}; give compile(executor=...) a running executor"
        ) from exc


def _inline_alone(loop: RunLoop, node: Any) -> bool:
    """Whether a step's only task runs on the calling thread (no hand-off to a worker)."""
    if node.is_async or shipped(loop, node):
        return False
    if not node.streams_while_running:
        return True
    if node.subgraph is not None:
        return not loop.forward_modes  # its chunks are not streamed: nothing to show live
    return not loop.watched


def _inline_step(loop: RunLoop, todo: list[Task]) -> bool:
    """Whether the step's tasks all run on the calling thread, one after another: every node
    is ``inline`` (short CPU work) and the graph uses the shared pool, not an executor of its
    own (which gets every task, as it may be a cluster)."""
    return isinstance(loop.executor, TaskPool) and all(task.node.inline for task in todo)


def _unobserved(loop: RunLoop) -> bool:
    """Whether nothing outside the run sees a task finish before the step ends.

    Then the calling thread may run tasks itself: while it does, no one waits on it to stream
    a chunk or to save a finished task's writes.
    """
    return (
        loop.persistence.saver is None
        and not loop.watched
        # A traced step of nodes not known to be quick may turn slow: its events go out live.
        and (not loop.tracing or loop.step_quick)
        and isinstance(loop.executor, TaskPool)
    )


def _live_wait(loop: RunLoop, now: float) -> float | None:
    """Seconds until the open ``trace`` batch, or the step's untraced events, is due to go out
    (``None``: nothing waits)."""
    if not loop.tracing or loop.nest is not None or (loop.batch is None and not loop.untraced):
        return None
    return max(0.0, loop.batch_due - now)


def _sooner(first: float | None, second: float | None) -> float | None:
    """The shorter of two optional waits (``None``: no limit)."""
    if first is None:
        return second
    return first if second is None else min(first, second)


def _run_inline(loop: RunLoop, shared: deque[Task]) -> Iterator[Task]:
    """Run tasks from the shared queue on the calling thread until it is empty."""
    # In a copy of the caller's context, as a helper runs its tasks: what nodes set stays there.
    context = contextvars.copy_context()
    while True:
        try:
            task = shared.popleft()
        except IndexError:
            return
        try:
            context.run(run_task, loop, task)
        except BaseException as exc:
            task.error = exc
        yield task


def _finished(loop: RunLoop, task: Task, unfinished: dict[str, Task], shared: deque[Task]) -> None:
    """Report a task of the step as finished. If it ends the step (``RunLoop.ends_step``), no
    queued task starts any more and none still running is waited for: none is ``unfinished``."""
    del unfinished[task.id]
    loop.task_done(task)
    if loop.ends_step(task):
        shared.clear()
        unfinished.clear()


def run_step(loop: RunLoop) -> Iterator[bool]:
    """Execute the current step's pending tasks; yields whenever there is something to stream:
    whether every task of the step has finished."""
    todo = loop.pending
    timeout = loop.spec.step_timeout
    if len(todo) == 1 and timeout is None and _inline_alone(loop, todo[0].node):
        task = todo[0]
        run_task(loop, task)  # the runtime context var is set and reset by the attempt itself
        loop.task_done(task)
        yield True
        return
    done: queue.SimpleQueue[Any] = queue.SimpleQueue()
    loop.wake = lambda: done.put(_WAKE)
    # A subgraph's steps run on a thread that a pool worker lends: that thread must work on
    # the step too, or subgraphs filling every worker would wait forever for a free one.
    # A step of inline nodes is the calling thread's alone: helpers would only add hand-offs.
    alone = timeout is None and _inline_step(loop, todo)
    caller_helps = alone or (timeout is None and (_unobserved(loop) or loop.nest is not None))
    crew, futures = _start(loop, todo, done, caller_helps=caller_helps, helpers=not alone)
    shared = crew.shared if crew is not None else deque()
    deadline = None if timeout is None else time.monotonic() + timeout
    unfinished = {task.id: task for task in todo}
    try:
        if caller_helps:
            for task in _run_inline(loop, shared):
                _finished(loop, task, unfinished, shared)
                yield not unfinished
        while unfinished:
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            live = _live_wait(loop, time.time())
            try:
                item = done.get(timeout=_sooner(wait, live))
            except queue.Empty:
                if live is not None and (wait is None or live < wait):
                    yield False  # the step turned slow: the driver hands its events out now
                    continue
                shared.clear()  # no further task starts; running ones cannot be stopped
                loop.abandoned = True
                raise _timeout_error(list(unfinished.values()), timeout or 0.0) from None
            if item is not _WAKE:
                _finished(loop, item, unfinished, shared)
            yield not unfinished
    finally:
        loop.wake = None
        if crew is not None:
            crew.disband()
        for future in futures:  # all done unless the step ended early (a failure, a timeout)
            future.cancel()


# -- async driver --------------------------------------------------------------------------


async def arun_step(loop: RunLoop) -> AsyncIterator[bool]:
    """Execute the current step's pending tasks on the running event loop; yields as
    ``run_step`` does."""
    todo = loop.pending
    timeout = loop.spec.step_timeout
    events: asyncio.Queue[Any] = asyncio.Queue()
    running = asyncio.get_running_loop()

    def wake() -> None:
        running.call_soon_threadsafe(events.put_nowait, _WAKE)

    loop.wake = wake
    futures: dict[asyncio.Task[Task], Task] = {}
    remote, here = _split_shipped(loop, todo) if loop.ships else ([], todo)
    away = {task.id: task for task in remote}  # shipped, not back yet
    for task in here:
        future = asyncio.ensure_future(arun_task(loop, task))
        futures[future] = task
        future.add_done_callback(events.put_nowait)
    # A shipped task comes back (in the executor's callback) as itself.
    remote_futures = ship_step(loop, remote, _Landing(running, events))
    deadline = None if timeout is None else running.time() + timeout
    remaining = len(futures) + len(remote)
    try:
        while remaining:
            wait = None if deadline is None else max(0.0, deadline - running.time())
            live = _live_wait(loop, time.time())
            try:
                item = await asyncio.wait_for(events.get(), _sooner(wait, live))
            except TimeoutError:
                if live is not None and (wait is None or live < wait):
                    yield False  # the step turned slow: the driver hands its events out now
                    continue
                unfinished = [t for f, t in futures.items() if not f.done()]
                unfinished += away.values()
                loop.abandoned = True
                for future in futures:
                    future.cancel()
                raise _timeout_error(unfinished, timeout or 0.0) from None
            if item is not _WAKE:
                remaining -= 1
                if isinstance(item, Task):
                    task = away.pop(item.id)
                else:
                    item.result()
                    task = futures[item]
                loop.task_done(task)
                if loop.ends_step(task):
                    remaining = 0  # the others are cancelled on the way out
            yield not remaining
    finally:
        loop.wake = None
        for future in futures:
            future.cancel()
        for shipment in remote_futures:
            shipment.cancel()


class _Landing:
    """Where the executor's callbacks put the async driver's shipped tasks: its queue, on its
    event loop."""

    __slots__ = ("events", "running")

    def __init__(self, running: asyncio.AbstractEventLoop, events: asyncio.Queue[Any]) -> None:
        self.running = running
        self.events = events

    def put(self, task: Task) -> None:
        self.running.call_soon_threadsafe(self.events.put_nowait, task)
