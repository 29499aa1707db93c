"""What a node receives as ``runtime``: the run's context, the store, its writer, where it runs.

A graph compiled with ``store=`` and run with ``invoke(..., context=...)`` hands both to every
node that declares a ``runtime`` parameter (or calls :func:`get_runtime`); a node with a
``store`` parameter gets the store alone. A subgraph, or a graph invoked inside a node, shares
its parent's context unless given its own, and its parent's store when the parent has one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nbpregel.channels.base import MISSING
from nbpregel.constants import CONFIG_KEY_THREAD_ID, PREVIOUS
from nbpregel.errors import InvalidContextError, NbPregelError
from nbpregel.pregel._context import CURRENT, WorkerRun
from nbpregel.pregel._control import RunControl
from nbpregel.pregel._timeout import ACTIVE
from nbpregel.types import StreamWriter

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._task import Task

__all__ = [
    "ExecutionInfo",
    "Runtime",
    "coerce_context",
    "fields_of",
    "get_runtime",
    "saved_previous",
    "task_runtime",
]

ContextT = TypeVar("ContextT")


def _no_op(*_args: Any) -> None:
    return None


def fields_of(instance: Any) -> tuple[Any, ...]:
    """A dataclass instance's field values, in order: what its class is called with to make
    it again. Pickling a slotted dataclass this way takes a fraction of the default's time
    (it matters for tasks shipped to other processes by the thousand)."""
    names = _FIELD_NAMES.get(type(instance))
    if names is None:
        names = _FIELD_NAMES[type(instance)] = tuple(f.name for f in dataclasses.fields(instance))
    return tuple([getattr(instance, name) for name in names])


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


@dataclasses.dataclass(frozen=True, slots=True)
class ExecutionInfo:
    """Where and how often a task runs.

    Attributes:
        checkpoint_id: the checkpoint the task's step started from.
        checkpoint_ns: the task's namespace (``node:task_id``, nested for subgraphs).
        task_id: the task's id (stable across a resume of the same step).
        thread_id: the run's ``thread_id``, or ``None``.
        run_id: the config's ``run_id``, or ``None``.
        node_attempt: 1 for the first call of the node, 2 for its first retry, ...
        node_first_attempt_time: when the first attempt started (seconds since the epoch).
    """

    checkpoint_id: str | None
    checkpoint_ns: str
    task_id: str
    thread_id: str | None
    run_id: str | None
    node_attempt: int
    node_first_attempt_time: float | None

    def __reduce__(self) -> tuple[Any, ...]:
        return (ExecutionInfo, fields_of(self))


@dataclasses.dataclass(frozen=True, slots=True)
class Runtime(Generic[ContextT]):
    """What a running node can reach besides its state.

    Declare a ``runtime`` parameter (``def node(state, runtime: Runtime[Ctx])``) to receive it,
    or call :func:`get_runtime` from inside the node.

    Attributes:
        context: the run's ``context=`` (a dict becomes the graph's ``context_schema``
            dataclass or pydantic model); ``None`` when the run was given none.
        store: the store the graph was compiled with (``compile(store=...)``), or ``None``.
        stream_writer: emits its argument as a ``custom`` stream chunk.
        heartbeat: call it during long work to show progress: it restarts the
            ``idle_timeout`` of the attempt it runs in (``add_node(..., timeout=...)``, also
            of a node running this one, as a subgraph's or a ``@task`` call's); elsewhere it
            does nothing.
        previous: an entrypoint's value saved by the thread's last run (``None`` elsewhere).
        execution_info: the running task's ids and attempt number.
        server_info: ``None`` (set by LangGraph's server, which nbpregel does not have).
        control: the run's ``RunControl``: ``runtime.control.request_drain()`` stops the run
            cleanly after the current superstep.

    Example:
        >>> from dataclasses import dataclass
        >>> from typing import TypedDict
        >>> from nbpregel import START, StateGraph
        >>> @dataclass
        ... class Ctx:
        ...     user: str
        >>> class State(TypedDict):
        ...     greeting: str
        >>> def greet(state: State, runtime: Runtime[Ctx]) -> State:
        ...     return {"greeting": f"hello {runtime.context.user}"}
        >>> builder = StateGraph(State, context_schema=Ctx)
        >>> _ = builder.add_node("greet", greet).add_edge(START, "greet")
        >>> builder.compile().invoke({"greeting": ""}, context={"user": "ada"})
        {'greeting': 'hello ada'}
    """

    context: ContextT = None  # type: ignore[assignment]
    store: Any | None = None
    stream_writer: StreamWriter = _no_op
    heartbeat: Callable[[], None] = _no_op
    previous: Any = None
    execution_info: ExecutionInfo | None = None
    server_info: Any = None
    control: RunControl | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Runtime, fields_of(self))

    def override(self, **changes: Any) -> Runtime[ContextT]:
        """A copy with some fields replaced (``runtime.override(context=other)``)."""
        return dataclasses.replace(self, **changes)


def coerce_context(schema: Any, context: Any, graph: str) -> Any:
    """The context a run's nodes see: a dict made into ``schema`` when it is a dataclass or a
    pydantic model, ``None`` for no context (or an empty dict, when ``schema`` is neither),
    anything else as given.

    Raises:
        InvalidContextError: the dict does not fit ``schema`` (an unknown or missing field, a
            value pydantic refuses), naming the schema's fields.
    """
    if context is None or not isinstance(context, Mapping):
        return context
    # Imported here: the graph package imports this one (a run's start, not the hot path).
    from nbpregel.graph._schema import coerce_to_schema, schema_kind

    make = coerce_to_schema(schema)
    if make is None:
        return context or None
    try:
        return make(context)
    except (TypeError, ValueError) as exc:
        is_dataclass = schema_kind(schema) == "dataclass"
        kind = "dataclass" if is_dataclass else "pydantic model"
        fields = (
            [f.name for f in dataclasses.fields(schema)]
            if is_dataclass
            else list(schema.model_fields)
        )
        raise InvalidContextError(
            f"context={dict(context)!r} does not fit the context_schema {schema.__name__} of "
            f"graph {graph!r} (a {kind} with fields {fields}): {exc}; pass those fields, or a "
            f"{schema.__name__} instance"
        ) from exc


def saved_previous(loop: RunLoop) -> Any:
    """What an entrypoint saved on the thread's last run (``None``: nothing, or no entrypoint)."""
    channel = loop.channels.get(PREVIOUS)
    return channel.get() if channel is not None and channel.is_available() else None


def task_runtime(
    loop: RunLoop, task: Task, *, store: Any = MISSING, stream_writer: Any = None
) -> Runtime[Any]:
    """The ``Runtime`` of ``task``, run by ``loop``, as of its current attempt (with another
    ``store`` or ``stream_writer`` when given: a task shipped to another process).

    Inside an attempt with a timeout (``_timeout``), ``heartbeat`` and ``stream_writer`` show
    that attempt's progress."""
    config = loop.run_config
    heartbeat: Callable[[], None] = _no_op
    clock = ACTIVE.get()
    if clock is not None and stream_writer is None:  # (a shipped task's runtime travels)
        heartbeat, stream_writer = clock.touch, clock.writer(loop.custom)
    return Runtime(
        context=loop.context,
        store=loop.store if store is MISSING else store,
        stream_writer=stream_writer or loop.custom,
        heartbeat=heartbeat,
        previous=saved_previous(loop),
        execution_info=ExecutionInfo(
            checkpoint_id=loop.persistence.checkpoint_id or None,
            checkpoint_ns=task.ns,
            task_id=task.id,
            thread_id=config.get("configurable", {}).get(CONFIG_KEY_THREAD_ID),
            run_id=config.get("run_id"),
            node_attempt=task.attempts,
            node_first_attempt_time=task.started_at,
        ),
        control=loop.control,
    )


def get_runtime(context_schema: type[ContextT] | None = None) -> Runtime[ContextT]:
    """The running node's ``Runtime`` (``context_schema`` only types the result).

    Raises:
        NbPregelError: called outside a running node.
    """
    current = CURRENT.get()
    if current is None:
        raise NbPregelError(
            "get_runtime() was called outside a running node: call it from inside a node "
            "function while the graph runs"
        )
    if isinstance(current.loop, WorkerRun):
        return current.loop.runtime  # a task shipped to another process (see ``_remote``)
    return task_runtime(current.loop, current.task)
