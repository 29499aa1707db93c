"""What a checkpoint is, and the protocol every checkpoint saver implements.

A saver stores, per *thread* (one conversation or run history) and *namespace* (a subgraph's
place inside its parent, ``""`` at the top), a chain of checkpoints linked to their parents,
and per checkpoint the *pending writes* of the tasks that finished in the step after it.
Savers are addressed with a config::

    {"configurable": {"thread_id": "1", "checkpoint_ns": "", "checkpoint_id": "..."}}

``checkpoint_ns`` defaults to ``""``; without ``checkpoint_id`` a read means "the latest".

A saver implements the five sync methods (:meth:`~BaseCheckpointSaver.get_tuple`,
:meth:`~BaseCheckpointSaver.list`, :meth:`~BaseCheckpointSaver.put`,
:meth:`~BaseCheckpointSaver.put_writes`, :meth:`~BaseCheckpointSaver.delete_thread`); the
async twins run them in a worker thread unless a saver overrides ``_run_blocking``.
"""

from __future__ import annotations

import asyncio
import builtins
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal, NamedTuple, TypedDict, TypeVar

from nbpregel.checkpoint._addressing import (
    SPECIAL_WRITE_INDEX,
    CheckpointAddress,
    ListScope,
    metadata_matches,
    write_index,
)
from nbpregel.checkpoint.ids import new_checkpoint_id
from nbpregel.checkpoint.serde import SafeSerializer, SerializerProtocol

__all__ = [
    "CHECKPOINT_FORMAT_VERSION",
    "SPECIAL_WRITE_INDEX",
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointAddress",
    "CheckpointMetadata",
    "CheckpointSource",
    "CheckpointTuple",
    "ListScope",
    "PendingWrite",
    "copy_checkpoint",
    "empty_checkpoint",
    "metadata_matches",
    "write_index",
]

R = TypeVar("R")

CHECKPOINT_FORMAT_VERSION: Final = 1
"""The ``v`` of checkpoints this version of nbpregel writes."""

CheckpointSource = Literal["input", "loop", "update", "fork"]
"""Why a checkpoint was saved: the run's input, a superstep, ``update_state``, or a fork."""

PendingWrite = tuple[str, str, Any]
"""``(task_id, channel, value)``: one write of a finished task, saved before the step ends."""


class Checkpoint(TypedDict):
    """The state of every channel after one superstep: pure data, copied on save and load.

    Attributes:
        v: format version (:data:`CHECKPOINT_FORMAT_VERSION`).
        id: time-ordered id; sorting ids sorts checkpoints by creation time.
        ts: creation time, ISO 8601 in UTC.
        channel_values: each channel's ``checkpoint()`` data (empty channels are absent).
        channel_versions: each channel's version.
        versions_seen: per node, the version of each trigger channel it last saw.
        updated_channels: the channels written in the step that produced it, if known.
    """

    v: int
    id: str
    ts: str
    channel_values: dict[str, Any]
    channel_versions: dict[str, int]
    versions_seen: dict[str, dict[str, int]]
    updated_channels: list[str] | None


class CheckpointMetadata(TypedDict, total=False):
    """What is known about how a checkpoint came about; extra keys are allowed and kept.

    Attributes:
        source: see :data:`CheckpointSource`.
        step: the superstep: -1 for the input, 0 for the first step after it, and so on.
        parents: for a subgraph's checkpoint, the checkpoint id of each enclosing namespace.
    """

    source: CheckpointSource
    step: int
    parents: dict[str, str]


class CheckpointTuple(NamedTuple):
    """A checkpoint with its address, metadata, parent and pending writes."""

    config: dict[str, Any]
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    parent_config: dict[str, Any] | None
    pending_writes: list[PendingWrite]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def empty_checkpoint() -> Checkpoint:
    """A checkpoint with no channel values, a new id and the current time.

    >>> c = empty_checkpoint()
    >>> c["channel_values"], c["v"], c["ts"].endswith("+00:00")
    ({}, 1, True)
    """
    return Checkpoint(
        v=CHECKPOINT_FORMAT_VERSION,
        id=new_checkpoint_id(),
        ts=_now_iso(),
        channel_values={},
        channel_versions={},
        versions_seen={},
        updated_channels=None,
    )


def copy_checkpoint(checkpoint: Checkpoint) -> Checkpoint:
    """A copy whose dicts and lists can be changed without touching ``checkpoint``.

    Channel values are copied one level deep: channels hand out fresh data from
    ``checkpoint()``, so their contents are not shared with live state.
    """
    updated = checkpoint.get("updated_channels")
    return Checkpoint(
        v=checkpoint["v"],
        id=checkpoint["id"],
        ts=checkpoint["ts"],
        channel_values=dict(checkpoint["channel_values"]),
        channel_versions=dict(checkpoint["channel_versions"]),
        versions_seen={node: dict(seen) for node, seen in checkpoint["versions_seen"].items()},
        updated_channels=None if updated is None else builtins.list(updated),
    )


class BaseCheckpointSaver(ABC):
    """Stores checkpoints and pending writes; subclasses implement the five sync methods.

    Args:
        serde: turns values into bytes and back; a :class:`SafeSerializer` by default.
    """

    serde: SerializerProtocol

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        self.serde = serde if serde is not None else SafeSerializer()

    # -- the protocol ---------------------------------------------------------------------

    @abstractmethod
    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """The checkpoint at ``config`` (the thread's latest without a ``checkpoint_id``).

        Returns:
            The checkpoint with its pending writes, or ``None`` when there is none.
        """

    @abstractmethod
    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        """Checkpoints newest first.

        Args:
            config: restricts to a thread; also to a namespace and a checkpoint id when the
                config has them. ``None`` lists every thread.
            filter: metadata keys and the values they must have.
            before: only checkpoints older than the ``checkpoint_id`` of this config.
            limit: at most this many.
        """

    @abstractmethod
    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any],
        new_versions: Mapping[str, int],
    ) -> dict[str, Any]:
        """Save ``checkpoint`` as a child of the checkpoint ``config`` points at (if any).

        Args:
            config: thread and namespace; its ``checkpoint_id`` becomes the parent.
            checkpoint: saved under ``checkpoint["id"]``.
            metadata: see :class:`CheckpointMetadata`.
            new_versions: the channel versions that changed since the parent; a hint for
                savers that store channel values separately.

        Returns:
            A config pointing at the saved checkpoint.
        """

    @abstractmethod
    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Save one task's ``(channel, value)`` writes against the checkpoint at ``config``.

        Idempotent: writes are keyed by ``(task_id, index)``, so putting them again stores
        nothing new (pseudo-channels in :data:`SPECIAL_WRITE_INDEX` are replaced instead).
        Pending writes come back ordered by ``(task_path, task_id, index)``.
        """

    @abstractmethod
    def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint and write of ``thread_id``, in every namespace."""

    # -- conveniences ---------------------------------------------------------------------

    def get(self, config: Mapping[str, Any]) -> Checkpoint | None:
        """The checkpoint at ``config``, without its metadata and writes."""
        found = self.get_tuple(config)
        return found.checkpoint if found else None

    def get_next_version(self, current: int | None) -> int:
        """The version that follows ``current`` (1 for a channel never written)."""
        return 1 if current is None else current + 1

    def _build_tuple(
        self,
        address: CheckpointAddress,
        checkpoint: tuple[str, bytes],
        metadata: CheckpointMetadata,
        parent_id: str | None,
        writes: Iterable[tuple[str, str, tuple[str, bytes]]],
    ) -> CheckpointTuple:
        """Assemble a tuple from stored data; ``address`` includes the checkpoint id."""
        loads = self.serde.loads_typed
        return CheckpointTuple(
            config=address.to_config(),
            checkpoint=loads(checkpoint),
            metadata=metadata,
            parent_config=address.at(parent_id).to_config() if parent_id else None,
            pending_writes=[(task_id, channel, loads(value)) for task_id, channel, value in writes],
        )

    # -- async twins ----------------------------------------------------------------------

    async def _run_blocking(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        """Run a sync method from async code; in a worker thread, as savers do I/O."""
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def aget_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        """Async :meth:`get_tuple`."""
        return await self._run_blocking(self.get_tuple, config)

    async def aget(self, config: Mapping[str, Any]) -> Checkpoint | None:
        """Async :meth:`get`."""
        found = await self.aget_tuple(config)
        return found.checkpoint if found else None

    async def alist(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        """Async :meth:`list`; the matching checkpoints are read in one go, then yielded."""

        def collect() -> builtins.list[CheckpointTuple]:
            return builtins.list(self.list(config, filter=filter, before=before, limit=limit))

        for item in await self._run_blocking(collect):
            yield item

    async def aput(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any],
        new_versions: Mapping[str, int],
    ) -> dict[str, Any]:
        """Async :meth:`put`."""
        return await self._run_blocking(self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        """Async :meth:`put_writes`."""
        await self._run_blocking(self.put_writes, config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        """Async :meth:`delete_thread`."""
        await self._run_blocking(self.delete_thread, thread_id)
