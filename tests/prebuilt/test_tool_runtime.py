"""``ToolRuntime``: a tool argument ``ToolNode`` fills with the state, context, config, stream
writer, call id and store, hidden from the model; compared with LangGraph's.

No ``from __future__ import annotations``: LangChain reads the tools' annotations.
"""

import threading
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

pytest.importorskip("langchain_core", reason="ToolNode runs LangChain tools")

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from nbpregel.prebuilt import InjectedState, ToolNode, ToolRuntime

from .fake_chat import ScriptedChatModel, call
from .libs import LIBS, lib_of

pytestmark = pytest.mark.timeout(60)


@dataclass
class Ctx:
    user: str


def runtime_tools(lib: str) -> tuple[list[Any], list[Any]]:
    """Tools that report what their runtime holds (into ``seen``)."""
    Runtime = lib_of(lib).ToolRuntime
    seen: list[Any] = []

    @tool
    def inspect_runtime(x: int, runtime: Runtime) -> str:
        """Report the runtime."""
        runtime.stream_writer({"progress": x})
        runtime.store.put(("calls",), runtime.tool_call_id, {"x": x})
        seen.append(runtime)
        return f"{runtime.context.user}:{x}"

    @tool
    def typed_runtime(x: int, runtime: Runtime[Ctx, dict]) -> str:
        """A parametrised runtime annotation."""
        seen.append(runtime)
        return runtime.context.user

    return [inspect_runtime, typed_runtime], seen


# LangGraph's tracing of the context dataclass warns through pydantic (not ours).
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_the_runtime_is_filled_in_an_agent(lib: str, version: str) -> None:
    parts = lib_of(lib)
    tools, seen = runtime_tools(lib)
    calls = [
        call("inspect_runtime", "c1", x=1),
        call("inspect_runtime", "c2", x=2),
        call("typed_runtime", "c3", x=3),
    ]
    model = ScriptedChatModel(replies=[AIMessage("", tool_calls=calls), AIMessage("done")])
    store = parts.InMemoryStore()
    agent = parts.create_react_agent(model, tools, context_schema=Ctx, store=store, version=version)
    start = {"messages": [HumanMessage("hi", id="h1")]}
    chunks = list(agent.stream(start, context=Ctx("ada"), stream_mode=["updates", "custom"]))
    custom = sorted(chunk["progress"] for mode, chunk in chunks if mode == "custom")
    replies = [c for _, chunk in chunks if "tools" in chunk for c in chunk["tools"]["messages"]]
    assert custom == [1, 2]
    assert sorted((m.tool_call_id, m.content) for m in replies) == [
        ("c1", "ada:1"),
        ("c2", "ada:2"),
        ("c3", "ada"),
    ]
    assert sorted(item.key for item in store.search(("calls",))) == ["c1", "c2"]
    by_call = {runtime.tool_call_id: runtime for runtime in seen}
    for runtime in by_call.values():
        assert runtime.state["messages"][0].id == "h1"
        assert isinstance(runtime.state["messages"][-1], AIMessage)  # the state of the call
        assert runtime.context == Ctx("ada")
        assert runtime.store is store
        assert [t.name for t in runtime.tools] == ["inspect_runtime", "typed_runtime"]
        assert runtime.execution_info is not None and runtime.execution_info.task_id
        assert "configurable" in runtime.config
    assert sorted(by_call) == ["c1", "c2", "c3"]


@pytest.mark.parametrize("lib", LIBS)
def test_the_model_never_sees_the_runtime(lib: str) -> None:
    tools, _seen = runtime_tools(lib)
    for found in tools:
        assert set(found.tool_call_schema.model_json_schema()["properties"]) == {"x"}
    model = ScriptedChatModel(replies=[AIMessage("done")])
    lib_of(lib).create_react_agent(model, tools)
    assert model.record.bound == [["inspect_runtime", "typed_runtime"]]


@pytest.mark.parametrize("lib", LIBS)
def test_a_model_cannot_forge_injected_arguments(lib: str) -> None:
    parts = lib_of(lib)

    @tool
    def whose(state: Annotated[dict, parts.InjectedState], runtime: parts.ToolRuntime) -> str:
        """Whose state is it."""
        return f"{len(state['messages'])} {runtime.tool_call_id}"

    forged = call("whose", "real", state={"messages": []}, runtime="forged")
    builder = parts.StateGraph(parts.MessagesState)
    builder.add_node(parts.ToolNode([whose]))
    builder.add_edge(parts.START, "tools")
    out = builder.compile().invoke({"messages": [AIMessage("", tool_calls=[forged])]})
    assert out["messages"][-1].content == "1 real"


def test_outside_a_graph_the_runtime_has_the_state_and_no_run() -> None:
    got: list[Any] = []

    @tool
    def peek(runtime: ToolRuntime) -> str:
        """Peek."""
        got.append(runtime)
        runtime.stream_writer("dropped")  # no run to stream to: does nothing
        return "ok"

    ask = AIMessage("", tool_calls=[call("peek", "p1")])
    ToolNode([peek]).invoke([ask])
    (runtime,) = got
    assert (runtime.state, runtime.tool_call_id, runtime.store, runtime.context) == (
        [ask],
        "p1",
        None,
        None,
    )


def test_an_argument_named_runtime_gets_the_runtime_as_in_langgraph() -> None:
    got: list[Any] = []

    @tool
    def plain(runtime: Any = None) -> str:
        """An argument named runtime, not annotated ToolRuntime."""
        got.append(runtime)
        return "ok"

    ToolNode([plain]).invoke([AIMessage("", tool_calls=[call("plain", "p1")])])
    assert isinstance(got[0], ToolRuntime)


def test_injected_state_and_runtime_together_in_a_hand_built_graph() -> None:
    from nbpregel import START, StateGraph
    from nbpregel.graph import MessagesState
    from nbpregel.prebuilt import tools_condition

    class State(MessagesState):
        user: str

    @tool
    def hello(user: Annotated[str, InjectedState("user")], runtime: ToolRuntime) -> str:
        """Greet the user."""
        return f"hello {user} ({runtime.state['user']})"

    def agent(state: State) -> dict[str, Any]:
        if len(state["messages"]) == 1:
            return {"messages": [AIMessage("", tool_calls=[call("hello", "g")])]}
        return {"messages": [AIMessage("bye")]}

    builder = StateGraph(State)
    builder.add_node("agent", agent)
    builder.add_node(ToolNode([hello]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    out = builder.compile().invoke({"messages": [HumanMessage("hi")], "user": "ada"})
    assert [m.content for m in out["messages"] if isinstance(m, ToolMessage)] == ["hello ada (ada)"]


def test_an_interrupt_in_a_tool_pauses_the_agent_and_resumes() -> None:
    """The tool runs on a worker thread (two calls run at once) and still reaches the run."""
    from nbpregel import Command, interrupt
    from nbpregel.checkpoint import InMemorySaver
    from nbpregel.prebuilt import create_react_agent

    threads: set[str] = set()

    @tool
    def ask_human(question: str) -> str:
        """Ask a person."""
        threads.add(threading.current_thread().name)
        return str(interrupt(question))

    @tool
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    calls = [call("ask_human", "q1", question="ok?"), call("add", "a1", a=1, b=2)]
    model = ScriptedChatModel(replies=[AIMessage("", tool_calls=calls), AIMessage("thanks")])
    agent = create_react_agent(model, [ask_human, add], checkpointer=InMemorySaver(), version="v1")
    config = {"configurable": {"thread_id": "h"}}
    agent.invoke({"messages": [HumanMessage("go")]}, config)
    assert [p.value for p in agent.get_state(config).interrupts] == ["ok?"]
    out = agent.invoke(Command(resume="yes"), config)
    assert [m.content for m in out["messages"] if isinstance(m, ToolMessage)] == ["yes", "3"]
    assert out["messages"][-1].content == "thanks"
    assert threading.current_thread().name not in threads
