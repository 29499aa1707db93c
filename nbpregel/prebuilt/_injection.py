"""Tool arguments the model never sees: ``ToolNode`` fills them from the graph.

``Annotated[dict, InjectedState]`` gets the state (``InjectedState("key")`` one key of it),
``Annotated[BaseStore, InjectedStore()]`` the run's store, and a ``ToolRuntime`` argument (or
any argument named ``runtime``) everything at once. The markers subclass LangChain's, so
LangChain leaves these arguments out of the schema the model is shown.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from langchain_core.tools import BaseTool, InjectedToolArg
from langchain_core.tools.base import _DirectlyInjectedToolArg

from nbpregel.errors import NbPregelError
from nbpregel.runtime import ExecutionInfo
from nbpregel.types import StreamWriter

__all__ = ["InjectedArgs", "InjectedState", "InjectedStore", "ToolRuntime", "injected_args"]

ContextT = TypeVar("ContextT")
StateT = TypeVar("StateT")
RUNTIME_ARG = "runtime"
"""An argument of this name gets the ``ToolRuntime`` whatever its annotation (as in LangGraph)."""


class InjectedState(InjectedToolArg):
    """Marks a tool argument that ``ToolNode`` fills with the graph's state, or with the value
    of one of its keys (``InjectedState("user")``).

    >>> InjectedState("user").field
    'user'
    """

    def __init__(self, field: str | None = None) -> None:
        self.field = field


class InjectedStore(InjectedToolArg):
    """Marks a tool argument that ``ToolNode`` fills with the run's store
    (``compile(store=...)``)."""


def _no_op(_chunk: Any) -> None:
    return None


@dataclasses.dataclass
class ToolRuntime(_DirectlyInjectedToolArg, Generic[ContextT, StateT]):
    """What a tool can reach besides its arguments: declare ``runtime: ToolRuntime`` (no
    ``Annotated`` needed) and ``ToolNode`` fills it; the model never sees it.

    Attributes:
        state: the graph's state as the tool node got it.
        context: the run's ``context=`` (as ``Runtime.context``).
        config: the node's config.
        stream_writer: emits its argument as a ``custom`` stream chunk.
        tool_call_id: the id of the call being answered (a ``Command`` the tool returns
            needs a ``ToolMessage`` with it).
        store: the run's store, or ``None``.
        tools: the tools of the ``ToolNode``.
        execution_info: the running task's ids and attempt number.
        server_info: ``None`` (LangGraph's server sets it).

    Example:
        >>> from langchain_core.tools import tool
        >>> @tool
        ... def whoami(runtime: ToolRuntime) -> str:
        ...     '''Who is asking.'''
        ...     return runtime.context["user"]
        >>> list(whoami.tool_call_schema.model_json_schema()["properties"])
        []
    """

    state: StateT
    context: ContextT
    config: dict[str, Any]
    stream_writer: StreamWriter
    tool_call_id: str | None
    store: Any | None
    tools: list[BaseTool] = dataclasses.field(default_factory=list)
    execution_info: ExecutionInfo | None = None
    server_info: Any = None


@dataclasses.dataclass(frozen=True, slots=True)
class InjectedArgs:
    """The arguments of one tool that ``ToolNode`` fills.

    Attributes:
        state: argument -> state key (``None``: the whole state).
        optional_state: state arguments with a default (a missing key is left out).
        store: the argument that gets the store, if any.
        runtime: the argument that gets the ``ToolRuntime``, if any.
        hidden: every argument the model may not set (values it sends for them are dropped).
    """

    state: Mapping[str, str | None]
    optional_state: frozenset[str]
    store: str | None
    runtime: str | None
    hidden: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.state or self.store or self.runtime)


def _marker(hint: Any, kind: type) -> Any:
    """The ``kind`` marker (instance or class) found in ``hint``, through ``Annotated`` and
    unions; ``None`` when there is none."""
    if isinstance(hint, kind) or (isinstance(hint, type) and issubclass(hint, kind)):
        return hint
    origin = typing.get_origin(hint)
    if isinstance(origin, type) and issubclass(origin, kind):
        return origin  # ToolRuntime[Ctx, State]
    if origin is not None:
        for arg in typing.get_args(hint):
            found = _marker(arg, kind)
            if found is not None:
                return found
    return None


def _fields(found: BaseTool) -> dict[str, Any]:
    """The pydantic fields of the tool's input schema."""
    fields: dict[str, Any] = getattr(found.get_input_schema(), "model_fields", {})
    return fields


def _hints(found: BaseTool) -> dict[str, Any]:
    """Each argument's annotation: the function's (with ``Annotated`` extras), overridden by
    the input schema's fields (their metadata holds the markers)."""
    func = getattr(found, "func", None) or getattr(found, "coroutine", None)
    hints: dict[str, Any] = {}
    if func is not None:
        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception:
            hints = {}
    for name, field in _fields(found).items():
        if field.metadata:
            hints[name] = typing.Annotated[(field.annotation, *field.metadata)]
        elif name not in hints:
            hints[name] = field.annotation
    hints.pop("return", None)
    return hints


def injected_args(found: BaseTool) -> InjectedArgs:
    """Which arguments of tool ``found`` ``ToolNode`` fills, and from what."""
    fields = _fields(found)
    state: dict[str, str | None] = {}
    optional: set[str] = set()
    store = runtime = None
    hidden: set[str] = set()
    for name, hint in _hints(found).items():
        if _marker(hint, InjectedToolArg) or _marker(hint, _DirectlyInjectedToolArg):
            hidden.add(name)
        marker = _marker(hint, InjectedState)
        if marker is not None:
            state[name] = marker.field if isinstance(marker, InjectedState) else None
            if state[name] and name in fields and not fields[name].is_required():
                optional.add(name)
        if _marker(hint, InjectedStore) is not None:
            store = name
        if name == RUNTIME_ARG or _marker(hint, ToolRuntime) is not None:
            runtime = name
    hidden.update(state, [store] if store else [], [runtime] if runtime else [])
    return InjectedArgs(state, frozenset(optional), store, runtime, frozenset(hidden))


def _state_args(
    tool_name: str, wanted: Mapping[str, str | None], optional: frozenset[str], state: Any
) -> dict[str, Any]:
    filled: dict[str, Any] = {}
    for arg, key in wanted.items():
        if key is None:
            filled[arg] = state
        elif isinstance(state, Mapping) and key in state:
            filled[arg] = state[key]
        elif not isinstance(state, Mapping) and hasattr(state, key):
            filled[arg] = getattr(state, key)
        elif arg not in optional:
            raise KeyError(
                f"tool {tool_name!r} takes state key {key!r} as {arg!r}, but the state has no "
                f"such key: add it to the state schema, or give {arg!r} a default"
            )
    return filled


def inject(
    call: Mapping[str, Any], wanted: InjectedArgs, runtime: ToolRuntime[Any, Any], messages_key: str
) -> dict[str, Any]:
    """``call`` with the injected arguments filled (and any value the model sent for them
    dropped: a model may not forge the state or the store).

    Raises:
        NbPregelError: the tool takes the store but the graph has none.
        KeyError: the tool takes a state key the state does not have.
    """
    name = call["name"]
    args = {
        key: value for key, value in (call.get("args") or {}).items() if key not in wanted.hidden
    }
    if wanted.state:
        state = runtime.state
        if isinstance(state, list):  # ToolNode given bare messages: they are the state's
            state = {messages_key: state}
        args.update(_state_args(name, wanted.state, wanted.optional_state, state))
    if wanted.store:
        if runtime.store is None:
            raise NbPregelError(
                f"tool {name!r} takes the store as {wanted.store!r}, but the graph has none: "
                f"compile it with store=InMemoryStore() (or SqliteStore)"
            )
        args[wanted.store] = runtime.store
    if wanted.runtime:
        args[wanted.runtime] = runtime
    return {**call, "args": args}


def no_op_writer() -> StreamWriter:
    """The stream writer of a tool run outside a graph: it drops what it is given."""
    return _no_op
