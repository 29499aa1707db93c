"""``ToolNode``: the node that runs the tool calls of the last AI message (as LangGraph's).

Each call runs (in threads, at the same time; results in the order of the calls) and becomes
a ``ToolMessage`` with the call's id. A call of an unknown tool, or with arguments the tool's
schema refuses, becomes a ``ToolMessage`` with ``status="error"`` saying so, for the model to
try again; an error the tool itself raises propagates (a node error) unless
``handle_tool_errors`` says otherwise. Interrupts raised in a tool always propagate.

A tool may return a ``Command`` (``nbpregel.Command``): its update and ``goto`` apply as if the
node had returned it, and ``Command(graph=Command.PARENT, ...)`` routes the graph that runs
this one as a subgraph. The update must hold a ``ToolMessage`` answering the call
(``runtime.tool_call_id``), else ``ToolCallError`` says how to add it.

The node takes the graph's state (a dict or object with a ``messages`` key), a bare list of
messages, or one call sent with ``Send`` by ``create_react_agent``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.tools import BaseTool, StructuredTool, tool
from pydantic import ValidationError

from nbpregel.errors import GraphBubbleUp, NbPregelError
from nbpregel.prebuilt._condition import messages_of, tools_condition
from nbpregel.prebuilt._injection import (
    InjectedArgs,
    InjectedState,
    InjectedStore,
    ToolRuntime,
    inject,
    injected_args,
    no_op_writer,
)
from nbpregel.prebuilt._tool_results import InputKind, combine, command_aware, normalize

__all__ = [
    "TOOL_CALL_WITH_CONTEXT",
    "InjectedState",
    "InjectedStore",
    "ToolNode",
    "ToolRuntime",
    "tools_condition",
]

TOOL_CALL_WITH_CONTEXT = "tool_call_with_context"
"""The ``__type`` of a ``Send`` payload holding one tool call and the state it was made in."""
_MAX_PARALLEL_TOOLS = 8

ErrorHandler = bool | str | Callable[..., str] | type[Exception] | tuple[type[Exception], ...]


def _current(which: str) -> Any:
    """The running node's runtime or config, or ``None`` outside a graph."""
    from nbpregel.pregel import get_config
    from nbpregel.runtime import get_runtime

    try:
        return get_runtime() if which == "runtime" else get_config()
    except NbPregelError:
        return None


def _run_coroutine(make: Callable[[], Any]) -> Any:
    """Run an async-only tool from sync code (on its own thread if a loop is running here)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        context = contextvars.copy_context()
        return pool.submit(context.run, lambda: asyncio.run(make())).result()


class ToolNode:
    """A node that runs the tool calls of the last AI message (see the module doc).

    Args:
        tools: LangChain tools, or functions (with a docstring) to make into tools.
        name: the node's name when added without one (``builder.add_node(ToolNode(...))``).
        tags: accepted for compatibility with LangGraph (tracing tags); not used.
        handle_tool_errors: what a tool's own exception becomes. By default (``False``) it
            propagates; ``True``: a ``ToolMessage`` with the error's text; a string: that text;
            a function of the exception: its result; exception types: caught when the
            exception is one of them (its text), else propagated.
        messages_key: the state key holding the messages.

    Example:
        >>> from langchain_core.messages import AIMessage
        >>> def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> ask = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "1"}])
        >>> [m.content for m in ToolNode([add]).invoke({"messages": [ask]})["messages"]]
        ['3']
    """

    def __init__(
        self,
        tools: Sequence[Any],
        *,
        name: str = "tools",
        tags: Sequence[str] | None = None,
        handle_tool_errors: ErrorHandler = False,
        messages_key: str = "messages",
    ) -> None:
        made = [item if isinstance(item, BaseTool) else tool(item) for item in tools]
        self.tools_by_name: dict[str, BaseTool] = {item.name: item for item in made}
        self._runners = {item.name: command_aware(item) for item in made}
        self._injected: dict[str, InjectedArgs] = {item.name: injected_args(item) for item in made}
        self.name = self.__name__ = name
        self.tags = list(tags or [])
        self.handle_tool_errors = handle_tool_errors
        self.messages_key = messages_key

    def __repr__(self) -> str:
        return f"ToolNode(tools={list(self.tools_by_name)}, name={self.name!r})"

    # -- running ---------------------------------------------------------------------------

    def __call__(self, state: Any, config: Any = None, runtime: Any = None) -> Any:
        """Run the calls of ``state`` (the engine passes the node's ``config`` and ``runtime``)."""
        calls, kind, context_state = self._parse(state)
        runtime = runtime if runtime is not None else _current("runtime")
        config = config if config is not None else (_current("config") or {})
        jobs = [
            functools.partial(
                self._run_one, call, kind, self._runtime(call, context_state, config, runtime)
            )
            for call in calls
        ]
        if len(jobs) <= 1:
            results = [job() for job in jobs]
        else:
            with concurrent.futures.ThreadPoolExecutor(min(len(jobs), _MAX_PARALLEL_TOOLS)) as pool:
                # One context copy per call: LangChain's callbacks and the node's runtime
                # (interrupt(), get_stream_writer()) reach the tools in their threads.
                futures = [pool.submit(contextvars.copy_context().run, job) for job in jobs]
                results = [future.result() for future in futures]
        return combine(results, kind, self.messages_key)

    def invoke(self, input: Any, config: Mapping[str, Any] | None = None) -> Any:
        """Run the calls of ``input`` outside a graph (as LangGraph's ``ToolNode.invoke``)."""
        return self(input, dict(config or {}))

    async def ainvoke(self, input: Any, config: Mapping[str, Any] | None = None) -> Any:
        """``invoke`` on a worker thread."""
        context = contextvars.copy_context()
        return await asyncio.to_thread(context.run, self.invoke, input, config)

    def _parse(self, given: Any) -> tuple[list[Any], InputKind, Any]:
        """The calls to run, the input's kind, and the state the tools see."""
        last = given[-1] if isinstance(given, list) and given else None
        if isinstance(last, Mapping) and last.get("type") == "tool_call":
            return list(given), "tool_calls", {}
        if isinstance(given, Mapping) and given.get("__type") == TOOL_CALL_WITH_CONTEXT:
            return [given["tool_call"]], "tool_calls", given.get("state")
        kind: InputKind = "list" if isinstance(given, list) else "dict"
        messages = messages_of(given, self.messages_key)
        last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        if last_ai is None:
            raise ValueError(
                f"ToolNode {self.name!r} found no AI message in its input "
                f"({len(messages)} message(s)): it runs the tool calls of the last AIMessage"
            )
        return list(last_ai.tool_calls), kind, given

    def _runtime(self, call: Mapping[str, Any], state: Any, config: Any, runtime: Any) -> Any:
        return ToolRuntime(
            state=state,
            context=getattr(runtime, "context", None),
            config=config,
            stream_writer=getattr(runtime, "stream_writer", None) or no_op_writer(),
            tool_call_id=call.get("id"),
            store=getattr(runtime, "store", None),
            tools=list(self.tools_by_name.values()),
            execution_info=getattr(runtime, "execution_info", None),
            server_info=getattr(runtime, "server_info", None),
        )

    def _run_one(self, call: Mapping[str, Any], kind: InputKind, runtime: Any) -> Any:
        """One call's ``ToolMessage`` or ``Command`` (an error message for a bad call)."""
        name, call_id = call["name"], call.get("id")
        runner = self._runners.get(name)
        if runner is None:
            known = ", ".join(self.tools_by_name)
            text = f"Error: there is no tool named {name!r}; the tools are: {known}."
            return ToolMessage(text, name=name, tool_call_id=call_id, status="error")
        wanted = self._injected[name]
        filled = inject(call, wanted, runtime, self.messages_key) if wanted else call
        try:
            response = self._invoke(runner, {**filled, "type": "tool_call"}, runtime.config)
            return normalize(response, call, kind, self.messages_key)
        except ValidationError as exc:  # arguments the tool's schema refuses
            problems = "; ".join(
                f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                for error in exc.errors()
                if not error["loc"] or error["loc"][0] not in wanted.hidden
            )
            text = f"Error: tool {name!r} cannot take {call.get('args')!r} ({problems}); fix them."
            return ToolMessage(text, name=name, tool_call_id=call_id, status="error")
        except GraphBubbleUp:
            raise  # interrupts and parent commands are never tool errors
        except Exception as exc:
            handled = self._handled(exc)
            if handled is None:
                raise
            return ToolMessage(handled, name=name, tool_call_id=call_id, status="error")

    @staticmethod
    def _invoke(runner: BaseTool, call: dict[str, Any], config: Any) -> Any:
        if isinstance(runner, StructuredTool) and runner.func is None and runner.coroutine:
            return _run_coroutine(lambda: runner.ainvoke(call, config))
        return runner.invoke(call, config)

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
