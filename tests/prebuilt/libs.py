"""Both libraries' prebuilt agents behind one namespace, for side-by-side tests."""

from __future__ import annotations

import types
import warnings
from typing import Any

import pytest

__all__ = ["LIBS", "edges", "in_call_order", "lib_of", "shown"]

LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]


def lib_of(name: str) -> types.SimpleNamespace:
    """``create_react_agent``, ``ToolNode``, ``ToolRuntime``, ``Command``, the savers, ... of
    ``"nbpregel"`` or ``"langgraph"``."""
    if name == "nbpregel":
        from nbpregel import END, START, Command, Send, StateGraph
        from nbpregel import prebuilt as built
        from nbpregel.checkpoint import InMemorySaver
        from nbpregel.graph import MessagesState
        from nbpregel.store.memory import InMemoryStore
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # LangGraph deprecates its prebuilt agent
            from langgraph import prebuilt as built
            from langgraph.checkpoint.memory import InMemorySaver
            from langgraph.graph import END, START, MessagesState, StateGraph
            from langgraph.store.memory import InMemoryStore
            from langgraph.types import Command, Send
    return types.SimpleNamespace(
        name=name,
        create_react_agent=_quiet(built.create_react_agent),
        ToolNode=built.ToolNode,
        ToolRuntime=built.ToolRuntime,
        InjectedState=built.InjectedState,
        InjectedStore=built.InjectedStore,
        ValidationNode=_quiet(built.ValidationNode),
        Command=Command,
        Send=Send,
        StateGraph=StateGraph,
        START=START,
        END=END,
        MessagesState=MessagesState,
        InMemorySaver=InMemorySaver,
        InMemoryStore=InMemoryStore,
    )


def _quiet(make: Any) -> Any:
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make(*args, **kwargs)

    return quiet


def edges(graph: Any) -> list[tuple[str, str, bool]]:
    """A compiled graph's drawn edges, sorted."""
    return sorted((e.source, e.target, e.conditional) for e in graph.get_graph().edges)


def shown(messages: list[Any]) -> list[tuple[str, Any]]:
    """Each message's class and text."""
    return [(type(message).__name__, message.content) for message in messages]


def in_call_order(updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``updates`` with the chunks of a step's parallel tools tasks (v2) in call order: they
    come out as the tasks finish, in either library."""
    ordered: list[dict[str, Any]] = []
    run: list[dict[str, Any]] = []
    for chunk in [*updates, {}]:
        if list(chunk) == ["tools"] and isinstance(chunk["tools"], dict):
            run.append(chunk)
            continue
        ordered.extend(sorted(run, key=lambda c: c["tools"]["messages"][0].tool_call_id))
        run = []
        ordered.append(chunk)
    return ordered[:-1]
