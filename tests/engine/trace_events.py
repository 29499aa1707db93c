"""Reading ``trace`` chunks in tests: events in order of arrival, dropped DONE events restored.

A step whose TASKS and CHECKPOINT events travel in one chunk has no DONE events (the
checkpoint says every task finished): ``flatten`` checks that and puts them back, one per
task in planned order, right before the checkpoint, so tests see every task finish.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nbpregel.constants import TraceEvent

__all__ = ["EVENT_LENGTHS", "Event", "flatten"]

TASKS, DONE, CHECKPOINT, PAUSE = (
    TraceEvent.TASKS,
    TraceEvent.DONE,
    TraceEvent.CHECKPOINT,
    TraceEvent.PAUSE,
)
EVENT_LENGTHS = {TASKS: 4, DONE: 3, CHECKPOINT: 9, PAUSE: 3}

Event = tuple[Any, ...]


def flatten(chunks: Iterable[list[Event]]) -> list[Event]:
    """The events of single-mode ``trace`` chunks, in order of arrival (shapes checked), with
    the DONE events a chunk left out restored."""
    events: list[Event] = []
    for chunk in chunks:
        assert isinstance(chunk, list) and chunk, f"a trace chunk is a non-empty list: {chunk!r}"
        planned: dict[int, tuple[int, list[Any]]] = {}  # step -> (position, its tasks)
        for event in chunk:
            assert len(event) == EVENT_LENGTHS[event[0]], event
            if event[0] == TASKS:
                planned[event[1]] = (len(events), event[2])
            elif event[0] == CHECKPOINT and event[1] in planned:
                at, tasks = planned.pop(event[1])
                assert not [e for e in events[at:] if e[0] == DONE], (
                    f"step {event[1]} ended in the chunk that planned it: no DONE events expected"
                )
                assert all(task.status in ("ok", "cached") for task in tasks), tasks
                events.extend((DONE, event[1], task) for task in tasks)
            events.append(event)
    return events
