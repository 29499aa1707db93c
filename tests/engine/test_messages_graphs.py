"""Chat graphs on ``MessagesState``: nbpregel against LangGraph, and through a SQLite checkpoint.

Every case is built twice by ``build(lib)``, once from nbpregel's names and once from
LangGraph's, and both runs must produce the same messages (class, fields, and ids where the
graph chose them; an id the reducer assigned only has to be a uuid4 string on both sides).

This module has no ``from __future__ import annotations``: the schemas declared inside the
build functions refer to ``lib``, which only a real (evaluated) annotation can see.
"""

import asyncio
import dataclasses
import uuid
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

lc = pytest.importorskip("langchain_core.messages")

import nbpregel.graph  # noqa: E402
import nbpregel.graph.message  # noqa: E402
from nbpregel.errors import InvalidUpdateError  # noqa: E402

AI, Human, Remove, System, Tool = (
    lc.AIMessage,
    lc.HumanMessage,
    lc.RemoveMessage,
    lc.SystemMessage,
    lc.ToolMessage,
)
ASSIGNED = "<uuid4>"


@dataclasses.dataclass(frozen=True)
class ChatLib:
    """The names a chat graph is built from, in one library's spelling."""

    name: str
    StateGraph: Any
    MessagesState: Any
    add_messages: Any
    START: str
    END: str
    REMOVE_ALL_MESSAGES: str


NBPREGEL = ChatLib(
    "nbpregel",
    nbpregel.graph.StateGraph,
    nbpregel.graph.MessagesState,
    nbpregel.graph.add_messages,
    nbpregel.graph.START,
    nbpregel.graph.END,
    nbpregel.graph.message.REMOVE_ALL_MESSAGES,
)


def langgraph_lib() -> ChatLib:
    from langgraph import graph
    from langgraph.graph import message

    return ChatLib(
        "langgraph",
        graph.StateGraph,
        graph.MessagesState,
        graph.add_messages,
        graph.START,
        graph.END,
        message.REMOVE_ALL_MESSAGES,
    )


def is_uuid4(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value, version=4)) == value
    except ValueError:
        return False


def norm(value: Any) -> Any:
    """Messages as (class, id or ASSIGNED, other fields), inside any dicts and lists."""
    if isinstance(value, lc.BaseMessage):
        message_id = ASSIGNED if is_uuid4(value.id) else value.id
        return (type(value).__name__, message_id, norm(value.model_dump(exclude={"id"})))
    if isinstance(value, dict):
        return {key: norm(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [norm(item) for item in value]
    return value


# -- the graphs ------------------------------------------------------------------------------

Build = Callable[[ChatLib], Any]
CASES: dict[str, tuple[Build, dict[str, Any]]] = {}


def case(graph_input: dict[str, Any]) -> Callable[[Build], Build]:
    def register(build: Build) -> Build:
        CASES[build.__name__.removeprefix("build_")] = (build, graph_input)
        return build

    return register


def _agent(state: Any) -> dict[str, Any]:
    """Ask for a tool once per user turn, then answer from the tool's result."""
    last = state["messages"][-1]
    n = len(state["messages"])
    if isinstance(last, Tool):
        return {"messages": [AI(f"answer: {last.content}", id=f"ai-{n}")]}
    call = {"name": "search", "args": {"q": last.content}, "id": f"call-{n}"}
    return {"messages": [AI("", id=f"ai-{n}", tool_calls=[call])]}


def _tools(state: Any) -> dict[str, Any]:
    calls = state["messages"][-1].tool_calls
    return {
        "messages": [
            Tool(f"found {c['args']['q']}", tool_call_id=c["id"], id=f"t-{c['id']}") for c in calls
        ]
    }


@case({"messages": [("user", "weather?")]})
def build_tool_loop(lib: ChatLib) -> Any:
    builder = lib.StateGraph(lib.MessagesState)
    builder.add_node("agent", _agent)
    builder.add_node("tools", _tools)
    builder.add_edge(lib.START, "agent")
    builder.add_conditional_edges(
        "agent", lambda s: "tools" if s["messages"][-1].tool_calls else lib.END, ["tools", lib.END]
    )
    builder.add_edge("tools", "agent")
    return builder.compile()


@case(
    {
        "messages": [
            Human("one", id="h1"),
            AI("two", id="a1"),
            Human("three", id="h2"),
            AI("four", id="a2"),
        ]
    }
)
def build_trim_then_reply(lib: ChatLib) -> Any:
    def trim(state: Any) -> dict[str, Any]:
        return {"messages": [Remove(id=m.id) for m in state["messages"][:-2]]}

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": AI(f"I see {len(state['messages'])} messages")}

    builder = lib.StateGraph(lib.MessagesState)
    builder.add_sequence([trim, reply])
    builder.add_edge(lib.START, "trim")
    return builder.compile()


@case({"messages": ["hello", ("assistant", "hi!"), {"role": "user", "content": "summarise"}]})
def build_remove_all_and_summarise(lib: ChatLib) -> Any:
    def summarise(state: Any) -> dict[str, Any]:
        text = " / ".join(m.content for m in state["messages"])
        summary = System(f"summary: {text}", id="summary")
        return {"messages": [Remove(id=lib.REMOVE_ALL_MESSAGES), summary]}

    def reply(state: Any) -> dict[str, Any]:
        return {"messages": [{"role": "assistant", "content": "ok", "id": "r"}]}

    builder = lib.StateGraph(lib.MessagesState)
    builder.add_sequence([summarise, reply])
    builder.add_edge(lib.START, "summarise")
    return builder.compile()


@case({"messages": [Human("hi", id="h")]})
def build_edit_by_id(lib: ChatLib) -> Any:
    def draft(state: Any) -> dict[str, Any]:
        return {"messages": AI("drft", id="d")}

    def fix(state: Any) -> dict[str, Any]:
        return {"messages": [AI("draft, fixed", id="d"), Human("thanks", id="h2")]}

    builder = lib.StateGraph(lib.MessagesState)
    builder.add_sequence([draft, fix])
    builder.add_edge(lib.START, "draft")
    return builder.compile()


@case({"messages": [Human("go", id="h")], "turns": 0})
def build_subclass_with_a_counter(lib: ChatLib) -> Any:
    class Chat(lib.MessagesState):  # type: ignore[name-defined, misc]
        turns: int

    def bot(state: Any) -> dict[str, Any]:
        turns = state["turns"] + 1
        return {"messages": [AI(f"turn {turns}", id=f"t{turns}")], "turns": turns}

    builder = lib.StateGraph(Chat)
    builder.add_node("bot", bot)
    builder.add_edge(lib.START, "bot")
    builder.add_conditional_edges("bot", lambda s: "bot" if s["turns"] < 3 else lib.END)
    return builder.compile()


@case({"messages": [Human("start", id="h")]})
def build_fan_out_and_join(lib: ChatLib) -> Any:
    def left(state: Any) -> dict[str, Any]:
        return {"messages": AI("left", id="l")}

    def right(state: Any) -> dict[str, Any]:
        return {"messages": [AI("right", id="r"), Remove(id="h")]}

    def join(state: Any) -> dict[str, Any]:
        return {"messages": AI("+".join(sorted(m.content for m in state["messages"])), id="j")}

    builder = lib.StateGraph(lib.MessagesState)
    builder.add_node("left", left)
    builder.add_node("right", right)
    builder.add_node("join", join)
    builder.add_edge(lib.START, "left")
    builder.add_edge(lib.START, "right")
    builder.add_edge(["left", "right"], "join")
    return builder.compile()


@case({"messages": [{"role": "user", "content": [{"type": "text", "text": "look"}]}]})
def build_openai_format(lib: ChatLib) -> Any:
    class State(TypedDict):
        messages: Annotated[list, lib.add_messages(format="langchain-openai")]

    def bot(state: Any) -> dict[str, Any]:
        image = {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "AA"},
        }
        return {"messages": [{"role": "assistant", "content": [image]}]}

    builder = lib.StateGraph(State)
    builder.add_node("bot", bot)
    builder.add_edge(lib.START, "bot")
    return builder.compile()


# -- the comparisons -------------------------------------------------------------------------


def run(lib: ChatLib, name: str, how: str) -> Any:
    build, graph_input = CASES[name]
    graph = build(lib)
    if how == "invoke":
        return norm(graph.invoke(graph_input))
    if how == "ainvoke":
        return norm(asyncio.run(graph.ainvoke(graph_input)))
    # Normalised once the run is over: see test_updates_chunk_shows_the_assigned_id.
    chunks = norm(list(graph.stream(graph_input, stream_mode=["values", "updates"])))
    values = [chunk for mode, chunk in chunks if mode == "values"]
    # Writes of one step stream in completion order: compare the updates as a multiset.
    updates = sorted(repr(chunk) for mode, chunk in chunks if mode == "updates")
    return values, updates


@pytest.mark.langgraph
@pytest.mark.parametrize("how", ["invoke", "ainvoke", "stream"])
@pytest.mark.parametrize("name", CASES)
def test_same_messages_as_langgraph(name: str, how: str) -> None:
    assert run(NBPREGEL, name, how) == run(langgraph_lib(), name, how)


@pytest.mark.langgraph
def test_updates_chunk_shows_the_assigned_id() -> None:
    for lib in (langgraph_lib(), NBPREGEL):
        build, graph_input = CASES["trim_then_reply"]
        stream = build(lib).stream(graph_input, stream_mode="updates")
        reply = next(chunk["reply"]["messages"] for chunk in stream if "reply" in chunk)
        assert is_uuid4(reply.id), f"{lib.name}: the reply's id is {reply.id!r} when yielded"


def test_the_cases_really_exercise_removals() -> None:
    _, updates = run(NBPREGEL, "remove_all_and_summarise", "stream")
    assert any("RemoveMessage" in update and "__remove_all__" in update for update in updates)
    final = run(NBPREGEL, "trim_then_reply", "invoke")["messages"]
    assert [m[1] for m in final] == ["h2", "a2", ASSIGNED]


def _remove_unknown(lib: ChatLib) -> Any:
    builder = lib.StateGraph(lib.MessagesState)
    builder.add_node("x", lambda state: {"messages": [Remove(id="nope")]})
    builder.add_edge(lib.START, "x")
    return builder.compile()


@pytest.mark.langgraph
def test_removing_an_unknown_id_fails_in_both() -> None:
    with pytest.raises(ValueError, match="nope"):
        _remove_unknown(langgraph_lib()).invoke({"messages": "hi"})
    # nbpregel's channel wraps reducer errors in InvalidUpdateError, which names the channel.
    with pytest.raises(InvalidUpdateError, match=r"channel 'messages'.*'nope'"):
        _remove_unknown(NBPREGEL).invoke({"messages": "hi"})


def test_messages_state_key_gets_the_reducer() -> None:
    channels = NBPREGEL.StateGraph(NBPREGEL.MessagesState).channels
    assert channels["messages"].operator is nbpregel.graph.add_messages
    bound = build_openai_format(NBPREGEL).builder.channels["messages"].operator
    assert bound.keywords == {"format": "langchain-openai"}
