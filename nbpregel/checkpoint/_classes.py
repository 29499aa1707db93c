"""Finding, checking and rebuilding classes named in checkpoint data, without running code.

Private: :mod:`nbpregel.checkpoint.serde` is the public entry point. A class named in a
checkpoint is looked up in the registry, or in the dicts of a module that is already imported;
no attribute hook or descriptor runs while looking. The only modules ever imported are the ones
named in :data:`TRUSTED_MODULES` (langchain_core's message classes, which a chat's state holds
and which langchain_core imports lazily): a name in the data cannot add to that list.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
from collections.abc import Callable
from enum import Enum
from types import ModuleType
from typing import Any, Final, TypeVar

from nbpregel.checkpoint._ext import Ext
from nbpregel.errors import SerializationError

__all__ = [
    "CLASS_BUILDERS",
    "CLASS_PAYLOADS",
    "KIND_NAMES",
    "REGISTRY",
    "TRUSTED_MODULES",
    "check_registrable",
    "class_kind",
    "dataclass_payload",
    "register_type",
    "resolve_imported",
    "static_attr",
]

T = TypeVar("T", bound=type)
KIND_NAMES: Final = {
    Ext.ENUM: "an enum",
    Ext.DATACLASS: "a dataclass",
    Ext.NAMEDTUPLE: "a namedtuple",
    Ext.PYDANTIC: "a pydantic model",
    Ext.ERROR: "an exception class",
}
REGISTRY: dict[tuple[str, str], type] = {}


def static_attr(cls: type, name: str) -> Any:
    """Look ``name`` up in the class dicts along the MRO, running no descriptor or hook."""
    for klass in cls.__mro__:
        if name in vars(klass):
            return vars(klass)[name]
    return None


def pydantic_base() -> type | None:
    """pydantic's BaseModel if pydantic is loaded (reading it imports nothing), else None."""
    main = sys.modules.get("pydantic.main")
    base = vars(main).get("BaseModel") if isinstance(main, ModuleType) else None
    return base if isinstance(base, type) else None


def class_kind(cls: type) -> Ext | None:
    """Which class-based extension can carry instances of ``cls``, checked without calls."""
    mro = cls.__mro__
    if BaseException in mro:
        return Ext.ERROR
    if Enum in mro:
        return Ext.ENUM
    if tuple in mro and isinstance(static_attr(cls, "_fields"), tuple):
        return Ext.NAMEDTUPLE
    if any("__dataclass_fields__" in vars(klass) for klass in mro):
        return Ext.DATACLASS
    base = pydantic_base()
    if base is not None and base in mro:
        return Ext.PYDANTIC
    return None


def register_type(cls: T) -> T:
    """Allow instances of ``cls`` in every :class:`SafeSerializer`; usable as a decorator.

    Needed for classes that cannot be found by name once loaded (defined inside a function),
    and to rebuild exceptions of your own classes instead of a :class:`RestoredError`.

    Raises:
        SerializationError: ``cls`` is not an enum, dataclass, namedtuple, pydantic model or
            exception class.
    """
    check_registrable(cls)
    REGISTRY[(cls.__module__, cls.__qualname__)] = cls
    return cls


def check_registrable(cls: type) -> None:
    """Raise SerializationError unless ``cls`` is a class of a kind the serializer rebuilds."""
    if not isinstance(cls, type) or class_kind(cls) is None:
        raise SerializationError(
            f"cannot allow {cls!r}: only enums, dataclasses, namedtuples, pydantic models and "
            "exception classes can be registered"
        )


TRUSTED_MODULES: Final = frozenset(
    f"langchain_core.messages.{name}"
    for name in ("ai", "base", "chat", "function", "human", "modifier", "system", "tool")
)
"""Modules loading may import to find a class: where langchain_core defines its messages."""


def _trusted_import(module: str) -> ModuleType | None:
    if module not in TRUSTED_MODULES:
        return None
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SerializationError(
            f"cannot load a {module} class: {exc}; install langchain-core to load this checkpoint"
        ) from exc


def resolve_imported(module: str, qualname: str) -> type:
    """Find a class in an already imported module (or a trusted one) through its dicts only."""
    mod = sys.modules.get(module)
    if not isinstance(mod, ModuleType):
        mod = _trusted_import(module)
    if not isinstance(mod, ModuleType):
        raise SerializationError(
            f"cannot load {module}.{qualname}: module {module!r} is not imported and loading "
            f"a checkpoint never imports code; import {module} before loading, or register "
            "the class with register_type(cls)"
        )
    target: Any = mod
    for part in qualname.split("."):
        namespace = vars(target) if isinstance(target, ModuleType | type) else {}
        if part not in namespace:
            raise SerializationError(
                f"cannot load {module}.{qualname}: no class of that name in the imported "
                "module; register the class with register_type(cls)"
            )
        target = namespace[part]
    if not isinstance(target, type):
        raise SerializationError(
            f"refusing to load {module}.{qualname}: it is a {type(target).__name__}, not an "
            "allowed class"
        )
    return target


def dataclass_payload(obj: Any) -> dict[str, Any]:
    """A dataclass instance's fields by name (those that are set)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if hasattr(obj, f.name)}


def _pydantic_payload(obj: Any) -> list[Any]:
    fields = {k: v for k, v in obj.__dict__.items() if k in type(obj).model_fields}
    return [fields, sorted(obj.model_fields_set), obj.__pydantic_extra__, obj.__pydantic_private__]


CLASS_PAYLOADS: Final[dict[Ext, Callable[[Any], Any]]] = {
    Ext.ENUM: lambda e: e.value,
    Ext.NAMEDTUPLE: list,
    Ext.DATACLASS: dataclass_payload,
    Ext.PYDANTIC: _pydantic_payload,
}


def _build_dataclass(cls: Any, body: Any) -> Any:
    """Rebuild a dataclass field by field, without running ``__init__``/``__post_init__``."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(body) - fields.keys()) if isinstance(body, dict) else ["<not a dict>"]
    if unknown:
        raise SerializationError(f"saved {cls.__qualname__} has unknown fields {unknown}")
    obj = cls.__new__(cls)
    for name, field in fields.items():
        if name in body:
            value = body[name]
        elif field.default is not dataclasses.MISSING:
            value = field.default
        elif field.default_factory is not dataclasses.MISSING:
            value = field.default_factory()
        else:
            raise SerializationError(f"saved {cls.__qualname__} lacks field {name!r}")
        object.__setattr__(obj, name, value)
    return obj


def _build_namedtuple(cls: type, body: Any) -> Any:
    if len(body) != len(static_attr(cls, "_fields")):
        raise SerializationError(f"saved {cls.__qualname__} has {len(body)} fields")
    return tuple.__new__(cls, body)


def _build_pydantic(cls: Any, body: Any) -> Any:
    fields, fields_set, extra, private = body
    obj = cls.model_construct(_fields_set=set(fields_set), **fields, **(extra or {}))
    if private:
        object.__setattr__(obj, "__pydantic_private__", private)
    return obj


CLASS_BUILDERS: Final[dict[Ext, Callable[[Any, Any], Any]]] = {
    Ext.ENUM: lambda cls, value: cls(value),
    Ext.NAMEDTUPLE: _build_namedtuple,
    Ext.DATACLASS: _build_dataclass,
    Ext.PYDANTIC: _build_pydantic,
}
