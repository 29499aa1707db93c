"""A scripted LangChain chat model for the agent tests: both libraries get the same replies.

``ScriptedChatModel(replies=[...])`` answers each call with the next reply (an ``AIMessage``,
tool calls included), records the messages it was given, what ``bind_tools`` bound and what
``with_structured_output`` was asked for. It is a real ``BaseChatModel``: LangChain's callbacks,
``stream_mode="messages"`` and ``RunnableBinding`` all work on it as on a provider's model.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import tool
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

__all__ = ["Record", "ScriptedChatModel", "add", "call", "publish", "strip_ids"]


class Record:
    """What a model saw: shared by the model and every binding made from it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inputs: list[list[BaseMessage]] = []
        self.bound: list[list[str]] = []
        self.structured_inputs: list[list[BaseMessage]] = []
        self.schemas: list[Any] = []


class ScriptedChatModel(BaseChatModel):
    """Answers with ``replies`` in order (then repeats the last one).

    Args:
        replies: the ``AIMessage``s to answer with.
        structured: what ``with_structured_output(...)`` calls return, in order.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    replies: list[AIMessage]
    structured: list[Any] = Field(default_factory=list)
    record: Record = Field(default_factory=Record)
    turn: Any = Field(default_factory=itertools.count)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self.record.lock:
            self.record.inputs.append(list(messages))
            index = min(next(self.turn), len(self.replies) - 1)
        reply = self.replies[index].model_copy(deep=True)
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[Any, BaseMessage]:
        formatted = [convert_to_openai_tool(item) for item in tools]
        self.record.bound.append([item["function"]["name"] for item in formatted])
        return self.bind(tools=formatted, **kwargs)

    def with_structured_output(self, schema: Any, **kwargs: Any) -> Runnable[Any, Any]:
        self.record.schemas.append(schema)
        answers = iter(self.structured)

        def answer(messages: Any) -> Any:
            self.record.structured_inputs.append(list(messages))
            return next(answers)

        return RunnableLambda(answer)


def call(name: str, call_id: str, **args: Any) -> dict[str, Any]:
    """A tool call as a model's ``AIMessage.tool_calls`` holds it."""
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def strip_ids(value: Any, keep: Callable[[Any], bool] = lambda _: False) -> Any:
    """``value`` with every message's ``id`` set to ``None`` (they are random), recursively."""
    if isinstance(value, BaseMessage):
        return value if keep(value) else value.model_copy(update={"id": None})
    if isinstance(value, dict):
        return {key: strip_ids(item, keep) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(strip_ids(item, keep) for item in value)
    return value


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool(return_direct=True)
def publish(text: str) -> str:
    """Publish the text: the agent's answer."""
    return f"published {text}"
