"""``Recorder``: the engine's ``debug`` stream, kept as rows of a few tables.

Feed it every chunk of ``graph.stream(..., stream_mode=["debug"], subgraphs=True)`` (``updates``
chunks are welcome too: a ``{"__interrupt__": ()}`` one marks a static breakpoint). Recording a
chunk only queues it; chunks become records when something is read, and a table's DataFrame is
built when read, and cached until the next change. How events become rows:

- a ``checkpoint`` event closes a step (status ``done``) and keeps the state after it; the
  input's checkpoint (source ``input``) closes none: it is the state step 0 starts from;
- ``__start__``, which writes the input into the state, emits no task events: the recorder adds
  its task, and the writes the next checkpoint shows, itself;
- a resumed step announces its tasks again: an interrupted task's row is replaced by the
  re-run, a finished task's replay is ignored;
- a stream that ends (:meth:`Recorder.record_end`) with no interrupt pending, on a checkpoint
  that still has nodes to run, stopped at a static breakpoint (``interrupt_before`` /
  ``interrupt_after``): :attr:`Recorder.paused_before` names those nodes.

Chunks of subgraphs (streamed with ``subgraphs=True``) are recorded in their namespace, the
``ns`` column: ``""`` for the root graph, ``"sub:<task id>"`` for the run of subgraph node
``sub`` by that task, parts joined with ``|`` when nested deeper. Each namespace numbers its
own steps, as the engine does; an interrupt raised in a subgraph is recorded once, in the
namespace of the node that raised it.

The tables (columns in this order; ``cat`` is ``category``, times are ``datetime64[ns, UTC]``,
values stay Python objects in ``object`` columns):

==============  ==========================================================================
``steps``       step int64, status cat (done/interrupted/error/running), n_tasks int64,
                triggered_by object (tuple), updated_channels object (tuple), started_at,
                finished_at, duration_ms float64, checkpoint_id object, ns cat
``tasks``       step int64, task_id object, node cat, kind cat (PULL/PUSH), triggers object,
                input object, status cat (ok/error/interrupted/cached/running), attempts
                int64, error object (repr or None), started_at, duration_ms float64,
                n_writes int64, ns cat
``writes``      step int64, task_id object, node cat, channel cat, value object, seq int64,
                ns cat
``channels``    step int64, channel cat, version int64, value object, ns cat
``interrupts``  step int64, task_id object, node cat, interrupt_id object, value object,
                answer object, answered_at, ns cat
==============  ==========================================================================
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import StreamMode
from nbpregel.notebook._ingest import ROOT, RecordStore, Space, is_pause_update
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
    build_frame,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ROOT", "InterruptRecord", "Recorder", "StateDiff", "StepRecord", "TaskRecord"]

_FIRST_STEP: Final = -1  # the step of a thread's first checkpoint, its input's
_DEBUG: Final = StreamMode.DEBUG.value
_TRACE: Final = StreamMode.TRACE.value
_UPDATES: Final = StreamMode.UPDATES.value
_VALUES: Final = StreamMode.VALUES.value


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
        >>> for chunk in builder.compile().stream({"text": "hi"}, stream_mode=["debug"]):
        ...     recorder.record(chunk)
        >>> recorder.steps[["step", "status", "n_tasks"]].values.tolist()
        [[0, 'done', 1], [1, 'done', 1]]
        >>> recorder.state(1), recorder.diff(1).changed
        ({'text': 'HI'}, {'text': ('hi', 'HI')})
    """

    # -- recording --------------------------------------------------------------------------

    @staticmethod
    def stream_modes(graph: object) -> tuple[str, ...]:
        """The stream modes to record ``graph`` from (stream with ``subgraphs=True``).

        ``trace`` for nbpregel's graphs (the engine's own events: recording costs the run
        little), ``debug`` and ``values`` for other LangGraph-compatible graphs (LangGraph's
        ``debug`` stream has no checkpoint events without a checkpointer: a step's state then
        comes from its ``values`` chunk).

        Example:
            >>> Recorder.stream_modes(object())
            ('debug', 'values')
        """
        from nbpregel.pregel.main import Pregel

        return (_TRACE,) if isinstance(graph, Pregel) else (_DEBUG, _VALUES)

    def record(self, chunk: Sequence[Any]) -> None:
        """Record one chunk of a multi-mode stream: ``(mode, payload)`` or ``(ns, mode, payload)``.

        Only queues it (cheap, and safe from any thread); other modes than ``trace``,
        ``debug``, ``values`` and ``updates`` are ignored.

        Raises:
            ValueError: ``chunk`` is not such a tuple (stream with ``stream_mode=["debug"]``).
        """
        if type(chunk) is not tuple or not 2 <= len(chunk) <= 3:
            raise ValueError(
                f"cannot record {type(chunk).__name__} chunk {chunk!r:.80}: expected (mode, "
                f"payload) or (namespace, mode, payload) tuples; stream with "
                f"stream_mode=['debug'] (a list, even of one mode)"
            )
        mode = chunk[-2]
        if (
            mode != _TRACE
            and mode != _DEBUG
            and mode != _VALUES
            and (mode != _UPDATES or not is_pause_update(chunk[-1]))
        ):
            return
        self._queue.append(chunk)
        self._taken += 1

    def record_input(self, value: Any) -> None:
        """Note the input of the next run, so that the ``__start__`` task shows what it wrote."""
        with self._lock:
            self._apply_queue()
            self._spaces[ROOT].input = value

    def record_end(self) -> None:
        """Note that the stream ended without an error (it finished, or paused).

        From a ``debug`` stream, a run that ended with no interrupt pending, on a checkpoint
        with nodes still to run, stopped at a static breakpoint: :attr:`paused_before` names
        those nodes. (A ``trace`` stream says so itself, with a ``pause`` event.)
        """
        with self._lock:
            self._apply_queue()
            if not self._root_traced and not self._pending():
                self._at_breakpoint = True
            self._edits += 1

    def record_answers(self, answers: Mapping[str, Any], at: float | None = None) -> None:
        """Note the answers given to interrupts, by interrupt id.

        Raises:
            KeyError: an id that no recorded interrupt has (nothing is recorded then).
        """
        with self._lock:
            self._apply_queue()
            self._settle_all()
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
            self._edits += 1

    def record_failure(self, error: BaseException) -> None:
        """Note that the run stopped with ``error``: its last open step, and the tasks of it
        that never reported a result, fail with it."""
        with self._lock:
            self._apply_queue()
            self._fail_open_steps(error)
            self._edits += 1

    # -- the tables -------------------------------------------------------------------------

    @property
    def steps(self) -> pd.DataFrame:
        """One row per superstep, of every namespace (columns: see the module doc)."""
        return self._frame("steps", STEPS, self._step_rows)

    @property
    def tasks(self) -> pd.DataFrame:
        """One row per task (columns: see the module doc)."""
        return self._frame("tasks", TASKS, lambda: [t.row() for t in self._each_task()])

    @property
    def writes(self) -> pd.DataFrame:
        """One row per write, routing writes included."""
        return self._frame(
            "writes",
            WRITES,
            lambda: [r for t in self._each_task() for r in t.write_rows()],
        )

    @property
    def channels(self) -> pd.DataFrame:
        """The state after each step, one row per key."""
        return self._frame("channels", CHANNELS, self._channel_rows)

    @property
    def interrupts(self) -> pd.DataFrame:
        """One row per interrupt, with the answer once given."""
        return self._frame(
            "interrupts", INTERRUPTS, lambda: [i.row() for i in self._interrupts.values()]
        )

    def state(self, step: int | None = None, ns: str = ROOT) -> dict[str, Any]:
        """The state after ``step`` (the latest finished step if ``None``), as a dict.

        Args:
            step: the step; ``None`` for the latest one with a saved state.
            ns: the namespace (see the module doc); the root graph's by default.

        Raises:
            KeyError: the step has no saved state (not recorded, still running, interrupted
                or failed); the message lists the steps that have one.
        """
        with self._lock:
            return dict(self._finished(step, self._known(ns)).values)

    def diff(self, step: int, ns: str = ROOT) -> StateDiff:
        """What ``step`` changed: keys added, removed and changed since the state before it.

        A key counts as changed when its channel was updated (its version moved), even if the
        new value equals the old one.

        Raises:
            KeyError: the step has no saved state.
        """
        with self._lock:
            space = self._known(ns)
            return diff_states(self._state_before(space, step), self._finished(step, space))

    # -- what a view needs ------------------------------------------------------------------

    @property
    def paused_before(self) -> tuple[str, ...]:
        """The nodes a static breakpoint stopped the run before (empty unless paused at one)."""
        with self._lock:
            self._apply_queue()
            return self._paused_before()

    @property
    def last_checkpoint_id(self) -> str | None:
        """The id of the root graph's latest checkpoint (the one a resume continues from)."""
        with self._lock:
            self._apply_queue()
            return self._last_checkpoint_id

    def namespaces(self) -> list[str]:
        """The recorded namespaces: the root's ``""`` first, then subgraph runs as they began."""
        with self._lock:
            self._apply_queue()
            return list(self._spaces)

    def step_numbers(self, ns: str = ROOT) -> list[int]:
        """The recorded steps of namespace ``ns`` (the root's by default), in order."""
        with self._lock:
            self._apply_queue()
            space = self._spaces.get(ns)
            return space.step_numbers() if space is not None else []

    def step(self, step: int, ns: str = ROOT) -> StepRecord:
        """The record of ``step`` (treat it as read-only); ``KeyError`` if not recorded."""
        with self._lock:
            space = self._known(ns)
            record = self._settle(space, step)
            if record is None:
                known = space.step_numbers()
                where = f" of namespace {ns!r}" if ns else ""
                raise KeyError(f"step {step}{where} was not recorded (steps: {known})")
            return record

    def tasks_of(self, step: int, ns: str = ROOT) -> list[TaskRecord]:
        """The task records of ``step``, in the order they were planned (none if unknown)."""
        with self._lock:
            self._apply_queue()
            space = self._spaces.get(ns)
            if space is None:
                return []
            self._settle(space, step)
            return space.tasks_of(step)

    def task(self, task_id: str) -> TaskRecord | None:
        """The record of the task with id ``task_id``, in any namespace (``None`` if unknown)."""
        with self._lock:
            self._apply_queue()
            return self._find_task(task_id)

    def status_of(self, step: int, ns: str = ROOT) -> StepStatus:
        """The status of a recorded step."""
        with self._lock:
            return step_status(self.step(step, ns), self._spaces[ns].tasks_of(step))

    def pending_interrupts(self) -> list[InterruptRecord]:
        """The interrupts of interrupted tasks that have no answer yet."""
        with self._lock:
            self._apply_queue()
            return self._pending()

    # -- helpers ----------------------------------------------------------------------------

    def _known(self, ns: str) -> Space:
        self._apply_queue()
        space = self._spaces.get(ns)
        if space is None:
            raise KeyError(f"namespace {ns!r} was not recorded (namespaces: {list(self._spaces)})")
        return space

    def _each(self) -> list[Space]:
        return list(self._spaces.values())

    def _each_task(self) -> list[TaskRecord]:
        """Every task record: by namespace, then by step, in the order each step planned them."""
        return [t for s in self._each() for step in s.ordered() for t in s.tasks_of(step.step)]

    def _step_rows(self) -> list[tuple[Any, ...]]:
        return [
            record.row(step_status(record, space.tasks_of(record.step)))
            for space in self._each()
            for record in space.ordered()
        ]

    def _finished(self, step: int | None, space: Space) -> StepRecord:
        record = self._latest_saved(space) if step is None else self._settle(space, step)
        if record is not None and record.checkpointed:
            return record
        self._settle_space(space)
        done = [s.step for s in space.ordered() if s.checkpointed]
        raise KeyError(f"no state was saved after step {step} (steps with a state: {done})")

    def _state_before(self, space: Space, step: int) -> StepRecord | None:
        """The latest saved state before ``step``: a finished step's, or an input's."""
        for earlier in range(step - 1, _FIRST_STEP - 1, -1):
            record = self._settle(space, earlier)
            if record is not None and record.checkpointed:
                return record
            if earlier in space.inputs:
                return space.inputs[earlier]
        return None

    def _channel_rows(self) -> list[tuple[Any, ...]]:
        """The ``channels`` rows: the state after each step, with each channel's version."""
        rows = []
        for space in self._each():
            running: dict[str, Any] = {}  # traced versions, added up step by step
            records = sorted([*space.steps.values(), *space.inputs.values()], key=_by_step)
            for record in records:
                versions = record.track_versions(running) if record.checkpointed else {}
                if space.steps.get(record.step) is record:
                    rows += record.channel_rows(versions)
        return rows

    def _frame(
        self, name: str, schema: Schema, rows: Callable[[], list[tuple[Any, ...]]]
    ) -> pd.DataFrame:
        with self._lock:
            # Read the count first: chunks queued meanwhile make the next read rebuild.
            at = self.events
            self._apply_queue()
            self._settle_all()
            if self._frames_at != at:
                self._frames.clear()
                self._frames_at = at
            frame = self._frames.get(name)
            if frame is None:
                frame = self._frames[name] = build_frame(schema, rows())
            return frame.copy(deep=False)


def _by_step(record: StepRecord) -> int:
    return record.step
