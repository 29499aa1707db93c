"""The nodes and routers of ``create_react_agent``'s graph, around one :class:`AgentLoop`.

``remaining_steps`` is a managed value (``nbpregel.managed.RemainingSteps``): the engine puts
how many more supersteps the run may take after the current one, in the agent node's state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Final

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage, ToolMessage
from langchain_core.runnables import Runnable

from nbpregel.constants import END
from nbpregel.errors import ToolCallError
from nbpregel.prebuilt._agent_model import bare_chat_model, prompt_runnable
from nbpregel.prebuilt._condition import state_value
from nbpregel.prebuilt.tool_node import TOOL_CALL_WITH_CONTEXT
from nbpregel.types import Send

__all__ = [
    "AGENT",
    "NEED_MORE_STEPS",
    "POST_MODEL_HOOK",
    "PRE_MODEL_HOOK",
    "STRUCTURED_RESPONSE",
    "TOOLS",
    "AgentLoop",
]

AGENT: Final = "agent"
TOOLS: Final = "tools"
PRE_MODEL_HOOK: Final = "pre_model_hook"
POST_MODEL_HOOK: Final = "post_model_hook"
STRUCTURED_RESPONSE: Final = "generate_structured_response"
NEED_MORE_STEPS: Final = "Sorry, need more steps to process this request."
"""The agent's answer when the recursion limit leaves no room for its tool calls: LangGraph's
text, kept as it is because it is what the user reads (and code may test for it)."""


def check_answered(messages: Sequence[Any]) -> None:
    """Refuse a history with a tool call no ``ToolMessage`` answers (providers refuse it).

    Raises:
        ToolCallError: naming the first unanswered calls.
    """
    answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
    missing = [
        call
        for message in messages
        if isinstance(message, AIMessage)
        for call in message.tool_calls
        if call["id"] not in answered
    ]
    if missing:
        raise ToolCallError(
            f"the agent's messages hold {len(missing)} tool call(s) that no ToolMessage answers "
            f"(first: {missing[:3]}); the model's provider refuses such a history: add a "
            f"ToolMessage(content, tool_call_id=...) for each call (update_state after an "
            f"interrupt, say) before the model is called again"
        )


@dataclasses.dataclass(frozen=True)
class AgentLoop:
    """What the agent's nodes share: the model, the prompt, and how the loop routes.

    Attributes:
        prompt: the ``prompt`` argument (put in front of a dynamic model at each call).
        static_model: ``prompt | model`` with the tools bound, or ``None`` for a dynamic model.
        dynamic_model: ``(state, runtime) -> model``, sync or async, or ``None``.
        is_async: the model function or the prompt is async: the nodes are async too.
        name: the agent's name, given to its AI messages.
        return_direct: the tools whose result ends the loop.
        pre_hook / post_hook: the graph has these hook nodes.
        response_format: the structured response's schema, or ``(system prompt, schema)``.
        pydantic_state: the state is a pydantic model.
        version: ``"v1"`` (one tools task for all calls) or ``"v2"`` (one per call, by Send).
    """

    prompt: Any
    static_model: Runnable[Any, Any] | None
    dynamic_model: Callable[..., Any] | None
    is_async: bool
    name: str | None
    return_direct: frozenset[str]
    pre_hook: bool
    post_hook: bool
    response_format: Any
    pydantic_state: bool
    version: str

    @property
    def entry(self) -> str:
        return PRE_MODEL_HOOK if self.pre_hook else AGENT

    # -- the model ---------------------------------------------------------------------

    def _model_input(self, state: Any) -> tuple[Any, int | None]:
        """The state the prompt gets (the hook's messages for the model) and the remaining
        steps (``remaining_steps``, a managed value)."""
        messages = state_value(state, "messages")
        if self.pre_hook:
            messages = state_value(state, "llm_input_messages") or messages
        if messages is None:
            wanted = "'llm_input_messages' or 'messages'" if self.pre_hook else "'messages'"
            raise ValueError(
                f"the agent node needs {wanted} in its state, got keys "
                f"{sorted(state) if isinstance(state, dict) else type(state).__name__}"
            )
        check_answered(messages)
        left = state_value(state, "remaining_steps")
        update = {"messages": messages}
        if self.pydantic_state:
            return state.model_copy(update=update), left
        return {**state, **update}, left

    def _answer(self, response: Any, left: int | None) -> dict[str, Any]:
        if isinstance(response, BaseMessage):
            response.name = self.name
        if self._out_of_steps(response, left):
            return {"messages": [AIMessage(NEED_MORE_STEPS, id=response.id)]}
        return {"messages": [response]}

    def _out_of_steps(self, response: Any, left: int | None) -> bool:
        if left is None or not isinstance(response, AIMessage):
            return False
        calls = response.tool_calls
        if left < 1 and all(call["name"] in self.return_direct for call in calls):
            return True
        return left < 2 and bool(calls)

    def _resolved(self, state: Any, runtime: Any) -> Runnable[Any, Any]:
        if self.static_model is not None:
            return self.static_model
        assert self.dynamic_model is not None
        return prompt_runnable(self.prompt) | self.dynamic_model(state, runtime)

    async def _aresolved(self, state: Any, runtime: Any) -> Runnable[Any, Any]:
        if self.static_model is not None:
            return self.static_model
        assert self.dynamic_model is not None
        chosen = self.dynamic_model(state, runtime)
        if hasattr(chosen, "__await__"):
            chosen = await chosen
        return prompt_runnable(self.prompt) | chosen

    def call_model(self, state: Any, config: Any, runtime: Any) -> dict[str, Any]:
        """The ``agent`` node: the model's next message."""
        model_input, left = self._model_input(state)
        response = self._resolved(state, runtime).invoke(model_input, config)
        return self._answer(response, left)

    async def acall_model(self, state: Any, config: Any, runtime: Any) -> dict[str, Any]:
        """The ``agent`` node for an async model function or prompt."""
        model_input, left = self._model_input(state)
        model = await self._aresolved(state, runtime)
        return self._answer(await model.ainvoke(model_input, config), left)

    def _structured_input(self, state: Any) -> tuple[list[Any], Any]:
        messages = list(state_value(state, "messages"))
        schema = self.response_format
        if isinstance(schema, tuple):
            system, schema = schema
            messages = [SystemMessage(system), *messages]
        return messages, schema

    def structured_response(self, state: Any, config: Any, runtime: Any) -> dict[str, Any]:
        """The ``generate_structured_response`` node: one more model call, for the schema."""
        messages, schema = self._structured_input(state)
        model = bare_chat_model(self._resolved(state, runtime)).with_structured_output(schema)
        return {"structured_response": model.invoke(messages, config)}

    async def astructured_response(self, state: Any, config: Any, runtime: Any) -> dict[str, Any]:
        """``structured_response`` for an async model function or prompt."""
        messages, schema = self._structured_input(state)
        model = bare_chat_model(await self._aresolved(state, runtime))
        answer = await model.with_structured_output(schema).ainvoke(messages, config)
        return {"structured_response": answer}

    # -- routing ----------------------------------------------------------------------

    def _sends(self, state: Any, calls: Sequence[Any]) -> list[Send]:
        return [
            Send(TOOLS, {"__type": TOOL_CALL_WITH_CONTEXT, "tool_call": call, "state": state})
            for call in calls
        ]

    def _finish(self) -> str:
        return STRUCTURED_RESPONSE if self.response_format is not None else END

    def after_agent(self, state: Any) -> str | list[Send]:
        """Where the loop goes after the model answered."""
        last = state_value(state, "messages")[-1]
        if not isinstance(last, AIMessage) or not last.tool_calls:
            return POST_MODEL_HOOK if self.post_hook else self._finish()
        if self.version == "v1":
            return TOOLS
        if self.post_hook:
            return POST_MODEL_HOOK
        return self._sends(state, last.tool_calls)

    def after_post_hook(self, state: Any) -> str | list[Send]:
        """Where the loop goes after the post-model hook: the calls still unanswered, back to
        the model after tool results, else the end."""
        messages = state_value(state, "messages")
        answered = {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}
        last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
        calls = last_ai.tool_calls if last_ai is not None else []
        pending = [call for call in calls if call["id"] not in answered]
        if pending:
            return self._sends(state, pending)
        if messages and isinstance(messages[-1], ToolMessage):
            return self.entry
        return self._finish()

    def after_tools(self, state: Any) -> str:
        """``END`` when a ``return_direct`` tool answered, else back to the model."""
        message: Any = None
        for message in reversed(state_value(state, "messages")):
            if not isinstance(message, ToolMessage):
                break
            if message.name in self.return_direct:
                return END
        if isinstance(message, AIMessage) and any(
            call["name"] in self.return_direct for call in message.tool_calls
        ):
            return END
        return self.entry
