"""What a running node can reach: its stream writer, its config, and ``interrupt()``.

A ``TaskRuntime`` is set in a context variable for the duration of each task, so these helpers
work from any node, sync or async, in any thread.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Final

from nbpregel.channels.base import MISSING
from nbpregel.errors import GraphInterrupt, NbPregelError
from nbpregel.pregel._ids import interrupt_id
from nbpregel.types import Interrupt, StreamWriter

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._task import Task

__all__ = [
    "ResumeMap",
    "TaskRuntime",
    "WorkerRun",
    "WorkerTask",
    "current_interrupt_id",
    "get_config",
    "get_stream_writer",
    "interrupt",
]


class ResumeMap(dict[str, Any]):
    """Answers by interrupt id for one task (``Command(resume={id: answer, ...})``).

    ``interrupt()`` takes the answer for its own id; a subgraph run by the task gets them all.
    """


class TaskRuntime:
    """Per-task state the helpers below read.

    Attributes:
        loop: the run the task belongs to: its config (with the task's namespace filled in)
            and ``custom`` stream writer; a graph invoked inside the task nests under it.
        task: the running task (its namespace gives the interrupt id).
        resume: answers already given to this task's interrupts, in order.
        next_resume: a fresh answer for the next unanswered interrupt, or ``MISSING``.
        calls: the ``@task`` calls this attempt made (a ``_call.CallScope``), once it makes one.
    """

    __slots__ = ("calls", "counter", "loop", "nested", "next_resume", "resume", "task")

    def __init__(
        self,
        *,
        loop: RunLoop,
        task: Task,
        resume: list[Any] | None = None,
        next_resume: Any = MISSING,
    ) -> None:
        self.loop = loop
        self.task = task
        self.resume = resume if resume is not None else []
        self.next_resume = next_resume
        self.counter = 0
        self.nested = 0
        self.calls: Any = None


class WorkerRun:
    """Stands in for the run inside another process, where a shipped task runs
    (``nbpregel.pregel._remote``): the node reaches its config, writer and ``Runtime`` through
    it. Graphs and ``@task`` functions called there run on the spot, on their own.
    """

    __slots__ = ("custom", "run_config", "runtime")

    def __init__(self, run_config: dict[str, Any], custom: StreamWriter, runtime: Any) -> None:
        self.run_config = run_config
        self.custom = custom
        self.runtime = runtime


class WorkerTask:
    """Stands in for a shipped task inside another process: its interrupt ids need its
    namespace."""

    __slots__ = ("id", "name", "ns")

    def __init__(self, id: str, name: str, ns: str) -> None:
        self.id = id
        self.name = name
        self.ns = ns


CURRENT: ContextVar[TaskRuntime | None] = ContextVar("nbpregel_task", default=None)


def _runtime(caller: str) -> TaskRuntime:
    runtime = CURRENT.get()
    if runtime is None:
        raise NbPregelError(
            f"{caller}() was called outside a running node: call it from inside a node "
            f"function while the graph runs"
        )
    return runtime


def _ignore(_chunk: Any) -> None:
    return None


def get_stream_writer() -> StreamWriter:
    """A function that emits its argument as a ``custom`` stream chunk.

    Outside a running node, or when the run does not stream ``custom``, the writer does nothing.
    """
    runtime = CURRENT.get()
    return runtime.loop.custom if runtime is not None else _ignore


def get_config() -> dict[str, Any]:
    """The config of the running task (``configurable`` holds thread and namespace)."""
    return _runtime("get_config").loop.run_config


def current_interrupt_id() -> str:
    """The id an interrupt of the running task gets (``PLACEHOLDER_ID`` outside a task)."""
    runtime = CURRENT.get()
    return PLACEHOLDER_ID if runtime is None else interrupt_id(runtime.task.ns)


PLACEHOLDER_ID: Final = "placeholder-id"
"""The id of an interrupt made outside a running task."""


def interrupt(value: Any) -> Any:
    """Pause the run and ask for input; on resume, return the answer.

    The first time a node reaches ``interrupt(value)`` the run stops and reports
    ``Interrupt(value, id)``. Resuming with ``Command(resume=answer)`` runs the node again from its
    start; this time the same call returns ``answer``. Several calls in one node are answered in
    order.

    Args:
        value: what to show the person answering (any serializable value).

    Returns:
        The answer given with ``Command(resume=...)``.

    Raises:
        GraphInterrupt: to pause the run (do not catch it in the node).
    """
    runtime = _runtime("interrupt")
    index = runtime.counter
    runtime.counter += 1
    if index < len(runtime.resume):
        return runtime.resume[index]
    own_id = interrupt_id(runtime.task.ns)
    answer = runtime.next_resume
    if isinstance(answer, ResumeMap):
        answer = answer.get(own_id, MISSING)
    if answer is not MISSING:
        runtime.next_resume = MISSING
        runtime.resume.append(answer)
        return answer
    raise GraphInterrupt([Interrupt(value=value, id=own_id)])
