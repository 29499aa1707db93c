"""Building the checkpoint dict saved after each superstep, from what changed since the last one.

A checkpoint holds every channel's value and every node's seen versions, but a step changes only
a few of them. Channel versions say which: a channel's version is bumped whenever its value
changes (update, consume, finish, clearing), so a channel whose version is the one it had at the
previous save still has the value saved then. The nodes whose seen versions change in a step are
those that ran in it as pull tasks (``apply_writes`` records what they saw).

Each checkpoint gets new dicts, never ones changed later: a checkpoint may still be on its way to
the saver (``durability="async"``) while the next is built. Dicts that did not change (a node's
seen versions, a channel's value) are shared between consecutive checkpoints, so nothing may
change a checkpoint in place once it is built; savers copy or serialize what they keep.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.checkpoint.base import CHECKPOINT_FORMAT_VERSION
from nbpregel.pregel._chunks import now_iso

if TYPE_CHECKING:
    from nbpregel.pregel._update import VersionState

__all__ = ["CheckpointBuilder"]


class CheckpointBuilder:
    """Makes the checkpoints of one run; reuses the last one's parts that did not change."""

    __slots__ = ("_seen", "_values", "_versions")

    def __init__(self) -> None:
        self._values: dict[str, Any] | None = None
        self._versions: dict[str, int] = {}
        self._seen: dict[str, dict[str, int]] | None = None

    def build(
        self,
        checkpoint_id: str,
        channels: Mapping[str, BaseChannel[Any, Any]],
        versions: VersionState,
        updated: Collection[str] | None,
        *,
        ran: Collection[str] | None,
    ) -> dict[str, Any]:
        """The checkpoint of the live ``channels`` and ``versions``.

        Args:
            checkpoint_id: the new checkpoint's id.
            channels: the run's live channels.
            versions: the run's versions.
            updated: the channels the last step changed, or ``None`` if unknown.
            ran: the nodes that ran as pull tasks since the last ``build`` (whose seen
                versions may have changed), or ``None`` to copy every node's.
        """
        channel_versions = dict(versions.channel_versions)
        values = self._channel_values(channels, channel_versions)
        seen = self._versions_seen(versions.versions_seen, ran)
        self._values, self._versions, self._seen = values, channel_versions, seen
        return {
            "v": CHECKPOINT_FORMAT_VERSION,
            "id": checkpoint_id,
            "ts": now_iso(),
            "channel_values": values,
            "channel_versions": channel_versions,
            "versions_seen": seen,
            "updated_channels": sorted(updated) if updated is not None else None,
        }

    def _channel_values(
        self, channels: Mapping[str, BaseChannel[Any, Any]], channel_versions: Mapping[str, int]
    ) -> dict[str, Any]:
        if self._values is None:
            values = {}
            for name, channel in channels.items():
                value = channel.checkpoint()
                if value is not MISSING:
                    values[name] = value
            return values
        values = dict(self._values)
        # The channels whose version moved since the last save (a set difference, in C).
        for name, _ in channel_versions.items() - self._versions.items():
            live = channels.get(name)
            if live is None:
                continue
            value = live.checkpoint()
            if value is MISSING:
                values.pop(name, None)
            else:
                values[name] = value
        return values

    def _versions_seen(
        self, live: Mapping[str, dict[str, int]], ran: Collection[str] | None
    ) -> dict[str, dict[str, int]]:
        previous = self._seen
        if previous is None or ran is None:
            return {node: dict(seen) for node, seen in live.items()}
        result = dict(previous)
        for node in ran:
            seen = live.get(node)
            if seen is not None:
                result[node] = dict(seen)
        if len(result) != len(live):  # a node gained seen versions some other way: start over
            return {node: dict(seen) for node, seen in live.items()}
        return result
