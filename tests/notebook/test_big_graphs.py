"""A graph too large to lay out (a vertex program on thousands of vertices) is not drawn: views,
exports and ``nb.show`` show a note saying so, at once, and the run's tables work as usual.
Real ``dot`` throughout: without the guard these tests would wait for hours of layout."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest
from drawing_samples import counting_dot

import nbpregel as nb
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook import svg
from nbpregel.notebook.graph_view import GraphView
from nbpregel.notebook.show import graph_mimebundle
from nbpregel.vertex import Vertex, VertexProgram

pytestmark = [pytest.mark.exe, pytest.mark.timeout(120)]


def random_edges(n: int, degree: int, seed: int = 1) -> dict[str, list[str]]:
    """A random graph: the kind ``dot`` takes minutes (150 vertices) to hours to untangle."""
    rnd = random.Random(seed)
    names = [f"v{i}" for i in range(n)]
    return {name: rnd.sample([other for other in names if other != name], degree) for name in names}


def flood(vertex: Vertex, messages: tuple[int, ...]) -> None:
    """Every vertex learns the smallest number that reaches it; halts when nothing improves."""
    best = min(messages, default=int(vertex.id[1:]))
    if vertex.superstep == 0 or best < vertex.value:
        vertex.value = best
        vertex.send_to_neighbors(best)
    vertex.vote_to_halt()


def test_a_run_of_a_700_vertex_program_opens_with_a_note_and_full_tables() -> None:
    # 700 + 2,100 elements: over the limit; dot would take hours on this random graph
    edges = random_edges(700, 3)
    app = VertexProgram(flood, edges).compile()
    view = nb.run(app, {})
    assert view.wait(100) == "done"
    assert view.graph_view.drawn is False and not view.graph_view.laying_out  # decided at once
    assert "Graph not drawn: the graph has 700 nodes and 2,100 edges" in view.graph_view.svg
    assert "MAX_DRAWN_ELEMENTS" in view.graph_view.svg
    assert view.graph_view.legend is False
    assert view.state() == app.invoke({})
    assert set(view.tasks[view.tasks.step == 0].node) == set(edges)
    view.show_step(1)  # nothing to light, and no error
    assert view.graph_view.node_states == {} and view.graph_view.active_edges == []


def test_export_and_mimebundle_of_a_big_graph_carry_the_note(tmp_path: Path) -> None:
    app = VertexProgram(flood, random_edges(1000, 2)).compile()
    view = nb.run(app, {})
    assert view.wait(100) == "done"
    page = view.export_html(tmp_path / "run.html").read_text(encoding="utf-8")
    assert "Graph not drawn" in page and 'class="nbp-not-drawn"' in page
    # nothing drawn, nothing to light: the steps carry no node or edge states
    data = json.loads(re.search(r'id="nbp-data">(.*?)</script>', page, re.DOTALL)[1])
    steps = data["runs"][0]["steps"]
    assert len(steps) > 2 and all(s["nodes"] == {} and s["edges"] == [] for s in steps)
    assert steps[1]["tasks"]  # the tables are there
    bundle = graph_mimebundle(app)
    assert bundle["text/plain"] == "<graph 'vertex program': 1000 nodes, 2000 edges>"
    assert "Graph not drawn" in bundle["image/svg+xml"]


def chain(n: int) -> DrawableGraph:
    nodes = tuple(DrawableNode(f"n{i}", f"n{i}") for i in range(n))
    return DrawableGraph(
        nodes=nodes, edges=tuple(DrawableEdge(f"n{i}", f"n{i + 1}") for i in range(n - 1))
    )


def test_the_element_limit_can_be_raised_to_draw_anyway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg, "MAX_DRAWN_ELEMENTS", 10)
    with pytest.raises(svg.GraphTooLargeError, match=r"6 nodes and 5 edges, more than .* = 10"):
        svg.render_svg(chain(6))
    assert GraphView(chain(6)).drawn is False
    assert GraphView(chain(5)).drawn is True  # 9 elements
    monkeypatch.setattr(svg, "MAX_DRAWN_ELEMENTS", 11)
    view = GraphView(chain(6))
    assert view.drawn and view.legend and len(view.node_ids) == 6
    view.set_step_states({"n0": "done"}, ["n0->n1"])
    assert view.node_states == {"n0": "done"}


def test_dot_is_given_up_after_the_time_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(svg, "DOT_TIMEOUT_S", 0.5)
    edges = random_edges(300, 3, seed=5)
    graph = DrawableGraph(
        nodes=tuple(DrawableNode(name, name) for name in edges),
        edges=tuple(DrawableEdge(s, t) for s, targets in edges.items() for t in targets),
    )
    svg.clear_cache()
    with pytest.raises(svg.GraphTooLargeError, match=r"still laying the graph out after 0.5 s"):
        svg.render_svg(graph)
    runs = counting_dot(monkeypatch)
    note, drawn = svg.drawing(graph)  # not tried again with no more time than before
    assert not drawn and "already ran out of time (0.5 s)" in note and runs == []
    monkeypatch.setattr(svg, "DOT_TIMEOUT_S", 0.6)
    with pytest.raises(svg.GraphTooLargeError, match=r"still laying the graph out after 0.6 s"):
        svg.render_svg(graph)
    assert len(runs) == 1


def test_the_note_is_escaped_text() -> None:
    note = svg.note_svg("a <script>alert(1)</script> & more " * 5)
    assert "<script>" not in note and "&lt;script&gt;" in note
    assert re.fullmatch(r"<svg [^>]*><text [^>]*>(<tspan [^>]*>[^<]*</tspan>)+</text></svg>", note)
