"""Reading ``trace`` chunks in tests: events in order of arrival, a step's own events restored.

A step planned and ended between two chunks travels as one STEP event (its TASKS and its
CHECKPOINT in one, no DONE events: every task finished). ``flatten`` checks that and puts the
step's events back: TASKS, one DONE per task in planned order, then CHECKPOINT, so tests see
every task finish.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nbpregel.constants import TraceEvent

__all__ = ["EVENT_LENGTHS", "Event", "flatten", "tasks_of"]

TASKS, DONE, CHECKPOINT, PAUSE, STEP = (
    TraceEvent.TASKS,
    TraceEvent.DONE,
    TraceEvent.CHECKPOINT,
    TraceEvent.PAUSE,
    TraceEvent.STEP,
)
EVENT_LENGTHS = {TASKS: 4, DONE: 3, CHECKPOINT: 9, PAUSE: 3, STEP: 11}

Event = tuple[Any, ...]


def flatten(chunks: Iterable[list[Event]]) -> list[Event]:
    """The events of single-mode ``trace`` chunks, in order of arrival (shapes checked), each
    STEP event restored as the TASKS, DONE and CHECKPOINT events it stands for."""
    events: list[Event] = []
    for chunk in chunks:
        assert isinstance(chunk, list) and chunk, f"a trace chunk is a non-empty list: {chunk!r}"
        for event in chunk:
            assert len(event) == EVENT_LENGTHS[event[0]], event
            assert (
                event[0] != CHECKPOINT
                or event[2] != "loop"
                or not any(e[0] == TASKS and e[1] == event[1] for e in chunk)
            ), f"step {event[1]} was planned and saved in one chunk, so it is one STEP event"
            if event[0] != STEP:
                events.append(event)
                continue
            _, step, _, started, *saved = event
            tasks = tasks_of(event)
            assert all(task.status in ("ok", "cached") for task in tasks), tasks
            events.append((TASKS, step, tasks, started))
            events.extend((DONE, step, task) for task in tasks)
            events.append((CHECKPOINT, step, *saved))
    return events


def tasks_of(event: Event) -> list[Any]:
    """The tasks of a TASKS or STEP event as a list (a STEP event of one task may carry the task
    itself)."""
    assert event[0] in (TASKS, STEP), event
    tasks = event[2]
    return tasks if isinstance(tasks, list) else [tasks]
