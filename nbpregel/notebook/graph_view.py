"""``GraphView``: the graph's SVG in a widget, with nodes and edges lit up by state.

The SVG is laid out once and sent to the browser once, in the widget's initial state. Showing a
step then sends only two small traits:

- ``node_states``: the nodes that are *not* idle, ``{node_id: state}``;
- ``active_edges``: the ids of the edges that carried a write.

The browser side keeps the elements it lit last time, clears those that are absent from the new
values and sets the new ones: it only toggles CSS classes (``nbp-running``, ``nbp-done``, ...,
``nbp-active``) on elements it found once, when the SVG arrived. A step therefore costs in
proportion to the nodes and edges that are or were lit, never to the size of the graph, and
nothing is laid out again.

:meth:`GraphView.highlight` shows a step of a recorded run (``GraphView(graph, recorder=...)``):
its nodes colored by their tasks' status, and the edges its writes took.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Final

import anywidget
import traitlets

from nbpregel.notebook._highlight import Highlighter, NodeState, StepHighlight
from nbpregel.notebook._ids import xml_text
from nbpregel.notebook._static import STATIC_DIR, front_end_script
from nbpregel.notebook.dot import DotDocument, as_drawable, to_dot
from nbpregel.notebook.svg import GraphvizError, cached_drawing, drawing, note_svg, require_dot

if TYPE_CHECKING:
    from nbpregel.notebook.recorder import Recorder

__all__ = ["GraphView", "NodeState", "StepHighlight"]

_SVG_MIME: Final = "image/svg+xml"
_STATE_NAMES: Final = tuple(state.value for state in NodeState)
LAYING_OUT: Final = "Laying the graph out with `dot`\u2026"
"""The note shown while the graph is drawn in the background."""


class GraphView(anywidget.AnyWidget):
    """A drawn graph whose nodes and edges can be highlighted, step by step.

    Args:
        graph: a :class:`~nbpregel.graph.description.DrawableGraph` or an object with
            ``get_graph()`` (a compiled graph).
        legend: show the legend of state colors under the graph.
        recorder: the recording of a run of ``graph`` (``run.recorder``, or a
            :class:`~nbpregel.notebook.recorder.Recorder` fed by hand), for :meth:`highlight`.
        background: if the graph's layout is not cached, return at once and lay it out on a
            thread (``dot`` may take seconds on a big graph), showing a note until the SVG is
            sent; :meth:`wait_layout` waits for it. States set meanwhile light it on arrival.

    Attributes:
        recorder: the recording :meth:`highlight` reads (may be set later).
        drawn: whether the graph was drawn; a graph too large to lay out (see
            ``svg.MAX_DRAWN_ELEMENTS``) shows a note saying so instead, with no node to light.
            ``False`` while it is laid out in the background (see :attr:`laying_out`).
        drawing_error: why ``dot`` failed on the graph, when it failed in the background
            (without ``background`` the error is raised).

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.

    Example:
        >>> from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
        >>> graph = DrawableGraph(
        ...     nodes=(DrawableNode("a", "a"), DrawableNode("b", "b")),
        ...     edges=(DrawableEdge("a", "b"),),
        ... )
        >>> view = GraphView(graph)
        >>> view.set_step_states({"a": "done", "b": "running"}, ["a->b"])
        >>> view.node_states
        {'a': 'done', 'b': 'running'}
        >>> view.set_step_states({"a": "idle", "b": "done"})
        >>> view.node_states, view.active_edges
        ({'b': 'done'}, [])
    """

    _esm = front_end_script("graph_view.js")
    _css = STATIC_DIR / "graph_view.css"

    svg = traitlets.Unicode("").tag(sync=True)
    """The SVG, sent once; made by :func:`~nbpregel.notebook.svg.render_svg`."""
    node_states = traitlets.Dict(value_trait=traitlets.Unicode()).tag(sync=True)
    """``{node_id: state}`` for the nodes that are not idle (idle entries are dropped)."""
    active_edges = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """Ids of the edges drawn as active (they carried a write in the step shown)."""
    legend = traitlets.Bool(True).tag(sync=True)
    """Show the legend of state colors."""

    def __init__(
        self,
        graph: object,
        *,
        legend: bool = True,
        recorder: Recorder | None = None,
        background: bool = False,
        **kwargs: Any,
    ) -> None:
        drawable = as_drawable(graph)
        document = to_dot(drawable)
        self.recorder = recorder
        self.drawing_error: GraphvizError | None = None
        self._highlighter = Highlighter(drawable)
        self._graph_name = drawable.name
        self._legend = legend
        self._lock = threading.RLock()
        self._laid_out = threading.Event()
        done = cached_drawing(document)
        if done is None and not background:
            done = drawing(document)
        if done is None:
            require_dot()  # a missing program is said at once, not in the drawing thread
        svg, self.drawn = done or (note_svg(LAYING_OUT, "nbp-laying-out"), False)
        # A graph too large to draw shows a note: none of its nodes or edges can be lit. While
        # it is laid out, its nodes can be lit already: the browser lights them on arrival.
        self._set_ids(document if self.drawn or done is None else None)
        super().__init__(svg=svg, legend=legend and self.drawn, **kwargs)
        if done is not None:
            self._laid_out.set()
            return
        thread = threading.Thread(
            target=self._lay_out, args=(document,), name="nbpregel-dot", daemon=True
        )
        thread.start()

    @property
    def laying_out(self) -> bool:
        """Whether ``dot`` is still laying the graph out (``GraphView(..., background=True)``)."""
        return not self._laid_out.is_set()

    def wait_layout(self, timeout: float | None = None) -> bool:
        """Block until the graph is laid out (or found too large); ``False`` on timeout.

        ``drawn`` then says whether it was drawn, and ``drawing_error`` why not if ``dot``
        failed.
        """
        return self._laid_out.wait(timeout)

    @property
    def node_ids(self) -> frozenset[str]:
        """The ids of the drawn nodes (``"parent|child"`` inside subgraphs)."""
        return self._node_ids

    @property
    def edge_ids(self) -> frozenset[str]:
        """The ids of the drawn edges (see ``DrawableEdge.id``)."""
        return self._edge_ids

    def set_step_states(
        self,
        node_states: Mapping[str, NodeState | str],
        active_edges: Iterable[str] = (),
    ) -> None:
        """Show one step: the state of each node and the edges that carried a write.

        Nodes missing from ``node_states`` (or given as ``idle``) are shown idle. Both traits
        go to the browser in one message, and only if they changed; the SVG is not re-sent.

        Args:
            node_states: ``{node_id: state}``; states are :class:`NodeState` members or names.
            active_edges: ids of the edges to draw as active.

        Raises:
            ValueError: an unknown state, node id or edge id (the message lists the known
                ones); nothing is changed then.
        """
        with self._lock, self.hold_sync():
            states, edges = self._checked_states(node_states), self._checked_edges(active_edges)
            self.node_states = states
            self.active_edges = edges

    def clear_states(self) -> None:
        """Show every node idle and no edge active."""
        self.set_step_states({}, ())

    def highlight(self, step: int, *, ns: str = "") -> StepHighlight:
        """Show recorded step ``step``: its nodes as their tasks ended, the edges it took.

        A node is colored by its tasks in the step (``running``, ``done``, ``error``,
        ``interrupted``, ``cached``); an edge is active when a task of its source wrote what
        starts its target. On the step that ended the run, ``__end__`` and the edges into it
        are lit. Only the changed classes go to the browser.

        Args:
            step: a step of the recording (see ``recorder.step_numbers(ns)``).
            ns: whose step: ``""`` for the root graph, or a subgraph run's namespace (see
                ``recorder.namespaces()``), lit inside that subgraph's cluster, with the
                subgraph node itself shown as its task is.

        Returns:
            What was lit: ``{node_id: state}`` and the active edge ids.

        Raises:
            RuntimeError: the view has no recording to read (set ``recorder``).
            KeyError: ``step`` or ``ns`` was not recorded (the message lists what was).

        Example:
            >>> from typing import TypedDict
            >>> from nbpregel import END, START, StateGraph
            >>> from nbpregel.notebook.recorder import Recorder
            >>> class State(TypedDict):
            ...     n: int
            >>> builder = StateGraph(State)
            >>> _ = builder.add_node("inc", lambda state: {"n": state["n"] + 1})
            >>> graph = builder.add_edge(START, "inc").add_edge("inc", END).compile()
            >>> recorder = Recorder()
            >>> for chunk in graph.stream({"n": 0}, stream_mode=["debug"]):
            ...     recorder.record(chunk)
            >>> view = GraphView(graph, recorder=recorder)
            >>> view.highlight(0).edges, view.node_states
            (('__start__->inc',), {'__start__': 'done'})
            >>> view.highlight(1).nodes
            {'inc': <NodeState.DONE: 'done'>, '__end__': <NodeState.DONE: 'done'>}
        """
        if self.recorder is None:
            raise RuntimeError(
                f"GraphView of {self._graph_name!r} has no recording to highlight: create it "
                f"with GraphView(graph, recorder=run.recorder), or set view.recorder"
            )
        with self._lock:
            if not self._node_ids:  # not drawn: nothing to light, nor to work out
                self.clear_states()
                return StepHighlight(nodes={}, edges=())
            lit = self._highlighter.step(self.recorder, step, ns)
            edges = [edge for edge in lit.edges if edge in self._edge_ids]
            nodes = {node: state for node, state in lit.nodes.items() if node in self._node_ids}
            self.set_step_states(nodes, edges)
            return StepHighlight(nodes=nodes, edges=tuple(edges))

    def _set_ids(self, document: DotDocument | None) -> None:
        """The nodes and edges that can be lit: ``document``'s, or none."""
        self._node_ids = document.node_ids if document is not None else frozenset()
        self._edge_ids = document.edge_ids if document is not None else frozenset()
        self._node_keys = frozenset(map(xml_text, self._node_ids))
        self._edge_keys = frozenset(map(xml_text, self._edge_ids))

    def _lay_out(self, document: DotDocument) -> None:
        """Draw in the background, then send the SVG; the states already set light it."""
        try:
            svg, drawn = self._drawing_or_error(document)
            with self._lock, self.hold_sync():
                if not drawn:
                    self._set_ids(None)
                    self.node_states, self.active_edges = {}, []
                self.drawn = drawn
                self.svg = svg
                self.legend = self._legend and drawn
        finally:
            self._laid_out.set()

    def _drawing_or_error(self, document: DotDocument) -> tuple[str, bool]:
        """:func:`drawing`, or a note saying why ``dot`` failed (kept in ``drawing_error``)."""
        try:
            return drawing(document)
        except GraphvizError as exc:  # dot failed on it (or was removed meanwhile)
            self.drawing_error = exc
            return note_svg(f"Graph not drawn: {exc}"), False

    def _checked_states(self, node_states: Mapping[str, NodeState | str]) -> dict[str, str]:
        """The non-idle entries, ids in the form the SVG's ``data-node`` holds them."""
        checked: dict[str, str] = {}
        for node_id, state in node_states.items():
            name = str(state)
            if name not in _STATE_NAMES:
                raise ValueError(
                    f"unknown state {name!r} for node {node_id!r} (must be one of "
                    f"{list(_STATE_NAMES)})"
                )
            key = xml_text(node_id)
            if key not in self._node_keys:
                raise ValueError(
                    f"graph {self._graph_name!r} has no node {node_id!r} "
                    f"(known: {sorted(self._node_keys)})"
                )
            if name != NodeState.IDLE:
                checked[key] = name
        return checked

    def _checked_edges(self, active_edges: Iterable[str]) -> list[str]:
        """The edge ids without repeats, in the form the SVG's ``data-edge`` holds them."""
        keys = list(dict.fromkeys(xml_text(edge) for edge in active_edges))
        unknown = [edge for edge in keys if edge not in self._edge_keys]
        if unknown:
            raise ValueError(
                f"graph {self._graph_name!r} has no edges {unknown} "
                f"(known: {sorted(self._edge_keys)})"
            )
        return keys

    @traitlets.validate("node_states")
    def _validate_node_states(self, proposal: traitlets.Bunch) -> dict[str, str]:
        return self._checked_states(proposal["value"])

    @traitlets.validate("active_edges")
    def _validate_active_edges(self, proposal: traitlets.Bunch) -> list[str]:
        return self._checked_edges(proposal["value"])

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The widget, plus the SVG for front ends that cannot show widgets."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is None:
            return None
        data, metadata = bundle
        return {**data, _SVG_MIME: self.svg}, metadata

    def __repr__(self) -> str:
        return (
            f"GraphView(graph={self._graph_name!r}, nodes={len(self._node_ids)}, "
            f"edges={len(self._edge_ids)})"
        )
