"""``Recorder``: the engine's ``debug`` and ``updates`` stream, kept as rows of a few tables.

Feed it every chunk of ``graph.stream(..., stream_mode=["debug", "updates"])``. Recording an
event is a few dict operations; a table's DataFrame is built when read, and cached until the
next event. How events become rows:

- a ``checkpoint`` event closes a step (status ``done``) and keeps the state after it; the
  input's checkpoint (source ``input``) closes none: it is the state step 0 starts from;
- ``__start__``, which writes the input into the state, emits no task events: the recorder adds
  its task, and the writes the next checkpoint shows, itself;
- a resumed step announces its tasks again: an interrupted task's row is replaced by the
  re-run, a finished task's replay is ignored;
- ``{"__interrupt__": ()}`` in ``updates`` is a static breakpoint (``interrupt_before`` /
  ``interrupt_after``): :attr:`Recorder.paused_before` names the nodes that would run next.

Subgraph chunks (``subgraphs=True``, a non-empty namespace) are not recorded yet.

The tables (columns in this order; ``cat`` is ``category``, times are ``datetime64[ns, UTC]``,
values stay Python objects in ``object`` columns):

==============  ==========================================================================
``steps``       step int64, status cat (done/interrupted/error/running), n_tasks int64,
                triggered_by object (tuple), updated_channels object (tuple), started_at,
                finished_at, duration_ms float64, checkpoint_id object
``tasks``       step int64, task_id object, node cat, kind cat (PULL/PUSH), triggers object,
                input object, status cat (ok/error/interrupted/cached/running), attempts
                int64, error object (repr or None), started_at, duration_ms float64,
                n_writes int64
``writes``      step int64, task_id object, node cat, channel cat, value object, seq int64
``channels``    step int64, channel cat, version int64, value object
``interrupts``  step int64, task_id object, node cat, interrupt_id object, value object,
                answer object, answered_at
==============  ==========================================================================
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import INTERRUPT
from nbpregel.notebook._ingest import RecordStore
from nbpregel.notebook._records import (
    InterruptRecord,
    StateDiff,
    StepRecord,
    TaskRecord,
    diff_states,
    step_status,
)
from nbpregel.notebook._tables import (
    CHANNELS,
    INTERRUPTS,
    STEPS,
    TASKS,
    WRITES,
    Schema,
    StepStatus,
    TaskStatus,
    build_frame,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["InterruptRecord", "Recorder", "StateDiff", "StepRecord", "TaskRecord"]

_FIRST_STEP: Final = -1  # the step of a thread's first checkpoint, its input's


class Recorder(RecordStore):
    """Rows of a run, from its stream; tables as DataFrames on demand.

    Example:
        >>> from typing import TypedDict
        >>> from nbpregel import END, START, StateGraph
        >>> class State(TypedDict):
        ...     text: str
        >>> builder = StateGraph(State)
        >>> _ = builder.add_node("shout", lambda state: {"text": state["text"].upper()})
        >>> _ = builder.add_edge(START, "shout").add_edge("shout", END)
        >>> recorder = Recorder()
        >>> for chunk in builder.compile().stream({"text": "hi"}, stream_mode=["debug", "updates"]):
        ...     recorder.record(chunk)
        >>> recorder.steps[["step", "status", "n_tasks"]].values.tolist()
        [[0, 'done', 1], [1, 'done', 1]]
        >>> recorder.state(1), recorder.diff(1).changed
        ({'text': 'HI'}, {'text': ('hi', 'HI')})
    """

    # -- recording --------------------------------------------------------------------------

    def record(self, chunk: Sequence[Any]) -> None:
        """Record one chunk of a multi-mode stream: ``(mode, payload)`` or ``(ns, mode, payload)``.

        Raises:
            ValueError: ``chunk`` is not such a tuple (stream with ``["debug", "updates"]``).
        """
        if type(chunk) is not tuple or len(chunk) not in (2, 3):
            raise ValueError(
                f"cannot record {type(chunk).__name__} chunk {chunk!r:.80}: expected (mode, "
                f"payload) tuples; stream with stream_mode=['debug', 'updates']"
            )
        if len(chunk) == 3:
            if chunk[0]:
                return
            chunk = chunk[1:]
        mode, payload = chunk
        if mode == "debug":
            with self._lock:
                self._on_debug(payload)
                self._changed()
        elif mode == "updates" and isinstance(payload, dict) and INTERRUPT in payload:
            with self._lock:
                self._on_interrupt_update(payload[INTERRUPT])
                self._changed()

    def record_input(self, value: Any) -> None:
        """Note the input of the next run, so that the ``__start__`` task shows what it wrote."""
        with self._lock:
            self._input = value

    def record_answers(self, answers: Mapping[str, Any], at: float | None = None) -> None:
        """Note the answers given to interrupts, by interrupt id.

        Raises:
            KeyError: an id that no recorded interrupt has (nothing is recorded then).
        """
        with self._lock:
            unknown = [key for key in answers if key not in self._interrupts]
            if unknown:
                raise KeyError(
                    f"no recorded interrupt has the ids {unknown} "
                    f"(known: {sorted(self._interrupts)})"
                )
            when = time.time() if at is None else at
            for interrupt_id, answer in answers.items():
                self._interrupts[interrupt_id].answer = answer
                self._interrupts[interrupt_id].answered_at = when
            self._changed()

    def record_failure(self, error: BaseException) -> None:
        """Note that the run stopped with ``error``: its last open step, and the tasks of it
        that never reported a result, fail with it."""
        with self._lock:
            open_steps = [s for s in self._steps.values() if not s.checkpointed]
            if not open_steps:
                return
            last = open_steps[-1]
            last.error = repr(error)
            for task in self.tasks_of(last.step):
                if task.status is TaskStatus.RUNNING:
                    task.status = TaskStatus.ERROR
                    task.error = f"did not finish: the run stopped with {error!r}"
            self._changed()

    # -- the tables -------------------------------------------------------------------------

    @property
    def steps(self) -> pd.DataFrame:
        """One row per superstep (columns: see the module doc)."""
        return self._frame(
            "steps",
            STEPS,
            lambda: [s.row(step_status(s, self.tasks_of(s.step))) for s in self._ordered()],
        )

    @property
    def tasks(self) -> pd.DataFrame:
        """One row per task (columns: see the module doc)."""
        return self._frame("tasks", TASKS, lambda: [t.row() for t in self._tasks.values()])

    @property
    def writes(self) -> pd.DataFrame:
        """One row per write, routing writes included."""
        return self._frame(
            "writes", WRITES, lambda: [r for t in self._tasks.values() for r in t.write_rows()]
        )

    @property
    def channels(self) -> pd.DataFrame:
        """The state after each step, one row per key."""
        return self._frame(
            "channels", CHANNELS, lambda: [r for s in self._ordered() for r in s.channel_rows()]
        )

    @property
    def interrupts(self) -> pd.DataFrame:
        """One row per interrupt, with the answer once given."""
        return self._frame(
            "interrupts", INTERRUPTS, lambda: [i.row() for i in self._interrupts.values()]
        )

    def state(self, step: int | None = None) -> dict[str, Any]:
        """The state after ``step`` (the latest finished step if ``None``), as a dict.

        Raises:
            KeyError: the step has no saved state (not recorded, still running, interrupted
                or failed); the message lists the steps that have one.
        """
        with self._lock:
            return dict(self._finished(step).values)

    def diff(self, step: int) -> StateDiff:
        """What ``step`` changed: keys added, removed and changed since the state before it.

        A key counts as changed when its channel was updated (its version moved), even if the
        new value equals the old one.

        Raises:
            KeyError: the step has no saved state.
        """
        with self._lock:
            return diff_states(self._state_before(step), self._finished(step))

    # -- what a view needs ------------------------------------------------------------------

    def step_numbers(self) -> list[int]:
        """The recorded steps, in order."""
        with self._lock:
            return sorted(self._steps)

    def step(self, step: int) -> StepRecord:
        """The record of ``step`` (treat it as read-only); ``KeyError`` if not recorded."""
        with self._lock:
            try:
                return self._steps[step]
            except KeyError:
                known = sorted(self._steps)
                raise KeyError(f"step {step} was not recorded (steps: {known})") from None

    def status_of(self, step: int) -> StepStatus:
        """The status of a recorded step."""
        with self._lock:
            return step_status(self.step(step), self.tasks_of(step))

    def pending_interrupts(self) -> list[InterruptRecord]:
        """The interrupts of interrupted tasks that have no answer yet."""
        with self._lock:
            return [
                record
                for record in self._interrupts.values()
                if record.answered_at is None
                and self._tasks[(record.step, record.task_id)].status is TaskStatus.INTERRUPTED
            ]

    def _finished(self, step: int | None) -> StepRecord:
        record = self._steps.get(step) if step is not None else None
        if record is not None and record.checkpointed:
            return record
        done = [s for s in sorted(self._steps) if self._steps[s].checkpointed]
        if step is None and done:
            return self._steps[done[-1]]
        raise KeyError(f"no state was saved after step {step} (steps with a state: {done})")

    def _state_before(self, step: int) -> StepRecord | None:
        """The latest saved state before ``step``: a finished step's, or an input's."""
        for earlier in range(step - 1, _FIRST_STEP - 1, -1):
            record = self._steps.get(earlier)
            if record is not None and record.checkpointed:
                return record
            if earlier in self._inputs:
                return self._inputs[earlier]
        return None

    def _ordered(self) -> list[StepRecord]:
        return [self._steps[step] for step in sorted(self._steps)]

    def _changed(self) -> None:
        self.events += 1
        if self._frames:
            self._frames.clear()

    def _frame(self, name: str, schema: Schema, rows: Any) -> pd.DataFrame:
        with self._lock:
            frame = self._frames.get(name)
            if frame is None:
                frame = self._frames[name] = build_frame(schema, rows())
            return frame.copy(deep=False)
