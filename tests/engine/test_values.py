"""Live values: what the channels read as, kept current by the update phase (``_values``).

The reference is ``read_input`` on the channels themselves: after any sequence of steps, a read
from the live values must give the same dict, keys in the same order.
"""

from __future__ import annotations

import operator
import random
from typing import Any

import pytest

from nbpregel import InvalidUpdateError
from nbpregel.channels import (
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    Topic,
)
from nbpregel.constants import PUSH_TRIGGER, TaskKind
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel._plan import GraphIndex
from nbpregel.pregel._task import Task, WriteMap
from nbpregel.pregel._update import VersionState, apply_writes, finish_channels
from nbpregel.pregel._values import WIDE_READ, LayoutCache, LiveValues, read_input


def world() -> dict[str, BaseChannel[Any, Any]]:
    """Channels of every kind the live values treat differently, keyed as a graph keys them."""
    channels: dict[str, BaseChannel[Any, Any]] = {f"k{i}": LastValue(int) for i in range(6)}
    channels |= {
        "log": BinaryOperatorAggregate(list, operator.add),
        "e": EphemeralValue(int),
        "late": LastValueAfterFinish(int),
        "join": NamedBarrierValue(str, {"x", "y"}),
        "topic": Topic(int),
    }
    for name, channel in channels.items():
        channel.key = name
    return channels


READS = [
    pytest.param(tuple(f"k{i}" for i in range(6)), id="prefix"),
    pytest.param(("k5", "k0", "log"), id="out-of-order"),
    pytest.param(("e", "late", "join", "k1"), id="clearing-kinds"),
    pytest.param(("k0", "topic"), id="with-a-topic"),
    pytest.param(tuple(world()), id="everything"),
]


def task(name: str, writes: list[tuple[str, Any]]) -> Task:
    """A finished task of a step (a PUSH task: it has no trigger versions to record)."""
    node = PregelNode(name=name, triggers=["k0"], reads="k0", bound=lambda value: value)
    made = Task(
        id=name, name=name, kind=TaskKind.PUSH, index=ord(name), node=node, input=None,
        triggers=(PUSH_TRIGGER,), parent_ns="",
    )  # fmt: skip
    made.writes = writes
    return made


def random_writes(rng: random.Random, writer: str) -> list[tuple[str, Any]]:
    """A task's writes: plain keys once each, and the kinds that take several writes."""
    writes: list[tuple[str, Any]] = [
        (f"k{i}", rng.randrange(100)) for i in rng.sample(range(6), rng.randrange(4))
    ]
    for name, value in (("log", [writer]), ("topic", 7), ("join", writer), ("e", 1), ("late", 2)):
        if rng.random() < 0.4:
            writes.append((name, value))
    return writes


def versions_of(channels: dict[str, BaseChannel[Any, Any]]) -> VersionState:
    clearable = frozenset(name for name, ch in channels.items() if ch.clears_when_idle)
    return VersionState({}, {}, set(), clearable=clearable)


@pytest.mark.parametrize("seed", range(40))
def test_reads_match_the_channels_after_any_steps(seed: int) -> None:
    rng = random.Random(seed)
    channels = world()
    versions = versions_of(channels)
    live = versions.values_of(channels, LayoutCache(worthwhile=True))
    assert live is not None
    applied = 0
    for _ in range(12):
        writers = rng.sample(["x", "y", "z"], rng.randrange(4))
        step = [task(name, random_writes(rng, name)) for name in writers]
        try:
            apply_writes(channels, step, versions)
        except InvalidUpdateError:  # two writes to a plain key: a run would end here
            channels = world()
            versions = versions_of(channels)
            live = versions.values_of(channels, LayoutCache(worthwhile=True))
            assert live is not None
            continue
        applied += 1
        if rng.random() < 0.3:
            finish_channels(channels, ["late"], versions)
        assert versions.values_of(channels, LayoutCache(worthwhile=True)) is live
        for reads in READS:
            expected = read_input(channels, reads.values[0])
            got = live.read(reads.values[0])
            assert got == expected and list(got) == list(expected)
            called = {k: ch.get() for k in reads.values[0] if (ch := channels[k]).is_available()}
            assert called == expected and list(called) == list(expected)  # no call: the same
    assert applied >= 3  # the seed exercised real steps, not only failing ones


@pytest.mark.parametrize("reads", READS)
def test_a_read_is_the_callers_own_dict(reads: tuple[str, ...]) -> None:
    channels = world()
    versions = versions_of(channels)
    live = versions.values_of(channels, LayoutCache(worthwhile=True))
    assert live is not None
    apply_writes(
        channels, [task("x", [(key, 1) for key in reads if key.startswith("k")])], versions
    )
    first = live.read(reads)
    first["k0"] = "changed by a node"
    first.pop("k1", None)
    assert live.read(reads) == read_input(channels, reads)


def test_a_failed_step_drops_the_live_values() -> None:
    channels = world()
    versions = versions_of(channels)
    live = versions.values_of(channels, LayoutCache(worthwhile=True))
    with pytest.raises(InvalidUpdateError):
        apply_writes(channels, [task("x", [("k0", 1), ("k0", 2)])], versions)
    assert versions.live_values is None
    again = versions.values_of(channels, LayoutCache(worthwhile=True))
    assert again is not None and again is not live
    assert again.read(("k0", "k1")) == read_input(channels, ("k0", "k1"))


def test_live_values_follow_the_channels_they_were_made_for() -> None:
    versions = versions_of(world())
    first, second = world(), world()
    made = versions.values_of(first, LayoutCache(worthwhile=True))
    assert versions.values_of(second, LayoutCache(worthwhile=True)) is not made
    apply_writes(first, [task("x", [("k0", 5)])], versions)  # stale values are dropped ...
    assert versions.live_values is None
    remade = versions.values_of(first, LayoutCache(worthwhile=True))
    assert remade is not None and remade.read(("k0",)) == {"k0": 5}  # ... and made afresh


def test_a_graph_of_few_keys_reads_its_channels_directly() -> None:
    channels = world()
    assert versions_of(channels).values_of(channels, LayoutCache(worthwhile=False)) is None


@pytest.mark.parametrize(
    ("width", "worthwhile"),
    [pytest.param(WIDE_READ - 1, False, id="narrow"), pytest.param(WIDE_READ, True, id="wide")],
)
def test_the_index_keeps_live_values_for_graphs_that_read_many_channels(
    width: int, worthwhile: bool
) -> None:
    reads = tuple(f"k{i}" for i in range(width))
    nodes = {
        "wide": PregelNode(name="wide", triggers=["k0"], reads=reads, bound=lambda v: v),
        "one": PregelNode(name="one", triggers=["k0"], reads="k0", bound=lambda v: v),
    }
    assert GraphIndex.build(nodes).layouts.worthwhile is worthwhile


def test_a_layout_is_shared_by_runs_and_remade_for_other_channels() -> None:
    cache = LayoutCache(worthwhile=True)
    layout = cache.of(world())
    assert cache.of(world()) is layout
    assert cache.of({"other": LastValue(int)}) is not layout
    assert layout.volatile == {"topic"}
    assert layout.inexact == {"log", "late", "join", "topic"}


def test_live_values_without_a_layout_work_out_their_own() -> None:
    channels = world()
    channels["k0"].update_one(3)
    live = LiveValues(channels)
    assert live.read(("k0", "k1", "topic")) == {"k0": 3}


def test_channels_consumed_by_their_subscribers_read_as_empty() -> None:
    channels = world()
    versions = versions_of(channels)
    live = versions.values_of(channels, LayoutCache(worthwhile=True))
    assert live is not None
    apply_writes(
        channels, [task("x", [("join", "x"), ("late", 1)]), task("y", [("join", "y")])], versions
    )
    finish_channels(channels, ["late"], versions)
    reads = ("join", "late", "k0")
    assert live.read(reads) == {"join": None, "late": 1}
    node = PregelNode(name="after", triggers=["join", "late"], reads="join", bound=lambda v: v)
    subscriber = Task(
        id="after", name="after", kind=TaskKind.PULL, index=0, node=node, input=None,
        triggers=("join", "late"), parent_ns="",
    )  # fmt: skip
    assert apply_writes(channels, [subscriber], versions) == {"join", "late"}
    assert live.read(reads) == read_input(channels, reads) == {}


@pytest.mark.parametrize("seed", range(10))
def test_writes_kept_as_a_map_apply_as_their_pairs_do(seed: int) -> None:
    """A finished traced task's ``WriteMap`` changes the channels as its list of pairs does."""
    rng = random.Random(seed)
    as_pairs, as_maps = world(), world()
    pair_versions, map_versions = versions_of(as_pairs), versions_of(as_maps)
    applied = 0
    for _ in range(12):
        writers = rng.sample(["x", "y", "z"], rng.randrange(1, 4))
        writes = {name: random_writes(rng, name) for name in writers}
        try:
            expected = apply_writes(
                as_pairs, [task(n, w) for n, w in writes.items()], pair_versions
            )
        except InvalidUpdateError:  # two writes to a plain key: start again from empty channels
            as_pairs, as_maps = world(), world()
            pair_versions, map_versions = versions_of(as_pairs), versions_of(as_maps)
            continue
        mapped = [task(n, list(w)) for n, w in writes.items()]
        for made in mapped:
            if len(dict(made.writes)) == len(made.writes):
                made.writes = WriteMap(dict(made.writes))
        assert apply_writes(as_maps, mapped, map_versions) == expected
        assert read_input(as_maps, tuple(world())) == read_input(as_pairs, tuple(world()))
        applied += 1
    assert applied >= 3
