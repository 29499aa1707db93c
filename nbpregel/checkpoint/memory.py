"""A checkpoint saver that keeps everything in this process's memory: the default one.

Values are stored serialized, so a saved checkpoint never shares a mutable object with the run
that saved it, and what can be saved here can be saved to SQLite too.

>>> from nbpregel.checkpoint.base import empty_checkpoint
>>> saver = InMemorySaver()
>>> config = saver.put({"configurable": {"thread_id": "1"}}, empty_checkpoint(), {"step": -1}, {})
>>> saver.get_tuple({"configurable": {"thread_id": "1"}}).metadata
{'step': -1}
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from nbpregel.checkpoint.base import (
    SPECIAL_WRITE_INDEX,
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointAddress,
    CheckpointTuple,
    ListScope,
    metadata_matches,
    write_index,
)
from nbpregel.checkpoint.serde import SerializerProtocol

__all__ = ["InMemorySaver", "MemorySaver"]

R = TypeVar("R")
Typed = tuple[str, bytes]
_WriteRows = list[tuple[str, str, Typed]]


class _Stored(NamedTuple):
    checkpoint: Typed
    metadata: Typed
    parent_id: str | None


class _StoredWrite(NamedTuple):
    # Field order is the order pending writes are returned in.
    task_path: str
    task_id: str
    idx: int
    channel: str
    value: Typed


class InMemorySaver(BaseCheckpointSaver):
    """Checkpoints in a dict, guarded by a lock: safe to share between threads.

    Args:
        serde: turns values into bytes and back; a ``SafeSerializer`` by default.
    """

    def __init__(self, *, serde: SerializerProtocol | None = None) -> None:
        super().__init__(serde=serde)
        self._lock = threading.RLock()
        # (thread_id, checkpoint_ns) -> checkpoint_id -> stored checkpoint
        self._checkpoints: dict[tuple[str, str], dict[str, _Stored]] = {}
        # (thread_id, checkpoint_ns, checkpoint_id) -> (task_id, idx) -> stored write
        self._writes: dict[tuple[str, str, str], dict[tuple[str, int], _StoredWrite]] = {}

    def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        address = CheckpointAddress.from_config(config)
        with self._lock:
            chain = self._checkpoints.get((address.thread_id, address.checkpoint_ns))
            if not chain:
                return None
            checkpoint_id = address.checkpoint_id or max(chain)
            stored = chain.get(checkpoint_id)
            if stored is None:
                return None
            address = address.at(checkpoint_id)
            writes = self._writes_of(address)
        metadata = self.serde.loads_typed(stored.metadata)
        return self._build_tuple(address, stored.checkpoint, metadata, stored.parent_id, writes)

    def list(
        self,
        config: Mapping[str, Any] | None,
        *,
        filter: Mapping[str, Any] | None = None,
        before: Mapping[str, Any] | None = None,
        limit: int | None = None,
    ) -> Iterator[CheckpointTuple]:
        scope = ListScope.from_args(config, before)
        with self._lock:
            found = [
                (CheckpointAddress(thread_id, ns, checkpoint_id), stored)
                for (thread_id, ns), chain in self._checkpoints.items()
                if scope.thread_id in (None, thread_id)
                for checkpoint_id, stored in chain.items()
                if scope.contains(CheckpointAddress(thread_id, ns, checkpoint_id))
            ]
        found.sort(key=lambda item: (item[0].checkpoint_id, item[0][:2]), reverse=True)
        return self._matching(found, filter, limit)

    def _matching(
        self,
        found: Sequence[tuple[CheckpointAddress, _Stored]],
        filter: Mapping[str, Any] | None,
        limit: int | None,
    ) -> Iterator[CheckpointTuple]:
        if limit is not None and limit <= 0:
            return
        remaining = limit
        for address, stored in found:
            metadata = self.serde.loads_typed(stored.metadata)
            if not metadata_matches(metadata, filter):
                continue
            with self._lock:
                writes = self._writes_of(address)
            yield self._build_tuple(address, stored.checkpoint, metadata, stored.parent_id, writes)
            if remaining is not None:
                remaining -= 1
                if remaining == 0:
                    return

    def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any],
        new_versions: Mapping[str, int],
    ) -> dict[str, Any]:
        address = CheckpointAddress.from_config(config)
        dumps = self.serde.dumps_typed
        stored = _Stored(
            dumps(checkpoint),
            dumps(metadata if type(metadata) is dict else dict(metadata)),
            address.checkpoint_id,
        )
        with self._lock:
            chain = self._checkpoints.setdefault((address.thread_id, address.checkpoint_ns), {})
            chain[checkpoint["id"]] = stored
        return address.at(checkpoint["id"]).to_config()

    def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        address = CheckpointAddress.from_config(config)
        checkpoint_id = address.require_id("put_writes")
        rows = [
            _StoredWrite(
                task_path, task_id, write_index(channel, i), channel, self.serde.dumps_typed(value)
            )
            for i, (channel, value) in enumerate(writes)
        ]
        with self._lock:
            bucket = self._writes.setdefault(
                (address.thread_id, address.checkpoint_ns, checkpoint_id), {}
            )
            for row in rows:
                key = (task_id, row.idx)
                if key not in bucket or row.channel in SPECIAL_WRITE_INDEX:
                    bucket[key] = row

    def delete_thread(self, thread_id: str) -> None:
        thread_id = str(thread_id)
        with self._lock:
            for key in [key for key in self._checkpoints if key[0] == thread_id]:
                del self._checkpoints[key]
            for wkey in [wkey for wkey in self._writes if wkey[0] == thread_id]:
                del self._writes[wkey]

    def _writes_of(self, address: CheckpointAddress) -> _WriteRows:
        """Stored writes of the checkpoint at ``address``; call with the lock held."""
        bucket = self._writes.get(
            (address.thread_id, address.checkpoint_ns, address.checkpoint_id or "")
        )
        if not bucket:
            return []
        return [(w.task_id, w.channel, w.value) for w in sorted(bucket.values())]

    async def _run_blocking(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> R:
        # Nothing here waits on I/O: a worker thread would only add latency.
        return fn(*args, **kwargs)


MemorySaver = InMemorySaver
"""LangGraph's older name for :class:`InMemorySaver`."""
