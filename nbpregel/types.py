"""Values users create or receive: Send, Command, Interrupt, policies and state snapshots."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, Generic, Literal, NamedTuple, Protocol, TypeVar, runtime_checkable

from nbpregel._node_policies import NodeError, TimeoutPolicy, TracePolicy
from nbpregel.constants import Durability, StreamMode

__all__ = [
    "All",
    "CachePolicy",
    "Checkpointer",
    "Command",
    "Durability",
    "Interrupt",
    "NodeError",
    "Overwrite",
    "PregelTask",
    "RetryPolicy",
    "Send",
    "StateSnapshot",
    "StateUpdate",
    "StreamMode",
    "StreamWriter",
    "TimeoutPolicy",
    "TracePolicy",
    "TracedTask",
    "interrupt",  # noqa: F822 (made on first access: see __getattr__)
]

N = TypeVar("N")

All = Literal["*"]
"""Pass ``"*"`` as ``interrupt_before`` / ``interrupt_after`` to pause at every node."""

StreamWriter = Callable[[Any], None]
"""What ``get_stream_writer()`` returns: call it with any value to emit a ``custom`` chunk."""


class Send:
    """A message to one node: in the next superstep ``node`` runs once with ``arg`` as input.

    Return a list of these from a conditional edge to fan out (map-reduce).

    >>> Send("summarise", {"doc": "a"})
    Send(node='summarise', arg={'doc': 'a'})
    """

    __slots__ = ("arg", "node")

    def __init__(self, node: str, arg: Any) -> None:
        self.node = node
        self.arg = arg

    def __hash__(self) -> int:
        return hash((self.node, repr(self.arg)))

    def __repr__(self) -> str:
        return f"Send(node={self.node!r}, arg={self.arg!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Send) and self.node == other.node and self.arg == other.arg


@dataclasses.dataclass(frozen=True, slots=True)
class Interrupt:
    """A pause requested by a node through ``interrupt(value)``.

    Attributes:
        value: what the node asked (shown to the person who answers).
        id: stable id of the interrupt; answer several at once with ``Command(resume={id: v})``.
    """

    value: Any
    id: str = "placeholder-id"


@dataclasses.dataclass(frozen=True, slots=True)
class Overwrite:
    """Write ``value`` to a reducer channel as is, bypassing the reducer.

    >>> Overwrite([1, 2]).value
    [1, 2]
    """

    value: Any


@dataclasses.dataclass(frozen=True, slots=True)
class Command(Generic[N]):
    """Update state, route, resume an interrupt, or do several at once.

    Return it from a node (``update`` and ``goto``), or pass it as a graph's input (``resume``).

    Attributes:
        graph: ``None`` for the current graph, ``Command.PARENT`` for the enclosing one.
        update: a state update, as a node would return it.
        resume: the answer to a pending interrupt, or ``{interrupt_id: answer}`` for several.
        goto: a node name, a ``Send``, or a sequence of them, to run in the next step.
    """

    graph: str | None = None
    update: Any | None = None
    resume: dict[str, Any] | Any | None = None
    goto: Send | Sequence[Send | N] | N = ()

    PARENT: ClassVar[Literal["__parent__"]] = "__parent__"

    def __repr__(self) -> str:
        parts = [
            f"{field.name}={getattr(self, field.name)!r}"
            for field in dataclasses.fields(self)
            if getattr(self, field.name) not in (None, ())
        ]
        return f"Command({', '.join(parts)})"

    def update_items(self) -> Sequence[tuple[str, Any]]:
        """The state update as (key, value) pairs; lists of pairs are kept in order."""
        update = self.update
        if update is None:
            return ()
        if isinstance(update, dict):
            return list(update.items())
        if isinstance(update, list | tuple) and all(
            isinstance(item, tuple) and len(item) == 2 for item in update
        ):
            return list(update)
        if dataclasses.is_dataclass(update) and not isinstance(update, type):
            return [(f.name, getattr(update, f.name)) for f in dataclasses.fields(update)]
        if hasattr(update, "model_dump"):
            return list(update.model_dump().items())
        return [("__root__", update)]

    def goto_targets(self) -> list[Send | str]:
        """``goto`` as a list of node names and ``Send`` packets."""
        goto = self.goto
        if isinstance(goto, Send | str):
            return [goto]
        return list(goto)  # type: ignore[arg-type]


def default_retry_on(exc: Exception) -> bool:
    """Retry on everything but the errors a retry cannot fix (programming and value errors)."""
    permanent = (
        ValueError,
        TypeError,
        ArithmeticError,
        ImportError,
        LookupError,
        NameError,
        SyntaxError,
        RuntimeError,
        ReferenceError,
        StopIteration,
        StopAsyncIteration,
        OSError,
    )
    if isinstance(exc, ConnectionError):
        return True
    return not isinstance(exc, permanent)


@dataclasses.dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently to retry a failing node.

    Attributes:
        initial_interval: seconds before the first retry.
        backoff_factor: each following interval is multiplied by this.
        max_interval: intervals never exceed this many seconds.
        max_attempts: attempts in all, the first one included.
        jitter: add up to 1 second of random delay to each interval.
        retry_on: exception classes to retry, or a predicate on the exception.
    """

    initial_interval: float = 0.5
    backoff_factor: float = 2.0
    max_interval: float = 128.0
    max_attempts: int = 3
    jitter: bool = True
    retry_on: type[Exception] | Sequence[type[Exception]] | Callable[[Exception], bool] = (
        default_retry_on
    )

    def should_retry(self, exc: Exception) -> bool:
        """Whether ``exc`` is one this policy retries."""
        retry_on: Any = self.retry_on
        if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
            return isinstance(exc, retry_on)
        if isinstance(retry_on, Sequence):
            return isinstance(exc, tuple(retry_on))
        if callable(retry_on):
            return bool(retry_on(exc))
        raise TypeError(
            f"RetryPolicy.retry_on must be an exception class, a sequence of them or a callable, "
            f"got {retry_on!r}"
        )


def _default_cache_key(*args: Any, **kwargs: Any) -> Hashable:
    from nbpregel.cache._keys import default_cache_key  # lazy: caching is optional

    return default_cache_key(*args, **kwargs)


@dataclasses.dataclass(frozen=True, slots=True)
class CachePolicy:
    """Reuse a node's writes for equal inputs.

    Attributes:
        key_func: maps the node's input to a cache key, ``str`` or ``bytes`` (default: the
            input pickled after sorting its dicts and sets; never its ``repr``, which may
            abbreviate big values).
        ttl: seconds an entry lives; ``None`` keeps it forever.
    """

    key_func: Callable[..., Hashable] = _default_cache_key
    ttl: float | None = None


class PregelTask(NamedTuple):
    """A task as a state snapshot reports it: what runs next, or what failed or paused."""

    id: str
    name: str
    path: tuple[Any, ...]
    error: Exception | None = None
    interrupts: tuple[Interrupt, ...] = ()
    state: Any = None
    result: Any | None = None


class StateSnapshot(NamedTuple):
    """The state of a thread at one checkpoint."""

    values: dict[str, Any] | Any
    next: tuple[str, ...]
    config: dict[str, Any]
    metadata: dict[str, Any] | None
    created_at: str | None
    parent_config: dict[str, Any] | None
    tasks: tuple[PregelTask, ...]
    interrupts: tuple[Interrupt, ...] = ()


class StateUpdate(NamedTuple):
    """One update of ``bulk_update_state``: ``values`` as if node ``as_node`` returned them.

    ``task_id`` names the update's task (its id otherwise is the node's name).
    """

    values: dict[str, Any] | Any
    as_node: str | None = None
    task_id: str | None = None


@runtime_checkable
class TracedTask(Protocol):
    """A task as the ``trace`` stream shares it (see :class:`nbpregel.constants.TraceEvent`).

    The engine's own task object, read-only for everyone else: fields fill in as the task runs,
    and are final once a ``DONE`` event reported it.

    Attributes:
        id: the task id (deterministic: the same on a resume).
        name: the node's name.
        kind: ``PULL`` (triggered by channels) or ``PUSH`` (a ``Send``).
        triggers: the channels (or ``__pregel_push``) that made it run.
        input: what the node was called with (for a node reading the whole state, once it
            finished: the ``values`` of the checkpoint before its step, an equal dict).
        status: ``pending``, then ``ok``, ``error``, ``interrupted`` or ``cached``.
        attempts: how many times it ran (retries included; 0 when it came from a cache or
            from saved writes).
        error: the exception it failed with.
        handled: the exception its node failed with when the node's ``error_handler`` ran in
            its place (the task then ends as the handler does), else ``None``.
        interrupts: the interrupts it raised (an empty sequence when none).
        writes: every ``(channel, value)`` it wrote, routing channels included (once
            finished: a tuple, or a ``WriteMap`` of many channels written once each).
        started_at: epoch seconds of its first attempt.
        duration_ms: milliseconds from its first attempt's start to its end.
    """

    id: str
    name: str
    kind: Any
    triggers: tuple[str, ...]
    input: Any
    status: str
    attempts: int
    error: BaseException | None
    handled: BaseException | None
    interrupts: Sequence[Interrupt]
    writes: Sequence[tuple[str, Any]]
    started_at: float | None
    duration_ms: float | None


Checkpointer = Any
"""What ``compile(checkpointer=...)`` takes, as LangGraph's alias names it: a saver
(``BaseCheckpointSaver``), ``None`` (a subgraph uses its parent's), or ``False`` (a subgraph
keeps no history)."""


def __getattr__(name: str) -> Any:
    """``interrupt``, as LangGraph's ``langgraph.types`` has it (loaded on first use: the run
    helpers import this module)."""
    if name == "interrupt":
        from nbpregel.pregel._context import interrupt

        return interrupt
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
