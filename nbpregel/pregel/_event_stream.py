"""``Pregel.astream_events``: a run as LangChain's v2 event stream.

The graph's own run is the root: ``on_chain_start`` (``data.input``: the input as given), an
``on_chain_stream`` per chunk the run streams as ``astream`` would (``stream_mode`` and
``subgraphs`` as given, the graph's default mode otherwise), and ``on_chain_end``
(``data.output``: the graph's output, the state a paused run stopped at). A failed run sends
no end: the error is raised once the events before it are out. Its tasks' events come from
``_event_nodes``, and what LangChain runs inside them from ``_event_callbacks``.

The run is ``astream`` itself, in a task of its own on the caller's event loop, asked for the
caller's modes plus ``values`` (the output) and ``messages`` (which routes every task's call
through the node wrapper), with ``subgraphs=True`` (so subgraphs' tasks go through it too).
Chunks the caller did not ask for are dropped. Nothing here runs unless ``astream_events``
is called.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import INTERRUPT, StreamMode
from nbpregel.pregel._event_callbacks import handler_class
from nbpregel.pregel._event_sink import CHAIN, SCOPE, EventFilter, EventSink, RunInfo, Scope

if TYPE_CHECKING:
    from nbpregel.pregel.main import Pregel

__all__ = ["astream_events", "check_version"]

VERSION: Final = "v2"
"""The one event format nbpregel streams (LangChain's current one)."""
_INTEGRATION: Final = {"ls_integration": "langgraph"}
# The configurable keys LangGraph copies into its runs' metadata.
_TO_METADATA: Final = (
    "thread_id",
    "checkpoint_id",
    "checkpoint_ns",
    "task_id",
    "run_id",
    "assistant_id",
    "graph_id",
)


def check_version(version: str) -> None:
    """Refuse an event format other than ``v2``.

    >>> check_version("v1")
    Traceback (most recent call last):
    ...
    NotImplementedError: astream_events(version='v1') is LangChain's legacy event format, ...
    """
    if version == VERSION:
        return
    if version == "v1":
        raise NotImplementedError(
            "astream_events(version='v1') is LangChain's legacy event format, which nbpregel "
            "does not stream: pass version='v2' (the events LangGraph documents)"
        )
    raise ValueError(f"unknown astream_events version {version!r} (must be 'v2')")


def _modes(stream_mode: str | Sequence[str]) -> tuple[frozenset[StreamMode], bool]:
    """The caller's stream modes, and whether one was asked for (chunks come bare)."""
    single = isinstance(stream_mode, str)
    names = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode)
    try:
        return frozenset(StreamMode(name) for name in names), single
    except ValueError:
        allowed = [mode.value for mode in StreamMode]
        raise ValueError(
            f"unknown stream_mode in {stream_mode!r} (must be one of {allowed})"
        ) from None


def _own_handlers(callbacks: Any) -> tuple[Any, ...]:
    """The config's own LangChain callback handlers (a list, or a callback manager's)."""
    if callbacks is None:
        return ()
    if isinstance(callbacks, list | tuple):
        return tuple(callbacks)
    return tuple(getattr(callbacks, "handlers", ()))


def _root_scope(sink: EventSink, config: Mapping[str, Any], tokens: bool) -> Scope:
    """The graph's run's scope: the config's tags and metadata, plus LangGraph's keys."""
    metadata = dict(config.get("metadata") or {})
    configurable = config.get("configurable") or {}
    for key in _TO_METADATA:
        value = configurable.get(key)
        if value and key not in metadata:
            metadata[key] = value
    metadata.update(_INTEGRATION)
    tags = tuple(config.get("tags") or ())
    run_id = config.get("run_id")
    root = uuid.UUID(str(run_id)) if run_id is not None else uuid.uuid4()
    handlers = _own_handlers(config.get("callbacks"))
    return Scope(sink, root, metadata, tags, handlers, tokens)


class _Chunks:
    """Turns the run's chunks into the graph's stream events; keeps the latest state."""

    def __init__(
        self, graph: Pregel, scope: Scope, modes: frozenset[StreamMode], single: bool, sub: bool
    ) -> None:
        self.sink = scope.sink
        self.run_id = scope.parent
        self.modes = modes
        self.single = single
        self.subgraphs = sub
        self.outputs = graph.output_channels
        self.streamed = graph.spec.stream_channels
        self.values: Any = None

    def take(self, ns: tuple[str, ...], mode: str, chunk: Any) -> None:
        kind = StreamMode(mode)
        if kind is StreamMode.VALUES and not ns:
            self._keep(chunk)
        if kind not in self.modes or (ns and not self.subgraphs):
            return
        shaped = chunk if self.single else (mode, chunk)
        if self.subgraphs:
            shaped = (ns, chunk) if self.single else (ns, mode, chunk)
        self.sink.stream_run(self.run_id, shaped)

    def _keep(self, values: Any) -> None:
        """Keep the state a ``values`` chunk shows (a pause's chunk adds its interrupts)."""
        if isinstance(values, dict) and INTERRUPT in values:
            if isinstance(self.streamed, str):
                return  # the interrupts alone: the state is the previous chunk's
            values = {key: value for key, value in values.items() if key != INTERRUPT}
        self.values = values

    def output(self) -> Any:
        """The graph's output as of the latest ``values`` chunk (its output channels)."""
        values, outputs = self.values, self.outputs
        if isinstance(outputs, str):
            if isinstance(self.streamed, str):
                return values
            return values.get(outputs) if isinstance(values, dict) else None
        if isinstance(values, dict):
            return {key: values[key] for key in outputs if key in values}
        return values


async def _pump(
    graph: Pregel,
    input: Any,
    config: dict[str, Any],
    scope: Scope,
    chunks: _Chunks,
    kwargs: dict[str, Any],
) -> None:
    """Run the graph (a task of its own), feeding its chunks to ``chunks``."""
    SCOPE.set(scope)  # this task's context: every task the run starts copies it
    modes = sorted({*chunks.modes, StreamMode.VALUES, StreamMode.MESSAGES})
    stream = graph.astream(input, config, stream_mode=modes, subgraphs=True, **kwargs)
    async for ns, mode, chunk in stream:
        chunks.take(ns, mode, chunk)


async def astream_events(
    graph: Pregel,
    input: Any,
    config: Mapping[str, Any] | None,
    event_filter: EventFilter,
    kwargs: dict[str, Any],
) -> AsyncIterator[dict[str, Any]]:
    """Run ``graph`` and yield its v2 events (see the module doc and the method's)."""
    config = dict(config or {})
    modes, single = _modes(kwargs.pop("stream_mode", None) or graph.stream_mode)
    subgraphs = bool(kwargs.pop("subgraphs", False))
    sink = EventSink(event_filter)
    made = handler_class()
    sink.handler = made(sink) if made is not None else None
    merged = graph._run_config(config) or {}
    scope = _root_scope(sink, merged, StreamMode.MESSAGES in modes)
    name = merged.get("run_name") or graph.name
    root = RunInfo(name, CHAIN, list(scope.tags), scope.metadata, None)
    sink.start_run(scope.parent, root, {"input": input})
    for key in ("callbacks", "run_id", "run_name"):
        config.pop(key, None)  # the events run's own: not the engine's
    chunks = _Chunks(graph, scope, modes, single, subgraphs)
    pump = asyncio.ensure_future(_pump(graph, input, config, scope, chunks, kwargs))
    pump.add_done_callback(lambda _: sink.wake())
    try:
        while True:
            for event in sink.take():
                yield event
            if pump.done() and not sink.items:
                break
            await sink.wait()
        pump.result()  # the run's error, once the events before it are out
        sink.end_run(scope.parent, {"output": chunks.output()})
        for event in sink.take():
            yield event
    finally:
        if not pump.done():
            pump.cancel()
            try:
                await pump
            except (asyncio.CancelledError, Exception):
                pass  # the caller stopped listening: the run's end is of no interest
