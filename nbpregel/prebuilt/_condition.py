"""Reading an agent's state without LangChain: its messages, their tool calls, and the
``tools_condition`` router built on them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from nbpregel.graph._schema import state_value

__all__ = ["ai_tool_calls", "messages_of", "state_value", "tools_condition"]


def messages_of(state: Any, messages_key: str) -> list[Any]:
    """The messages of ``state``: a list of messages, a dict, or an object with the key.

    Raises:
        ValueError: no list of messages under ``messages_key``.
    """
    if isinstance(state, list):
        return state
    if isinstance(state, Mapping):
        messages = state.get(messages_key)
    else:
        messages = getattr(state, messages_key, None)
    if not isinstance(messages, list):
        raise ValueError(
            f"no list of messages under {messages_key!r} in the input {type(state).__name__}: "
            f"pass the state that holds them, or set messages_key="
        )
    return messages


def ai_tool_calls(message: Any) -> list[Any]:
    """The tool calls a message asks for (none for a message that is not an AI message)."""
    calls = message.get("tool_calls") if isinstance(message, Mapping) else None
    return list(calls or getattr(message, "tool_calls", None) or [])


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` when the last message asks for tool calls, else ``END``.

    Args:
        state: the graph's state (a dict, an object with the key) or a list of messages.
        messages_key: the state key holding the messages.

    Returns:
        ``"tools"`` or ``"__end__"``.

    Raises:
        ValueError: no list of messages under ``messages_key``.

    >>> from langchain_core.messages import AIMessage
    >>> call = {"name": "add", "args": {"a": 1}, "id": "1"}
    >>> tools_condition({"messages": [AIMessage("", tool_calls=[call])]})
    'tools'
    >>> tools_condition({"messages": [AIMessage("done")]})
    '__end__'
    """
    messages = messages_of(state, messages_key)
    if messages and ai_tool_calls(messages[-1]):
        return "tools"
    return "__end__"  # END
