"""Stream chunk builders: the shapes of ``updates``, ``tasks``, ``debug`` and ``checkpoints``.

Pure functions of a task or a snapshot, so the loop stays about control flow and the shapes are
in one place (they are a compatibility contract with LangGraph's streams).

They run once or more per task when a run is streamed (the notebook records every run through
``debug``), so they are kept cheap: a timestamp reuses the formatted date of the current second,
the ``task`` events a step announces together share one timestamp (as LangGraph's do), and
output keys are looked up in a set (made once per graph), never by scanning a tuple per write.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from nbpregel.constants import INTERRUPT
from nbpregel.pregel._task import Task, TaskStatus

__all__ = [
    "debug_chunk",
    "interrupt_update",
    "now_iso",
    "output_of_writes",
    "task_result_payload",
    "task_start_payload",
    "task_update",
]

_NS_PER_S: Final = 1_000_000_000
_NS_PER_US: Final = 1_000
_MICRO_DIGITS: Final = 6
_UTC_SUFFIX: Final = "+00:00"
_TASK_EVENT: Final = "task"
_SHARED_STAMP_NS: Final = 50_000
"""How long a step's ``task`` events may share the first one's timestamp (50 µs)."""

# (epoch second, "YYYY-MM-DDTHH:MM:SS.") of the latest timestamp; replaced whole, so threads
# that race on it at worst format the same second twice.
_second_prefix: tuple[int, str] = (-1, "")
# (step, time in ns, text) of the latest ``task`` event's timestamp.
_task_stamp: tuple[int, int, str] = (-1, 0, "")

OutputKeys = str | Collection[str]
"""One output channel, or several (a ``frozenset`` is used as is)."""


def now_iso() -> str:
    """The current time in ISO 8601, UTC, to the microsecond.

    The same text ``datetime.now(UTC).isoformat()`` gives (except that the fraction is always
    written), at a third of the cost: the date part is formatted once per second.

    Example:
        >>> stamp = now_iso()
        >>> datetime.fromisoformat(stamp).tzinfo is UTC, stamp[-6:], len(stamp)
        (True, '+00:00', 32)
    """
    return _iso(time.time_ns())


def _iso(ns: int) -> str:
    global _second_prefix
    second, rest = divmod(ns, _NS_PER_S)
    cached = _second_prefix
    if cached[0] != second:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        cached = _second_prefix = (second, prefix)
    return cached[1] + str(rest // _NS_PER_US).zfill(_MICRO_DIGITS) + _UTC_SUFFIX


def output_of_writes(writes: Sequence[tuple[str, Any]], output_keys: OutputKeys) -> Any:
    """What a task's writes look like through the graph's output channels.

    A dict of the written output keys (``None`` when it wrote none), or for a single output
    channel the value written to it. Keys given as a ``frozenset`` (``GraphSpec.stream_keys``)
    are used as they are; others are made into one first.

    Example:
        >>> writes = [("a", 1), ("branch:to:x", None), ("b", 2)]
        >>> output_of_writes(writes, ("a", "b")), output_of_writes(writes, "b")
        ({'a': 1, 'b': 2}, 2)
        >>> output_of_writes(writes, ("c",)) is None
        True
    """
    if isinstance(output_keys, str):
        for channel, value in writes:
            if channel == output_keys:
                return value
        return None
    if not writes:
        return None
    wanted = output_keys if isinstance(output_keys, frozenset) else frozenset(output_keys)
    picked = {channel: value for channel, value in writes if channel in wanted}
    return picked or None


def task_update(task: Task, output_keys: OutputKeys) -> dict[str, Any]:
    """The ``updates`` chunk for a finished task: ``{node: update}``.

    A task that wrote a key more than once (a node returning several ``Command``s) shows one
    dict per write, in order, as LangGraph does.

    Example:
        >>> task = Task.carrier("two", [("log", ["a"]), ("n", 1), ("log", ["b"])])
        >>> task_update(task, ("log", "n"))
        {'two': [{'log': ['a']}, {'n': 1}, {'log': ['b']}]}
    """
    writes = task.writes
    update = output_of_writes(writes, output_keys)
    if (
        type(update) is dict
        and len(writes) > len(update)  # routing writes, or a repeat: count to know
        and sum(1 for channel, _ in writes if channel in update) > len(update)
    ):
        update = [{channel: value} for channel, value in writes if channel in update]
    chunk = {task.name: update}
    if task.status == TaskStatus.CACHED:
        chunk["__metadata__"] = {"cached": True}
    return chunk


def interrupt_update(interrupts: Sequence[Any]) -> dict[str, Any]:
    """The ``updates`` chunk that reports a pause: ``{"__interrupt__": (Interrupt, ...)}``."""
    return {INTERRUPT: tuple(interrupts)}


def task_start_payload(task: Task) -> dict[str, Any]:
    """The ``tasks`` chunk announcing a task."""
    return {"id": task.id, "name": task.name, "input": task.input, "triggers": task.triggers}


def task_result_payload(task: Task, output_keys: OutputKeys) -> dict[str, Any]:
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
        "interrupts": list(task.interrupts) if task.interrupts else [],
        "writes": list(task.writes),
        "attempts": task.attempts,
        "started_at": task.started_at,
        "cached": task.status == TaskStatus.CACHED,
        "duration_ms": task.duration_ms,
    }


def debug_chunk(step: int, kind: str, payload: Any) -> dict[str, Any]:
    """A ``debug`` chunk: ``{step, timestamp, type, payload}``.

    The ``task`` events of one step, announced together, share the first one's timestamp
    (unless 50 µs passed): the time the step's tasks were planned.
    """
    if kind == _TASK_EVENT:
        return {"step": step, "timestamp": _task_timestamp(step), "type": kind, "payload": payload}
    return {"step": step, "timestamp": now_iso(), "type": kind, "payload": payload}


def _task_timestamp(step: int) -> str:
    global _task_stamp
    ns = time.time_ns()
    last = _task_stamp
    if last[0] == step and ns - last[1] < _SHARED_STAMP_NS:
        return last[2]
    text = _iso(ns)
    _task_stamp = (step, ns, text)
    return text
