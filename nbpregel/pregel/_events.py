"""``astream_events``: LangChain's event stream of a run, as a mixin of ``Pregel``.

How the events are made: ``_event_stream`` (the graph's run), ``_event_nodes`` (its tasks'),
``_event_callbacks`` (LangChain's runs inside nodes), ``_event_sink`` (their order, filters).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

from nbpregel.pregel._event_sink import EventFilter
from nbpregel.pregel._event_stream import astream_events, check_version

if TYPE_CHECKING:
    from nbpregel.pregel.main import Pregel

__all__ = ["EventsMixin"]


class EventsMixin:
    """``astream_events``, over ``astream``."""

    async def astream_events(
        self,
        input: Any,
        config: Mapping[str, Any] | None = None,
        *,
        version: str = "v2",
        include_names: Sequence[str] | None = None,
        include_types: Sequence[str] | None = None,
        include_tags: Sequence[str] | None = None,
        exclude_names: Sequence[str] | None = None,
        exclude_types: Sequence[str] | None = None,
        exclude_tags: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[dict[str, Any]]:
        """Run the graph, yielding LangChain's v2 events as work happens (LangGraph's method).

        An event is a dict: ``event`` (``on_chain_start``, ``on_chat_model_stream``, ...),
        ``name``, ``run_id``, ``parent_ids`` (the runs it is inside, the graph's first),
        ``tags``, ``metadata`` and ``data`` (``input``, ``output``, ``chunk``).

        Mirrored from LangGraph 1.x:

        - the graph's run: ``on_chain_start`` (the input), an ``on_chain_stream`` per chunk
          ``astream`` yields with these ``kwargs`` (the graph's ``stream_mode`` by default),
          ``on_chain_end`` (the output; a paused run's state). A failed run sends no end: its
          error is raised after the events before it.
        - each node's run, and each ``@task`` call's: start (``input``), stream (the return
          value), end (``output``, ``input``); tags ``graph:step:N``; metadata with
          ``langgraph_step``, ``_node``, ``_triggers``, ``_path``, ``_checkpoint_ns`` and the
          node's own. An interrupted or failed node sends its start only. A subgraph node
          holds the subgraph's run, which holds its nodes'. ``__start__`` shows (tagged
          ``langsmith:hidden``) when a conditional edge leaves START.
        - LangChain's runs inside a node: chat models (``on_chat_model_start`` / ``stream``
          / ``end``, token by token even when called with ``invoke``), text models, tools,
          retrievers, prompts, parsers, chains, and ``dispatch_custom_event`` /
          ``adispatch_custom_event`` (``on_custom_event``), with the node's metadata.
        - the ``include_*`` / ``exclude_*`` filters (names, run types, tags), and the
          config's ``tags``, ``metadata``, ``run_name``, ``run_id``; ``thread_id`` goes into
          the metadata.

        Not mirrored: routing functions and channel writers make no runs; a graph invoked
        inside a node's function (not added as a node) has no run of its own (its nodes'
        runs are the caller's children); ``version="v1"``; a ``@task`` or ``Send`` task's
        ``langgraph_path`` is nbpregel's; the config's ``callbacks`` see LangChain's runs
        only; a task shipped to another process sends no events; run ids are uuid4 strings;
        with filters, LangChain's first event does not get the graph's input; with
        ``stream_mode="messages"``, a subgraph's messages reach the graph's chunks only with
        ``subgraphs=True``. The graph's stream events go out as the run hands its chunks out:
        one made while a node runs (a ``@task`` call's update) may follow that node's end.

        Args:
            input: the input, ``None`` to continue a paused thread, or a ``Command``.
            config: the run's config (``configurable``, ``tags``, ``metadata``, ...).
            version: ``"v2"`` (``"v1"`` raises ``NotImplementedError``).
            include_names: only events of runs with these names...
            include_types: ...or of these types (``chain``, ``chat_model``, ``tool``, ...;
                a custom event's type is its name)...
            include_tags: ...or with one of these tags.
            exclude_names: no events of runs with these names.
            exclude_types: no events of these types.
            exclude_tags: no events with one of these tags.
            **kwargs: ``astream``'s (``context``, ``durability``, ``stream_mode``,
                ``subgraphs``, ``interrupt_before``, ...).

        Yields:
            The events, in the order they happened.

        Raises:
            NotImplementedError: ``version="v1"``.
            ValueError: an unknown version or stream mode.

        Example:
            >>> import asyncio
            >>> from typing import TypedDict
            >>> from nbpregel.graph import StateGraph, START
            >>> class State(TypedDict):
            ...     x: int
            >>> builder = StateGraph(State)
            >>> _ = builder.add_node("double", lambda state: {"x": state["x"] * 2})
            >>> _ = builder.add_edge(START, "double")
            >>> async def events():
            ...     graph = builder.compile()
            ...     return [(e["event"], e["name"]) async for e in graph.astream_events({"x": 2})]
            >>> asyncio.run(events())  # doctest: +NORMALIZE_WHITESPACE
            [('on_chain_start', 'LangGraph'), ('on_chain_start', 'double'),
             ('on_chain_stream', 'double'), ('on_chain_end', 'double'),
             ('on_chain_stream', 'LangGraph'), ('on_chain_end', 'LangGraph')]
        """
        check_version(version)
        event_filter = EventFilter(
            include_names, include_types, include_tags, exclude_names, exclude_types, exclude_tags
        )
        graph = cast("Pregel", self)
        async for event in astream_events(graph, input, config, event_filter, dict(kwargs)):
            yield event
