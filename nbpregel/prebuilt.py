"""Ready-made pieces of agent graphs under LangGraph's names: :class:`ToolNode` runs the tool
calls of the last AI message, :func:`tools_condition` routes to it.

The usual agent loop ports by changing its imports::

    from nbpregel.prebuilt import ToolNode, tools_condition

    builder.add_node("agent", call_model)           # returns an AIMessage with tool_calls
    builder.add_node(ToolNode([search, add]))       # named "tools"
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")

Tools are LangChain tools (``@tool`` functions, ``BaseTool`` objects) or plain functions with
a docstring, made into tools by LangChain: ``ToolNode`` needs ``langchain_core``, which it
imports when it is built (``import nbpregel`` never does).

What it does, as LangGraph's ``ToolNode``: each tool call of the last message runs (in
threads, at the same time; results in the order of the calls) and becomes a ``ToolMessage``
with the call's id. A call of an unknown tool, or with arguments the tool's schema refuses,
becomes a ``ToolMessage`` with ``status="error"`` saying so, for the model to try again; an
error the tool itself raises propagates (a node error) unless ``handle_tool_errors`` says
otherwise.

A tool argument annotated ``Annotated[dict, InjectedState]`` gets the graph's state (or one key
of it: ``InjectedState("user")``), one annotated ``Annotated[BaseStore, InjectedStore()]`` the
run's store; the model never sees them (they are LangChain ``InjectedToolArg`` markers, so
they are left out of the tool's schema). Not supported yet: ``ToolRuntime`` arguments, tools
returning ``Command``, and LangGraph's tool-call wrappers.
"""

import concurrent.futures
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

from nbpregel.errors import NbPregelError

# InjectedState and InjectedStore come from the module __getattr__ below.
__all__ = ["InjectedState", "InjectedStore", "ToolNode", "tools_condition"]  # noqa: F822


def __getattr__(name: str) -> Any:
    # The markers subclass LangChain's InjectedToolArg: made when first asked for, so that
    # importing this module (for tools_condition, say) never imports langchain_core.
    markers = _markers()
    if name in markers:
        return markers[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def _markers() -> dict[str, type]:
    from langchain_core.tools import InjectedToolArg

    class InjectedState(InjectedToolArg):
        """Marks a tool argument that ``ToolNode`` fills with the graph's state, or with the
        value of one of its keys (``InjectedState("user")``)."""

        def __init__(self, field: str | None = None) -> None:
            self.field = field

    class InjectedStore(InjectedToolArg):
        """Marks a tool argument that ``ToolNode`` fills with the run's store."""

    InjectedState.__module__ = InjectedStore.__module__ = __name__
    return {"InjectedState": InjectedState, "InjectedStore": InjectedStore}


def _injected_args(found: Any) -> dict[str, Any]:
    """``{argument: marker}`` for the arguments of tool ``found`` that ``ToolNode`` fills."""
    markers = tuple(_markers().values())
    injected = {}
    for name, field in found.get_input_schema().model_fields.items():
        for marker in field.metadata:
            if isinstance(marker, markers) or (
                isinstance(marker, type) and issubclass(marker, markers)
            ):
                injected[name] = marker
    return injected


_MAX_PARALLEL_TOOLS = 8


def _messages_of(state: Any, messages_key: str) -> list[Any]:
    """The messages of ``state``: a list of messages, a dict, or an object with the key."""
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


def _state_value(state: Any, key: str) -> Any:
    return state[key] if isinstance(state, Mapping) else getattr(state, key)


def _tool_calls(message: Any) -> list[Any]:
    calls = message.get("tool_calls") if isinstance(message, Mapping) else None
    return list(calls or getattr(message, "tool_calls", None) or [])


def tools_condition(state: Any, messages_key: str = "messages") -> Literal["tools", "__end__"]:
    """``"tools"`` when the last message asks for tool calls, else ``END``.

    >>> from langchain_core.messages import AIMessage
    >>> call = {"name": "add", "args": {"a": 1}, "id": "1"}
    >>> tools_condition({"messages": [AIMessage("", tool_calls=[call])]})
    'tools'
    >>> tools_condition({"messages": [AIMessage("done")]})
    '__end__'
    """
    messages = _messages_of(state, messages_key)
    if messages and _tool_calls(messages[-1]):
        return "tools"
    return "__end__"  # END


ErrorHandler = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]


class ToolNode:
    """A node that runs the tool calls of the last AI message (see the module doc).

    Args:
        tools: LangChain tools, or functions (with a docstring) to make into tools.
        name: the node's name when added without one (``builder.add_node(ToolNode(...))``).
        handle_tool_errors: what a tool's own exception becomes. By default (``False``) it
            propagates; ``True``: a ``ToolMessage`` with the error's text; a string: that text;
            a function of the exception: its result; exception types: caught when the
            exception is one of them (its text), else propagated.
        messages_key: the state key holding the messages.

    Raises:
        ImportError: langchain_core is not installed.
    """

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        name: str = "tools",
        handle_tool_errors: ErrorHandler = False,
        messages_key: str = "messages",
    ) -> None:
        try:
            from langchain_core.tools import BaseTool, tool
        except ImportError as exc:
            raise ImportError(
                "ToolNode runs LangChain tools and needs langchain_core: pip install langchain-core"
            ) from exc
        made = [item if isinstance(item, BaseTool) else tool(item) for item in tools]
        self.tools_by_name: dict[str, Any] = {item.name: item for item in made}
        self.injected = {item.name: _injected_args(item) for item in made}
        self.name = self.__name__ = name
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key

    def __call__(self, state: Any, store: Any = None) -> Any:
        messages = _messages_of(state, self.messages_key)
        asked = _tool_calls(messages[-1]) if messages else []
        calls = [self._inject(call, state, store) for call in asked]
        if len(calls) <= 1:
            results = [self._run(call) for call in calls]
        else:
            workers = min(len(calls), _MAX_PARALLEL_TOOLS)
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(self._run, calls))
        return results if isinstance(state, list) else {self.messages_key: results}

    def _inject(self, call: Mapping[str, Any], state: Any, store: Any) -> Mapping[str, Any]:
        """``call`` with the arguments its tool takes from the state or the store filled."""
        injected = self.injected.get(call["name"])
        if not injected:
            return call
        store_marker = _markers()["InjectedStore"]
        args = dict(call.get("args") or {})
        for name, marker in injected.items():
            if marker is store_marker or isinstance(marker, store_marker):
                if store is None:
                    raise NbPregelError(
                        f"tool {call['name']!r} takes the store as {name!r}, but the graph has "
                        f"none: compile it with store=InMemoryStore() (or SqliteStore)"
                    )
                args[name] = store
            else:
                field = getattr(marker, "field", None)
                args[name] = state if field is None else _state_value(state, field)
        return {**call, "args": args}

    def _run(self, call: Mapping[str, Any]) -> Any:
        """One tool call's ``ToolMessage`` (an error one for a call the tool cannot take)."""
        from langchain_core.messages import ToolMessage
        from pydantic import ValidationError

        name, call_id = call["name"], call.get("id")
        found = self.tools_by_name.get(name)
        if found is None:
            known = ", ".join(self.tools_by_name)
            text = f"Error: there is no tool named {name!r}; the tools are: {known}."
            return ToolMessage(text, name=name, tool_call_id=call_id, status="error")
        try:
            return found.invoke({**call, "type": "tool_call"})
        except ValidationError as exc:  # arguments the tool's schema refuses
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
            )
            text = f"Error: tool {name!r} cannot take {call.get('args')!r} ({problems}); fix them."
            return ToolMessage(text, name=name, tool_call_id=call_id, status="error")
        except Exception as exc:
            handled = self._handled(exc)
            if handled is None:
                raise
            return ToolMessage(handled, name=name, tool_call_id=call_id, status="error")

    def _handled(self, exc: Exception) -> str | None:
        """The text a tool's exception becomes, or ``None`` to let it propagate."""
        handler = self.handle_tool_errors
        if handler is True:
            return f"Error: {exc!r}. Please fix the call and try again."
        if isinstance(handler, str):
            return handler
        if isinstance(handler, type | tuple):
            return f"Error: {exc!r}" if isinstance(exc, handler) else None
        if callable(handler):
            return str(handler(exc))
        return None
