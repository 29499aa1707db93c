"""Topic: the list of this step's values (or of all steps with accumulate=True)."""

from __future__ import annotations

import pytest

from nbpregel.channels import MISSING, Topic
from nbpregel.errors import EmptyChannelError


@pytest.mark.parametrize(
    ("steps", "accumulate", "expected"),
    [
        pytest.param([["a"]], False, ["a"], id="one-value"),
        pytest.param([["a", "b"]], False, ["a", "b"], id="several-values"),
        pytest.param([["a", ["b", "c"]]], False, ["a", "b", "c"], id="flattens-lists"),
        pytest.param([[("a", "b")]], False, [("a", "b")], id="tuples-are-values"),
        pytest.param([["a"], ["b"]], False, ["b"], id="next-step-replaces"),
        pytest.param([["a"], ["b"]], True, ["a", "b"], id="accumulates"),
        pytest.param([["a"], [], ["b"]], True, ["a", "b"], id="accumulates-across-idle"),
    ],
)
def test_topic_collects(
    steps: list[list[object]], accumulate: bool, expected: list[object]
) -> None:
    topic = Topic(str, accumulate, key="events")
    for values in steps:
        topic.update(values)
    assert topic.get() == expected


@pytest.mark.parametrize(
    ("accumulate", "before", "values", "changed"),
    [
        pytest.param(False, [], [], False, id="empty-idle"),
        pytest.param(False, ["a"], [], True, id="idle-clears"),
        pytest.param(False, ["a"], [[]], True, id="empty-list-clears"),
        pytest.param(False, [], [[]], False, id="empty-list-on-empty"),
        pytest.param(True, ["a"], [], False, id="accumulating-idle"),
        pytest.param(True, ["a"], [[]], False, id="accumulating-empty-list"),
        pytest.param(True, [], ["a"], True, id="accumulating-write"),
    ],
)
def test_topic_update_reports_change(
    accumulate: bool, before: list[str], values: list[object], changed: bool
) -> None:
    topic = Topic(str, accumulate, key="events")
    topic.update(before)
    assert topic.update(values) is changed


def test_topic_empty_is_unavailable() -> None:
    topic = Topic(str, key="events")
    assert not topic.is_available()
    with pytest.raises(EmptyChannelError, match="'events'"):
        topic.get()


@pytest.mark.parametrize(
    ("accumulate", "clears"), [(False, True), (True, False)], ids=["plain", "accumulating"]
)
def test_topic_clears_when_idle_unless_accumulating(accumulate: bool, clears: bool) -> None:
    assert Topic(int, accumulate).clears_when_idle is clears


def test_topic_get_returns_a_copy() -> None:
    topic = Topic(int, accumulate=True, key="t")
    topic.update([1])
    topic.get().append(99)
    assert topic.get() == [1]


@pytest.mark.parametrize("accumulate", [False, True], ids=["plain", "accumulating"])
def test_topic_checkpoint_shares_no_list(accumulate: bool) -> None:
    topic = Topic(int, accumulate, key="t")
    assert topic.checkpoint() is MISSING
    topic.update([1, 2])
    saved = topic.checkpoint()
    restored = topic.from_checkpoint(saved)
    topic.update([3])  # live channel changes: checkpoint and restored copy do not
    assert saved == [1, 2]
    assert restored.get() == [1, 2]
    saved.append(4)  # checkpoint data changes: restored copy does not
    restored.update([5])
    assert topic.get() == ([1, 2, 3] if accumulate else [3])
    assert restored.get() == ([1, 2, 5] if accumulate else [5])
    assert restored.accumulate is accumulate and restored.key == "t"


@pytest.mark.parametrize("method", ["consume", "finish"])
def test_topic_consume_and_finish_are_no_ops(method: str) -> None:
    topic = Topic(int, key="t")
    topic.update([1])
    assert getattr(topic, method)() is False
    assert topic.get() == [1]
