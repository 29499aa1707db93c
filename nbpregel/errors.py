"""Errors raised by nbpregel.

Every error a user can cause names the thing at fault and says what to do about it.
The hierarchy::

    NbPregelError
    ├── EmptyChannelError          a channel was read before anything was written to it
    ├── EmptyInputError            a run given no input and no checkpoint to continue (ValueError)
    ├── InvalidUpdateError         a write the channel or the state schema cannot accept
    │   ├── InvalidMessageError    a message ``add_messages`` cannot use (also a ValueError)
    │   └── ToolCallError          a tool call left without exactly one ToolMessage answering it
    │                              (``nbpregel.prebuilt``; also a ValueError)
    ├── InvalidContextError        a run's ``context=`` that does not fit its schema (a TypeError)
    ├── GraphValidationError       a graph that cannot be compiled (also a ValueError)
    ├── GraphRecursionError        the run used up its superstep budget (also a RecursionError)
    ├── CheckpointError            a saver or a checkpoint cannot be used
    │   └── SerializationError     a value that the safe serializer refuses (also a TypeError)
    ├── InvalidResumeError         a resume value or interrupt id that matches no interrupt
    ├── NodeTimeoutError           an attempt of a node ran past its ``timeout=``
    └── GraphBubbleUp              control flow, not a failure: unwinds a task
        ├── GraphInterrupt         a node called ``interrupt()``; carries the interrupts
        │   └── NodeInterrupt      raised by a node to pause there (LangGraph's older way)
        ├── GraphDrained           the run stopped between supersteps, as its control asked
        └── ParentCommand          a subgraph node returned ``Command(graph=Command.PARENT)``

A node's own exception is never wrapped: it propagates as itself, with a note naming the node
and the superstep. A step that runs out of time raises the builtin ``TimeoutError``.

``NodeError`` (defined in ``nbpregel.types``, importable from here as from LangGraph's
``langgraph.errors``) is not an exception: it is what a node's ``error_handler`` receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

# Not an error: what an error handler receives. Importable from here, as LangGraph's is.
from nbpregel.types import NodeError as NodeError

if TYPE_CHECKING:
    from nbpregel.types import Interrupt

__all__ = [
    "CheckpointError",
    "EmptyChannelError",
    "EmptyInputError",
    "GraphBubbleUp",
    "GraphDrained",
    "GraphInterrupt",
    "GraphRecursionError",
    "GraphValidationError",
    "InvalidContextError",
    "InvalidMessageError",
    "InvalidResumeError",
    "InvalidUpdateError",
    "NbPregelError",
    "NodeInterrupt",
    "NodeTimeoutError",
    "ParentCommand",
    "SerializationError",
    "ToolCallError",
]


class NbPregelError(Exception):
    """Base class of every error nbpregel raises on purpose."""


class EmptyChannelError(NbPregelError):
    """A channel was read before any value was written to it."""


class EmptyInputError(NbPregelError, ValueError):
    """A run was given no input (``None``) and has no checkpoint to continue from."""


class InvalidUpdateError(NbPregelError):
    """A write that cannot be applied: unknown channel, conflicting writes, bad node output."""


class InvalidMessageError(InvalidUpdateError, ValueError):
    """A message ``add_messages`` cannot use: unconvertible, id-less, or an unknown removal."""


class ToolCallError(InvalidUpdateError, ValueError):
    """A tool call without exactly one ``ToolMessage`` answering it: a tool's ``Command`` (or
    list of results) that lacks it, or a chat history handed to a model with a call unanswered."""


class InvalidContextError(NbPregelError, TypeError):
    """A run's ``context=`` does not fit the graph's ``context_schema``."""


class GraphValidationError(NbPregelError, ValueError):
    """A graph definition that cannot be compiled; the message names the culprit."""


class GraphRecursionError(NbPregelError, RecursionError):
    """The run reached ``recursion_limit`` supersteps without finishing."""


class CheckpointError(NbPregelError):
    """A checkpointer or a saved checkpoint cannot be used as asked."""


class SerializationError(CheckpointError, TypeError):
    """A value the safe serializer refuses to write or to load."""


class InvalidResumeError(NbPregelError, ValueError):
    """A resume value whose shape or interrupt id matches no pending interrupt."""


class NodeTimeoutError(NbPregelError):
    """An attempt of a node ran past its timeout (``add_node(..., timeout=...)``).

    Not the builtin ``TimeoutError`` (an ``OSError``, which the default ``RetryPolicy`` never
    retries): a timed-out attempt is retried like any passing failure.

    Attributes:
        node: the node whose attempt was cancelled.
        kind: ``"run"`` (``run_timeout``, the whole attempt) or ``"idle"`` (``idle_timeout``,
            no progress shown).
        timeout: the limit that was reached, in seconds.
        run_timeout: the node's run timeout in seconds, or ``None``.
        idle_timeout: the node's idle timeout in seconds, or ``None``.
        elapsed: seconds the attempt had run when it was cancelled.

    Example:
        >>> error = NodeTimeoutError("fetch", 2.5, "run", run_timeout=2.0)
        >>> error.timeout, error.kind
        (2.0, 'run')
    """

    def __init__(
        self,
        node: str,
        elapsed: float,
        kind: Literal["run", "idle"],
        idle_timeout: float | None = None,
        run_timeout: float | None = None,
    ) -> None:
        limit = {"run": run_timeout, "idle": idle_timeout}.get(kind)
        if limit is None:
            raise ValueError(
                f"NodeTimeoutError(kind={kind!r}) needs kind 'run' with run_timeout, or 'idle' "
                f"with idle_timeout"
            )
        super().__init__(node, elapsed, kind, idle_timeout, run_timeout)
        self.node = node
        self.elapsed = elapsed
        self.kind = kind
        self.timeout: float = limit
        self.idle_timeout = idle_timeout
        self.run_timeout = run_timeout

    def __str__(self) -> str:
        if self.kind == "idle":
            return (
                f"node {self.node!r} showed no progress for its idle timeout of "
                f"{self.timeout:.3f}s (cancelled after {self.elapsed:.3f}s): call "
                f"runtime.heartbeat() during long work, or raise idle_timeout"
            )
        return (
            f"node {self.node!r} ran past its run timeout of {self.timeout:.3f}s (cancelled "
            f"after {self.elapsed:.3f}s): raise the node's timeout=, or make it faster"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)


class GraphBubbleUp(NbPregelError):
    """Unwinds a task without failing the run (interrupts, parent commands)."""


class GraphInterrupt(GraphBubbleUp):
    """Raised inside a task by ``interrupt()``; the run pauses and reports the interrupts."""

    def __init__(self, interrupts: Sequence[Interrupt] = ()) -> None:
        super().__init__(tuple(interrupts))
        self.interrupts: tuple[Interrupt, ...] = tuple(interrupts)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.interrupts,))


class NodeInterrupt(GraphInterrupt):
    """Raise it in a node to pause the run there (LangGraph's older dynamic breakpoint, kept
    for ported notebooks; ``interrupt(value)`` is the way to ask and get an answer).

    The run pauses with ``Interrupt(value)``; when the thread continues (``invoke(None,
    config)``, after an ``update_state`` say), the node runs again from its start.

    Example:
        >>> NodeInterrupt("too big").interrupts[0].value
        'too big'
    """

    def __init__(self, value: Any, id: str | None = None) -> None:
        from nbpregel.pregel._context import current_interrupt_id
        from nbpregel.types import Interrupt

        super().__init__([Interrupt(value=value, id=id or current_interrupt_id())])

    def __reduce__(self) -> tuple[Any, ...]:
        return (GraphInterrupt, (self.interrupts,))


class GraphDrained(GraphBubbleUp):
    """The run stopped at a superstep boundary because ``RunControl.request_drain()`` was
    called; its checkpoint is saved and resuming the thread goes on from there.

    Attributes:
        reason: the reason given to ``request_drain``.
    """

    def __init__(self, reason: str = "shutdown", message: str | None = None) -> None:
        super().__init__(message or f"graph drained: {reason}")
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.reason, str(self)))


class ParentCommand(GraphBubbleUp):
    """Carries a ``Command(graph=Command.PARENT)`` out of a subgraph to the node running it.

    The node that runs the subgraph applies the command as if it had returned it itself.
    """

    def __init__(self, command: Any) -> None:
        super().__init__(command)
        self.command = command

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.command,))
