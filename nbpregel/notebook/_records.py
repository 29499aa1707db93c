"""The records a :class:`~nbpregel.notebook.recorder.Recorder` keeps, and what is derived from them.

One mutable record per step, task and interrupt; each knows its row of the public tables.
Every record carries its namespace ``ns``: ``""`` for the root graph, ``"sub:<task id>"`` for a
subgraph run by task ``<task id>`` of node ``sub``, parts joined with ``|`` when nested deeper.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import BRANCH_PREFIX, START, TaskKind
from nbpregel.notebook._tables import StepStatus, TaskStatus

if TYPE_CHECKING:
    from nbpregel.types import TracedTask

__all__ = [
    "Channels",
    "InterruptRecord",
    "Stamp",
    "StateDiff",
    "StepRecord",
    "TaskRecord",
    "as_tuple",
    "diff_states",
    "fill_checkpoint",
    "seconds",
    "start_writes",
    "step_status",
]


Channels = tuple[str, ...] | AbstractSet[str]
"""Channel names as the stream gave them, in no particular order (sorted when shown)."""
Stamp = float | str | None
"""A time as the stream gave it: ISO 8601 text (event timestamps) or epoch seconds."""
_TRACED_STATUS: Final = {status.value: status for status in TaskStatus}
"""A traced task's ``status`` (the engine's text) as a row's."""


@dataclasses.dataclass(slots=True)
class TaskRecord:
    """One task of one step, as the stream reported it.

    Attributes:
        writes: every ``(channel, value)`` it wrote, routing channels included.
        traced: the engine's task object, for a task of a ``trace`` stream (read-only).
    """

    step: int
    task_id: str
    node: str
    kind: TaskKind
    triggers: tuple[str, ...]
    input: Any
    status: TaskStatus = TaskStatus.RUNNING
    attempts: int = 0
    error: str | None = None
    started_at: Stamp = None
    duration_ms: float | None = None
    writes: Sequence[tuple[str, Any]] = ()
    ns: str = ""
    traced: TracedTask | None = None

    def row(self) -> tuple[Any, ...]:
        """The row of the ``tasks`` table."""
        return (
            self.step,
            self.task_id,
            self.node,
            self.kind.value,
            self.triggers,
            self.input,
            self.status.value,
            self.attempts,
            self.error,
            seconds(self.started_at),
            self.duration_ms,
            len(self.writes),
            self.ns,
        )

    def write_rows(self) -> list[tuple[Any, ...]]:
        """The rows of the ``writes`` table: one per write, ``seq`` its order in the task."""
        return [
            (self.step, self.task_id, self.node, channel, value, seq, self.ns)
            for seq, (channel, value) in enumerate(self.writes)
        ]

    @classmethod
    def planned(cls, task: TracedTask, step: int, ns: str, at: Stamp) -> TaskRecord:
        """The record of a task a ``trace`` stream announced (still running)."""
        kind = task.kind if type(task.kind) is TaskKind else TaskKind(task.kind)
        triggers = task.triggers if type(task.triggers) is tuple else tuple(task.triggers)
        return cls(
            step, task.id, task.name, kind, triggers, task.input, started_at=at, ns=ns, traced=task
        )

    def settle(self, task: TracedTask) -> Sequence[Any]:
        """Take in a finished task of a ``trace`` stream; returns its ``Interrupt`` objects.

        Its ``writes`` and ``interrupts`` lists are kept, not copied (the engine is done with
        them, and records are read-only).
        """
        error = task.error
        if error is None:
            error = task.handled  # failed, and its error handler took over: shown, not hidden
        self.error = None if error is None else repr(error)
        self.status = _TRACED_STATUS.get(task.status, TaskStatus.RUNNING)
        self.attempts = task.attempts
        self.started_at = task.started_at or self.started_at
        self.duration_ms = task.duration_ms
        self.writes = task.writes
        return task.interrupts

    def finish(self, payload: Mapping[str, Any]) -> Sequence[Any]:
        """Take in a ``task_result`` payload; returns the task's ``Interrupt`` objects.

        The payload's ``writes`` and ``interrupts`` lists are kept, not copied (records are
        read-only).
        """
        interrupts = payload.get("interrupts") or ()
        self.error = payload.get("error")
        if self.error is not None:
            self.status = TaskStatus.ERROR
        elif interrupts:
            self.status = TaskStatus.INTERRUPTED
        else:
            self.status = TaskStatus.CACHED if payload.get("cached") else TaskStatus.OK
        self.attempts = int(payload.get("attempts") or 0)
        self.started_at = payload.get("started_at") or self.started_at
        self.duration_ms = payload.get("duration_ms")
        writes = payload.get("writes")
        if writes is None:  # LangGraph's debug stream reports the node's update as ``result``
            result = payload.get("result")
            writes = list(result.items()) if isinstance(result, Mapping) else result or []
        self.writes = writes if type(writes) is list else list(writes)
        return interrupts


@dataclasses.dataclass(slots=True)
class StepRecord:
    """One superstep; after its checkpoint, the state it left.

    Attributes:
        triggered_by: the channels the previous step updated.
        checkpointed: the step finished and its state is known.
        values: the state after the step (empty until checkpointed).
        versions: every channel's version after the step, as a ``debug`` stream gives them
            (ints, or the strings some savers use); ``None`` from a ``trace`` stream, which
            gives ``version`` and ``run_versions`` instead.
        version: the version the channels in ``updated_channels`` got (``trace``).
        run_versions: every state channel's version, in a run's first checkpoint (``trace``).
        next: the nodes planned for the following step.
        error: why the run stopped during this step, when no task says it.
        handed_up: a subgraph step that ended without a checkpoint of its own because a node
            in it routed the parent graph (``Command(graph=Command.PARENT)``).
    """

    step: int
    started_at: Stamp = None
    triggered_by: Channels = ()
    task_ids: list[str] = dataclasses.field(default_factory=list)
    checkpointed: bool = False
    updated_channels: Channels = ()
    finished_at: Stamp = None
    checkpoint_id: str | None = None
    values: dict[str, Any] = dataclasses.field(default_factory=dict)
    versions: Mapping[str, Any] | None = None
    version: Any = None
    run_versions: Mapping[str, Any] | None = None
    next: tuple[str, ...] = ()
    error: str | None = None
    ns: str = ""
    handed_up: bool = False

    @property
    def duration_ms(self) -> float | None:
        """Milliseconds from the step's start to its checkpoint (``None`` until both are known)."""
        start, end = seconds(self.started_at), seconds(self.finished_at)
        if start is None or end is None:
            return None
        return (end - start) * 1000.0

    def row(self, status: StepStatus) -> tuple[Any, ...]:
        """The row of the ``steps`` table."""
        return (
            self.step,
            status.value,
            len(self.task_ids),
            as_tuple(self.triggered_by),
            as_tuple(self.updated_channels),
            seconds(self.started_at),
            seconds(self.finished_at),
            self.duration_ms,
            self.checkpoint_id,
            self.ns,
        )

    def track_versions(self, running: dict[str, Any]) -> Mapping[str, Any]:
        """Every channel's version after the step: its own ``versions``, or (``trace``) the
        versions of the steps before it, in ``running``, brought up to date with this one's."""
        if self.versions is not None:
            return self.versions
        if self.run_versions is not None:
            running.update(self.run_versions)
        values, version = self.values, self.version
        for channel in self.updated_channels:
            if channel in values:
                running[channel] = version
        return running

    def channel_rows(self, versions: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """The rows of the ``channels`` table (none before the step's checkpoint), with the
        channel ``versions`` after it (see :meth:`track_versions`)."""
        if not self.checkpointed:
            return []
        return [
            (self.step, key, _as_int(versions.get(key, 0)), value, self.ns)
            for key, value in self.values.items()
        ]


@dataclasses.dataclass(slots=True)
class InterruptRecord:
    """One ``interrupt(value)`` call, and its answer once given."""

    step: int
    task_id: str
    node: str
    interrupt_id: str
    value: Any
    answer: Any = None
    answered_at: float | None = None
    ns: str = ""

    def row(self) -> tuple[Any, ...]:
        """The row of the ``interrupts`` table."""
        return (
            self.step,
            self.task_id,
            self.node,
            self.interrupt_id,
            self.value,
            self.answer,
            self.answered_at,
            self.ns,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class StateDiff:
    """What a step changed in the state.

    Attributes:
        added: keys that were absent before, with their new value.
        removed: keys that are absent after, with their old value.
        changed: keys whose channel was updated, as ``(before, after)``.

    Example:
        >>> diff = StateDiff(added={"b": 1}, removed={}, changed={"a": (1, 2)})
        >>> sorted(diff.keys), bool(diff), bool(StateDiff({}, {}, {}))
        (['a', 'b'], True, False)
    """

    added: dict[str, Any]
    removed: dict[str, Any]
    changed: dict[str, tuple[Any, Any]]

    @property
    def keys(self) -> frozenset[str]:
        """Every key the step touched."""
        return frozenset(self.added) | frozenset(self.removed) | frozenset(self.changed)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def diff_states(before: StepRecord | None, after: StepRecord) -> StateDiff:
    """The keys ``after`` added, removed and updated relative to ``before`` (``None``: empty).

    A key is updated when its channel's version moved (from a ``trace`` stream: when ``after``
    updated its channel); without versions, when its value is not the same object and does not
    compare equal.
    """
    old: Mapping[str, Any] = before.values if before is not None else {}
    old_versions = (before.versions if before is not None else None) or {}
    new = after.values
    if after.versions is None:  # traced: the channels the step updated are the ones it changed
        updated = frozenset(as_tuple(after.updated_channels))
        changed = {
            key: (old[key], value) for key, value in new.items() if key in old and key in updated
        }
    else:
        changed = {
            key: (old[key], value)
            for key, value in new.items()
            if key in old and _updated(key, old[key], value, old_versions, after.versions)
        }
    return StateDiff(
        added={key: value for key, value in new.items() if key not in old},
        removed={key: value for key, value in old.items() if key not in new},
        changed=changed,
    )


def start_writes(record: StepRecord, given: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """What the ``__start__`` task wrote in ``record``'s step: the input's keys, then routing.

    ``given`` is the input, when known: a reducer channel's saved value is the reduced one.
    """
    updated = as_tuple(record.updated_channels)
    writes = [
        (channel, given[channel] if channel in given else record.values[channel])
        for channel in updated
        if channel in record.values
    ]
    return writes + [(c, START) for c in updated if c.startswith(BRANCH_PREFIX)]


def step_status(step: StepRecord, tasks: Sequence[TaskRecord]) -> StepStatus:
    """A step's status: done once checkpointed; else error, running or interrupted."""
    if step.checkpointed or step.handed_up:
        return StepStatus.DONE
    statuses = {task.status for task in tasks}
    if step.error is not None or TaskStatus.ERROR in statuses:
        return StepStatus.ERROR
    if TaskStatus.RUNNING not in statuses and TaskStatus.INTERRUPTED in statuses:
        return StepStatus.INTERRUPTED
    return StepStatus.RUNNING


def _updated(
    key: str, old: Any, new: Any, old_versions: Mapping[str, Any], new_versions: Mapping[str, Any]
) -> bool:
    if key in old_versions and key in new_versions:
        return old_versions[key] != new_versions[key]
    if old is new:
        return False
    try:
        return not bool(old == new)
    except Exception:  # values whose == is not a bool (arrays, frames): call them changed
        return True


def fill_checkpoint(record: StepRecord, at: Stamp, payload: Mapping[str, Any]) -> None:
    """Take what a ``checkpoint`` event says about the state after a step into ``record``.

    The event's ``values`` and ``channel_versions`` are kept, not copied: the engine makes them
    for the event, and records are read-only.
    """
    values = payload.get("values")
    if type(values) is dict:
        record.values = values
    else:
        record.values = dict(values) if isinstance(values, Mapping) else {"value": values}
    record.versions = payload.get("channel_versions") or {}
    record.updated_channels = tuple(payload.get("updated_channels") or ())
    record.next = tuple(payload.get("next") or ())
    record.finished_at = at
    configurable = (payload.get("config") or {}).get("configurable") or {}
    record.checkpoint_id = configurable.get("checkpoint_id")


def as_tuple(channels: Channels) -> tuple[str, ...]:
    """Channel names as a sorted tuple (streams give them sorted, or in no order).

    Example:
        >>> as_tuple({"b", "a"}), as_tuple(("b", "a"))
        (('a', 'b'), ('a', 'b'))
    """
    return tuple(sorted(channels))


def _as_int(version: Any) -> int:
    """A channel version as an int (savers that use strings put the counter first)."""
    if type(version) is int or isinstance(version, int):
        return version
    head = str(version).split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def seconds(stamp: Stamp) -> float | None:
    """A stream timestamp (ISO 8601 text, or epoch seconds) as epoch seconds.

    Records keep timestamps as the stream gave them; they are parsed only when a row is made.

    Example:
        >>> seconds("1970-01-01T00:01:00+00:00"), seconds(1.5), seconds(None)
        (60.0, 1.5, None)
    """
    if stamp is None or type(stamp) is float:
        return stamp
    if isinstance(stamp, str):
        return datetime.fromisoformat(stamp).timestamp()
    return float(stamp)
