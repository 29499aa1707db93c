"""``ToolNode`` and ``tools_condition``: the agent loop of LangGraph's prebuilt module, run by
both libraries and compared.

No ``from __future__ import annotations`` here: LangChain reads the tools' annotations (the
injected-argument markers) when it builds their schemas.
"""

import threading
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core", reason="ToolNode runs LangChain tools")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from nbpregel.errors import NbPregelError
from nbpregel.prebuilt import ToolNode, tools_condition

pytestmark = pytest.mark.timeout(60)
LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]


@tool
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def boom(x: int) -> int:
    """Always fails."""
    raise ValueError(f"bad x: {x}")


def shout(text: str) -> str:
    """Upper-case the text (a plain function: ToolNode makes it a tool)."""
    return text.upper()


CALLS = [
    {"name": "add", "args": {"a": 1, "b": 2}, "id": "c1"},
    {"name": "shout", "args": {"text": "hi"}, "id": "c2"},
    {"name": "nope", "args": {}, "id": "c3"},
    {"name": "add", "args": {"a": "x"}, "id": "c4"},
]


def parts(lib: str) -> tuple[Any, Any, Any, Any, Any]:
    if lib == "nbpregel":
        from nbpregel import START, StateGraph
        from nbpregel.graph import MessagesState

        return StateGraph, START, MessagesState, ToolNode, tools_condition
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode as LangGraphToolNode
    from langgraph.prebuilt import tools_condition as langgraph_condition

    return StateGraph, START, MessagesState, LangGraphToolNode, langgraph_condition


def agent_loop(
    lib: str, calls: list[dict[str, Any]], tools: list[Any], store: Any = None, **node_kwargs: Any
) -> Any:
    """agent asks for ``calls`` once, then answers; tools runs them; the usual loop."""
    StateGraph, START, MessagesState, Node, condition = parts(lib)

    def agent(state: Any) -> dict[str, Any]:
        if len(state["messages"]) == 1:
            return {"messages": [AIMessage("", id="ask", tool_calls=calls)]}
        return {"messages": [AIMessage("final", id="final")]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_node(Node(tools, **node_kwargs))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", condition)
    builder.add_edge("tools", "agent")
    return builder.compile(store=store)


def shown(messages: list[Any]) -> list[tuple[Any, ...]]:
    """What the tests compare: the error texts are each library's own."""
    return [
        (
            type(message).__name__,
            getattr(message, "tool_call_id", None),
            getattr(message, "name", None),
            getattr(message, "status", None),
            message.content if getattr(message, "status", None) != "error" else "<error>",
        )
        for message in messages
    ]


@pytest.mark.parametrize("lib", LIBS)
def test_the_agent_loop_runs_each_call_and_answers(lib: str) -> None:
    graph = agent_loop(lib, CALLS, [add, shout])
    start = {"messages": [HumanMessage("hi", id="h1")]}
    updates = [list(chunk) for chunk in graph.stream(start, stream_mode="updates")]
    assert updates == [["agent"], ["tools"], ["agent"]]
    messages = graph.invoke(start)["messages"]
    assert shown(messages[2:]) == [
        ("ToolMessage", "c1", "add", "success", "3"),
        ("ToolMessage", "c2", "shout", "success", "HI"),
        ("ToolMessage", "c3", "nope", "error", "<error>"),  # no such tool
        ("ToolMessage", "c4", "add", "error", "<error>"),  # arguments the schema refuses
        ("AIMessage", None, None, None, "final"),
    ]


@pytest.mark.langgraph
def test_same_messages_and_drawing_as_langgraph() -> None:
    start = {"messages": [HumanMessage("hi", id="h1")]}
    ours, theirs = (agent_loop(lib, CALLS, [add, shout]) for lib in ("nbpregel", "langgraph"))
    assert shown(ours.invoke(start)["messages"]) == shown(theirs.invoke(start)["messages"])

    def edges(graph: Any) -> set[tuple[str, str, bool]]:
        return {(e.source, e.target, e.conditional) for e in graph.get_graph().edges}

    assert edges(ours) == edges(theirs)


@pytest.mark.parametrize("lib", LIBS)
def test_a_tools_own_error_propagates_unless_handled(lib: str) -> None:
    calls = [{"name": "boom", "args": {"x": 1}, "id": "b1"}]
    with pytest.raises(ValueError, match="bad x: 1"):
        agent_loop(lib, calls, [boom]).invoke({"messages": [HumanMessage("hi", id="h1")]})
    handled = agent_loop(lib, calls, [boom], handle_tool_errors=True)
    (reply,) = [
        m
        for m in handled.invoke({"messages": [HumanMessage("hi", id="h1")]})["messages"]
        if isinstance(m, ToolMessage)
    ]
    assert (reply.status, reply.tool_call_id) == ("error", "b1")
    assert "bad x: 1" in reply.content


def test_handle_tool_errors_as_text_function_and_types() -> None:
    call = {"name": "boom", "args": {"x": 2}, "id": "b2"}
    ask = [AIMessage("", tool_calls=[call])]
    assert ToolNode([boom], handle_tool_errors="try again")(ask)[0].content == "try again"
    as_function = ToolNode([boom], handle_tool_errors=lambda exc: f"caught {exc}")
    assert as_function(ask)[0].content == "caught bad x: 2"
    assert "bad x: 2" in ToolNode([boom], handle_tool_errors=ValueError)(ask)[0].content
    with pytest.raises(ValueError):
        ToolNode([boom], handle_tool_errors=(KeyError,))(ask)


def test_calls_run_at_the_same_time_and_keep_their_order() -> None:
    meeting = threading.Barrier(2, timeout=10)  # passes only if both calls run at once

    @tool
    def meet(tag: str) -> str:
        """Wait for the other call."""
        meeting.wait()
        return tag

    calls = [{"name": "meet", "args": {"tag": tag}, "id": tag} for tag in ("first", "second")]
    replies = ToolNode([meet])({"messages": [AIMessage("", tool_calls=calls)]})["messages"]
    assert [reply.content for reply in replies] == ["first", "second"]


def test_tools_condition_reads_a_list_or_a_state() -> None:
    ask = AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 1}, "id": "x"}])
    assert tools_condition([ask]) == "tools"
    assert tools_condition({"messages": [AIMessage("done")]}) == "__end__"
    assert tools_condition({"chat": [ask]}, messages_key="chat") == "tools"
    with pytest.raises(ValueError, match="no list of messages under 'messages'"):
        tools_condition({"other": []})


def injected_parts(lib: str) -> tuple[Any, Any, Any]:
    if lib == "nbpregel":
        from nbpregel.prebuilt import InjectedState, InjectedStore
        from nbpregel.store.memory import InMemoryStore
    else:
        from langgraph.prebuilt import InjectedState, InjectedStore
        from langgraph.store.memory import InMemoryStore
    return InjectedState, InjectedStore, InMemoryStore


@pytest.mark.parametrize("lib", LIBS)
def test_state_and_store_are_injected_and_hidden_from_the_model(lib: str) -> None:
    InjectedState, InjectedStore, InMemoryStore = injected_parts(lib)

    @tool
    def count_messages(state: Annotated[dict, InjectedState]) -> int:
        """How many messages the conversation has."""
        return len(state["messages"])

    @tool
    def last_said(said: Annotated[list, InjectedState("messages")], prefix: str) -> str:
        """The first message's text, after a prefix."""
        return prefix + said[0].content

    @tool
    def remember(fact: str, store: Annotated[Any, InjectedStore()]) -> str:
        """Keep a fact."""
        store.put(("facts",), "last", {"fact": fact})
        return "kept"

    calls = [
        {"name": "count_messages", "args": {}, "id": "n"},
        {"name": "last_said", "args": {"prefix": "> "}, "id": "s"},
        {"name": "remember", "args": {"fact": "tea"}, "id": "r"},
    ]
    store = InMemoryStore()
    graph = agent_loop(lib, calls, [count_messages, last_said, remember], store=store)
    messages = graph.invoke({"messages": [HumanMessage("hi", id="h1")]})["messages"]
    assert [m.content for m in messages if isinstance(m, ToolMessage)] == ["2", "> hi", "kept"]
    assert store.get(("facts",), "last").value == {"fact": "tea"}
    # What the model is shown of each tool: the injected arguments are left out.
    shown_args = [
        set(t.tool_call_schema.model_json_schema()["properties"]) for t in (last_said, remember)
    ]
    assert shown_args == [{"prefix"}, {"fact"}]


def test_a_store_argument_without_a_store_says_how_to_give_one() -> None:
    from nbpregel.prebuilt import InjectedStore

    @tool
    def remember(fact: str, store: Annotated[Any, InjectedStore()]) -> str:
        """Keep a fact."""
        return "kept"

    ask = [AIMessage("", tool_calls=[{"name": "remember", "args": {"fact": "x"}, "id": "r"}])]
    with pytest.raises(NbPregelError, match="compile it with store=InMemoryStore"):
        ToolNode([remember])(ask)
