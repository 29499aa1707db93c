"""Safe serialization of checkpoints and pending writes: msgpack plus an allow-list of types.

Plain data (None, bool, int, float, str, bytes, list, dict) is written by msgpack's C code
directly. Everything else travels as a msgpack *extension* whose payload is itself msgpack:

==========================  ===========================================================
allowed without asking       tuple, set, frozenset, big ints, datetime, date, time,
                             timedelta, UUID, Decimal, nbpregel's Send / Interrupt /
                             Command / Overwrite, exceptions (saved as data)
allowed by class kind        enums, dataclasses, namedtuples, pydantic v2 models
==========================  ===========================================================

Loading never imports a module (but langchain_core's message modules, which a chat's state
needs) and never calls a class it has not checked. A class is rebuilt only when it was
registered (``register_type(cls)`` or ``SafeSerializer(allowed=[cls])``) or when its module is
already imported and the class, looked up statically, is an enum, dataclass, namedtuple or
pydantic model. Exceptions come back as their own class only for
builtins, ``nbpregel.errors`` and registered classes; any other becomes a
:class:`RestoredError` holding the type name, message and arguments. Pickle is used only when
asked for by name: ``SafeSerializer(pickle_fallback=True)``.

>>> serde = SafeSerializer()
>>> serde.loads_typed(serde.dumps_typed({1: ("a", {2.5}), "k": None}))
{1: ('a', {2.5}), 'k': None}
"""

from __future__ import annotations

import builtins
import dataclasses
import pickle
from collections.abc import Callable, Iterable
from typing import Any, Final, Protocol

import msgpack

import nbpregel.errors
from nbpregel.checkpoint._classes import (
    CLASS_BUILDERS,
    CLASS_PAYLOADS,
    KIND_NAMES,
    REGISTRY,
    check_registrable,
    class_kind,
    dataclass_payload,
    register_type,
    resolve_imported,
)
from nbpregel.checkpoint._ext import CLASS_KINDS, SIMPLE_DECODERS, SIMPLE_ENCODERS, Ext
from nbpregel.errors import SerializationError

__all__ = [
    "RestoredError",
    "SafeSerializer",
    "SerializerProtocol",
    "register_type",
]

TAG_MSGPACK: Final = "msgpack"
TAG_PICKLE: Final = "pickle"
_HOW_TO_ALLOW: Final = (
    "it is not an allowed type; convert it to plain data, make it a dataclass, enum, "
    "namedtuple or pydantic model, or opt in to pickle with SafeSerializer(pickle_fallback=True)"
)


def _ext(code: int, data: bytes) -> msgpack.ExtType:
    """``msgpack.ExtType(code, data)`` without its argument checks (the codes are ours)."""
    return tuple.__new__(msgpack.ExtType, (code, data))


class SerializerProtocol(Protocol):
    """What a checkpoint saver needs from a serializer."""

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]: ...

    def loads_typed(self, data: tuple[str, bytes]) -> Any: ...


class RestoredError(Exception):
    """An exception loaded from a checkpoint whose class is not rebuilt (it is not allowed).

    Attributes:
        type_name: the original class as ``module.QualName``.
        message: ``str()`` of the original exception.
    """

    def __init__(self, type_name: str, message: str, args: Iterable[Any] = ()) -> None:
        super().__init__(*args)
        self.type_name = type_name
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"RestoredError({self.type_name!r}, {self.message!r})"


class _Unsupported(SerializationError):
    def __init__(self, message: str, culprit: type) -> None:
        super().__init__(message)
        self.culprit = culprit


def _locate(obj: Any, culprit: type, path: str = "value", depth: int = 0) -> str | None:
    """The path to the first value of type ``culprit`` inside ``obj``, for error messages."""
    if type(obj) is culprit:
        return path
    children: Iterable[tuple[str, Any]] = ()
    if depth > 64:
        return None
    if isinstance(obj, dict):
        keys = ((f"{path} key {k!r}", k) for k in obj)
        children = [*keys, *((f"{path}[{k!r}]", v) for k, v in obj.items())]
    elif isinstance(obj, list | tuple | set | frozenset):
        children = ((f"{path}[{i}]", v) for i, v in enumerate(obj))
    elif dataclasses.is_dataclass(obj):
        children = ((f"{path}.{k}", v) for k, v in dataclass_payload(obj).items())
    for child_path, child in children:
        found = _locate(child, culprit, child_path, depth + 1)
        if found:
            return found
    return None


class SafeSerializer:
    """Turns values into ``(type_tag, bytes)`` and back, refusing anything not allowed.

    Args:
        allowed: classes (enums, dataclasses, namedtuples, pydantic models, exceptions) to
            allow in addition to those registered with :func:`register_type`.
        pickle_fallback: pickle values of any other type, and unpickle them on load. Off by
            default: unpickling data from a file can run arbitrary code.

    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class Point:
    ...     x: int
    ...     y: int
    >>> serde = SafeSerializer(allowed=[Point])
    >>> serde.loads_typed(serde.dumps_typed([Point(1, 2)]))
    [Point(x=1, y=2)]
    """

    def __init__(self, *, allowed: Iterable[type] = (), pickle_fallback: bool = False) -> None:
        self.pickle_fallback = pickle_fallback
        self._allowed: dict[tuple[str, str], type] = {}
        for cls in allowed:
            check_registrable(cls)
            self._allowed[(cls.__module__, cls.__qualname__)] = cls
        self._encoders: dict[type, Callable[[Any], msgpack.ExtType]] = {}
        self._packers: list[msgpack.Packer] = []

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        """Serialize ``obj``.

        Raises:
            SerializationError: ``obj`` holds a value of a type that is not allowed; the
                message names the type, where it is, and how to allow it.
        """
        try:
            return TAG_MSGPACK, self._pack(obj)
        except _Unsupported as exc:
            where = _locate(obj, exc.culprit)
            raise SerializationError(f"{exc} (found at {where})" if where else str(exc)) from None
        except SerializationError:
            raise
        except (TypeError, ValueError, OverflowError, AttributeError, pickle.PickleError) as exc:
            # msgpack's nesting limit, a property that raises, an unpicklable fallback value
            raise SerializationError(f"cannot serialize {type(obj).__name__}: {exc}") from exc

    def loads_typed(self, data: tuple[str, bytes]) -> Any:
        """Rebuild a value from :meth:`dumps_typed`'s output.

        Raises:
            SerializationError: the data names a type that is not allowed, holds a pickle
                while ``pickle_fallback`` is off, or is corrupt.
        """
        tag, payload = data
        if tag == TAG_PICKLE:
            return self._unpickle(payload)
        if tag != TAG_MSGPACK:
            raise SerializationError(f"unknown serialization type {tag!r} (expected 'msgpack')")
        try:
            return self._unpack(payload)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(f"corrupt checkpoint data: {exc}") from exc

    # -- writing ---------------------------------------------------------------------------

    def _pack(self, obj: Any) -> bytes:
        # A Packer is reused (making one costs more than packing a small value), but never by
        # two packs at once: each takes one from the pool, so threads, and the nested packs of
        # extension payloads, get their own. (After an error a Packer resets its buffer.)
        packers = self._packers
        packer = packers.pop() if packers else self._new_packer()
        try:
            return packer.pack(obj)
        finally:
            packers.append(packer)

    def _new_packer(self) -> msgpack.Packer:
        return msgpack.Packer(default=self._default, strict_types=True, use_bin_type=True)

    def _default(self, obj: Any) -> msgpack.ExtType:
        encoder = self._encoders.get(type(obj))
        if encoder is None:
            encoder = self._encoders[type(obj)] = self._encoder_for(type(obj))
        return encoder(obj)

    def _encoder_for(self, cls: type) -> Callable[[Any], msgpack.ExtType]:
        pack = self._pack
        simple = SIMPLE_ENCODERS.get(cls)
        if simple is not None:
            code, to_payload = int(simple[0]), simple[1]
            return lambda obj: _ext(code, pack(to_payload(obj)))
        kind = class_kind(cls)
        if kind is Ext.ERROR:
            return self._encode_error
        name = f"{cls.__module__}.{cls.__qualname__}"
        if kind is not None and self._findable(cls):
            head, class_payload = [cls.__module__, cls.__qualname__], CLASS_PAYLOADS[kind]
            return lambda obj: _ext(kind, pack([*head, class_payload(obj)]))
        if self.pickle_fallback:
            return lambda obj: msgpack.ExtType(Ext.PICKLE, pickle.dumps(obj))
        if kind is not None:
            raise _Unsupported(
                f"cannot serialize a value of type {name}: its class cannot be found by name "
                "when loading (defined inside a function?); register it with "
                "nbpregel.checkpoint.register_type(cls) or SafeSerializer(allowed=[cls])",
                cls,
            )
        raise _Unsupported(f"cannot serialize a value of type {name}: {_HOW_TO_ALLOW}", cls)

    def _findable(self, cls: type) -> bool:
        key = (cls.__module__, cls.__qualname__)
        if self._allowed.get(key, REGISTRY.get(key)) is cls:
            return True
        try:
            return resolve_imported(*key) is cls
        except SerializationError:
            return False

    def _encode_error(self, exc: BaseException) -> msgpack.ExtType:
        cls = type(exc)
        try:
            self._pack(list(exc.args))
            args = list(exc.args)
        except (TypeError, ValueError, OverflowError):  # SerializationError is a TypeError
            args = [repr(arg) for arg in exc.args]
        try:
            message = str(exc)
        except Exception:
            message = f"<unprintable {cls.__qualname__}>"
        notes = [str(note) for note in getattr(exc, "__notes__", ())]
        payload = [cls.__module__, cls.__qualname__, message, args, notes]
        return msgpack.ExtType(Ext.ERROR, self._pack(payload))

    # -- loading ---------------------------------------------------------------------------

    def _unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(data, ext_hook=self._ext_hook, strict_map_key=False, raw=False)

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if code == Ext.PICKLE:
            return self._unpickle(data)
        simple = SIMPLE_DECODERS.get(code)
        if simple is None and code not in CLASS_KINDS:
            raise SerializationError(f"unknown msgpack extension code {code} in checkpoint data")
        try:
            payload = self._unpack(data)
            return simple(payload) if simple else self._decode_class(Ext(code), payload)
        except SerializationError:
            raise
        except Exception as exc:
            raise SerializationError(
                f"corrupt checkpoint data in a {Ext(code).name.lower()} value: {exc!r}"
            ) from exc

    def _decode_class(self, kind: Ext, payload: Any) -> Any:
        if kind is Ext.ERROR:
            return self._decode_error(*payload)
        module, qualname, body = payload
        cls = self._lookup(module, qualname)
        actual = class_kind(cls)
        if actual is not kind:
            what = KIND_NAMES[actual] if actual else "not an allowed class"
            raise SerializationError(
                f"refusing to load {module}.{qualname} as {KIND_NAMES[kind]}: it is {what}"
            )
        return CLASS_BUILDERS[kind](cls, body)

    def _lookup(self, module: Any, qualname: Any) -> type:
        if not isinstance(module, str) or not isinstance(qualname, str):
            raise SerializationError("corrupt checkpoint data: class name is not a string")
        key = (module, qualname)
        return self._allowed.get(key) or REGISTRY.get(key) or resolve_imported(module, qualname)

    def _decode_error(
        self, module: str, qualname: str, message: str, args: list[Any], notes: list[str]
    ) -> BaseException:
        cls = self._allowed.get((module, qualname)) or REGISTRY.get((module, qualname))
        if cls is None and module in ("builtins", "nbpregel.errors"):
            namespace = vars(builtins if module == "builtins" else nbpregel.errors)
            cls = namespace.get(qualname)
        exc: BaseException | None = None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            try:
                exc = cls(*args)
            except Exception:
                exc = None
        if exc is None:
            exc = RestoredError(f"{module}.{qualname}", str(message), args)
        for note in notes:
            exc.add_note(str(note))
        return exc

    def _unpickle(self, data: bytes) -> Any:
        if not self.pickle_fallback:
            raise SerializationError(
                "refusing to unpickle a value from a checkpoint: unpickling can run arbitrary "
                "code; if you trust this data, load it with SafeSerializer(pickle_fallback=True)"
            )
        return pickle.loads(data)
