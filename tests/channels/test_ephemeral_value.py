"""EphemeralValue: lives one step; guard=True allows one write per step."""

from __future__ import annotations

import pytest

from nbpregel.channels import MISSING, EphemeralValue
from nbpregel.errors import EmptyChannelError, InvalidUpdateError


def test_ephemeral_value_lives_one_step() -> None:
    channel = EphemeralValue(int, key="branch:to:b")
    assert channel.update([1]) is True
    assert channel.get() == 1
    assert channel.update([]) is True  # the next step without writes clears it
    assert not channel.is_available()
    assert channel.update([]) is False
    with pytest.raises(EmptyChannelError, match="'branch:to:b'"):
        channel.get()


def test_ephemeral_value_new_write_replaces() -> None:
    channel = EphemeralValue(int, key="e")
    channel.update([1])
    assert channel.update([2]) is True
    assert channel.get() == 2


@pytest.mark.parametrize("count", [2, 3], ids=["two", "three"])
def test_ephemeral_value_guard_rejects_several_writes(count: int) -> None:
    channel = EphemeralValue(int, key="e")
    channel.update([7])
    with pytest.raises(InvalidUpdateError) as info:
        channel.update(list(range(count)))
    message = str(info.value)
    assert message.startswith("channel 'e'")
    assert "guard=False" in message
    assert channel.get() == 7


def test_ephemeral_value_without_guard_keeps_the_last() -> None:
    channel = EphemeralValue(int, guard=False, key="e")
    assert channel.update([1, 2, 3]) is True
    assert channel.get() == 3


def test_ephemeral_value_clears_when_idle() -> None:
    assert EphemeralValue.clears_when_idle is True


@pytest.mark.parametrize("guard", [True, False], ids=["guarded", "unguarded"])
def test_ephemeral_value_checkpoint_round_trip(guard: bool) -> None:
    channel = EphemeralValue(int, guard, key="e")
    assert channel.checkpoint() is MISSING
    channel.update([5])
    saved = channel.checkpoint()
    restored = channel.from_checkpoint(saved)
    assert (restored.guard, restored.key, restored.get()) == (guard, "e", 5)
    channel.update([])
    assert saved == 5 and restored.get() == 5


@pytest.mark.parametrize("method", ["consume", "finish"])
def test_ephemeral_value_consume_and_finish_are_no_ops(method: str) -> None:
    channel = EphemeralValue(int, key="e")
    channel.update([1])
    assert getattr(channel, method)() is False
    assert channel.get() == 1
