"""Reserved names and the enumerations shared by the engine and the notebook layer."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Final, Literal

__all__ = [
    "BOOKKEEPING_CHANNELS",
    "BRANCH_PREFIX",
    "CONFIG_KEY_CHECKPOINT_ID",
    "CONFIG_KEY_CHECKPOINT_NS",
    "CONFIG_KEY_THREAD_ID",
    "END",
    "INBOX_PREFIX",
    "INPUT",
    "INTERRUPT",
    "JOIN_PREFIX",
    "NS_END",
    "NS_SEP",
    "NULL_TASK_ID",
    "PREVIOUS",
    "PULL_PATH",
    "PUSH_TRIGGER",
    "RESERVED_CHANNELS",
    "RESUME",
    "RETURN",
    "START",
    "TAG_HIDDEN",
    "TAG_NOSTREAM",
    "TASKS",
    "Durability",
    "StreamMode",
    "TaskKind",
    "TraceEvent",
]

START: Final = sys.intern("__start__")
"""The virtual node a graph's input comes from."""
END: Final = sys.intern("__end__")
"""The virtual node that ends a path through the graph."""
INPUT: Final = sys.intern("__input__")
"""The pseudo-node the input comes from: ``update_state(config, values, as_node=INPUT)`` saves
``values`` as a thread's input, as ``invoke(values, config)`` would before its first step."""

TAG_NOSTREAM: Final = "nostream"
"""Tag a chat model with it (``model.with_config(tags=[TAG_NOSTREAM])``) and its tokens are not
streamed in ``messages`` mode (LangGraph's tag)."""
TAG_HIDDEN: Final = "langsmith:hidden"
"""The tag of runs that tracing hides (``astream_events`` gives it to the input's run)."""

TASKS: Final = sys.intern("__pregel_tasks")
"""The channel that carries ``Send`` packets: each becomes one PUSH task in the next step."""
INTERRUPT: Final = sys.intern("__interrupt__")
"""The key under which interrupts appear in results and streams."""
RESUME: Final = sys.intern("__resume__")
"""The pseudo-channel under which a task's resume values are saved."""
ERROR: Final = sys.intern("__error__")
"""The pseudo-channel under which a task's error is saved as a pending write."""
NO_WRITES: Final = sys.intern("__no_writes__")
"""The pseudo-channel marking a task that finished without writes."""
RETURN: Final = sys.intern("__return__")
"""The pseudo-channel under which a ``@task`` call's return value is saved (never state)."""
PREVIOUS: Final = sys.intern("__previous__")
"""An ``@entrypoint`` graph's channel holding the value saved for the thread's next run."""
NULL_TASK_ID: Final = "00000000-0000-0000-0000-000000000000"
"""The task id a ``Command``'s writes (``update``, ``goto``) are saved under, as pending writes of
the checkpoint a run resumes from: they belong to that checkpoint's state (its snapshot shows
them, and a run starting from it applies them again)."""

BOOKKEEPING_CHANNELS: Final = frozenset({INTERRUPT, RESUME, ERROR, NO_WRITES})
"""Pseudo-channels of pending writes that record what happened to a task; never state."""
RESERVED_CHANNELS: Final = frozenset({START, END, TASKS, RETURN, PREVIOUS, *BOOKKEEPING_CHANNELS})

BRANCH_PREFIX: Final = "branch:to:"
"""A state graph's trigger channel of node X is ``branch:to:X``; its value is the writing node."""
INBOX_PREFIX: Final = "inbox:"
"""A vertex program's vertex X gets its messages in channel ``inbox:X``."""
JOIN_PREFIX: Final = "join:"
"""A join's barrier channel is ``join:<a>+<b>:<target>``."""
PUSH_TRIGGER: Final = "__pregel_push"
"""The trigger a PUSH task (from a ``Send``) reports, and the head of its path."""
PULL_PATH: Final = "__pregel_pull"
"""The head of a PULL task's path."""

NS_SEP: Final = "|"
"""Separates the levels of a checkpoint namespace (parent|child)."""
NS_END: Final = ":"
"""Separates a namespace level's node name from its task id."""

CONFIG_KEY_THREAD_ID: Final = "thread_id"
CONFIG_KEY_CHECKPOINT_NS: Final = "checkpoint_ns"
CONFIG_KEY_CHECKPOINT_ID: Final = "checkpoint_id"

DEFAULT_RECURSION_LIMIT: Final = 10007
"""Supersteps allowed per invocation when the config sets none (the LangGraph 1.x default)."""


class TaskKind(StrEnum):
    """How a task was planned: from a trigger channel (PULL) or from a ``Send`` (PUSH)."""

    PUSH = "PUSH"
    PULL = "PULL"


class StreamMode(StrEnum):
    """What a stream yields; the values are the strings users pass as ``stream_mode``."""

    VALUES = "values"
    UPDATES = "updates"
    CUSTOM = "custom"
    TASKS = "tasks"
    CHECKPOINTS = "checkpoints"
    DEBUG = "debug"
    MESSAGES = "messages"
    TRACE = "trace"
    """nbpregel's own mode, for recorders: the run's events at a fraction of ``debug``'s cost
    (see :class:`TraceEvent`)."""


StreamModeName = Literal[
    "values", "updates", "custom", "tasks", "checkpoints", "debug", "messages", "trace"
]


class TraceEvent(StrEnum):
    """The events of the ``trace`` stream mode.

    A ``trace`` chunk is a list of events, oldest first: the events a run made since its
    previous chunk (one per step, whatever the number of tasks; once the engine has seen a
    graph's nodes finish within 2 ms, the steps of such quick nodes share a chunk for up to
    20 ms, so a fast run yields a handful of chunks). Each event is a
    tuple led by its kind; tasks are the engine's task objects, shared, not copied (read them,
    never change them: see :class:`nbpregel.types.TracedTask`). The shapes:

    - ``(TASKS, step, tasks, at)``: the step's tasks were planned and start (``__start__``,
      which writes the input into the state, included); ``at`` is the epoch time.
    - ``(DONE, step, task)``: a task finished: its ``status`` is ``ok``, ``error``,
      ``interrupted`` or ``cached``, and its result fields are final (``writes`` is a tuple
      now). Tasks a resumed step takes from saved writes finish again, right after being
      planned again.
    - ``(CHECKPOINT, step, source, checkpoint_id, values, updated, version, versions, at)``:
      the state after ``step`` was saved. ``source`` is ``input``, ``loop`` or ``fork``;
      ``values`` the state as ``values`` chunks show it; ``updated`` a tuple of the channels
      the step updated (in no particular order), which all have the new version ``version``;
      ``versions`` every state channel's version in a run's first checkpoint, else ``None``.
    - ``(PAUSE, step, nodes)``: a static breakpoint (``interrupt_before`` / ``_after``) paused
      the run before ``nodes`` (a tuple of names).
    - ``(STEP, step, tasks, at, source, checkpoint_id, values, updated, version, versions,
      saved_at)``: a step planned and saved within one chunk, as one event: its TASKS event's
      fields, then its CHECKPOINT event's. It has no DONE events: every task of it finished
      (``ok`` or ``cached``). Steps of quick nodes mostly travel so: a consumer reads one event
      a step. ``tasks`` is a list, or the task itself for a step of one task (one object less
      for a consumer to keep a step).
    """

    TASKS = "tasks"
    DONE = "done"
    CHECKPOINT = "checkpoint"
    PAUSE = "pause"
    STEP = "step"


class Durability(StrEnum):
    """When checkpoints are written: before the next step, in the background, or at exit."""

    SYNC = "sync"
    ASYNC = "async"
    EXIT = "exit"


DurabilityName = Literal["sync", "async", "exit"]
