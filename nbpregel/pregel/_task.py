"""A planned unit of work: one node run with one input in one superstep."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

from nbpregel.channels.base import MISSING
from nbpregel.constants import NS_END, NS_SEP, PULL_PATH, PUSH_TRIGGER, TaskKind

if TYPE_CHECKING:
    from nbpregel.pregel._cache import CacheKey
    from nbpregel.pregel._node import PregelNode
    from nbpregel.types import Interrupt

__all__ = ["Task", "TaskStatus", "WriteMap"]

_PULL = TaskKind.PULL


class TaskStatus:
    """Where a task is in its life; plain string constants because they cross into streams."""

    PENDING = "pending"
    OK = "ok"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    CACHED = "cached"


class WriteMap(Sequence[tuple[str, Any]]):
    """A finished task's writes when it wrote each channel once, kept as one dict.

    Read as the ``(channel, value)`` pairs they were written as, in order. Kept by a recorder,
    a dict of plain values is left alone by the cyclic garbage collector; a tuple of pairs is
    one object per write for it to visit (hundreds for a node updating a wide state).

    >>> writes = WriteMap({"a": 1, "b": 2})
    >>> list(writes), writes[1], len(writes)
    ([('a', 1), ('b', 2)], ('b', 2), 2)
    """

    __slots__ = ("values",)

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values  # channel -> value, in the order written

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        return iter(self.values.items())

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> tuple[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> Any:
        return list(self.values.items())[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"WriteMap({self.values!r})"


class Task:
    """One execution of a node within a superstep.

    The planner creates tasks; the runner fills ``writes`` (or ``error`` / ``interrupts``); the
    update phase applies the writes. ``sort_key`` orders tasks so reducers always see writes in
    the same order: PUSH tasks by index first, then PULL tasks by node name.
    """

    __slots__ = (
        "attempts",
        "cache_key",
        "call",
        "duration_ms",
        "error",
        "id",
        "index",
        "input",
        "interrupts",
        "kind",
        "name",
        "next_resume",
        "node",
        "parent_ns",
        "resume",
        "started_at",
        "status",
        "triggers",
        "writes",
    )

    def __init__(
        self,
        *,
        id: str,
        name: str,
        kind: TaskKind,
        index: int,
        node: PregelNode,
        input: Any,
        triggers: tuple[str, ...],
        parent_ns: str,
        call: Callable[..., Any] | None = None,
    ) -> None:
        self.id = id
        self.name = name
        self.kind = kind
        self.index = index
        self.node = node
        self.input = input
        self.triggers = triggers
        self.parent_ns = parent_ns
        self.call = call
        self.writes: Sequence[tuple[str, Any]] = []
        self.error: BaseException | None = None
        # Tuples until set: a finished task keeps no empty lists for the collector to track.
        self.interrupts: Sequence[Interrupt] = ()
        self.resume: Sequence[Any] = ()
        self.status: str = TaskStatus.PENDING
        self.attempts = 0
        self.started_at: float | None = None
        self.duration_ms: float | None = None
        self.next_resume: Any = MISSING  # a fresh answer for this task's next interrupt
        self.cache_key: CacheKey | None = None  # set when the node has a cache policy

    @property
    def sort_key(self) -> tuple[int, int, str]:
        """Where the task's writes go in its step: PUSH tasks by index, then PULL by name."""
        return (1, 0, self.name) if self.kind is _PULL else (0, self.index, self.name)

    @classmethod
    def carrier(cls, name: str, writes: list[tuple[str, Any]]) -> Task:
        """A pseudo-task that only carries writes (the input, a state update)."""
        task = cls(
            id=name,
            name=name,
            kind=TaskKind.PUSH,
            index=-1,
            node=None,  # type: ignore[arg-type]
            input=None,
            triggers=(),
            parent_ns="",
        )
        task.writes = writes
        return task

    @property
    def ns(self) -> str:
        """The task's namespace, ``parent|node:task_id``; interrupt ids derive from it."""
        own = f"{self.name}{NS_END}{self.id}"
        return f"{self.parent_ns}{NS_SEP}{own}" if self.parent_ns else own

    @property
    def handled(self) -> BaseException | None:
        """The error its node failed with when its ``error_handler`` ran in its place (the
        task then ends as the handler does), else ``None``."""
        failure = getattr(self.node, "handling", None)
        return None if failure is None else failure.error

    @property
    def path(self) -> tuple[str, int | str]:
        """LangGraph-style path: ``("__pregel_push", index)`` or ``("__pregel_pull", name)``."""
        if self.kind is TaskKind.PUSH:
            return (PUSH_TRIGGER, self.index)
        return (PULL_PATH, self.name)

    def __repr__(self) -> str:
        return f"Task({self.name!r}, {self.kind.value}, id={self.id[:8]}…, status={self.status})"
