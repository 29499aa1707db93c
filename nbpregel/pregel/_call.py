"""Task calls: a running task calls a ``@task`` function, and the call runs as a child task.

Calling a task (see ``nbpregel.func.task``) inside a running node, entrypoint or task plans a
PUSH task whose payload is a :class:`Call` and returns a future at once, so calls made together
run concurrently (sync functions on the run's executor, async ones on an event loop). The child
task belongs to the caller's superstep:

- **ids** hash the caller's id and the call's index among its calls (with the checkpoint id,
  namespace, step and task name): the same calls in the same order get the same ids again;
- **persistence**: each outcome is saved as a pending write (``__return__``) as soon as the call
  finishes; in a resumed step (after an interrupt or an error) a call whose id has a saved
  result is not run again (a caller *retried* by its ``RetryPolicy`` starts from scratch, its
  calls included, as in LangGraph);
- **streams**: ``tasks``/``debug`` announce each call and its result; ``updates`` gets
  ``{task_name: result}`` when it finishes;
- **interrupts** raised in a task pause the run through its caller (the future raises
  ``GraphInterrupt``); the answer reaches the task when the caller runs again;
- **state**: a call's result is only returned to the caller, never applied to channels.

A caller counts as finished once every call it made has (an async graph node must await its
calls; the entrypoint and tasks wait for un-awaited ones themselves).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nbpregel.channels.base import MISSING
from nbpregel.constants import INTERRUPT, PUSH_TRIGGER, RETURN, StreamMode, TaskKind
from nbpregel.errors import GraphInterrupt, NbPregelError
from nbpregel.pregel import _cache, _chunks
from nbpregel.pregel._context import CURRENT, ResumeMap, TaskRuntime, WorkerRun
from nbpregel.pregel._drivers import background_loop
from nbpregel.pregel._execute import arun_task, run_task
from nbpregel.pregel._futures import CallScope, TaskFuture, ajoin_calls, join_calls
from nbpregel.pregel._ids import interrupt_id, task_id
from nbpregel.pregel._remote import shipped
from nbpregel.pregel._ship import ship_step
from nbpregel.pregel._task import Task, TaskStatus

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._node import PregelNode

__all__ = ["Call", "call_task"]

_PUSH_TRIGGERS: tuple[str, ...] = (PUSH_TRIGGER,)
_RESULT_KEYS: frozenset[str] = frozenset({RETURN})
_SETTLED = frozenset({TaskStatus.OK, TaskStatus.CACHED})


class Call:
    """The payload of a task call: the function and the arguments it was called with.

    A child task runs its ``Call``; the engine's retry and error handling see it as the task's
    function. ``input`` is ``(args, kwargs)``, what the ``tasks`` stream shows.

    >>> Call(divmod, (7, 2), {}, is_async=False)(None)
    (3, 1)
    """

    __slots__ = ("args", "func", "is_async", "kwargs")

    def __init__(
        self,
        func: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        *,
        is_async: bool,
    ) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.is_async = is_async

    @property
    def input(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """``(args, kwargs)``."""
        return (self.args, self.kwargs)

    def __call__(self, _input: Any, **injected: Any) -> Any:
        # ``injected``: what the engine passes a function that takes it (``config``, ``runtime``...)
        # (arguments given in the call win).
        kwargs = {**injected, **self.kwargs} if injected else self.kwargs
        if self.is_async:
            return self._arun(kwargs)
        try:
            return self.func(*self.args, **kwargs)
        finally:
            join_calls()

    async def _arun(self, kwargs: dict[str, Any]) -> Any:
        try:
            return await self.func(*self.args, **kwargs)
        finally:
            await ajoin_calls()

    def __repr__(self) -> str:
        name = getattr(self.func, "__name__", repr(self.func))
        return f"Call({name}, args={self.args!r}, kwargs={self.kwargs!r})"


class RunCalls:
    """Per step of a run: a lock around saving calls, and the ids with writes saved before.

    Only writes the step started with (a resumed step's) are restored: a call made again by a
    *retried* caller runs again, since a retry starts the caller from scratch.
    """

    __slots__ = ("lock", "restorable", "step")

    def __init__(self, step: int, restorable: frozenset[str]) -> None:
        self.lock = threading.Lock()
        self.restorable = restorable
        self.step = step


_setup_lock = threading.Lock()


def _run_calls(loop: RunLoop) -> RunCalls:
    calls = loop.calls
    if calls is None or calls.step != loop.step:
        with _setup_lock:
            calls = loop.calls
            if calls is None or calls.step != loop.step:
                # Made at the step's first call, before any call of the step saved writes.
                saved = frozenset(task_id for task_id, _, _ in loop.persistence.pending)
                calls = loop.calls = RunCalls(loop.step, saved)
    return calls


# -- calling -------------------------------------------------------------------------------


def call_task(node: PregelNode, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Start a call of the task ``node`` from the running task; returns its future.

    The future is an ``asyncio.Future`` when the caller is async code on its event loop, else a
    :class:`TaskFuture`.

    Raises:
        NbPregelError: when no graph is running on this thread (the task was called directly).
    """
    runtime = CURRENT.get()
    if runtime is not None and isinstance(runtime.loop, WorkerRun):
        return _call_here(node, args, kwargs)
    loop: RunLoop | None = runtime.loop if runtime is not None else None
    if runtime is None or loop is None:
        raise NbPregelError(
            f"task {node.name!r} was called outside a running graph: call it from an "
            f"@entrypoint function, another @task or a graph node while the graph runs (to "
            f"run the plain function, call {node.name}.func(...))"
        )
    scope = runtime.calls
    if scope is None:
        scope = runtime.calls = CallScope()
    call = Call(node.bound, args, kwargs, is_async=node.is_async)
    child = _child(loop, runtime.task, node, call, scope.next_index())
    _settle_early(loop, runtime, child, call)
    ev_loop = _caller_event_loop(runtime)
    if child.status != TaskStatus.PENDING:
        future: Any = _finished_future(child, ev_loop)
    elif shipped(loop, node):  # to another process: the executor's callback settles it
        future = TaskFuture() if ev_loop is None else ev_loop.create_future()
        ship_step(loop, [child], _Landing(loop, future, ev_loop))
    elif ev_loop is not None:
        future = ev_loop.create_task(_arun_child(loop, child))
    elif node.is_async:
        future = TaskFuture()
        running = asyncio.run_coroutine_threadsafe(_arun_child(loop, child), background_loop())
        running.add_done_callback(functools.partial(_copy_outcome, future))
    else:
        future = TaskFuture(functools.partial(_run_child, loop, child))
        ctx = contextvars.copy_context()  # the worker sees the caller's context variables
        loop.executor.submit(ctx.run, future.run_if_unclaimed)
    scope.children.append(future)
    return future


def _call_here(node: PregelNode, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TaskFuture:
    """Call a task on the spot, in a node shipped to another process (see ``_remote``)."""
    future = TaskFuture()
    try:
        result = node.bound(*args, **kwargs)
        future.set_result(asyncio.run(result) if node.is_async else result)
    except BaseException as exc:
        future.set_exception(exc)
    return future


def _child(loop: RunLoop, parent: Task, node: PregelNode, call: Call, index: int) -> Task:
    checkpoint_id = loop.persistence.checkpoint_id
    return Task(
        id=task_id(
            checkpoint_id, loop.ns_str, loop.step, node.name, "PUSH", f"{parent.id}.{index}"
        ),
        name=node.name,
        kind=TaskKind.PUSH,
        index=index,
        node=node,
        input=call.input,
        triggers=_PUSH_TRIGGERS,
        parent_ns=loop.ns_str,
        call=call,
    )


def _caller_event_loop(runtime: TaskRuntime) -> asyncio.AbstractEventLoop | None:
    """The event loop an async caller runs on (``None`` for sync code, even in Jupyter)."""
    if not runtime.task.node.is_async:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None  # async task, sync helper in a worker thread


def _settle_early(loop: RunLoop, runtime: TaskRuntime, child: Task, call: Call) -> None:
    """Announce ``child``; settle it now if its result is saved or cached."""
    loop.announce_call(child)
    if child.id in _run_calls(loop).restorable:
        loop.persistence.restore_task_writes([child])
    _inherit_answer(loop, runtime, child)
    if child.status != TaskStatus.PENDING:
        _report(loop, child, fresh=False)
        return
    if _from_cache(loop, child, call):
        record_done(loop, child)


def _from_cache(loop: RunLoop, child: Task, call: Call) -> bool:
    """Settle ``child`` from the run's cache when its task has a ``cache_policy``."""
    policy = child.node.cache_policy or loop.cache_policy
    if loop.cache is None or policy is None:
        return False
    try:
        _cache.assign_key(child, policy, call.args, call.kwargs)
    except Exception as exc:
        child.error, child.status = exc, TaskStatus.ERROR
        return True
    return _cache.lookup(loop.cache, child)


def _inherit_answer(loop: RunLoop, runtime: TaskRuntime, child: Task) -> None:
    """Hand the caller's resume answer to the child whose interrupt the caller passed on.

    An interrupt raised in a task pauses its caller too, so the caller's saved interrupt may be
    the child's; a single answer staged for the caller then belongs to the child.
    """
    answer = runtime.next_resume
    if answer is MISSING or child.next_resume is not MISSING:
        return
    if isinstance(answer, ResumeMap):
        child.next_resume = answer  # answers by interrupt id: the child takes its own
        return
    relayed = _saved_interrupt_ids(loop, runtime.task.id)
    if interrupt_id(runtime.task.ns) in relayed:
        return  # the caller's own interrupt is the one waiting: the answer is the caller's
    if relayed & ({interrupt_id(child.ns)} | _saved_interrupt_ids(loop, child.id)):
        child.next_resume = answer
        runtime.next_resume = MISSING


def _saved_interrupt_ids(loop: RunLoop, owner: str) -> set[str]:
    return {
        item.id
        for tid, channel, value in loop.persistence.pending
        if tid == owner and channel == INTERRUPT
        for item in value
    }


# -- running and finishing -------------------------------------------------------------------


def _run_child(loop: RunLoop, child: Task, future: TaskFuture) -> None:
    """Run a sync call to its end on this thread and settle its future."""
    try:
        run_task(loop, child)
        record_done(loop, child)
    except BaseException as exc:  # the engine's own failure (a saver's): the caller gets it
        child.error, child.status = exc, TaskStatus.ERROR
    _set_outcome(future, child)


async def _arun_child(loop: RunLoop, child: Task) -> Any:
    """Run a call (async, or sync in the executor) to its end; returns its result."""
    await arun_task(loop, child)
    record_done(loop, child)
    return outcome(child)


def record_done(loop: RunLoop, child: Task) -> None:
    """Save a finished call's outcome as pending writes and stream it (thread-safe)."""
    calls = _run_calls(loop)
    with calls.lock:
        if loop.cache is not None:
            _cache.store(loop.cache, child)  # may fail the task: its writes cannot be cached
        loop.persistence.save_task(child)
    _report(loop, child, fresh=True)


def _report(loop: RunLoop, child: Task, *, fresh: bool) -> None:
    # ``updates`` shows what ran (or came from the cache) this time; like LangGraph, neither a
    # call restored from saved writes nor one that paused or failed appears there.
    updates = fresh and loop.wants(StreamMode.UPDATES) and child.status in _SETTLED
    if updates:
        loop.put((loop.ns, StreamMode.UPDATES, _chunks.task_update(child, RETURN)))
    results = loop.report_call(child, _RESULT_KEYS)
    wake = loop.wake  # the driver, if it waits on other tasks, yields the chunks now
    if wake is not None and (updates or results):
        wake()


def outcome(child: Task) -> Any:
    """A finished call's return value; raises its error, or ``GraphInterrupt`` if it paused."""
    if child.status == TaskStatus.INTERRUPTED:
        raise GraphInterrupt(child.interrupts)
    if child.error is not None:
        raise child.error
    for channel, value in child.writes:
        if channel == RETURN:
            return value
    return None


def _set_outcome(future: concurrent.futures.Future[Any] | asyncio.Future[Any], child: Task) -> None:
    if future.done():
        return
    try:
        value = outcome(child)
    except BaseException as exc:
        future.set_exception(exc)
    else:
        future.set_result(value)


def _finished_future(child: Task, ev_loop: asyncio.AbstractEventLoop | None) -> Any:
    future: Any = TaskFuture() if ev_loop is None else ev_loop.create_future()
    _set_outcome(future, child)
    return future


class _Landing:
    """Where a shipped call comes back (``_ship``): saved and streamed, then its future set
    (on the caller's event loop, for an async caller)."""

    __slots__ = ("ev_loop", "future", "loop")

    def __init__(
        self, loop: RunLoop, future: Any, ev_loop: asyncio.AbstractEventLoop | None
    ) -> None:
        self.loop = loop
        self.future = future
        self.ev_loop = ev_loop

    def put(self, child: Task) -> None:
        try:
            record_done(self.loop, child)
        except BaseException as exc:  # the engine's own failure (a saver's): the caller gets it
            child.error, child.status = exc, TaskStatus.ERROR
        if self.ev_loop is None:
            _set_outcome(self.future, child)
        else:
            self.ev_loop.call_soon_threadsafe(_set_outcome, self.future, child)


def _copy_outcome(target: TaskFuture, source: concurrent.futures.Future[Any]) -> None:
    try:
        target.set_result(source.result())
    except BaseException as exc:  # the task's error, GraphInterrupt, or a cancellation
        target.set_exception(exc)
