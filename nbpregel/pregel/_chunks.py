"""Stream chunk builders: the shapes of ``updates``, ``tasks``, ``debug`` and ``checkpoints``.

Pure functions of a task or a snapshot, so the loop stays about control flow and the shapes are
in one place (they are a compatibility contract with LangGraph's streams).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from nbpregel.constants import INTERRUPT
from nbpregel.pregel._task import Task, TaskStatus

__all__ = [
    "debug_chunk",
    "interrupt_update",
    "now_iso",
    "task_result_payload",
    "task_start_payload",
    "task_update",
]


def now_iso() -> str:
    """The current time in ISO 8601, UTC."""
    return datetime.now(UTC).isoformat()


def output_of_writes(writes: Sequence[tuple[str, Any]], output_keys: str | Sequence[str]) -> Any:
    """What a task's writes look like through the graph's output channels.

    A dict of the written output keys (``None`` when it wrote none), or for a single output
    channel the value written to it.
    """
    if isinstance(output_keys, str):
        for channel, value in writes:
            if channel == output_keys:
                return value
        return None
    picked = {channel: value for channel, value in writes if channel in output_keys}
    return picked or None


def task_update(task: Task, output_keys: str | Sequence[str]) -> dict[str, Any]:
    """The ``updates`` chunk for a finished task: ``{node: update}``."""
    chunk = {task.name: output_of_writes(task.writes, output_keys)}
    if task.status == TaskStatus.CACHED:
        chunk["__metadata__"] = {"cached": True}
    return chunk


def interrupt_update(interrupts: Sequence[Any]) -> dict[str, Any]:
    """The ``updates`` chunk that reports a pause: ``{"__interrupt__": (Interrupt, ...)}``."""
    return {INTERRUPT: tuple(interrupts)}


def task_start_payload(task: Task) -> dict[str, Any]:
    """The ``tasks`` chunk announcing a task."""
    return {"id": task.id, "name": task.name, "input": task.input, "triggers": task.triggers}


def task_result_payload(task: Task, output_keys: str | Sequence[str]) -> dict[str, Any]:
    """The ``tasks`` chunk reporting a finished task.

    Beyond LangGraph's keys it carries ``writes`` (every ``(channel, value)`` the task wrote,
    routing included), ``attempts``, ``cached``, ``started_at`` and ``duration_ms``: the notebook
    layer builds its tables and highlights edges from them.
    """
    result = output_of_writes(task.writes, output_keys)
    return {
        "id": task.id,
        "name": task.name,
        "error": None if task.error is None else repr(task.error),
        "result": result if result is not None else {},
        "interrupts": list(task.interrupts),
        "writes": list(task.writes),
        "attempts": task.attempts,
        "started_at": task.started_at,
        "cached": task.status == TaskStatus.CACHED,
        "duration_ms": task.duration_ms,
    }


def debug_chunk(step: int, kind: str, payload: Any) -> dict[str, Any]:
    """A ``debug`` chunk: ``{step, timestamp, type, payload}``."""
    return {"step": step, "timestamp": now_iso(), "type": kind, "payload": payload}
