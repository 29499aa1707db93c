"""``stream_mode="messages"``: the chat messages a node returns, one chunk each.

A chunk is ``(message, metadata)``, LangGraph's shape: ``metadata`` names the step, the node,
its triggers, its path and namespace (``langgraph_*`` keys). A message is written to a state
key, alone or in a list. With ``langchain_core`` loaded (never imported here: a run that has a
LangChain message has loaded it), messages are LangChain message objects, as in LangGraph;
without it, plain dict messages (``role`` or ``type``, and ``content``; see
``nbpregel.graph.message``). Each message id goes out once per run; removals, and messages the
node got in its input, never do.

A LangChain chat model called inside the node streams its tokens as chunks while it runs
(``_model_tokens``); the message it returns is then not streamed again.

>>> class T:
...     name, step, triggers, path, ns = "agent", 1, ("branch:to:agent",), ("p", "agent"), "ns"
...     input, writes = {}, [("messages", [{"role": "ai", "content": "hi", "id": "1"}])]
>>> chunks = output_messages(T(), 1, set(), messages=None)  # as without LangChain
>>> [(message["content"], metadata["langgraph_node"]) for message, metadata in chunks]
[('hi', 'agent')]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any, Final

from nbpregel.channels.base import MISSING

__all__ = ["output_messages"]

_REMOVE: Final = frozenset({"remove", "RemoveMessage"})


def _is_message(value: Any, messages: Any) -> bool:
    """Whether ``value`` is a message: a LangChain message object when ``messages`` (the
    loaded ``langchain_core.messages``) is not ``None``, as LangGraph has it; else a dict."""
    if messages is not None:
        return isinstance(value, messages.BaseMessage) and value.type != "remove"
    if isinstance(value, Mapping):
        kind = value.get("role", value.get("type"))
        return isinstance(kind, str) and "content" in value and kind not in _REMOVE
    return False


def _message_id(message: Any) -> Any:
    return message.get("id") if isinstance(message, Mapping) else getattr(message, "id", None)


def _input_ids(task: Any, messages: Any) -> set[Any]:
    """The ids of the messages in the task's input: a node returning them again does not
    stream them again."""
    state = task.input
    values = (
        state.values() if isinstance(state, Mapping) else getattr(state, "__dict__", {}).values()
    )
    ids = set()
    for value in values:
        for item in value if isinstance(value, list | tuple) else (value,):
            if _is_message(item, messages):
                ids.add(_message_id(item))
    return ids


def output_messages(
    task: Any, step: int, seen: set[Any], messages: Any = MISSING
) -> list[tuple[Any, dict[str, Any]]]:
    """The ``messages`` chunks of a finished ``task`` of ``step``: its written messages whose
    ids are neither in ``seen`` (which gets them) nor in the task's input.

    ``messages`` is the ``langchain_core.messages`` module, or ``None`` for plain dict
    messages (default: the loaded module, if any).
    """
    if messages is MISSING:
        messages = sys.modules.get("langchain_core.messages")
    chunks: list[tuple[Any, dict[str, Any]]] = []
    metadata: dict[str, Any] | None = None
    known: set[Any] | None = None
    for _channel, value in task.writes:
        for item in value if isinstance(value, list | tuple) else (value,):
            if not _is_message(item, messages):
                continue
            message_id = _message_id(item)
            if message_id is not None:
                if known is None:
                    known = _input_ids(task, messages)
                if message_id in seen or message_id in known:
                    continue
                seen.add(message_id)
            if metadata is None:
                metadata = {
                    "ls_integration": "langgraph",
                    "langgraph_step": step,
                    "langgraph_node": task.name,
                    "langgraph_triggers": tuple(task.triggers),
                    "langgraph_path": task.path,
                    "langgraph_checkpoint_ns": task.ns,
                }
            chunks.append((item, metadata))
    return chunks
