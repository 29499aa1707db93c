"""Execute phase, the part shared by both drivers: call a node once, turn the result into writes.

Retries, interrupts and errors are decided here; the drivers only schedule the calls (threads,
the event loop, or a user's executor) and wait for them. So are the fault-tolerance options of
``add_node``: an async node's ``timeout`` (``_timeout``) and a node's ``error_handler``, which
takes the task over once the node failed for good (``_fault``).
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeGuard

from nbpregel.errors import GraphBubbleUp, GraphInterrupt, InvalidUpdateError, ParentCommand
from nbpregel.pregel import _fault, _orphans
from nbpregel.pregel._context import CURRENT, TaskRuntime
from nbpregel.pregel._model_tokens import with_token_streaming
from nbpregel.pregel._runtime import task_runtime
from nbpregel.pregel._task import Task, TaskStatus
from nbpregel.pregel._timeout import run_timed
from nbpregel.types import Command, RetryPolicy

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop

__all__ = ["arun_task", "begin_attempt", "call_args", "finish_attempt", "run_task"]


def call_args(loop: RunLoop, task: Task) -> tuple[Callable[..., Any], Any, dict[str, Any]]:
    """The function to call for ``task``, its input and its keyword arguments (call it once
    the attempt has begun: a ``runtime`` argument tells the attempt's number)."""
    node = task.node
    value = task.input
    kwargs: dict[str, Any] = {}
    if node.accepts:
        if "config" in node.accepts:
            kwargs["config"] = loop.run_config
        if "writer" in node.accepts:
            kwargs["writer"] = loop.custom
        if "runtime" in node.accepts:
            kwargs["runtime"] = task_runtime(loop, task)
        if "store" in node.accepts:
            kwargs["store"] = loop.store
    fn = task.call or node.bound
    if loop.streams_messages:
        fn = with_token_streaming(loop, task, fn)
    return fn, value, kwargs


def begin_attempt(loop: RunLoop, task: Task) -> Any:
    """Set the task's runtime in the current context; returns the token to reset it."""
    task.attempts += 1
    if task.started_at is None:
        task.started_at = time.time()
        if task.node.error_handler is not None:
            _fault.resume_handler(loop, task)  # its node failed before: the handler runs
    runtime = TaskRuntime(
        loop=loop, task=task, resume=list(task.resume), next_resume=task.next_resume
    )
    return CURRENT.set(runtime)


def _retry_delay(policies: tuple[RetryPolicy, ...], task: Task, exc: Exception) -> float | None:
    for policy in policies:
        if policy.should_retry(exc):
            if task.attempts >= policy.max_attempts:
                return None
            delay = min(
                policy.max_interval,
                policy.initial_interval * policy.backoff_factor ** (task.attempts - 1),
            )
            return delay + (random.uniform(0, 1) if policy.jitter else 0.0)
    return None


def finish_attempt(
    loop: RunLoop, task: Task, token: Any, output: Any, exc: BaseException | None
) -> float | None:
    """Record an attempt's outcome on ``task``; returns a delay when it should be retried.

    On success the node's writer turns ``output`` into the task's writes (a writer error, such
    as an unknown state key, fails the task like a node error would).
    """
    runtime = CURRENT.get()
    CURRENT.reset(token)
    if runtime is not None and runtime.calls is not None and not task.node.is_async:
        runtime.calls.join()  # the task's @task calls finish within its attempt
    if runtime is not None and runtime.resume:
        task.resume = runtime.resume
    if exc is None and type(output) is Command and output.graph is not None:
        exc = _parent_command(loop, task, output)
    elif isinstance(exc, ParentCommand):
        output, exc = exc.command, None  # a subgraph run by this task routes its parent
    if exc is None:
        try:
            writer = task.node.writer
            task.writes = writer(output, task, loop.channels) if writer is not None else []
        except Exception as writer_exc:
            exc = writer_exc
        else:
            task.status = TaskStatus.OK
            _stop_clock(task)
            if task.node.handling is not None:
                _fault.handled(loop, task)  # an error handler's outcome
            return None
    if isinstance(exc, ParentCommand):
        task.error = exc
        task.status = TaskStatus.ERROR
        return None
    if isinstance(exc, GraphInterrupt):
        task.interrupts = list(exc.interrupts)
        task.status = TaskStatus.INTERRUPTED
        _stop_clock(task)
        if task.node.handling is not None:
            _fault.handled(loop, task)
        return None
    policies = task.node.retry_policy or loop.retry_policy
    if isinstance(exc, Exception) and policies:
        delay = _retry_delay(policies, task, exc)
        if delay is not None:
            task.writes = []
            return delay
    exc.add_note(f"during task {task.name!r} (id {task.id}) in superstep {loop.step}")
    if task.node.error_handler is not None and _handles(exc):
        return _fault.hand_over(loop, task, exc)
    task.error = exc
    task.status = TaskStatus.ERROR
    _stop_clock(task)
    if task.node.handling is not None:
        _fault.handled(loop, task)
    return None


def _handles(exc: BaseException) -> TypeGuard[Exception]:
    """Whether an error handler takes over from a node that failed with ``exc``: any
    exception but control flow (interrupts and the like) and the run being stopped."""
    return isinstance(exc, Exception) and not isinstance(exc, GraphBubbleUp)


def _stop_clock(task: Task) -> None:
    if task.started_at is not None:
        task.duration_ms = (time.time() - task.started_at) * 1000.0


def _parent_command(loop: RunLoop, task: Task, command: Command[Any]) -> Exception:
    """The error that carries ``Command(graph=Command.PARENT)`` to the parent graph."""
    if command.graph != Command.PARENT:
        return InvalidUpdateError(
            f"node {task.name!r} returned Command(graph={command.graph!r}): graph must be None "
            f"(this graph) or Command.PARENT (the graph that runs this one as a subgraph)"
        )
    if loop.nest is None:
        return InvalidUpdateError(
            f"node {task.name!r} returned Command(graph=Command.PARENT) but its graph is not "
            f"running as a subgraph: drop graph= to update this graph, or add this graph as a "
            f"node of another"
        )
    return ParentCommand(dataclasses.replace(command, graph=None))


def run_task(loop: RunLoop, task: Task) -> Task:
    """Run a sync node to completion, retries included, on the current thread."""
    note = loop.spec.ends_early
    while True:
        token = begin_attempt(loop, task)
        fn, value, kwargs = call_args(loop, task)
        try:
            if note or _orphans.RUNNING:
                output = _orphans.call_alone(task.id, note, fn, value, kwargs)
            else:
                output = fn(value, **kwargs)
            exc = None
        except BaseException as err:
            output, exc = None, err
        delay = finish_attempt(loop, task, token, output, exc)
        if delay is None:
            return task
        time.sleep(delay)
        if loop.abandoned:
            return task  # its step ended without it (a timeout, fail_fast): no more attempts


async def arun_task(loop: RunLoop, task: Task) -> Task:
    """Run a node (async, or sync in a worker thread) to completion, retries included (tasks
    shipped to another process go through ``_ship``)."""
    while True:
        token = begin_attempt(loop, task)
        try:
            output, exc = await _attempt_here(loop, task)
        except asyncio.CancelledError:
            # The step ended first (a timeout, or a failure under fail_fast): no retry.
            stopped = asyncio.CancelledError("the step ended before this task finished")
            finish_attempt(loop, task, token, None, stopped)
            raise
        delay = finish_attempt(loop, task, token, output, exc)
        if delay is None:
            return task
        await asyncio.sleep(delay)


async def _attempt_here(loop: RunLoop, task: Task) -> tuple[Any, BaseException | None]:
    """Run one attempt in this process: an async node on the running event loop (within its
    timeout, if it has one), a sync one in a worker thread; returns its output and error."""
    node = task.node
    if node.is_async and node.timeout is not None:
        try:
            prepare = functools.partial(call_args, loop, task)
            return await run_timed(node.name, node.timeout, prepare), None
        except asyncio.CancelledError:
            raise
        except BaseException as err:
            return None, err
    fn, value, kwargs = call_args(loop, task)
    try:
        if node.is_async:
            return await fn(value, **kwargs), None
        ctx = contextvars.copy_context()
        alone = functools.partial(_orphans.call_alone, task.id, loop.spec.ends_early, fn)
        output = await asyncio.get_running_loop().run_in_executor(
            loop.local_executor, functools.partial(ctx.run, alone, value, kwargs)
        )
        return output, None
    except asyncio.CancelledError:
        raise
    except BaseException as err:
        return None, err
