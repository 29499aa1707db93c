"""Fixtures shared by the checkpoint tests: every saver, driven through its sync or async API.

The PostgreSQL saver runs against the session's throwaway server (``tests/postgres_server.py``),
each test in a fresh schema of its own.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from postgres_server import postgres_server, postgres_url  # noqa: F401 (fixtures)

from nbpregel.checkpoint import (
    BaseCheckpointSaver,
    Checkpoint,
    CheckpointTuple,
    InMemorySaver,
    SqliteSaver,
    empty_checkpoint,
)
from nbpregel.checkpoint.postgres import PostgresSaver

SAVER_KINDS = ("memory", "sqlite", "postgres")


def make_saver(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> BaseCheckpointSaver:
    """A new, empty saver of ``kind`` (a PostgreSQL one starts the server if need be)."""
    if kind == "memory":
        return InMemorySaver()
    if kind == "sqlite":
        return SqliteSaver(tmp_path / "checkpoints.db")
    if kind == "postgres":
        return PostgresSaver(request.getfixturevalue("postgres_url"))
    raise ValueError(f"unknown saver kind {kind!r} (must be one of {SAVER_KINDS})")


@dataclass
class SaverApi:
    """One saver, called through its sync methods or their async twins."""

    saver: BaseCheckpointSaver
    use_async: bool

    async def put(
        self,
        config: Mapping[str, Any],
        checkpoint: Checkpoint,
        metadata: Mapping[str, Any] | None = None,
        new_versions: Mapping[str, int] | None = None,
    ) -> dict[str, Any]:
        args = (config, checkpoint, metadata or {}, new_versions or {})
        if self.use_async:
            return await self.saver.aput(*args)
        return self.saver.put(*args)

    async def get_tuple(self, config: Mapping[str, Any]) -> CheckpointTuple | None:
        if self.use_async:
            return await self.saver.aget_tuple(config)
        return self.saver.get_tuple(config)

    async def get(self, config: Mapping[str, Any]) -> Checkpoint | None:
        if self.use_async:
            return await self.saver.aget(config)
        return self.saver.get(config)

    async def list(
        self, config: Mapping[str, Any] | None, **kwargs: Any
    ) -> builtins.list[CheckpointTuple]:
        if self.use_async:
            return [item async for item in self.saver.alist(config, **kwargs)]
        return builtins.list(self.saver.list(config, **kwargs))

    async def put_writes(
        self,
        config: Mapping[str, Any],
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        if self.use_async:
            await self.saver.aput_writes(config, writes, task_id, task_path)
        else:
            self.saver.put_writes(config, writes, task_id, task_path)

    async def delete_thread(self, thread_id: str) -> None:
        if self.use_async:
            await self.saver.adelete_thread(thread_id)
        else:
            self.saver.delete_thread(thread_id)

    async def put_chain(
        self, thread_id: str, steps: int, checkpoint_ns: str = "", **metadata: Any
    ) -> builtins.list[dict[str, Any]]:
        """Save ``steps`` checkpoints, each the child of the previous; return their configs."""
        config: dict[str, Any] = {
            "configurable": {"thread_id": thread_id, "checkpoint_ns": checkpoint_ns}
        }
        configs = []
        for step in range(-1, steps - 1):
            checkpoint = empty_checkpoint()
            checkpoint["channel_values"] = {"step": step, "thread": thread_id}
            source = "input" if step == -1 else "loop"
            config = await self.put(
                config, checkpoint, {"source": source, "step": step, "parents": {}, **metadata}
            )
            configs.append(config)
        return configs


@pytest.fixture(params=SAVER_KINDS)
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseCheckpointSaver]:
    instance = make_saver(request.param, request, tmp_path)
    yield instance
    if isinstance(instance, SqliteSaver | PostgresSaver):
        instance.close()


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest, saver: BaseCheckpointSaver) -> SaverApi:
    return SaverApi(saver, use_async=request.param == "async")
