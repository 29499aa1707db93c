"""``ValidationNode``: check the tool calls of the last AI message against schemas, run
nothing (as LangGraph's): for extraction, where the model's arguments *are* the result.

Each call becomes a ``ToolMessage``: the validated arguments as JSON, or the validation error
(with ``additional_kwargs={"is_error": True}``) for the model to fix and call again.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool, create_schema_from_function
from pydantic import BaseModel, ValidationError

from nbpregel.errors import GraphValidationError
from nbpregel.prebuilt._condition import messages_of

__all__ = ["ValidationNode"]

FormatError = Callable[[BaseException, Mapping[str, Any], type[BaseModel]], str]


def _default_format_error(
    error: BaseException, call: Mapping[str, Any], schema: type[BaseModel]
) -> str:
    return f"{error!r}\n\nFix the errors above and call {call['name']!r} again."


def _schema_of(item: Any) -> tuple[str, type[BaseModel]]:
    if isinstance(item, BaseTool):
        schema = item.args_schema
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            raise GraphValidationError(
                f"ValidationNode: tool {item.name!r} has no pydantic args_schema ({schema!r}): "
                f"give it one (args_schema=MyModel), or pass the model class itself"
            )
        return item.name, schema
    if isinstance(item, type) and issubclass(item, BaseModel):
        return item.__name__, item
    if callable(item):
        made: type[BaseModel] = create_schema_from_function("Validation", item)  # type: ignore[assignment]
        return item.__name__, made
    raise GraphValidationError(
        f"ValidationNode cannot validate with {type(item).__name__} {item!r}: pass pydantic "
        f"model classes, LangChain tools or functions"
    )


class ValidationNode:
    """A node that validates the last AI message's tool calls (see the module doc).

    Args:
        schemas: pydantic model classes (named after the class), LangChain tools (their
            ``args_schema``) or functions (a schema made from the signature).
        format_error: ``(error, call, schema) -> str``: the text of a failed call's message.
        name: the node's name when added without one.
        tags: accepted for compatibility with LangGraph; not used.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> from pydantic import BaseModel
        >>> class Point(BaseModel):
        ...     x: int
        >>> ask = AIMessage("", tool_calls=[{"name": "Point", "args": {"x": 1}, "id": "1"}])
        >>> ValidationNode([Point])({"messages": [ask]})["messages"][0].content
        '{"x":1}'
    """

    def __init__(
        self,
        schemas: Sequence[Any],
        *,
        format_error: FormatError | None = None,
        name: str = "validation",
        tags: Sequence[str] | None = None,
    ) -> None:
        self.schemas_by_name: dict[str, type[BaseModel]] = dict(map(_schema_of, schemas))
        self._format_error = format_error or _default_format_error
        self.name = self.__name__ = name
        self.tags = list(tags or [])

    def __call__(self, state: Any) -> Any:
        messages = messages_of(state, "messages")
        if not messages or not isinstance(messages[-1], AIMessage):
            raise ValueError(
                f"ValidationNode {self.name!r} needs an AIMessage as the last message, got "
                f"{type(messages[-1]).__name__ if messages else 'no message'}"
            )
        calls = messages[-1].tool_calls
        with concurrent.futures.ThreadPoolExecutor(max(1, min(len(calls), 8))) as pool:
            replies = list(pool.map(self._check, calls))
        return replies if isinstance(state, list) else {"messages": replies}

    def invoke(self, input: Any, config: Mapping[str, Any] | None = None) -> Any:
        """Validate the calls of ``input`` outside a graph."""
        return self(input)

    def _check(self, call: Mapping[str, Any]) -> ToolMessage:
        name, call_id = call["name"], call["id"]
        schema = self.schemas_by_name.get(name)
        if schema is None:
            text = f"Error: there is no schema named {name!r}; use one of: " + ", ".join(
                self.schemas_by_name
            )
            return ToolMessage(
                text, name=name, tool_call_id=call_id, additional_kwargs={"is_error": True}
            )
        try:
            content = schema.model_validate(call["args"]).model_dump_json()
        except ValidationError as exc:
            text = self._format_error(exc, call, schema)
            return ToolMessage(
                text, name=name, tool_call_id=call_id, additional_kwargs={"is_error": True}
            )
        return ToolMessage(content, name=name, tool_call_id=call_id)
