"""``ValidationNode``: tool calls checked against schemas, nothing run; compared with LangGraph.

No ``from __future__ import annotations``: pydantic and LangChain read the annotations.
"""

from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="ValidationNode checks LangChain tool calls")

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel, field_validator

from nbpregel.errors import GraphValidationError
from nbpregel.prebuilt import ValidationNode

from .fake_chat import call
from .libs import LIBS, lib_of

pytestmark = pytest.mark.timeout(60)


class Point(BaseModel):
    x: int

    @field_validator("x")
    @classmethod
    def non_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("x must not be negative")
        return value


def scale(factor: float, unit: str = "cm") -> None:
    """A function: its signature is the schema."""


@tool
def move(dx: int, dy: int) -> str:
    """A tool: its args_schema is the schema."""
    return ""


CALLS = [
    call("Point", "p1", x=1),
    call("Point", "p2", x=-1),
    call("scale", "s1", factor=2),
    call("move", "m1", dx=1, dy="up"),
]


def checked(lib: str, state: Any) -> Any:
    node = lib_of(lib).ValidationNode([Point, scale, move])
    if lib == "nbpregel":
        return node(state)
    return node.invoke(state)


def summary(replies: list[ToolMessage]) -> list[tuple[Any, ...]]:
    return [
        (
            reply.tool_call_id,
            reply.name,
            bool(reply.additional_kwargs.get("is_error")),
            "<error>" if reply.additional_kwargs.get("is_error") else reply.content,
        )
        for reply in replies
    ]


@pytest.mark.parametrize("lib", LIBS)
def test_each_call_is_validated(lib: str) -> None:
    replies = checked(lib, {"messages": [AIMessage("", tool_calls=CALLS)]})["messages"]
    assert summary(replies) == [
        ("p1", "Point", False, '{"x":1}'),
        ("p2", "Point", True, "<error>"),
        ("s1", "scale", False, '{"factor":2.0,"unit":"cm"}'),
        ("m1", "move", True, "<error>"),
    ]
    assert "x must not be negative" in replies[1].content


@pytest.mark.parametrize("lib", LIBS)
def test_a_list_of_messages_gives_a_list(lib: str) -> None:
    replies = checked(lib, [AIMessage("", tool_calls=CALLS[:1])])
    assert summary(replies) == [("p1", "Point", False, '{"x":1}')]


def test_the_error_text_can_be_chosen() -> None:
    node = ValidationNode(
        [Point], format_error=lambda exc, c, schema: f"{schema.__name__} {c['id']}"
    )
    (reply,) = node({"messages": [AIMessage("", tool_calls=[call("Point", "p", x=-5)])]})[
        "messages"
    ]
    assert reply.content == "Point p"


def test_an_unknown_schema_is_an_error_message_for_the_model() -> None:
    """LangGraph raises KeyError; nbpregel answers the call so the model can pick another."""
    (reply,) = ValidationNode([Point])([AIMessage("", tool_calls=[call("Nope", "n")])])
    assert reply.additional_kwargs == {"is_error": True}
    assert "no schema named 'Nope'" in reply.content and "Point" in reply.content


def test_bad_schemas_and_inputs_are_refused() -> None:
    with pytest.raises(GraphValidationError, match="cannot validate with int"):
        ValidationNode([3])
    with pytest.raises(ValueError, match="needs an AIMessage as the last message"):
        ValidationNode([Point])({"messages": [ToolMessage("x", tool_call_id="1")]})
