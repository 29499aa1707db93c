"""Nodes of the low-level graph: what a node reads, what triggers it, where its output goes."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbpregel.types import CachePolicy, RetryPolicy, TimeoutPolicy

if TYPE_CHECKING:
    from nbpregel.errors import NodeError
    from nbpregel.managed import ManagedValue

__all__ = ["INJECTED", "NodeBuilder", "PregelNode", "Writer"]

INJECTED = ("config", "writer", "runtime", "store")
"""The parameters the engine fills, by name, when a node function declares them."""

Writer = Callable[[Any, Any, Any], list[tuple[str, Any]]]
"""Turns a node's return value into ``(channel, value)`` writes.

Called as ``writer(output, task, channels)``: ``channels`` are the live channels as of the start
of the step (conditional edges read them, overlaid with the task's own writes).
"""


def _is_async_callable(fn: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(fn):
        return True
    call = getattr(fn, "__call__", None)  # noqa: B004 - callable objects with async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _accepted_kwargs(fn: Callable[..., Any]) -> frozenset[str]:
    """The keyword arguments the engine may pass a node function (``config``, ...)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(name for name in INJECTED if name in params)


class PregelNode:
    """A node as the superstep loop sees it.

    Attributes:
        name: unique in its graph.
        triggers: channels whose new versions make the node run.
        reads: one channel name (the node gets its value) or a tuple (the node gets a dict).
        bound: the function to call, sync or async.
        writer: maps the function's result to writes; ``None`` writes nothing.
        mapper: optional transform of the input before the call (e.g. into a schema instance).
        managed: the managed values (``nbpregel.managed``) added to the node's input, by key:
            computed for each task from its superstep and the run's recursion limit.
        retry_policy: how to retry a failing call.
        cache_policy: when to reuse earlier writes.
        hidden: leave the node out of the ``updates`` stream (the input node).
        defer: the node is a deferred node (informational; deferral is in its trigger channel).
        subgraph: the compiled graph this node runs, when it is a subgraph.
        streams_while_running: the node starts work of its own that streams chunks while it
            runs (a subgraph's steps, an entrypoint's task calls): the sync driver then runs it
            on a worker thread even alone in its step, so those chunks reach the caller live.
        inline: the node's calls are short CPU work (a vertex's compute): a step made only of
            such nodes runs on the calling thread, one task after another, as threads would
            only add hand-offs (unless the graph has its own executor or a step timeout).
        quick: the node's latest traced task finished within ``QUICK_S`` (``False`` until a
            ``trace`` stream saw one finish): a step of quick tasks may have its ``trace``
            events held back a little, to travel with the next steps' events.
        timeout: how long each attempt of the (async) node may run (``nbpregel.pregel._timeout``).
        error_handler: the node run in its place once it failed for good
            (``nbpregel.pregel._fault``), or ``None``.
        handling: on the copy of an error handler that runs for one failure, that failure
            (``None`` on every other node).
    """

    __slots__ = (
        "accepts",
        "bound",
        "cache_policy",
        "defer",
        "error_handler",
        "handling",
        "hidden",
        "inline",
        "is_async",
        "managed",
        "mapper",
        "metadata",
        "name",
        "quick",
        "reads",
        "retry_policy",
        "streams_while_running",
        "subgraph",
        "timeout",
        "triggers",
        "writer",
    )

    def __init__(
        self,
        *,
        name: str,
        triggers: Sequence[str],
        reads: str | Sequence[str],
        bound: Callable[..., Any],
        writer: Writer | None = None,
        mapper: Callable[[Any], Any] | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        hidden: bool = False,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        subgraph: Any | None = None,
        streams_while_running: bool | None = None,
        inline: bool = False,
        managed: Mapping[str, type[ManagedValue]] | None = None,
        timeout: TimeoutPolicy | None = None,
        error_handler: PregelNode | None = None,
    ) -> None:
        self.name = name
        self.triggers = tuple(triggers)
        self.reads = reads if isinstance(reads, str) else tuple(reads)
        self.bound = bound
        self.writer = writer
        self.mapper = mapper
        self.managed: tuple[tuple[str, type[ManagedValue]], ...] = tuple((managed or {}).items())
        if isinstance(retry_policy, RetryPolicy):
            retry_policy = (retry_policy,)
        self.retry_policy: tuple[RetryPolicy, ...] = tuple(retry_policy or ())
        self.cache_policy = cache_policy
        self.hidden = hidden
        self.defer = defer
        self.metadata = metadata or {}
        self.subgraph = subgraph
        self.streams_while_running = (
            subgraph is not None if streams_while_running is None else streams_while_running
        )
        self.is_async = _is_async_callable(bound)
        self.inline = inline and not self.is_async
        self.accepts = _accepted_kwargs(bound)
        self.quick = False
        self.timeout = timeout
        self.error_handler = error_handler
        self.handling: NodeError | None = None

    def __repr__(self) -> str:
        return f"PregelNode({self.name!r}, triggers={self.triggers!r})"


def _write_output(targets: tuple[str, ...], mapped: dict[str, Any]) -> Writer:
    def write(output: Any, task: Any, channels: Any) -> list[tuple[str, Any]]:
        writes: list[tuple[str, Any]] = []
        if output is not None:
            writes.extend((channel, output) for channel in targets)
        for channel, how in mapped.items():
            value = how(output) if callable(how) else how
            if value is not None:
                writes.append((channel, value))
        return writes

    return write


class NodeBuilder:
    """Declare a low-level node: what it subscribes to, what it reads, what it writes.

    >>> from nbpregel.channels import LastValue
    >>> from nbpregel.pregel import Pregel
    >>> double = NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")
    >>> app = Pregel(
    ...     nodes={"double": double},
    ...     channels={"a": LastValue(int), "b": LastValue(int)},
    ...     input_channels="a",
    ...     output_channels="b",
    ... )
    >>> app.invoke(21)
    42
    """

    def __init__(self) -> None:
        self._triggers: list[str] = []
        self._reads: str | list[str] | None = None
        self._fn: Callable[..., Any] = lambda value: value
        self._targets: list[str] = []
        self._mapped: dict[str, Any] = {}
        self._retry: RetryPolicy | None = None
        self._cache: CachePolicy | None = None

    def subscribe_only(self, channel: str) -> NodeBuilder:
        """Trigger on ``channel`` and receive its value alone as input."""
        self._triggers.append(channel)
        self._reads = channel
        return self

    def subscribe_to(self, *channels: str, read: bool = True) -> NodeBuilder:
        """Trigger on each of ``channels``; with ``read`` they are also read (input is a dict)."""
        self._triggers.extend(channels)
        if read:
            if isinstance(self._reads, str):
                self._reads = [self._reads]
            self._reads = [*(self._reads or []), *channels]
        return self

    def read_from(self, *channels: str) -> NodeBuilder:
        """Also read ``channels`` (without being triggered by them); input becomes a dict."""
        if isinstance(self._reads, str):
            self._reads = [self._reads]
        self._reads = [*(self._reads or []), *channels]
        return self

    def do(self, fn: Callable[..., Any]) -> NodeBuilder:
        """The function to run (sync or async)."""
        self._fn = fn
        return self

    def write_to(self, *channels: str, **mapped: Any) -> NodeBuilder:
        """Write the output to ``channels``; ``name=fn`` writes ``fn(output)``, ``name=v`` a value.

        ``None`` is never written: a node returning ``None`` leaves its channels alone.
        """
        self._targets.extend(channels)
        self._mapped.update(mapped)
        return self

    def add_retry_policies(self, policy: RetryPolicy) -> NodeBuilder:
        """Retry the node as ``policy`` says."""
        self._retry = policy
        return self

    def add_cache_policy(self, policy: CachePolicy) -> NodeBuilder:
        """Cache the node's writes as ``policy`` says."""
        self._cache = policy
        return self

    def build(self, name: str) -> PregelNode:
        """The node, named ``name``."""
        if not self._triggers:
            raise ValueError(f"node {name!r} subscribes to no channel: call subscribe_only/to")
        writer = _write_output(tuple(self._targets), dict(self._mapped))
        return PregelNode(
            name=name,
            triggers=self._triggers,
            reads=self._reads if self._reads is not None else (),
            bound=self._fn,
            writer=writer if (self._targets or self._mapped) else None,
            retry_policy=self._retry,
            cache_policy=self._cache,
        )
