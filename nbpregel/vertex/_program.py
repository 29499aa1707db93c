"""``VertexProgram``: a Google-Pregel-style program (one ``compute`` for every vertex of a
fixed graph), compiled into a graph the superstep loop runs.

Vertex ids are strings or ints; an int is named by ``str`` (node and channel names are
strings), so ``send(3, m)`` and ``send("3", m)`` reach the same vertex, and results are keyed
by name.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import inspect
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, Final

from nbpregel.errors import GraphValidationError

__all__ = ["DEFAULT_MAX_SUPERSTEPS", "ProgramData", "VertexProgram"]

DEFAULT_MAX_SUPERSTEPS: Final = 1000
"""A compiled program's recursion limit unless the run's config gives one."""


def vertex_name(vertex: Any) -> str:
    """The name of vertex id ``vertex`` (a non-empty str, or an int)."""
    if isinstance(vertex, bool) or not isinstance(vertex, str | int):
        raise GraphValidationError(
            f"vertex id {vertex!r} is a {type(vertex).__name__}: vertex ids are str or int"
        )
    name = str(vertex)
    if not name:
        raise GraphValidationError("vertex id is the empty string: give each vertex a name")
    return name


@dataclasses.dataclass(frozen=True)
class ProgramData:
    """A program's graph, checked and named.

    Attributes:
        compute: the function every active vertex runs each superstep.
        out: vertex name -> its out-edges (target name -> edge value), every vertex present.
        ids: every id the user may address a vertex by (as given, and its name) -> its name.
        initial: the program's own initial values, by vertex name (vertices with one).
        combiner: folds two messages to one vertex into one, or ``None``.
        aggregators: aggregator name -> the function folding two contributions into one.
        name: the program's name (drawings, namespaces).
    """

    compute: Callable[..., Any]
    out: dict[str, dict[str, Any]]
    ids: dict[Hashable, str]
    initial: dict[str, Any]
    combiner: Callable[[Any, Any], Any] | None
    aggregators: dict[str, Callable[[Any, Any], Any]]
    name: str


class _Names:
    """Vertex ids seen so far, refusing two ids with one name (``1`` and ``"1"``)."""

    def __init__(self) -> None:
        self.given: dict[Hashable, str] = {}  # each id as the user gave it -> its name
        self.first: dict[str, Any] = {}  # each name -> the id that brought it
        self.out: dict[str, dict[str, Any]] = {}

    def add(self, vertex: Any) -> str:
        if not isinstance(vertex, bool):  # True == 1: a bool must not find vertex 1
            try:
                return self.given[vertex]
            except (KeyError, TypeError):
                pass
        name = vertex_name(vertex)
        if name in self.out:
            raise GraphValidationError(
                f"vertex ids {vertex!r} and {self.first[name]!r} are both named {name!r}: "
                f"use one spelling"
            )
        self.given[vertex], self.first[name], self.out[name] = name, vertex, {}
        return name

    @property
    def ids(self) -> dict[Hashable, str]:
        """Every id a vertex may be addressed by: its name, and the id it was given as."""
        return {**{name: name for name in self.out}, **self.given}

    def edge(self, source: Any, target: Any, value: Any = None) -> None:
        edges = self.out[self.add(source)]
        name = self.add(target)
        if name in edges:
            raise GraphValidationError(
                f"edge {source!r} -> {target!r} is given twice: give each edge once"
            )
        edges[name] = value


def _add_edges(names: _Names, edges: Mapping[Any, Any] | Iterable[Any]) -> None:
    if isinstance(edges, Mapping):
        for source, targets in edges.items():
            names.add(source)
            if isinstance(targets, Mapping):
                for target, value in targets.items():
                    names.edge(source, target, value)
            elif isinstance(targets, str) or not isinstance(targets, Iterable):
                raise GraphValidationError(
                    f"edges[{source!r}] is {targets!r}: give a list of targets or a dict of "
                    f"target -> edge value"
                )
            else:
                for target in targets:
                    names.edge(source, target)
        return
    for edge in edges:
        if not isinstance(edge, Sequence) or isinstance(edge, str) or len(edge) not in (2, 3):
            raise GraphValidationError(
                f"edge {edge!r} is not (source, target) or (source, target, value)"
            )
        names.edge(*edge)


def _initial(names: _Names, values: Any) -> dict[str, Any]:
    if values is None:
        return {}
    if isinstance(values, Mapping):
        return {names.add(vertex): value for vertex, value in values.items()}
    if callable(values):
        return {name: values(name) for name in names.out}
    return dict.fromkeys(names.out, values)


class VertexProgram:
    """A vertex-centric program: ``compute(vertex, messages)`` runs for every active vertex in
    each superstep; it reads and sets ``vertex.value``, sends messages (delivered next
    superstep) and may vote to halt. The run ends once every vertex has voted to halt and no
    message is in flight. All vertices are active in superstep 0; a halted vertex wakes when
    a message reaches it.

    Args:
        compute: ``compute(vertex, messages)``; ``messages`` is a tuple of what was sent to
            the vertex in the previous superstep (one combined message with a combiner).
        edges: ``[(source, target), ...]`` or ``[(source, target, value), ...]``, or a dict
            ``{source: [targets]}`` or ``{source: {target: value}}``.
        vertices: vertices to add besides those the edges name (isolated ones).
        values: the initial values: a dict by vertex (which also adds vertices), a function
            of the vertex name, or one value for all. A run's input may override them.
        combiner: ``combiner(a, b)`` folds messages to one vertex into one before delivery
            (``min`` for shortest paths, ``operator.add`` for PageRank).
        aggregators: name -> ``fold(a, b)``: every vertex may ``aggregate(name, x)``; the
            fold of a superstep's contributions is read next superstep with
            ``vertex.aggregated(name)``.
        name: the program's name.

    Raises:
        GraphValidationError: an edge or vertex id that is not understood, an edge given
            twice, two ids with one name, or a ``compute`` that is not a plain function.

    Example:
        >>> from nbpregel.vertex import VertexProgram
        >>> def hops(vertex, messages):
        ...     best = min(messages, default=vertex.value)
        ...     if best < vertex.value or vertex.superstep == 0:
        ...         vertex.value = best
        ...         for target in vertex.edges:
        ...             vertex.send(target, best + 1)
        ...     vertex.vote_to_halt()
        >>> program = VertexProgram(hops, [("a", "b"), ("b", "c")], values=float("inf"))
        >>> program.compile().invoke({"a": 0})
        {'a': 0, 'b': 1, 'c': 2}
    """

    def __init__(
        self,
        compute: Callable[..., Any],
        edges: Mapping[Any, Any] | Iterable[Any] = (),
        *,
        vertices: Iterable[Any] = (),
        values: Any = None,
        combiner: Callable[[Any, Any], Any] | None = None,
        aggregators: Mapping[str, Callable[[Any, Any], Any]] | None = None,
        name: str = "vertex program",
    ) -> None:
        if not callable(compute) or inspect.iscoroutinefunction(compute):
            raise GraphValidationError(
                f"compute={compute!r} is not a plain function: give "
                f"def compute(vertex, messages): ..."
            )
        names = _Names()
        for vertex in vertices:
            names.add(vertex)
        _add_edges(names, edges)
        initial = _initial(names, values)
        if not names.out:
            raise GraphValidationError("the program has no vertices: give edges= or vertices=")
        for label, fold in {"combiner": combiner, **(aggregators or {})}.items():
            if fold is not None and not callable(fold):
                raise GraphValidationError(f"{label} {fold!r} is not a function of two values")
        self.data = ProgramData(
            compute=compute,
            out=names.out,
            ids=names.ids,
            initial=initial,
            combiner=combiner,
            aggregators=dict(aggregators or {}),
            name=name,
        )

    @property
    def vertices(self) -> list[str]:
        """The vertex names, in the order they were first given."""
        return list(self.data.out)

    def compile(
        self,
        checkpointer: Any | None = None,
        *,
        max_supersteps: int = DEFAULT_MAX_SUPERSTEPS,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        step_timeout: float | None = None,
        fail_fast: bool = False,
        executor: concurrent.futures.Executor | None = None,
    ) -> Any:
        """The runnable graph (a ``Pregel``): one node per vertex, named by the vertex.

        Args:
            checkpointer: a saver, to resume, time travel or answer interrupts.
            max_supersteps: supersteps a run may take (supersteps 0 to ``max_supersteps - 1``:
                the graph's ``recursion_limit`` is one less, in LangGraph's sense; a run's own
                ``recursion_limit`` wins).
            interrupt_before: vertices to pause before.
            interrupt_after: vertices to pause after.
            step_timeout: seconds each superstep may take.
            fail_fast: a failing vertex ends its superstep at once.
            executor: runs the vertices' computes (default: a shared thread pool).
        """
        from nbpregel.vertex._graph import VertexGraph

        return VertexGraph(
            self.data,
            checkpointer=checkpointer,
            max_supersteps=max_supersteps,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            step_timeout=step_timeout,
            fail_fast=fail_fast,
            executor=executor,
        )


def message_fold(combiner: Callable[[Any, Any], Any] | None) -> Callable[[Sequence[Any]], Any]:
    """How an inbox folds a superstep's messages: into a tuple, or one combined message."""
    if combiner is None:
        return tuple
    return lambda messages: (functools.reduce(combiner, messages),)


def value_fold(fold: Callable[[Any, Any], Any]) -> Callable[[Sequence[Any]], Any]:
    """How an aggregator folds a superstep's contributions into one value."""
    return lambda values: functools.reduce(fold, values)
