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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nbpregel.store._embed import (
    WHOLE_VALUE,
    Embeddings,
    checked_vectors,
    cosine,
    ensure_embeddings,
    norm,
    texts_at_path,
    tokenize_path,
)
from nbpregel.store._errors import InvalidStoreArgumentError
from nbpregel.store._filter import filter_matches, namespace_matches
from nbpregel.store._validate import check_op
from nbpregel.store.base import (
    BaseStore,
    GetOp,
    IndexConfig,
    Item,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchItem,
    SearchOp,
)

__all__ = ["InMemoryStore"]

_Vector = tuple[tuple[float, ...], float]
"""A stored vector with its norm, computed once."""


@dataclass(slots=True)
class _Record:
    value: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    vectors: tuple[_Vector, ...] = ()


@dataclass(frozen=True, slots=True)
class _Write:
    """A put or delete, checked and copied, with the texts to embed for it."""

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    texts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Plan:
    """A checked batch: its ops, the writes it ends with, and what must be embedded first."""

    ops: tuple[Op, ...]
    writes: tuple[_Write, ...]
    queries: tuple[str, ...]
    texts: list[str]
    """Every write's texts, in order: embedded in one call."""


def _copy_value(key: str, value: Mapping[str, Any]) -> dict[str, Any]:
    try:
        return copy.deepcopy(dict(value))
    except Exception as error:
        raise InvalidStoreArgumentError(
            f"value for key {key!r} cannot be copied ({type(error).__name__}: {error}): store "
            "plain data (dicts, lists, str, numbers), not live objects such as locks or files"
        ) from error


def _check_index_config(index: Any) -> None:
    if not isinstance(index, Mapping) or "embed" not in index:
        raise InvalidStoreArgumentError(
            f"index {index!r} must be a dict with an 'embed' function, e.g. "
            "{'embed': embed, 'dims': 3, 'fields': ['text']}"
        )
    dims, fields = index.get("dims"), index.get("fields")
    if dims is not None and (not isinstance(dims, int) or dims < 1):
        raise InvalidStoreArgumentError(f"index dims={dims!r} must be an int >= 1")
    if fields is not None and (
        not isinstance(fields, list) or not all(isinstance(f, str) for f in fields)
    ):
        raise InvalidStoreArgumentError(
            f"index fields={fields!r} must be a list of paths, e.g. ['text', 'tags[*]'], or None"
        )


class InMemoryStore(BaseStore):
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
        self._data: dict[tuple[str, ...], dict[str, _Record]] = {}
        self._lock = threading.Lock()
        self.index_config: IndexConfig | None = None
        self.embeddings: Embeddings | None = None
        self._fields: tuple[tuple[str, ...], ...] = ()
        if index is not None:
            _check_index_config(index)
            fields = index.get("fields") or [WHOLE_VALUE]
            self.index_config = {**index, "fields": fields}
            self.embeddings = ensure_embeddings(index["embed"])
            self._fields = tuple(tokenize_path(path) for path in fields)

    def __repr__(self) -> str:
        with self._lock:
            spaces = [records for records in self._data.values() if records]
        return f"InMemoryStore({sum(map(len, spaces))} items in {len(spaces)} namespaces)"

    # -- the batch: check and copy, embed (sync or async), then read and write under the lock --

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops``: reads see the store as it was before the batch's writes."""
        plan = self._plan(ops)
        documents: Sequence[Sequence[float]] = []
        queries: dict[str, Sequence[float]] = {}
        if self.embeddings is not None:
            documents = self.embeddings.embed_documents(plan.texts) if plan.texts else []
            queries = {query: self.embeddings.embed_query(query) for query in plan.queries}
        return self._run(plan, documents, queries)

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """:meth:`batch`, for async code; an async ``embed`` is awaited here."""
        plan = self._plan(ops)
        documents: Sequence[Sequence[float]] = []
        queries: dict[str, Sequence[float]] = {}
        if self.embeddings is not None:
            documents = await self.embeddings.aembed_documents(plan.texts) if plan.texts else []
            for query in plan.queries:
                queries[query] = await self.embeddings.aembed_query(query)
        return self._run(plan, documents, queries)

    def _plan(self, ops: Iterable[Op]) -> _Plan:
        """Check every op and copy every value before anything is embedded or stored."""
        ops = tuple(ops)
        for op in ops:
            check_op(op, supports_ttl=self.supports_ttl)
        writes: dict[tuple[tuple[str, ...], str], _Write] = {}
        for op in ops:
            if isinstance(op, PutOp):
                writes[(op.namespace, op.key)] = self._write_of(op)  # the last put wins
        queries = {
            op.query: None
            for op in ops
            if isinstance(op, SearchOp) and op.query and self.embeddings is not None
        }
        texts = [text for write in writes.values() for text in write.texts]
        return _Plan(ops, tuple(writes.values()), tuple(queries), texts)

    def _write_of(self, op: PutOp) -> _Write:
        if op.value is None:
            return _Write(op.namespace, op.key, None)
        value = _copy_value(op.key, op.value)
        if self.embeddings is None or op.index is False:
            return _Write(op.namespace, op.key, value)
        paths = self._fields if op.index is None else [tokenize_path(p) for p in op.index]
        texts = tuple(text for steps in paths for text in texts_at_path(value, steps))
        return _Write(op.namespace, op.key, value, texts)

    def _run(
        self,
        plan: _Plan,
        documents: Sequence[Sequence[float]],
        queries: Mapping[str, Sequence[float]],
    ) -> list[Result]:
        dims = self.index_config.get("dims") if self.index_config else None
        flat = checked_vectors(documents, len(plan.texts), dims)
        query_vectors = {
            query: checked_vectors([vector], 1, dims)[0] for query, vector in queries.items()
        }
        now = datetime.now(UTC)
        with self._lock:
            results = [self._read(op, query_vectors) for op in plan.ops]
            start = 0
            for write in plan.writes:
                vectors = flat[start : start + len(write.texts)]
                start += len(write.texts)
                self._apply(write, tuple((vector, norm(vector)) for vector in vectors), now)
        return results

    # -- reads and writes; the caller holds the lock -------------------------------------------

    def _read(self, op: Op, queries: Mapping[str, tuple[float, ...]]) -> Result:
        if isinstance(op, GetOp):
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
        if isinstance(op, SearchOp):
            return self._search(op, queries.get(op.query) if op.query else None)
        if isinstance(op, ListNamespacesOp):
            return self._list_namespaces(op)
        return None

    def _search(self, op: SearchOp, query: tuple[float, ...] | None) -> list[SearchItem]:
        depth = len(op.namespace_prefix)
        found = [
            (namespace, key, record)
            for namespace, records in self._data.items()
            if namespace[:depth] == op.namespace_prefix
            for key, record in records.items()
            if filter_matches(record.value, op.filter)
        ]
        ranked: list[tuple[float | None, tuple[tuple[str, ...], str, _Record]]]
        ranked = [(None, hit) for hit in found]
        if query is not None:
            query_norm = norm(query)
            scores = [_best_score(query, query_norm, record) for _, _, record in found]
            scored = sorted(
                ((s, hit) for s, hit in zip(scores, found, strict=True) if s is not None),
                key=lambda pair: -pair[0],
            )
            unscored = [(s, hit) for s, hit in zip(scores, found, strict=True) if s is None]
            ranked = [*scored, *unscored]
        page = ranked[op.offset : op.offset + op.limit]
        return [
            SearchItem(
                namespace,
                key,
                copy.deepcopy(record.value),
                record.created_at,
                record.updated_at,
                score,
            )
            for score, (namespace, key, record) in page
        ]

    def _list_namespaces(self, op: ListNamespacesOp) -> list[tuple[str, ...]]:
        spaces = {
            namespace
            for namespace, records in self._data.items()
            if records and namespace_matches(namespace, op.match_conditions)
        }
        if op.max_depth is not None:
            spaces = {namespace[: op.max_depth] for namespace in spaces}
        return sorted(spaces)[op.offset : op.offset + op.limit]

    def _apply(self, write: _Write, vectors: tuple[_Vector, ...], now: datetime) -> None:
        if write.value is None:
            # The namespace stays (empty): it keeps its place in search order, as LangGraph's.
            self._data.get(write.namespace, {}).pop(write.key, None)
            return
        records = self._data.setdefault(write.namespace, {})
        old = records.get(write.key)
        created = old.created_at if old is not None else now
        records[write.key] = _Record(write.value, created, now, vectors)


def _best_score(query: tuple[float, ...], query_norm: float, record: _Record) -> float | None:
    """The item's best similarity to the query; ``None`` if it has no vectors."""
    if not record.vectors:
        return None
    return max(cosine(query, vector, query_norm, length) for vector, length in record.vectors)
