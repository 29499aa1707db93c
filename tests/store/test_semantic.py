"""Semantic search: ``index=`` and ``search(query=...)``, on every store kind, sync and async."""

from __future__ import annotations

import math
from typing import Any

import pytest

from nbpregel.store import (
    EmbeddingError,
    Embeddings,
    InvalidStoreArgumentError,
    PutOp,
)
from nbpregel.store.base import get_text_at_path

from .conftest import Api, MakeStore

WORDS = ("cat", "dog", "fish")


def count_words(texts: list[str]) -> list[list[float]]:
    """A toy embedding: how often each of three words occurs, plus a small constant."""
    return [[text.lower().count(word) + 0.0 for word in WORDS] + [0.1] for text in texts]


def expected_cosine(text: str, query: str) -> float:
    (a,), (b,) = count_words([text]), count_words([query])
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


class Recorder(Embeddings):
    """An :class:`Embeddings` that remembers what it was asked to embed."""

    def __init__(self) -> None:
        self.documents: list[list[str]] = []
        self.queries: list[str] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.documents.append(list(texts))
        return count_words(texts)

    def embed_query(self, text: str) -> list[float]:
        self.queries.append(text)
        return count_words([text])[0]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def indexed(recorder: Recorder, mode: str, make_store: MakeStore) -> Api:
    store = make_store(index={"embed": recorder, "dims": 4, "fields": ["text"]})
    return Api(store, mode)


PETS = [
    ("a", {"text": "a dog, a dog and a cat"}),
    ("b", {"text": "cat cat cat"}),
    ("c", {"text": "fish"}),
    ("d", {"title": "no text field"}),
]


async def put_pets(api: Api) -> None:
    for key, value in PETS:
        await api.put(("pets",), key, value)


async def test_query_ranks_by_cosine_and_unembedded_items_come_last(indexed: Api) -> None:
    await put_pets(indexed)
    found = await indexed.search(("pets",), query="cat")
    assert [item.key for item in found] == ["b", "a", "c", "d"]
    for item in found[:3]:
        assert item.score == pytest.approx(expected_cosine(item.value["text"], "cat"))
    assert found[3].score is None


async def test_query_results_are_paginated_after_ranking(indexed: Api) -> None:
    await put_pets(indexed)
    ranked = [item.key for item in await indexed.search(("pets",), query="dog", limit=10)]
    page = await indexed.search(("pets",), query="dog", limit=2, offset=1)
    assert [item.key for item in page] == ranked[1:3]


async def test_filter_applies_before_ranking(indexed: Api) -> None:
    await put_pets(indexed)
    found = await indexed.search(("pets",), query="cat", filter={"text": "fish"})
    assert [item.key for item in found] == ["c"]
    assert found[0].score == pytest.approx(expected_cosine("fish", "cat"))


async def test_fields_and_index_argument_choose_what_is_embedded(
    indexed: Api, recorder: Recorder
) -> None:
    await indexed.put(("p",), "default", {"text": "cat", "other": "dog"})
    await indexed.put(("p",), "override", {"text": "cat", "other": "dog"}, index=["other"])
    await indexed.put(("p",), "skipped", {"text": "cat"}, index=False)
    assert recorder.documents == [["cat"], ["dog"]]
    found = await indexed.search(("p",), query="dog")
    assert [(item.key, item.score is None) for item in found] == [
        ("override", False),
        ("default", False),
        ("skipped", True),
    ]


async def test_whole_value_is_embedded_by_default(
    mode: str, make_store: MakeStore, recorder: Recorder
) -> None:
    api = Api(make_store(index={"embed": recorder, "dims": 4}), mode)
    await api.put(("p",), "k", {"b": "dog", "a": "cat"})
    assert recorder.documents == [['{"a": "cat", "b": "dog"}']]


async def test_an_item_scores_its_best_vector(mode: str, make_store: MakeStore) -> None:
    store = make_store(index={"embed": count_words, "dims": 4, "fields": ["tags[*]"]})
    api = Api(store, mode)
    await api.put(("p",), "many", {"tags": ["fish", "dog", "cat"]})
    await api.put(("p",), "mixed", {"tags": ["cat dog"]})
    found = await api.search(("p",), query="cat")
    assert found[0].key == "many"
    assert found[0].score == pytest.approx(expected_cosine("cat", "cat"))


async def test_an_update_re_embeds_and_a_delete_forgets(indexed: Api) -> None:
    await indexed.put(("p",), "k", {"text": "cat"})
    await indexed.put(("p",), "k", {"text": "fish"})
    (found,) = await indexed.search(("p",), query="fish")
    assert found.score == pytest.approx(1.0)
    await indexed.delete(("p",), "k")
    assert await indexed.search(("p",), query="fish") == []


async def test_queries_in_one_batch_are_each_embedded_once(
    indexed: Api, recorder: Recorder
) -> None:
    from nbpregel.store import SearchOp

    await put_pets(indexed)
    results = await indexed.batch(
        [SearchOp(("pets",), query="cat"), SearchOp(("pets",), query="cat", limit=1)]
    )
    assert recorder.queries == ["cat"]
    assert [item.key for item in results[1]] == [results[0][0].key]


async def test_search_without_query_on_an_indexed_store_keeps_put_order(indexed: Api) -> None:
    await put_pets(indexed)
    found = await indexed.search(("pets",))
    assert [item.key for item in found] == [key for key, _ in PETS]
    assert all(item.score is None for item in found)


async def test_a_sync_function_embeds_in_both_families(mode: str, make_store: MakeStore) -> None:
    api = Api(make_store(index={"embed": count_words, "dims": 4}), mode)
    await api.put(("p",), "k", {"text": "dog"})
    (found,) = await api.search(("p",), query="dog")
    assert found.score == pytest.approx(expected_cosine('{"text": "dog"}', "dog"))


async def test_an_async_function_embeds_in_async_methods_only(make_store: MakeStore) -> None:
    async def embed(texts: list[str]) -> list[list[float]]:
        return count_words(texts)

    store = make_store(index={"embed": embed, "dims": 4, "fields": ["text"]})
    await store.aput(("p",), "k", {"text": "dog"})
    assert (await store.asearch(("p",), query="dog"))[0].score == pytest.approx(1.0)
    with pytest.raises(EmbeddingError, match=r"'embed' is an async function.*aput"):
        store.put(("p",), "j", {"text": "cat"})
    assert store.get(("p",), "j") is None


class DuckEmbedder:
    """Not an :class:`Embeddings` subclass: an object with the two methods (LangChain's shape)."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return count_words(texts)

    def embed_query(self, text: str) -> list[float]:
        return count_words([text])[0]


async def test_a_duck_typed_embedder_works(mode: str, make_store: MakeStore) -> None:
    api = Api(make_store(index={"embed": DuckEmbedder(), "fields": ["text"]}), mode)
    await api.put(("p",), "k", {"text": "fish"})
    assert (await api.search(("p",), query="fish"))[0].score == pytest.approx(1.0)


BAD_EMBEDS = [
    pytest.param(lambda texts: [], "returned 0 vectors for 2 texts", id="too_few"),
    pytest.param(
        lambda texts: [[1.0, 2.0] for _ in texts], "2 numbers but the index says dims=4", id="dims"
    ),
]


@pytest.mark.parametrize(("embed", "message"), BAD_EMBEDS)
async def test_wrong_vectors_are_refused_and_nothing_is_stored(
    mode: str, make_store: MakeStore, embed: Any, message: str
) -> None:
    store = make_store(index={"embed": embed, "dims": 4})
    with pytest.raises(EmbeddingError, match=message):
        await Api(store, mode).batch([PutOp(("p",), "k", {"v": 1}), PutOp(("p",), "j", {"v": 2})])
    assert store.list_namespaces() == []


async def test_vectors_of_mixed_lengths_without_dims_are_refused(
    mode: str, make_store: MakeStore
) -> None:
    lengths = iter([2, 3])

    def embed(texts: list[str]) -> list[list[float]]:
        return [[1.0] * next(lengths) for _ in texts]

    api = Api(make_store(index={"embed": embed}), mode)
    await api.put(("p",), "k", {"v": 1})
    with pytest.raises(
        EmbeddingError, match="query vector has 3 numbers but a stored vector has 2"
    ):
        await api.search(("p",), query="q")


BAD_INDEXES = [
    pytest.param({"dims": 3}, "'embed'", id="no_embed"),
    pytest.param({"embed": "openai:text-embedding-3-small"}, "model name", id="model_name"),
    pytest.param({"embed": 42}, "is an int", id="not_callable"),
    pytest.param({"embed": count_words, "dims": 0}, "dims=0", id="dims_zero"),
    pytest.param({"embed": count_words, "fields": "text"}, "fields='text'", id="fields_str"),
    pytest.param({"embed": count_words, "fields": ["a[b]"]}, "'a[b]'", id="bad_path"),
    pytest.param(["embed"], "must be a dict", id="not_a_dict"),
]


@pytest.mark.parametrize(("index", "message"), BAD_INDEXES)
def test_bad_index_configs_are_refused(make_store: MakeStore, index: Any, message: str) -> None:
    with pytest.raises(InvalidStoreArgumentError, match=message.replace("[", r"\[")):
        make_store(index=index)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("text", {"text": "hi"}, ["hi"]),
        ("meta.title", {"meta": {"title": "T"}}, ["T"]),
        ("items[0].name", {"items": [{"name": "x"}, {"name": "y"}]}, ["x"]),
        ("items[-1].name", {"items": [{"name": "x"}, {"name": "y"}]}, ["y"]),
        ("items[*].name", {"items": [{"name": "x"}, {}, {"name": "y"}]}, ["x", "y"]),
        ("items[5]", {"items": [1]}, []),
        ("missing", {"text": "hi"}, []),
        ("n", {"n": 12}, ["12"]),
        ("n", {"n": None}, []),
        ("$", {"b": [1], "a": {"z": 1}}, ['{"a": {"z": 1}, "b": [1]}']),
        ("grid[0][1]", {"grid": [[1, 2], [3]]}, ["2"]),
    ],
)
def test_text_at_path(path: str, value: dict, expected: list[str]) -> None:
    assert get_text_at_path(value, path) == expected
