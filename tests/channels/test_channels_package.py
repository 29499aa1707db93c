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


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("factory", "write"), FACTORIES, ids=IDS)
def test_shares_value_means_get_hands_out_the_held_object(
    factory: Callable[[], BaseChannel], write: object, state: str
) -> None:
    # the loop keeps what get() returned until the channel reports a change
    channel = _make(factory, write, state)
    if not channel.is_available():
        return
    if type(channel).shares_value:
        assert channel.get() is channel.get()
        if isinstance(channel.get(), list):
            assert channel.get() is not channel.checkpoint()  # the checkpoint is a copy
    else:
        assert type(channel).holds_last_write is False


HOLDERS = [
    pytest.param(factory, write, id=name)
    for (factory, write), name in zip(FACTORIES, IDS, strict=True)
    if type(factory()).holds_last_write
]


def test_the_plain_value_kinds_hold_their_last_write() -> None:
    assert {param.id for param in HOLDERS} == {
        "LastValue",
        "AnyValue",
        "EphemeralValue",
        "EphemeralValue-unguarded",
        "UntrackedValue",
    }


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("factory", "write"), HOLDERS)
def test_holds_last_write_means_one_write_reads_back_as_itself(
    factory: Callable[[], BaseChannel], write: object, state: str
) -> None:
    # the loop takes a single write as the channel's new value without calling get()
    channel = _make(factory, write, state)
    assert type(channel).shares_value
    value = [write]  # an object whose identity can be checked
    channel.update_one(value)
    assert channel.get() is value


@pytest.mark.parametrize(
    ("channel", "value"),
    [
        pytest.param(BinaryOperatorAggregate(list, operator.add), ["x"], id="reducer"),
        pytest.param(LastValueAfterFinish(list), ["x"], id="after-finish"),
        pytest.param(Topic(list), ["x"], id="topic"),
        pytest.param(NamedBarrierValue(str, {"x"}), "x", id="barrier"),
    ],
)
def test_channels_that_transform_a_write_do_not_claim_to_hold_it(
    channel: BaseChannel, value: object
) -> None:
    channel.update_one(value)
    assert not (channel.is_available() and channel.get() is value)
    assert type(channel).holds_last_write is False


def test_a_subclass_restores_through_its_own_init() -> None:
    class Tagged(LastValue[int]):
        __slots__ = ("tag",)

        def __init__(self, typ: object = int, key: str = "") -> None:
            super().__init__(typ, key)
            self.tag = "set by __init__"

    restored = Tagged(int, "k").from_checkpoint(3)
    assert (type(restored), restored.tag, restored.get(), restored.key) == (
        Tagged,
        "set by __init__",
        3,
        "k",
    )
