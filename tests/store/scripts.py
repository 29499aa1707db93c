"""Op scripts that every store must answer alike, and the helpers that play them.

A script is a list of steps ``(method, args, kwargs)`` run through the ``Api`` adapter (sync or
async); :func:`play` records each result without its timestamps, or how the step was refused.
"""

from __future__ import annotations

import random
from typing import Any

from .conftest import Api

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
