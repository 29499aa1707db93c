"""``Pregel``: a compiled graph of nodes and channels, run superstep by superstep."""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from nbpregel.channels.base import BaseChannel
from nbpregel.channels.topic import Topic
from nbpregel.constants import TASKS, StreamMode
from nbpregel.errors import GraphValidationError
from nbpregel.pregel._cache import CacheMixin
from nbpregel.pregel._control import RunControl
from nbpregel.pregel._debug_print import (
    adrive_printing,
    debug_default,
    drive_printing,
    with_printed,
)
from nbpregel.pregel._events import EventsMixin
from nbpregel.pregel._node import NodeBuilder, PregelNode
from nbpregel.pregel._plan import GraphIndex
from nbpregel.pregel._run import adrive, collect, drive, final_output
from nbpregel.pregel._runnable import RunnableMixin
from nbpregel.pregel._setup import new_loop
from nbpregel.pregel._spec import GraphSpec, breakpoint_names
from nbpregel.pregel._state_edit import EditMixin
from nbpregel.types import CachePolicy, RetryPolicy, Send

__all__ = ["Pregel"]


def _modes(stream_mode: Any) -> tuple[list[StreamMode], bool]:
    single = isinstance(stream_mode, str | StreamMode)
    raw = [stream_mode] if single else list(stream_mode)
    modes = []
    for mode in raw:
        try:
            modes.append(StreamMode(mode))
        except ValueError:
            allowed = [m.value for m in StreamMode]
            raise ValueError(f"unknown stream_mode {mode!r} (must be one of {allowed})") from None
    return modes, single


class _Breakpoints:
    """A compiled graph's breakpoints under LangGraph's attribute name (``interrupt_before_nodes``
    for ``role="interrupt_before"``): read as sorted names or ``"*"``, set as ``compile`` takes
    them (a name, names, ``"*"`` or ``None``); the runs started afterwards use them."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __get__(self, graph: Pregel | None, owner: type | None = None) -> Any:
        if graph is None:
            return self
        names = getattr(graph.spec, self.role)
        return names if isinstance(names, str) else sorted(names)

    def __set__(self, graph: Pregel, names: Sequence[str] | str | None) -> None:
        change: dict[str, Any] = {self.role: breakpoint_names(names, self.role)}
        graph.spec = dataclasses.replace(graph.spec, **change)


class Pregel(EditMixin, CacheMixin, RunnableMixin, EventsMixin):
    """A graph of nodes and channels, run in supersteps (plan, execute, update).

    Args:
        nodes: node name -> ``PregelNode`` or ``NodeBuilder``.
        channels: channel name -> channel.
        input_channels: the channel (or channels) the input is written to.
        output_channels: the channel (or channels) the output is read from.
        checkpointer: a saver; needed for interrupts, resuming and time travel.
        interrupt_before: nodes to pause before (``"*"`` for all).
        interrupt_after: nodes to pause after.
        step_timeout: seconds each superstep may take.
        fail_fast: when a task fails, end its step at once instead of letting the step's
            other tasks finish (see ``StateGraph.compile``).
        executor: runs sync tasks (default: a shared thread pool): any
            ``concurrent.futures.Executor``, or a Dask ``Client``. One that is not a
            ``ThreadPoolExecutor`` (a process pool, a Dask cluster) is sent only the node
            calls, pickled; the run's bookkeeping stays here (see ``nbpregel.pregel._remote``).
        stream_channels: what stream chunks show (default: the output channels).
        stream_mode: the default for ``stream``.
        name: the graph's name (for drawing and namespaces).
        cache: where nodes with a ``cache_policy`` keep their writes (``InMemoryCache``,
            ``SqliteCache``); a subgraph without one uses its parent's.
        store: what nodes reach as ``runtime.store`` or through a ``store`` parameter (an
            ``nbpregel.store`` store); a subgraph uses its parent's when the parent has one.
        context_schema: the class of ``runtime.context`` (a dataclass or pydantic model: a
            dict passed as ``context=`` is made into one).
        retry_policy: how to retry the nodes and ``@task`` calls that have no retry policy of
            their own (also settable later, ``graph.retry_policy = RetryPolicy(...)``).
        cache_policy: the cache policy of the nodes and ``@task`` calls that have none of
            their own (they are then cached in ``cache``).
        debug: runs print their ``updates`` and ``values`` chunks to stdout (see
            ``nbpregel.pregel._debug_print``); ``None`` takes LangChain's ``set_debug`` flag
            when LangChain is loaded. Also settable later, ``graph.debug = True``.
    """

    debug: bool = False

    def __init__(
        self,
        *,
        nodes: Mapping[str, PregelNode | NodeBuilder],
        channels: Mapping[str, BaseChannel[Any, Any]],
        input_channels: str | Sequence[str],
        output_channels: str | Sequence[str],
        checkpointer: Any | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        step_timeout: float | None = None,
        fail_fast: bool = False,
        stream_mode: str | Sequence[str] = "values",
        name: str = "LangGraph",
        executor: concurrent.futures.Executor | None = None,
        stream_channels: str | Sequence[str] | None = None,
        command_mapper: Any | None = None,
        input_mapper: Any | None = None,
        cache: Any | None = None,
        store: Any | None = None,
        context_schema: type[Any] | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        debug: bool | None = None,
    ) -> None:
        built = {
            key: node.build(key) if isinstance(node, NodeBuilder) else node
            for key, node in nodes.items()
        }
        all_channels = dict(channels)
        all_channels.setdefault(TASKS, Topic(Send))
        for key, channel in all_channels.items():
            channel.key = key
        self.nodes: dict[str, PregelNode] = built
        self.channels = all_channels
        self.input_channels = (
            input_channels if isinstance(input_channels, str) else tuple(input_channels)
        )
        self.output_channels = (
            output_channels if isinstance(output_channels, str) else tuple(output_channels)
        )
        self.checkpointer = checkpointer
        self.stream_mode = stream_mode
        self.name = name
        self.executor = executor
        self.cache = cache
        self.store = store
        self.context_schema = context_schema
        self.retry_policy = retry_policy
        self.cache_policy = cache_policy
        self.debug = debug_default(debug)
        self._validate()
        self.spec = GraphSpec.build(
            GraphIndex.build(built),
            all_channels,
            input_channels=self.input_channels,
            output_channels=self.output_channels,
            stream_channels=(
                self.output_channels
                if stream_channels is None
                else stream_channels
                if isinstance(stream_channels, str)
                else tuple(stream_channels)
            ),
            interrupt_before=breakpoint_names(interrupt_before, "interrupt_before"),
            interrupt_after=breakpoint_names(interrupt_after, "interrupt_after"),
            step_timeout=step_timeout,
            fail_fast=fail_fast,
            command_mapper=command_mapper,
            input_mapper=input_mapper,
        )

    def _validate(self) -> None:
        for name, node in self.nodes.items():
            reads = (node.reads,) if isinstance(node.reads, str) else node.reads
            for channel in (*node.triggers, *reads):
                if channel not in self.channels:
                    raise GraphValidationError(
                        f"node {name!r} subscribes to or reads unknown channel {channel!r}: "
                        f"declare it in channels= (known: {sorted(self.channels)})"
                    )
        outputs = (
            (self.output_channels,)
            if isinstance(self.output_channels, str)
            else (self.output_channels)
        )
        inputs = (
            (self.input_channels,)
            if isinstance(self.input_channels, str)
            else (self.input_channels)
        )
        for channel in (*inputs, *outputs):
            if channel not in self.channels:
                raise GraphValidationError(
                    f"input/output channel {channel!r} is not declared in channels= "
                    f"(known: {sorted(self.channels)})"
                )

    # -- run settings: set after compile too (LangGraph's ``app.step_timeout = 5``) ----------

    @property
    def step_timeout(self) -> float | None:
        """Seconds a superstep may take before it fails with ``TimeoutError`` (``None``: no
        limit). Setting it changes the runs started afterwards."""
        return self.spec.step_timeout

    @step_timeout.setter
    def step_timeout(self, seconds: float | None) -> None:
        # A refused value raises in the new spec's check, before the old one is replaced.
        self.spec = dataclasses.replace(self.spec, step_timeout=seconds)

    @property
    def fail_fast(self) -> bool:
        """Whether a failed task ends its step at once (see ``StateGraph.compile``). Setting
        it changes the runs started afterwards."""
        return self.spec.fail_fast

    @fail_fast.setter
    def fail_fast(self, value: bool) -> None:
        self.spec = dataclasses.replace(self.spec, fail_fast=value)

    interrupt_before_nodes = _Breakpoints("interrupt_before")
    """The nodes runs pause before (``"*"``: all)."""
    interrupt_after_nodes = _Breakpoints("interrupt_after")
    """The nodes runs pause after (``"*"``: all)."""

    # -- running ---------------------------------------------------------------------------

    def stream(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        subgraphs: bool = False,
        checkpointer: Any | None = None,
        context: Any = None,
        control: RunControl | None = None,
        debug: bool | None = None,
    ) -> Iterator[Any]:
        """Run the graph, yielding chunks as work happens.

        Args:
            input: the input, ``None`` to continue a paused thread, or a ``Command``.
            config: ``{"configurable": {"thread_id": ...}, "recursion_limit": N}``.
            stream_mode: one of ``values``, ``updates``, ``custom``, ``tasks``, ``checkpoints``,
                ``debug``, or a list of them (chunks are then ``(mode, chunk)``).
            interrupt_before: pause before these nodes (overrides the compiled setting).
            interrupt_after: pause after these nodes.
            durability: ``sync``, ``async`` or ``exit``.
            subgraphs: also yield subgraph chunks, prefixed with their namespace.
            checkpointer: a saver for this run instead of the compiled one.
            context: what nodes see as ``runtime.context`` (a dict becomes the
                ``context_schema`` dataclass or pydantic model); a subgraph shares its
                parent's unless given its own.
            control: a ``RunControl`` whose ``request_drain()`` stops the run cleanly before
                its next superstep (``GraphDrained`` is raised; resume with ``None``). The
                run makes its own when given none; nodes reach it as ``runtime.control``.
            debug: print the run's ``updates`` and ``values`` chunks to stdout, as a graph
                compiled with ``debug=True`` does (``False`` does not silence such a graph);
                the chunks yielded do not change.

        Yields:
            Chunks shaped as the stream modes say.
        """
        modes, single = _modes(stream_mode or self.stream_mode)
        printing = debug or self.debug  # checked once per run: no cost per step when off
        loop = new_loop(
            self,
            input,
            config,
            with_printed(modes) if printing else modes,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            checkpointer=checkpointer,
            subgraphs=subgraphs,
            context=context,
            control=control,
        )
        if printing:
            yield from drive_printing(loop, modes, single=single, subgraphs=subgraphs)
        else:
            yield from drive(loop, single=single, subgraphs=subgraphs)

    async def astream(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        stream_mode: str | Sequence[str] | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        durability: str | None = None,
        subgraphs: bool = False,
        checkpointer: Any | None = None,
        context: Any = None,
        control: RunControl | None = None,
        debug: bool | None = None,
    ) -> AsyncIterator[Any]:
        """The async twin of ``stream``: same arguments, same chunks."""
        modes, single = _modes(stream_mode or self.stream_mode)
        printing = debug or self.debug  # checked once per run: no cost per step when off
        loop = new_loop(
            self,
            input,
            config,
            with_printed(modes) if printing else modes,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            durability=durability,
            checkpointer=checkpointer,
            subgraphs=subgraphs,
            context=context,
            control=control,
        )
        chunks = (
            adrive_printing(loop, modes, single=single, subgraphs=subgraphs)
            if printing
            else adrive(loop, single=single, subgraphs=subgraphs)
        )
        async for chunk in chunks:
            yield chunk

    def invoke(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        stream_mode: str = "values",
        debug: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Run the graph to the end (or to a pause) and return its output.

        With ``stream_mode="values"`` (the default) the output is the final state; a paused run
        adds the pending interrupts under ``"__interrupt__"``. ``kwargs`` are ``stream``'s
        (``context``, ``durability``, ``interrupt_before``, ...).
        """
        if stream_mode != "values":
            return list(self.stream(input, config, stream_mode=stream_mode, debug=debug, **kwargs))
        if debug or self.debug or self._output_may_clear():
            chunks = self.stream(
                input, config, stream_mode=["values", "updates"], debug=debug, **kwargs
            )
            return collect(chunks)
        # The output channels keep their values, so the final read equals the last ``values``
        # chunk: run without building a chunk per step.
        loop = new_loop(self, input, config, (), **kwargs)
        for _ in drive(loop, single=True, subgraphs=False):
            pass
        return final_output(loop)

    def _output_may_clear(self) -> bool:
        outputs = self.output_channels
        names = (outputs,) if isinstance(outputs, str) else outputs
        return not self.spec.clearable.isdisjoint(names)

    async def ainvoke(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        stream_mode: str = "values",
        debug: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """The async twin of ``invoke``."""
        kwargs["debug"] = debug
        if stream_mode != "values":
            return [c async for c in self.astream(input, config, stream_mode=stream_mode, **kwargs)]
        chunks = [
            chunk
            async for chunk in self.astream(
                input, config, stream_mode=["values", "updates"], **kwargs
            )
        ]
        return collect(chunks)
