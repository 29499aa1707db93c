"""Addressing checkpoints: configs, list scopes and the indexes pending writes are stored at.

Shared by every saver; import these names from :mod:`nbpregel.checkpoint.base`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple

from nbpregel.constants import (
    CONFIG_KEY_CHECKPOINT_ID,
    CONFIG_KEY_CHECKPOINT_NS,
    CONFIG_KEY_THREAD_ID,
    ERROR,
    INTERRUPT,
    RESUME,
)
from nbpregel.errors import CheckpointError

__all__ = [
    "SPECIAL_WRITE_INDEX",
    "CheckpointAddress",
    "ListScope",
    "metadata_matches",
    "write_index",
]

SPECIAL_WRITE_INDEX: Final[Mapping[str, int]] = {ERROR: -1, INTERRUPT: -3, RESUME: -4}
"""Writes to these pseudo-channels have a fixed index and *replace* an earlier one of the same
task (a retried task's error, a resumed task's resume values); other writes are never
overwritten, so putting the same task's writes twice stores them once."""


class CheckpointAddress(NamedTuple):
    """Where a checkpoint lives: the three ``configurable`` keys of a config.

    >>> CheckpointAddress.from_config({"configurable": {"thread_id": 7}})
    CheckpointAddress(thread_id='7', checkpoint_ns='', checkpoint_id=None)
    """

    thread_id: str
    checkpoint_ns: str = ""
    checkpoint_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> CheckpointAddress:
        """Read the address from ``config["configurable"]``.

        Raises:
            CheckpointError: the config has no ``thread_id``.
        """
        configurable = config.get("configurable") or {}
        thread_id = configurable.get(CONFIG_KEY_THREAD_ID)
        if thread_id is None:
            raise CheckpointError(
                "a checkpointer needs a thread id: pass "
                "config={'configurable': {'thread_id': '<any id>'}}"
            )
        checkpoint_id = configurable.get(CONFIG_KEY_CHECKPOINT_ID) or None
        return cls(
            str(thread_id), str(configurable.get(CONFIG_KEY_CHECKPOINT_NS) or ""), checkpoint_id
        )

    def require_id(self, operation: str) -> str:
        """The checkpoint id, which ``operation`` cannot do without.

        Raises:
            CheckpointError: the address has no checkpoint id.
        """
        if self.checkpoint_id is None:
            raise CheckpointError(
                f"{operation} needs the checkpoint it belongs to: pass a config with "
                "['configurable']['checkpoint_id'], such as the one put() returned"
            )
        return self.checkpoint_id

    def at(self, checkpoint_id: str | None) -> CheckpointAddress:
        """The same thread and namespace, at ``checkpoint_id`` (``_replace`` costs more)."""
        return CheckpointAddress(self.thread_id, self.checkpoint_ns, checkpoint_id)

    def to_config(self) -> dict[str, Any]:
        """A fresh config pointing at this address."""
        return {
            "configurable": {
                CONFIG_KEY_THREAD_ID: self.thread_id,
                CONFIG_KEY_CHECKPOINT_NS: self.checkpoint_ns,
                CONFIG_KEY_CHECKPOINT_ID: self.checkpoint_id,
            }
        }


class ListScope(NamedTuple):
    """What :meth:`BaseCheckpointSaver.list` is restricted to; ``None`` means "any"."""

    thread_id: str | None
    checkpoint_ns: str | None
    checkpoint_id: str | None
    before_id: str | None

    @classmethod
    def from_args(
        cls, config: Mapping[str, Any] | None, before: Mapping[str, Any] | None
    ) -> ListScope:
        """The scope of ``list(config, before=before)``: a namespace only if given."""
        configurable = (config or {}).get("configurable") or {}
        thread_id = configurable.get(CONFIG_KEY_THREAD_ID)
        checkpoint_ns = configurable.get(CONFIG_KEY_CHECKPOINT_NS)
        before_id = ((before or {}).get("configurable") or {}).get(CONFIG_KEY_CHECKPOINT_ID)
        return cls(
            None if thread_id is None else str(thread_id),
            None if checkpoint_ns is None else str(checkpoint_ns),
            configurable.get(CONFIG_KEY_CHECKPOINT_ID) or None,
            before_id or None,
        )

    def contains(self, address: CheckpointAddress) -> bool:
        """Whether a checkpoint at ``address`` (with its id) is in scope."""
        checkpoint_id = address.checkpoint_id or ""
        return (
            self.thread_id in (None, address.thread_id)
            and self.checkpoint_ns in (None, address.checkpoint_ns)
            and self.checkpoint_id in (None, checkpoint_id)
            and (self.before_id is None or checkpoint_id < self.before_id)
        )


def write_index(channel: str, idx: int) -> int:
    """The index a write is stored under: its position, or a fixed one for pseudo-channels."""
    return SPECIAL_WRITE_INDEX.get(channel, idx)


def metadata_matches(metadata: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """Whether every ``filter`` key is in ``metadata`` with an equal value."""
    return not filter or all(
        key in metadata and metadata[key] == value for key, value in filter.items()
    )
