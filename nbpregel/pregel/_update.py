"""Update phase: apply a superstep's buffered writes to the channels, all at once.

Writes are grouped by channel and handed to each channel's ``update`` in task-path order, so a
reducer sees the same sequence whatever order the threads finished in. Every channel changed by
the step gets the same new version, one past the current maximum.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from nbpregel.channels._common import with_writers
from nbpregel.channels.base import BaseChannel
from nbpregel.constants import BOOKKEEPING_CHANNELS, RESERVED_CHANNELS, TaskKind
from nbpregel.errors import InvalidUpdateError
from nbpregel.pregel._task import Task, WriteMap
from nbpregel.pregel._values import LayoutCache, LiveValues, common

_PULL = TaskKind.PULL

__all__ = ["VersionState", "apply_writes", "finish_channels"]

Channels = MutableMapping[str, BaseChannel[Any, Any]]


class VersionState:
    """The versioning half of a checkpoint, kept live during a run.

    Attributes:
        channel_versions: current version of every written channel.
        versions_seen: for each node, the trigger versions it last ran on.
        max_version: the largest version handed out so far.
        live_clearable: channels that hold a value and may clear when not written
            (``clears_when_idle``); only these get ``update([])`` at the end of a step.
        clearable: every channel of the graph with ``clears_when_idle``.
        live_values: what the channels read as, once ``values_of`` built it; the update
            functions below keep it current (``None`` until then).
    """

    __slots__ = (
        "channel_versions",
        "clearable",
        "live_clearable",
        "live_values",
        "max_version",
        "versions_seen",
    )

    def __init__(
        self,
        channel_versions: dict[str, int],
        versions_seen: dict[str, dict[str, int]],
        live_clearable: set[str],
        clearable: frozenset[str],
    ) -> None:
        self.channel_versions = channel_versions
        self.clearable = clearable
        self.versions_seen = versions_seen
        self.max_version = max(channel_versions.values(), default=0)
        self.live_clearable = live_clearable
        self.live_values: LiveValues | None = None

    def bump(self) -> int:
        """The version for this step's changes."""
        return self.max_version + 1

    def values_of(self, channels: Channels, layouts: LayoutCache) -> LiveValues | None:
        """The live values of ``channels``, if the graph keeps them: built on first use.

        Only ``apply_writes`` and ``finish_channels`` (given this state) may change the channels
        from then on; anything else changing them would leave the values stale.

        Args:
            channels: the run's live channels.
            layouts: the graph's channel layout, and whether live values pay for it.
        """
        if not layouts.worthwhile:
            return None
        live = self.live_values
        if live is None or live.channels is not channels:
            live = self.live_values = LiveValues(channels, layouts.of(channels))
        return live


def _unknown_channel(channel: str, writers: Iterable[str], known: Iterable[str]) -> Exception:
    visible = sorted(ch for ch in known if ch not in RESERVED_CHANNELS)
    return InvalidUpdateError(
        f"node(s) {sorted(set(writers))} wrote to unknown channel {channel!r}: "
        f"known channels are {visible}"
    )


def _writers(tasks: Sequence[Task], channel: str) -> list[str]:
    return [t.name for t in tasks if any(ch == channel for ch, _ in t.writes)]


Gathered = tuple[dict[str, Any], dict[str, list[Any]]]
"""A step's writes: each written channel's last value (in order of first write), and every
value of the channels written more than once (in task order)."""


def _gather(tasks: Sequence[Task]) -> Gathered:
    """Collect the step's writes, with dict operations (in C) when no task repeats a channel."""
    multi: dict[str, list[Any]] = {}
    if len(tasks) == 1:
        writes = tasks[0].writes
        merged = writes.values.copy() if type(writes) is WriteMap else dict(writes)
        if len(merged) != len(writes):
            return _gather_each(tasks)  # the task wrote one channel twice
    else:
        merged = {}
        by_task: list[dict[str, Any]] = []
        repeated: list[str] = []
        for task in tasks:
            writes = task.writes
            own = writes.values if type(writes) is WriteMap else dict(writes)
            if len(own) != len(task.writes):
                return _gather_each(tasks)
            repeated.extend(own.keys() & merged.keys())
            merged.update(own)
            by_task.append(own)
        if repeated:  # one pass over the tasks, however many channels they share
            multi = {name: [] for name in repeated}
            for own in by_task:
                for name in own.keys() & multi.keys():
                    multi[name].append(own[name])
    if not merged.keys().isdisjoint(BOOKKEEPING_CHANNELS):
        for name in merged.keys() & BOOKKEEPING_CHANNELS:
            del merged[name]  # interrupts, errors and resume values are bookkeeping, not state
            multi.pop(name, None)
    return merged, multi


def _gather_each(tasks: Sequence[Task]) -> Gathered:
    grouped: dict[str, list[Any]] = {}
    for task in tasks:
        for channel, value in task.writes:
            if channel not in BOOKKEEPING_CHANNELS:
                grouped.setdefault(channel, []).append(value)
    last = {name: values[-1] for name, values in grouped.items()}
    return last, {name: values for name, values in grouped.items() if len(values) > 1}


def _update_channels(
    channels: Channels, tasks: Sequence[Task], gathered: Gathered, updated: set[str]
) -> None:
    """Hand each written channel its value(s); add the channels that changed to ``updated``."""
    single, multi = gathered
    add = updated.add
    name = ""
    try:
        if not multi:
            for name, value in single.items():
                if channels[name].update_one(value):
                    add(name)
        else:
            for name, value in single.items():
                target, values = channels[name], multi.get(name)
                if target.update_one(value) if values is None else target.update(values):
                    add(name)
    except KeyError:
        if name not in channels:
            raise _unknown_channel(name, _writers(tasks, name), channels) from None
        raise
    except InvalidUpdateError as exc:
        raise with_writers(exc, _writers(tasks, name)) from exc


def _consume_triggers(
    channels: Channels, tasks: Sequence[Task], versions: VersionState, new_version: int
) -> set[str]:
    """Record what each PULL task saw; consume the channels that triggered tasks."""
    channel_versions = versions.channel_versions
    consumed: set[str] = set()
    for task in tasks:
        if task.kind is _PULL:
            seen = versions.versions_seen.get(task.name)
            if seen is None:
                seen = versions.versions_seen[task.name] = {}
            for channel in task.triggers:
                seen[channel] = channel_versions[channel]
            consumed.update(task.triggers)
    updated: set[str] = set()
    for channel in consumed:
        if channels[channel].consume():
            channel_versions[channel] = new_version
            updated.add(channel)
    return updated


def _clear_idle(
    channels: Channels, tasks: Sequence[Task], written: Mapping[str, Any], versions: VersionState
) -> list[str]:
    """``update([])`` the clearable channels not written this step; returns those that changed.

    Writes carried without a task (a ``Command`` given as input) are not a step: nothing clears.
    """
    live_clearable = versions.live_clearable
    live_clearable.update(common(versions.clearable, written))
    if not live_clearable:
        return []
    for task in tasks:
        if task.triggers:
            break
    else:
        return []
    new_version = versions.bump()
    cleared = []
    for name in [ch for ch in live_clearable if ch not in written]:
        channel = channels[name]
        if channel.update(()):
            versions.channel_versions[name] = new_version
            cleared.append(name)
        if not channel.is_available():
            live_clearable.discard(name)
    return cleared


def apply_writes(channels: Channels, tasks: Sequence[Task], versions: VersionState) -> set[str]:
    """Apply the writes of ``tasks`` to ``channels``; return the names of the changed channels.

    Args:
        channels: live channels, changed in place.
        tasks: the step's finished tasks (any order: they are sorted here).
        versions: channel versions, seen versions and live values, changed in place.

    Raises:
        InvalidUpdateError: a write to an unknown channel, or a channel rejecting its writes;
            the message names the channel and the nodes that wrote to it.
    """
    if len(tasks) > 1:
        tasks = sorted(tasks, key=lambda t: t.sort_key)
    live = versions.live_values
    if live is not None and live.channels is not channels:
        live = versions.live_values = None  # made for other channels: made again when read
    new_version = versions.bump()
    try:
        # 1. record what each task saw, and consume the channels that triggered it
        updated = _consume_triggers(channels, tasks, versions, new_version)
        if live is not None and updated:
            live.changed(updated)
        # 2. hand every written channel all its values at once
        written, multi = gathered = _gather(tasks)
        _update_channels(channels, tasks, gathered, updated)
        # 3. channels not written this step may clear (ephemeral values, non-accumulating
        # topics)
        cleared = _clear_idle(channels, tasks, written, versions)
    except BaseException:
        versions.live_values = None  # the channels may be half updated: read them afresh
        raise
    if updated:
        versions.channel_versions.update(dict.fromkeys(updated, new_version))
    if cleared:
        updated.update(cleared)
    if live is not None:
        live.written(written)
        live.changed(multi, cleared)
    if updated:
        versions.max_version = new_version
    return updated


def finish_channels(
    channels: Channels,
    finishers: Iterable[str],
    versions: VersionState,
) -> set[str]:
    """Call ``finish()`` on ``finishers``; return those that changed (their version is bumped)."""
    new_version = versions.bump()
    updated = {name for name in finishers if channels[name].finish()}
    for name in updated:
        versions.channel_versions[name] = new_version
    if updated:
        versions.max_version = new_version
        live = versions.live_values
        if live is not None and live.channels is channels:
            live.changed(updated)
    return updated
