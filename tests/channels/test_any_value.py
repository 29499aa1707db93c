"""AnyValue: many writes allowed, the last is kept; a step without writes clears it."""

from __future__ import annotations

import pytest

from nbpregel.channels import MISSING, AnyValue
from nbpregel.errors import EmptyChannelError


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(["x"], "x", id="one"),
        pytest.param(["x", "x"], "x", id="equal"),
        pytest.param(["x", "y"], "y", id="different-last-wins"),
    ],
)
def test_any_value_keeps_the_last(values: list[str], expected: str) -> None:
    channel = AnyValue(str, "route")
    assert channel.update(values) is True
    assert channel.get() == expected


def test_any_value_idle_step_clears() -> None:
    channel = AnyValue(str, "route")
    assert channel.update([]) is False  # nothing to clear
    channel.update(["x"])
    assert channel.update([]) is True
    assert not channel.is_available()
    with pytest.raises(EmptyChannelError, match="'route'"):
        channel.get()


def test_any_value_clears_when_idle() -> None:
    assert AnyValue.clears_when_idle is True
    assert AnyValue(int).clears_when_idle is True


def test_any_value_checkpoint_round_trip() -> None:
    channel = AnyValue(int, "n")
    assert channel.checkpoint() is MISSING
    channel.update([4])
    saved = channel.checkpoint()
    restored = channel.from_checkpoint(saved)
    channel.update([])
    assert saved == 4
    assert restored.get() == 4 and restored.key == "n"
    assert not channel.is_available()


@pytest.mark.parametrize("method", ["consume", "finish"])
def test_any_value_consume_and_finish_are_no_ops(method: str) -> None:
    channel = AnyValue(int, "n")
    channel.update([1])
    assert getattr(channel, method)() is False
    assert channel.get() == 1
