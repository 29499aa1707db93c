"""Column schemas of the run tables, and DataFrames built from plain rows.

The recorder keeps rows as Python tuples; a DataFrame is made only when someone asks for one.
Every column has a declared dtype, applied even to an empty table, so that the columns and
dtypes are the same whatever the pandas version (pandas 3 would otherwise infer ``str`` for
text columns, and ``datetime64[us]`` for times). pandas is imported when a frame is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import TaskKind

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHANNELS",
    "INTERRUPTS",
    "STEPS",
    "TASKS",
    "WRITES",
    "Column",
    "Schema",
    "StepStatus",
    "TaskStatus",
    "build_frame",
]

UTC_NS: Final = "datetime64[ns, UTC]"


class StepStatus(StrEnum):
    """The ``status`` of a row of ``steps``."""

    DONE = "done"
    INTERRUPTED = "interrupted"
    ERROR = "error"
    RUNNING = "running"


class TaskStatus(StrEnum):
    """The ``status`` of a row of ``tasks``."""

    OK = "ok"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    CACHED = "cached"
    RUNNING = "running"


@dataclasses.dataclass(frozen=True, slots=True)
class Column:
    """One column: its name, its dtype, and for a category its fixed categories (if any).

    ``dtype`` is ``int64``, ``float64``, ``object``, ``category`` or ``datetime64[ns, UTC]``;
    datetime columns are fed epoch seconds (``None`` for a missing time).
    """

    name: str
    dtype: str
    categories: tuple[str, ...] | None = None


Schema = tuple[Column, ...]

_INT: Final = "int64"
_FLOAT: Final = "float64"
_OBJ: Final = "object"
_CAT: Final = "category"

STEPS: Final[Schema] = (
    Column("step", _INT),
    Column("status", _CAT, tuple(member.value for member in StepStatus)),
    Column("n_tasks", _INT),
    Column("triggered_by", _OBJ),
    Column("updated_channels", _OBJ),
    Column("started_at", UTC_NS),
    Column("finished_at", UTC_NS),
    Column("duration_ms", _FLOAT),
    Column("checkpoint_id", _OBJ),
    Column("ns", _CAT),
)
"""``run.steps``: one row per superstep."""

TASKS: Final[Schema] = (
    Column("step", _INT),
    Column("task_id", _OBJ),
    Column("node", _CAT),
    Column("kind", _CAT, (TaskKind.PULL.value, TaskKind.PUSH.value)),
    Column("triggers", _OBJ),
    Column("input", _OBJ),
    Column("status", _CAT, tuple(member.value for member in TaskStatus)),
    Column("attempts", _INT),
    Column("error", _OBJ),
    Column("started_at", UTC_NS),
    Column("duration_ms", _FLOAT),
    Column("n_writes", _INT),
    Column("ns", _CAT),
)
"""``run.tasks``: one row per task."""

WRITES: Final[Schema] = (
    Column("step", _INT),
    Column("task_id", _OBJ),
    Column("node", _CAT),
    Column("channel", _CAT),
    Column("value", _OBJ),
    Column("seq", _INT),
    Column("ns", _CAT),
)
"""``run.writes``: one row per write, routing channels included."""

CHANNELS: Final[Schema] = (
    Column("step", _INT),
    Column("channel", _CAT),
    Column("version", _INT),
    Column("value", _OBJ),
    Column("ns", _CAT),
)
"""``run.channels``: the state after each step, one row per state key."""

INTERRUPTS: Final[Schema] = (
    Column("step", _INT),
    Column("task_id", _OBJ),
    Column("node", _CAT),
    Column("interrupt_id", _OBJ),
    Column("value", _OBJ),
    Column("answer", _OBJ),
    Column("answered_at", UTC_NS),
    Column("ns", _CAT),
)
"""``run.interrupts``: one row per interrupt, with its answer once given."""


def build_frame(schema: Schema, rows: Sequence[Sequence[Any]]) -> pd.DataFrame:
    """A DataFrame of ``rows`` (tuples in schema order) with the schema's columns and dtypes.

    Example:
        >>> frame = build_frame(CHANNELS, [(0, "topic", 2, "x", "")])
        >>> [str(dtype) for dtype in frame.dtypes]
        ['int64', 'category', 'int64', 'object', 'category']
        >>> list(build_frame(CHANNELS, []).columns)
        ['step', 'channel', 'version', 'value', 'ns']
    """
    import pandas as pd

    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    data = {
        column.name: _series(column, values) for column, values in zip(schema, columns, strict=True)
    }
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


def _series(column: Column, values: Iterable[Any]) -> pd.Series:
    import numpy as np
    import pandas as pd

    if column.dtype == UTC_NS:
        seconds = pd.Series([np.nan if value is None else value for value in values], dtype=_FLOAT)
        return pd.to_datetime(seconds, unit="s", utc=True).astype(UTC_NS)
    if column.dtype == _CAT:
        return pd.Series(pd.Categorical(list(values), categories=column.categories))
    if column.dtype == _OBJ:
        items = list(values)
        array = np.empty(len(items), dtype=object)
        for index, value in enumerate(items):  # one by one: tuples and lists stay whole
            array[index] = value
        return pd.Series(array, dtype=object)
    return pd.Series(list(values), dtype=column.dtype)
