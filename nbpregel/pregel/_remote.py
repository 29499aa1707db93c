"""Tasks shipped to an executor that runs calls in other processes (a process pool, a Dask
cluster).

Such an executor gets only the node call: a picklable :class:`RemoteCall` holding the node's
function, its input, the run's config, a ``Runtime`` (context, execution info) and the answers
to the task's interrupts. Everything else stays with the run, in this process: attempts and
retries, writes, statuses, checkpoints, the cache and the stream. So a task on a cluster looks
like any other in the stream and the notebook tables.

On the worker the call runs with a stand-in run (``_context.WorkerRun``), so ``interrupt()``,
``get_config()``, ``get_stream_writer()`` and ``get_runtime()`` work as they do here. What the
node writes to its stream writer travels back with the result and is streamed when the task
finishes. Graphs and ``@task`` functions the node calls run right there, on their own (no
checkpoints of their own, nothing streamed). The run's store travels only if it can be pickled
(``InMemoryStore`` and ``SqliteStore`` cannot): otherwise the node gets a stand-in whose use
raises an error saying so.

Which tasks are shipped (``shipped``): sync node calls and sync ``@task`` calls. Async nodes
run on an event loop here; subgraph nodes and entrypoints run here too (they orchestrate: their
own tasks are shipped). A step's tasks are shipped by ``_ship`` (both drivers): a step's
``inline`` tasks (short CPU work: a vertex program's computes) travel in a few batches
(``RemoteBatch``) rather than one call each; a ``@task`` call goes alone.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import socket
import traceback
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from nbpregel.channels.base import MISSING
from nbpregel.constants import StreamMode
from nbpregel.errors import GraphInterrupt, NbPregelError
from nbpregel.pregel._context import CURRENT, TaskRuntime, WorkerRun, WorkerTask
from nbpregel.pregel._runtime import fields_of, task_runtime

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._node import PregelNode
    from nbpregel.pregel._task import Task

__all__ = [
    "MAX_BATCHES",
    "MIN_BATCH",
    "RemoteBatch",
    "RemoteCall",
    "RemoteOutcome",
    "StoreLeftBehind",
    "batches",
    "refused",
    "remote_call",
    "settle",
    "shipped",
    "transport_note",
]

MAX_BATCHES = 16
"""The most batches a step's short tasks are shipped in (see ``RemoteBatch``)."""
MIN_BATCH = 100
"""The fewest tasks in a batch, unless the step has fewer."""


def shipped(loop: RunLoop, node: PregelNode) -> bool:
    """Whether a task of ``node`` goes to the run's executor as a :class:`RemoteCall`."""
    return (
        loop.ships
        and not node.is_async
        and node.subgraph is None
        and not node.streams_while_running
        and not node.hidden
    )


def _ignore(_chunk: Any) -> None:
    return None


class StoreLeftBehind:
    """What a shipped node gets for a store that cannot be pickled: any use raises an error
    naming the node and the fix."""

    __slots__ = ("kind", "node")

    def __init__(self, kind: str, node: str) -> None:
        self.kind = kind
        self.node = node

    def __reduce__(self) -> tuple[Any, ...]:
        return (StoreLeftBehind, (self.kind, self.node))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)  # what pickling and introspection look for
        raise NbPregelError(
            f"node {self.node!r} used the run's store ({self.kind}.{name}), but the node runs "
            f"in another process and the store cannot be pickled, so it stayed in the run's: "
            f"use the store from an async node (async nodes run in the run's process), run "
            f"the graph without executor=, or give it a store that can be pickled"
        )

    def __repr__(self) -> str:
        return f"StoreLeftBehind({self.kind}, node={self.node!r})"


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteOutcome:
    """What a :class:`RemoteCall` sends back: the node's result or error, the answers its
    ``interrupt()`` calls used, and what it wrote to its stream writer."""

    output: Any
    error: BaseException | None
    resume: list[Any]
    chunks: list[Any]

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteOutcome, fields_of(self))


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteCall:
    """One attempt of a task, as sent to another process: call it there (with no arguments).

    Attributes:
        fn: the node's function (or a ``@task`` call's ``Call``).
        value: its input.
        inject: the engine-filled parameters it takes (``config``, ``writer``...).
        config: the run's config, as ``get_config()`` returns it.
        runtime: the task's ``Runtime`` (its ``stream_writer`` is set on the worker).
        task: the task's id, name and namespace.
        resume: the answers already given to the task's interrupts, in order.
        next_resume: a fresh answer for its next interrupt, or ``MISSING``.
        streams_custom: whether the run streams what the node writes to its writer.
    """

    fn: Callable[..., Any]
    value: Any
    inject: frozenset[str]
    config: dict[str, Any]
    runtime: Any
    task: WorkerTask
    resume: tuple[Any, ...]
    next_resume: Any
    streams_custom: bool

    def __call__(self) -> RemoteOutcome:
        chunks: list[Any] = []
        writer = chunks.append if self.streams_custom else _ignore
        runtime = self.runtime.override(stream_writer=writer)
        run = WorkerRun(self.config, writer, runtime)
        state = TaskRuntime(
            loop=cast(Any, run),
            task=cast(Any, self.task),
            resume=list(self.resume),
            next_resume=self.next_resume,
        )
        available = {
            "config": self.config,
            "writer": writer,
            "runtime": runtime,
            "store": runtime.store,
        }
        kwargs = {name: available[name] for name in self.inject}
        error: BaseException | None = None
        token = CURRENT.set(state)
        try:
            output, error = self.fn(self.value, **kwargs), None
        except GraphInterrupt as exc:
            output, error = None, exc
        except BaseException as exc:
            # A traceback does not travel with its error: its text does, as a note.
            where = f"{socket.gethostname()}, process {os.getpid()}"
            exc.add_note(f"raised in another process ({where}):\n{traceback.format_exc()}")
            output, error = None, exc
        finally:
            CURRENT.reset(token)
        return RemoteOutcome(output, error, state.resume, chunks)

    def __dask_tokenize__(self) -> str:
        return _fresh_token()

    def __reduce__(self) -> tuple[Any, ...]:
        return (RemoteCall, fields_of(self))


def _travelling_store(loop: RunLoop, task: Task) -> Any:
    """The store as the shipped task sees it: itself if it pickles, else a stand-in (tried
    once per run)."""
    store = loop.store
    if store is None:
        return None
    travels = _STORE_TRAVELS.get(loop)
    if travels is None:
        try:
            pickle.dumps(store)
            travels = True
        except Exception:
            travels = False
        _STORE_TRAVELS[loop] = travels
    return store if travels else StoreLeftBehind(type(store).__name__, task.name)


_STORE_TRAVELS: weakref.WeakKeyDictionary[RunLoop, bool] = weakref.WeakKeyDictionary()


def remote_call(loop: RunLoop, task: Task) -> RemoteCall:
    """The call that runs the current attempt of ``task`` in another process."""
    node = task.node
    runtime = CURRENT.get()  # set by begin_attempt: the answers as of this attempt
    store = _travelling_store(loop, task) if node.accepts & {"store", "runtime"} else None
    return RemoteCall(
        fn=task.call or node.bound,
        value=task.input,
        inject=node.accepts,
        config=loop.run_config,
        runtime=task_runtime(loop, task, store=store, stream_writer=_ignore),
        task=WorkerTask(task.id, task.name, task.ns),
        resume=tuple(runtime.resume) if runtime is not None else tuple(task.resume),
        next_resume=runtime.next_resume if runtime is not None else MISSING,
        streams_custom=loop.wants(StreamMode.CUSTOM),
    )


def transport_note(executor: Any, what: str) -> str:
    """The note on an error of the executor's own (not the node's), about ``what`` it ran."""
    return (
        f"the graph's executor ({type(executor).__name__}) failed to run {what} or to send "
        f"the result back (what travels must pickle: the node's function, its input, the "
        f"config, the context, and its result)"
    )


def settle(loop: RunLoop, outcome: RemoteOutcome) -> tuple[Any, BaseException | None]:
    """Take back what a shipped attempt brought (in the attempt's context): the answers its
    interrupts used, its writer chunks (streamed now); returns its output and error."""
    runtime = CURRENT.get()
    if runtime is not None:
        runtime.resume = outcome.resume
    for chunk in outcome.chunks:
        loop.custom(chunk)
    return outcome.output, outcome.error


def batches(tasks: list[Task]) -> list[list[Task]]:
    """``tasks`` cut into a few batches of about equal size, each to be shipped as one
    :class:`RemoteBatch`: at most ``MAX_BATCHES``, of at least ``MIN_BATCH`` tasks."""
    count = max(1, min(MAX_BATCHES, len(tasks) // MIN_BATCH))
    size, extra = divmod(len(tasks), count)
    cuts, start = [], 0
    for index in range(count):
        end = start + size + (index < extra)
        cuts.append(tasks[start:end])
        start = end
    return cuts


@dataclasses.dataclass(frozen=True, slots=True)
class RemoteBatch:
    """Several tasks' attempts sent as one call, run one after another in the other process:
    for a step of many short tasks (a vertex program's computes), a call per task would cost
    far more to send than to run. What they share (a program's routes) is pickled once."""

    calls: tuple[RemoteCall, ...]

    def __call__(self) -> list[RemoteOutcome]:
        return [call() for call in self.calls]

    def __dask_tokenize__(self) -> str:
        return _fresh_token()


def _fresh_token() -> str:
    """A Dask key part for a call: new every time, so Dask never takes two attempts (or two
    tasks with equal inputs) for one, and never walks the call to hash it (slow)."""
    return uuid.uuid4().hex


def refused(executor: Any, task: Task, call: RemoteCall, exc: Exception) -> NbPregelError:
    """The error for an executor that would not take ``call``, naming what could not be
    pickled when that is why."""
    parts = {
        f"node {task.name!r}'s function": call.fn,
        "its input": call.value,
        "the run's config": call.config,
        "the run's context": call.runtime.context,
        "the answers to its interrupts": (call.resume, call.next_resume),
    }
    culprit = next((name for name, part in parts.items() if not _pickles(part)), None)
    if culprit is None:
        return NbPregelError(
            f"the graph's executor ({type(executor).__name__}) refused task {task.name!r}: "
            f"{exc}; give compile(executor=...) a running executor"
        )
    return NbPregelError(
        f"task {task.name!r} cannot be sent to the graph's executor "
        f"({type(executor).__name__}), which runs calls in other processes: {culprit} cannot "
        f"be pickled ({exc}); make it picklable (define functions at module level, keep locks, "
        f"files and connections out of the state and the context), or run the graph without "
        f"executor="
    )


def _pickles(value: Any) -> bool:
    """Whether ``value`` survives the pickler executors use (cloudpickle when installed)."""
    try:
        import cloudpickle

        dumps = cloudpickle.dumps
    except ImportError:
        dumps = pickle.dumps
    try:
        dumps(value)
    except Exception:
        return False
    return True
