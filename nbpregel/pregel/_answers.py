"""Which tasks take the answers of a ``Command(resume=...)``.

With pending interrupts at the checkpoint, each answer goes to the task that asked (``by_task``).

A checkpoint may have no pending interrupt, after time travel: ``update_state`` on an interrupted
checkpoint saves a new checkpoint (a fork) with no saved interrupt, and so does
``update_state(config, None, as_node="__copy__")``. Resuming the fork runs the interrupted node
again from its start, with new task and interrupt ids; as in LangGraph, the answer goes to the
``interrupt()`` that node reaches, which returns it at once.

The answer is handed to one task of the first superstep, chosen before anything runs, so a
refusal changes no saved checkpoint:

- exactly one task will run there (a task whose writes are saved at the checkpoint, or a hidden
  one such as ``__start__``, does not run): it takes the answer;
- no task will run there: nobody could take the answer, so it is refused (**differs**: LangGraph
  accepts and drops it silently, e.g. on a finished thread or an earlier checkpoint whose tasks
  already finished);
- several tasks will run: one answer is ambiguous and refused (**differs**: LangGraph gives it to
  whichever task calls ``interrupt()`` first, a race when two of them ask).

If the task that takes the answer calls no ``interrupt()``, the answer goes unused, as in
LangGraph. When that task runs a subgraph, the subgraph starts afresh (the fork gave its task a
new id) and the first ``interrupt()`` it reaches takes the answer, as in LangGraph.

An answer keyed by interrupt ids is refused too, since a fork's interrupts get new ids
(**differs**: LangGraph drops the answer and pauses again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nbpregel.constants import RESUME
from nbpregel.errors import InvalidResumeError
from nbpregel.pregel._context import ResumeMap
from nbpregel.pregel._task import Task

__all__ = ["by_task", "is_id_map", "no_checkpoint", "stale_ids", "taken", "taker"]

_ID_LENGTH = 32
"""Interrupt ids are xxh3-128 hex digests."""

_REPLAY = (
    "replay from it with invoke(None, config), which runs its tasks again and pauses on their "
    "interrupts, then answer those"
)


def is_id_map(resume: Any) -> bool:
    """Whether ``resume`` looks like answers keyed by interrupt id.

    >>> is_id_map({"0" * 32: "yes"}), is_id_map({"name": "Ada"}), is_id_map("yes")
    (True, False, False)
    """
    return isinstance(resume, Mapping) and any(
        isinstance(key, str) and len(key) == _ID_LENGTH for key in resume
    )


def no_checkpoint(thread_id: Any) -> InvalidResumeError:
    """The error for an answer sent to a thread that never ran."""
    return InvalidResumeError(
        f"nothing to resume: thread {thread_id!r} has no checkpoint, so no pending interrupt: "
        f"start it with invoke(input, config) (check the thread_id)"
    )


def stale_ids(resume: Mapping[Any, Any], where: str) -> InvalidResumeError:
    """The error for answers keyed by interrupt ids at a checkpoint with no pending interrupt."""
    return InvalidResumeError(
        f"unknown interrupt id(s) {sorted(map(str, resume))}: {where} has no pending interrupt "
        f"(a fork, such as one saved by update_state, runs its tasks again under new interrupt "
        f"ids): answer with a single value, Command(resume=value), or {_REPLAY} by id"
    )


def taker(tasks: Iterable[Task], finished: set[str], where: str) -> Task:
    """The one task of the first superstep that takes the answer (see the module docstring).

    Args:
        tasks: the tasks due at the checkpoint (with the resume command's writes applied).
        finished: ids of the tasks whose writes are saved there (they will not run again).
        where: names the checkpoint in errors (``"checkpoint '…' of thread '1'"``).

    Raises:
        InvalidResumeError: no task, or more than one, will run at the checkpoint.
    """
    due = [task for task in tasks if not task.node.hidden]
    running = [task for task in due if task.id not in finished]
    if len(running) == 1:
        return running[0]
    if not due:
        raise InvalidResumeError(
            f"nothing to resume: {where} has no pending interrupt and no task left to run (the "
            f"run ended there): start a new run with invoke(input, config), or resume at the "
            f"checkpoint whose get_state(...).interrupts lists the interrupt"
        )
    names = sorted(task.name for task in (running or due))
    if not running:
        raise InvalidResumeError(
            f"nothing to resume: {where} has no pending interrupt, and its tasks {names} "
            f"already finished there, so no interrupt() would take the answer: {_REPLAY}, or "
            f"resume at the checkpoint whose get_state(...).interrupts lists the interrupt"
        )
    raise InvalidResumeError(
        f"{len(running)} tasks {names} run at {where}, which has no pending interrupt, and each "
        f"may call interrupt(), so a single answer is ambiguous: {_REPLAY} with "
        f"Command(resume={{interrupt_id: answer, ...}})"
    )


def by_task(
    resume: Any, pending: Mapping[str, tuple[str, Any]], writes: Iterable[tuple[str, str, Any]]
) -> dict[str, Any]:
    """Task id -> its answer (a ``ResumeMap`` when answered by interrupt id).

    Args:
        resume: the command's answer: one value, or ``{interrupt_id: answer, ...}``.
        pending: interrupt id -> (task id, interrupt), the checkpoint's pending interrupts.
        writes: the checkpoint's saved writes ``(task id, channel, value)``.

    Raises:
        InvalidResumeError: an unknown interrupt id, or one answer for several interrupts.
    """
    staged: dict[str, Any] = {}
    if isinstance(resume, Mapping) and resume and all(k in pending for k in resume):
        for interrupt_id, value in resume.items():
            staged.setdefault(pending[interrupt_id][0], ResumeMap())[interrupt_id] = value
        return staged
    if is_id_map(resume):
        unknown = [k for k in resume if k not in pending]
        raise InvalidResumeError(
            f"unknown interrupt id(s) {unknown}: pending interrupts are {sorted(pending)}"
        )
    answered = {task_id for task_id, channel, _ in writes if channel == RESUME}
    waiting = {task_id for task_id, _ in pending.values()} - answered
    waiting_ids = [i for i, (task_id, _) in pending.items() if task_id in waiting]
    if len(waiting_ids) > 1:
        raise InvalidResumeError(
            f"{len(waiting_ids)} interrupts are pending, so a single answer is ambiguous: "
            f"resume with Command(resume={{interrupt_id: answer, ...}}) using ids "
            f"{sorted(pending)}"
        )
    return dict.fromkeys(waiting or {task_id for task_id, _ in pending.values()}, resume)


def taken(answer: Any, offered: Iterable[Task]) -> bool:
    """Whether one of the ``offered`` tasks took ``answer`` (an ``interrupt()`` returned it)."""
    return any(task.resume and task.resume[-1] is answer for task in offered)
