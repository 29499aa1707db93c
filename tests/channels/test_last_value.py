"""LastValue and LastValueAfterFinish: one value per step; readable after finish."""

from __future__ import annotations

import pickle

import pytest

from nbpregel.channels import MISSING, LastValue, LastValueAfterFinish, with_writers
from nbpregel.errors import EmptyChannelError, InvalidUpdateError


@pytest.mark.parametrize(
    ("writes", "expected"),
    [
        pytest.param([[1]], 1, id="one-write"),
        pytest.param([[1], [2]], 2, id="later-step-replaces"),
        pytest.param([[1], []], 1, id="idle-step-keeps"),
        pytest.param([[None]], None, id="none-is-a-value"),
    ],
)
def test_last_value_keeps_the_last_step_value(writes: list[list[object]], expected: object) -> None:
    channel = LastValue(int, "count")
    for values in writes:
        channel.update(values)
    assert channel.is_available()
    assert channel.get() == expected


@pytest.mark.parametrize(
    ("values", "changed"),
    [pytest.param([], False, id="no-write"), pytest.param([5], True, id="one-write")],
)
def test_last_value_update_reports_change(values: list[int], changed: bool) -> None:
    assert LastValue(int, "x").update(values) is changed


def test_last_value_empty_raises_naming_the_channel() -> None:
    channel = LastValue(int, "count")
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="'count'"):
        channel.get()


@pytest.mark.parametrize("count", [2, 3], ids=["two-writes", "three-writes"])
def test_last_value_rejects_concurrent_writes(count: int) -> None:
    channel = LastValue(int, "count")
    channel.update([0])
    with pytest.raises(InvalidUpdateError) as info:
        channel.update(list(range(count)))
    message = str(info.value)
    assert message.startswith("channel 'count'")
    assert f"received {count} values" in message
    assert "Annotated[" in message and "reducer" in message
    assert channel.get() == 0  # the failed update changed nothing


def test_last_value_error_can_name_the_writers() -> None:
    channel = LastValue(int, "count")
    with pytest.raises(InvalidUpdateError) as info:
        channel.update([1, 2])
    message = str(with_writers(info.value, ["node_a", "node_b"]))
    assert message.startswith("channel 'count'")
    assert "'node_a', 'node_b'" in message


@pytest.mark.parametrize("value", [pytest.param(3, id="int"), pytest.param({"a": [1]}, id="dict")])
def test_last_value_checkpoint_round_trip(value: object) -> None:
    channel = LastValue(object, "v")
    channel.update([value])
    saved = channel.checkpoint()
    restored = channel.from_checkpoint(pickle.loads(pickle.dumps(saved)))
    assert restored.key == "v" and restored.typ is object
    assert restored.get() == value
    channel.update(["other"])  # the live channel moves on; the checkpoint and copy do not
    assert saved == value
    assert restored.get() == value


def test_last_value_empty_checkpoint_is_missing() -> None:
    channel = LastValue(int, "v")
    assert channel.checkpoint() is MISSING
    assert not channel.from_checkpoint(MISSING).is_available()
    assert not channel.copy().is_available()


@pytest.mark.parametrize("method", ["consume", "finish"])
def test_last_value_consume_and_finish_are_no_ops(method: str) -> None:
    channel = LastValue(int, "v")
    channel.update([1])
    assert getattr(channel, method)() is False
    assert channel.get() == 1


def test_last_value_does_not_clear_when_idle() -> None:
    assert LastValue.clears_when_idle is False


# -- LastValueAfterFinish --------------------------------------------------------------------


def test_after_finish_hidden_until_finish() -> None:
    channel = LastValueAfterFinish(str, "branch:to:d")
    assert channel.update(["a"]) is True
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="'branch:to:d'"):
        channel.get()
    assert channel.finish() is True
    assert channel.is_available() and channel.get() == "a"
    assert channel.finish() is False  # already finished


@pytest.mark.parametrize(
    ("values", "expected"),
    [pytest.param(["a"], "a", id="one"), pytest.param(["a", "b", "c"], "c", id="several-last")],
)
def test_after_finish_accepts_several_writes(values: list[str], expected: str) -> None:
    channel = LastValueAfterFinish(str, "d")
    channel.update(values)
    channel.finish()
    assert channel.get() == expected


def test_after_finish_on_empty_channel_changes_nothing() -> None:
    channel = LastValueAfterFinish(str, "d")
    assert channel.update([]) is False
    assert channel.finish() is False
    assert channel.consume() is False
    assert not channel.is_available()


def test_after_finish_consume_clears_only_after_finish() -> None:
    channel = LastValueAfterFinish(str, "d")
    channel.update(["a"])
    assert channel.consume() is False  # not finished yet: kept
    channel.finish()
    assert channel.consume() is True
    assert not channel.is_available()
    assert channel.checkpoint() is MISSING


def test_after_finish_new_write_hides_value_again() -> None:
    channel = LastValueAfterFinish(str, "d")
    channel.update(["a"])
    channel.finish()
    channel.update(["b"])
    assert not channel.is_available()
    channel.finish()
    assert channel.get() == "b"


@pytest.mark.parametrize("finished", [False, True], ids=["pending", "finished"])
def test_after_finish_checkpoint_round_trip(finished: bool) -> None:
    channel = LastValueAfterFinish(str, "d")
    channel.update(["a"])
    if finished:
        channel.finish()
    saved = channel.checkpoint()
    assert saved == ("a", finished)
    restored = channel.from_checkpoint(list(saved))  # serializers may turn tuples into lists
    assert restored.key == "d"
    assert restored.is_available() is finished
    channel.update(["b"])
    assert saved == ("a", finished)
    assert restored.checkpoint() == ("a", finished)
