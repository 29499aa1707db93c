"""Error handlers: a node that failed for good hands its task over to its ``error_handler``.

When a node given ``add_node(..., error_handler=fn)`` (or ``set_node_defaults``) fails with an
exception once its retries, if any, are used up, its task becomes the handler's, in the same
superstep: the handler is called with the failed node's input and, through a parameter
``error: NodeError``, with the failure. What it returns is the task's outcome: a state update
applied with the step's other writes (the failed node's edges are *not* followed), or a
``Command`` whose ``goto`` routes the run. The handler has its own attempts (the graph's
default retry policy and timeout apply to it); if it fails too, the run fails with its error.

- **persistence**: the failure is saved at once as the task's error (and under the handler's
  own task id, where nothing replaces it), then the handler's outcome under the task's id. A
  step resumed later (the handler paused on ``interrupt()``, or failed) runs the handler again,
  never the failed node; it then sees the node's error as the checkpoint restored it.
- **streams**: ``tasks`` and ``debug`` report the node's failure, then announce and report the
  handler's task under its own name (``__error_handler__<node>``, or
  ``__default_error_handler__``) and id; ``updates`` show its update under that name.

The task keeps the failed node's name (its writes are ordered, and its triggers consumed, as
that node's), but runs a hidden copy of the handler's node that carries the failure: the
loop does not stream it under the failed node's name (nor pauses ``interrupt_after`` it). A
step resumed for another task reuses the handler's saved outcome, as any finished task's.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import inspect
import re
import typing
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import ERROR, INTERRUPT, PUSH_TRIGGER, StreamMode
from nbpregel.errors import NodeError
from nbpregel.pregel import _chunks
from nbpregel.pregel._ids import task_id
from nbpregel.pregel._message_chunks import output_messages, plain_message_keys
from nbpregel.pregel._task import Task, TaskStatus

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._node import PregelNode

__all__ = ["DEFAULT_HANDLER", "HANDLER_PREFIX", "hand_over", "handled", "resume_handler"]

HANDLER_PREFIX: Final = "__error_handler__"
"""A node's own error handler is named ``__error_handler__<node>`` (as in LangGraph)."""
DEFAULT_HANDLER: Final = "__default_error_handler__"
"""The name of the handler set with ``StateGraph.set_node_defaults(error_handler=...)``."""

_ERROR_PARAM: Final = "error"
_NAMED: Final = re.compile(r"\bNodeError\b")
_FILLED_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
_PUSH_TRIGGERS: Final = (PUSH_TRIGGER,)


def wants_error(fn: Any) -> bool:
    """Whether ``fn`` takes the failure: a parameter ``error`` annotated ``NodeError`` (or
    ``NodeError | None``, or the annotation as a string).

    >>> def handler(state: dict, error: NodeError) -> dict: ...
    >>> wants_error(handler), wants_error(lambda state, error: None)
    (True, False)
    """
    try:
        param = inspect.signature(fn).parameters.get(_ERROR_PARAM)
    except (TypeError, ValueError):
        return False
    return param is not None and param.kind in _FILLED_BY_NAME and _names(param.annotation)


def _names(annotation: Any) -> bool:
    if annotation is NodeError:
        return True
    if isinstance(annotation, str):
        return _NAMED.search(annotation) is not None
    return any(_names(arg) for arg in typing.get_args(annotation))


# -- the node fails: the handler takes over -------------------------------------------------


def hand_over(loop: RunLoop, task: Task, exc: Exception) -> float:
    """``task``'s node failed for good with ``exc`` and has an error handler: save and report
    the failure, and make the task its handler's. Returns the delay before the handler's first
    attempt (none)."""
    failed = _failed_view(task, exc)
    loop.persistence.save_task(failed)
    if loop.persistence.saver is not None:
        loop.persistence.save_task(_failed_view(task, exc, owner=_handler_id(loop, task)))
    if loop.announces:
        _report(loop, _chunks.task_result_payload(failed, loop.spec.stream_keys))
    _become_handler(loop, task, NodeError(task.name, exc))
    task.resume = ()  # the handler's interrupts are its own: asked afresh
    return 0.0


def resume_handler(loop: RunLoop, task: Task) -> None:
    """On the first attempt of a task whose node has an error handler: if the node already
    failed in an earlier run of this step (its error is saved), the handler runs, not the node.
    """
    pending = loop.persistence.pending
    if not pending:
        return
    marker = _handler_id(loop, task)
    for owner, channel, value in pending:
        if owner == marker and channel == ERROR and isinstance(value, Exception):
            _become_handler(loop, task, NodeError(task.name, value))
            return


def _failed_view(task: Task, exc: Exception, *, owner: str | None = None) -> Task:
    """The failed node's task as it ended, for saving and reporting (``task`` goes on), under
    the id ``owner`` if given."""
    failed = Task(
        id=owner or task.id,
        name=task.name,
        kind=task.kind,
        index=task.index,
        node=task.node,
        input=task.input,
        triggers=task.triggers,
        parent_ns=task.parent_ns,
    )
    failed.error, failed.status = exc, TaskStatus.ERROR
    failed.attempts, failed.started_at = task.attempts, task.started_at
    failed.duration_ms = task.duration_ms
    return failed


def _become_handler(loop: RunLoop, task: Task, failure: NodeError) -> None:
    """Give ``task`` a fresh start as its node's handler, carrying ``failure``."""
    template = task.node.error_handler
    assert template is not None  # only called for nodes that have one
    node: PregelNode = copy.copy(template)
    node.handling = failure
    if wants_error(template.bound):
        node.bound = functools.partial(template.bound, error=failure)
    if template.is_async and not task.node.is_async:
        # The task runs where sync calls do (a thread, another process). Such a handler has
        # no timeout: a default timeout is refused while the graph has a sync node.
        node.bound, node.is_async = _Blocking(node.bound), False
    handler_id = _handler_id(loop, task)
    task.node = node
    task.writes, task.error, task.status = [], None, TaskStatus.PENDING
    task.attempts, task.started_at, task.duration_ms = 0, None, None
    task.cache_key = None  # a handler's outcome is never cached as the node's
    if loop.announces:
        start = {
            "id": handler_id,
            "name": node.name,
            "input": task.input,
            "triggers": _PUSH_TRIGGERS,
        }
        _report(loop, start, kind="task")


class _Blocking:
    """An async function called as a sync one: it runs on the engine's event loop thread while
    the calling thread waits (a class, not a closure: it travels to other processes)."""

    __slots__ = ("fn",)

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __call__(self, value: Any, **kwargs: Any) -> Any:
        from nbpregel.pregel._drivers import background_loop  # imports this module

        running = asyncio.run_coroutine_threadsafe(self.fn(value, **kwargs), background_loop())
        return running.result()


def _handler_id(loop: RunLoop, task: Task) -> str:
    """The id of the handler's task of ``task`` (whose node has an error handler, or is one):
    the streams show it, the node's error is saved under it (its outcome is ``task``'s)."""
    handler = task.node if task.node.handling is not None else task.node.error_handler
    assert handler is not None  # only asked for such tasks
    ckpt = loop.persistence.checkpoint_id
    return task_id(ckpt, loop.ns_str, loop.step, handler.name, "PUSH", f"{task.id}.handler")


# -- the handler's outcome ------------------------------------------------------------------


def handled(loop: RunLoop, task: Task) -> None:
    """Stream the outcome of a handler's task (the loop does not: its node is hidden)."""
    if loop.abandoned:
        return  # its step ended without it (cancelled): no one waits for its outcome
    node = task.node
    if task.status == TaskStatus.INTERRUPTED:
        loop.interrupts.extend(task.interrupts)
        interrupts = tuple(task.interrupts)
        loop.emit(StreamMode.UPDATES, _chunks.interrupt_update(interrupts))
        if loop.wants(StreamMode.VALUES):
            values = loop.values()
            extra = {INTERRUPT: interrupts}
            loop.emit(StreamMode.VALUES, {**values, **extra} if isinstance(values, dict) else extra)
    elif task.error is not None:
        failed = node.handling.node if node.handling is not None else task.name
        task.error.add_note(f"raised by {node.name!r}, the error handler of node {failed!r}")
    else:
        _stream_update(loop, task)
    if loop.announces:
        payload = _chunks.task_result_payload(task, loop.spec.stream_keys)
        payload.update(id=_handler_id(loop, task), name=node.name)
        _report(loop, payload)
    wake = loop.wake
    if wake is not None:
        wake()


def _stream_update(loop: RunLoop, task: Task) -> None:
    if loop.streams_messages:
        if loop.plain_messages is None:
            loop.plain_messages = plain_message_keys(loop.channels)
        plain = loop.plain_messages
        for chunk in output_messages(task, loop.step, loop.seen_messages, plain):
            loop.emit(StreamMode.MESSAGES, chunk)
    if loop.wants(StreamMode.UPDATES):
        update = _chunks.output_of_writes(task.writes, loop.spec.stream_keys)
        loop.emit(StreamMode.UPDATES, {task.node.name: update})


def _report(loop: RunLoop, payload: dict[str, Any], *, kind: str = "task_result") -> None:
    """Put a ``tasks`` chunk (and its ``debug`` twin) in the stream, from any thread."""
    loop.emit(StreamMode.TASKS, payload)
    if loop.wants(StreamMode.DEBUG):
        loop.emit(StreamMode.DEBUG, _chunks.debug_chunk(loop.step, kind, payload))
