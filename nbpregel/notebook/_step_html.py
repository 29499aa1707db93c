"""One step of a run as table rows (short text) and as escaped HTML, for the view and the export.

The row builders return plain strings, so that the live view (HTML widgets) and the exported
page (JSON, filled in by its script with ``textContent``) show the same thing.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, NamedTuple, TypeVar

from nbpregel.notebook._format import html_table, short_repr
from nbpregel.notebook._records import StateDiff, StepRecord, TaskRecord
from nbpregel.notebook._tables import TaskStatus

if TYPE_CHECKING:
    from nbpregel.notebook.run import Run

__all__ = [
    "STATE_HEADERS",
    "TABLE_ROWS",
    "TASK_HEADERS",
    "WRITE_HEADERS",
    "TableRows",
    "more_note",
    "state_rows",
    "state_table",
    "status_line",
    "task_rows",
    "tasks_table",
    "write_rows",
    "writes_table",
]

TASK_HEADERS: Final = ("node", "kind", "status", "attempts", "ms", "writes", "error")
WRITE_HEADERS: Final = ("node", "channel", "value")
STATE_HEADERS: Final = ("", "key", "value")
TABLE_ROWS: Final = 200
"""The most rows a step's table shows, so that a step of thousands of tasks (a vertex program)
stays quick to show; the rows left out are counted under the table. When rows are left out,
those that matter most come first: failed, interrupted and running tasks, changed keys."""
_MARKS: Final = {"nbp-added": "+", "nbp-changed": "\u25cf", "nbp-removed": "\u2212", "": ""}
_NOTABLE: Final = frozenset({TaskStatus.ERROR, TaskStatus.INTERRUPTED, TaskStatus.RUNNING})
NOT_SAVED: Final = "not saved: the step has not finished (it is running, interrupted or failed)"

_T = TypeVar("_T")


class TableRows(NamedTuple):
    """The rows of one table: their cells, a CSS class per row, and how many were left out."""

    cells: list[list[str]]
    classes: list[str]
    more: int = 0


def _first(items: Sequence[_T], notable: Callable[[_T], bool], limit: int) -> tuple[list[_T], int]:
    """At most ``limit`` of ``items``, the notable ones first when some must be left out (each
    group keeps its order), and how many were left out."""
    if len(items) <= limit:
        return list(items), 0
    chosen = [item for item in items if notable(item)][:limit]
    if len(chosen) < limit:
        rest = (item for item in items if not notable(item))
        chosen.extend(itertools.islice(rest, limit - len(chosen)))
    return chosen, len(items) - len(chosen)


def task_rows(tasks: Sequence[TaskRecord], limit: int = TABLE_ROWS) -> TableRows:
    """The rows of the tasks table (``nbp-error`` marks failures), at most ``limit``."""
    shown, more = _first(tasks, lambda task: task.status in _NOTABLE, limit)
    rows = [
        [
            task.node,
            task.kind.value,
            task.status.value,
            str(task.attempts),
            "" if task.duration_ms is None else f"{task.duration_ms:.2f}",
            str(len(task.writes)),
            task.error or "",
        ]
        for task in shown
    ]
    classes = ["nbp-error" if task.status is TaskStatus.ERROR else "" for task in shown]
    return TableRows(rows, classes, more)


def write_rows(tasks: Sequence[TaskRecord], limit: int = TABLE_ROWS) -> TableRows:
    """The rows of the writes table: the step's first ``limit`` writes, in task order."""
    writes = ((task.node, channel, value) for task in tasks for channel, value in task.writes)
    rows = [
        [node, channel, short_repr(value)]
        for node, channel, value in itertools.islice(writes, limit)
    ]
    more = sum(len(task.writes) for task in tasks) - len(rows)
    return TableRows(rows, [""] * len(rows), more)


def state_rows(record: StepRecord, diff: StateDiff | None, limit: int = TABLE_ROWS) -> TableRows:
    """The state after the step; keys marked ``+`` (added), a dot (updated), a minus (removed).

    At most ``limit`` rows: the marked ones first when some must be left out.
    """
    if diff is None:
        return TableRows([], [])
    keys = [
        ("nbp-added" if key in diff.added else "nbp-changed" if key in diff.changed else "", key)
        for key in record.values
    ]
    keys.extend(("nbp-removed", key) for key in diff.removed)
    shown, more = _first(keys, lambda item: bool(item[0]), limit)
    rows = [
        [
            _MARKS[cls],
            key,
            short_repr(diff.removed[key] if cls == "nbp-removed" else record.values[key]),
        ]
        for cls, key in shown
    ]
    return TableRows(rows, [cls for cls, _ in shown], more)


def more_note(more: int, noun: str) -> str:
    """The line under a table that left ``more`` rows out (``""`` when none was)."""
    return f"\u2026 and {more:,} more {noun}, not shown" if more else ""


def tasks_table(tasks: Sequence[TaskRecord], limit: int = TABLE_ROWS) -> str:
    """The step's tasks as an HTML table (see :data:`TABLE_ROWS`)."""
    return _html(task_rows(tasks, limit), TASK_HEADERS, "no task", "tasks")


def writes_table(tasks: Sequence[TaskRecord], limit: int = TABLE_ROWS) -> str:
    """The step's writes as an HTML table (see :data:`TABLE_ROWS`)."""
    return _html(write_rows(tasks, limit), WRITE_HEADERS, "no write", "writes")


def state_table(record: StepRecord, diff: StateDiff | None, limit: int = TABLE_ROWS) -> str:
    """The state after the step, what changed marked, as an HTML table (see
    :data:`TABLE_ROWS`)."""
    if diff is None:
        return f'<div class="nbp-empty">{html.escape(NOT_SAVED)}</div>'
    return _html(state_rows(record, diff, limit), STATE_HEADERS, "empty state", "keys")


def _html(rows: TableRows, headers: Sequence[str], empty: str, noun: str) -> str:
    table = html_table(headers, rows.cells, row_classes=rows.classes, empty=empty)
    note = more_note(rows.more, noun)
    return f'{table}<div class="nbp-more">{html.escape(note)}</div>' if note else table


def status_line(run: Run, steps: Sequence[int], current: Sequence[TaskRecord]) -> str:
    """One escaped line saying where the run is."""
    from nbpregel.notebook.run import RunStatus

    status, recorder = run.status, run.recorder
    last = steps[-1] if steps else None
    if status is RunStatus.RUNNING or status is RunStatus.NEW:
        if last is None:
            text = "starting"
        else:
            finished = sum(task.status is not TaskStatus.RUNNING for task in current)
            text = f"running: step {last}, {finished}/{len(current)} tasks finished"
    elif status is RunStatus.INTERRUPTED:
        pending = recorder.pending_interrupts()
        text = (
            f"interrupted at step {last}: {len(pending)} question(s) waiting for an answer"
            if pending
            else f"paused at a breakpoint after step {last}, before: "
            + ", ".join(recorder.paused_before)
        )
    elif status is RunStatus.ERROR:
        where = "before its first step" if last is None else f"at step {last}"
        text = f"failed {where}: {run.error!r}"
    elif status is RunStatus.STOPPED:
        text = f"stopped after step {last}, as asked: continue to go on from there"
    else:
        total = sum(recorder.step(step).duration_ms or 0.0 for step in steps)
        text = f"done: {len(steps)} steps, {total:.1f} ms"
    return f'<span class="nbp-status-{status.value}">{html.escape(text)}</span>'
