"""``create_react_agent``: the loop, its two versions, prompts, tool binding, ``return_direct``
and the drawing, run by nbpregel and LangGraph with the same scripted chat model.

No ``from __future__ import annotations``: LangChain reads the tools' annotations.
"""

from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="the agent runs LangChain chat models and tools")

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate

from nbpregel.errors import GraphValidationError
from nbpregel.prebuilt import create_react_agent

from .fake_chat import ScriptedChatModel, add, call, publish, strip_ids
from .libs import LIBS, edges, in_call_order, lib_of, shown

pytestmark = pytest.mark.timeout(60)
START_INPUT = {"messages": [HumanMessage("what is 1+2 and 3+4?", id="h1")]}


def two_calls() -> ScriptedChatModel:
    """Asks for two additions at once, then answers."""
    ask = AIMessage(
        "", id="ask", tool_calls=[call("add", "c1", a=1, b=2), call("add", "c2", a=3, b=4)]
    )
    return ScriptedChatModel(replies=[ask, AIMessage("3 and 7", id="answer")])


def run_both(make_model: Any, tools: list[Any], **kwargs: Any) -> dict[str, Any]:
    """Each library's updates stream, final messages, what the model saw and was bound to,
    and the drawing."""
    results = {}
    for lib in ("nbpregel", "langgraph"):
        model = make_model()
        agent = lib_of(lib).create_react_agent(model, tools, **kwargs)
        updates = in_call_order(strip_ids(list(agent.stream(START_INPUT, stream_mode="updates"))))
        final = shown(agent.invoke(START_INPUT)["messages"]) if len(model.replies) > 1 else None
        seen = [shown(messages) for messages in model.record.inputs]
        results[lib] = (updates, seen, model.record.bound, edges(agent), final)
    return results


@pytest.mark.parametrize("lib", LIBS)
def test_the_loop_runs_the_tools_and_ends_with_the_answer(lib: str) -> None:
    model = two_calls()
    agent = lib_of(lib).create_react_agent(model, [add])
    result = agent.invoke(START_INPUT)
    assert list(result) == ["messages"]  # remaining_steps is never part of the output
    messages = result["messages"]
    assert shown(messages) == [
        ("HumanMessage", "what is 1+2 and 3+4?"),
        ("AIMessage", ""),
        ("ToolMessage", "3"),
        ("ToolMessage", "7"),
        ("AIMessage", "3 and 7"),
    ]
    assert [m.tool_call_id for m in messages[2:4]] == ["c1", "c2"]
    assert model.record.bound == [["add"]]  # bound once, when the agent was made
    assert [len(seen) for seen in model.record.inputs] == [1, 4]


@pytest.mark.langgraph
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_parallel_calls_stream_as_langgraphs(version: str) -> None:
    results = run_both(two_calls, [add], version=version)
    assert results["nbpregel"] == results["langgraph"]
    nodes = [next(iter(chunk)) for chunk in results["nbpregel"][0]]
    # v1: one tools task runs both calls; v2: one task per call, sent with Send.
    expected_tools = ["tools"] if version == "v1" else ["tools", "tools"]
    assert nodes == ["agent", *expected_tools, "agent"]


def test_v2_sends_each_call_to_its_own_task() -> None:
    agent = create_react_agent(two_calls(), [add], version="v2")
    chunks = list(agent.stream(START_INPUT, stream_mode="tasks"))
    tools_inputs = [c["input"] for c in chunks if c.get("name") == "tools" and "input" in c]
    assert [task["tool_call"]["id"] for task in tools_inputs] == ["c1", "c2"]
    assert all(task["__type"] == "tool_call_with_context" for task in tools_inputs)


def system_prompt(state: dict[str, Any]) -> list[Any]:
    return [SystemMessage("from a function"), *state["messages"]]


PROMPTS = {
    "str": "be terse",
    "system_message": SystemMessage("be terse"),
    "function": system_prompt,
    "runnable": ChatPromptTemplate.from_messages(
        [("system", "from a template"), ("placeholder", "{messages}")]
    ),
}


@pytest.mark.langgraph
@pytest.mark.parametrize("prompt", PROMPTS.values(), ids=PROMPTS.keys())
def test_prompt_forms_reach_the_model_as_in_langgraph(prompt: Any) -> None:
    results = run_both(two_calls, [add], prompt=prompt)
    assert results["nbpregel"] == results["langgraph"]
    first_seen = results["nbpregel"][1][0]
    assert first_seen[0][0] == "SystemMessage"
    assert first_seen[1:] == [("HumanMessage", "what is 1+2 and 3+4?")]


def test_a_prompt_of_another_type_is_refused() -> None:
    with pytest.raises(GraphValidationError, match=r"prompt=42 .* is not a prompt"):
        create_react_agent(two_calls(), [add], prompt=42)


@pytest.mark.parametrize("lib", LIBS)
def test_a_model_bound_already_is_not_bound_again(lib: str) -> None:
    model = two_calls()
    bound = model.bind_tools([add])
    agent = lib_of(lib).create_react_agent(bound, [add])
    assert agent.invoke(START_INPUT)["messages"][-1].content == "3 and 7"
    assert model.record.bound == [["add"]]  # only our own bind_tools call


@pytest.mark.parametrize("lib", LIBS)
def test_a_model_bound_to_other_tools_is_refused(lib: str) -> None:
    model = two_calls()
    with pytest.raises(ValueError, match="publish"):
        lib_of(lib).create_react_agent(model.bind_tools([add]), [publish])
    with pytest.raises(ValueError, match="1"):
        lib_of(lib).create_react_agent(model.bind_tools([add]), [add, publish])


def test_binding_errors_say_what_to_do() -> None:
    model = two_calls()
    with pytest.raises(GraphValidationError, match=r"\['publish'\] are not bound .* bind the same"):
        create_react_agent(model.bind_tools([add]), [publish])
    with pytest.raises(GraphValidationError, match=r"bound to 1 tool.* given 2"):
        create_react_agent(model.bind_tools([add]), [add, publish])


@pytest.mark.parametrize("lib", LIBS)
def test_provider_tools_given_as_dicts_are_bound_not_run(lib: str) -> None:
    search = {"type": "function", "function": {"name": "web_search", "parameters": {}}}
    model = two_calls()
    agent = lib_of(lib).create_react_agent(model, [add, search])
    assert model.record.bound == [["add", "web_search"]]
    assert list(agent.get_graph().nodes) != []
    assert set(agent.nodes) >= {"agent", "tools"}


@pytest.mark.parametrize("lib", LIBS)
def test_a_dynamic_model_is_chosen_per_call_with_the_runtime(lib: str) -> None:
    from dataclasses import dataclass

    @dataclass
    class Ctx:
        size: str

    small, large = two_calls(), two_calls()
    chosen: list[str] = []

    def pick(state: Any, runtime: Any) -> Any:
        chosen.append(runtime.context.size)
        return (large if runtime.context.size == "large" else small).bind_tools([add])

    agent = lib_of(lib).create_react_agent(pick, [add], context_schema=Ctx, prompt="hi")
    messages = agent.invoke(START_INPUT, context=Ctx("large"))["messages"]
    assert messages[-1].content == "3 and 7"
    assert chosen == ["large", "large"]
    assert (len(small.record.inputs), len(large.record.inputs)) == (0, 2)
    assert shown(large.record.inputs[0])[0] == ("SystemMessage", "hi")


@pytest.mark.langgraph
def test_return_direct_ends_the_loop_as_in_langgraph() -> None:
    def model() -> ScriptedChatModel:
        ask = AIMessage(
            "", id="ask", tool_calls=[call("add", "c1", a=1, b=2), call("publish", "c2", text="x")]
        )
        return ScriptedChatModel(replies=[ask, AIMessage("never said")])

    for version in ("v1", "v2"):
        results = run_both(model, [add, publish], version=version)
        assert results["nbpregel"] == results["langgraph"], version
        updates = results["nbpregel"][0]
        assert "agent" not in updates[-1]  # the tool's result is the answer
    assert ("tools", "__end__", True) in results["nbpregel"][3]


@pytest.mark.parametrize("lib", LIBS)
def test_name_names_the_graph_and_the_answers(lib: str) -> None:
    agent = lib_of(lib).create_react_agent(two_calls(), [add], name="adder")
    messages = agent.invoke(START_INPUT)["messages"]
    assert agent.name == "adder"
    assert [m.name for m in messages if isinstance(m, AIMessage)] == ["adder", "adder"]


@pytest.mark.langgraph
def test_without_tools_the_agent_is_one_model_call() -> None:
    results = run_both(two_calls, [])
    assert results["nbpregel"] == results["langgraph"]
    assert results["nbpregel"][3] == [("__start__", "agent", False), ("agent", "__end__", False)]
    assert results["nbpregel"][2] == []  # nothing to bind


@pytest.mark.langgraph
def test_the_drawing_has_langgraphs_nodes_and_edges() -> None:
    ours, theirs = (
        lib_of(lib).create_react_agent(two_calls(), [add, publish])
        for lib in ("nbpregel", "langgraph")
    )
    assert edges(ours) == edges(theirs)
    assert set(ours.get_graph().nodes) == set(theirs.get_graph().nodes)
    tools = ours.get_graph().nodes["tools"]
    assert tools.metadata == {"__tools": ["add", "publish"]}  # as LangGraph's drawing lists them


@pytest.mark.exe
def test_the_notebook_draws_and_runs_the_agent(dot_path: str) -> None:
    from nbpregel.notebook import graph_mimebundle, run

    agent = create_react_agent(two_calls(), [add])
    svg = graph_mimebundle(agent)["image/svg+xml"]
    assert all(name in svg for name in ("agent", "tools", "__start__", "__end__"))
    view = run(agent, START_INPUT)
    view.wait()
    assert view.state()["messages"][-1].content == "3 and 7"
    assert list(view.tasks["node"]) == ["__start__", "agent", "tools", "tools", "agent"]


def test_string_model_names_need_langchain() -> None:
    with pytest.raises(ImportError, match=r"pip install langchain langchain-openai.*chat model"):
        create_react_agent("openai:gpt-4o", [add])


@pytest.mark.langgraph
def test_langgraph_also_needs_langchain_for_a_model_name() -> None:
    with pytest.raises(ImportError, match="langchain"):
        lib_of("langgraph").create_react_agent("openai:gpt-4o", [add])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"version": "v3"}, "version='v3' is not a version"),
        (
            {"version": "v1", "post_model_hook": lambda s: None},
            "post_model_hook needs version='v2'",
        ),
    ],
    ids=["version", "post-hook-v1"],
)
def test_bad_arguments_are_refused_with_the_fix(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(GraphValidationError, match=match):
        create_react_agent(two_calls(), [add], **kwargs)


@pytest.mark.parametrize("lib", LIBS)
def test_the_models_tokens_stream_in_messages_mode(lib: str) -> None:
    from langchain_core.language_models import GenericFakeChatModel

    model = GenericFakeChatModel(messages=iter([AIMessage("hello there friend")]))
    agent = lib_of(lib).create_react_agent(model, [])
    chunks = list(agent.stream(START_INPUT, stream_mode="messages"))
    assert [(chunk.content, meta["langgraph_node"]) for chunk, meta in chunks] == [
        ("hello", "agent"),
        (" ", "agent"),
        ("there", "agent"),
        (" ", "agent"),
        ("friend", "agent"),
    ]
