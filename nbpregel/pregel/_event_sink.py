"""Where the events of one ``astream_events`` call wait for the caller, in order.

Events come from three places: the run's chunks (the graph's own start, stream and end, made
by ``_event_stream``), the node wrapper (each task's start and end, ``_event_nodes``) and
LangChain's callbacks inside nodes (chat models, tools, custom events: ``_event_callbacks``).
Any thread may append an event; the caller's event loop hands them out in the order they were
appended (one ``deque``: an append is atomic, so the order is the order things happened).

An event is LangChain's v2 ``StreamEvent`` dict: ``event`` (``on_<type>_<phase>``), ``name``,
``run_id`` (a string), ``parent_ids`` (root first), ``tags``, ``metadata`` and ``data``. The
``include_*`` / ``exclude_*`` filters are applied as events are appended.

>>> import asyncio, uuid
>>> async def demo():
...     sink = EventSink(EventFilter(exclude_names=("hidden",)))
...     root, child = uuid.uuid4(), uuid.uuid4()
...     sink.start_run(root, RunInfo("graph", CHAIN, [], {}, None), {"input": 1})
...     sink.start_run(child, RunInfo("hidden", CHAIN, [], {}, root), {"input": 1})
...     sink.end_run(root, {"output": 2})
...     return [(e["event"], e["name"], e["parent_ids"]) for e in sink.take()]
>>> asyncio.run(demo())
[('on_chain_start', 'graph', []), ('on_chain_end', 'graph', [])]
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections import deque
from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any, Final
from uuid import UUID

__all__ = [
    "CHAIN",
    "CUSTOM_EVENT",
    "SCOPE",
    "EventFilter",
    "EventSink",
    "RunInfo",
    "Scope",
]

CHAIN: Final = "chain"
"""The run type of graphs, nodes and LangChain chains (events ``on_chain_*``)."""
CUSTOM_EVENT: Final = "on_custom_event"
"""The event of ``dispatch_custom_event`` (its type, for the filters, is its name)."""
START: Final = "start"
STREAM: Final = "stream"
END: Final = "end"


@dataclasses.dataclass(frozen=True, slots=True)
class EventFilter:
    """``astream_events``' filters: with any ``include_*`` given, an event must match one of
    them (its name, its type, or one of its tags); then it must match no ``exclude_*``."""

    include_names: Sequence[str] | None = None
    include_types: Sequence[str] | None = None
    include_tags: Sequence[str] | None = None
    exclude_names: Sequence[str] | None = None
    exclude_types: Sequence[str] | None = None
    exclude_tags: Sequence[str] | None = None

    def admits(self, name: str, kind: str, tags: Sequence[str]) -> bool:
        """Whether an event of run ``name``, of type ``kind``, with ``tags`` goes out."""
        names, kinds, wanted = self.include_names, self.include_types, self.include_tags
        filtered = names is not None or kinds is not None or wanted is not None
        included = (
            (names is not None and name in names)
            or (kinds is not None and kind in kinds)
            or (wanted is not None and any(tag in wanted for tag in tags))
        )
        if filtered and not included:
            return False
        if self.exclude_names is not None and name in self.exclude_names:
            return False
        if self.exclude_types is not None and kind in self.exclude_types:
            return False
        return self.exclude_tags is None or not any(tag in self.exclude_tags for tag in tags)


@dataclasses.dataclass(slots=True)
class RunInfo:
    """One run seen by the sink: a graph, a node, or a LangChain runnable inside a node.

    Attributes:
        name: the run's name (the event's ``name``).
        kind: its type: ``chain``, ``chat_model``, ``llm``, ``tool``, ``retriever``,
            ``prompt`` or ``parser`` (events are ``on_<kind>_<phase>``).
        tags: the event's ``tags``.
        metadata: the event's ``metadata``.
        parent: the run it runs in (``None`` for the graph's own run).
        inputs: what its start event said it got, repeated in its end event.
    """

    name: str
    kind: str
    tags: list[str]
    metadata: dict[str, Any]
    parent: UUID | None
    inputs: Any = None


@dataclasses.dataclass(frozen=True, slots=True)
class Scope:
    """What a node started inside an events run needs: set in ``SCOPE`` while the graph's
    run, or a node, runs (a copy of the context reaches every task it starts).

    Attributes:
        sink: the events run's sink.
        parent: the run the node's own run is a child of (the graph's, a node's, a subgraph's).
        metadata: the metadata its runs inherit.
        tags: the tags every run inherits (the config's).
        handlers: the config's own LangChain callback handlers, given LangChain's runs too.
        tokens: the caller also streams ``messages``: chat models' tokens go to that stream.
    """

    sink: EventSink
    parent: UUID
    metadata: dict[str, Any]
    tags: tuple[str, ...]
    handlers: tuple[Any, ...] = ()
    tokens: bool = False


SCOPE: ContextVar[Scope | None] = ContextVar("nbpregel_event_scope", default=None)
"""The events run a node started now belongs to (``None``: none)."""


class EventSink:
    """The events of one ``astream_events`` call, appended by any thread, taken by the caller.

    Make it on the caller's event loop (the one that takes the events).
    """

    def __init__(self, event_filter: EventFilter) -> None:
        self.filter = event_filter
        self.items: deque[dict[str, Any]] = deque()
        self.ready = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self.thread = threading.get_ident()
        self.runs: dict[UUID, RunInfo] = {}
        self.tapped: set[UUID] = set()  # runs whose output stream makes their stream events
        self.handler: Any = None  # LangChain's callback handler (``_event_callbacks``)

    # -- the caller's side -----------------------------------------------------------------

    def take(self) -> list[dict[str, Any]]:
        """The events appended so far, oldest first (the caller's event loop)."""
        items = self.items
        taken = []
        while items:
            taken.append(items.popleft())
        return taken

    async def wait(self) -> None:
        """Wait until an event is appended or ``wake`` is called."""
        await self.ready.wait()
        self.ready.clear()

    def wake(self) -> None:
        """Wake the caller waiting in ``wait`` (any thread)."""
        if threading.get_ident() == self.thread:
            self.ready.set()
            return
        try:
            self.loop.call_soon_threadsafe(self.ready.set)
        except RuntimeError:
            pass  # the caller's event loop is closed: no one takes events any more

    # -- runs ------------------------------------------------------------------------------

    def parent_ids(self, parent: UUID | None) -> list[str]:
        """The ids of ``parent`` and the runs above it, the outermost first."""
        ids: list[str] = []
        runs = self.runs
        while parent is not None:
            ids.append(str(parent))
            info = runs.get(parent)
            parent = info.parent if info is not None else None
        ids.reverse()
        return ids

    def start_run(self, run_id: UUID, info: RunInfo, data: dict[str, Any]) -> None:
        """Record a run and send its start event with ``data``."""
        self.runs[run_id] = info
        self.send(f"on_{info.kind}_{START}", run_id, info, data)

    def stream_run(self, run_id: UUID, chunk: Any) -> None:
        """Send a stream event of a recorded run."""
        info = self.runs.get(run_id)
        if info is not None:
            self.send(f"on_{info.kind}_{STREAM}", run_id, info, {"chunk": chunk})

    def end_run(self, run_id: UUID, data: dict[str, Any]) -> None:
        """Send the end event of a recorded run with ``data`` (it stays recorded: runs
        inside it may still name it as their parent)."""
        info = self.runs.get(run_id)
        if info is not None:
            self.send(f"on_{info.kind}_{END}", run_id, info, data)

    def send(
        self, event: str, run_id: UUID, info: RunInfo, data: Any, kind: str | None = None
    ) -> None:
        """Append an event of run ``run_id`` unless the filters drop it (``kind``: the type
        the filters see, the run's by default)."""
        if not self.filter.admits(info.name, info.kind if kind is None else kind, info.tags):
            return
        self.items.append(
            {
                "event": event,
                "name": info.name,
                "run_id": str(run_id),
                "parent_ids": self.parent_ids(info.parent),
                "tags": info.tags,
                "metadata": info.metadata,
                "data": data,
            }
        )
        self.wake()
