"""``stream_mode="messages"``: the messages nodes return, as ``(message, metadata)`` chunks,
compared with LangGraph's; and plain dict messages when LangChain is not loaded."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from typing import Annotated, Any, TypedDict

import pytest

pytest.importorskip("langchain_core", reason="LangChain message objects are compared here")

from langchain_core.messages import AIMessage, HumanMessage, RemoveMessage

from nbpregel.graph.message import add_messages

pytestmark = pytest.mark.timeout(60)
LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]


def graph_parts(lib: str) -> tuple[Any, Any, Any, Any]:
    if lib == "nbpregel":
        from nbpregel import START, Command, StateGraph
        from nbpregel.graph import MessagesState
    else:
        from langgraph.graph import START, MessagesState, StateGraph
        from langgraph.types import Command
    return StateGraph, START, MessagesState, Command


def chat_graph(lib: str) -> Any:
    """A line of nodes returning messages in the ways nodes do."""
    StateGraph, START, MessagesState, Command = graph_parts(lib)

    def agent(state: Any) -> dict[str, Any]:
        return {"messages": [AIMessage(content="a1", id="a1")]}

    def whole(state: Any) -> dict[str, Any]:  # the list it got, plus one
        return {"messages": [*state["messages"], AIMessage(content="w1", id="w1")]}

    def no_id(state: Any) -> dict[str, Any]:
        return {"messages": AIMessage(content="no id")}

    def remove(state: Any) -> dict[str, Any]:
        return {"messages": [RemoveMessage(id="a1")]}

    def plain(state: Any) -> dict[str, Any]:  # LangGraph streams message objects only
        return {"messages": [{"role": "ai", "content": "dict", "id": "d1"}]}

    def command(state: Any) -> Any:
        return Command(update={"messages": [AIMessage(content="c1", id="c1")]})

    builder = StateGraph(MessagesState)
    names = []
    for node in (agent, whole, no_id, remove, plain, command):
        builder.add_node(node.__name__, node)
        builder.add_edge(names[-1] if names else START, node.__name__)
        names.append(node.__name__)
    return builder.compile()


def seen(chunks: list[Any]) -> list[tuple[Any, ...]]:
    """What a chunk shows, but for ids that differ by library (task ids)."""
    out = []
    for message, metadata in chunks:
        keys = ("langgraph_node", "langgraph_step", "langgraph_triggers", "langgraph_path")
        shown = (type(message).__name__, message.content, message.id and "id")
        out.append((*shown, metadata["ls_integration"], *(metadata[key] for key in keys)))
    return out


@pytest.mark.parametrize("lib", LIBS)
def test_messages_chunks_are_the_messages_nodes_return(lib: str) -> None:
    graph = chat_graph(lib)
    chunks = list(graph.stream({"messages": [HumanMessage("hi", id="h1")]}, stream_mode="messages"))
    shown = seen(chunks)
    # The input's message is not streamed, even when a node returns it again; neither are
    # removals nor dict messages; the message without an id is.
    assert [row[1] for row in shown] == ["a1", "w1", "no id", "c1"]
    assert shown[0][4:] == ("agent", 1, ("branch:to:agent",), ("__pregel_pull", "agent"))
    assert shown[3][4] == "command"
    assert all(
        metadata["langgraph_checkpoint_ns"].startswith(metadata["langgraph_node"] + ":")
        for _, metadata in chunks
    )


@pytest.mark.langgraph
def test_same_messages_chunks_as_langgraph() -> None:
    def run(lib: str) -> list[tuple[Any, ...]]:
        chunks = chat_graph(lib).stream(
            {"messages": [HumanMessage("hi", id="h1")]}, stream_mode=["messages", "updates"]
        )
        return [
            (mode, seen([chunk])[0]) if mode == "messages" else (mode, sorted(chunk))
            for mode, chunk in chunks
        ]

    assert run("nbpregel") == run("langgraph")


def test_without_langchain_plain_dict_messages_are_streamed() -> None:
    script = textwrap.dedent(
        """
        import sys
        from typing import Annotated, TypedDict
        from nbpregel import START, StateGraph
        from nbpregel.graph.message import add_messages

        class Chat(TypedDict):
            messages: Annotated[list, add_messages(format="plain")]

        def reply(state):
            return {"messages": [{"role": "ai", "content": "hello", "id": "r1"}]}

        builder = StateGraph(Chat)
        builder.add_node("reply", reply)
        builder.add_edge(START, "reply")
        chunks = list(builder.compile().stream(
            {"messages": [{"role": "user", "content": "hi", "id": "u1"}]}, stream_mode="messages"
        ))
        assert "langchain_core" not in sys.modules
        print([(m["content"], meta["langgraph_node"]) for m, meta in chunks])
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[('hello', 'reply')]"


def model_graph(lib: str, *, run_async: bool, tags: tuple[str, ...] = ()) -> Any:
    """``agent`` calls a chat model that streams, ``after`` returns a message."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    StateGraph, START, MessagesState, _ = graph_parts(lib)
    model = GenericFakeChatModel(
        messages=iter([AIMessage("hello there friend", id="m1")]), tags=list(tags)
    )

    def agent(state: Any) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    async def agent_async(state: Any) -> dict[str, Any]:
        return {"messages": [await model.ainvoke(state["messages"])]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent_async if run_async else agent)
    builder.add_node("after", lambda state: {"messages": [AIMessage("done", id="d1")]})
    builder.add_edge(START, "agent")
    builder.add_edge("agent", "after")
    return builder.compile()


def model_chunks(lib: str, *, run_async: bool, tags: tuple[str, ...] = ()) -> list[Any]:
    graph = model_graph(lib, run_async=run_async, tags=tags)
    start = {"messages": [HumanMessage("hi", id="h1")]}
    if run_async:

        async def collect() -> list[Any]:
            return [c async for c in graph.astream(start, stream_mode="messages")]

        chunks = asyncio.run(collect())
    else:
        chunks = list(graph.stream(start, stream_mode="messages"))
    shown = []
    for message, metadata in chunks:
        keys = sorted(key for key in metadata if not key.endswith("checkpoint_ns"))
        row = (type(message).__name__, message.content, metadata["langgraph_node"])
        shown.append((*row, keys, metadata.get("ls_provider")))
    return shown


@pytest.mark.langgraph
@pytest.mark.parametrize("run_async", [False, True], ids=["invoke", "ainvoke"])
def test_a_chat_models_tokens_stream_as_chunks_as_in_langgraph(run_async: bool) -> None:
    ours = model_chunks("nbpregel", run_async=run_async)
    assert ours == model_chunks("langgraph", run_async=run_async)
    # The tokens, then the next node's message: the model's whole message is not repeated.
    assert [row[0] for row in ours] == ["AIMessageChunk"] * 5 + ["AIMessage"]
    assert "".join(row[1] for row in ours[:5]) == "hello there friend"


@pytest.mark.langgraph
def test_a_model_tagged_nostream_is_not_streamed() -> None:
    ours = model_chunks("nbpregel", run_async=False, tags=("nostream",))
    assert ours == model_chunks("langgraph", run_async=False, tags=("nostream",))
    assert [(row[0], row[1]) for row in ours] == [
        ("AIMessage", "hello there friend"),
        ("AIMessage", "done"),
    ]


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("subgraphs", [False, True])
def test_a_subgraphs_message_streams_once(lib: str, subgraphs: bool) -> None:
    StateGraph, START, MessagesState, _ = graph_parts(lib)
    inner = StateGraph(MessagesState)
    inner.add_node("say", lambda state: {"messages": [AIMessage("inner", id="i1")]})
    inner.add_edge(START, "say")
    outer = StateGraph(MessagesState)
    outer.add_node("sub", inner.compile())
    outer.add_node("after", lambda state: {"messages": [AIMessage("outer", id="o1")]})
    outer.add_edge(START, "sub")
    outer.add_edge("sub", "after")
    chunks = outer.compile().stream(
        {"messages": [HumanMessage("hi", id="h1")]}, stream_mode="messages", subgraphs=subgraphs
    )
    if subgraphs:  # from the subgraph's namespace, not again from its parent's node
        shown = [(len(ns), message.content) for ns, (message, _) in chunks]
        assert shown == [(1, "inner"), (0, "outer")]
    else:  # from the node that ran the subgraph
        shown = [(meta["langgraph_node"], message.content) for message, meta in chunks]
        assert shown == [("sub", "inner"), ("after", "outer")]


@pytest.mark.langgraph
@pytest.mark.parametrize("subgraphs", [False, True])
def test_a_chat_model_in_a_subgraph_streams_only_with_subgraphs(subgraphs: bool) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

    def run(lib: str) -> list[tuple[Any, ...]]:
        StateGraph, START, MessagesState, _ = graph_parts(lib)
        model = GenericFakeChatModel(messages=iter([AIMessage("a b", id="m1")]))
        inner = StateGraph(MessagesState)
        inner.add_node("say", lambda state: {"messages": [model.invoke(state["messages"])]})
        inner.add_edge(START, "say")
        outer = StateGraph(MessagesState)
        outer.add_node("sub", inner.compile())
        outer.add_edge(START, "sub")
        chunks = outer.compile().stream(
            {"messages": [HumanMessage("hi", id="h1")]},
            stream_mode="messages",
            subgraphs=subgraphs,
        )
        rows = []
        for chunk in chunks:
            ns, (message, metadata) = chunk if subgraphs else ((), chunk)
            rows.append(
                (len(ns), type(message).__name__, message.content, metadata["langgraph_node"])
            )
        return rows

    ours = run("nbpregel")
    assert ours == run("langgraph")
    assert len(ours) == (3 if subgraphs else 1)


class PlainChat(TypedDict):
    messages: Annotated[list[Any], add_messages(format="plain")]
    notes: list[Any]  # not a messages channel: its dicts are not messages


def test_a_plain_format_channel_streams_its_dict_messages_with_langchain_loaded() -> None:
    from nbpregel import START, StateGraph

    def reply(state: PlainChat) -> dict[str, Any]:
        message = {"role": "ai", "content": "hello", "id": "r1"}
        return {"messages": [message], "notes": [dict(message, id="n1")]}

    builder = StateGraph(PlainChat)
    builder.add_node("reply", reply)
    builder.add_edge(START, "reply")
    start = {"messages": [{"role": "user", "content": "hi", "id": "u1"}], "notes": []}
    chunks = list(builder.compile().stream(start, stream_mode="messages"))
    assert [(message["id"], meta["langgraph_node"]) for message, meta in chunks] == [
        ("r1", "reply")
    ]
