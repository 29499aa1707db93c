"""The channels package: its exported names and the contract every channel keeps."""

from __future__ import annotations

import operator
from collections.abc import Callable

import pytest

import nbpregel.channels as channels
from nbpregel.channels import (
    AnyValue,
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
    Topic,
    UntrackedValue,
)


def test_exported_names() -> None:
    assert sorted(channels.__all__) == [
        "AnyValue",
        "BaseChannel",
        "BinaryOperatorAggregate",
        "EphemeralValue",
        "LastValue",
        "LastValueAfterFinish",
        "MISSING",
        "NamedBarrierValue",
        "NamedBarrierValueAfterFinish",
        "Topic",
        "UntrackedValue",
        "with_writers",
    ]
    for name in channels.__all__:
        assert getattr(channels, name) is not None


# Each factory makes a bound channel, and a write it accepts.
FACTORIES: list[tuple[Callable[[], BaseChannel], object]] = [
    (lambda: LastValue(int), 1),
    (lambda: LastValueAfterFinish(int), 1),
    (lambda: AnyValue(int), 1),
    (lambda: EphemeralValue(int), 1),
    (lambda: EphemeralValue(int, guard=False), 1),
    (lambda: Topic(int), 1),
    (lambda: Topic(int, accumulate=True), 1),
    (lambda: BinaryOperatorAggregate(int, operator.add), 1),
    (lambda: BinaryOperatorAggregate(list[int], operator.add), [1]),
    (lambda: NamedBarrierValue(str, {"a", "b"}), "a"),
    (lambda: NamedBarrierValueAfterFinish(str, {"a"}), "a"),
    (lambda: UntrackedValue(int), 1),
]
IDS = [
    "LastValue",
    "LastValueAfterFinish",
    "AnyValue",
    "EphemeralValue",
    "EphemeralValue-unguarded",
    "Topic",
    "Topic-accumulate",
    "BinaryOperatorAggregate-int",
    "BinaryOperatorAggregate-list",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "UntrackedValue",
]
STATES = ["fresh", "written", "written-finished"]


def _make(factory: Callable[[], BaseChannel], write: object, state: str) -> BaseChannel:
    channel = factory()
    channel.key = "ch"
    if state != "fresh":
        channel.update([write])
    if state == "written-finished":
        channel.finish()
    return channel


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_idle_update_changes_nothing_unless_clears_when_idle(
    factory: Callable[[], BaseChannel], write: object, state: str
) -> None:
    channel = _make(factory, write, state)
    before = (channel.checkpoint(), channel.is_available())
    changed = channel.update([])
    after = (channel.checkpoint(), channel.is_available())
    assert changed is (before != after)
    if not channel.clears_when_idle:
        assert changed is False


@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_clears_when_idle_is_not_claimed_needlessly(
    factory: Callable[[], BaseChannel], write: object
) -> None:
    # a channel that claims to clear must actually clear once written
    channel = _make(factory, write, "written")
    if channel.clears_when_idle:
        assert channel.update([]) is True


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_copy_and_restore_keep_configuration_and_value(
    factory: Callable[[], BaseChannel], write: object, state: str
) -> None:
    channel = _make(factory, write, state)
    for twin in (channel.copy(), channel.from_checkpoint(channel.checkpoint())):
        assert type(twin) is type(channel)
        assert twin.key == "ch" and twin.typ == channel.typ
        assert twin.checkpoint() == channel.checkpoint()
        if not isinstance(channel, UntrackedValue):
            assert twin.is_available() is channel.is_available()


@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_channels_use_slots(factory: Callable[[], BaseChannel], write: object) -> None:
    channel = factory()
    assert not hasattr(channel, "__dict__")


@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_repr_names_kind_and_key(factory: Callable[[], BaseChannel], write: object) -> None:
    channel = _make(factory, write, "fresh")
    assert repr(channel).startswith(f"{type(channel).__name__}('ch'")
