"""Values as JSON text, for stores that keep them in a file: only what JSON holds exactly.

A value is accepted when it comes back from JSON equal to what was put: dicts with ``str``
keys, lists, ``str``, ``int``, finite ``float``, ``bool`` and ``None`` (their subclasses count as
the base type: an ``IntEnum`` member is stored as its int). Anything else is refused before
anything is stored, naming the key, the place in the value and the type, with what to store
instead. Nothing is pickled, and nothing is changed silently (LangGraph's ``SqliteStore`` turns
a tuple into a list, a datetime into a string and NaN into ``None``).

>>> encode_value("k", {"tags": ["a"], "n": 1.5, "ok": True, "none": None})
'{"tags":["a"],"n":1.5,"ok":true,"none":null}'
>>> try:
...     encode_value("k", {"span": {"days": (1, 2)}})
... except InvalidStoreArgumentError as error:
...     print(error)
value for key 'k' holds a tuple at value['span']['days'], which JSON cannot hold: store a list \
instead, e.g. list(...); a value may hold dicts with str keys, lists, str, int, float, bool \
and None
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
from collections.abc import Mapping
from typing import Any, Final

from nbpregel.store._errors import InvalidStoreArgumentError, kind_of

__all__ = ["decode_value", "encode_value", "to_text"]

_ALLOWED: Final = "a value may hold dicts with str keys, lists, str, int, float, bool and None"
_FIXES: Final[tuple[tuple[type | tuple[type, ...], str], ...]] = (
    (tuple, "store a list instead, e.g. list(...)"),
    ((set, frozenset), "store a list instead, e.g. sorted(...)"),
    ((bytes, bytearray), "store a str instead, e.g. base64.b64encode(...).decode()"),
    (
        (datetime.date, datetime.time, datetime.timedelta),
        "store a str or a number instead, e.g. .isoformat() or .total_seconds()",
    ),
    (Mapping, "store a dict instead, e.g. dict(...)"),
)


def _fix_for(node: Any) -> str:
    for types, fix in _FIXES:
        if isinstance(node, types):
            return fix
    if callable(getattr(node, "model_dump", None)):
        return "store its plain data instead, e.g. .model_dump()"
    if dataclasses.is_dataclass(node):
        return "store its plain data instead, e.g. dataclasses.asdict(...)"
    return "convert it to plain data first"


def _problem(node: Any, where: str, path: list[int]) -> str | None:
    """What JSON cannot hold at or below ``node``, or ``None``; ``path`` holds the containers
    above ``node`` (their ids), to refuse a value that contains itself."""
    if isinstance(node, str | bool | int | None):
        return None
    if isinstance(node, float):
        if math.isfinite(node):
            return None
        return f"holds {node!r} at {where}: JSON has no NaN or infinity; store None or a str"
    if not isinstance(node, dict | list):
        return f"holds {kind_of(node)} at {where}, which JSON cannot hold: {_fix_for(node)}"
    if id(node) in path:
        return f"contains itself at {where}: JSON holds trees only; store a copy without the loop"
    path.append(id(node))
    if isinstance(node, list):
        found = next(
            (p for i, item in enumerate(node) if (p := _problem(item, f"{where}[{i}]", path))),
            None,
        )
    else:
        found = next(
            (p for key, item in node.items() if (p := _entry(key, item, where, path))), None
        )
    path.pop()
    return found


def _entry(key: Any, item: Any, where: str, path: list[int]) -> str | None:
    if not isinstance(key, str):
        return (
            f"has the key {key!r} ({kind_of(key)}) at {where}, and JSON keys are str: write "
            f"{str(key)!r}"
        )
    return _problem(item, f"{where}[{key!r}]", path)


def encode_value(key: str, value: Mapping[str, Any]) -> str:
    """``value`` as compact JSON text, after checking it comes back from JSON unchanged.

    Args:
        key: the item's key, for the message.
        value: the dict to store.

    Raises:
        InvalidStoreArgumentError: naming the part of ``value`` JSON cannot hold, and the fix.
    """
    as_dict = dict(value)
    problem = _problem(as_dict, "value", [])
    if problem is not None:
        raise InvalidStoreArgumentError(f"value for key {key!r} {problem}; {_ALLOWED}")
    return to_text(as_dict)


def to_text(value: dict[str, Any]) -> str:
    """Compact JSON text of a value already checked (or decoded) by this module."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def decode_value(text: str) -> dict[str, Any]:
    """The dict :func:`encode_value` turned into ``text``.

    Example:
        >>> decode_value('{"n":1,"tags":["a"]}')
        {'n': 1, 'tags': ['a']}
    """
    value: dict[str, Any] = json.loads(text)
    return value
