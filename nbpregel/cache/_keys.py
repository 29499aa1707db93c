"""Cache keys: turn a node's input into bytes that are equal exactly when the inputs are equal.

A false *miss* costs one execution; a false *hit* returns another input's result. So the
default key errs on the side of misses: it never relies on ``repr`` (numpy and pandas shorten
big values with ``...``), and it normalises what Python considers equal but lays out
differently (dict insertion order, set order, shared references).
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Mapping
from typing import Any, Final

import xxhash

__all__ = ["default_cache_key", "digest"]

_MAP: Final = "__nbpregel_mapping__"
_SET: Final = "__nbpregel_set__"
_LIST: Final = "__nbpregel_list__"
_ARRAY: Final = "__nbpregel_array__"
_MAX_DEPTH: Final = 32


def _sorted_by_repr(items: Any) -> tuple[Any, ...]:
    # Keys of one mapping may not be comparable with each other (1 and "a"); their reprs are.
    return tuple(sorted(items, key=repr))


def _freeze(value: Any, depth: int = 0) -> Any:
    """``value`` with its containers in a canonical layout (dicts and sets sorted)."""
    if depth > _MAX_DEPTH or isinstance(value, str | bytes | int | float | bool | type(None)):
        return value
    if isinstance(value, Mapping):
        items = ((_freeze(k, depth + 1), _freeze(v, depth + 1)) for k, v in value.items())
        return (_MAP, type(value).__qualname__, _sorted_by_repr(items))
    if isinstance(value, set | frozenset):
        return (_SET, _sorted_by_repr(_freeze(item, depth + 1) for item in value))
    if isinstance(value, list):
        return (_LIST, tuple(_freeze(item, depth + 1) for item in value))
    if type(value) is tuple:
        return tuple(_freeze(item, depth + 1) for item in value)
    tobytes = getattr(value, "tobytes", None)
    if callable(tobytes) and hasattr(value, "shape") and hasattr(value, "dtype"):
        return (_ARRAY, type(value).__qualname__, str(value.dtype), value.shape, tobytes())
    return value


def _pickled(value: Any) -> bytes:
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    # No memo: two equal values give the same bytes whether or not they share sub-objects.
    pickler.fast = True
    pickler.dump(value)
    return buffer.getvalue()


def default_cache_key(*args: Any, **kwargs: Any) -> bytes:
    """Bytes that identify the arguments: equal arguments give equal bytes.

    Containers are normalised first (dict and set order does not matter), then the whole is
    pickled without a memo. Values that cannot be pickled fall back to their ``repr``, which,
    when it shows an object's address, means such inputs never hit the cache.

    >>> default_cache_key({"a": 1, "b": [2]}) == default_cache_key({"b": [2], "a": 1})
    True
    >>> default_cache_key({"a": 1}) == default_cache_key({"a": 2})
    False
    """
    frozen = (_freeze(args), _freeze(kwargs))
    try:
        return _pickled(frozen)
    except (pickle.PicklingError, TypeError, AttributeError, ValueError, RecursionError):
        return repr(frozen).encode()


def digest(raw: Any) -> str:
    """The hex digest stored as the cache key for what a ``key_func`` returned.

    ``str`` and ``bytes`` are hashed as they are; anything else through
    :func:`default_cache_key`.

    >>> digest("abc") == digest(b"abc")
    True
    >>> len(digest(("a", 1)))
    32
    """
    if isinstance(raw, str):
        raw = raw.encode()
    elif not isinstance(raw, bytes):
        raw = default_cache_key(raw)
    return xxhash.xxh3_128_hexdigest(raw)
