"""``stream_mode="messages"``: the chat messages a node returns, one chunk each.

A chunk is ``(message, metadata)``, LangGraph's shape: ``metadata`` names the step, the node,
its triggers, its path and namespace (``langgraph_*`` keys). A message is written to a state
key, alone or in a list. With ``langchain_core`` loaded (never imported here: a run that has a
LangChain message has loaded it), messages are LangChain message objects, as in LangGraph;
and, in a channel whose reducer keeps plain messages (``add_messages(format="plain")``, or any
``add_messages`` without LangChain installed), dict messages (``role`` or ``type``, and
``content``; see ``nbpregel.graph.message``). Each message id goes out once per run;
removals, and messages the node got in its input, never do.

A LangChain chat model called inside the node streams its tokens as chunks while it runs
(``_model_tokens``); the message it returns is then not streamed again.

>>> class T:
...     name, step, triggers, path, ns = "agent", 1, ("branch:to:agent",), ("p", "agent"), "ns"
...     input, writes = {}, [("messages", [{"role": "ai", "content": "hi", "id": "1"}])]
>>> chunks = output_messages(T(), 1, set(), frozenset({"messages"}))  # dicts kept
>>> [(message["content"], metadata["langgraph_node"]) for message, metadata in chunks]
[('hi', 'agent')]
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from collections.abc import Mapping
from typing import Any, Final

from nbpregel.channels.base import MISSING

__all__ = ["output_messages", "plain_message_keys", "task_metadata"]

_REMOVE: Final = frozenset({"remove", "RemoveMessage"})


def _is_message(value: Any, messages: Any, plain: bool) -> bool:
    """Whether ``value`` is a message: a LangChain message object (``messages`` is the loaded
    ``langchain_core.messages``, or ``None``), or, in a channel that keeps ``plain`` messages,
    a dict message."""
    if messages is not None and isinstance(value, messages.BaseMessage):
        return value.type != "remove"
    if plain and isinstance(value, Mapping):
        kind = value.get("role", value.get("type"))
        return isinstance(kind, str) and "content" in value and kind not in _REMOVE
    return False


def plain_message_keys(channels: Mapping[str, Any]) -> frozenset[str]:
    """The channels whose reducer keeps chat messages as plain dicts: ``add_messages`` with
    ``format="plain"``, or with no format when langchain_core is not installed."""
    keys = []
    for key, channel in channels.items():
        fmt = getattr(getattr(channel, "operator", None), "message_format", MISSING)
        if fmt == "plain" or (fmt is None and not _langchain_installed()):
            keys.append(key)
    return frozenset(keys)


@functools.cache
def _langchain_installed() -> bool:
    return importlib.util.find_spec("langchain_core") is not None


def _message_id(message: Any) -> Any:
    return message.get("id") if isinstance(message, Mapping) else getattr(message, "id", None)


def task_metadata(task: Any, step: int) -> dict[str, Any]:
    """The ``langgraph_*`` keys of the metadata of ``task``'s chunks, in ``step``."""
    return {
        "langgraph_step": step,
        "langgraph_node": task.name,
        "langgraph_triggers": tuple(task.triggers),
        "langgraph_path": task.path,
        "langgraph_checkpoint_ns": task.ns,
    }


def _input_ids(task: Any, messages: Any, plain: frozenset[str]) -> set[Any]:
    """The ids of the messages in the task's input: a node returning them again does not
    stream them again."""
    state = task.input
    values = (
        state.values() if isinstance(state, Mapping) else getattr(state, "__dict__", {}).values()
    )
    ids = set()
    for value in values:
        for item in value if isinstance(value, list | tuple) else (value,):
            if _is_message(item, messages, bool(plain)):
                ids.add(_message_id(item))
    return ids


def output_messages(
    task: Any, step: int, seen: set[Any], plain: frozenset[str]
) -> list[tuple[Any, dict[str, Any]]]:
    """The ``messages`` chunks of a finished ``task`` of ``step``: its written messages whose
    ids are neither in ``seen`` (which gets them) nor in the task's input; dict messages only
    in the ``plain`` channels (``plain_message_keys``)."""
    messages = sys.modules.get("langchain_core.messages")
    chunks: list[tuple[Any, dict[str, Any]]] = []
    metadata: dict[str, Any] | None = None
    known: set[Any] | None = None
    for channel, value in task.writes:
        in_plain = channel in plain
        for item in value if isinstance(value, list | tuple) else (value,):
            if not _is_message(item, messages, in_plain):
                continue
            message_id = _message_id(item)
            if message_id is not None:
                if known is None:
                    known = _input_ids(task, messages, plain)
                if message_id in seen or message_id in known:
                    continue
                seen.add(message_id)
            if metadata is None:
                metadata = {"ls_integration": "langgraph", **task_metadata(task, step)}
            chunks.append((item, metadata))
    return chunks
