"""``astream_events(version="v2")``, side by side with LangGraph on the same scenarios.

Each scenario builds the same graph with nbpregel and with LangGraph and runs both through
``astream_events``. The events are compared after ``normalized``: run ids become ordinals
(the order runs first appear), so a start and its end share an ordinal and ``parent_ids``
must chain to the graph's run the same way on both sides; task ids inside namespaces are
dropped; ``Interrupt`` and ``Command`` objects (one class per library) become plain tuples.
Everything else is compared as is: event, name, tags, the whole metadata, and the data.

LangGraph also shows its routing functions as runs inside the node; nbpregel does not (see
the method's docstring): those runs are left out of LangGraph's side (``ROUTE``).
"""

from __future__ import annotations

import asyncio
import operator
import subprocess
import sys
import types
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, TypedDict

import pytest

pytest.importorskip("langgraph")
pytest.importorskip("langchain_core")

import langgraph.checkpoint.memory
import langgraph.config
import langgraph.func
import langgraph.graph
import langgraph.types
from langchain_core.callbacks import (
    BaseCallbackHandler,
    adispatch_custom_event,
    dispatch_custom_event,
)
from langchain_core.documents import Document
from langchain_core.language_models import BaseChatModel, FakeListLLM
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from pydantic import PrivateAttr

import nbpregel
import nbpregel.checkpoint.memory
import nbpregel.func
import nbpregel.graph
from nbpregel.pregel import _model_tokens

pytestmark = [pytest.mark.langgraph, pytest.mark.timeout(60)]

ROUTE = "route"
"""The name of the routing functions below (LangGraph's runs of them are left out)."""


def library(name: str) -> types.SimpleNamespace:
    """The names a scenario builds a graph from, from nbpregel or from LangGraph."""
    if name == "nbpregel":
        return types.SimpleNamespace(
            StateGraph=nbpregel.graph.StateGraph,
            MessagesState=nbpregel.graph.MessagesState,
            START=nbpregel.START,
            END=nbpregel.END,
            Send=nbpregel.Send,
            Command=nbpregel.Command,
            interrupt=nbpregel.interrupt,
            get_stream_writer=nbpregel.get_stream_writer,
            saver=nbpregel.checkpoint.memory.InMemorySaver,
            entrypoint=nbpregel.func.entrypoint,
            task=nbpregel.func.task,
        )
    return types.SimpleNamespace(
        StateGraph=langgraph.graph.StateGraph,
        MessagesState=langgraph.graph.MessagesState,
        START=langgraph.graph.START,
        END=langgraph.graph.END,
        Send=langgraph.types.Send,
        Command=langgraph.types.Command,
        interrupt=langgraph.types.interrupt,
        get_stream_writer=langgraph.config.get_stream_writer,
        saver=langgraph.checkpoint.memory.InMemorySaver,
        entrypoint=langgraph.func.entrypoint,
        task=langgraph.func.task,
    )


LIBS = [library("nbpregel"), library("langgraph")]


# -- a chat model that streams scripted tokens -------------------------------------------


class ScriptedChatModel(BaseChatModel):
    """Answers each call with the next scripted reply, token by token when streamed."""

    replies: list[list[str]]
    _calls: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _tokens(self) -> tuple[str, list[str]]:
        index = self._calls
        self._calls += 1
        return f"reply-{index}", self.replies[index % len(self.replies)]

    def _generate(self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any) -> Any:
        reply_id, tokens = self._tokens()
        message = AIMessage("".join(tokens), id=reply_id)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _chunks(self) -> Iterator[ChatGenerationChunk]:
        reply_id, tokens = self._tokens()
        for index, token in enumerate(tokens):
            last = index == len(tokens) - 1
            chunk = AIMessageChunk(
                content=token, id=reply_id, chunk_position="last" if last else None
            )
            yield ChatGenerationChunk(message=chunk)

    def _stream(
        self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any
    ) -> Iterator[ChatGenerationChunk]:
        yield from self._chunks()

    async def _astream(
        self, messages: list[BaseMessage], stop: Any = None, **kwargs: Any
    ) -> AsyncIterator[ChatGenerationChunk]:
        for chunk in self._chunks():
            await asyncio.sleep(0)
            yield chunk


def scripted() -> ScriptedChatModel:
    return ScriptedChatModel(replies=[["Hello", " there", "!"], ["Fine", " thanks"]])


# -- normalising and checking events ------------------------------------------------------


def _ns(value: Any) -> Any:
    """A namespace without its task ids: ``sub:abc|inner:def`` -> ``sub|inner``."""
    if not isinstance(value, str):
        return value
    return "|".join(part.split(":")[0] for part in value.split("|"))


def plain(value: Any) -> Any:
    """``value`` with each library's own classes (interrupts, commands) made plain."""
    kind = type(value).__name__
    if kind == "Interrupt":
        return ("Interrupt", plain(value.value))
    if kind == "Command":
        return ("Command", plain(value.resume), plain(value.update), plain(value.goto))
    if isinstance(value, BaseException):
        return (kind, str(value))
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(plain(item) for item in value)
    return value


def normalized(events: list[dict[str, Any]], leave_out: tuple[str, ...] = ()) -> list[tuple]:
    """The events as comparable tuples (see the module doc); runs named in ``leave_out``
    are dropped."""
    ordinals: dict[str, int] = {}
    rows = []
    for event in events:
        if event["name"] in leave_out:
            continue
        ordinal = ordinals.setdefault(event["run_id"], len(ordinals))
        parents = [ordinals.get(parent, "?") for parent in event["parent_ids"]]
        metadata = {
            key: _ns(value) if key.endswith("checkpoint_ns") else value
            for key, value in event["metadata"].items()
        }
        rows.append(
            (
                event["event"],
                event["name"],
                ordinal,
                parents,
                event["tags"],
                metadata,
                plain(event["data"]),
            )
        )
    return rows


def check_runs(events: list[dict[str, Any]]) -> None:
    """Run ids are consistent: every run but the graph's has the graph's run first in its
    ``parent_ids``, its parents started before it, and a run's events share name and parents;
    each run starts once and ends at most once, after its start."""
    root = events[0]["run_id"]
    started: dict[str, tuple[str, list[str]]] = {}
    ended: set[str] = set()
    for event in events:
        run_id, kind = event["run_id"], event["event"]
        if kind == "on_custom_event":
            assert run_id in started, "a custom event names the run that dispatched it"
            continue
        if kind.endswith("_start"):
            assert run_id not in started
            for parent in event["parent_ids"]:
                assert parent in started, "a parent run starts before its children"
            started[run_id] = (event["name"], event["parent_ids"])
        else:
            assert started[run_id] == (event["name"], event["parent_ids"])
            assert run_id not in ended
            if kind.endswith("_end"):
                ended.add(run_id)
        if run_id != root:
            assert event["parent_ids"][0] == root


async def events_of(graph: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    return [event async for event in graph.astream_events(*args, version="v2", **kwargs)]


async def side_by_side(
    build: Any, *args: Any, filtered: bool = False, **kwargs: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events of ``build(lib)``'s graph run by nbpregel and by LangGraph (their run ids
    checked unless the events are ``filtered``: parents may then be left out)."""
    ours = await events_of(build(LIBS[0]), *args, **kwargs)
    theirs = await events_of(build(LIBS[1]), *args, **kwargs)
    if not filtered:
        check_runs(ours)
        check_runs(theirs)
    return ours, theirs


def assert_same(ours: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> None:
    expected = normalized(theirs, leave_out=(ROUTE,))
    got = normalized(ours)
    assert [row[:2] for row in got] == [row[:2] for row in expected]
    for mine, reference in zip(got, expected, strict=True):
        assert mine == reference


# -- graphs ---------------------------------------------------------------------------------


class Counting(TypedDict):
    x: int
    log: Annotated[list[str], operator.add]


def plain_graph(lib: Any, checkpointer: Any = None) -> Any:
    def first(state: Counting) -> dict[str, Any]:
        return {"x": state["x"] + 1, "log": ["first"]}

    def second(state: Counting) -> dict[str, Any]:
        return {"x": state["x"] * 2, "log": ["second"]}

    def route(state: Counting) -> str:
        return "second" if state["x"] < 5 else lib.END

    builder = lib.StateGraph(Counting)
    builder.add_node("first", first, metadata={"team": "blue"})
    builder.add_node("second", second)
    builder.add_edge(lib.START, "first")
    builder.add_conditional_edges("first", route, ["second", lib.END])
    builder.add_edge("second", lib.END)
    return builder.compile(checkpointer=checkpointer)


def model_graph(how: str) -> Any:
    """A graph whose node calls the scripted model: ``how`` it calls it."""

    def build(lib: Any) -> Any:
        model = scripted()

        async def ainvoke(state: Any) -> Any:
            return {"messages": [await model.ainvoke(state["messages"])]}

        def invoke(state: Any) -> Any:
            return {"messages": [model.invoke(state["messages"])]}

        def with_config(state: Any, config: RunnableConfig) -> Any:
            return {"messages": [model.invoke(state["messages"], config)]}

        def stream(state: Any) -> Any:
            chunks = list(model.stream(state["messages"]))
            whole = chunks[0]
            for chunk in chunks[1:]:
                whole = whole + chunk
            return {"messages": [AIMessage(whole.content, id=whole.id)]}

        node = {"ainvoke": ainvoke, "invoke": invoke, "config": with_config, "stream": stream}
        builder = lib.StateGraph(lib.MessagesState)
        builder.add_node("agent", node[how])
        builder.add_node("after", invoke)
        builder.add_edge(lib.START, "agent")
        builder.add_edge("agent", "after")
        return builder.compile()

    return build


HI = {"messages": [HumanMessage("hi", id="h1")]}


# -- the graph's and its nodes' runs --------------------------------------------------------


async def test_a_plain_graph_streams_its_run_and_its_nodes_runs_as_langgraph() -> None:
    config = {"tags": ["mine"], "metadata": {"who": "me"}}
    ours, theirs = await side_by_side(plain_graph, {"x": 1, "log": []}, config)
    assert_same(ours, theirs)
    assert [e["name"] for e in theirs if e["name"] == ROUTE], "LangGraph shows its router"
    assert ours[-1]["data"] == {"output": {"x": 4, "log": ["first", "second"]}}


async def test_run_name_run_id_and_stream_mode_shape_the_graphs_run() -> None:
    root = uuid.UUID(int=7)
    config = {"run_name": "counting", "run_id": root, "configurable": {"thread_id": "t"}}
    ours, theirs = await side_by_side(
        plain_graph,
        {"x": 1, "log": []},
        config,
        stream_mode=["values", "updates"],
        include_names=["counting"],
        filtered=True,
    )
    assert_same(ours, theirs)
    assert {e["run_id"] for e in ours} == {str(root)}
    assert ours[0]["metadata"] == {"thread_id": "t", "ls_integration": "langgraph"}


async def test_astream_arguments_go_to_the_run() -> None:
    config = {"configurable": {"thread_id": "b"}}
    ours, theirs = await side_by_side(
        lambda lib: plain_graph(lib, lib.saver()),
        {"x": 1, "log": []},
        config,
        interrupt_before=["second"],
        durability="exit",
    )
    assert_same(ours, theirs)
    assert ours[-2]["data"] == {"chunk": {"__interrupt__": ()}}
    assert ours[-1]["data"] == {"output": {"x": 2, "log": ["first"]}}


async def test_the_configs_callbacks_see_langchains_runs_inside_nodes() -> None:
    class Names(BaseCallbackHandler):
        def __init__(self) -> None:
            self.started: list[str] = []

        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            self.started.append(kwargs["metadata"]["langgraph_node"])

    names = Names()
    graph = model_graph("invoke")(LIBS[0])
    events = await events_of(graph, HI, {"callbacks": [names]})
    assert names.started == ["agent", "after"]
    assert [e["event"] for e in events].count("on_chat_model_start") == 2


async def test_send_tasks_each_have_a_run() -> None:
    def build(lib: Any) -> Any:
        def route(state: Counting) -> list[Any]:
            return [lib.Send("work", {"x": n, "log": []}) for n in range(3)]

        def work(state: Counting) -> dict[str, Any]:
            return {"log": [f"w{state['x']}"]}

        builder = lib.StateGraph(Counting)
        builder.add_node("work", work)
        builder.add_conditional_edges(lib.START, route, ["work"])
        return builder.compile()

    ours, theirs = await side_by_side(build, {"x": 0, "log": []})

    def runs(events: list[dict[str, Any]]) -> Counter[tuple]:
        """Each run's events (parallel tasks interleave and finish as they happen to)."""
        by_run: dict[str, list[tuple]] = {}
        for event in events:
            if event["name"] == ROUTE:
                continue
            data = plain(event["data"])
            by_run.setdefault(event["run_id"], []).append(
                (event["event"], event["name"], tuple(event["tags"]), repr(data))
            )
        # A run's stream events in any order: the graph's follow its tasks' completions.
        return Counter((rows[0], tuple(sorted(rows[1:-1])), rows[-1]) for rows in by_run.values())

    assert runs(ours) == runs(theirs)
    pushes = [e for e in ours if e["name"] == "work" and e["event"] == "on_chain_start"]
    assert {e["metadata"]["langgraph_triggers"] for e in pushes} == {("__pregel_push",)}
    assert "__start__" in {e["name"] for e in theirs} & {e["name"] for e in ours}


async def test_an_entrypoint_and_its_task_calls_have_runs() -> None:
    def build(lib: Any) -> Any:
        @lib.task
        def double(x: int) -> int:
            return x * 2

        @lib.entrypoint()
        def flow(x: int) -> int:
            return double(x).result() + 1

        return flow

    ours, theirs = await side_by_side(build, 3)

    def split(events: list[dict[str, Any]]) -> tuple[list[tuple], list[Any]]:
        """The runs' events, and the graph's stream chunks apart: a call's update reaches the
        graph's stream when the driver hands it out, which races the caller's own end."""
        rows = normalized(events)
        root_chunks = [row[6] for row in rows if row[0] == "on_chain_stream" and row[2] == 0]
        return [row for row in rows if not (row[0] == "on_chain_stream" and row[2] == 0)], (
            root_chunks
        )

    (our_runs, our_chunks), (their_runs, their_chunks) = split(ours), split(theirs)
    assert our_chunks == their_chunks == [{"chunk": {"double": 6}}, {"chunk": {"flow": 7}}]
    for mine, reference in zip(our_runs, their_runs, strict=True):
        if mine[1] == "double":  # nbpregel's path and namespace of a call are its own
            for row in (mine, reference):
                row[5].pop("langgraph_path")
                row[5].pop("langgraph_checkpoint_ns")
        assert mine == reference


# -- LangChain's runs inside nodes ------------------------------------------------------------


@pytest.mark.parametrize("how", ["ainvoke", "invoke", "config", "stream"])
async def test_a_chat_model_in_a_node_streams_its_tokens_as_langgraph(how: str) -> None:
    ours, theirs = await side_by_side(model_graph(how), HI)
    assert_same(ours, theirs)
    tokens = [
        e["data"]["chunk"].content
        for e in ours
        if e["event"] == "on_chat_model_stream" and e["metadata"]["langgraph_node"] == "agent"
    ]
    assert tokens == ["Hello", " there", "!"]


class Shelf(BaseRetriever):
    """A retriever finding one document: the query."""

    def _get_relevant_documents(self, query: str, *, run_manager: Any) -> list[Document]:
        return [Document(page_content=f"about {query}")]


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def broken(why: str) -> str:
    """Fail."""
    raise ValueError(f"broken: {why}")


async def test_custom_events_prompts_chains_tools_and_retrievers_match_langgraph() -> None:

    def build(lib: Any) -> Any:
        model = scripted().with_config(tags=["model"])
        chain = ChatPromptTemplate.from_messages([("system", "be brief"), ("human", "{q}")]) | model

        async def agent(state: Any) -> Any:
            await adispatch_custom_event("progress", {"done": 0.5})
            reply = None
            async for chunk in chain.astream({"q": state["messages"][-1].content}):
                reply = chunk if reply is None else reply + chunk
            total = await add.ainvoke({"a": 1, "b": 2})
            return {"messages": [AIMessage(f"{reply.content} {total}", id="final")]}

        def note(state: Any, config: RunnableConfig) -> Any:
            dispatch_custom_event("sync_note", {"n": len(state["messages"])}, config=config)
            return {"messages": [AIMessage("noted", id="noted")]}

        def look_up(state: Any) -> Any:
            found = Shelf().invoke("pregel")
            text = FakeListLLM(responses=["summary"]).invoke(found[0].page_content)
            try:
                broken.invoke({"why": "testing"})
            except ValueError:
                pass
            return {"messages": [AIMessage(text, id="looked")]}

        builder = lib.StateGraph(lib.MessagesState)
        builder.add_node("agent", agent)
        builder.add_node("note", note)
        builder.add_node("look_up", look_up)
        builder.add_edge(lib.START, "agent")
        builder.add_edge("agent", "note")
        builder.add_edge("note", "look_up")
        return builder.compile()

    ours, theirs = await side_by_side(build, HI)
    assert_same(ours, theirs)
    kinds = {e["event"] for e in ours}
    assert {
        "on_custom_event",
        "on_prompt_start",
        "on_tool_end",
        "on_tool_error",
        "on_chat_model_stream",
        "on_retriever_end",
        "on_llm_end",
    } <= kinds


async def test_a_subgraph_node_holds_the_subgraphs_run_and_its_nodes_runs() -> None:
    def build(lib: Any) -> Any:
        model = scripted()

        async def inner(state: Any) -> Any:
            return {"messages": [await model.ainvoke(state["messages"])]}

        child = lib.StateGraph(lib.MessagesState)
        child.add_node("inner", inner)
        child.add_edge(lib.START, "inner")
        parent = lib.StateGraph(lib.MessagesState)
        parent.add_node("sub", child.compile())
        parent.add_edge(lib.START, "sub")
        return parent.compile()

    ours, theirs = await side_by_side(build, HI)
    assert_same(ours, theirs)
    model_start = next(e for e in ours if e["event"] == "on_chat_model_start")
    assert len(model_start["parent_ids"]) == 4  # graph, node, subgraph, inner node
    assert _ns(model_start["metadata"]["langgraph_checkpoint_ns"]) == "sub|inner"


# -- pauses, errors, filters ------------------------------------------------------------------


async def test_an_interrupt_ends_the_graphs_run_and_a_resume_starts_a_new_one() -> None:
    def build(lib: Any) -> Any:
        def ask(state: Counting) -> dict[str, Any]:
            return {"x": state["x"] + lib.interrupt("how much?")}

        builder = lib.StateGraph(Counting)
        builder.add_node("ask", ask)
        builder.add_edge(lib.START, "ask")
        return builder.compile(checkpointer=lib.saver())

    graphs = [build(lib) for lib in LIBS]
    config = {"configurable": {"thread_id": "1"}, "tags": ["t"]}
    first = [await events_of(graph, {"x": 1, "log": []}, config) for graph in graphs]
    resumed = [
        await events_of(graph, lib.Command(resume=10), config)
        for graph, lib in zip(graphs, LIBS, strict=True)
    ]
    for ours, theirs in (first, resumed):
        check_runs(ours)
        assert_same(ours, theirs)
    assert first[0][-1]["data"] == {"output": {"x": 1, "log": []}}
    assert [e["event"] for e in first[0] if e["name"] == "ask"] == ["on_chain_start"]
    assert resumed[0][-1]["data"] == {"output": {"x": 11, "log": []}}


async def test_a_failing_node_sends_its_start_and_the_error_is_raised_after() -> None:
    def build(lib: Any) -> Any:
        def boom(state: Counting) -> dict[str, Any]:
            raise KeyError("no such thing")

        builder = lib.StateGraph(Counting)
        builder.add_node("boom", boom)
        builder.add_edge(lib.START, "boom")
        return builder.compile()

    seen: list[list[dict[str, Any]]] = []
    for lib in LIBS:
        events: list[dict[str, Any]] = []
        with pytest.raises(KeyError, match="no such thing"):
            async for event in build(lib).astream_events({"x": 1, "log": []}, version="v2"):
                events.append(event)
        seen.append(events)
    assert_same(*seen)
    assert [(e["event"], e["name"]) for e in seen[0]] == [
        ("on_chain_start", "LangGraph"),
        ("on_chain_start", "boom"),
    ]


FILTERS = {
    "chat models": {"include_types": ["chat_model"]},
    "a node by name": {"include_names": ["agent"]},
    "by tag": {"include_tags": ["graph:step:2"]},
    "no chains": {"exclude_types": ["chain"]},
    "names and excluded tags": {"include_names": ["agent", "after"], "exclude_tags": ["x"]},
}


@pytest.mark.parametrize("filters", list(FILTERS.values()), ids=list(FILTERS))
async def test_filters_keep_the_events_langgraph_keeps(filters: dict[str, Any]) -> None:
    ours, theirs = await side_by_side(model_graph("ainvoke"), HI, filtered=True, **filters)

    def kept(events: list[dict[str, Any]]) -> list[tuple]:
        # LangChain gives the first event it lets through the graph's input as data.input
        # (and drops the input from that run's end): a quirk nbpregel does not copy.
        return [(e["event"], e["name"], e["tags"], e["parent_ids"] != []) for e in events]

    assert kept(ours) == kept(theirs)
    assert ours, "each filter keeps something"


def test_a_custom_events_type_is_its_name_for_the_filters() -> None:
    async def run() -> list[str]:
        async def node(state: Counting) -> dict[str, Any]:
            await adispatch_custom_event("beep", 1)
            await adispatch_custom_event("boop", 2)
            return {"x": 1}

        builder = nbpregel.graph.StateGraph(Counting)
        builder.add_node("node", node)
        builder.add_edge(nbpregel.START, "node")
        events = await events_of(builder.compile(), {"x": 0, "log": []}, include_types=["boop"])
        return [e["name"] for e in events]

    assert asyncio.run(run()) == ["boop"]


# -- the method's own contract ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "error", "message"),
    [("v1", NotImplementedError, "version='v2'"), ("v3", ValueError, "must be 'v2'")],
)
async def test_only_v2_is_streamed(version: str, error: type[Exception], message: str) -> None:
    graph = plain_graph(LIBS[0])
    with pytest.raises(error, match=message):
        async for _ in graph.astream_events({"x": 1, "log": []}, version=version):
            pass


async def test_stream_mode_messages_streams_the_tokens_in_the_graphs_chunks() -> None:
    ours, theirs = await side_by_side(
        model_graph("ainvoke"),
        HI,
        filtered=True,
        stream_mode="messages",
        include_names=["LangGraph"],
    )

    def tokens(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
        return [
            (type(message).__name__, message.content, metadata["langgraph_node"])
            for e in events
            if e["event"] == "on_chain_stream"
            for message, metadata in [e["data"]["chunk"]]
        ]

    assert tokens(ours) == tokens(theirs)
    assert len(tokens(ours)) >= 3


async def test_leaving_early_stops_the_run() -> None:
    release = asyncio.Event()

    async def slow(state: Counting) -> dict[str, Any]:
        await release.wait()
        return {"x": 2}

    builder = nbpregel.graph.StateGraph(Counting)
    builder.add_node("slow", slow)
    builder.add_node("never", lambda state: {"x": 3})
    builder.add_edge(nbpregel.START, "slow")
    builder.add_edge("slow", "never")
    graph = builder.compile()
    names = []
    async for event in graph.astream_events({"x": 1, "log": []}, version="v2"):
        names.append(event["name"])
        if event["name"] == "slow":
            break
    release.set()
    await asyncio.sleep(0.05)
    assert names == ["LangGraph", "slow"]
    again = await events_of(graph, {"x": 1, "log": []})
    assert again[-1]["data"] == {"output": {"x": 3, "log": []}}


def test_runs_that_do_not_stream_events_do_not_wrap_their_nodes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only a run streaming ``messages`` asks the event wrapper, and it declines (no events
    run): the tokens still go to the ``messages`` stream."""
    calls: list[Any] = []
    real = _model_tokens.event_wrapper

    def counting(*args: Any) -> Any:
        result = real(*args)
        calls.append(result)
        return result

    monkeypatch.setattr(_model_tokens, "event_wrapper", counting)
    graph = model_graph("invoke")(LIBS[0])
    graph.invoke(HI)
    assert calls == []
    chunks = list(graph.stream(HI, stream_mode="messages"))
    assert calls == [None, None, None]  # the input's task, "agent" and "after"
    assert [m.content for m, _ in chunks][:3] == ["Hello", " there", "!"]


def test_without_langchain_the_graph_and_its_nodes_still_stream_events() -> None:
    script = """
import asyncio, sys
sys.modules["langchain_core"] = None  # as if it were not installed
from nbpregel import START
from nbpregel.graph import StateGraph
from typing import TypedDict
class S(TypedDict):
    x: int
b = StateGraph(S)
b.add_node("double", lambda s: {"x": s["x"] * 2})
b.add_edge(START, "double")
async def main():
    return [(e["event"], e["name"]) async for e in b.compile().astream_events({"x": 1})]
print(asyncio.run(main()))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == str(
        [
            ("on_chain_start", "LangGraph"),
            ("on_chain_start", "double"),
            ("on_chain_stream", "double"),
            ("on_chain_end", "double"),
            ("on_chain_stream", "LangGraph"),
            ("on_chain_end", "LangGraph"),
        ]
    )
