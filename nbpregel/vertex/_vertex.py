"""The vertex a ``compute`` call works on, and the helpers that act on the current one.

``compute(vertex, messages)`` reads ``vertex.value``, ``vertex.edges`` and
``vertex.superstep``, may set ``vertex.value``, and calls ``send(to, message)``,
``vote_to_halt()`` and ``aggregate(name, value)`` (or the same methods of ``vertex``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from contextvars import ContextVar
from typing import Any, Final

from nbpregel.errors import InvalidUpdateError, NbPregelError

__all__ = ["Routes", "Vertex", "aggregate", "send", "vote_to_halt"]

_UNSET: Final = object()  # the compute did not set the value


class Routes:
    """Where a program's writes go, shared by all its vertices.

    Attributes:
        inboxes: each vertex id (as given, and as its name) -> its inbox channel.
        aggregators: each aggregator name -> its channel.
        num_vertices: how many vertices the program has.
    """

    __slots__ = ("aggregators", "inboxes", "num_vertices")

    def __init__(
        self, inboxes: dict[Hashable, str], aggregators: dict[str, str], num_vertices: int
    ) -> None:
        self.inboxes = inboxes
        self.aggregators = aggregators
        self.num_vertices = num_vertices


class Vertex:
    """One vertex during one superstep.

    Attributes:
        id: the vertex's name (ids given as ints are named by ``str``).
        edges: the out-edges, target name -> edge value (``None`` for an unweighted edge).
        superstep: 0 for the first superstep of the run that gave the input, then 1, 2, ...
        num_vertices: how many vertices the program has.
    """

    __slots__ = (
        "_aggregated",
        "_halted",
        "_routes",
        "_set",
        "_value",
        "_writes",
        "edges",
        "id",
        "num_vertices",
        "superstep",
    )

    def __init__(
        self,
        name: str,
        edges: Mapping[str, Any],
        *,
        value: Any,
        superstep: int,
        routes: Routes,
        aggregated: Mapping[str, Any],
    ) -> None:
        self.id = name
        self.edges = edges
        self.superstep = superstep
        self.num_vertices = routes.num_vertices
        self._value = value
        self._routes = routes
        self._aggregated = aggregated
        self._halted = False
        self._set: Any = _UNSET
        self._writes: list[tuple[str, Any]] = []

    def __repr__(self) -> str:
        return f"Vertex({self.id!r}, value={self._value!r}, superstep={self.superstep})"

    @property
    def value(self) -> Any:
        """The vertex's value (``None`` until one is given or set)."""
        return self._value

    @value.setter
    def value(self, value: Any) -> None:
        self._value = self._set = value

    def send(self, to: Hashable, message: Any) -> None:
        """Deliver ``message`` to vertex ``to`` at the next superstep (waking it if halted)."""
        try:
            inbox = self._routes.inboxes[to]
        except (KeyError, TypeError):
            raise InvalidUpdateError(
                f"vertex {self.id!r} sent a message to unknown vertex {to!r}: the vertices are "
                f"fixed when the program is built; name {to!r} in its edges or vertices="
            ) from None
        self._writes.append((inbox, message))

    def send_to_neighbors(self, message: Any) -> None:
        """``send(target, message)`` along each out-edge."""
        inboxes = self._routes.inboxes
        self._writes.extend((inboxes[target], message) for target in self.edges)

    def vote_to_halt(self) -> None:
        """Stop running until a message arrives; the run ends once every vertex has voted and
        no message is in flight."""
        self._halted = True

    def aggregate(self, name: str, value: Any) -> None:
        """Add ``value`` to aggregator ``name``; every vertex reads the result next superstep."""
        try:
            channel = self._routes.aggregators[name]
        except KeyError:
            known = sorted(self._routes.aggregators)
            raise InvalidUpdateError(
                f"vertex {self.id!r} contributed to unknown aggregator {name!r}: declare it in "
                f"aggregators= (known: {known})"
            ) from None
        self._writes.append((channel, value))

    def aggregated(self, name: str, default: Any = None) -> Any:
        """Aggregator ``name``'s result over the previous superstep (``default`` when no vertex
        contributed)."""
        if name not in self._routes.aggregators:
            known = sorted(self._routes.aggregators)
            raise KeyError(f"no aggregator {name!r}: declare it in aggregators= (known: {known})")
        return self._aggregated.get(name, default)

    @property
    def halted(self) -> bool:
        """Whether ``vote_to_halt()`` was called in this superstep."""
        return self._halted

    def writes(self, awake: str) -> list[tuple[str, Any]]:
        """What the superstep wrote: the value if set, the messages and contributions sent,
        and, unless the vertex voted to halt, ``awake`` (which runs it again next superstep)."""
        writes = self._writes
        if self._set is not _UNSET:
            writes.insert(0, (self.id, self._set))
        if not self._halted:
            writes.append((awake, True))
        return writes


CURRENT: ContextVar[Vertex | None] = ContextVar("nbpregel_vertex", default=None)
"""The vertex whose ``compute`` is running in this context."""


def _current(helper: str) -> Vertex:
    vertex = CURRENT.get()
    if vertex is None:
        raise NbPregelError(
            f"{helper}() was called outside a vertex's compute: call it from the compute "
            f"function a VertexProgram runs, or use the vertex's own method"
        )
    return vertex


def send(to: Hashable, message: Any) -> None:
    """Send ``message`` from the vertex being computed to vertex ``to`` (next superstep)."""
    _current("send").send(to, message)


def vote_to_halt() -> None:
    """The vertex being computed stops until a message arrives."""
    _current("vote_to_halt").vote_to_halt()


def aggregate(name: str, value: Any) -> None:
    """Add ``value`` to aggregator ``name`` from the vertex being computed."""
    _current("aggregate").aggregate(name, value)
