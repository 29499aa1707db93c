"""The batch pipeline every nbpregel store shares: plan, embed, then run.

A store's ``batch`` (and ``abatch``) goes through three phases, so that a refused op or a
failing embedder leaves nothing half written:

1. plan: check every op (:func:`~nbpregel.store._validate.check_op`), copy every value into
   the store's own form (a deep copy, or JSON), and collect the texts to embed; the last put to
   a key wins;
2. embed: every text in one ``embed_documents`` call and each distinct query once (awaited in
   ``abatch``), then check the number and length of the vectors;
3. run: the store's ``_run`` answers the reads as the store was before the batch, then applies
   the writes, under its lock or in one transaction.

Subclasses implement ``_copy_value`` and ``_run``, and may override ``_arun`` to keep slow
input / output off the event loop.

>>> from nbpregel.store.memory import InMemoryStore
>>> InMemoryStore().batch([PutOp(("docs",), "a", {"n": 1}), PutOp(("docs",), "a", None)])
[None, None]
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from nbpregel.store._embed import (
    WHOLE_VALUE,
    Embeddings,
    StoredVector,
    checked_vectors,
    ensure_embeddings,
    norm,
    texts_at_path,
    tokenize_path,
)
from nbpregel.store._errors import InvalidStoreArgumentError
from nbpregel.store._item import Item, SearchItem
from nbpregel.store._ops import (
    GetOp,
    IndexConfig,
    ListNamespacesOp,
    Op,
    PutOp,
    Result,
    SearchOp,
)
from nbpregel.store._validate import check_op
from nbpregel.store.base import BaseStore

__all__ = ["Plan", "PlannedStore", "QueryVectors", "Write", "check_index_config", "read_all"]

QueryVectors = Mapping[str, tuple[float, ...]]
"""Each distinct search query of a batch, embedded."""


@dataclass(frozen=True, slots=True)
class Write:
    """A put or delete, checked and copied, with the texts to embed and then their vectors."""

    namespace: tuple[str, ...]
    key: str
    value: dict[str, Any] | None
    texts: tuple[str, ...] = ()
    vectors: tuple[StoredVector, ...] = ()


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked batch: its ops, the writes it ends with, and the queries to embed."""

    ops: tuple[Op, ...]
    writes: tuple[Write, ...]
    queries: tuple[str, ...]

    @property
    def texts(self) -> list[str]:
        """Every write's texts, in order: embedded in one call."""
        return [text for write in self.writes for text in write.texts]


def check_index_config(index: Any) -> None:
    """Refuse an ``index=`` a store cannot use, saying what it should look like.

    Raises:
        InvalidStoreArgumentError: for a config without ``embed``, or with bad dims / fields.
    """
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


def read_all(
    ops: Sequence[Op],
    queries: QueryVectors,
    get: Callable[[GetOp], Item | None],
    search: Callable[[SearchOp, tuple[float, ...] | None], list[SearchItem]],
    listing: Callable[[ListNamespacesOp], list[tuple[str, ...]]],
) -> list[Result]:
    """One result per op: the reads answered by the store's functions, ``None`` for writes."""
    results: list[Result] = []
    for op in ops:
        if isinstance(op, GetOp):
            results.append(get(op))
        elif isinstance(op, SearchOp):
            results.append(search(op, queries.get(op.query) if op.query else None))
        elif isinstance(op, ListNamespacesOp):
            results.append(listing(op))
        else:
            results.append(None)
    return results


class PlannedStore(BaseStore):
    """A store whose batches are planned, embedded and run as the module docstring says.

    Args:
        index: ``{"embed": ..., "dims": ..., "fields": [...]}`` to enable ``search(query=...)``;
            ``None``: queries are ignored.

    Raises:
        InvalidStoreArgumentError: for an index config it cannot use.
    """

    def __init__(self, *, index: IndexConfig | None = None) -> None:
        self.index_config: IndexConfig | None = None
        self.embeddings: Embeddings | None = None
        self._fields: tuple[tuple[str, ...], ...] = ()
        if index is not None:
            check_index_config(index)
            fields = index.get("fields") or [WHOLE_VALUE]
            self.index_config = {**index, "fields": fields}
            self.embeddings = ensure_embeddings(index["embed"])
            self._fields = tuple(tokenize_path(path) for path in fields)

    @abstractmethod
    def _copy_value(self, key: str, value: Mapping[str, Any]) -> dict[str, Any]:
        """``value`` as the store will keep it, sharing nothing with the caller's dict."""

    @abstractmethod
    def _run(
        self, ops: Sequence[Op], writes: Sequence[Write], queries: QueryVectors
    ) -> list[Result]:
        """Answer the reads as the store was before the batch, then apply ``writes``."""

    async def _arun(
        self, ops: Sequence[Op], writes: Sequence[Write], queries: QueryVectors
    ) -> list[Result]:
        """:meth:`_run`, for ``abatch``; override it to move slow work off the event loop."""
        return self._run(ops, writes, queries)

    def batch(self, ops: Iterable[Op]) -> list[Result]:
        """Run ``ops``: reads see the store as it was before the batch's writes."""
        plan = self._plan(ops)
        documents: Sequence[Sequence[float]] = []
        queries: dict[str, Sequence[float]] = {}
        if self.embeddings is not None:
            texts = plan.texts
            documents = self.embeddings.embed_documents(texts) if texts else []
            queries = {query: self.embeddings.embed_query(query) for query in plan.queries}
        return self._run(plan.ops, *self._embedded(plan, documents, queries))

    async def abatch(self, ops: Iterable[Op]) -> list[Result]:
        """:meth:`batch`, for async code; an async ``embed`` is awaited here."""
        plan = self._plan(ops)
        documents: Sequence[Sequence[float]] = []
        queries: dict[str, Sequence[float]] = {}
        if self.embeddings is not None:
            texts = plan.texts
            documents = await self.embeddings.aembed_documents(texts) if texts else []
            for query in plan.queries:
                queries[query] = await self.embeddings.aembed_query(query)
        return await self._arun(plan.ops, *self._embedded(plan, documents, queries))

    def _plan(self, ops: Iterable[Op]) -> Plan:
        """Check every op and copy every value before anything is embedded or stored."""
        ops = tuple(ops)
        for op in ops:
            check_op(op, supports_ttl=self.supports_ttl)
        writes: dict[tuple[tuple[str, ...], str], Write] = {}
        for op in ops:
            if isinstance(op, PutOp):
                writes[(op.namespace, op.key)] = self._write_of(op)  # the last put wins
        queries = {
            op.query: None
            for op in ops
            if isinstance(op, SearchOp) and op.query and self.embeddings is not None
        }
        return Plan(ops, tuple(writes.values()), tuple(queries))

    def _write_of(self, op: PutOp) -> Write:
        if op.value is None:
            return Write(op.namespace, op.key, None)
        value = self._copy_value(op.key, op.value)
        if self.embeddings is None or op.index is False:
            return Write(op.namespace, op.key, value)
        paths = self._fields if op.index is None else [tokenize_path(p) for p in op.index]
        texts = tuple(text for steps in paths for text in texts_at_path(value, steps))
        return Write(op.namespace, op.key, value, texts)

    def _embedded(
        self,
        plan: Plan,
        documents: Sequence[Sequence[float]],
        queries: Mapping[str, Sequence[float]],
    ) -> tuple[list[Write], dict[str, tuple[float, ...]]]:
        """The plan's writes with their vectors, and the query vectors, all checked."""
        dims = self.index_config.get("dims") if self.index_config else None
        flat = checked_vectors(documents, len(plan.texts), dims)
        writes, start = [], 0
        for write in plan.writes:
            vectors = flat[start : start + len(write.texts)]
            start += len(write.texts)
            if vectors:
                write = replace(write, vectors=tuple((v, norm(v)) for v in vectors))
            writes.append(write)
        query_vectors = {
            query: checked_vectors([vector], 1, dims)[0] for query, vector in queries.items()
        }
        return writes, query_vectors
