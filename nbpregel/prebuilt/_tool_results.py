"""What a tool's call becomes: a ``ToolMessage``, or the ``Command`` the tool returned.

LangChain turns whatever a tool returns into a ``ToolMessage``, except objects of its
``ToolOutputMixin`` class; nbpregel's ``Command`` is not one (``nbpregel`` never imports
LangChain), so ``ToolNode`` runs a copy of each tool whose ``_run`` hands a returned ``Command``
through in a carrier that is, and takes it out again afterwards.

A ``Command`` must answer its call: its update carries a ``ToolMessage`` with the call's id
(unless it goes to the parent graph, or removes every message), and a list of results carries
exactly one. Breaking the rule raises ``ToolCallError`` naming the tool and the fix.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from typing import Any, Literal

from langchain_core.messages import RemoveMessage, ToolMessage, convert_to_messages
from langchain_core.messages.tool import ToolOutputMixin
from langchain_core.tools import BaseTool

from nbpregel.errors import ToolCallError
from nbpregel.graph.message import REMOVE_ALL_MESSAGES
from nbpregel.types import Command, Send

__all__ = ["InputKind", "combine", "command_aware", "normalize"]

InputKind = Literal["list", "dict", "tool_calls"]
"""How ``ToolNode`` was given its calls: bare messages, a state, or calls sent one by one."""


class _Carried(ToolOutputMixin):
    """A ``Command`` on its way through LangChain's tool machinery."""

    __slots__ = ("command",)

    def __init__(self, command: Command[Any]) -> None:
        self.command = command


def _carry(result: Any) -> Any:
    if isinstance(result, Command):
        return _Carried(result)
    if (
        isinstance(result, list)
        and any(isinstance(item, Command) for item in result)
        and all(isinstance(item, Command | ToolOutputMixin) for item in result)
    ):
        return [_carry(item) for item in result]
    return result


def _uncarry(result: Any) -> Any:
    if isinstance(result, _Carried):
        return result.command
    if isinstance(result, list):
        return [_uncarry(item) for item in result]
    return result


def _carrying(run: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(run)
        async def arun(*args: Any, **kwargs: Any) -> Any:
            return _carry(await run(*args, **kwargs))

        return arun

    @functools.wraps(run)
    def sync_run(*args: Any, **kwargs: Any) -> Any:
        return _carry(run(*args, **kwargs))

    return sync_run


def command_aware(found: BaseTool) -> BaseTool:
    """A copy of tool ``found`` that hands a returned ``Command`` through LangChain (call
    :func:`normalize` on what it returns). The copy shares everything else with the tool."""
    runner = found.model_copy()
    # Instance attributes win over the class's methods: only this copy is changed.
    object.__setattr__(runner, "_run", _carrying(runner._run, is_async=False))
    object.__setattr__(runner, "_arun", _carrying(runner._arun, is_async=True))
    return runner


def _fix_hint(name: str, kind: InputKind) -> str:
    if kind == "list":
        return (
            f"make {name!r} return Command(update=[ToolMessage(..., "
            f"tool_call_id=runtime.tool_call_id), ...])"
        )
    return (
        f"make {name!r} return Command(update={{'messages': [ToolMessage(..., "
        f"tool_call_id=runtime.tool_call_id)], ...}}) (runtime: ToolRuntime, or take the id "
        f"with an InjectedToolCallId argument)"
    )


def _messages_in(command: Command[Any], call: Mapping[str, Any], kind: InputKind, key: str) -> Any:
    """The messages of a command's update, or ``None`` when the update has none to check."""
    update = command.update
    if isinstance(update, dict):
        if kind == "list":
            raise ToolCallError(
                f"tool {call['name']!r} returned Command(update={{...}}) but ToolNode was given "
                f"a bare list of messages, which has no keys to update: give ToolNode the state "
                f"dict ({{{key!r}: [...]}}), or return Command(update=[messages])"
            )
        return update.get(key, [])
    if isinstance(update, list):
        if kind != "list":
            raise ToolCallError(
                f"tool {call['name']!r} returned Command(update=[...]) (a list of messages) but "
                f"ToolNode was given a state: return Command(update={{{key!r}: [...]}})"
            )
        return update
    return None


def _checked_command(
    command: Command[Any], call: Mapping[str, Any], kind: InputKind, key: str, *, alone: bool
) -> Command[Any]:
    """``command`` with its ``ToolMessage`` named after the tool; checks that it answers the
    call when it is the call's only result (``alone``) and updates this graph."""
    raw = _messages_in(command, call, kind, key)
    if raw is None:
        return command
    command = copy.deepcopy(command)
    raw = _messages_in(command, call, kind, key)
    messages = convert_to_messages(raw)
    if [(type(m), m.id) for m in messages] == [(RemoveMessage, REMOVE_ALL_MESSAGES)]:
        return command
    answered = False
    for message in messages:
        if isinstance(message, ToolMessage) and message.tool_call_id == call["id"]:
            message.name = call["name"]
            answered = True
    if alone and command.graph is None and not answered:
        raise ToolCallError(
            f"tool {call['name']!r} returned a Command whose update has no ToolMessage for its "
            f"call {call['id']!r} (it has {len(messages)} message(s)): every tool call needs a "
            f"ToolMessage answering it, or the model's provider refuses the history; "
            f"{_fix_hint(call['name'], kind)}"
        )
    return command


def _count_answers(results: list[Any], call_id: Any, key: str) -> int:
    count = 0
    for item in results:
        if isinstance(item, ToolMessage):
            count += item.tool_call_id == call_id
        elif isinstance(item, Command) and isinstance(item.update, dict):
            for message in item.update.get(key, []):
                count += isinstance(message, ToolMessage) and message.tool_call_id == call_id
    return count


def normalize(result: Any, call: Mapping[str, Any], kind: InputKind, key: str) -> Any:
    """A tool's result as ``ToolNode`` returns it: a ``ToolMessage``, a checked ``Command``, or
    a checked list of them.

    Raises:
        ToolCallError: a ``Command`` (or list) that does not answer the call once.
        TypeError: a result that is none of these.
    """
    result = _uncarry(result)
    if isinstance(result, ToolMessage):
        return result
    if isinstance(result, Command):
        return _checked_command(result, call, kind, key, alone=True)
    if isinstance(result, list) and all(isinstance(r, Command | ToolMessage) for r in result):
        answers = _count_answers(result, call["id"], key)
        if answers != 1:
            raise ToolCallError(
                f"tool {call['name']!r} returned a list with {answers} ToolMessage(s) for its "
                f"call {call['id']!r}: exactly one must answer it; return one "
                f"ToolMessage(..., tool_call_id=runtime.tool_call_id) in the list"
            )
        return [
            _checked_command(r, call, kind, key, alone=False) if isinstance(r, Command) else r
            for r in result
        ]
    raise TypeError(
        f"tool {call['name']!r} returned {type(result).__name__}: ToolNode expects a ToolMessage, "
        f"a Command, or a list of them; return one of these (or any value LangChain makes into "
        f"a ToolMessage)"
    )


def _parent_command(commands: list[Command[Any]]) -> Command[Any]:
    """The one command for the parent graph: ``Send`` lists are merged, else the first wins
    (the node's other results are dropped, as the parent routes away from this graph)."""
    sends: list[Send] = []
    for command in commands:
        targets = command.goto_targets()
        if not targets or not all(isinstance(target, Send) for target in targets):
            return command
        sends.extend(targets)  # type: ignore[arg-type]
    return Command(graph=Command.PARENT, goto=sends)


def combine(results: list[Any], kind: InputKind, key: str) -> Any:
    """What ``ToolNode`` returns for all its calls' results.

    Without a ``Command``: the messages (a list, or ``{key: [...]}``). With one: a list of
    ``Command``s (each plain message made into one that adds it), in call order; a command
    for the parent graph is returned alone, since it routes away from this graph.
    """
    flat: list[Any] = []
    for result in results:
        flat.extend(result if isinstance(result, list) else [result])
    if not any(isinstance(item, Command) for item in flat):
        return flat if kind == "list" else {key: flat}
    parents = [c for c in flat if isinstance(c, Command) and c.graph == Command.PARENT]
    if parents:
        return _parent_command(parents)
    return [
        item
        if isinstance(item, Command)
        else Command(update=[item] if kind == "list" else {key: [item]})
        for item in flat
    ]
