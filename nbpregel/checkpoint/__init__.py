"""Checkpoints: saving a run's state after every superstep, safely, in memory or in SQLite.

A PostgreSQL saver lives in :mod:`nbpregel.checkpoint.postgres` (``PostgresSaver``,
``AsyncPostgresSaver``); it needs psycopg (``pip install 'nbpregel[postgres]'``), so it is not
imported here.

>>> from nbpregel.checkpoint import InMemorySaver, empty_checkpoint
>>> saver = InMemorySaver()
>>> config = saver.put({"configurable": {"thread_id": "1"}}, empty_checkpoint(), {"step": -1}, {})
>>> saver.get(config)["channel_values"]
{}
"""

from nbpregel.checkpoint.base import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointMetadata,
    CheckpointSource,
    CheckpointTuple,
    PendingWrite,
    copy_checkpoint,
    empty_checkpoint,
)
from nbpregel.checkpoint.ids import checkpoint_id_time, new_checkpoint_id
from nbpregel.checkpoint.memory import InMemorySaver, MemorySaver
from nbpregel.checkpoint.serde import (
    RestoredError,
    SafeSerializer,
    SerializerProtocol,
    register_type,
)
from nbpregel.checkpoint.sqlite import SqliteSaver

__all__ = [
    "BaseCheckpointSaver",
    "Checkpoint",
    "CheckpointMetadata",
    "CheckpointSource",
    "CheckpointTuple",
    "InMemorySaver",
    "MemorySaver",
    "PendingWrite",
    "RestoredError",
    "SafeSerializer",
    "SerializerProtocol",
    "SqliteSaver",
    "checkpoint_id_time",
    "copy_checkpoint",
    "empty_checkpoint",
    "new_checkpoint_id",
    "register_type",
]
