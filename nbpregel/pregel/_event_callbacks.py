"""``astream_events``: LangChain's callbacks inside a node, turned into events.

While a node of an events run runs, LangChain's config context variable holds a callback
manager whose handler is made here (``_event_nodes`` sets it): a chat model, tool, retriever,
prompt or chain called in the node with no callbacks of its own reports to it, as its parent
is the node's run. The handler has ``tap_output_iter`` / ``tap_output_aiter``, which is what
LangChain checks to stream a chat model called with ``invoke`` (token by token, as
``on_chat_model_stream``) and to report a streamed chain's chunks (``on_chain_stream``).

The events are LangChain's v2 events: ``on_chat_model_start`` (``data.input.messages``),
``on_chat_model_stream`` (``data.chunk``: the message chunk), ``on_chat_model_end``
(``data.output``: the message, ``data.input``), the ``on_llm_*`` twins for text models,
``on_tool_start`` / ``end`` / ``error``, ``on_retriever_start`` / ``end``, ``on_<chain,
prompt, parser>_start`` / ``stream`` / ``end``, and ``on_custom_event`` (``data``: the payload,
``run_id``: the run that dispatched it). Errors of other runs make no event (LangChain's rule).

The handler class subclasses LangChain's ``BaseCallbackHandler``: it is made on first use, so
nbpregel never imports LangChain itself.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final
from uuid import UUID

from nbpregel.pregel._event_sink import CHAIN, CUSTOM_EVENT, EventSink, RunInfo

__all__ = ["handler_class"]

CHAT_MODEL: Final = "chat_model"
LLM: Final = "llm"
TOOL: Final = "tool"
RETRIEVER: Final = "retriever"


def _name(name: str | None, serialized: Any) -> str:
    """A run's name: the one LangChain passes, else its serialized name or class name."""
    if name:
        return name
    if isinstance(serialized, dict):
        if serialized.get("name"):
            return str(serialized["name"])
        ids = serialized.get("id")
        if ids:
            return str(ids[-1])
    return "Unnamed"


def _llm_output(response: Any) -> Any:
    """A text model's ``on_llm_end`` output: its generations as dicts, and ``llm_output``."""
    generations = [
        [{"text": g.text, "generation_info": g.generation_info, "type": g.type} for g in generation]
        for generation in response.generations
    ]
    return {"generations": generations, "llm_output": response.llm_output}


def _chat_output(response: Any) -> Any:
    """A chat model's ``on_chat_model_end`` output: the first generation's message."""
    for generation in response.generations:
        for candidate in generation:
            return candidate.message
    return {}


class _Events:
    """The handler's body (``handler_class`` mixes it with LangChain's base class)."""

    run_inline = True  # called on the thread the run runs on: events keep their order

    def __init__(self, sink: EventSink) -> None:
        self.sink = sink

    def __copy__(self) -> _Events:
        return self  # configs are copied on the way down: they all report here

    def __deepcopy__(self, memo: Any) -> _Events:
        return self

    # -- starts ----------------------------------------------------------------------------

    def _start(
        self, kind: str, run_id: UUID, inputs: Any, kwargs: dict[str, Any], serialized: Any
    ) -> None:
        info = RunInfo(
            _name(kwargs.get("name"), serialized),
            kind,
            list(kwargs.get("tags") or ()),
            dict(kwargs.get("metadata") or {}),
            kwargs.get("parent_run_id"),
            inputs,
        )
        self.sink.start_run(run_id, info, {} if inputs is None else {"input": inputs})

    def on_chat_model_start(
        self, serialized: Any, messages: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._start(CHAT_MODEL, run_id, {"messages": messages}, kwargs, serialized)

    def on_llm_start(self, serialized: Any, prompts: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._start(LLM, run_id, {"prompts": prompts}, kwargs, serialized)

    def on_chain_start(self, serialized: Any, inputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        # LangChain passes ``{"input": ""}`` when the input is streamed in: not known yet.
        known = None if inputs == {"input": ""} else inputs
        self._start(kwargs.get("run_type") or CHAIN, run_id, known, kwargs, serialized)

    def on_tool_start(
        self, serialized: Any, input_str: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._start(TOOL, run_id, kwargs.get("inputs") or {}, kwargs, serialized)

    def on_retriever_start(
        self, serialized: Any, query: Any, *, run_id: UUID, **kwargs: Any
    ) -> None:
        self._start(RETRIEVER, run_id, {"query": query}, kwargs, serialized)

    # -- streams ---------------------------------------------------------------------------

    def on_llm_new_token(self, token: Any, *, run_id: UUID, **kwargs: Any) -> None:
        sink = self.sink
        info = sink.runs.get(run_id)
        if info is None or run_id in sink.tapped:
            return
        chunk = kwargs.get("chunk")
        if info.kind == CHAT_MODEL:
            if chunk is not None:
                chunk = chunk.message
            else:
                from langchain_core.messages import AIMessageChunk

                chunk = AIMessageChunk(content=token)
        elif chunk is None:
            from langchain_core.outputs import GenerationChunk

            chunk = GenerationChunk(text=token if isinstance(token, str) else "")
        sink.stream_run(run_id, chunk)

    def tap_output_iter(self, run_id: UUID, output: Iterator[Any]) -> Iterator[Any]:
        mine = self._tap(run_id)
        for chunk in output:
            if mine:
                self.sink.stream_run(run_id, chunk)
            yield chunk

    async def tap_output_aiter(
        self, run_id: UUID, output: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        mine = self._tap(run_id)
        async for chunk in output:
            if mine:
                self.sink.stream_run(run_id, chunk)
            yield chunk

    def _tap(self, run_id: UUID) -> bool:
        """Whether this tap makes ``run_id``'s stream events (the first tap of a run does)."""
        tapped = self.sink.tapped
        if run_id in tapped:
            return False
        tapped.add(run_id)
        return True

    # -- ends ------------------------------------------------------------------------------

    def _end(self, run_id: UUID, output: Any, inputs: Any = None) -> None:
        info = self.sink.runs.get(run_id)
        if info is not None:
            given = info.inputs if inputs is None else inputs
            self.sink.end_run(run_id, {"output": output, "input": given})

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        info = self.sink.runs.get(run_id)
        if info is not None:
            chat = info.kind == CHAT_MODEL
            self._end(run_id, _chat_output(response) if chat else _llm_output(response))

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        info = self.sink.runs.get(run_id)
        inputs = kwargs.get("inputs") or (info.inputs if info is not None else None) or {}
        self._end(run_id, outputs, inputs)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, output)

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self._end(run_id, documents)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        sink = self.sink
        info = sink.runs.get(run_id)
        if info is not None:
            call_id = kwargs.get("tool_call_id")
            data = {"error": error, "input": info.inputs, "tool_call_id": call_id}
            sink.send(f"on_{TOOL}_error", run_id, info, data)

    # -- custom events ---------------------------------------------------------------------

    def on_custom_event(self, name: Any, data: Any, *, run_id: UUID, **kwargs: Any) -> None:
        sink = self.sink
        owner = sink.runs.get(run_id)
        tags = list(kwargs.get("tags") or ())
        info = RunInfo(
            str(name),
            str(name),  # LangChain filters a custom event's type by its name
            tags,
            dict(kwargs.get("metadata") or {}),
            owner.parent if owner is not None else None,
        )
        sink.send(CUSTOM_EVENT, run_id, info, data)


@functools.cache
def handler_class() -> type | None:
    """The handler class (LangChain's ``BaseCallbackHandler`` with ``_Events``' methods), or
    ``None`` when LangChain is not installed: events then come from the graph and its nodes
    only."""
    try:
        from langchain_core.callbacks import BaseCallbackHandler
    except ImportError:
        return None
    return type("EventHandler", (_Events, BaseCallbackHandler), {})
