"""Semantic search in pure Python: embedders, the text at a path of a value, cosine similarity.

An index's ``embed`` is a function from texts to vectors (sync or ``async``), or an object with
``embed_documents`` / ``embed_query`` (LangChain ``Embeddings`` objects qualify, but LangChain is
not needed). :func:`ensure_embeddings` turns either into an :class:`Embeddings`.

>>> def letters(texts):
...     return [[t.count("a"), t.count("b")] for t in texts]
>>> embeddings = ensure_embeddings(letters)
>>> embeddings.embed_query("abba")
[2, 2]
>>> texts_at_path({"tags": ["x", {"y": 1}], "n": None}, tokenize_path("tags[*]"))
['x', '{"y": 1}']
>>> round(cosine([1.0, 0.0], [1.0, 1.0]), 3)
0.707
"""

from __future__ import annotations

import asyncio
import inspect
import json
import math
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

from nbpregel.store._errors import EmbeddingError, InvalidStoreArgumentError, kind_of

__all__ = [
    "WHOLE_VALUE",
    "Embeddings",
    "StoredVector",
    "checked_vectors",
    "cosine",
    "ensure_embeddings",
    "norm",
    "rank",
    "texts_at_path",
    "tokenize_path",
]

WHOLE_VALUE: Final = "$"
"""The field path that embeds the whole value, as JSON."""

_SEGMENT = re.compile(r"([^\[\]]+)((?:\[(?:-?\d+|\*)\])*)")
_INDEX = re.compile(r"\[(-?\d+|\*)\]")
_EVERY: Final = "*"

Vector = list[float]
StoredVector = tuple[tuple[float, ...], float]
"""A stored vector with its norm, computed once."""
_Hit = TypeVar("_Hit")


class Embeddings(ABC):
    """Turns texts into vectors; subclass it, or pass a function to :func:`ensure_embeddings`.

    The async methods run the sync ones in a worker thread unless overridden.

    Example:
        >>> class Length(Embeddings):
        ...     def embed_documents(self, texts):
        ...         return [[float(len(t)), 1.0] for t in texts]
        ...     def embed_query(self, text):
        ...         return [float(len(text)), 1.0]
        >>> Length().embed_documents(["ab"])
        [[2.0, 1.0]]
    """

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> list[Vector]:
        """One vector per text, in order."""

    @abstractmethod
    def embed_query(self, text: str) -> Vector:
        """The vector of a search query."""

    async def aembed_documents(self, texts: list[str]) -> list[Vector]:
        """One vector per text, in order, without blocking the event loop."""
        return await asyncio.to_thread(self.embed_documents, texts)

    async def aembed_query(self, text: str) -> Vector:
        """The vector of a search query, without blocking the event loop."""
        return await asyncio.to_thread(self.embed_query, text)


class _FunctionEmbeddings(Embeddings):
    """A function ``list[str] -> list[vector]``, sync or ``async``, as :class:`Embeddings`."""

    def __init__(self, function: Callable[[list[str]], Any]) -> None:
        self.function = function
        self.is_async = inspect.iscoroutinefunction(function)

    def embed_documents(self, texts: list[str]) -> list[Vector]:
        if self.is_async:
            raise EmbeddingError(
                f"the index's embed {self.function.__name__!r} is an async function, so it can "
                "only run in the store's async methods (aput, asearch, abatch); call those, or "
                "give the index a sync function"
            )
        return list(self.function(texts))

    def embed_query(self, text: str) -> Vector:
        return self.embed_documents([text])[0]

    async def aembed_documents(self, texts: list[str]) -> list[Vector]:
        if self.is_async:
            return list(await self.function(texts))
        return await super().aembed_documents(texts)

    async def aembed_query(self, text: str) -> Vector:
        return (await self.aembed_documents([text]))[0]


class _ObjectEmbeddings(Embeddings):
    """An object with ``embed_documents`` / ``embed_query`` (and maybe async twins)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[Vector]:
        return list(self.embedder.embed_documents(texts))

    def embed_query(self, text: str) -> Vector:
        return list(self.embedder.embed_query(text))

    async def aembed_documents(self, texts: list[str]) -> list[Vector]:
        if hasattr(self.embedder, "aembed_documents"):
            return list(await self.embedder.aembed_documents(texts))
        return await super().aembed_documents(texts)

    async def aembed_query(self, text: str) -> Vector:
        if hasattr(self.embedder, "aembed_query"):
            return list(await self.embedder.aembed_query(text))
        return await super().aembed_query(text)


def ensure_embeddings(embed: Any) -> Embeddings:
    """``embed`` as :class:`Embeddings`: an instance as is; an object or a function wrapped.

    Raises:
        InvalidStoreArgumentError: for a model name (nbpregel does not load models by name) or
            anything that is neither a function nor an object with ``embed_documents`` and
            ``embed_query``.

    Example:
        >>> try:
        ...     ensure_embeddings("openai:text-embedding-3-small")
        ... except InvalidStoreArgumentError as error:
        ...     print(str(error).split(";")[0])
        index embed 'openai:text-embedding-3-small' is a model name
    """
    if isinstance(embed, Embeddings):
        return embed
    if hasattr(embed, "embed_documents") and hasattr(embed, "embed_query"):
        return _ObjectEmbeddings(embed)
    fix = (
        "pass a function list[str] -> list[list[float]], or an object with embed_documents "
        "and embed_query (e.g. a LangChain Embeddings instance)"
    )
    if isinstance(embed, str):
        raise InvalidStoreArgumentError(
            f"index embed {embed!r} is a model name; nbpregel does not load models by name: {fix}"
        )
    if not callable(embed):
        raise InvalidStoreArgumentError(
            f"index embed {embed!r} is {kind_of(embed)}, which cannot embed texts: {fix}"
        )
    return _FunctionEmbeddings(embed)


def tokenize_path(path: str) -> tuple[str, ...]:
    """The steps of a field path: names, ``[n]`` list positions and ``[*]`` (every element).

    ``"$"`` (the whole value) has no steps.

    Raises:
        InvalidStoreArgumentError: when the path is not of that form.

    Example:
        >>> tokenize_path("items[0].name"), tokenize_path("$")
        (('items', '[0]', 'name'), ())
    """
    if path == WHOLE_VALUE:
        return ()
    steps: list[str] = []
    for segment in path.split(".") if isinstance(path, str) else [None]:
        found = _SEGMENT.fullmatch(segment) if segment else None
        if found is None:
            raise InvalidStoreArgumentError(
                f"field path {path!r} cannot be read: write names joined by '.', each maybe "
                "followed by [n] or [*], e.g. 'meta.title' or 'tags[*]', or '$' for the whole value"
            )
        steps.append(found.group(1))
        steps.extend(f"[{index}]" for index in _INDEX.findall(found.group(2)))
    return tuple(steps)


def _step(nodes: list[Any], step: str) -> list[Any]:
    """The values one step below each of ``nodes``; missing keys and positions give nothing."""
    below: list[Any] = []
    for node in nodes:
        if not step.startswith("["):
            if isinstance(node, dict) and step in node:
                below.append(node[step])
        elif isinstance(node, list):
            index = step[1:-1]
            if index == _EVERY:
                below.extend(node)
            elif -len(node) <= int(index) < len(node):
                below.append(node[int(index)])
    return below


def _as_text(found: Any) -> str:
    if isinstance(found, str):
        return found
    if isinstance(found, dict | list):
        return json.dumps(found, sort_keys=True, default=str)
    return str(found)


def texts_at_path(value: dict[str, Any], steps: Sequence[str]) -> list[str]:
    """The texts to embed at ``steps`` of ``value``: strings as is, dicts and lists as JSON.

    ``None`` and missing parts give no text.

    Example:
        >>> texts_at_path({"meta": {"title": "Hi", "n": 2}}, ("meta",))
        ['{"n": 2, "title": "Hi"}']
        >>> texts_at_path({"meta": {"n": 2}}, ("meta", "n")), texts_at_path({}, ("meta",))
        (['2'], [])
    """
    nodes: list[Any] = [value]
    for step in steps:
        nodes = _step(nodes, step)
    return [_as_text(node) for node in nodes if node is not None]


def norm(vector: Sequence[float]) -> float:
    """The Euclidean length of ``vector``."""
    return math.sqrt(sum(map(operator.mul, vector, vector)))


def cosine(
    query: Sequence[float],
    vector: Sequence[float],
    query_norm: float | None = None,
    vector_norm: float | None = None,
) -> float:
    """The cosine of the angle between two vectors of equal length; 0.0 if either is zero.

    Pass the norms when they are known, to save computing them again.

    Raises:
        EmbeddingError: when the vectors have different lengths.
    """
    if len(query) != len(vector):
        raise EmbeddingError(
            f"the query vector has {len(query)} numbers but a stored vector has {len(vector)}: "
            "the index's embed must return vectors of one length; set dims to check it on put"
        )
    lengths = (norm(query) if query_norm is None else query_norm) * (
        norm(vector) if vector_norm is None else vector_norm
    )
    return sum(map(operator.mul, query, vector)) / lengths if lengths else 0.0


def checked_vectors(
    vectors: Sequence[Sequence[float]], texts: int, dims: int | None
) -> list[tuple[float, ...]]:
    """``vectors`` as tuples of floats, after checking there is one per text, of ``dims`` numbers.

    Raises:
        EmbeddingError: for a wrong count or length, naming both.

    Example:
        >>> checked_vectors([[1, 2]], texts=1, dims=2)
        [(1.0, 2.0)]
    """
    if len(vectors) != texts:
        raise EmbeddingError(
            f"the index's embed returned {len(vectors)} vectors for {texts} texts: it must "
            "return one vector per text, in order"
        )
    checked = [tuple(float(number) for number in vector) for vector in vectors]
    for vector in checked:
        if dims is not None and len(vector) != dims:
            raise EmbeddingError(
                f"the index's embed returned a vector of {len(vector)} numbers but the index "
                f"says dims={dims}: set dims to {len(vector)}, or fix the embed"
            )
    return checked


def rank(
    hits: Sequence[_Hit],
    vectors_of: Callable[[_Hit], Sequence[StoredVector]],
    query: Sequence[float] | None,
) -> list[tuple[float | None, _Hit]]:
    """``hits`` with their scores: by best cosine to ``query``, then the unembedded ones.

    Each hit scores its best vector; hits without vectors score ``None`` and keep their order
    after the others. Without a query every score is ``None`` and the order is kept.

    Example:
        >>> vectors = {"a": [((1.0, 0.0), 1.0)], "b": [((0.0, 1.0), 1.0)], "c": []}
        >>> rank(["a", "b", "c"], vectors.get, (0.0, 2.0))
        [(1.0, 'b'), (0.0, 'a'), (None, 'c')]
    """
    if query is None:
        return [(None, hit) for hit in hits]
    query_norm = norm(query)
    scored: list[tuple[float, _Hit]] = []
    unscored: list[tuple[float | None, _Hit]] = []
    for hit in hits:
        vectors = vectors_of(hit)
        if not vectors:
            unscored.append((None, hit))
            continue
        best = max(cosine(query, vector, query_norm, length) for vector, length in vectors)
        scored.append((best, hit))
    scored.sort(key=lambda pair: -pair[0])
    return [*scored, *unscored]
