"""``vertex_tables(run)``: a recorded run of a vertex program, read as Pregel's own terms.

The generic tables see a vertex program as channels: a message is a write to ``inbox:<v>``, a
vertex that does not vote to halt writes ``awake:<v>``, an aggregator's contributions are writes
to ``aggregate:<name>``. :class:`VertexTables` reads the same recording as messages, aggregator
results, vertex values and active vertices, superstep by superstep.

``step`` is the run's step, as in ``run.steps``; for a run started on a fresh thread it is the
superstep number the vertices read (``vertex.superstep``). Only the root graph's steps are read.
Vertex values, messages and aggregator results stay Python objects (``object`` dtype), as in the
recorder's tables. The frames (dtypes are the same for an empty table):

================  ==========================================================================
``messages``      one row per message sent, in the order of ``run.writes``: ``step`` int64
                  (the superstep it was sent in), ``sender`` category, ``receiver`` category
                  (categories: the program's vertices, in its order), ``value`` object (as
                  sent, before any combiner), ``delivered_in`` Int64 (``step + 1`` once the
                  receiver ran in that step, ``<NA>`` while it has not: a run still going,
                  paused, stopped or failed)
``aggregates``    index ``step`` (int64, every recorded step), one ``object`` column per
                  aggregator (in the program's order): the step's contributions folded with
                  the aggregator's own function, in the order the engine folds them; what the
                  vertices read next superstep. ``None`` where no vertex contributed
``values``        index ``step`` (int64, every step with a saved state), one ``object``
                  column per vertex (in the program's order): its value after that step
                  (``None`` for a vertex without one)
``active``        one row per recorded step: ``step`` int64, ``ran`` object (tuple of the
                  vertices that ran, in the program's order), ``awake`` object (tuple of
                  those of them that did not vote to halt), ``halted_all`` bool (no vertex
                  stayed awake: the run goes on only if messages are in flight)
================  ==========================================================================

Numbers in an ``object`` column are Python numbers: ``frame.astype(float)`` makes a numeric
frame to plot or to show (pandas shows a tiny float of an ``object`` column rounded to ``0.0``).

Each frame is built when read and cached until the recorder records something new (its
``events`` count, read before building, as the recorder's own tables do), so a run still going
is never served a stale table.

Example:
    >>> from nbpregel.notebook.run import Run
    >>> from nbpregel.vertex import VertexProgram
    >>> def hops(vertex, messages):
    ...     best = min(messages, default=vertex.value)
    ...     if best < vertex.value or vertex.superstep == 0:
    ...         vertex.value = best
    ...         vertex.send_to_neighbors(best + 1)
    ...     vertex.vote_to_halt()
    >>> background = Run(VertexProgram(hops, [("a", "b"), ("b", "c")], values=9).compile())
    >>> background.start({"a": 0})
    >>> background.wait()
    <RunStatus.DONE: 'done'>
    >>> tables = vertex_tables(background)
    >>> tables.messages.values.tolist()
    [[0, 'a', 'b', 1, 1], [0, 'b', 'c', 10, 1], [1, 'b', 'c', 2, 2]]
    >>> tables.values.loc[2].to_dict()
    {'a': 0, 'b': 1, 'c': 2}
    >>> tables.active.ran.tolist()
    [('a', 'b', 'c'), ('b', 'c'), ('c',)]
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import INBOX_PREFIX
from nbpregel.notebook._tables import Column, Schema, build_frame
from nbpregel.notebook.recorder import Recorder, TaskRecord
from nbpregel.notebook.run import Run
from nbpregel.vertex._graph import AGGREGATE_PREFIX, AWAKE_PREFIX, VertexGraph

if TYPE_CHECKING:
    import pandas as pd

    from nbpregel.vertex._program import ProgramData

__all__ = ["VertexTables", "vertex_tables"]

STEP: Final = "step"
"""The name of the step column, and of the ``aggregates`` and ``values`` index."""
_ACTIVE: Final[Schema] = (
    Column(STEP, "int64"),
    Column("ran", "object"),
    Column("awake", "object"),
    Column("halted_all", "bool"),
)


def _messages_schema(vertices: tuple[str, ...]) -> Schema:
    return (
        Column(STEP, "int64"),
        Column("sender", "category", vertices),
        Column("receiver", "category", vertices),
        Column("value", "object"),
        Column("delivered_in", "Int64"),
    )


class VertexTables:
    """The recording of a vertex program's run, as messages, aggregates, values and activity.

    Make one with :func:`vertex_tables`; the tables follow the recording as it grows (see the
    module doc for their columns and dtypes).

    Attributes:
        recorder: the run's recording.
        program: the compiled program's data (its vertices, combiner and aggregators).
        vertices: the vertex names, in the program's order.
        aggregators: the aggregator names, in the program's order.
    """

    def __init__(self, recorder: Recorder, program: ProgramData) -> None:
        self.recorder = recorder
        self.program = program
        self.vertices: tuple[str, ...] = tuple(program.out)
        self.aggregators: tuple[str, ...] = tuple(program.aggregators)
        self._lock = threading.Lock()
        self._frames: dict[str, pd.DataFrame] = {}
        self._frames_at = -1

    def __repr__(self) -> str:
        return (
            f"VertexTables({self.program.name!r}: {len(self.vertices)} vertices, "
            f"aggregators {list(self.aggregators)}, {len(self.recorder.step_numbers())} steps)"
        )

    @property
    def messages(self) -> pd.DataFrame:
        """One row per message sent (``step``, ``sender``, ``receiver``, ``value``,
        ``delivered_in``)."""
        return self._frame("messages", self._build_messages)

    @property
    def aggregates(self) -> pd.DataFrame:
        """Each aggregator's result per step (index ``step``, a column per aggregator)."""
        return self._frame("aggregates", self._build_aggregates)

    @property
    def values(self) -> pd.DataFrame:
        """Each vertex's value after each step (index ``step``, a column per vertex)."""
        return self._frame("values", self._build_values)

    @property
    def active(self) -> pd.DataFrame:
        """Per step, the vertices that ran and those that stayed awake (``step``, ``ran``,
        ``awake``, ``halted_all``)."""
        return self._frame("active", self._build_active)

    # -- building ---------------------------------------------------------------------------

    def _frame(self, name: str, build: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        with self._lock:
            # Read the count first: what is recorded meanwhile makes the next read rebuild.
            at = self.recorder.events
            if at != self._frames_at:
                self._frames.clear()
                self._frames_at = at
            frame = self._frames.get(name)
            if frame is None:
                frame = self._frames[name] = build()
            return frame.copy(deep=False)

    def _tasks(self) -> dict[int, list[TaskRecord]]:
        """The vertices' task records of every recorded root step (in the order planned)."""
        recorder, vertices = self.recorder, self.program.out
        return {
            step: [task for task in recorder.tasks_of(step) if task.node in vertices]
            for step in recorder.step_numbers()
        }

    def _build_messages(self) -> pd.DataFrame:
        tasks = self._tasks()
        ran = {step: {task.node for task in records} for step, records in tasks.items()}
        rows = []
        for step, records in tasks.items():
            receivers = ran.get(step + 1, set())
            for task in records:
                for channel, value in task.writes:
                    if channel.startswith(INBOX_PREFIX):
                        receiver = channel[len(INBOX_PREFIX) :]
                        delivered = step + 1 if receiver in receivers else None
                        rows.append((step, task.node, receiver, value, delivered))
        return build_frame(_messages_schema(self.vertices), rows)

    def _build_aggregates(self) -> pd.DataFrame:
        channels = {AGGREGATE_PREFIX + name: name for name in self.aggregators}
        folds = self.program.aggregators
        steps, rows = [], []
        for step, records in self._tasks().items():
            contributions: dict[str, list[Any]] = {name: [] for name in self.aggregators}
            # The engine folds a step's writes in its tasks' order: vertices by name.
            for task in sorted(records, key=lambda record: record.node):
                for channel, value in task.writes:
                    if channel in channels:
                        contributions[channels[channel]].append(value)
            steps.append(step)
            rows.append(
                [
                    functools.reduce(folds[name], values) if values else None
                    for name, values in contributions.items()
                ]
            )
        return _wide(steps, self.aggregators, rows, "aggregator")

    def _build_values(self) -> pd.DataFrame:
        recorder = self.recorder
        saved = [step for step in recorder.step_numbers() if recorder.step(step).checkpointed]
        rows = []
        for step in saved:
            state = recorder.state(step)
            rows.append([state.get(vertex) for vertex in self.vertices])
        return _wide(saved, self.vertices, rows, "vertex")

    def _build_active(self) -> pd.DataFrame:
        order = {vertex: index for index, vertex in enumerate(self.vertices)}
        rows = []
        for step, records in self._tasks().items():
            by_vertex = {task.node: task for task in records}
            ran = tuple(sorted(by_vertex, key=order.__getitem__))
            # A vertex that did not vote to halt wrote its awake channel.
            awake = tuple(
                vertex
                for vertex in ran
                if any(channel == AWAKE_PREFIX + vertex for channel, _ in by_vertex[vertex].writes)
            )
            rows.append((step, ran, awake, not awake))
        return build_frame(_ACTIVE, rows)


def _wide(
    steps: list[int], columns: tuple[str, ...], rows: list[list[Any]], axis: str
) -> pd.DataFrame:
    """A frame indexed by ``step`` with ``object`` columns, filled cell by cell (a tuple value
    stays one cell)."""
    import numpy as np
    import pandas as pd

    cells = np.empty((len(rows), len(columns)), dtype=object)
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            cells[row, column] = value
    return pd.DataFrame(
        cells,
        dtype=object,  # else pandas 3 makes text columns ``str``
        index=pd.Index(steps, dtype="int64", name=STEP),
        columns=pd.Index(columns, dtype=object, name=axis),
    )


def vertex_tables(run: Any, graph: Any = None) -> VertexTables:
    """The vertex-centric tables of a recorded run of a vertex program.

    Args:
        run: what ``nb.run`` returned (a ``RunView``), its ``Run``, or a ``Recorder`` that
            recorded the program's stream.
        graph: the compiled program, only with a ``Recorder`` (a run knows its graph).

    Returns:
        A :class:`VertexTables` that follows the recording as it grows.

    Raises:
        TypeError: ``run`` is none of those, a ``Recorder`` came without ``graph``, or the
            graph is not a compiled ``VertexProgram`` (the message says what to use instead).

    Example:
        >>> vertex_tables(object())
        Traceback (most recent call last):
        ...
        TypeError: vertex_tables() reads what nb.run(...) returned (a RunView), its Run, or a
        Recorder with graph=...; got object
    """
    recorder, graph = _recording(run, graph)
    if not isinstance(graph, VertexGraph):
        raise TypeError(
            f"vertex_tables() reads runs of vertex programs, and this run's graph is a "
            f"{type(graph).__name__}: run VertexProgram(...).compile() with nb.run, or read "
            f"other graphs' runs with run.writes, run.tasks and run.state(step)"
        )
    return VertexTables(recorder, graph.program)


def _recording(run: Any, graph: Any) -> tuple[Recorder, Any]:
    """The recorder and the graph of what ``vertex_tables`` was given."""
    if isinstance(run, Recorder):
        if graph is None:
            raise TypeError(
                "a Recorder does not know which graph it recorded: call "
                "vertex_tables(recorder, graph=the compiled VertexProgram)"
            )
        return run, graph
    background = getattr(run, "run", run)  # a RunView shows its Run
    if not isinstance(background, Run):
        raise TypeError(
            f"vertex_tables() reads what nb.run(...) returned (a RunView), its Run, or a "
            f"Recorder with graph=...; got {type(run).__name__}"
        )
    if graph is not None and graph is not background.graph:
        raise TypeError(
            "graph= is for a Recorder only: a run knows its graph; call vertex_tables(run)"
        )
    return background.recorder, background.graph
