"""Item, SearchItem and the op tuples: construction, equality, hashing, dict()."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import pytest

from nbpregel.store import GetOp, Item, ListNamespacesOp, PutOp, SearchItem, SearchOp
from nbpregel.store.base import NOT_GIVEN, MatchCondition, NotProvided

WHEN = datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
LATER = WHEN + timedelta(minutes=5)


def make(**changes: object) -> Item:
    fields: dict = {
        "value": {"x": 1},
        "key": "k",
        "namespace": ("a", "b"),
        "created_at": WHEN,
        "updated_at": LATER,
    }
    return Item(**{**fields, **changes})


def test_item_coerces_namespace_and_iso_timestamps() -> None:
    item = make(namespace=["a", "b"], created_at=WHEN.isoformat())
    assert item.namespace == ("a", "b")
    assert item.created_at == WHEN
    assert item.updated_at == LATER


def test_item_takes_keywords_only() -> None:
    with pytest.raises(TypeError):
        Item({"x": 1}, "k", ("a",), WHEN, WHEN)  # type: ignore[misc]


@pytest.mark.parametrize(
    "change",
    [
        {"value": {"x": 2}},
        {"key": "j"},
        {"namespace": ("a",)},
        {"created_at": LATER},
        {"updated_at": WHEN},
    ],
    ids=["value", "key", "namespace", "created_at", "updated_at"],
)
def test_items_differ_when_any_field_differs(change: dict) -> None:
    assert make() == make()
    assert make() != make(**change)


def test_item_is_not_equal_to_its_dict_or_other_types() -> None:
    assert make() != make().dict()
    assert make() != 5


def test_item_hashes_by_namespace_and_key() -> None:
    assert hash(make()) == hash(make(value={"other": True}, updated_at=WHEN))
    assert len({make(), make(value={"y": 0}), make(key="other")}) == 3


def test_item_dict_is_plain_data() -> None:
    assert make().dict() == {
        "namespace": ["a", "b"],
        "key": "k",
        "value": {"x": 1},
        "created_at": "2024-05-01T12:30:00+00:00",
        "updated_at": "2024-05-01T12:35:00+00:00",
    }


def test_item_repr_shows_its_dict() -> None:
    text = repr(make())
    assert text.startswith("Item(namespace=['a', 'b'], key='k', value={'x': 1}, created_at=")


def test_search_item_is_an_item_with_a_score_left_out_of_equality() -> None:
    found = SearchItem(("a", "b"), "k", {"x": 1}, WHEN, LATER, score=0.25)
    assert isinstance(found, Item)
    assert found == make() and make() == found
    assert found == SearchItem(("a", "b"), "k", {"x": 1}, WHEN, LATER, score=0.75)
    assert found.dict() == {**make().dict(), "score": 0.25}
    assert SearchItem(("a",), "k", {}, WHEN, WHEN).score is None
    assert repr(found).startswith("SearchItem(") and repr(found).endswith("score=0.25)")


def test_items_pickle() -> None:
    found = SearchItem(("a",), "k", {"x": [1]}, WHEN, LATER, score=0.5)
    again = pickle.loads(pickle.dumps(found))
    assert again == found and again.score == 0.5
    assert pickle.loads(pickle.dumps(make())) == make()


def test_ops_have_langgraph_fields_and_defaults() -> None:
    assert GetOp(("a",), "k")._asdict() == {"namespace": ("a",), "key": "k", "refresh_ttl": True}
    assert PutOp(("a",), "k", None)._asdict() == {
        "namespace": ("a",),
        "key": "k",
        "value": None,
        "index": None,
        "ttl": None,
    }
    assert SearchOp(("a",))._asdict() == {
        "namespace_prefix": ("a",),
        "filter": None,
        "limit": 10,
        "offset": 0,
        "query": None,
        "refresh_ttl": True,
    }
    assert ListNamespacesOp()._asdict() == {
        "match_conditions": None,
        "max_depth": None,
        "limit": 100,
        "offset": 0,
    }
    assert MatchCondition("prefix", ("a", "*"))._asdict() == {
        "match_type": "prefix",
        "path": ("a", "*"),
    }


def test_not_given_is_a_falsy_singleton() -> None:
    assert NotProvided() is NOT_GIVEN
    assert not NOT_GIVEN
    assert repr(NOT_GIVEN) == "NOT_GIVEN"
