"""The sync driver's way to run tasks on an executor that runs calls in other processes.

Each shipped call is submitted from the driver's thread and finished in the executor's
completion callback: no thread waits on it here (an asyncio hop per call would cost a
Dask round trip several times over). A step's short tasks (``inline``: a vertex program's
computes) travel in a few batches (``_remote.RemoteBatch``), not one call each. Each task's
attempt lives in a context of its own (``begin_attempt`` there, ``finish_attempt`` there
too), so the callback's thread can finish it. A failed attempt that its retry policy
retries is shipped again, alone, after its delay.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from typing import TYPE_CHECKING, Any, Protocol

from nbpregel.errors import NbPregelError
from nbpregel.pregel._execute import begin_attempt, finish_attempt
from nbpregel.pregel._remote import (
    RemoteBatch,
    RemoteOutcome,
    batches,
    refused,
    remote_call,
    settle,
    transport_note,
)

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._task import Task

__all__ = ["Landing", "ship_step"]


class Landing(Protocol):
    """Where a finished shipped task is put (the sync driver's queue, say)."""

    def put(self, task: Task, /) -> None: ...


def ship_step(
    loop: RunLoop, tasks: list[Task], done: Landing
) -> list[concurrent.futures.Future[Any]]:
    """Ship ``tasks`` (all ``_remote.shipped``); each is put in ``done`` once finished (from
    the executor's callback thread).

    Returns the executor's futures, which a step that ends early cancels.
    """
    short = [task for task in tasks if task.node.inline]
    groups = batches(short) if len(short) > 1 else [[task] for task in short]
    groups += [[task] for task in tasks if not task.node.inline]
    futures: list[concurrent.futures.Future[Any]] = []
    for group in groups:
        future = _ship(loop, group, done)
        if future is not None:
            futures.append(future)
    return futures


def _ship(loop: RunLoop, tasks: list[Task], done: Landing) -> Any:
    """Begin an attempt of each of ``tasks`` and submit them as one call."""
    contexts = [contextvars.copy_context() for _ in tasks]
    tokens = [ctx.run(begin_attempt, loop, task) for ctx, task in zip(contexts, tasks, strict=True)]
    calls = [ctx.run(remote_call, loop, task) for ctx, task in zip(contexts, tasks, strict=True)]
    landed = functools.partial(_landed, loop, tasks, contexts, tokens, done)
    try:
        future = loop.executor.submit(calls[0] if len(calls) == 1 else RemoteBatch(tuple(calls)))
    except Exception as exc:
        outcomes = [
            RemoteOutcome(None, refused(loop.executor, task, call, exc), [], [])
            for task, call in zip(tasks, calls, strict=True)
        ]
        _finish(loop, tasks, contexts, tokens, outcomes, done)
        return None
    future.add_done_callback(landed)
    return future


def _landed(
    loop: RunLoop,
    tasks: list[Task],
    contexts: list[contextvars.Context],
    tokens: list[Any],
    done: Landing,
    future: concurrent.futures.Future[Any],
) -> None:
    """The executor's callback: finish the attempts with what came back."""
    if future.cancelled():  # the step ended first: no one waits for these tasks
        stopped = asyncio.CancelledError("the step ended before this task finished")
        outcomes = [RemoteOutcome(None, stopped, [], []) for _ in tasks]
        _finish(loop, tasks, contexts, tokens, outcomes, None)
        return
    error = future.exception()
    if error is not None:
        error.add_note(transport_note(loop.executor, _names(tasks)))
        outcomes = [RemoteOutcome(None, error, [], [])]
        outcomes += [
            RemoteOutcome(None, NbPregelError(_lost(task, tasks[0])), [], []) for task in tasks[1:]
        ]
    else:
        result = future.result()
        outcomes = result if isinstance(result, list) else [result]
    _finish(loop, tasks, contexts, tokens, outcomes, done)


def _finish(
    loop: RunLoop,
    tasks: list[Task],
    contexts: list[contextvars.Context],
    tokens: list[Any],
    outcomes: list[RemoteOutcome],
    done: Landing | None,
) -> None:
    for task, ctx, token, outcome in zip(tasks, contexts, tokens, outcomes, strict=True):
        output, exc = ctx.run(settle, loop, outcome)
        delay = ctx.run(finish_attempt, loop, task, token, output, exc)
        if done is None:
            continue
        if delay is not None and not loop.abandoned:
            retry = threading.Timer(delay, _retry, (loop, task, done))
            retry.daemon = True
            retry.start()
        else:
            done.put(task)


def _retry(loop: RunLoop, task: Task, done: Landing) -> None:
    """Ship ``task`` again after its retry delay, unless its step ended meanwhile without it
    (a timeout, or another task failing under fail_fast): then no one waits for it, and it
    makes no more attempts, as a task retried in this process."""
    if not loop.abandoned:
        _ship(loop, [task], done)


def _lost(task: Task, first: Task) -> str:
    return (
        f"task {task.name!r} travelled in one call with task {first.name!r}, which the "
        f"graph's executor failed to run: see that task's error"
    )


def _names(tasks: list[Task]) -> str:
    if len(tasks) == 1:
        return f"task {tasks[0].name!r}"
    return f"a batch of {len(tasks)} tasks ({tasks[0].name!r}, ...)"
