"""A cache in this process's memory: fast, shared by every run of a graph, gone on exit.

Values are stored serialized, so a run never gets an object another run can still mutate.

>>> from nbpregel import StateGraph
>>> from nbpregel.types import CachePolicy
>>> from typing import TypedDict
>>> class State(TypedDict):
...     n: int
>>> calls = []
>>> def square(state: State) -> dict:
...     calls.append(state["n"])
...     return {"n": state["n"] ** 2}
>>> builder = StateGraph(State)
>>> _ = builder.add_node("square", square, cache_policy=CachePolicy())
>>> _ = builder.set_entry_point("square")
>>> graph = builder.compile(cache=InMemoryCache())
>>> graph.invoke({"n": 3}), graph.invoke({"n": 3}), calls
({'n': 9}, {'n': 9}, [3])
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence

from nbpregel.cache.base import BaseCache, FullKey, Namespace, ValueT, expiry_of
from nbpregel.checkpoint.serde import SerializerProtocol

__all__ = ["InMemoryCache"]

_Entry = tuple[str, bytes, float | None]
"""``(serializer tag, payload, expiry or None)``."""


class InMemoryCache(BaseCache[ValueT]):
    """A thread-safe cache in a dict of namespaces, each a dict of serialized entries.

    Expired entries are dropped when a lookup finds them.

    Args:
        serde: turns values into bytes and back; a ``SafeSerializer`` by default.
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self._entries: dict[Namespace, dict[str, _Entry]] = {}
        self._lock = threading.Lock()

    def get(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """The live values stored under ``keys``; missing and expired keys are left out."""
        found: dict[FullKey, tuple[str, bytes]] = {}
        now = time.time()
        with self._lock:
            for ns, key in keys:
                entries = self._entries.get(tuple(ns), {})
                entry = entries.get(key)
                if entry is None:
                    continue
                tag, payload, expiry = entry
                if expiry is not None and now >= expiry:
                    del entries[key]
                    continue
                found[(tuple(ns), key)] = (tag, payload)
        # Decoding needs no lock: the payload is immutable bytes.
        return {key: self.serde.loads_typed(data) for key, data in found.items()}

    def set(self, pairs: Mapping[FullKey, tuple[ValueT, float | None]]) -> None:
        """Store each ``key: (value, ttl)``; all values are serialized before any is stored."""
        now = time.time()
        encoded: list[tuple[Namespace, str, _Entry]] = []
        for (ns, key), (value, ttl) in pairs.items():
            tag, payload = self.serde.dumps_typed(value)
            encoded.append((tuple(ns), key, (tag, payload, expiry_of(ttl, now))))
        with self._lock:
            for ns, key, entry in encoded:
                self._entries.setdefault(ns, {})[key] = entry

    def clear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Delete the entries of ``namespaces`` (every entry when ``None``)."""
        with self._lock:
            if namespaces is None:
                self._entries.clear()
                return
            for ns in namespaces:
                self._entries.pop(tuple(ns), None)

    async def aget(self, keys: Sequence[FullKey]) -> dict[FullKey, ValueT]:
        """Same as :meth:`get` (memory is fast enough to read on the event loop)."""
        return self.get(keys)

    async def aset(self, pairs: Mapping[FullKey, tuple[ValueT, float | None]]) -> None:
        """Same as :meth:`set`."""
        self.set(pairs)

    async def aclear(self, namespaces: Sequence[Namespace] | None = None) -> None:
        """Same as :meth:`clear`."""
        self.clear(namespaces)

    def __len__(self) -> int:
        """The number of entries, expired ones not yet dropped included."""
        with self._lock:
            return sum(len(entries) for entries in self._entries.values())

    def __repr__(self) -> str:
        return f"InMemoryCache({len(self)} entries)"
