"""Ready-made agent graphs and their pieces, under LangGraph's names: a notebook that uses
``langgraph.prebuilt`` ports by changing its imports.

``create_react_agent(model, tools)`` builds the whole agent loop (a compiled graph: ``agent``
calls the chat model, ``tools`` runs the tool calls it asks for, until it answers)::

    from nbpregel.prebuilt import create_react_agent

    agent = create_react_agent(model, [search, add], prompt="You are terse.")
    agent.invoke({"messages": [{"role": "user", "content": "what is 1 + 2?"}]})

or the loop is built by hand from :class:`ToolNode` (runs the tool calls of the last AI
message) and :func:`tools_condition` (routes to it)::

    builder.add_node("agent", call_model)           # returns an AIMessage with tool_calls
    builder.add_node(ToolNode([search, add]))       # named "tools"
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")

Tools are LangChain tools (``@tool`` functions, ``BaseTool`` objects) or plain functions with
a docstring. A tool argument annotated ``Annotated[dict, InjectedState]`` gets the graph's state
(``InjectedState("user")``: one key), ``Annotated[BaseStore, InjectedStore()]`` the run's
store, and ``runtime: ToolRuntime`` the state, context, config, stream writer, call id and store
at once; the model never sees them. A tool may return a ``Command``. :class:`ValidationNode`
checks tool calls against schemas without running anything.

Everything but ``tools_condition`` needs ``langchain_core``, imported on first use of a name
(``import nbpregel.prebuilt`` never imports it).
"""

from __future__ import annotations

from typing import Any

from nbpregel._lazy import load_lazy
from nbpregel.prebuilt._condition import tools_condition

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "InjectedState",
    "InjectedStore",
    "ToolNode",
    "ToolRuntime",
    "ValidationNode",
    "create_react_agent",
    "tools_condition",
]

_LAZY = {
    "ToolNode": "nbpregel.prebuilt.tool_node",
    "InjectedState": "nbpregel.prebuilt.tool_node",
    "InjectedStore": "nbpregel.prebuilt.tool_node",
    "ToolRuntime": "nbpregel.prebuilt.tool_node",
    "create_react_agent": "nbpregel.prebuilt.chat_agent_executor",
    "AgentState": "nbpregel.prebuilt.chat_agent_executor",
    "AgentStatePydantic": "nbpregel.prebuilt.chat_agent_executor",
    "ValidationNode": "nbpregel.prebuilt.tool_validator",
}


def __getattr__(name: str) -> Any:
    try:
        return load_lazy(globals(), _LAZY, name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not exc.name.startswith("langchain_core"):
            raise
        raise ImportError(
            f"nbpregel.prebuilt.{name} runs LangChain tools and chat models and needs "
            f"langchain_core: pip install 'nbpregel[agents]' (or langchain-core)"
        ) from exc


def __dir__() -> list[str]:
    return sorted(__all__)
