"""Checkpoints and pending writes as table rows: what every SQL saver stores and reads back.

``SqliteSaver`` and ``PostgresSaver`` keep the same two tables, each in its own dialect; this
module holds what does not depend on the dialect: turning a ``put`` or ``put_writes`` into rows
(serialized with the saver's serializer before any statement runs, so a value the serializer
refuses leaves the database untouched), the conditions of a ``list`` scope and of its pages,
and turning rows back into :class:`~nbpregel.checkpoint.base.CheckpointTuple` objects, filtered
and limited as ``list`` asks.

>>> from nbpregel.checkpoint.base import empty_checkpoint
>>> from nbpregel.checkpoint.serde import SafeSerializer
>>> address, row = checkpoint_row(
...     SafeSerializer(), {"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}
... )
>>> row[:2], row[3], address.checkpoint_id == row[2]
(('t', ''), None, True)
>>> scope_conditions(ListScope("t", None, None, "x"), "?")
(['thread_id = ?', 'checkpoint_id < ?'], ['t', 'x'])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

from nbpregel.checkpoint._addressing import (
    CheckpointAddress,
    ListScope,
    metadata_matches,
    write_index,
)
from nbpregel.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from nbpregel.checkpoint.serde import SerializerProtocol

__all__ = [
    "CHECKPOINT_COLUMNS",
    "KEYSET_COLUMNS",
    "LIST_PAGE",
    "WRITES_ORDER",
    "WRITE_COLUMNS",
    "CheckpointRow",
    "StoredWrite",
    "WriteRow",
    "checkpoint_row",
    "matching",
    "page_size",
    "paged",
    "row_to_tuple",
    "scope_conditions",
    "write_rows",
]

CHECKPOINT_COLUMNS: Final = (
    "thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, "
    "type, checkpoint, metadata_type, metadata"
)
"""The columns of a checkpoint row, in the order of :data:`CheckpointRow`."""
WRITE_COLUMNS: Final = (
    "thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, channel, type, value"
)
"""The columns of a write row, in the order of :data:`WriteRow`."""
WRITES_ORDER: Final = "task_path, task_id, idx"
"""The order pending writes come back in (the in-memory saver's order too)."""
KEYSET_COLUMNS: Final = "(checkpoint_id, thread_id, checkpoint_ns)"
"""A listing's sort key, newest first: a page continues below the previous page's last row."""
LIST_PAGE: Final = 64
"""Rows a listing reads at a time when it filters metadata or has no limit."""

CheckpointRow = tuple[str, str, str, str | None, str, bytes, str, bytes]
"""thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,
metadata_type, metadata."""
WriteRow = tuple[str, str, str, str, int, str, str, str, bytes]
"""thread_id, checkpoint_ns, checkpoint_id, task_id, idx, task_path, channel, type, value."""
StoredWrite = tuple[str, str, str, bytes]
"""A pending write as read back: task_id, channel, type, value."""


def checkpoint_row(
    serde: SerializerProtocol,
    config: Mapping[str, Any],
    checkpoint: Mapping[str, Any],
    metadata: Mapping[str, Any],
) -> tuple[CheckpointAddress, CheckpointRow]:
    """The address ``put`` saves ``checkpoint`` at, and its row; the config's id is the parent.

    Raises:
        CheckpointError: the config has no thread id.
        SerializationError: the checkpoint or the metadata holds a value that is not allowed.
    """
    address = CheckpointAddress.from_config(config)
    type_, blob = serde.dumps_typed(checkpoint)
    metadata_type, metadata_blob = serde.dumps_typed(
        metadata if type(metadata) is dict else dict(metadata)
    )
    row = (
        address.thread_id,
        address.checkpoint_ns,
        checkpoint["id"],
        address.checkpoint_id,
        type_,
        blob,
        metadata_type,
        metadata_blob,
    )
    return address.at(checkpoint["id"]), row


def write_rows(
    serde: SerializerProtocol,
    config: Mapping[str, Any],
    writes: Sequence[tuple[str, Any]],
    task_id: str,
    task_path: str,
) -> list[WriteRow]:
    """The rows of one task's writes, in order (a pseudo-channel's at its fixed index).

    Raises:
        CheckpointError: the config has no thread id or no checkpoint id.
        SerializationError: a value is not allowed; the message says which and where.
    """
    address = CheckpointAddress.from_config(config)
    checkpoint_id = address.require_id("put_writes")
    head = (address.thread_id, address.checkpoint_ns, checkpoint_id, task_id)
    dumps = serde.dumps_typed
    return [
        (*head, write_index(channel, i), task_path, channel, *dumps(value))
        for i, (channel, value) in enumerate(writes)
    ]


def scope_conditions(scope: ListScope, placeholder: str) -> tuple[list[str], list[str]]:
    """The ``WHERE`` conditions of a listing's scope, and their parameters."""
    conditions, params = [], []
    for column, value in (
        ("thread_id", scope.thread_id),
        ("checkpoint_ns", scope.checkpoint_ns),
        ("checkpoint_id", scope.checkpoint_id),
    ):
        if value is not None:
            conditions.append(f"{column} = {placeholder}")
            params.append(value)
    if scope.before_id is not None:
        conditions.append(f"checkpoint_id < {placeholder}")
        params.append(scope.before_id)
    return conditions, params


def paged(
    fetch: Callable[[bool, Sequence[Any]], Sequence[Sequence[Any]]],
    params: Sequence[Any],
    size: int,
) -> Iterator[Sequence[Any]]:
    """Checkpoint rows, newest first, read ``size`` at a time so no statement stays open.

    ``fetch(after_last, args)`` runs the query of one page: ``ORDER BY`` :data:`KEYSET_COLUMNS`
    descending, ``LIMIT`` the last argument; with ``after_last`` it also has the condition
    ``KEYSET_COLUMNS < (?, ?, ?)``, whose three parameters follow ``params`` in ``args``.
    """
    last: Sequence[Any] | None = None
    while True:
        keyset = [] if last is None else [last[2], last[0], last[1]]
        rows = fetch(last is not None, [*params, *keyset, size])
        yield from rows
        if len(rows) < size:
            return
        last = rows[-1]


def page_size(filter: Mapping[str, Any] | None, limit: int | None) -> int:
    """Rows to read at a time: all ``limit`` at once unless metadata filters some out."""
    return limit if limit is not None and not filter else LIST_PAGE


def row_to_tuple(
    saver: BaseCheckpointSaver,
    row: Sequence[Any],
    writes: Iterable[Sequence[Any]],
    metadata: Any = None,
) -> CheckpointTuple:
    """A checkpoint row and its :data:`StoredWrite` rows as a tuple (``metadata`` if it was
    loaded already)."""
    thread_id, checkpoint_ns, checkpoint_id, parent_id, type_, blob, metadata_type, mblob = row[:8]
    if metadata is None:
        metadata = saver.serde.loads_typed((metadata_type, mblob))
    return saver._build_tuple(
        CheckpointAddress(thread_id, checkpoint_ns, checkpoint_id),
        (type_, blob),
        metadata,
        parent_id,
        [(task_id, channel, (wtype, value)) for task_id, channel, wtype, value in writes],
    )


def matching(
    saver: BaseCheckpointSaver,
    rows: Iterable[Sequence[Any]],
    writes_of: Callable[[Sequence[Any]], Iterable[Sequence[Any]]],
    filter: Mapping[str, Any] | None,
    limit: int | None,
) -> Iterator[CheckpointTuple]:
    """The tuples of checkpoint ``rows`` (newest first) whose metadata matches ``filter``, at
    most ``limit``; ``writes_of(row)`` reads a matching row's pending writes."""
    if limit is not None and limit <= 0:
        return
    remaining = limit
    for row in rows:
        metadata = saver.serde.loads_typed((row[6], row[7]))
        if not metadata_matches(metadata, filter):
            continue
        yield row_to_tuple(saver, row, writes_of(row), metadata)
        if remaining is not None:
            remaining -= 1
            if remaining == 0:
                return
