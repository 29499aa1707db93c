"""Unit tests of the plan and update phases on hand-built channels and versions (spec §3, §5)."""

from __future__ import annotations

import operator
import random
import re
from collections.abc import Mapping
from typing import Any

import pytest

from nbpregel import InvalidUpdateError, Send
from nbpregel.channels import (
    BaseChannel,
    BinaryOperatorAggregate,
    EphemeralValue,
    LastValue,
    LastValueAfterFinish,
    Topic,
)
from nbpregel.constants import TASKS, TaskKind
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel._plan import GraphIndex, plan_tasks
from nbpregel.pregel._task import Task
from nbpregel.pregel._update import VersionState, apply_writes, finish_channels


def node(name: str, *triggers: str, reads: str | tuple[str, ...] | None = None) -> PregelNode:
    return PregelNode(
        name=name, triggers=triggers, reads=reads if reads is not None else triggers[0],
        bound=lambda value: value,
    )  # fmt: skip


def filled(channel: BaseChannel[Any, Any], *values: Any) -> BaseChannel[Any, Any]:
    channel.update(list(values))
    return channel


def keyed(channels: dict[str, BaseChannel[Any, Any]]) -> dict[str, BaseChannel[Any, Any]]:
    """Name each channel after its key, as ``Pregel`` does (channel errors quote the name)."""
    for name, channel in channels.items():
        channel.key = name
    return channels


def plan(
    nodes: list[PregelNode],
    channels: Mapping[str, BaseChannel[Any, Any]],
    versions: Mapping[str, int],
    seen: Mapping[str, Mapping[str, int]] | None = None,
    *,
    updated: set[str] | None = None,
    checkpoint_id: str = "cp-1",
    step: int = 3,
    ns: str = "",
) -> list[Task]:
    return plan_tasks(
        GraphIndex.build({n.name: n for n in nodes}),
        channels,
        versions,
        seen or {},
        updated_channels=updated,
        checkpoint_id=checkpoint_id,
        ns=ns,
        step=step,
    )


# -- plan ----------------------------------------------------------------------------------


def two_channel_world() -> tuple[list[PregelNode], dict[str, BaseChannel[Any, Any]]]:
    nodes = [node("on_a", "a"), node("on_b", "b"), node("saw_a", "a")]
    channels = {"a": filled(LastValue(int), 1), "b": filled(LastValue(int), 2)}
    return nodes, channels


def test_only_nodes_with_an_unseen_trigger_version_are_planned() -> None:
    nodes, channels = two_channel_world()
    seen = {"on_b": {"b": 1}, "saw_a": {"a": 2}}
    tasks = plan(nodes, channels, {"a": 2, "b": 1}, seen)
    assert [t.name for t in tasks] == ["on_a"]
    assert tasks[0].kind is TaskKind.PULL
    assert tasks[0].triggers == ("a",)
    assert tasks[0].input == 1


def test_only_subscribers_of_updated_channels_are_examined() -> None:
    nodes, channels = two_channel_world()
    versions = {"a": 2, "b": 2}
    assert [t.name for t in plan(nodes, channels, versions, updated={"a"})] == ["on_a", "saw_a"]
    assert [t.name for t in plan(nodes, channels, versions, updated={"b"})] == ["on_b"]
    assert [t.name for t in plan(nodes, channels, versions, updated=set())] == []
    everyone = plan(nodes, channels, versions, updated=None)
    assert [t.name for t in everyone] == ["on_a", "on_b", "saw_a"]


def test_pull_tasks_are_sorted_by_name() -> None:
    nodes = [node(name, "a") for name in ("zeta", "alpha", "mu")]
    tasks = plan(nodes, {"a": filled(LastValue(int), 1)}, {"a": 1}, updated={"a"})
    assert [t.name for t in tasks] == ["alpha", "mu", "zeta"]


def test_an_unavailable_trigger_does_not_fire() -> None:
    channels = {"e": EphemeralValue(int), "a": filled(LastValue(int), 1)}
    nodes = [node("on_e", "e"), node("on_a", "a")]
    assert [t.name for t in plan(nodes, channels, {"e": 5, "a": 1})] == ["on_a"]


def test_a_node_with_several_triggers_reports_those_that_fired() -> None:
    channels = {"a": filled(LastValue(int), 1), "b": filled(LastValue(int), 2)}
    both = node("both", "a", "b", reads=("a", "b"))
    [task] = plan([both], channels, {"a": 4, "b": 4}, {"both": {"a": 4, "b": 3}})
    assert task.triggers == ("b",)
    assert task.input == {"a": 1, "b": 2}


def test_pull_input_is_a_dict_of_the_available_channels_read() -> None:
    channels = {"a": filled(LastValue(int), 1), "missing": LastValue(int)}
    reader = node("reader", "a", reads=("a", "missing"))
    [task] = plan([reader], channels, {"a": 1})
    assert task.input == {"a": 1}


def test_push_tasks_come_first_in_send_order() -> None:
    channels = {
        TASKS: filled(Topic(Send), Send("w", "one"), Send("v", "two"), Send("w", "three")),
        "a": filled(LastValue(int), 1),
    }
    nodes = [node("w", "a"), node("v", "never")]
    channels["never"] = LastValue(int)
    tasks = plan(nodes, channels, {"a": 1, TASKS: 1})
    assert [(t.kind, t.name, t.index, t.input) for t in tasks] == [
        (TaskKind.PUSH, "w", 0, "one"),
        (TaskKind.PUSH, "v", 1, "two"),
        (TaskKind.PUSH, "w", 2, "three"),
        (TaskKind.PULL, "w", 0, 1),
    ]
    assert {t.triggers for t in tasks[:3]} == {("__pregel_push",)}


def test_send_to_an_unknown_node_names_it_and_the_known_nodes() -> None:
    channels = {TASKS: filled(Topic(Send), Send("ghost", 1)), "a": LastValue(int)}
    with pytest.raises(InvalidUpdateError, match="'ghost'") as info:
        plan([node("real", "a")], channels, {TASKS: 1})
    assert "'real'" in str(info.value)


def send_world() -> tuple[list[PregelNode], dict[str, BaseChannel[Any, Any]]]:
    channels = {
        TASKS: filled(Topic(Send), Send("w", 1), Send("w", 2)),
        "a": filled(LastValue(int), 1),
    }
    return [node("w", "a"), node("x", "a")], channels


def test_task_ids_are_deterministic_and_unique() -> None:
    nodes, channels = send_world()
    versions = {"a": 1, TASKS: 1}
    first = [t.id for t in plan(nodes, channels, versions)]
    again = [t.id for t in plan(nodes, channels, versions)]
    assert first == again
    assert len(set(first)) == len(first) == 4
    assert all(re.fullmatch(r"[0-9a-f]{32}", tid) for tid in first)  # xxh3_128 hex
    for other in (
        plan(nodes, channels, versions, checkpoint_id="cp-2"),
        plan(nodes, channels, versions, step=4),
        plan(nodes, channels, versions, ns="parent:abc"),
    ):
        assert not set(first) & {t.id for t in other}


# -- update --------------------------------------------------------------------------------


def versions_of(channels: Mapping[str, BaseChannel[Any, Any]], **versions: int) -> VersionState:
    """Fresh version bookkeeping for ``channels``, as the loop would set it up."""
    clearable = frozenset(name for name, ch in channels.items() if ch.clears_when_idle)
    live = {name for name in clearable if channels[name].is_available()}
    return VersionState(dict(versions), {}, live, clearable=clearable)


def test_writes_reach_a_reducer_in_task_path_order_whatever_the_finish_order() -> None:
    channels = {
        TASKS: filled(Topic(Send), Send("w", 0), Send("w", 1)),
        "a": filled(LastValue(int), 1),
        "log": BinaryOperatorAggregate(list, operator.add),
    }
    nodes = [node("w", "a"), node("beta", "a"), node("alpha", "a")]
    versions = versions_of(channels, a=1, **{TASKS: 1})
    for seed in range(5):
        live = {name: ch.copy() for name, ch in channels.items()}
        tasks = plan(nodes, live, versions.channel_versions)
        for task in tasks:
            task.writes = [
                ("log", [f"{task.name}{task.index if task.kind is TaskKind.PUSH else ''}"])
            ]
        random.Random(seed).shuffle(tasks)
        apply_writes(live, tasks, versions_of(live, a=1, **{TASKS: 1}))
        assert live["log"].get() == ["w0", "w1", "alpha", "beta", "w"]


def test_channels_shared_by_some_tasks_get_each_writers_value_in_task_order() -> None:
    # Many tasks writing many shared channels (messages into vertex inboxes): every channel
    # gets exactly the values of the tasks that wrote it, in task path order.
    names = [f"n{i:02d}" for i in range(12)]
    channels = {"a": filled(LastValue(int), 1)}
    channels |= {f"log{j}": BinaryOperatorAggregate(list, operator.add) for j in range(5)}
    versions = versions_of(channels, a=1)
    tasks = plan([node(name, "a") for name in names], channels, versions.channel_versions)
    for i, task in enumerate(tasks):
        task.writes = [(f"log{j}", [task.name]) for j in range(5) if (i + j) % 3]
    random.Random(0).shuffle(tasks)
    apply_writes(channels, tasks, versions)
    for j in range(5):
        expected = [name for i, name in enumerate(names) if (i + j) % 3]
        assert channels[f"log{j}"].get() == expected


def test_every_changed_channel_gets_the_same_new_version() -> None:
    channels = {
        "a": filled(LastValue(int), 1),
        "b": LastValue(int),
        "c": LastValue(int),
        "idle": filled(LastValue(int), 9),
    }
    versions = versions_of(channels, a=3, idle=5)
    tasks = plan([node("n", "a")], channels, versions.channel_versions)
    tasks[0].writes = [("b", 10), ("c", 20)]
    updated = apply_writes(channels, tasks, versions)
    assert updated == {"b", "c"}
    assert versions.channel_versions == {"a": 3, "idle": 5, "b": 6, "c": 6}
    assert (channels["b"].get(), channels["c"].get()) == (10, 20)


def test_versions_seen_records_the_trigger_versions_each_task_ran_on() -> None:
    channels = {
        "a": filled(LastValue(int), 1),
        "b": filled(LastValue(int), 2),
        "out": LastValue(int),
    }
    nodes = [node("on_a", "a"), node("on_ab", "a", "b", reads=("a", "b"))]
    versions = versions_of(channels, a=2, b=4)
    versions.versions_seen["on_ab"] = {"a": 2, "b": 1}
    tasks = plan(nodes, channels, versions.channel_versions, versions.versions_seen)
    assert [(t.name, t.triggers) for t in tasks] == [("on_a", ("a",)), ("on_ab", ("b",))]
    tasks[0].writes = [("out", 1)]
    apply_writes(channels, tasks, versions)
    assert versions.versions_seen == {"on_a": {"a": 2}, "on_ab": {"a": 2, "b": 4}}
    # replanning from the new versions finds nothing new for them
    again = plan(nodes, channels, versions.channel_versions, versions.versions_seen)
    assert again == []


def test_ephemeral_channels_clear_in_a_step_that_does_not_write_them() -> None:
    channels = {
        "a": filled(LastValue(int), 1),
        "e": EphemeralValue(int),
        "t": Topic(int),
        "out": LastValue(int),
    }
    versions = versions_of(channels, a=1)
    [task] = plan([node("n", "a")], channels, versions.channel_versions)
    task.writes = [("e", 7), ("t", 8)]
    assert apply_writes(channels, [task], versions) == {"e", "t"}
    assert channels["e"].get() == 7 and channels["t"].get() == [8]
    assert versions.channel_versions["e"] == 2

    # a step with no task leaves them alone
    assert apply_writes(channels, [], versions) == set()
    assert channels["e"].is_available()

    [task] = plan([node("n", "a")], channels, {"a": 3}, {"n": {"a": 1}})
    task.writes = [("out", 1)]
    assert apply_writes(channels, [task], versions) == {"e", "t", "out"}
    assert not channels["e"].is_available() and not channels["t"].is_available()
    assert versions.channel_versions["e"] == versions.channel_versions["out"] == 3


def test_write_to_an_unknown_channel_names_it_the_writer_and_the_known_channels() -> None:
    channels = {"a": filled(LastValue(int), 1), "known": LastValue(int)}
    [task] = plan([node("writer", "a")], channels, {"a": 1})
    task.writes = [("nowhere", 1)]
    with pytest.raises(InvalidUpdateError) as info:
        apply_writes(channels, [task], versions_of(channels, a=1))
    message = str(info.value)
    assert "'nowhere'" in message and "'writer'" in message and "'known'" in message


def test_two_writes_to_a_last_value_name_both_writers() -> None:
    channels = keyed({"a": filled(LastValue(int), 1), "x": LastValue(int)})
    tasks = plan([node("left", "a"), node("right", "a")], channels, {"a": 1})
    for i, task in enumerate(tasks):
        task.writes = [("x", i)]
    with pytest.raises(InvalidUpdateError) as info:
        apply_writes(channels, tasks, versions_of(channels, a=1))
    assert "'x'" in str(info.value)
    assert "'left'" in str(info.value) and "'right'" in str(info.value)


def test_finish_makes_deferred_values_available_with_a_new_version() -> None:
    channels = {"d": filled(LastValueAfterFinish(str), "go"), "a": filled(LastValue(int), 1)}
    versions = versions_of(channels, a=1, d=2)
    assert not channels["d"].is_available()
    assert finish_channels(channels, ["d"], versions) == {"d"}
    assert channels["d"].get() == "go"
    assert versions.channel_versions["d"] == 3
    assert finish_channels(channels, ["d"], versions) == set()  # already finished
