"""InMemoryStore behaviour, through the sync methods and their async twins (the ``api`` fixture)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from nbpregel.store import GetOp, InMemoryStore, Item, ListNamespacesOp, PutOp, SearchItem, SearchOp
from nbpregel.store.base import MatchCondition

from .conftest import Api


async def fill(api: Api, puts: list[tuple[tuple[str, ...], str, dict]]) -> None:
    for namespace, key, value in puts:
        await api.put(namespace, key, value)


def keys(items: list[SearchItem]) -> list[tuple[tuple[str, ...], str]]:
    return [(item.namespace, item.key) for item in items]


async def test_put_then_get_returns_an_item_with_utc_timestamps(api: Api) -> None:
    before = datetime.now(UTC)
    await api.put(("users", "u1"), "prefs", {"food": "pizza"})
    item = await api.get(("users", "u1"), "prefs")
    assert type(item) is Item
    assert (item.namespace, item.key, item.value) == (("users", "u1"), "prefs", {"food": "pizza"})
    assert before <= item.created_at == item.updated_at <= datetime.now(UTC)
    assert item.created_at.tzinfo is UTC


async def test_get_of_a_missing_key_or_namespace_is_none(api: Api) -> None:
    await api.put(("users",), "a", {"x": 1})
    assert await api.get(("users",), "b") is None
    assert await api.get(("nobody",), "a") is None
    assert await api.list_namespaces() == [("users",)]  # a read creates no namespace


async def test_put_replaces_the_value_keeps_created_at_and_advances_updated_at(api: Api) -> None:
    await api.put(("docs",), "a", {"v": 1, "old": True})
    first = await api.get(("docs",), "a")
    time.sleep(0.002)
    await api.put(("docs",), "a", {"v": 2})
    second = await api.get(("docs",), "a")
    assert second.value == {"v": 2}
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at


async def test_delete_removes_the_item_and_a_missing_key_is_fine(api: Api) -> None:
    await fill(api, [(("docs",), "a", {"v": 1}), (("docs",), "b", {"v": 2})])
    await api.delete(("docs",), "a")
    await api.delete(("docs",), "never")
    await api.delete(("nowhere",), "never")
    assert await api.get(("docs",), "a") is None
    assert keys(await api.search(("docs",))) == [(("docs",), "b")]


async def test_put_of_none_deletes(api: Api) -> None:
    await api.put(("docs",), "a", {"v": 1})
    await api.put(("docs",), "a", None)
    assert await api.get(("docs",), "a") is None


async def test_values_are_copied_in_and_out(api: Api) -> None:
    given = {"tags": ["a"], "meta": {"n": 1}}
    await api.put(("docs",), "a", given)
    given["tags"].append("changed after put")
    got = await api.get(("docs",), "a")
    got.value["meta"]["n"] = 99
    (found,) = await api.search(("docs",))
    found.value["tags"].clear()
    assert (await api.get(("docs",), "a")).value == {"tags": ["a"], "meta": {"n": 1}}


SCRIPT = [
    (("z",), "b", {"n": 1, "kind": "x"}),
    (("a",), "c", {"n": 2, "kind": "y"}),
    (("a", "q"), "a", {"n": 3, "kind": "x"}),
    (("z",), "a", {"n": 4}),
    (("a",), "c", {"n": 5, "kind": "y"}),  # an update keeps its place
]


async def test_search_order_is_namespace_first_put_then_key_first_put(api: Api) -> None:
    await fill(api, SCRIPT)
    assert keys(await api.search(())) == [
        (("z",), "b"),
        (("z",), "a"),
        (("a",), "c"),
        (("a", "q"), "a"),
    ]
    assert keys(await api.search(("a",))) == [(("a",), "c"), (("a", "q"), "a")]
    assert keys(await api.search(("a", "q"))) == [(("a", "q"), "a")]
    assert await api.search(("a", "q", "deeper")) == []


async def test_search_returns_search_items_without_score(api: Api) -> None:
    await fill(api, SCRIPT)
    found = await api.search(("z",))
    assert all(type(item) is SearchItem and item.score is None for item in found)
    assert [item.value for item in found] == [{"n": 1, "kind": "x"}, {"n": 4}]


@pytest.mark.parametrize(
    ("limit", "offset"), [(10, 0), (2, 0), (2, 1), (2, 3), (0, 0), (10, 4), (1, 9)]
)
async def test_search_pagination_slices_the_full_order(api: Api, limit: int, offset: int) -> None:
    await fill(api, SCRIPT)
    everything = keys(await api.search((), limit=100))
    page = keys(await api.search((), limit=limit, offset=offset))
    assert page == everything[offset : offset + limit]


async def test_search_limit_defaults_to_ten(api: Api) -> None:
    await fill(api, [(("many",), f"k{i:02}", {"i": i}) for i in range(15)])
    assert [item.key for item in await api.search(("many",))] == [f"k{i:02}" for i in range(10)]


FILTERS = {
    "exact": ({"kind": "x"}, ["b", "a@q"]),
    "missing_is_none": ({"kind": None}, ["a@z"]),
    "eq": ({"kind": {"$eq": "y"}}, ["c"]),
    "ne_includes_missing": ({"kind": {"$ne": "x"}}, ["a@z", "c"]),
    "gt": ({"n": {"$gt": 2}}, ["a@z", "c", "a@q"]),
    "gte_lt": ({"n": {"$gte": 2, "$lt": 5}}, ["a@z", "a@q"]),
    "lte": ({"n": {"$lte": 1}}, ["b"]),
    "two_keys": ({"kind": "x", "n": {"$gt": 1}}, ["a@q"]),
    "ordering_skips_missing": ({"kind": {"$gt": "a"}}, ["b", "c", "a@q"]),
    "no_match": ({"n": 42}, []),
    "empty": ({}, ["b", "a@z", "c", "a@q"]),
}


def label(item: SearchItem) -> str:
    return item.key if item.key != "a" else f"a@{item.namespace[-1]}"


@pytest.mark.parametrize(("filter", "expected"), FILTERS.values(), ids=FILTERS.keys())
async def test_search_filters(api: Api, filter: dict, expected: list[str]) -> None:
    await fill(api, SCRIPT)
    assert [label(item) for item in await api.search((), filter=filter)] == expected


async def test_filter_on_nested_dicts_and_lists(api: Api) -> None:
    await fill(
        api,
        [
            (("d",), "a", {"home": {"city": "Paris", "zip": "75"}, "tags": [1, 2]}),
            (("d",), "b", {"home": {"city": "Oslo"}, "tags": [1]}),
            (("d",), "c", {"home": "Paris"}),
        ],
    )
    by_city = await api.search(("d",), filter={"home": {"city": "Paris"}})
    assert [item.key for item in by_city] == ["a"]
    whole = await api.search(("d",), filter={"home": {"$eq": {"city": "Oslo"}}})
    assert [item.key for item in whole] == ["b"]
    assert [item.key for item in await api.search(("d",), filter={"tags": [1, 2]})] == ["a"]
    nested_op = await api.search(("d",), filter={"home": {"zip": {"$gte": "70"}}})
    assert [item.key for item in nested_op] == ["a"]


async def test_filter_ordering_on_incomparable_values_does_not_match(api: Api) -> None:
    await fill(api, [(("d",), "num", {"v": 3}), (("d",), "text", {"v": "3"})])
    assert [item.key for item in await api.search(("d",), filter={"v": {"$gt": 1}})] == ["num"]
    assert [item.key for item in await api.search(("d",), filter={"v": {"$lt": "4"}})] == ["text"]


async def test_query_without_an_index_is_ignored(api: Api) -> None:
    await fill(api, SCRIPT)
    with_query = await api.search((), query="anything at all")
    assert keys(with_query) == keys(await api.search(()))
    assert all(item.score is None for item in with_query)


NAMESPACES = [
    ("z", "1"),
    ("a", "b", "c"),
    ("a", "b"),
    ("a", "x", "c"),
    ("b",),
    ("a", "b", "d", "e"),
    ("users", "u1", "memories"),
    ("users", "u2", "prefs"),
    ("users", "u2", "memories"),
]

LISTINGS = {
    "all": ({}, sorted(NAMESPACES)),
    "prefix": ({"prefix": ("a",)}, sorted(ns for ns in NAMESPACES if ns[0] == "a")),
    "prefix_wildcard": ({"prefix": ("a", "*", "c")}, [("a", "b", "c"), ("a", "x", "c")]),
    "suffix": (
        {"suffix": ("memories",)},
        [("users", "u1", "memories"), ("users", "u2", "memories")],
    ),
    "suffix_wildcard": (
        {"suffix": ("u2", "*")},
        [("users", "u2", "memories"), ("users", "u2", "prefs")],
    ),
    "both": ({"prefix": ("users",), "suffix": ("prefs",)}, [("users", "u2", "prefs")]),
    "longer_than_any": ({"prefix": ("a", "b", "c", "d", "e")}, []),
    "max_depth_1": ({"max_depth": 1}, [("a",), ("b",), ("users",), ("z",)]),
    "max_depth_2_prefix": (
        {"prefix": ("users",), "max_depth": 2},
        [("users", "u1"), ("users", "u2")],
    ),
    "limit_offset": ({"limit": 2, "offset": 1}, sorted(NAMESPACES)[1:3]),
    "limit_0": ({"limit": 0}, []),
    "depth_then_page": ({"max_depth": 1, "limit": 2, "offset": 1}, [("b",), ("users",)]),
}


@pytest.mark.parametrize(("kwargs", "expected"), LISTINGS.values(), ids=LISTINGS.keys())
async def test_list_namespaces(api: Api, kwargs: dict, expected: list[tuple[str, ...]]) -> None:
    await fill(api, [(namespace, "k", {"v": 1}) for namespace in NAMESPACES])
    assert await api.list_namespaces(**kwargs) == expected


async def test_list_namespaces_leaves_out_emptied_namespaces(api: Api) -> None:
    await fill(api, [(("kept",), "k", {}), (("gone",), "k", {})])
    await api.delete(("gone",), "k")
    assert await api.list_namespaces() == [("kept",)]
    await api.put(("gone",), "k", {})
    assert await api.list_namespaces() == [("gone",), ("kept",)]


async def test_list_namespaces_default_limit_is_100(api: Api) -> None:
    await fill(api, [((f"n{i:03}",), "k", {}) for i in range(120)])
    listed = await api.list_namespaces()
    assert listed == [(f"n{i:03}",) for i in range(100)]


async def test_batch_reads_see_the_store_before_the_batch_writes(api: Api) -> None:
    await api.put(("docs",), "old", {"v": 0})
    results = await api.batch(
        [
            PutOp(("docs",), "new", {"v": 1}),
            GetOp(("docs",), "new"),
            SearchOp(("docs",)),
            ListNamespacesOp(match_conditions=(MatchCondition("prefix", ("docs",)),)),
            PutOp(("docs",), "old", None),
            GetOp(("docs",), "old"),
        ]
    )
    assert results[0] is None and results[1] is None and results[4] is None
    assert [item.key for item in results[2]] == ["old"]
    assert results[3] == [("docs",)]
    assert results[5].value == {"v": 0}
    assert await api.get(("docs",), "old") is None
    assert (await api.get(("docs",), "new")).value == {"v": 1}


async def test_batch_last_put_to_a_key_wins(api: Api) -> None:
    await api.batch(
        [
            PutOp(("docs",), "a", {"v": 1}),
            PutOp(("docs",), "b", {"v": 1}),
            PutOp(("docs",), "a", {"v": 2}),
            PutOp(("docs",), "b", None),
        ]
    )
    assert [(item.key, item.value) for item in await api.search(("docs",))] == [("a", {"v": 2})]


async def test_batch_accepts_any_iterable(api: Api) -> None:
    results = await api.batch(PutOp(("g",), f"k{i}", {"i": i}) for i in range(3))
    assert results == [None, None, None]
    assert len(await api.search(("g",))) == 3


async def test_ttl_none_and_refresh_ttl_are_accepted(api: Api) -> None:
    await api.put(("docs",), "a", {"v": 1}, ttl=None)
    assert (await api.get(("docs",), "a", refresh_ttl=True)).value == {"v": 1}
    assert len(await api.search(("docs",), refresh_ttl=False)) == 1


async def test_index_argument_is_accepted_without_an_index(api: Api) -> None:
    await api.put(("docs",), "a", {"text": "x"}, index=["text"])
    await api.put(("docs",), "b", {"text": "y"}, index=False)
    assert [item.key for item in await api.search(("docs",))] == ["a", "b"]


def test_repr_counts_items_and_namespaces() -> None:
    store = InMemoryStore()
    assert repr(store) == "InMemoryStore(0 items in 0 namespaces)"
    store.put(("a",), "k", {})
    store.put(("a", "b"), "k", {})
    store.put(("a", "b"), "j", {})
    store.delete(("a",), "k")
    assert repr(store) == "InMemoryStore(2 items in 1 namespaces)"


def test_store_capabilities_match_langgraph_names() -> None:
    store = InMemoryStore()
    assert store.supports_ttl is False
    assert store.ttl_config is None
    assert store.index_config is None and store.embeddings is None
