"""Differential tests: the same operations on nbpregel's InMemoryStore and on LangGraph's.

Each script runs on both stores (through the sync methods and through the async twins) and the
results must agree: keys, values, namespaces, order, pagination, filters, scores. Timestamps are
compared by their relations only. Where nbpregel deliberately differs, a test pins the
difference, so a change on either side is noticed.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest

from nbpregel.store.memory import InMemoryStore

from .conftest import Api

pytest.importorskip("langgraph")

from langgraph.store.memory import InMemoryStore as TheirStore

pytestmark = pytest.mark.langgraph

Step = tuple[str, tuple[Any, ...], dict[str, Any]]


def normal(result: Any) -> Any:
    """A result without timestamps: items become ``(namespace, key, value, score)``."""
    if isinstance(result, list):
        return [normal(entry) for entry in result]
    if hasattr(result, "created_at"):
        assert result.created_at <= result.updated_at
        score = getattr(result, "score", "no score")
        if isinstance(score, float):
            score = round(score, 9)
        return (result.namespace, result.key, result.value, score)
    return result


async def play(api: Api, script: list[Step]) -> list[Any]:
    results = []
    for method, args, kwargs in script:
        try:
            results.append(normal(await getattr(api, method)(*args, **kwargs)))
        except (ValueError, NotImplementedError) as error:
            builtin = ValueError if isinstance(error, ValueError) else NotImplementedError
            namespace = type(error).__name__ == "InvalidNamespaceError"
            results.append(("refused", builtin, namespace))
    return results


async def both(script: list[Step], mode: str, **options: Any) -> tuple[list[Any], list[Any]]:
    ours = await play(Api(InMemoryStore(**options), mode), script)
    theirs = await play(Api(TheirStore(**options), mode), script)
    return ours, theirs


def put(namespace: tuple[str, ...], key: str, value: Any, *rest: Any, **kw: Any) -> Step:
    return ("put", (namespace, key, value, *rest), kw)


def call(method: str, *args: Any, **kwargs: Any) -> Step:
    return (method, args, kwargs)


SCRIPT: list[Step] = [
    put(("z",), "b", {"n": 1, "kind": "x", "home": {"city": "Paris", "zip": 75}}),
    put(("a",), "c", {"n": 2, "kind": "y", "tags": [1, 2]}),
    put(("a", "q"), "a", {"n": 3, "kind": "x", "home": {"city": "Oslo"}}),
    put(("z",), "a", {"n": 4, "kind": "y"}),
    put(("a",), "c", {"n": 5, "kind": "y", "tags": [1, 2]}),
    put(("users", "u1", "memories"), "m1", {"n": 6, "kind": "x"}),
    put(("users", "u2", "memories"), "m1", {"n": 7, "kind": "z"}),
    put(("users", "u2", "prefs"), "p", {"n": 8, "kind": "x"}),
    put(("a", "q"), "gone", {"n": 9, "kind": "x"}),
    call("delete", ("a", "q"), "gone"),
    call("get", ("a",), "c"),
    call("get", ("a",), "missing"),
    call("get", ("z",), "b"),
    call("search", ()),
    call("search", ("a",)),
    call("search", ("users", "u2")),
    call("search", (), limit=3),
    call("search", (), limit=3, offset=2),
    call("search", (), limit=2, offset=7),
    call("search", (), offset=100),
    call("search", (), limit=0),
    call("search", (), filter={"kind": "x"}),
    call("search", (), filter={"kind": {"$eq": "y"}}),
    call("search", (), filter={"kind": {"$ne": "x"}}),
    call("search", (), filter={"n": {"$gt": 3}}),
    call("search", (), filter={"n": {"$gte": 3, "$lt": 7}}),
    call("search", (), filter={"n": {"$lte": 2}}, limit=1),
    call("search", (), filter={"kind": "x", "n": {"$gt": 1}}, offset=1),
    call("search", (), filter={"home": {"city": "Paris"}}),
    call("search", (), filter={"home": {"$eq": {"city": "Oslo"}}}),
    call("search", (), filter={"tags": [1, 2]}),
    call("search", (), filter={"absent": None}),
    call("search", (), filter={"kind": "nothing"}),
    call("search", (), query="ignored without an index"),
    call("list_namespaces"),
    call("list_namespaces", prefix=("users",)),
    call("list_namespaces", prefix=("users", "*", "memories")),
    call("list_namespaces", suffix=("memories",)),
    call("list_namespaces", suffix=("*", "prefs")),
    call("list_namespaces", prefix=("users",), suffix=("prefs",)),
    call("list_namespaces", max_depth=1),
    call("list_namespaces", max_depth=2, prefix=("users",)),
    call("list_namespaces", limit=2, offset=1),
    call("list_namespaces", max_depth=1, limit=2, offset=1),
    call("list_namespaces", prefix=("a", "q", "x", "y")),
    call("put", ("a",), "c", None),
    call("search", ("a",)),
    put(("a",), "c", {"n": 10, "kind": "x"}),  # back, at the end of its namespace
    call("search", ()),
    # refused by both
    put((), "k", {"v": 1}),
    put(("a.b",), "k", {"v": 1}),
    put(("a", 1), "k", {"v": 1}),
    put(("a", ""), "k", {"v": 1}),
    put(("langgraph", "x"), "k", {"v": 1}),
    put(("a",), "k", {"v": 1}, ttl=5),
    call("search", ("a.b",)),
    call("search", (), filter={"n": {"$in": [1, 2]}}),
    call("list_namespaces", prefix=("a.b",)),
    call("list_namespaces", suffix=("x", "")),
    # accepted by both
    put(("a", "langgraph"), "", {"v": 1}),
    put(("a",), "t", {"v": 1}, ttl=None),
    call("search", ("a",)),
]


async def test_a_scripted_session_agrees(mode: str) -> None:
    ours, theirs = await both(SCRIPT, mode)
    for step, mine, reference in zip(SCRIPT, ours, theirs, strict=True):
        assert mine == reference, step


def random_script(seed: int, length: int = 400) -> list[Step]:
    """Random puts, deletes, gets, searches and listings that avoid the pinned differences.

    Reads and deletes only touch namespaces that were written before (LangGraph creates an
    empty namespace when it reads a new one), and no delete empties a namespace (LangGraph
    still lists it). Every value has an int ``n`` and a str ``kind``.
    """
    rng = random.Random(seed)
    pool = [("a",), ("a", "b"), ("a", "b", "c"), ("b", "x"), ("c",), ("a", "x", "c"), ("d", "b")]
    live: dict[tuple[str, ...], set[str]] = {}
    script: list[Step] = []
    for _ in range(length):
        roll = rng.random()
        if roll < 0.45 or not live:
            namespace, key = rng.choice(pool), f"k{rng.randrange(6)}"
            live.setdefault(namespace, set()).add(key)
            value = {"n": rng.randrange(10), "kind": rng.choice("xyz"), "i": len(script)}
            script.append(put(namespace, key, value))
        elif roll < 0.55:
            namespace = rng.choice(sorted(live))
            if len(live[namespace]) > 1:
                key = rng.choice(sorted(live[namespace]))
                live[namespace].discard(key)
                script.append(call("delete", namespace, key))
        elif roll < 0.65:
            script.append(call("get", rng.choice(sorted(live)), f"k{rng.randrange(7)}"))
        elif roll < 0.85:
            script.append(random_search(rng))
        else:
            script.append(random_listing(rng))
    return script


def random_search(rng: random.Random) -> Step:
    prefix = rng.choice([(), ("a",), ("a", "b"), ("b",), ("c",), ("z",)])
    filters: list[dict[str, Any] | None] = [
        None,
        {"kind": rng.choice("xyz")},
        {"n": {rng.choice(["$gt", "$gte", "$lt", "$lte", "$eq", "$ne"]): rng.randrange(10)}},
        {"kind": {"$ne": "x"}, "n": {"$gte": rng.randrange(5)}},
    ]
    kwargs = {
        "filter": rng.choice(filters),
        "limit": rng.randrange(0, 12),
        "offset": rng.randrange(0, 8),
    }
    return call("search", prefix, **kwargs)


def random_listing(rng: random.Random) -> Step:
    kwargs: dict[str, Any] = {"limit": rng.randrange(1, 10), "offset": rng.randrange(0, 4)}
    if rng.random() < 0.5:
        kwargs["prefix"] = rng.choice([("a",), ("a", "*"), ("*", "b"), ("a", "*", "c"), ("d",)])
    if rng.random() < 0.3:
        kwargs["suffix"] = rng.choice([("c",), ("*", "c"), ("b",)])
    if rng.random() < 0.4:
        kwargs["max_depth"] = rng.randrange(1, 4)
    return call("list_namespaces", **kwargs)


@pytest.mark.parametrize("seed", range(6))
async def test_random_sessions_agree(seed: int, mode: str) -> None:
    script = random_script(seed)
    ours, theirs = await both(script, mode)
    for number, (step, mine, reference) in enumerate(zip(script, ours, theirs, strict=True)):
        assert mine == reference, (number, step)


WORDS = ("cat", "dog", "fish")


def count_words(texts: list[str]) -> list[list[float]]:
    return [[text.lower().count(word) + 0.0 for word in WORDS] + [0.1] for text in texts]


SEMANTIC: list[Step] = [
    put(("pets",), "a", {"text": "a dog, a dog and a cat", "tags": ["dog"]}),
    put(("pets",), "b", {"text": "cat cat cat", "tags": ["cat", "fish"]}),
    put(("pets",), "c", {"text": "fish", "tags": []}),
    put(("pets",), "d", {"title": "no text"}),
    put(("pets",), "e", {"text": "dog"}, False),
    put(("pets",), "f", {"text": "cat", "tags": ["dog dog"]}, ["tags[*]"]),
    put(("pets", "old"), "g", {"text": "fish and cat", "meta": {"note": "dog"}}, ["meta.note"]),
    call("search", ("pets",), query="cat"),
    call("search", ("pets",), query="dog"),
    call("search", ("pets",), query="dog", limit=2, offset=1),
    call("search", ("pets",), query="fish", filter={"text": "fish"}),
    call("search", ("pets",), query="cat", filter={"tags": []}),
    call("search", ("pets",)),
    put(("pets",), "b", {"text": "fish"}),
    call("search", ("pets",), query="fish", limit=3),
    call("delete", ("pets",), "c"),
    call("search", ("pets",), query="fish"),
]

INDEXES = {
    "whole_value": {"embed": count_words, "dims": 4},
    "text_field": {"embed": count_words, "dims": 4, "fields": ["text"]},
    "tags_and_text": {"embed": count_words, "dims": 4, "fields": ["tags[*]", "text"]},
}


@pytest.mark.parametrize("index", INDEXES.values(), ids=INDEXES.keys())
async def test_semantic_search_agrees(index: dict[str, Any], mode: str) -> None:
    ours, theirs = await both(SEMANTIC, mode, index=index)
    for step, mine, reference in zip(SEMANTIC, ours, theirs, strict=True):
        assert mine == reference, step


# -- pinned differences: nbpregel's choice, and LangGraph's behaviour as of 1.2 -------------------


def first_and_second_put(make: Callable[[], Any]) -> tuple[Any, Any]:
    store = make()
    store.put(("a",), "k", {"v": 1})
    first = store.get(("a",), "k")
    store.put(("a",), "k", {"v": 2})
    return first, store.get(("a",), "k")


def test_difference_an_update_keeps_created_at() -> None:
    first, second = first_and_second_put(InMemoryStore)
    assert second.created_at == first.created_at < second.updated_at
    first, second = first_and_second_put(TheirStore)
    assert second.created_at > first.created_at  # LangGraph resets it on every put


@pytest.mark.parametrize("make", [InMemoryStore, TheirStore], ids=["nbpregel", "langgraph"])
def test_difference_values_are_copied(make: Callable[[], Any]) -> None:
    store = make()
    store.put(("a",), "k", {"tags": ["x"]})
    store.get(("a",), "k").value["tags"].append("mutated")
    stored = store.get(("a",), "k").value["tags"]
    assert stored == (["x"] if make is InMemoryStore else ["x", "mutated"])


@pytest.mark.parametrize("make", [InMemoryStore, TheirStore], ids=["nbpregel", "langgraph"])
def test_difference_emptied_and_merely_read_namespaces(make: Callable[[], Any]) -> None:
    store = make()
    store.put(("kept",), "k", {})
    store.put(("emptied",), "k", {})
    store.delete(("emptied",), "k")
    store.get(("read",), "k")
    expected = [("kept",)] if make is InMemoryStore else [("emptied",), ("kept",), ("read",)]
    assert store.list_namespaces() == expected


FILTER_DIFFERENCES = [
    pytest.param({"n": {"$gt": 1}}, ["num"], TypeError, id="ordering_with_missing_key"),
    pytest.param({"v": {"$gt": "a"}}, ["text"], ValueError, id="ordering_on_strings"),
]


@pytest.mark.parametrize(("filter", "ours", "their_error"), FILTER_DIFFERENCES)
def test_difference_ordering_filters_on_missing_or_non_numbers(
    filter: dict[str, Any], ours: list[str], their_error: type[Exception]
) -> None:
    values = {"num": {"n": 3, "v": 3}, "text": {"v": "b"}}
    mine, theirs = InMemoryStore(), TheirStore()
    for key, value in values.items():
        mine.put(("d",), key, value)
        theirs.put(("d",), key, value)
    assert [item.key for item in mine.search(("d",), filter=filter)] == ours
    with pytest.raises(their_error):  # LangGraph converts both sides with float()
        theirs.search(("d",), filter=filter)


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param(lambda store: store.put("user_1", "k", {}), id="str_namespace"),
        pytest.param(lambda store: store.put(("a",), 5, {}), id="int_key"),
        pytest.param(lambda store: store.search((), filter={"$or": [{"v": 1}]}), id="or"),
        pytest.param(lambda store: store.search((), limit=-1), id="negative_limit"),
        pytest.param(lambda store: store.list_namespaces(max_depth=0), id="max_depth_0"),
    ],
)
def test_difference_inputs_langgraph_accepts_silently_are_refused(bad: Callable) -> None:
    mine, theirs = InMemoryStore(), TheirStore()
    for store in (mine, theirs):
        store.put(("a",), "seed", {"v": 1})
    with pytest.raises(ValueError):
        bad(mine)
    bad(theirs)  # LangGraph stores or answers something
