"""``create_react_agent``: the tool-calling agent loop as one compiled graph (LangGraph's).

The graph: ``agent`` calls the chat model with the prompt and the messages; when the answer
asks for tools, ``tools`` (a :class:`~nbpregel.prebuilt.ToolNode`) runs them and the loop goes
back to ``agent``; otherwise the run ends. Around it, optionally: ``pre_model_hook`` before
each model call (trim the history: return ``llm_input_messages``), ``post_model_hook`` after
it (guardrails, human review), and ``generate_structured_response`` at the end (a last model
call for ``response_format``, kept as ``state["structured_response"]``).

When the recursion limit leaves no room for the tools the model asks for (``remaining_steps``
below 2), the agent answers ``"Sorry, need more steps to process this request."`` instead of
failing with ``GraphRecursionError``.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, NotRequired

from langchain_core.messages import AnyMessage, BaseMessage
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from pydantic import BaseModel, create_model
from typing_extensions import TypedDict

from nbpregel.constants import END, START
from nbpregel.errors import GraphValidationError
from nbpregel.graph import CompiledStateGraph, StateGraph
from nbpregel.graph.message import add_messages
from nbpregel.managed import RemainingSteps
from nbpregel.prebuilt._agent_model import chat_model_from_name, prompt_runnable, tools_to_bind
from nbpregel.prebuilt._agent_nodes import (
    AGENT,
    POST_MODEL_HOOK,
    PRE_MODEL_HOOK,
    STRUCTURED_RESPONSE,
    TOOLS,
    AgentLoop,
)
from nbpregel.prebuilt.tool_node import ToolNode

__all__ = [
    "AgentState",
    "AgentStatePydantic",
    "AgentStateWithStructuredResponse",
    "AgentStateWithStructuredResponsePydantic",
    "RemainingSteps",
    "create_react_agent",
]


StructuredResponse = dict[str, Any] | BaseModel


class AgentState(TypedDict):
    """The agent's state: the messages, and the steps the run may still take."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: NotRequired[RemainingSteps]


class AgentStatePydantic(BaseModel):
    """``AgentState`` as a pydantic model."""

    messages: Annotated[Sequence[BaseMessage], add_messages]
    remaining_steps: RemainingSteps = 25


class AgentStateWithStructuredResponse(AgentState):
    """``AgentState`` with the ``structured_response`` of ``response_format``."""

    structured_response: StructuredResponse


class AgentStateWithStructuredResponsePydantic(AgentStatePydantic):
    """``AgentStatePydantic`` with the ``structured_response`` of ``response_format``."""

    structured_response: StructuredResponse


def _is_pydantic(schema: Any) -> bool:
    return isinstance(schema, type) and issubclass(schema, BaseModel)


def _check_arguments(
    version: str, post_model_hook: Any, state_schema: Any, response_format: Any
) -> None:
    if version not in ("v1", "v2"):
        raise GraphValidationError(
            f"create_react_agent: version={version!r} is not a version: use 'v1' (one tools "
            f"task runs all the calls) or 'v2' (one task per call)"
        )
    if post_model_hook is not None and version == "v1":
        raise GraphValidationError(
            "create_react_agent: post_model_hook needs version='v2' (with 'v1' the loop cannot "
            "route tool calls through the hook): pass version='v2'"
        )
    if state_schema is None:
        return
    required = {"messages", "remaining_steps"}
    if response_format is not None:
        required.add("structured_response")
    missing = sorted(required - set(typing.get_type_hints(state_schema)))
    if missing:
        base = "AgentStatePydantic" if _is_pydantic(state_schema) else "AgentState"
        raise GraphValidationError(
            f"create_react_agent: state_schema {state_schema.__name__} lacks the key(s) "
            f"{missing}: subclass nbpregel.prebuilt.{base} (it has messages and "
            f"remaining_steps){' and add structured_response' if response_format else ''}"
        )


def _tools_of(tools: Any) -> tuple[ToolNode, list[BaseTool], list[dict[str, Any]]]:
    """The tool node, its tools, and the provider's built-in tools (dicts: bound only)."""
    if isinstance(tools, ToolNode):
        return tools, list(tools.tools_by_name.values()), []
    builtin = [item for item in tools if isinstance(item, dict)]
    node = ToolNode([item for item in tools if not isinstance(item, dict)])
    return node, list(node.tools_by_name.values()), builtin


def _agent_loop(
    model: Any,
    tools: list[BaseTool],
    builtin: list[dict[str, Any]],
    prompt: Any,
    state_schema: Any,
    **settings: Any,
) -> AgentLoop:
    dynamic = not isinstance(model, str | Runnable) and callable(model)
    static_model = None
    if not dynamic:
        if isinstance(model, str):
            model = chat_model_from_name(model)
        if (tools or builtin) and tools_to_bind(model, tools, len(builtin)):
            model = model.bind_tools([*tools, *builtin])
        static_model = prompt_runnable(prompt) | model
    return AgentLoop(
        prompt=prompt,
        static_model=static_model,
        dynamic_model=model if dynamic else None,
        is_async=inspect.iscoroutinefunction(model) or inspect.iscoroutinefunction(prompt),
        return_direct=frozenset(found.name for found in tools if found.return_direct),
        pydantic_state=_is_pydantic(state_schema),
        **settings,
    )


def _model_input_schema(state_schema: Any) -> Any:
    """The agent node's input with a pre-model hook: the state plus ``llm_input_messages``."""
    if _is_pydantic(state_schema):
        return create_model(
            "CallModelInputSchema",
            llm_input_messages=(list[AnyMessage], ...),
            __base__=state_schema,
        )

    class CallModelInputSchema(state_schema):
        llm_input_messages: list[AnyMessage]

    return CallModelInputSchema


def _as_node(hook: Any) -> Callable[..., Any]:
    """A hook as a node: functions as they are, LangChain runnables through ``invoke``."""
    if not isinstance(hook, Runnable):
        return typing.cast(Callable[..., Any], hook)

    def run_hook(state: Any, config: Any) -> Any:
        return hook.invoke(state, config)

    return run_hook


def _add_hooks(
    builder: StateGraph, loop: AgentLoop, hooks: tuple[Any, Any], *, has_tools: bool
) -> None:
    """The hook and structured-response nodes, and the edges that do not depend on tools
    (without tools: the whole graph, a straight line)."""
    pre_model_hook, post_model_hook = hooks
    if pre_model_hook is not None:
        builder.add_node(PRE_MODEL_HOOK, _as_node(pre_model_hook))
        builder.add_edge(PRE_MODEL_HOOK, AGENT)
    builder.add_edge(START, loop.entry)
    if post_model_hook is not None:
        builder.add_node(POST_MODEL_HOOK, _as_node(post_model_hook))
        builder.add_edge(AGENT, POST_MODEL_HOOK)
    if loop.response_format is not None:
        node = loop.astructured_response if loop.is_async else loop.structured_response
        builder.add_node(STRUCTURED_RESPONSE, node)
        builder.add_edge(STRUCTURED_RESPONSE, END)
        if not has_tools:
            builder.add_edge(POST_MODEL_HOOK if loop.post_hook else AGENT, STRUCTURED_RESPONSE)


def _add_tool_loop(builder: StateGraph, loop: AgentLoop, tool_node: ToolNode) -> None:
    """The ``tools`` node and the conditional edges of the loop."""
    builder.add_node(TOOLS, tool_node, metadata={"__tools": list(tool_node.tools_by_name)})
    finish = STRUCTURED_RESPONSE if loop.response_format is not None else END
    if loop.post_hook:
        # The model's answer always goes on to the hook (the plain edge): no branch at agent.
        targets = [loop.entry, TOOLS, finish]
        builder.add_conditional_edges(POST_MODEL_HOOK, loop.after_post_hook, targets)
    else:
        builder.add_conditional_edges(AGENT, loop.after_agent, [TOOLS, finish])
    if loop.return_direct:
        builder.add_conditional_edges(TOOLS, loop.after_tools, [loop.entry, END])
    else:
        builder.add_edge(TOOLS, loop.entry)


def create_react_agent(
    model: Any,
    tools: Sequence[Any] | ToolNode,
    *,
    prompt: Any = None,
    response_format: Any = None,
    pre_model_hook: Any = None,
    post_model_hook: Any = None,
    state_schema: Any = None,
    context_schema: Any = None,
    checkpointer: Any = None,
    store: Any = None,
    interrupt_before: list[str] | None = None,
    interrupt_after: list[str] | None = None,
    debug: bool = False,
    version: Literal["v1", "v2"] = "v2",
    name: str | None = None,
) -> CompiledStateGraph:
    """Build and compile the agent loop (see the module doc); LangGraph's function.

    Args:
        model: a chat model (its ``bind_tools`` is called with the tools, unless it was bound
            to them already); a ``"provider:model"`` name (needs ``langchain`` and the
            provider's package); or a function ``(state, runtime) -> model``, sync or async,
            choosing the model at each call (bind the tools yourself).
        tools: tools (LangChain tools or functions; dicts are a provider's built-in tools,
            bound to the model only), or a ``ToolNode``. No tools: just the model.
        prompt: a string or ``SystemMessage`` put before the messages, or a function /
            ``Runnable`` of the state that makes the model's input.
        response_format: a schema (pydantic class, TypedDict, JSON schema) for a final
            structured answer in ``state["structured_response"]``, or ``(system prompt,
            schema)``; the model needs ``with_structured_output``.
        pre_model_hook: a node run before each model call; it returns ``messages`` and/or
            ``llm_input_messages`` (what the model is given, leaving the state's history be).
        post_model_hook: a node run after each model call (``version="v2"`` only).
        state_schema: the state (default ``AgentState``); it needs ``messages`` and
            ``remaining_steps`` (and ``structured_response`` with ``response_format``).
        context_schema: the class of ``runtime.context``.
        checkpointer: a saver: chat memory per ``thread_id``, interrupts.
        store: the store the tools and hooks reach.
        interrupt_before: nodes to pause before (``["tools"]``: review the calls).
        interrupt_after: nodes to pause after.
        debug: accepted for compatibility; not used.
        version: ``"v2"`` sends each tool call to its own ``tools`` task (with ``Send``);
            ``"v1"`` runs all of a message's calls in one ``tools`` task.
        name: the graph's name, and the ``name`` of the agent's AI messages.

    Returns:
        The compiled graph: invoke it with ``{"messages": [...]}``.

    Raises:
        GraphValidationError: a bad version, prompt or state schema, a post-model hook with
            ``"v1"``, or a model bound to other tools than ``tools``.
        ImportError: a model name without ``langchain`` installed.

    Example:
        >>> from langchain_core.language_models import GenericFakeChatModel
        >>> from langchain_core.messages import AIMessage
        >>> model = GenericFakeChatModel(messages=iter([AIMessage("hello")]))
        >>> agent = create_react_agent(model, [])
        >>> agent.invoke({"messages": [("user", "hi")]})["messages"][-1].content
        'hello'
    """
    _check_arguments(version, post_model_hook, state_schema, response_format)
    if state_schema is None:
        state_schema = AgentStateWithStructuredResponse if response_format else AgentState
    tool_node, tool_list, builtin = _tools_of(tools)
    loop = _agent_loop(
        model,
        tool_list,
        builtin,
        prompt,
        state_schema,
        name=name,
        pre_hook=pre_model_hook is not None,
        post_hook=post_model_hook is not None,
        response_format=response_format,
        version=version,
    )
    builder = StateGraph(state_schema, context_schema=context_schema)
    agent = loop.acall_model if loop.is_async else loop.call_model
    input_schema = _model_input_schema(state_schema) if pre_model_hook is not None else None
    builder.add_node(AGENT, agent, input_schema=input_schema)
    _add_hooks(builder, loop, (pre_model_hook, post_model_hook), has_tools=bool(tool_list))
    if tool_list:
        _add_tool_loop(builder, loop, tool_node)
    return builder.compile(
        checkpointer=checkpointer,
        store=store,
        interrupt_before=interrupt_before,
        interrupt_after=interrupt_after,
        debug=debug,
        name=name,
    )
