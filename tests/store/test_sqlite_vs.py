"""SqliteStore against InMemoryStore (the same results, step by step) and against LangGraph's.

Against ``InMemoryStore`` every script must agree exactly: order, pagination, filters, scores,
refusals. Against LangGraph's ``SqliteStore`` (and ``AsyncSqliteStore`` for the async methods)
the results must agree as sets: LangGraph's lists items newest update first, so each search is
widened to one page and its items compared sorted. Where nbpregel deliberately differs, a test
pins the difference.
"""

from __future__ import annotations

import datetime
import math
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from nbpregel.store import InvalidStoreArgumentError, SqliteStore
from nbpregel.store.memory import InMemoryStore

from .conftest import Api
from .scripts import INDEXES, SCRIPT, SEMANTIC, Step, play, random_script

# -- the same scripts as InMemoryStore, exactly -----------------------------------------------


async def same_as_memory(script: list[Step], mode: str, path: Path, **options: Any) -> None:
    with SqliteStore.from_conn_string(path, **options) as store:
        ours = await play(Api(store, mode), script)
    reference = await play(Api(InMemoryStore(**options), mode), script)
    for number, (step, mine, expected) in enumerate(zip(script, ours, reference, strict=True)):
        assert mine == expected, (number, step)


async def test_the_scripted_session_matches_the_memory_store(mode: str, tmp_path: Path) -> None:
    await same_as_memory(SCRIPT, mode, tmp_path / "s.db")


@pytest.mark.parametrize("seed", range(6))
async def test_random_sessions_match_the_memory_store(seed: int, mode: str, tmp_path: Path) -> None:
    await same_as_memory(random_script(seed), mode, tmp_path / "s.db")


@pytest.mark.parametrize("index", INDEXES.values(), ids=INDEXES.keys())
async def test_semantic_search_matches_the_memory_store(
    index: dict[str, Any], mode: str, tmp_path: Path
) -> None:
    await same_as_memory(SEMANTIC, mode, tmp_path / "s.db", index=index)


# -- LangGraph's SqliteStore, as sets -------------------------------------------------------

LANGGRAPH_DIFFERS = {28, 29, 54}
"""Steps of SCRIPT pinned below instead: nested filters (28, 29) and a put with ttl=5 (54)."""


def widened(script: list[Step]) -> list[Step]:
    """The script with every search on one page, so that order alone cannot change a result."""
    return [
        (method, args, {**kwargs, "limit": 1000, "offset": 0} if method == "search" else kwargs)
        for method, args, kwargs in script
    ]


def as_sets(script: list[Step], results: list[Any]) -> list[Any]:
    return [
        sorted(result, key=repr) if method == "search" and isinstance(result, list) else result
        for (method, _, _), result in zip(script, results, strict=True)
    ]


async def against_langgraph(script: list[Step], mode: str, path: Path) -> None:
    pytest.importorskip("langgraph.store.sqlite")
    from langgraph.store.sqlite import AsyncSqliteStore as TheirAsync
    from langgraph.store.sqlite import SqliteStore as Theirs

    script = widened(script)
    async with AsyncExitStack() as stack:
        if mode == "async":
            theirs = await stack.enter_async_context(TheirAsync.from_conn_string(":memory:"))
        else:
            theirs = stack.enter_context(Theirs.from_conn_string(":memory:"))
        reference = as_sets(script, await play(Api(theirs, mode), script))
    with SqliteStore.from_conn_string(path) as store:
        ours = as_sets(script, await play(Api(store, mode), script))
    for number, (step, mine, expected) in enumerate(zip(script, ours, reference, strict=True)):
        assert mine == expected, (number, step)


@pytest.mark.langgraph
async def test_the_scripted_session_agrees_with_langgraph(mode: str, tmp_path: Path) -> None:
    script = [step for number, step in enumerate(SCRIPT) if number not in LANGGRAPH_DIFFERS]
    await against_langgraph(script, mode, tmp_path / "s.db")


@pytest.mark.langgraph
@pytest.mark.parametrize("seed", range(6))
async def test_random_sessions_agree_with_langgraph(seed: int, mode: str, tmp_path: Path) -> None:
    await against_langgraph(random_script(seed), mode, tmp_path / "s.db")


# -- pinned differences: nbpregel's choice, and LangGraph's behaviour as of 3.1 ---------------


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[SqliteStore, Any]]:
    """nbpregel's SqliteStore on a file, and LangGraph's in memory."""
    pytest.importorskip("langgraph.store.sqlite")
    from langgraph.store.sqlite import SqliteStore as Theirs

    with (
        SqliteStore.from_conn_string(tmp_path / "s.db") as ours,
        Theirs.from_conn_string(":memory:") as theirs,
    ):
        yield ours, theirs


@pytest.mark.langgraph
def test_difference_an_update_keeps_its_place_and_created_at(
    both: tuple[SqliteStore, Any],
) -> None:
    ours, theirs = both
    for store in both:
        store.put(("a",), "first", {"v": 1})
        store.put(("b",), "other", {"v": 1})
        store.put(("a",), "second", {"v": 1})
    created = ours.get(("a",), "first").created_at
    time.sleep(1.05)  # LangGraph's timestamps are to the second
    for store in both:
        store.put(("a",), "first", {"v": 2})
    assert [item.key for item in ours.search(())] == ["first", "second", "other"]
    # LangGraph's lists the newest update first (to the second; ties in write order)
    assert [item.key for item in theirs.search(())] == ["first", "other", "second"]
    item = ours.get(("a",), "first")
    assert item.created_at == created < item.updated_at
    assert item.created_at.tzinfo is datetime.UTC
    their_item = theirs.get(("a",), "first")
    assert their_item.created_at == their_item.updated_at  # reset by every put
    assert their_item.created_at.tzinfo is None


@pytest.mark.langgraph
@pytest.mark.parametrize(
    "filter",
    [{"home": {"city": "Paris"}}, {"home": {"zip": {"$gte": 70}}}],
    ids=["nested_equality", "nested_operator"],
)
def test_difference_nested_filters(both: tuple[SqliteStore, Any], filter: dict) -> None:
    ours, theirs = both
    for store in both:
        store.put(("d",), "a", {"home": {"city": "Paris", "zip": 75}})
        store.put(("d",), "b", {"home": {"city": "Oslo", "zip": 3}})
    assert [item.key for item in ours.search(("d",), filter=filter)] == ["a"]
    with pytest.raises(ValueError, match="Unsupported operator"):
        theirs.search(("d",), filter=filter)


VALUES_LANGGRAPH_CHANGES = [
    pytest.param({"span": (1, 2)}, {"span": [1, 2]}, "a tuple", id="tuple"),
    pytest.param({"x": math.nan}, {"x": None}, "nan", id="nan"),
    pytest.param(
        {"when": datetime.datetime(2024, 5, 1, 12, 0)},
        {"when": "2024-05-01T12:00:00"},
        "a datetime",
        id="datetime",
    ),
]


@pytest.mark.langgraph
@pytest.mark.parametrize(("value", "their_copy", "culprit"), VALUES_LANGGRAPH_CHANGES)
def test_difference_values_json_cannot_hold_are_refused_not_changed(
    both: tuple[SqliteStore, Any], value: dict, their_copy: dict, culprit: str
) -> None:
    ours, theirs = both
    theirs.put(("d",), "k", value)
    assert theirs.get(("d",), "k").value == their_copy
    with pytest.raises(InvalidStoreArgumentError, match=culprit):
        ours.put(("d",), "k", value)
    assert ours.get(("d",), "k") is None


@pytest.mark.langgraph
def test_difference_namespaces_sort_as_tuples(both: tuple[SqliteStore, Any]) -> None:
    ours, theirs = both
    for store in both:
        for namespace in [("a", "b"), ("a-b",), ("a", "b-c")]:
            store.put(namespace, "k", {})
    assert ours.list_namespaces() == [("a", "b"), ("a", "b-c"), ("a-b",)]
    assert theirs.list_namespaces() == [("a-b",), ("a", "b"), ("a", "b-c")]  # as 'a.b' text


@pytest.mark.langgraph
def test_difference_ttl_is_refused(both: tuple[SqliteStore, Any]) -> None:
    ours, theirs = both
    theirs.put(("d",), "k", {"v": 1}, ttl=5)
    assert theirs.get(("d",), "k").value == {"v": 1}
    with pytest.raises(NotImplementedError, match="ttl=5"):
        ours.put(("d",), "k", {"v": 1}, ttl=5)
