"""Differential tests: the same operations on nbpregel's InMemoryStore and on LangGraph's.

Each script runs on both stores (through the sync methods and through the async twins) and the
results must agree: keys, values, namespaces, order, pagination, filters, scores. Timestamps are
compared by their relations only. Where nbpregel deliberately differs, a test pins the
difference, so a change on either side is noticed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nbpregel.store.memory import InMemoryStore

from .conftest import Api
from .scripts import INDEXES, SCRIPT, SEMANTIC, Step, play, random_script

pytest.importorskip("langgraph")

from langgraph.store.memory import InMemoryStore as TheirStore

pytestmark = pytest.mark.langgraph


async def both(script: list[Step], mode: str, **options: Any) -> tuple[list[Any], list[Any]]:
    ours = await play(Api(InMemoryStore(**options), mode), script)
    theirs = await play(Api(TheirStore(**options), mode), script)
    return ours, theirs


async def test_a_scripted_session_agrees(mode: str) -> None:
    ours, theirs = await both(SCRIPT, mode)
    for step, mine, reference in zip(SCRIPT, ours, theirs, strict=True):
        assert mine == reference, step


@pytest.mark.parametrize("seed", range(6))
async def test_random_sessions_agree(seed: int, mode: str) -> None:
    script = random_script(seed)
    ours, theirs = await both(script, mode)
    for number, (step, mine, reference) in enumerate(zip(script, ours, theirs, strict=True)):
        assert mine == reference, (number, step)


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
