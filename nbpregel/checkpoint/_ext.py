"""The msgpack extension codes of the checkpoint format, and the types that need no class lookup.

Private: :mod:`nbpregel.checkpoint.serde` is the public entry point.
"""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from enum import IntEnum
from typing import Any, Final

from nbpregel.errors import SerializationError
from nbpregel.types import Command, Interrupt, Overwrite, Send

__all__ = ["CLASS_KINDS", "SIMPLE_DECODERS", "SIMPLE_ENCODERS", "Ext"]


class Ext(IntEnum):
    """msgpack extension codes; the numbers are part of the on-disk format."""

    TUPLE = 1
    SET = 2
    FROZENSET = 3
    BIGINT = 4
    DATETIME = 5
    DATE = 6
    TIME = 7
    TIMEDELTA = 8
    UUID = 9
    DECIMAL = 10
    ENUM = 11
    DATACLASS = 12
    NAMEDTUPLE = 13
    PYDANTIC = 14
    SEND = 15
    INTERRUPT = 16
    COMMAND = 17
    OVERWRITE = 18
    ERROR = 19
    PICKLE = 20


CLASS_KINDS: Final = (Ext.ENUM, Ext.DATACLASS, Ext.NAMEDTUPLE, Ext.PYDANTIC, Ext.ERROR)


def _encode_tz(tz: tzinfo | None) -> Any:
    if tz is None:
        return None
    if isinstance(tz, timezone):
        offset = tz.utcoffset(None)
        name: str | None = tz.tzname(None)
        if name == timezone(offset).tzname(None):
            name = None  # the default name: keep repr and equality exact on the way back
        return [offset.days, offset.seconds, offset.microseconds, name]
    if isinstance(tz, zoneinfo.ZoneInfo) and isinstance(tz.key, str):
        return tz.key
    raise SerializationError(
        f"cannot serialize tzinfo of type {type(tz).__qualname__!r}: use datetime.timezone or "
        "zoneinfo.ZoneInfo"
    )


def _decode_tz(data: Any) -> tzinfo | None:
    if data is None:
        return None
    if isinstance(data, str):
        return zoneinfo.ZoneInfo(data)  # rejects keys that are paths
    days, seconds, micros, name = data
    offset = timedelta(days=days, seconds=seconds, microseconds=micros)
    return timezone(offset) if name is None else timezone(offset, name)


def _datetime_payload(d: datetime) -> list[Any]:
    fields = [d.year, d.month, d.day, d.hour, d.minute, d.second, d.microsecond]
    return [*fields, _encode_tz(d.tzinfo), d.fold]


def _time_payload(t: time) -> list[Any]:
    return [t.hour, t.minute, t.second, t.microsecond, _encode_tz(t.tzinfo), t.fold]


def _decode_datetime(p: list[Any]) -> datetime:
    year, month, day, hour, minute, second, micro, tz, fold = p
    return datetime(year, month, day, hour, minute, second, micro, _decode_tz(tz), fold=fold)


def _decode_time(p: list[Any]) -> time:
    hour, minute, second, micro, tz, fold = p
    return time(hour, minute, second, micro, _decode_tz(tz), fold=fold)


SIMPLE_DECODERS: Final[dict[int, Callable[[Any], Any]]] = {
    Ext.TUPLE: tuple,
    Ext.SET: set,
    Ext.FROZENSET: frozenset,
    Ext.BIGINT: lambda p: int(p, 16),
    Ext.DATETIME: _decode_datetime,
    Ext.DATE: lambda p: date(*p),
    Ext.TIME: _decode_time,
    Ext.TIMEDELTA: lambda p: timedelta(days=p[0], seconds=p[1], microseconds=p[2]),
    Ext.UUID: lambda p: uuid.UUID(bytes=p),
    Ext.DECIMAL: Decimal,
    Ext.SEND: lambda p: Send(p[0], p[1]),
    Ext.INTERRUPT: lambda p: Interrupt(value=p[0], id=p[1]),
    Ext.COMMAND: lambda p: Command(graph=p[0], update=p[1], resume=p[2], goto=p[3]),
    Ext.OVERWRITE: lambda p: Overwrite(p[0]),
}

SIMPLE_ENCODERS: Final[dict[type, tuple[Ext, Callable[[Any], Any]]]] = {
    tuple: (Ext.TUPLE, list),
    set: (Ext.SET, list),
    frozenset: (Ext.FROZENSET, list),
    int: (Ext.BIGINT, lambda i: format(i, "x")),  # only ints beyond 64 bits get here
    datetime: (Ext.DATETIME, _datetime_payload),
    date: (Ext.DATE, lambda d: [d.year, d.month, d.day]),
    time: (Ext.TIME, _time_payload),
    timedelta: (Ext.TIMEDELTA, lambda d: [d.days, d.seconds, d.microseconds]),
    uuid.UUID: (Ext.UUID, lambda u: u.bytes),
    Decimal: (Ext.DECIMAL, str),
    Send: (Ext.SEND, lambda s: [s.node, s.arg]),
    Interrupt: (Ext.INTERRUPT, lambda i: [i.value, i.id]),
    Command: (Ext.COMMAND, lambda c: [c.graph, c.update, c.resume, c.goto]),
    Overwrite: (Ext.OVERWRITE, lambda o: [o.value]),
}
