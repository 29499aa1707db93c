"""``VertexGraph``: a compiled vertex program, one node per vertex on the superstep loop.

Each vertex ``v`` is a node named ``v`` with these channels:

- ``v`` (``LastValue``): its value, so a run's state is ``{vertex: value}``;
- ``inbox:v`` (``StepFold``): the messages sent to it in the previous superstep;
- ``awake:v`` (``EphemeralValue``): written by a vertex that did not vote to halt.

The node runs when ``inbox:v`` or ``awake:v`` changed, or when the input set
``__activate__`` (superstep 0), so a superstep costs what its active vertices and messages
do, not what the graph's size does. ``__superstep__`` (``StepCounter``) counts supersteps from
the input; ``aggregate:name`` holds an aggregator's fold over the previous superstep.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from nbpregel.channels.base import BaseChannel
from nbpregel.channels.ephemeral_value import EphemeralValue
from nbpregel.channels.last_value import LastValue
from nbpregel.constants import INBOX_PREFIX
from nbpregel.errors import GraphValidationError, InvalidUpdateError
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel.main import Pregel
from nbpregel.vertex._channels import StepCounter, StepFold
from nbpregel.vertex._program import ProgramData, message_fold, value_fold
from nbpregel.vertex._vertex import CURRENT, Routes, Vertex

__all__ = ["ACTIVATE", "SUPERSTEP", "VertexGraph"]

ACTIVATE: Final = "__activate__"
"""Written by the input: every vertex runs in superstep 0."""
SUPERSTEP: Final = "__superstep__"
"""The superstep counter every vertex reads."""
AWAKE_PREFIX: Final = "awake:"
AGGREGATE_PREFIX: Final = "aggregate:"


class _Compute:
    """One vertex's node function: runs ``compute`` on a ``Vertex`` and returns its writes."""

    __slots__ = ("aggregators", "awake", "compute", "edges", "inbox", "name", "routes")

    def __init__(
        self,
        data: ProgramData,
        name: str,
        routes: Routes,
        aggregators: tuple[tuple[str, str], ...],
    ) -> None:
        self.compute = data.compute
        self.name = name
        self.edges = MappingProxyType(data.out[name])
        self.inbox = INBOX_PREFIX + name
        self.awake = AWAKE_PREFIX + name
        self.routes = routes
        self.aggregators = aggregators

    def __reduce__(self) -> tuple[Any, ...]:
        # A mapping proxy does not pickle: the edges travel as a dict (to another process,
        # when the graph's executor runs calls there).
        fields = (self.compute, self.name, dict(self.edges), self.routes, self.aggregators)
        return (_restore_compute, fields)

    def __call__(self, reads: Mapping[str, Any]) -> list[tuple[str, Any]]:
        aggregated = {name: reads[ch] for name, ch in self.aggregators if ch in reads}
        vertex = Vertex(
            self.name,
            self.edges,
            value=reads.get(self.name),
            superstep=reads[SUPERSTEP],
            routes=self.routes,
            aggregated=aggregated,
        )
        token = CURRENT.set(vertex)
        try:
            self.compute(vertex, reads.get(self.inbox, ()))
        finally:
            CURRENT.reset(token)
        return vertex.writes(self.awake)


def _restore_compute(
    compute: Any,
    name: str,
    edges: dict[Any, Any],
    routes: Routes,
    aggregators: tuple[tuple[str, str], ...],
) -> _Compute:
    """A ``_Compute`` rebuilt from its pickled fields (see ``_Compute.__reduce__``)."""
    made = _Compute.__new__(_Compute)
    made.compute, made.name, made.edges = compute, name, MappingProxyType(edges)
    made.inbox, made.awake = INBOX_PREFIX + name, AWAKE_PREFIX + name
    made.routes, made.aggregators = routes, aggregators
    return made


def _writes(output: Any, task: Any, channels: Any) -> list[tuple[str, Any]]:
    writes: list[tuple[str, Any]] = output
    return writes


def _channels(data: ProgramData) -> dict[str, BaseChannel[Any, Any]]:
    channels: dict[str, BaseChannel[Any, Any]] = {
        ACTIVATE: EphemeralValue(bool),
        SUPERSTEP: StepCounter(),
    }
    inbox_fold = message_fold(data.combiner)
    for name in data.out:
        channels[name] = LastValue(Any)
        channels[INBOX_PREFIX + name] = StepFold(inbox_fold)
        channels[AWAKE_PREFIX + name] = EphemeralValue(bool)
    for name, fold in data.aggregators.items():
        channels[AGGREGATE_PREFIX + name] = StepFold(value_fold(fold))
    taken = len(data.out) * 3 + len(data.aggregators) + 2
    if len(channels) != taken:
        clash = sorted(
            name
            for name in data.out
            if name in (ACTIVATE, SUPERSTEP)
            or name.startswith((INBOX_PREFIX, AWAKE_PREFIX, AGGREGATE_PREFIX))
        )
        raise GraphValidationError(
            f"vertex names {clash} clash with the program's own channels: rename them (the "
            f"names {ACTIVATE!r}, {SUPERSTEP!r} and those starting with {INBOX_PREFIX!r}, "
            f"{AWAKE_PREFIX!r} or {AGGREGATE_PREFIX!r} are taken)"
        )
    return channels


def _nodes(data: ProgramData) -> dict[str, PregelNode]:
    routes = Routes(
        {vertex: INBOX_PREFIX + name for vertex, name in data.ids.items()},
        {name: AGGREGATE_PREFIX + name for name in data.aggregators},
        len(data.out),
    )
    aggregators = tuple((name, AGGREGATE_PREFIX + name) for name in data.aggregators)
    nodes = {}
    for name in data.out:
        inbox, awake = INBOX_PREFIX + name, AWAKE_PREFIX + name
        nodes[name] = PregelNode(
            name=name,
            triggers=(ACTIVATE, inbox, awake),
            reads=(name, inbox, SUPERSTEP, *(channel for _, channel in aggregators)),
            bound=_Compute(data, name, routes, aggregators),
            writer=_writes,
            inline=True,
        )
    return nodes


class VertexGraph(Pregel):
    """A compiled ``VertexProgram``: ``invoke(values)`` runs it from initial values
    (``{}``: the program's own) and returns ``{vertex: value}``; every ``Pregel`` call
    (streams, checkpoints, ``get_state``, the notebook views) works on it.

    Use ``VertexProgram.compile`` to make one.
    """

    def __init__(self, data: ProgramData, *, max_supersteps: int, **settings: Any) -> None:
        """``settings`` are ``Pregel``'s run settings, as ``VertexProgram.compile`` got them."""
        self.program = data
        vertices = tuple(data.out)
        super().__init__(
            nodes=_nodes(data),
            channels=_channels(data),
            input_channels=(ACTIVATE, SUPERSTEP, *vertices),
            output_channels=vertices,
            name=data.name,
            input_mapper=self._input_writes,
            **settings,
        )
        # The loop runs supersteps 0 to the recursion limit, inclusive.
        self.config = {"recursion_limit": max_supersteps - 1}

    def _input_writes(self, values: Any) -> list[tuple[str, Any]]:
        """Start the program: set the initial values and activate every vertex."""
        if not isinstance(values, Mapping):
            raise InvalidUpdateError(
                f"a vertex program's input is a dict of initial values by vertex ({{}} keeps "
                f"the program's own), got {type(values).__name__}"
            )
        ids = self.program.ids
        unknown = [vertex for vertex in values if vertex not in ids]
        if unknown:
            raise InvalidUpdateError(
                f"the input sets values of unknown vertices {unknown[:5]}: the program's "
                f"vertices are fixed when it is built"
            )
        initial = self.program.initial | {ids[vertex]: value for vertex, value in values.items()}
        return [(ACTIVATE, True), (SUPERSTEP, 0), *initial.items()]

    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> DrawableGraph:
        """The program's graph: a node per vertex, an edge per out-edge (labelled with its
        value, when it has one)."""
        out = self.program.out
        return DrawableGraph(
            nodes=tuple(DrawableNode(id=name, name=name) for name in out),
            edges=tuple(
                DrawableEdge(source, target, label=None if value is None else str(value))
                for source, edges in out.items()
                for target, value in edges.items()
            ),
            name=self.name,
        )
