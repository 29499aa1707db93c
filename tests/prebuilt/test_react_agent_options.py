"""``create_react_agent``'s options: structured response, model hooks, the recursion limit,
breakpoints, state schemas and async models, compared with LangGraph's agent.

No ``from __future__ import annotations``: LangChain and the state schemas read annotations.
"""

import asyncio
from typing import Any

import pytest

pytest.importorskip("langchain_core", reason="the agent runs LangChain chat models and tools")

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from nbpregel.errors import GraphValidationError, ToolCallError
from nbpregel.prebuilt import create_react_agent
from nbpregel.prebuilt.chat_agent_executor import AgentState, AgentStatePydantic

from .fake_chat import ScriptedChatModel, add, call, publish, strip_ids
from .libs import LIBS, edges, in_call_order, lib_of, shown

pytestmark = pytest.mark.timeout(60)
SORRY = "Sorry, need more steps to process this request."


class Answer(BaseModel):
    value: int


def one_call(structured: list[Any] | None = None) -> ScriptedChatModel:
    ask = AIMessage("", tool_calls=[call("add", "c1", a=1, b=2)])
    return ScriptedChatModel(replies=[ask, AIMessage("3")], structured=structured or [])


def start() -> dict[str, Any]:
    return {"messages": [HumanMessage("1+2?", id="h1")]}


def trace(lib: str, model: ScriptedChatModel, **kwargs: Any) -> tuple[Any, ...]:
    agent = lib_of(lib).create_react_agent(model, [add], **kwargs)
    updates = strip_ids(list(agent.stream(start(), stream_mode="updates")))
    seen = [shown(messages) for messages in model.record.inputs]
    structured = [shown(messages) for messages in model.record.structured_inputs]
    return updates, seen, structured, model.record.schemas, edges(agent)


@pytest.mark.langgraph
@pytest.mark.parametrize("form", ["schema", "with_prompt"])
def test_structured_response_as_in_langgraph(form: str) -> None:
    response_format = Answer if form == "schema" else ("answer with a number", Answer)
    ours, theirs = (
        trace(lib, one_call([Answer(value=3)]), response_format=response_format)
        for lib in ("nbpregel", "langgraph")
    )
    assert ours == theirs
    updates, _seen, structured, schemas, _edges = ours
    assert updates[-1] == {"generate_structured_response": {"structured_response": Answer(value=3)}}
    assert schemas == [Answer]
    # The last call sees the whole history (after the system prompt of the tuple form).
    assert len(structured[0]) == (4 if form == "schema" else 5)


def test_structured_response_is_kept_in_the_state() -> None:
    agent = create_react_agent(one_call([Answer(value=3)]), [add], response_format=Answer)
    assert agent.invoke(start())["structured_response"] == Answer(value=3)


def trim(state: dict[str, Any]) -> dict[str, Any]:
    """A pre-model hook: the model sees a system message and the last message only."""
    return {"llm_input_messages": [SystemMessage("trimmed"), *state["messages"][-1:]]}


def count_answers(state: dict[str, Any]) -> dict[str, Any] | None:
    """A post-model hook that changes nothing."""
    return None


HOOKS = {
    "pre": {"pre_model_hook": trim},
    "post": {"post_model_hook": count_answers},
    "both": {"pre_model_hook": trim, "post_model_hook": count_answers},
    "both+structured": {
        "pre_model_hook": trim,
        "post_model_hook": count_answers,
        "response_format": Answer,
    },
    "pre-v1": {"pre_model_hook": trim, "version": "v1"},
}


@pytest.mark.langgraph
@pytest.mark.parametrize("hooks", HOOKS.values(), ids=HOOKS.keys())
def test_model_hooks_as_in_langgraph(hooks: dict[str, Any]) -> None:
    ours, theirs = (
        trace(lib, one_call([Answer(value=3)]), **hooks) for lib in ("nbpregel", "langgraph")
    )
    assert ours == theirs
    if "pre_model_hook" in hooks:
        assert [seen[0] for seen in ours[1]] == [("SystemMessage", "trimmed")] * 2


def test_a_post_model_hook_can_drop_the_tool_calls() -> None:
    """A guardrail: the hook replaces the model's answer, and the loop ends without tools."""

    def refuse(state: dict[str, Any]) -> dict[str, Any]:
        last = state["messages"][-1]
        return {"messages": [AIMessage("I may not use tools.", id=last.id)]}

    agent = create_react_agent(one_call(), [add], post_model_hook=refuse)
    assert shown(agent.invoke(start())["messages"]) == [
        ("HumanMessage", "1+2?"),
        ("AIMessage", "I may not use tools."),
    ]


def looping(tool_name: str) -> ScriptedChatModel:
    args = {"a": 1, "b": 2} if tool_name == "add" else {"text": "x"}
    return ScriptedChatModel(replies=[AIMessage("", tool_calls=[call(tool_name, "c", **args)])])


def outcome(lib: str, tool_name: str, version: str, limit: int) -> Any:
    agent = lib_of(lib).create_react_agent(looping(tool_name), [add, publish], version=version)
    try:
        return shown(agent.invoke(start(), {"recursion_limit": limit})["messages"])
    except RecursionError as exc:  # GraphRecursionError in both libraries
        return type(exc).__name__


@pytest.mark.langgraph
@pytest.mark.parametrize("version", ["v1", "v2"])
@pytest.mark.parametrize("tool_name", ["add", "publish"])
@pytest.mark.parametrize("limit", [2, 3, 4, 5, 6])
def test_remaining_steps_near_the_recursion_limit_as_in_langgraph(
    limit: int, tool_name: str, version: str
) -> None:
    assert outcome("nbpregel", tool_name, version, limit) == outcome(
        "langgraph", tool_name, version, limit
    )


def test_out_of_steps_the_agent_says_so_instead_of_failing() -> None:
    assert outcome("nbpregel", "add", "v2", 2) == [("HumanMessage", "1+2?"), ("AIMessage", SORRY)]
    four = outcome("nbpregel", "add", "v2", 4)
    assert four[-1] == ("AIMessage", SORRY) and four.count(("ToolMessage", "3")) == 1
    # An odd limit leaves the agent a step for its tools but none for the answer after them.
    assert outcome("nbpregel", "add", "v2", 3) == "GraphRecursionError"


def test_the_prompt_sees_the_remaining_steps() -> None:
    seen: list[int] = []

    def prompt(state: dict[str, Any]) -> list[Any]:
        seen.append(state["remaining_steps"])
        return state["messages"]

    create_react_agent(one_call(), [add], prompt=prompt).invoke(start(), {"recursion_limit": 10})
    assert seen == [9, 7]


@pytest.mark.langgraph
@pytest.mark.parametrize("version", ["v1", "v2"])
def test_interrupt_before_tools_then_resume_as_in_langgraph(version: str) -> None:
    def model() -> ScriptedChatModel:
        calls = [call("add", "c1", a=1, b=2), call("add", "c2", a=2, b=2)]
        return ScriptedChatModel(replies=[AIMessage("", tool_calls=calls), AIMessage("done")])

    results = {}
    for lib in ("nbpregel", "langgraph"):
        parts = lib_of(lib)
        agent = parts.create_react_agent(
            model(),
            [add],
            version=version,
            checkpointer=parts.InMemorySaver(),
            interrupt_before=["tools"],
        )
        config = {"configurable": {"thread_id": "review"}}
        paused = strip_ids(list(agent.stream(start(), config, stream_mode="updates")))
        waiting = agent.get_state(config).next
        resumed = in_call_order(strip_ids(list(agent.stream(None, config, stream_mode="updates"))))
        results[lib] = (paused, waiting, resumed, shown(agent.get_state(config).values["messages"]))
    assert results["nbpregel"] == results["langgraph"]
    assert results["nbpregel"][1] == (("tools",) if version == "v1" else ("tools", "tools"))
    assert results["nbpregel"][3][-1] == ("AIMessage", "done")


def test_a_history_with_an_unanswered_call_is_refused() -> None:
    agent = create_react_agent(one_call(), [add])
    unanswered = AIMessage("", tool_calls=[call("add", "lost", a=1, b=1)])
    with pytest.raises(
        ToolCallError, match=r"1 tool call\(s\) that no ToolMessage answers.*'lost'"
    ):
        agent.invoke({"messages": [HumanMessage("hi"), unanswered, HumanMessage("again")]})


class WithUser(AgentState):
    user: str


class WithUserPydantic(AgentStatePydantic):
    user: str = "nobody"


def greet(state: Any) -> list[Any]:
    user = state["user"] if isinstance(state, dict) else state.user
    messages = state["messages"] if isinstance(state, dict) else state.messages
    return [SystemMessage(f"the user is {user}"), *messages]


@pytest.mark.parametrize("schema", [WithUser, WithUserPydantic], ids=["typeddict", "pydantic"])
def test_a_custom_state_reaches_the_prompt(schema: type) -> None:
    model = one_call()
    agent = create_react_agent(model, [add], state_schema=schema, prompt=greet)
    out = agent.invoke({**start(), "user": "ada"})
    assert out["user"] == "ada"
    assert [seen[0] for seen in shown_inputs(model)] == [("SystemMessage", "the user is ada")] * 2


def shown_inputs(model: ScriptedChatModel) -> list[list[tuple[str, Any]]]:
    return [shown(messages) for messages in model.record.inputs]


def test_a_state_schema_without_the_agents_keys_is_refused() -> None:
    from typing_extensions import TypedDict

    class Chat(TypedDict):
        messages: list[Any]

    with pytest.raises(GraphValidationError, match=r"lacks the key\(s\) \['remaining_steps'\]"):
        create_react_agent(one_call(), [add], state_schema=Chat)
    with pytest.raises(GraphValidationError, match="structured_response"):
        create_react_agent(one_call(), [add], state_schema=WithUser, response_format=Answer)


@pytest.mark.parametrize("lib", LIBS)
def test_an_async_model_function_runs_with_ainvoke(lib: str) -> None:
    model = one_call()

    async def pick(state: Any, runtime: Any) -> Any:
        await asyncio.sleep(0)
        return model.bind_tools([add])

    agent = lib_of(lib).create_react_agent(pick, [add])
    out = asyncio.run(agent.ainvoke(start()))
    assert shown(out["messages"])[-1] == ("AIMessage", "3")


def test_an_async_model_function_also_runs_with_invoke() -> None:
    """LangGraph refuses (RuntimeError); nbpregel runs async nodes from sync invoke."""
    model = one_call()

    async def pick(state: Any, runtime: Any) -> Any:
        return model.bind_tools([add])

    out = create_react_agent(pick, [add]).invoke(start())
    assert shown(out["messages"])[-1] == ("AIMessage", "3")
