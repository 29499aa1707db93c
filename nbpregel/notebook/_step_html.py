"""One step of a run as table rows (short text) and as escaped HTML, for the view and the export.

The row builders return plain strings, so that the live view (HTML widgets) and the exported
page (JSON, filled in by its script with ``textContent``) show the same thing.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from nbpregel.notebook._format import html_table, short_repr
from nbpregel.notebook._records import StateDiff, StepRecord, TaskRecord
from nbpregel.notebook._tables import TaskStatus

if TYPE_CHECKING:
    from nbpregel.notebook.run import Run

__all__ = [
    "STATE_HEADERS",
    "TASK_HEADERS",
    "WRITE_HEADERS",
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
_MARKS: Final = {"nbp-added": "+", "nbp-changed": "\u25cf", "nbp-removed": "\u2212", "": ""}
NOT_SAVED: Final = "not saved: the step has not finished (it is running, interrupted or failed)"


def task_rows(tasks: Sequence[TaskRecord]) -> tuple[list[list[str]], list[str]]:
    """The rows of the tasks table and a CSS class per row (``nbp-error`` for failures)."""
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
        for task in tasks
    ]
    classes = ["nbp-error" if task.status is TaskStatus.ERROR else "" for task in tasks]
    return rows, classes


def write_rows(tasks: Sequence[TaskRecord]) -> list[list[str]]:
    """The rows of the writes table: every write of the step, in task order."""
    return [
        [task.node, channel, short_repr(value)] for task in tasks for channel, value in task.writes
    ]


def state_rows(record: StepRecord, diff: StateDiff | None) -> tuple[list[list[str]], list[str]]:
    """The state after the step; keys marked ``+`` (added), a dot (updated), a minus (removed)."""
    if diff is None:
        return [], []
    rows, classes = [], []
    for key, value in record.values.items():
        cls = "nbp-added" if key in diff.added else "nbp-changed" if key in diff.changed else ""
        rows.append([_MARKS[cls], key, short_repr(value)])
        classes.append(cls)
    for key, value in diff.removed.items():
        rows.append([_MARKS["nbp-removed"], key, short_repr(value)])
        classes.append("nbp-removed")
    return rows, classes


def tasks_table(tasks: Sequence[TaskRecord]) -> str:
    """The step's tasks as an HTML table."""
    rows, classes = task_rows(tasks)
    return html_table(TASK_HEADERS, rows, row_classes=classes, empty="no task")


def writes_table(tasks: Sequence[TaskRecord]) -> str:
    """The step's writes as an HTML table."""
    return html_table(WRITE_HEADERS, write_rows(tasks), empty="no write")


def state_table(record: StepRecord, diff: StateDiff | None) -> str:
    """The state after the step, what changed marked, as an HTML table."""
    if diff is None:
        return f'<div class="nbp-empty">{html.escape(NOT_SAVED)}</div>'
    rows, classes = state_rows(record, diff)
    return html_table(STATE_HEADERS, rows, row_classes=classes, empty="empty state")


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
    else:
        total = sum(recorder.step(step).duration_ms or 0.0 for step in steps)
        text = f"done: {len(steps)} steps, {total:.1f} ms"
    return f'<span class="nbp-status-{status.value}">{html.escape(text)}</span>'
