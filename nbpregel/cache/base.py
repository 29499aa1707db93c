"""What a node cache is: a store of serialized values under ``(namespace, key)``, each with a TTL.

The engine keeps one entry per cached task: the namespace names the node, the key is a hash of
the node's input, and the value is the list of ``(channel, value)`` writes the node made. Any
class with the three sync methods below can be passed as ``compile(cache=...)``; the async twins
default to running the sync ones in a worker thread.

>>> from nbpregel.cache.memory import InMemoryCache
>>> cache = InMemoryCache()
>>> cache.set({(("node",), "k1"): ([("x", 1)], None)})
>>> cache.get([(("node",), "k1"), (("node",), "missing")])
{(('node',), 'k1'): [('x', 1)]}
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Generic, TypeAlias, TypeVar

from nbpregel.checkpoint.serde import SafeSerializer, SerializerProtocol

__all__ = ["BaseCache", "FullKey", "Namespace", "ValueT", "expiry_of"]

ValueT = TypeVar("ValueT")

Namespace: TypeAlias = tuple[str, ...]
"""Groups entries so that they can be cleared together (the engine uses one per node)."""

FullKey: TypeAlias = tuple[Namespace, str]
"""Where an entry lives: ``(namespace, key)``."""


def expiry_of(ttl: float | None, now: float | None = None) -> float | None:
    """The wall-clock time (seconds since the epoch) at which an entry set now with ``ttl`` expires.

    Wall-clock time, not a monotonic clock, so that several processes sharing a cache file agree.

    >>> expiry_of(None) is None
    True
    >>> expiry_of(10, now=100.0)
    110.0

    Raises:
        ValueError: when ``ttl`` is negative.
    """
    if ttl is None:
        return None
    if ttl < 0:
        raise ValueError(f"cache ttl must be a number of seconds >= 0 or None, got {ttl!r}")
    return (time.time() if now is None else now) + ttl


class BaseCache(ABC, Generic[ValueT]):
    """A cache of serialized values, shared by every run of the graphs it is given to.

    Subclasses implement :meth:`get`, :meth:`set` and :meth:`clear`; they must be safe to call
    from several threads at once, since runs of the same graph may overlap.

    Args:
        serde: turns values into bytes and back; a :class:`SafeSerializer` by default, so
            nothing is pickled unless a serializer that allows it is passed.
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde: SerializerProtocol = serde if serde is not None else SafeSerializer()

    @abstractmethod
    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """The live (not expired) values stored under ``keys``; missing keys are left out."""

    @abstractmethod
    def set(self, pairs: Mapping[FullKey, tuple[ValueT, float | None]]) -> None:
        """Store each ``key: (value, ttl)``; ``ttl`` in seconds, ``None`` for no expiry.

        Raises:
            SerializationError: when the serializer refuses a value (nothing is stored then).
            ValueError: when a ``ttl`` is negative.
        """

    @abstractmethod
    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete every entry of ``namespaces``, or every entry when ``namespaces`` is ``None``."""

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """The async twin of :meth:`get`."""
        return await asyncio.to_thread(self.get, keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[ValueT, float | None]]) -> None:
        """The async twin of :meth:`set`."""
        await asyncio.to_thread(self.set, pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """The async twin of :meth:`clear`."""
        await asyncio.to_thread(self.clear, namespaces)
