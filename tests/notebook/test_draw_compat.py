"""LangGraph's drawing calls on ``get_graph()``, offline: the cell a LangGraph notebook draws its
graph with (``display(Image(app.get_graph().draw_mermaid_png()))``) works unchanged.

``draw_mermaid`` writes Mermaid flowchart text (pure data, no program); ``draw_png`` and
``draw_mermaid_png`` draw with the local ``dot`` program (Mermaid itself needs a browser or a web
service, and nothing here may use the network).
"""

from __future__ import annotations

import operator
import re
from pathlib import Path
from typing import Annotated, Any, TypedDict

import pytest
from drawing_samples import HOSTILE_NAMES, hostile_graph, nested_graph, small_graph

from nbpregel import END, START, StateGraph
from nbpregel.graph.description import DrawableGraph
from nbpregel.notebook.svg import GraphvizNotFoundError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class State(TypedDict):
    log: Annotated[list[str], operator.add]


def _agent_graph() -> Any:
    """START -> agent -?-> tools | END; tools -> agent: the usual agent loop."""
    graph = StateGraph(State)
    graph.add_node("agent", lambda s: {"log": ["agent"]})
    graph.add_node("tools", lambda s: {"log": ["tools"]})
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", lambda s: END, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()


@pytest.mark.exe
def test_the_langgraph_drawing_cell_shows_a_png_offline() -> None:
    from IPython.display import Image

    image = Image(_agent_graph().get_graph(xray=True).draw_mermaid_png())
    assert image.format == "png"
    assert image.data.startswith(PNG_SIGNATURE)


@pytest.mark.exe
def test_draw_png_writes_the_file_it_is_given(tmp_path: Path) -> None:
    drawing = _agent_graph().get_graph()
    path = tmp_path / "graph.png"
    data = drawing.draw_png(output_file_path=str(path))
    assert data.startswith(PNG_SIGNATURE)
    assert path.read_bytes() == data
    assert drawing.draw_mermaid_png(output_file_path=str(tmp_path / "m.png")) == data


@pytest.mark.exe
def test_draw_mermaid_png_takes_langgraph_s_options_and_refuses_others() -> None:
    drawing = small_graph()
    data = drawing.draw_mermaid_png(
        curve_style="linear", node_colors=None, wrap_label_n_words=9, background_color="white"
    )
    assert data.startswith(PNG_SIGNATURE)
    with pytest.raises(TypeError, match="'colour'"):
        drawing.draw_mermaid_png(colour="red")


def test_draw_png_without_dot_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        small_graph().draw_png()


# -- Mermaid text -----------------------------------------------------------------------------

_NODE = re.compile(r'^    (?P<id>n\d+)(?P<open>\(\[|\[\[|\[)"(?P<label>[^"]*)"(?:\]\)|\]\]|\])$')
_EDGE = re.compile(
    r'^    (?P<src>n\d+) (?P<arrow>-->|-\.->|-\. "(?P<label>[^"]*)" \.->) (?P<dst>n\d+)$'
)


def _unescape(label: str) -> str:
    return re.sub(r"#(\d+);", lambda m: chr(int(m.group(1))), label)


def _parse(text: str) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, str, str]]]:
    """Node id -> (shape, name) and (source, arrow, label, target) of a flowchart, every line
    checked against the two forms ``draw_mermaid`` writes."""
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    nodes: dict[str, tuple[str, str]] = {}
    edges = []
    for line in lines[1:]:
        if match := _NODE.match(line):
            nodes[match["id"]] = (match["open"], _unescape(match["label"]))
        elif match := _EDGE.match(line):
            arrow = "-->" if match["arrow"] == "-->" else "-.->"
            label = _unescape(match["label"] or "")
            edges.append((nodes[match["src"]][1], arrow, label, nodes[match["dst"]][1]))
        else:
            pytest.fail(f"line not in draw_mermaid's forms: {line!r}")
    return nodes, edges


def test_draw_mermaid_writes_each_node_and_edge_once() -> None:
    nodes, edges = _parse(small_graph().draw_mermaid())
    shapes = {name: shape for shape, name in nodes.values()}
    assert shapes == {"__start__": "([", "a": "[", "b": "[", "c": "[", "d": "[", "__end__": "(["}
    assert sorted(edges) == sorted(
        [
            ("__start__", "-->", "", "a"),
            ("a", "-.->", "yes", "b"),
            ("a", "-.->", "", "c"),
            ("b", "-->", "", "d"),
            ("c", "-->", "", "d"),
            ("d", "-->", "", "__end__"),
        ]
    )


def test_draw_mermaid_marks_a_subgraph_node() -> None:
    nodes, _ = _parse(nested_graph().draw_mermaid())
    assert ("[[", "sub") in nodes.values()


def test_draw_mermaid_escapes_every_name_and_label_and_keeps_them() -> None:
    text = hostile_graph().draw_mermaid()
    nodes, edges = _parse(text)  # every line in its form: no name broke out of its quotes
    assert {name for _, name in nodes.values()} >= set(HOSTILE_NAMES)
    assert {label for _, _, label, _ in edges} >= set(HOSTILE_NAMES)
    assert "<" not in text and ">" not in text.replace("-->", "").replace(".->", "")


def test_get_graph_takes_langgraph_s_arguments() -> None:
    app = _agent_graph()
    assert isinstance(app.get_graph(), DrawableGraph)
    assert app.get_graph({"configurable": {}}, xray=1) == app.get_graph()
