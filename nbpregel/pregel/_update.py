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
from nbpregel.pregel._task import Task

_PULL = TaskKind.PULL

__all__ = ["VersionState", "apply_writes", "finish_channels"]


class VersionState:
    """The versioning half of a checkpoint, kept live during a run.

    Attributes:
        channel_versions: current version of every written channel.
        versions_seen: for each node, the trigger versions it last ran on.
        max_version: the largest version handed out so far.
        live_clearable: channels that hold a value and may clear when not written
            (``clears_when_idle``); only these get ``update([])`` at the end of a step.
        clearable: every channel of the graph with ``clears_when_idle`` (derived from the
            channels on first use when not given).
    """

    __slots__ = ("channel_versions", "clearable", "live_clearable", "max_version", "versions_seen")

    def __init__(
        self,
        channel_versions: dict[str, int],
        versions_seen: dict[str, dict[str, int]],
        live_clearable: set[str],
        clearable: frozenset[str] | None = None,
    ) -> None:
        self.channel_versions = channel_versions
        self.clearable = clearable
        self.versions_seen = versions_seen
        self.max_version = max(channel_versions.values(), default=0)
        self.live_clearable = live_clearable

    def bump(self) -> int:
        """The version for this step's changes."""
        return self.max_version + 1


def _unknown_channel(channel: str, writers: Iterable[str], known: Iterable[str]) -> Exception:
    visible = sorted(ch for ch in known if ch not in RESERVED_CHANNELS)
    return InvalidUpdateError(
        f"node(s) {sorted(set(writers))} wrote to unknown channel {channel!r}: "
        f"known channels are {visible}"
    )


def _group_writes(tasks: Sequence[Task]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    if len(tasks) == 1:
        # One task: most channels get one value, so build the lists without lookups first.
        for channel, value in tasks[0].writes:
            if channel in BOOKKEEPING_CHANNELS:
                continue
            if channel in grouped:
                grouped[channel].append(value)
            else:
                grouped[channel] = [value]
        return grouped
    for task in tasks:
        for channel, value in task.writes:
            if channel in BOOKKEEPING_CHANNELS:
                continue  # interrupts, errors and resume values are bookkeeping, not state
            bucket = grouped.get(channel)
            if bucket is None:
                grouped[channel] = [value]
            else:
                bucket.append(value)
    return grouped


def _single_writes(tasks: Sequence[Task]) -> dict[str, Any] | None:
    """One task writing each channel at most once (the common step): channel -> value, else None."""
    if len(tasks) != 1:
        return None
    writes = tasks[0].writes
    by_channel = dict(writes)
    if len(by_channel) != len(writes) or not BOOKKEEPING_CHANNELS.isdisjoint(by_channel):
        return None
    return by_channel


def _apply_single_values(
    channels: Mapping[str, BaseChannel[Any, Any]],
    tasks: Sequence[Task],
    values: Mapping[str, Any],
    updated: set[str],
) -> None:
    get = channels.get
    for name, value in values.items():
        target = get(name)
        if target is None:
            raise _unknown_channel(name, _writers(tasks, name), channels)
        try:
            if target.update_one(value):
                updated.add(name)
        except InvalidUpdateError as exc:
            raise with_writers(exc, _writers(tasks, name)) from exc


def _writers(tasks: Sequence[Task], channel: str) -> list[str]:
    return [t.name for t in tasks if any(ch == channel for ch, _ in t.writes)]


def apply_writes(
    channels: MutableMapping[str, BaseChannel[Any, Any]],
    tasks: Sequence[Task],
    versions: VersionState,
) -> set[str]:
    """Apply the writes of ``tasks`` to ``channels``; return the names of the changed channels.

    Args:
        channels: live channels, changed in place.
        tasks: the step's finished tasks (any order: they are sorted here).
        versions: channel versions and seen versions, changed in place.

    Raises:
        InvalidUpdateError: a write to an unknown channel, or a channel rejecting its writes;
            the message names the channel and the nodes that wrote to it.
    """
    if len(tasks) > 1:
        tasks = sorted(tasks, key=lambda t: t.sort_key)
    channel_versions = versions.channel_versions
    new_version = versions.bump()
    updated: set[str] = set()

    # 1. record what each task saw, and consume the channels that triggered it
    consumed: set[str] = set()
    for task in tasks:
        if task.kind is _PULL:
            seen = versions.versions_seen.get(task.name)
            if seen is None:
                seen = versions.versions_seen[task.name] = {}
            for channel in task.triggers:
                seen[channel] = channel_versions[channel]
            consumed.update(task.triggers)
    for channel in consumed:
        if channels[channel].consume():
            channel_versions[channel] = new_version
            updated.add(channel)

    # 2. hand every written channel all its values at once
    live_clearable = versions.live_clearable
    clearable = versions.clearable
    if clearable is None:
        clearable = versions.clearable = frozenset(
            name for name, channel in channels.items() if channel.clears_when_idle
        )
    grouped: Mapping[str, Any] | None = _single_writes(tasks)
    if grouped is not None:
        _apply_single_values(channels, tasks, grouped, updated)
    else:
        grouped = _group_writes(tasks)
        for name, values in grouped.items():
            target = channels.get(name)
            if target is None:
                raise _unknown_channel(name, _writers(tasks, name), channels)
            try:
                if target.update(values):
                    updated.add(name)
            except InvalidUpdateError as exc:
                raise with_writers(exc, _writers(tasks, name)) from exc
    if updated:
        channel_versions.update(dict.fromkeys(updated, new_version))
    live_clearable.update(clearable.intersection(grouped))

    # 3. channels not written this step may clear (ephemeral values, non-accumulating topics);
    # writes carried without a task (a Command given as input) are not a step: nothing clears
    if live_clearable and any(task.triggers for task in tasks):
        for name in [ch for ch in live_clearable if ch not in grouped]:
            if channels[name].update(()):
                channel_versions[name] = new_version
                updated.add(name)
            if not channels[name].is_available():
                live_clearable.discard(name)

    if updated:
        versions.max_version = new_version
    return updated


def finish_channels(
    channels: MutableMapping[str, BaseChannel[Any, Any]],
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
    return updated
