"""UntrackedValue: holds a value during the run, never in a checkpoint."""

from __future__ import annotations

import pytest

from nbpregel.channels import MISSING, UntrackedValue
from nbpregel.errors import EmptyChannelError, InvalidUpdateError


def test_untracked_value_holds_the_value_across_idle_steps() -> None:
    channel = UntrackedValue(object, key="client")
    assert channel.update([]) is False
    assert channel.update(["conn"]) is True
    assert channel.update([]) is False
    assert channel.get() == "conn"


@pytest.mark.parametrize(
    "state", [pytest.param([], id="empty"), pytest.param(["conn"], id="holding")]
)
def test_untracked_value_checkpoint_is_always_missing(state: list[str]) -> None:
    channel = UntrackedValue(object, key="client")
    channel.update(state)
    assert channel.checkpoint() is MISSING
    restored = channel.from_checkpoint("ignored")
    assert not restored.is_available()
    assert restored.key == "client" and restored.guard is True


def test_untracked_value_copy_keeps_the_value_within_a_run() -> None:
    channel = UntrackedValue(object, guard=False, key="client")
    channel.update(["conn"])
    duplicate = channel.copy()
    assert duplicate.get() == "conn" and duplicate.guard is False
    channel.update(["other"])
    assert duplicate.get() == "conn"


def test_untracked_value_guard_rejects_several_writes() -> None:
    channel = UntrackedValue(int, key="cache")
    with pytest.raises(InvalidUpdateError) as info:
        channel.update([1, 2])
    assert str(info.value).startswith("channel 'cache'")
    assert "guard=False" in str(info.value)
    assert not channel.is_available()


def test_untracked_value_without_guard_keeps_the_last() -> None:
    channel = UntrackedValue(int, guard=False, key="cache")
    channel.update([1, 2])
    assert channel.get() == 2


def test_untracked_value_empty_raises_naming_the_channel() -> None:
    with pytest.raises(EmptyChannelError, match="'cache'"):
        UntrackedValue(int, key="cache").get()


def test_untracked_value_does_not_clear_when_idle() -> None:
    assert UntrackedValue.clears_when_idle is False
