"""A store in this process's memory: shared by every run and thread of a graph, gone on exit.

It behaves as LangGraph's ``InMemoryStore`` (the differential tests hold it to that), except
where LangGraph's is unsafe or surprising:

* values are deep-copied when stored and when returned, so changing a dict you put or got never
  changes what is stored (LangGraph's shares nested objects with the caller);
* an update keeps the item's ``created_at`` (LangGraph's resets it on every put);
* ``list_namespaces`` lists only namespaces that hold items (LangGraph's also lists ones emptied
  by deletes or merely read), and reads never create a namespace;
* ``$gt`` / ``$gte`` / ``$lt`` / ``$lte`` compare values as Python does, and a missing key or an
  incomparable type does not match (LangGraph's converts both sides with ``float()`` and raises
  on a missing key or a non-numeric string);
* inputs LangGraph's mishandles silently are refused with a
  :class:`~nbpregel.store.StoreError`: a namespace or prefix that is not a tuple, a key that
  is not a ``str``, logical operators (``$or``) or unknown operators in a filter, a negative
  ``limit`` / ``offset``, ``max_depth`` under 1.

As in LangGraph's: ``ttl`` is refused (:class:`~nbpregel.store.TTLNotSupportedError`;
``ttl=None`` is fine) and ``refresh_ttl`` is ignored; ``search(query=...)`` on a store
without an ``index`` ignores the query; the reads of a batch see the store as it was before
the batch's writes.

Semantic search: give the store an ``index`` and ``search`` ranks items by the cosine similarity
of their embedded fields to the ``query`` (best of the item's vectors). The embedding function is
yours; nothing is downloaded and no vector library is needed. Unlike LangGraph's, ``dims`` (when
given) is checked against every vector, any object with ``embed_documents`` / ``embed_query``
is accepted, and model names (``"openai:..."``, which need LangChain) are refused.

>>> def embed(texts):  # a toy embedding: counts of two words
...     return [[t.count("cat"), t.count("dog")] for t in texts]
>>> store = InMemoryStore(index={"embed": embed, "dims": 2, "fields": ["text"]})
>>> store.put(("pets",), "a", {"text": "a dog and a dog"})
>>> store.put(("pets",), "b", {"text": "one cat"})
>>> [(item.key, round(item.score, 2)) for item in store.search(("pets",), query="cat")]
[('b', 1.0), ('a', 0.0)]
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nbpregel.store._batch import PlannedStore, QueryVectors, Write, read_all
from nbpregel.store._embed import StoredVector, rank
from nbpregel.store._errors import InvalidStoreArgumentError
from nbpregel.store._filter import filter_matches, namespaces_page
from nbpregel.store.base import (
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    Result,
    SearchItem,
    SearchOp,
)

__all__ = ["InMemoryStore"]


@dataclass(slots=True)
class _Record:
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    vectors: tuple[StoredVector, ...] = ()


_Hit = tuple[tuple[str, ...], str, _Record]


class InMemoryStore(PlannedStore):
    """A thread-safe dict of namespaces, each a dict of items in the order they were first put.

    ``search`` lists namespaces in the order they got their first item and, within one, keys in
    the order they were first put (an update keeps the key's place), as LangGraph does; with a
    ``query`` and an index, items are ranked by score, unembedded ones last.

    Args:
        index: ``{"embed": ..., "dims": ..., "fields": [...]}`` to enable ``search(query=...)``;
            see :class:`~nbpregel.store.base.IndexConfig`. ``None``: queries are ignored.

    Raises:
        InvalidStoreArgumentError: for an index config it cannot use.
    """

    def __init__(self, *, index: IndexConfig | None = None) -> None:
        super().__init__(index=index)
        self._data: dict[tuple[str, ...], dict[str, _Record]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        with self._lock:
            spaces = [records for records in self._data.values() if records]
        return f"InMemoryStore({sum(map(len, spaces))} items in {len(spaces)} namespaces)"

    def _copy_value(self, key: str, value: Mapping[str, Any]) -> dict[str, Any]:
        try:
            return copy.deepcopy(dict(value))
        except Exception as error:
            raise InvalidStoreArgumentError(
                f"value for key {key!r} cannot be copied ({type(error).__name__}: {error}): "
                "store plain data (dicts, lists, str, numbers), not live objects such as locks "
                "or files"
            ) from error

    def _run(
        self, ops: Sequence[Op], writes: Sequence[Write], queries: QueryVectors
    ) -> list[Result]:
        with self._lock:
            now = datetime.now(UTC)  # under the lock: timestamps follow the order of writes
            results = read_all(ops, queries, self._get, self._search, self._list_namespaces)
            for write in writes:
                self._apply(write, now)
        return results

    # -- reads and writes; the caller holds the lock -------------------------------------------

    def _get(self, op: GetOp) -> Item | None:
        record = self._data.get(op.namespace, {}).get(op.key)
        if record is None:
            return None
        return Item(
            value=copy.deepcopy(record.value),
            key=op.key,
            namespace=op.namespace,
            created_at=record.created_at,
            updated_at=record.updated_at,
        )

    def _search(self, op: SearchOp, query: tuple[float, ...] | None) -> list[SearchItem]:
        depth = len(op.namespace_prefix)
        found: list[_Hit] = [
            (namespace, key, record)
            for namespace, records in self._data.items()
            if namespace[:depth] == op.namespace_prefix
            for key, record in records.items()
            if filter_matches(record.value, op.filter)
        ]
        ranked = rank(found, _vectors_of, query)
        return [
            SearchItem(
                namespace,
                key,
                copy.deepcopy(record.value),
                record.created_at,
                record.updated_at,
                score,
            )
            for score, (namespace, key, record) in ranked[op.offset : op.offset + op.limit]
        ]

    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        return namespaces_page((ns for ns, records in self._data.items() if records), op)

    def _apply(self, write: Write, now: datetime) -> None:
        if write.value is None:
            # The namespace stays (empty): it keeps its place in search order, as LangGraph's.
            self._data.get(write.namespace, {}).pop(write.key, None)
            return
        records = self._data.setdefault(write.namespace, {})
        old = records.get(write.key)
        created = old.created_at if old is not None else now
        records[write.key] = _Record(write.value, created, now, write.vectors)


def _vectors_of(hit: _Hit) -> tuple[StoredVector, ...]:
    return hit[2].vectors
