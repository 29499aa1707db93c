"""Tools that return ``Command``: their update and ``goto`` apply, ``Command.PARENT`` routes the
graph above, and a Command that does not answer its call is refused; compared with LangGraph.

No ``from __future__ import annotations``: LangChain reads the tools' annotations.
"""

from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core", reason="ToolNode runs LangChain tools")

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.tools import InjectedToolCallId, tool

from nbpregel import Command
from nbpregel.errors import ToolCallError
from nbpregel.graph.message import REMOVE_ALL_MESSAGES
from nbpregel.prebuilt import ToolNode, ToolRuntime

from .fake_chat import ScriptedChatModel, call, strip_ids
from .libs import LIBS, lib_of, shown

pytestmark = pytest.mark.timeout(60)


def command_tools(lib: str) -> list[Any]:
    """A tool that notes a topic and jumps to ``summary``, and a plain one."""
    parts = lib_of(lib)

    @tool
    def set_topic(topic: str, runtime: parts.ToolRuntime) -> Any:
        """Set the topic and summarise."""
        reply = ToolMessage(f"topic is {topic}", tool_call_id=runtime.tool_call_id)
        return parts.Command(update={"messages": [reply], "topic": topic}, goto="summary")

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    return [set_topic, add]


def topic_graph(lib: str, calls: list[dict[str, Any]]) -> Any:
    """agent -> tools -> agent, plus a ``summary`` node only a tool's goto reaches."""
    parts = lib_of(lib)

    class State(parts.MessagesState):
        topic: str

    def agent(state: Any) -> dict[str, Any]:
        if len(state["messages"]) == 1:
            return {"messages": [AIMessage("", id="ask", tool_calls=calls)]}
        return {"messages": [AIMessage("final", id="final")]}

    def summary(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage(f"summary of {state['topic']}", id="sum")]}

    def route(state: Any) -> Any:
        return "tools" if state["messages"][-1].tool_calls else parts.END

    builder = parts.StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node("tools", parts.ToolNode(command_tools(lib)), destinations=("summary",))
    builder.add_node("summary", summary)
    builder.add_edge(parts.START, "agent")
    builder.add_conditional_edges("agent", route, ["tools", parts.END])
    builder.add_edge("tools", "agent")
    return builder.compile()


@pytest.mark.langgraph
@pytest.mark.parametrize("calls", ["command", "command+plain"])
def test_a_commands_update_and_goto_apply_as_in_langgraph(calls: str) -> None:
    asked = [call("set_topic", "t1", topic="bsp")]
    if calls == "command+plain":
        asked.append(call("add", "a1", a=1, b=2))
    results = {}
    for lib in ("nbpregel", "langgraph"):
        out = topic_graph(lib, asked).invoke({"messages": [HumanMessage("hi", id="h")]})
        results[lib] = (out["topic"], shown(out["messages"]), strip_ids(out["messages"]))
    assert results["nbpregel"] == results["langgraph"]
    topic, messages, _ = results["nbpregel"]
    assert topic == "bsp"
    # summary and agent both ran after tools (goto plus the plain edge).
    assert set(messages[-2:]) == {("AIMessage", "summary of bsp"), ("AIMessage", "final")}
    assert ("ToolMessage", "topic is bsp") in messages
    named = [m for m in results["nbpregel"][2] if isinstance(m, ToolMessage)]
    assert named[0].name == "set_topic"  # ToolNode names the Command's message after its tool


def remember_tool(lib: str) -> Any:
    parts = lib_of(lib)

    @tool
    def remember(fact: str, runtime: parts.ToolRuntime) -> Any:
        """Remember a fact, then go straight back to the model."""
        reply = ToolMessage(f"noted {fact}", tool_call_id=runtime.tool_call_id)
        return parts.Command(update={"messages": [reply]}, goto="agent")

    return remember


@pytest.mark.langgraph
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_command_tool_in_create_react_agent_as_in_langgraph(version: str) -> None:
    results = {}
    for lib in ("nbpregel", "langgraph"):
        ask = AIMessage("", tool_calls=[call("remember", "r1", fact="tea")])
        model = ScriptedChatModel(replies=[ask, AIMessage("ok")])
        agent = lib_of(lib).create_react_agent(model, [remember_tool(lib)], version=version)
        out = agent.invoke({"messages": [HumanMessage("hi", id="h")]})
        results[lib] = (shown(out["messages"]), len(model.record.inputs))
    assert results["nbpregel"] == results["langgraph"]
    assert results["nbpregel"][0][-2:] == [("ToolMessage", "noted tea"), ("AIMessage", "ok")]


def test_mixed_results_come_back_as_commands_in_call_order() -> None:
    tools = command_tools("nbpregel")
    asked = [call("add", "a1", a=1, b=2), call("set_topic", "t1", topic="x")]
    out = ToolNode(tools).invoke({"messages": [AIMessage("", tool_calls=asked)]})
    assert [type(item).__name__ for item in out] == ["Command", "Command"]
    assert out[0].update["messages"][0].content == "3"
    assert (out[1].update["topic"], out[1].goto) == ("x", "summary")


def test_a_command_without_a_tool_message_is_refused_with_the_fix() -> None:
    @tool
    def forgetful(runtime: ToolRuntime) -> Any:
        """Updates the state but answers nothing."""
        return Command(update={"messages": []})

    ask = {"messages": [AIMessage("", tool_calls=[call("forgetful", "f1")])]}
    with pytest.raises(ToolCallError, match=r"tool 'forgetful' returned a Command .* 'f1'") as err:
        ToolNode([forgetful]).invoke(ask)
    assert "ToolMessage(..., tool_call_id=runtime.tool_call_id)" in str(err.value)
    assert isinstance(err.value, ValueError)  # as LangGraph's error
    handled = ToolNode([forgetful], handle_tool_errors=True).invoke(ask)
    assert handled["messages"][0].status == "error"
    assert "forgetful" in handled["messages"][0].content


@pytest.mark.langgraph
def test_langgraph_refuses_the_same_command() -> None:
    parts = lib_of("langgraph")

    @tool
    def forgetful(runtime: parts.ToolRuntime) -> Any:
        """Updates the state but answers nothing."""
        return parts.Command(update={"messages": []})

    model = ScriptedChatModel(replies=[AIMessage("", tool_calls=[call("forgetful", "f1")])])
    agent = parts.create_react_agent(model, [forgetful])
    with pytest.raises(ValueError, match="forgetful"):
        agent.invoke({"messages": [HumanMessage("hi")]})
    agent = lib_of("nbpregel").create_react_agent(
        ScriptedChatModel(replies=model.replies), [_forgetful_nbpregel]
    )
    with pytest.raises(ValueError, match="forgetful"):
        agent.invoke({"messages": [HumanMessage("hi")]})


@tool("forgetful")
def _forgetful_nbpregel(runtime: ToolRuntime) -> Any:
    """Updates the state but answers nothing."""
    return Command(update={"messages": []})


def test_other_command_shapes() -> None:
    @tool
    def clear(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Remove every message: no answer needed."""
        return Command(update={"messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES)]})

    @tool
    def as_list(runtime: ToolRuntime) -> Any:
        """Answer with a ToolMessage next to a Command."""
        return [ToolMessage("done", tool_call_id=runtime.tool_call_id), Command(goto="agent")]

    @tool
    def twice(runtime: ToolRuntime) -> Any:
        """Answer twice: refused."""
        reply = ToolMessage("a", tool_call_id=runtime.tool_call_id)
        return [reply, Command(update={"messages": [reply]})]

    @tool
    def dict_update(runtime: ToolRuntime) -> Any:
        """A dict update, refused for a bare list of messages."""
        reply = ToolMessage("a", tool_call_id=runtime.tool_call_id)
        return Command(update={"messages": [reply]})

    node = ToolNode([clear, as_list, twice, dict_update])

    def run(name: str, state: Any = None) -> Any:
        ask = AIMessage("", tool_calls=[call(name, "x")])
        return node.invoke(state if state is not None else {"messages": [ask]})

    assert run("clear")[0].update["messages"][0].id == REMOVE_ALL_MESSAGES
    done, go = run("as_list")
    assert (done.update["messages"][0].content, go.goto) == ("done", "agent")
    with pytest.raises(ToolCallError, match=r"2 ToolMessage.*exactly one"):
        run("twice")
    with pytest.raises(ToolCallError, match="bare list of messages"):
        run("dict_update", [AIMessage("", tool_calls=[call("dict_update", "x")])])


def supervisor(lib: str, calls: list[dict[str, Any]], version: str) -> Any:
    """An agent as a subgraph whose ``handoff`` tool sends the parent to ``other``."""
    parts = lib_of(lib)

    @tool
    def handoff(runtime: parts.ToolRuntime) -> Any:
        """Hand the conversation to the other agent."""
        reply = ToolMessage("handed over", tool_call_id=runtime.tool_call_id)
        update = {"messages": [*runtime.state["messages"], reply]}
        return parts.Command(graph=parts.Command.PARENT, goto="other", update=update)

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    model = ScriptedChatModel(replies=[AIMessage("", id="ask", tool_calls=calls), AIMessage("x")])
    agent = parts.create_react_agent(model, [handoff, add], version=version, name="first")

    def other(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage("other here", id="o")]}

    builder = parts.StateGraph(parts.MessagesState)
    builder.add_node("first", agent, destinations=("other",))
    builder.add_node("other", other)
    builder.add_edge(parts.START, "first")
    return builder.compile()


@pytest.mark.langgraph
@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("calls", ["handoff", "add+handoff"])
def test_a_parent_command_routes_the_graph_above_as_in_langgraph(version: str, calls: str) -> None:
    asked = [call("handoff", "h1")]
    if calls == "add+handoff":
        asked.insert(0, call("add", "a1", a=1, b=2))
    results = {}
    for lib in ("nbpregel", "langgraph"):
        graph = supervisor(lib, asked, version)
        updates = strip_ids(
            list(graph.stream({"messages": [HumanMessage("hi", id="h")]}, stream_mode="updates"))
        )
        results[lib] = ([list(chunk) for chunk in updates], shown(updates[0]["first"]["messages"]))
    assert results["nbpregel"] == results["langgraph"]
    assert results["nbpregel"][0] == [["first"], ["other"]]
    assert results["nbpregel"][1][-1] == ("ToolMessage", "handed over")


@pytest.mark.parametrize("lib", LIBS)
def test_a_tool_message_returned_as_is_is_kept(lib: str) -> None:
    parts = lib_of(lib)

    @tool
    def custom(tool_call_id: Annotated[str, InjectedToolCallId]) -> Any:
        """Answer with a ready-made message."""
        return ToolMessage("made here", tool_call_id=tool_call_id, artifact={"raw": 1})

    builder = parts.StateGraph(parts.MessagesState)
    builder.add_node(parts.ToolNode([custom]))
    builder.add_edge(parts.START, "tools")
    out = builder.compile().invoke({"messages": [AIMessage("", tool_calls=[call("custom", "c")])]})
    assert (out["messages"][-1].content, out["messages"][-1].artifact) == ("made here", {"raw": 1})


def test_any_base_tool_may_return_a_command_and_artifacts_survive() -> None:
    from langchain_core.tools import BaseTool

    class Jump(BaseTool):
        name: str = "jump"
        description: str = "Jump to a node."

        def _run(self, node: str, runtime: ToolRuntime) -> Any:
            reply = ToolMessage("jumped", tool_call_id=runtime.tool_call_id)
            return Command(update={"messages": [reply]}, goto=node)

    @tool(response_format="content_and_artifact")
    def fetch(url: str) -> tuple[str, dict[str, Any]]:
        """Fetch a page: text for the model, the raw page as artifact."""
        return "a page", {"url": url, "bytes": 6}

    asked = [call("jump", "j", node="summary"), call("fetch", "f", url="u")]
    jumped, fetched = ToolNode([Jump(), fetch]).invoke(
        {"messages": [AIMessage("", tool_calls=asked)]}
    )
    assert (jumped.goto, jumped.update["messages"][0].name) == ("summary", "jump")
    (page,) = fetched.update["messages"]
    assert (page.content, page.artifact) == ("a page", {"url": "u", "bytes": 6})
