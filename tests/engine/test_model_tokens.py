"""``stream_mode="messages"`` with a langchain_core whose private streaming handler class is
gone (renamed, or its module moved): tokens are not streamed, a warning says why, once, and
the messages nodes return still stream."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="a LangChain chat model is streamed here")

import langchain_core.tracers._streaming as streaming
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, HumanMessage

from nbpregel import START, StateGraph
from nbpregel.graph import MessagesState
from nbpregel.pregel import _model_tokens

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fresh_handler_class() -> Iterator[None]:
    """The handler class is made once per process: made again for this test, and after it."""
    _model_tokens._handler_class.cache_clear()
    yield
    _model_tokens._handler_class.cache_clear()


def run_model_graph() -> list[tuple[str, str, str]]:
    """A node calling a chat model (which streams when asked), then one returning a message:
    the ``messages`` chunks as ``(type, content, node)``."""
    model = GenericFakeChatModel(messages=iter([AIMessage("hello there friend", id="m1")]))
    builder = StateGraph(MessagesState)
    builder.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    builder.add_node("after", lambda state: {"messages": [AIMessage("done", id="d1")]})
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "after")
    chunks = builder.compile().stream(
        {"messages": [HumanMessage("hi", id="h1")]}, stream_mode="messages"
    )
    return [(type(m).__name__, m.content, meta["langgraph_node"]) for m, meta in chunks]


def test_tokens_stream_with_the_handler_class(fresh_handler_class: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when the class is there
        rows = run_model_graph()
    assert [row[0] for row in rows] == ["AIMessageChunk"] * 5 + ["AIMessage"]


@pytest.mark.parametrize("how", ["renamed", "module moved"])
def test_without_the_handler_class_tokens_are_not_streamed_and_a_warning_says_why(
    how: str, monkeypatch: pytest.MonkeyPatch, fresh_handler_class: None
) -> None:
    if how == "renamed":
        monkeypatch.delattr(streaming, "_StreamingCallbackHandler")
    else:  # importing the module fails, as for a module that no longer exists
        monkeypatch.setitem(sys.modules, "langchain_core.tracers._streaming", None)
    with pytest.warns(RuntimeWarning) as record:
        first = run_model_graph()
        second = run_model_graph()
    assert len(record) == 1, "warned once, not per run"
    message = str(record[0].message)
    assert "_StreamingCallbackHandler" in message
    assert "tokens" in message and "still streamed" in message
    # The model's whole message, as the node returns it, then the next node's.
    expected: list[Any] = [
        ("AIMessage", "hello there friend", "agent"),
        ("AIMessage", "done", "after"),
    ]
    assert first == second == expected
