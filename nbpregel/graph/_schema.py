"""State schemas: TypedDict, dataclass or pydantic model -> one channel per key.

A key annotated ``Annotated[T, reducer]`` becomes a ``BinaryOperatorAggregate``; a key annotated
with a channel instance uses that channel; every other key is a ``LastValue``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import typing_extensions

from nbpregel.channels import BaseChannel, BinaryOperatorAggregate, LastValue
from nbpregel.errors import GraphValidationError
from nbpregel.managed import ManagedValue, managed_of

__all__ = [
    "SchemaKind",
    "channels_for",
    "coerce_to_schema",
    "is_schema",
    "managed_for",
    "schema_kind",
    "state_value",
]

SchemaKind = Literal["typeddict", "dataclass", "pydantic", "none"]


def schema_kind(schema: Any) -> SchemaKind:
    """Which kind of state schema ``schema`` is."""
    if isinstance(schema, type):
        if typing_extensions.is_typeddict(schema):  # typing's and typing_extensions' kinds
            return "typeddict"
        if dataclasses.is_dataclass(schema):
            return "dataclass"
        if hasattr(schema, "model_fields") and hasattr(schema, "model_validate"):
            return "pydantic"
    return "none"


def is_schema(schema: Any) -> bool:
    """Whether ``schema`` can describe a state (TypedDict, dataclass or pydantic model)."""
    return schema_kind(schema) != "none"


def _hints(schema: type) -> dict[str, Any]:
    """The keys' annotations, a TypedDict key's ``Required`` / ``NotRequired`` / ``ReadOnly``
    taken off (``NotRequired[Annotated[list, add]]`` keeps its reducer)."""
    try:
        hints = typing.get_type_hints(schema, include_extras=True)
    except Exception as exc:
        # Guessing from the raw strings would silently turn a reducer key into a plain one.
        raise GraphValidationError(
            f"cannot read the annotations of state schema {schema.__qualname__!r} ({exc}): "
            f"names in them must be importable from module {schema.__module__!r}; define the "
            f"schema (and its reducers) at module level, or drop `from __future__ import "
            f"annotations` where it is defined"
        ) from exc
    return {key: _bare(hint) for key, hint in hints.items()}


_QUALIFIERS: Final = frozenset(
    qualifier
    for module in (typing, typing_extensions)
    for name in ("Required", "NotRequired", "ReadOnly")
    if (qualifier := getattr(module, name, None)) is not None
)


def _bare(hint: Any) -> Any:
    """``hint`` without the TypedDict qualifiers around it.

    >>> from typing import Annotated, NotRequired
    >>> _bare(NotRequired[Annotated[list, max]]) == Annotated[list, max]
    True
    """
    while typing.get_origin(hint) in _QUALIFIERS:
        (hint,) = typing.get_args(hint)
    return hint


def _channel_for(key: str, hint: Any) -> BaseChannel[Any, Any]:
    if typing.get_origin(hint) is typing.Annotated:
        base, *extras = typing.get_args(hint)
        for extra in reversed(extras):
            if isinstance(extra, BaseChannel):
                return extra
            if isinstance(extra, type) and issubclass(extra, BaseChannel):
                return extra(base)
            if callable(extra):
                return BinaryOperatorAggregate(base, extra)
        return LastValue(base)
    return LastValue(hint)


def channels_for(schema: Any) -> dict[str, BaseChannel[Any, Any]]:
    """One channel per key of ``schema``, in declaration order.

    >>> import operator
    >>> from typing import Annotated, TypedDict
    >>> State = TypedDict("State", {"topic": str, "notes": Annotated[list, operator.add]})
    >>> {key: type(ch).__name__ for key, ch in channels_for(State).items()}
    {'topic': 'LastValue', 'notes': 'BinaryOperatorAggregate'}
    """
    kind = schema_kind(schema)
    if kind == "none":
        raise TypeError(
            f"state schema must be a TypedDict, a dataclass or a pydantic model, got {schema!r}"
        )
    hints = _hints(schema)
    return {
        key: _channel_for(key, hints.get(key, Any))
        for key in _keys(schema, kind, hints)
        if managed_of(hints.get(key)) is None
    }


def managed_for(schema: Any) -> dict[str, type[ManagedValue]]:
    """The managed values (``nbpregel.managed``) among the keys of ``schema``.

    >>> from typing import TypedDict
    >>> from nbpregel.managed import RemainingSteps
    >>> State = TypedDict("State", {"topic": str, "left": RemainingSteps})
    >>> {key: how.__name__ for key, how in managed_for(State).items()}
    {'left': 'RemainingStepsManager'}
    """
    kind = schema_kind(schema)
    if kind == "none":
        return {}
    hints = _hints(schema)
    found = {key: managed_of(hints.get(key)) for key in _keys(schema, kind, hints)}
    return {key: how for key, how in found.items() if how is not None}


def _keys(schema: Any, kind: SchemaKind, hints: dict[str, Any]) -> list[str]:
    if kind == "pydantic":
        return list(schema.model_fields)
    if kind == "dataclass":
        return [field.name for field in dataclasses.fields(schema)]
    return list(hints)


def coerce_to_schema(schema: Any) -> Callable[[Any], Any] | None:
    """The function that turns a dict of values into an instance of ``schema`` (None: keep dict)."""
    kind = schema_kind(schema)
    if kind == "dataclass":
        return lambda values: schema(**values)
    if kind == "pydantic":
        return lambda values: schema.model_validate(values)
    return None


def state_value(state: Any, key: str, default: Any = None) -> Any:
    """``state[key]`` for a dict state, ``state.key`` for a dataclass or pydantic one.

    >>> state_value({"n": 1}, "n"), state_value({"n": 1}, "m", 0)
    (1, 0)
    """
    if isinstance(state, Mapping):
        return state.get(key, default)
    return getattr(state, key, default)
