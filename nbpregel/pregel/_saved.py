"""A saved checkpoint as a run starts from it, and the pending writes saved beside it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.constants import (
    BOOKKEEPING_CHANNELS,
    ERROR,
    INPUT,
    INTERRUPT,
    NULL_TASK_ID,
    RESUME,
)
from nbpregel.pregel._task import Task
from nbpregel.pregel._update import VersionState, apply_writes

if TYPE_CHECKING:
    from nbpregel.checkpoint.base import CheckpointTuple
    from nbpregel.pregel._spec import GraphSpec

__all__ = ["OUTCOME_UNKNOWN", "Saved", "finished_writes", "writes_by_task"]


OUTCOME_UNKNOWN: Final = frozenset({ERROR, INTERRUPT, RESUME})
"""Pending-write channels that do not by themselves mean a task finished."""


def writes_by_task(
    pending: Iterable[tuple[str, str, Any]],
) -> dict[str, list[tuple[str, Any]]]:
    """Saved pending writes ``(task id, channel, value)`` grouped by task id."""
    by_task: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in pending:
        by_task.setdefault(task_id, []).append((channel, value))
    return by_task


def finished_writes(saved: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]] | None:
    """A task's state writes if its saved writes show it finished, else ``None``.

    >>> finished_writes([("x", 1), ("__resume__", ["yes"])]), finished_writes([("__error__", 0)])
    ([('x', 1)], None)
    """
    if all(channel in OUTCOME_UNKNOWN for channel, _ in saved):
        return None
    return [(ch, v) for ch, v in saved if ch not in BOOKKEEPING_CHANNELS]


class Saved:
    """The parts of a checkpoint a run (or a state snapshot) starts from."""

    __slots__ = (
        "channel_values",
        "channel_versions",
        "checkpoint_id",
        "command_changed",
        "command_writes",
        "step",
        "updated_channels",
        "versions_seen",
    )

    def __init__(self, checkpoint: Mapping[str, Any] | None, step: int) -> None:
        checkpoint = checkpoint or {}
        self.checkpoint_id: str = checkpoint.get("id", "")
        self.channel_values: Mapping[str, Any] = checkpoint.get("channel_values", {})
        self.channel_versions: dict[str, int] = dict(checkpoint.get("channel_versions", {}))
        self.versions_seen: dict[str, dict[str, int]] = {
            node: dict(seen) for node, seen in checkpoint.get("versions_seen", {}).items()
        }
        updated = checkpoint.get("updated_channels")
        self.updated_channels = list(updated) if updated is not None else None
        self.step = step
        self.command_writes: list[tuple[str, Any]] = []
        self.command_changed: set[str] = set()

    @classmethod
    def of(cls, saved: CheckpointTuple | None) -> Saved:
        """What a saver returned; an empty thread's start (step -2) for ``None``."""
        if saved is None:
            return cls(None, -2)
        made = cls(saved.checkpoint, int((saved.metadata or {}).get("step", -1)))
        made.command_writes = [
            (channel, value)
            for task_id, channel, value in saved.pending_writes or ()
            if task_id == NULL_TASK_ID
        ]
        return made

    def restore(self, spec: GraphSpec) -> tuple[dict[str, BaseChannel[Any, Any]], VersionState]:
        """Live channels of ``spec`` holding the saved values, and their versions.

        The writes of the ``Command``s a run resumed with from this checkpoint (saved under
        ``NULL_TASK_ID``) are part of its state: they are applied, and ``command_changed``
        names the channels they changed. A run adds those to ``updated_channels`` to plan its
        first step; a snapshot does not (its ``next`` is the checkpoint's own, as LangGraph's).
        """
        values = self.channel_values
        channels = {
            name: channel.from_checkpoint(values.get(name, MISSING))
            for name, channel in spec.channels.items()
        }
        live = {name for name in spec.clearable if channels[name].is_available()}
        versions = VersionState(self.channel_versions, self.versions_seen, live, spec.clearable)
        if self.command_writes:
            carrier = Task.carrier(INPUT, self.command_writes)
            self.command_changed = apply_writes(channels, [carrier], versions)
        return channels, versions
