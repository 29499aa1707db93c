"""SVG from the real ``dot``: stable ids on every element, escaping, the layout cache, errors."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from drawing_samples import (
    HOSTILE,
    HOSTILE_NAMES,
    counting_dot,
    hostile_graph,
    nested_graph,
    small_graph,
)

from nbpregel.errors import NbPregelError
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook import svg
from nbpregel.notebook._ids import dom_token, xml_text
from nbpregel.notebook.dot import to_dot
from nbpregel.notebook.show import graph_mimebundle
from nbpregel.notebook.svg import (
    GraphvizNotFoundError,
    GraphvizRenderError,
    cache_info,
    dot_to_svg,
    render_svg,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
# what `dot -Tsvg` draws with; anything else (img, script, foreignObject, a) would be injected
SVG_TAGS = {"svg", "g", "title", "polygon", "polyline", "ellipse", "path", "text"}


def groups(svg_text: str) -> dict[str, ET.Element]:
    """The ``<g>`` elements of the SVG by id (parsing fails on malformed XML)."""
    root = ET.fromstring(svg_text)
    return {g.attrib["id"]: g for g in root.iter(f"{SVG_NS}g")}


def title(group: ET.Element) -> str | None:
    return group.find(f"{SVG_NS}title").text  # type: ignore[union-attr]


@pytest.mark.exe
@pytest.mark.parametrize("make", [small_graph, nested_graph], ids=["small", "nested"])
def test_every_node_and_edge_has_its_stable_id(make: Callable[[], DrawableGraph]) -> None:
    graph = make()
    drawn = groups(render_svg(graph))
    document = to_dot(graph)
    for node_id in document.node_ids:
        group = drawn[f"n-{dom_token(node_id)}"]
        assert group.attrib["data-node"] == node_id
        assert "nbp-node" in group.attrib["class"].split()
    for edge_id in document.edge_ids:
        group = drawn[f"e-{dom_token(edge_id)}"]
        assert group.attrib["data-edge"] == edge_id
        assert "nbp-edge" in group.attrib["class"].split()


@pytest.mark.exe
def test_classes_say_what_each_element_is(fresh_svg_cache: None) -> None:
    drawn = groups(render_svg(small_graph()))
    assert drawn["n-a"].attrib["class"] == "node nbp-node nbp-kind-node"
    assert drawn["n-__start__"].attrib["class"] == "node nbp-node nbp-kind-start"
    assert drawn["n-__end__"].attrib["class"] == "node nbp-node nbp-kind-end"
    assert "nbp-deferred" in drawn["n-d"].attrib["class"]
    assert drawn["e-a-%3Eb%5Byes%5D"].attrib["class"] == "edge nbp-edge nbp-conditional"
    assert title(drawn["e-a-%3Eb%5Byes%5D"]) == "a \u2192 b [yes]"
    assert title(drawn["n-a"]) == "a"


@pytest.mark.exe
def test_dot_draws_conditional_edges_dashed_and_end_as_double_circle() -> None:
    drawn = groups(render_svg(small_graph()))
    conditional = drawn["e-a-%3Ec"].find(f"{SVG_NS}path")
    assert conditional is not None and "stroke-dasharray" in conditional.attrib
    plain = drawn["e-__start__-%3Ea"].find(f"{SVG_NS}path")
    assert plain is not None and "stroke-dasharray" not in plain.attrib
    assert len(drawn["n-__end__"].findall(f"{SVG_NS}ellipse")) == 2
    assert len(drawn["n-__start__"].findall(f"{SVG_NS}ellipse")) == 1


@pytest.mark.exe
def test_join_parts_share_the_join_key() -> None:
    drawn = groups(render_svg(small_graph()))
    parts = [g for g in drawn.values() if g.attrib.get("data-join") == "b+c->d"]
    kinds = sorted(g.attrib["class"].split()[-1] for g in parts)
    assert kinds == ["nbp-join", "nbp-join", "nbp-join-out", "nbp-join-point"]
    assert {g.attrib.get("data-edge") for g in parts} == {"b->d", "c->d", None}


@pytest.mark.exe
def test_subgraph_is_a_cluster_group() -> None:
    drawn = groups(render_svg(nested_graph()))
    cluster = drawn["n-sub"]
    assert cluster.attrib["class"] == "cluster nbp-node nbp-subgraph"
    assert cluster.attrib["data-node"] == "sub"
    assert drawn["n-sub%7Cinner"].attrib["data-node"] == "sub|inner"


@pytest.mark.exe
def test_svg_is_inline_ready() -> None:
    text = render_svg(small_graph())
    assert text.startswith('<svg class="nbp-svg" ')
    assert "<?xml" not in text and "<!DOCTYPE" not in text and "<!--" not in text


@pytest.mark.exe
def test_hostile_names_produce_no_live_markup(fresh_svg_cache: None) -> None:
    text = render_svg(hostile_graph())
    root = ET.fromstring(text)  # well-formed XML, so every `<` in a name was escaped
    for element in root.iter():
        namespace, _, tag = element.tag.partition("}")
        assert namespace == SVG_NS[:-1] and tag in SVG_TAGS, element.tag
        assert not [name for name in element.attrib if name.lower().startswith("on")]
        assert not [name for name in element.attrib if "href" in name]
    drawn = {g.attrib.get("data-node"): g for g in root.iter(f"{SVG_NS}g")}
    for name in HOSTILE_NAMES:
        # the data attribute round-trips the id; the label shows the name as text
        assert title(drawn[xml_text(name)]) is not None
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    assert HOSTILE in texts
    assert '"quoted" name' in texts
    assert "back\\slash\\" in texts
    assert "a & b 'single' \\\" \\N \\G" in texts  # \N stays literal, not the node's name
    assert "ctrl\u2400\u2407\u240achars" in texts


@pytest.mark.exe
def test_dot_runs_once_per_graph(monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None) -> None:
    runs = counting_dot(monkeypatch)
    first = render_svg(small_graph())
    second = render_svg(small_graph())  # an equal graph, another object
    graph_mimebundle(small_graph())
    assert len(runs) == 1 and first == second
    render_svg(nested_graph())
    assert len(runs) == 2
    assert cache_info() == svg.SvgCacheInfo(hits=2, misses=2, size=2)


@pytest.mark.exe
def test_cache_keeps_only_the_latest_layouts(
    monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None
) -> None:
    monkeypatch.setattr(svg, "CACHE_SIZE", 2)
    runs = counting_dot(monkeypatch)
    graphs = [DrawableGraph(nodes=(DrawableNode(f"n{i}", f"n{i}"),), edges=()) for i in range(3)]
    for graph in graphs:
        render_svg(graph)
    render_svg(graphs[2])
    assert len(runs) == 3
    render_svg(graphs[0])  # evicted as the oldest
    assert len(runs) == 4
    assert cache_info().size == 2


def test_missing_dot_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_svg_cache: None
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(GraphvizNotFoundError) as caught:
        render_svg(small_graph())
    message = str(caught.value)
    assert "`dot` program was not found" in message
    for command in ("apt-get install graphviz", "conda install python-graphviz"):
        assert command in message
    assert "brew install graphviz" in message
    assert isinstance(caught.value, NbPregelError)
    assert cache_info().misses == 0  # a failure is not cached


@pytest.mark.exe
def test_dot_failure_is_reported(fresh_svg_cache: None) -> None:
    with pytest.raises(GraphvizRenderError, match=r"`dot` failed \(exit status 1\).*syntax error"):
        dot_to_svg("digraph { a -> }")


@pytest.mark.exe
def test_graph_mimebundle(fresh_svg_cache: None) -> None:
    bundle = graph_mimebundle(small_graph())
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == "<graph 'small': 6 nodes, 6 edges>"
    assert "n-a" in groups(bundle["image/svg+xml"])


def test_graph_mimebundle_rejects_what_it_cannot_draw() -> None:
    with pytest.raises(TypeError, match="cannot draw a int"):
        graph_mimebundle(3)


def test_unknown_edge_endpoint_fails_before_dot_runs(
    monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None
) -> None:
    runs = counting_dot(monkeypatch)
    graph = DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=(DrawableEdge("a", "b"),))
    with pytest.raises(ValueError, match="names node 'b'"):
        render_svg(graph)
    assert runs == []


@pytest.mark.exe
def test_graph_mimebundle_does_not_load_widgets() -> None:
    code = (
        "import sys\n"
        "from nbpregel.graph.description import DrawableGraph, DrawableNode\n"
        "from nbpregel.notebook import graph_mimebundle\n"
        "graph_mimebundle(DrawableGraph(nodes=(DrawableNode('a', 'a'),), edges=()))\n"
        "print(sorted(m for m in ('ipywidgets', 'anywidget') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
