"""Chat state through nbpregel's SqliteSaver: langchain messages come back as themselves.

The serializer rebuilds pydantic models of modules already imported; langchain messages are
pydantic models, so a thread saved by one saver is read back by a fresh one on the same file.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

lc = pytest.importorskip("langchain_core.messages")

from nbpregel.checkpoint import SqliteSaver  # noqa: E402
from nbpregel.graph import START, MessagesState, StateGraph  # noqa: E402

AI, Human, System, Tool = lc.AIMessage, lc.HumanMessage, lc.SystemMessage, lc.ToolMessage

CONFIG = {"configurable": {"thread_id": "chat"}}


def _rich_reply(state: Any) -> dict[str, Any]:
    call = {"name": "search", "args": {"q": [1, 2]}, "id": "c1"}
    usage = {"input_tokens": 3, "output_tokens": 5, "total_tokens": 8}
    return {
        "messages": [
            AI("", id="ai", tool_calls=[call], usage_metadata=usage, name="bot"),
            Tool("found", tool_call_id="c1", id="tool", artifact={"rows": [1, 2]}),
            System("be brief", id="sys"),
        ]
    }


def _checkpointed(path: Path) -> Any:
    builder = StateGraph(MessagesState)
    builder.add_node("bot", _rich_reply)
    builder.add_edge(START, "bot")
    return builder.compile(checkpointer=SqliteSaver(path))


def test_messages_come_back_from_sqlite_as_langchain_messages(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    out = _checkpointed(path).invoke({"messages": [("user", "hi")]}, CONFIG)
    restored = _checkpointed(path).get_state(CONFIG).values["messages"]
    assert [type(m) for m in restored] == [Human, AI, Tool, System]
    assert restored == out["messages"]  # pydantic equality: every field, ids included
    assert restored[1].tool_calls[0]["args"] == {"q": [1, 2]}
    # The restored history merges like a live one: a second turn replaces by id.
    again = _checkpointed(path).invoke({"messages": [Human("more", id="h2")]}, CONFIG)
    assert [m.id for m in again["messages"]] == [out["messages"][0].id, "ai", "tool", "sys", "h2"]


# A fresh kernel that imported only what a notebook usually imports, then resumes the thread.
_RESUME = """
import json, sys
from langchain_core.messages import HumanMessage
from nbpregel.checkpoint import SqliteSaver
from nbpregel.graph import START, MessagesState, StateGraph

builder = StateGraph(MessagesState)
builder.add_node("bot", lambda state: {})
builder.add_edge(START, "bot")
graph = builder.compile(checkpointer=SqliteSaver(sys.argv[1]))
values = graph.get_state({"configurable": {"thread_id": "chat"}}).values
print(json.dumps([type(m).__name__ for m in values["messages"]]))
"""


def test_a_fresh_process_can_resume_a_chat(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    _checkpointed(path).invoke({"messages": [("user", "hi")]}, CONFIG)
    result = subprocess.run(
        [sys.executable, "-c", _RESUME, str(path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "HumanMessage",
        "AIMessage",
        "ToolMessage",
        "SystemMessage",
    ]
