"""The chat model side of ``create_react_agent``: the prompt in front of the model, binding
the tools to it, and finding the bare chat model for structured output."""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import SystemMessage
from langchain_core.runnables import Runnable, RunnableBinding, RunnableLambda, RunnableSequence
from langchain_core.tools import BaseTool

from nbpregel.errors import GraphValidationError
from nbpregel.prebuilt._condition import state_value

__all__ = [
    "PROMPT_NAME",
    "bare_chat_model",
    "chat_model_from_name",
    "prompt_runnable",
    "tools_to_bind",
]

PROMPT_NAME = "Prompt"
"""The name of the prompt step in traces (LangGraph's)."""


def prompt_runnable(prompt: Any) -> Runnable[Any, Any]:
    """The step that makes the model's input from the agent's state.

    ``None``: the state's messages; a string or ``SystemMessage``: that system message, then
    the messages; a function (sync or async) or a ``Runnable``: called with the whole state.

    Raises:
        GraphValidationError: ``prompt`` is none of these.
    """
    if prompt is None:
        return RunnableLambda(lambda state: state_value(state, "messages"), name=PROMPT_NAME)
    if isinstance(prompt, str | SystemMessage):
        system = SystemMessage(prompt) if isinstance(prompt, str) else prompt
        return RunnableLambda(
            lambda state: [system, *state_value(state, "messages")], name=PROMPT_NAME
        )
    if isinstance(prompt, Runnable):
        return prompt
    if callable(prompt):
        if inspect.iscoroutinefunction(prompt):
            return RunnableLambda(_refuse_sync(prompt), afunc=prompt, name=PROMPT_NAME)
        return RunnableLambda(prompt, name=PROMPT_NAME)
    raise GraphValidationError(
        f"create_react_agent: prompt={prompt!r} ({type(prompt).__name__}) is not a prompt: pass "
        f"a string, a SystemMessage, a function of the state, or a Runnable"
    )


def _refuse_sync(prompt: Any) -> Any:
    def sync_prompt(state: Any) -> Any:
        raise RuntimeError(
            f"the prompt {getattr(prompt, '__name__', prompt)!r} is async: run the agent with "
            f"ainvoke / astream, or make the prompt a plain function"
        )

    return sync_prompt


def _first_model_step(model: Any) -> Any:
    """In a ``prompt | model`` sequence, the model (or its binding); else ``model``."""
    if isinstance(model, RunnableSequence):
        return next(
            (s for s in model.steps if isinstance(s, RunnableBinding | BaseChatModel)), model
        )
    return model


def _bound_name(spec: Any) -> str | None:
    if not isinstance(spec, dict):
        return None
    if spec.get("type") == "function":
        return spec.get("function", {}).get("name")
    return spec.get("name")


def tools_to_bind(model: Any, tools: Sequence[BaseTool], builtin: int) -> bool:
    """Whether ``model`` still needs ``bind_tools``: not when it was bound already (then the
    tools it was bound with must be the agent's, plus ``builtin`` provider tools).

    Raises:
        GraphValidationError: the bound tools are not the agent's tools.
    """
    step = _first_model_step(model)
    if not isinstance(step, RunnableBinding) or "tools" not in step.kwargs:
        return True
    bound = list(step.kwargs["tools"])
    if len(tools) != len(bound) - builtin:
        raise GraphValidationError(
            f"create_react_agent: the model was bound to {len(bound) - builtin} tool(s) but "
            f"given {len(tools)}: pass the same tools to bind_tools and to create_react_agent, "
            f"or pass the unbound model and let create_react_agent bind them"
        )
    names = {name for name in map(_bound_name, bound) if name}
    missing = sorted({found.name for found in tools} - names)
    if missing:
        raise GraphValidationError(
            f"create_react_agent: tool(s) {missing} are not bound to the model (it has "
            f"{sorted(names)}): bind the same tools, or pass the unbound model"
        )
    return False


def bare_chat_model(model: Any) -> BaseChatModel:
    """The chat model itself, out of a ``prompt | model`` sequence and a tools binding (what
    ``with_structured_output`` is called on).

    Raises:
        TypeError: there is no chat model in ``model``.
    """
    step = _first_model_step(model)
    if isinstance(step, RunnableBinding):
        step = step.bound
    if not isinstance(step, BaseChatModel):
        raise TypeError(
            f"response_format needs a chat model (BaseChatModel) to call with_structured_output "
            f"on, got {type(step).__name__}: pass a chat model, or one bound with bind_tools"
        )
    return step


def chat_model_from_name(name: str) -> BaseChatModel:
    """The chat model ``"provider:model"`` names, made by LangChain's ``init_chat_model``.

    Raises:
        ImportError: ``langchain`` is not installed; the message names the packages.
    """
    try:
        from langchain.chat_models import init_chat_model
    except ImportError as exc:
        provider = name.partition(":")[0] if ":" in name else "<provider>"
        raise ImportError(
            f"create_react_agent({name!r}, ...) makes the model from its name with LangChain's "
            f"init_chat_model, and langchain is not installed: pip install langchain "
            f"langchain-{provider.replace('_', '-')}, or pass a chat model object instead of "
            f"the name (e.g. ChatOpenAI(model='gpt-4o'))"
        ) from exc
    model: BaseChatModel = init_chat_model(name)
    return model
