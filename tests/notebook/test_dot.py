"""DOT source from drawable graphs: shapes, dashes, joins, clusters, ids, escaping."""

from __future__ import annotations

import re

import pytest
from drawing_samples import HOSTILE, HOSTILE_NAMES, hostile_graph, nested_graph, small_graph

from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook import dot
from nbpregel.notebook._ids import display_text, dom_token, xml_text
from nbpregel.notebook.dot import ElementKind, as_drawable, dot_source, to_dot


def statement(source: str, lhs: str) -> str:
    """The one DOT line whose statement starts with ``lhs`` (a node or ``a -> b``)."""
    lines = [line.strip() for line in source.splitlines() if line.strip().startswith(lhs + " [")]
    assert len(lines) == 1, f"{lhs!r}: {lines}"
    return lines[0]


def test_start_and_end_have_their_own_shapes() -> None:
    source = to_dot(small_graph()).source
    assert "shape=circle" in statement(source, '"n-__start__"')
    assert "shape=doublecircle" in statement(source, '"n-__end__"')
    assert "shape=" not in statement(source, '"n-a"')  # the default: a rounded box


def test_conditional_edges_are_dashed_and_labelled() -> None:
    source = to_dot(small_graph()).source
    labelled = statement(source, '"n-a" -> "n-b"')
    assert "style=dashed" in labelled and "label=yes" in labelled
    unlabelled = statement(source, '"n-a" -> "n-c"')
    assert "style=dashed" in unlabelled and "label" not in unlabelled
    plain = statement(source, '"n-__start__" -> "n-a"')
    assert "dashed" not in plain


def test_join_edges_meet_in_one_colored_junction_point() -> None:
    source = to_dot(small_graph()).source
    point = '"j-b%2Bc-%3Ed"'
    assert "shape=point" in statement(source, point)
    members = [statement(source, f'"n-{src}" -> {point}') for src in "bc"]
    out = statement(source, f'{point} -> "n-d"')
    colors = {re.search(r'color="(#\w+)"', line).group(1) for line in [*members, out]}  # type: ignore[union-attr]
    assert len(colors) == 1
    assert all("arrowhead=none" in line for line in members)
    assert '"n-b" -> "n-d"' not in source  # the join is not drawn as two separate arrows


def test_two_joins_get_different_colors() -> None:
    graph = DrawableGraph(
        nodes=tuple(DrawableNode(n, n) for n in "abcdef"),
        edges=(
            DrawableEdge("a", "c", join="a+b->c"),
            DrawableEdge("b", "c", join="a+b->c"),
            DrawableEdge("d", "f", join="d+e->f"),
            DrawableEdge("e", "f", join="d+e->f"),
        ),
    )
    source = to_dot(graph).source
    first = statement(source, '"j-a%2Bb-%3Ec"')
    second = statement(source, '"j-d%2Be-%3Ef"')
    assert re.search(r"color=\S+", first).group() != re.search(r"color=\S+", second).group()  # type: ignore[union-attr]


def test_deferred_node_is_marked() -> None:
    line = statement(to_dot(small_graph()).source, '"n-d"')
    assert r"\n(deferred)" in line and "dashed" in line
    kinds = {e.key: e.classes for e in to_dot(small_graph()).elements}
    assert "nbp-deferred" in kinds["d"] and "nbp-deferred" not in kinds["a"]


def test_subgraph_node_is_a_cluster_with_qualified_inner_ids() -> None:
    document = to_dot(nested_graph())
    source = document.source
    assert 'subgraph "cluster_n-sub" {' in source
    assert 'id="n-sub"' in source
    assert '"n-sub%7Cinner"' in source
    assert document.node_ids == {
        "__start__",
        "prep",
        "sub",
        "__end__",
        "sub|__start__",
        "sub|inner",
        "sub|__end__",
    }
    assert "sub|__start__->inner" in document.edge_ids
    # edges to and from the subgraph end at the cluster's border
    into = statement(source, '"n-prep" -> "n-sub%7C__start__"')
    assert 'lhead="cluster_n-sub"' in into
    out_of = statement(source, '"n-sub%7C__end__" -> "n-__end__"')
    assert 'ltail="cluster_n-sub"' in out_of


def test_subgraph_without_nested_graph_is_a_3d_box() -> None:
    graph = DrawableGraph(nodes=(DrawableNode("s", "s", kind="subgraph"),), edges=())
    assert "shape=box3d" in statement(to_dot(graph).source, '"n-s"')


def test_every_node_and_edge_has_one_element() -> None:
    graph = small_graph()
    document = to_dot(graph)
    assert document.node_ids == set(graph.nodes)
    assert document.edge_ids == {edge.id for edge in graph.edges}
    dom_ids = [element.dom_id for element in document.elements]
    assert len(dom_ids) == len(set(dom_ids))
    kinds = [element.kind for element in document.elements]
    assert kinds.count(ElementKind.JOIN_POINT) == kinds.count(ElementKind.JOIN_OUT) == 1


def test_repeated_edge_ids_get_distinct_dom_ids() -> None:
    graph = DrawableGraph(
        nodes=(DrawableNode("a", "a"), DrawableNode("b", "b")),
        edges=(DrawableEdge("a", "b"), DrawableEdge("a", "b", conditional=True)),
    )
    edges = [e for e in to_dot(graph).elements if e.kind is ElementKind.EDGE]
    assert [e.key for e in edges] == ["a->b", "a->b"]
    assert len({e.dom_id for e in edges}) == 2


def test_same_graph_same_source() -> None:
    assert to_dot(small_graph()).source == to_dot(small_graph()).source
    assert to_dot(small_graph()).source != to_dot(nested_graph()).source


def test_edge_to_unknown_node_names_it() -> None:
    graph = DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=(DrawableEdge("a", "ghost"),))
    with pytest.raises(ValueError, match=r"'ghost'.*known: \['a'\]"):
        to_dot(graph)


def test_as_drawable_accepts_objects_with_get_graph() -> None:
    class Compiled:
        def get_graph(self) -> DrawableGraph:
            return small_graph()

    assert as_drawable(Compiled()) == small_graph()
    assert dot_source(Compiled()) == to_dot(small_graph()).source


@pytest.mark.parametrize("bad", [42, "a string", object()], ids=["int", "str", "object"])
def test_as_drawable_rejects_other_objects(bad: object) -> None:
    with pytest.raises(TypeError, match="DrawableGraph or an object with a get_graph"):
        as_drawable(bad)


def test_as_drawable_rejects_get_graph_returning_something_else() -> None:
    class Wrong:
        def get_graph(self) -> dict[str, str]:
            return {}

    with pytest.raises(TypeError, match=r"Wrong.get_graph\(\) returned a dict"):
        as_drawable(Wrong())


@pytest.mark.parametrize(
    ("left", "right"),
    [("a b", "a_b"), ("a b", "a%20b"), ("a|b", "a%7Cb"), ("é", "%C3%A9"), ("a->b", "a-%3Eb")],
    ids=["space", "percent", "pipe", "unicode", "arrow"],
)
def test_dom_token_is_one_to_one(left: str, right: str) -> None:
    assert dom_token(left) != dom_token(right)


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=range(len(HOSTILE_NAMES)))
def test_dom_token_is_safe(name: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_%-]*", dom_token(name))


def test_display_and_xml_text_remove_what_xml_cannot_hold() -> None:
    assert display_text("a\x00b\nc\x7f") == "a\u2400b\u240ac\u2421"
    assert xml_text("a\x01b\ufffe") == "a\ufffdb\ufffd"
    assert xml_text("ok\ttab\nline") == "ok\ttab\nline"


def test_hostile_names_are_quoted_and_escaped() -> None:
    source = to_dot(hostile_graph()).source
    # no label or id is ever an HTML-like string (those are written `label=<...>`)
    assert not re.search(r"=\s*<", source)
    assert source.startswith('digraph "<img src=x onerror=alert(1)>" {')
    # node statements use the safe ids, never the raw names
    for name in HOSTILE_NAMES:
        assert f'"n-{dom_token(name)}" [' in source
    # quotes inside labels are escaped, backslashes doubled (so `\N` is not an escape)
    assert r'label="\"quoted\" name"' in source
    assert r'label="back\\slash\\"' in source
    assert r"\\N \\G" in source
    assert "\x00" not in source and "\x07" not in source


def test_module_surface() -> None:
    assert set(dot.__all__) == {
        "DotDocument",
        "DrawnElement",
        "ElementKind",
        "as_drawable",
        "dot_source",
        "to_dot",
    }
    assert HOSTILE in HOSTILE_NAMES
