"""``get_graph().draw_ascii()`` / ``print_ascii()``: the text drawing's structure.

The drawing is read back, not compared with a stored picture: boxes are found as three rows
(``+--+`` / ``| name |`` / ``+--+``) and the tests check what a reader relies on (each node
boxed once, layers in order, dotted conditional edges, back edges and joins listed, width).
"""

from __future__ import annotations

import dataclasses
import operator
import unicodedata
from collections import Counter
from typing import Annotated, Any, Literal, TypedDict

import pytest

from nbpregel import END, START, Send, StateGraph
from nbpregel.graph._ascii import MAX_WIDTH, ascii_drawing
from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode

from .graphs import CASES, NBPREGEL

BORDER_CHARS = set("+-=|")


class State(TypedDict):
    log: Annotated[list, operator.add]


def step(name: str) -> Any:
    return lambda state: {"log": [name]}


@dataclasses.dataclass(frozen=True)
class Box:
    row: int
    left: int
    right: int  # exclusive
    name: str

    @property
    def center(self) -> int:
        return self.left + (self.right - self.left - 1) // 2


def cells(line: str) -> list[str]:
    """A line as display columns: a wide character takes two (the second is empty)."""
    out: list[str] = []
    for char in line:
        out.extend((char, "") if unicodedata.east_asian_width(char) in ("W", "F") else (char,))
    return out


def split(text: str) -> tuple[list[list[str]], list[str]]:
    """The drawing (rows of display columns) and the notes listed under it."""
    drawing, _, notes = text.partition("\n\n")
    return [cells(line) for line in drawing.split("\n")], notes.split("\n") if notes else []


def boxes(grid: list[list[str]]) -> list[Box]:
    found = []
    for row, line in enumerate(grid[:-2]):
        text = "".join(char or "\0" for char in line)
        left = text.find("+")
        while left != -1:
            right = left + 1
            while right < len(text) and text[right] in "-=":
                right += 1
            if right > left + 3 and right < len(text) and text[right] == "+":
                right += 1
                middle, bottom = grid[row + 1], grid[row + 2]
                if (
                    bottom[left:right] == line[left:right]
                    and middle[left : left + 2] == ["|", " "]
                    and middle[right - 2 : right] == [" ", "|"]
                ):
                    found.append(Box(row, left, right, "".join(middle[left + 2 : right - 2])))
            left = text.find("+", left + 1)
    return found


def outside_boxes(grid: list[list[str]]) -> set[str]:
    """The characters of the drawing that are not part of a box (edges and labels)."""
    found = boxes(grid)
    chars = set()
    for row, line in enumerate(grid):
        for col, char in enumerate(line):
            inside = any(b.row <= row <= b.row + 2 and b.left <= col < b.right for b in found)
            if not inside and char.strip():
                chars.add(char)
    return chars


def by_name(text: str) -> dict[str, Box]:
    found = boxes(split(text)[0])
    assert len({box.name for box in found}) == len(found), [box.name for box in found]
    return {box.name: box for box in found}


def assert_each_node_boxed_once(graph: DrawableGraph, text: str, shown: Any = None) -> None:
    names = Counter(box.name for box in boxes(split(text)[0]))
    expected = Counter((shown or (lambda name: name))(node.name) for node in graph.nodes.values())
    assert names == expected


def chain() -> Any:
    g = StateGraph(State)
    for name in ("a", "b", "c"):
        g.add_node(name, step(name))
    g.add_edge(START, "a")
    g.add_edge("a", "b")
    g.add_edge("b", "c")
    g.add_edge("c", END)
    return g.compile()


def agent_loop() -> Any:
    g = StateGraph(State)
    g.add_node("agent", step("agent"))
    g.add_node("tools", step("tools"))
    g.add_edge(START, "agent")
    g.add_conditional_edges("agent", lambda s: "end", {"continue": "tools", "end": END})
    g.add_edge("tools", "agent")
    return g.compile()


def fan_out(names: list[str], *, join: bool = True) -> Any:
    g = StateGraph(State)
    for name in [*names, "merge"]:
        g.add_node(name, step(name))
    for name in names:
        g.add_edge(START, name)
    if join:
        g.add_edge(names, "merge")
    else:
        for name in names:
            g.add_edge(name, "merge")
    g.add_edge("merge", END)
    return g.compile()


def test_chain_boxes_each_node_once_in_topological_rows() -> None:
    graph = chain().get_graph()
    text = graph.draw_ascii()
    assert_each_node_boxed_once(graph, text)
    found = by_name(text)
    rows = [found[name].row for name in (START, "a", "b", "c", END)]
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    centers = {found[name].center for name in (START, "a", "b", "c", END)}
    assert len(centers) == 1  # a chain is one straight column
    grid, notes = split(text)
    assert outside_boxes(grid) == {"|", "v"}
    assert notes == []


def test_fan_out_nodes_share_a_row_and_the_join_is_listed() -> None:
    graph = fan_out(["a", "b"]).get_graph()
    text = graph.draw_ascii()
    assert_each_node_boxed_once(graph, text)
    found = by_name(text)
    assert found["a"].row == found["b"].row
    assert found[START].row < found["a"].row < found["merge"].row < found[END].row
    assert found["a"].center < found["merge"].center < found["b"].center
    assert split(text)[1] == ["join: merge waits for a + b"]
    assert "join" not in fan_out(["a", "b"], join=False).get_graph().draw_ascii()


def test_conditional_edges_are_dotted_and_labelled() -> None:
    g = StateGraph(State)
    for name in ("route", "yes_node", "no_node"):
        g.add_node(name, step(name))
    g.add_edge(START, "route")
    g.add_conditional_edges("route", lambda s: "y", {"y_label": "yes_node", "n_label": "no_node"})
    text = g.compile().get_graph().draw_ascii()
    grid, notes = split(text)
    found = by_name(text)
    for label, target in (("y_label", "yes_node"), ("n_label", "no_node")):
        [(row, col)] = [
            (r, "".join(line).index(label)) for r, line in enumerate(grid) if label in "".join(line)
        ]
        assert found["route"].row + 2 < row < found[target].row  # in the channel above it
        nearest = min(("yes_node", "no_node"), key=lambda n: abs(found[n].center - col))
        assert nearest == target
    assert notes == []
    assert {":", "."} <= outside_boxes(grid)


def test_only_conditional_edges_use_only_dotted_lines() -> None:
    def entry(state: State) -> Literal["a", "b"]:
        return "a"

    def leave(state: State) -> Literal["__end__"]:
        return END

    g = StateGraph(State)
    g.add_node("a", step("a"))
    g.add_node("b", step("b"))
    g.add_conditional_edges(START, entry)
    g.add_conditional_edges("a", leave)
    g.add_conditional_edges("b", leave)
    graph = g.compile().get_graph()
    assert all(edge.conditional and not edge.label for edge in graph.edges)
    grid, _ = split(graph.draw_ascii())
    assert outside_boxes(grid) == {":", ".", "v"}


def test_plain_edges_use_no_dotted_character() -> None:
    grid, _ = split(fan_out(["a", "b", "c"]).get_graph().draw_ascii())
    assert outside_boxes(grid) == {"|", "-", "+", "v"}


def test_cycle_back_edge_is_listed_and_layers_stay_downward() -> None:
    text = agent_loop().get_graph().draw_ascii()
    found = by_name(text)
    assert found[START].row < found["agent"].row < found["tools"].row
    assert found["tools"].row == found[END].row
    grid, notes = split(text)
    assert notes == ["tools -> agent (back)"]
    assert "continue" in "".join(grid[found["tools"].row - 2])


def test_self_loop_and_conditional_back_edge_notes() -> None:
    g = StateGraph(State)
    g.add_node("lap", step("lap"))
    g.add_edge(START, "lap")
    g.add_conditional_edges("lap", lambda s: "stop", {"again": "lap", "stop": END})
    assert split(g.compile().get_graph().draw_ascii())[1] == ["lap ..> lap [again] (back)"]


def test_send_fan_out_draws_every_node() -> None:
    g = StateGraph(State)
    g.add_node("plan", step("plan"))
    g.add_node("work", step("work"))
    g.add_node("reduce", step("reduce"))
    g.add_edge(START, "plan")
    g.add_conditional_edges("plan", lambda s: [Send("work", i) for i in range(3)], ["work"])
    g.add_edge("work", "reduce")
    graph = g.compile().get_graph()
    text = graph.draw_ascii()
    assert_each_node_boxed_once(graph, text)
    found = by_name(text)
    assert found["plan"].row < found["work"].row < found["reduce"].row


def test_subgraph_node_has_a_double_border() -> None:
    inner = StateGraph(State)
    inner.add_node("inside", step("inside"))
    inner.add_edge(START, "inside")
    g = StateGraph(State)
    g.add_node("outer", inner.compile())
    g.add_edge(START, "outer")
    graph = g.compile().get_graph()
    assert graph.nodes["outer"].kind == "subgraph"
    text = graph.draw_ascii()
    assert_each_node_boxed_once(graph, text)
    grid, _ = split(text)
    box = by_name(text)["outer"]
    assert set(grid[box.row][box.left + 1 : box.right - 1]) == {"="}


HOSTILE = "<b>x</b> &amp;\nnext\t\x1b[31m\u2028日本"


def test_hostile_name_is_plain_text_on_one_line() -> None:
    g = StateGraph(State)
    g.add_node(HOSTILE, step("hostile"))
    g.add_node("é", step("accent"))
    g.add_edge(START, HOSTILE)
    g.add_edge(HOSTILE, "é")
    graph = g.compile().get_graph()
    text = graph.draw_ascii()
    shown = "<b>x</b> &amp;\\nnext\\t\\x1b[31m\\u2028日本"
    assert_each_node_boxed_once(graph, text, lambda name: shown if name == HOSTILE else name)
    assert all(char == "\n" or unicodedata.category(char)[0] != "C" for char in text)
    assert text.splitlines() == text.split("\n")


def test_ten_way_fan_out_fits_the_width_in_one_row() -> None:
    graph = fan_out([f"worker_{i}" for i in range(10)]).get_graph()
    text = graph.draw_ascii()
    assert max(len(line) for line in split(text)[0]) <= MAX_WIDTH
    assert len({by_name(text)[f"worker_{i}"].row for i in range(10)}) == 1


@pytest.mark.parametrize("limit", [MAX_WIDTH, 80])
def test_wide_layer_wraps_within_the_width(limit: int) -> None:
    names = [f"a_rather_long_worker_name_{i}" for i in range(10)]
    graph = fan_out(names).get_graph()
    text = ascii_drawing(graph, max_width=limit)
    grid, _ = split(text)
    assert max(len(line) for line in grid) <= limit
    assert_each_node_boxed_once(graph, text)
    found = by_name(text)
    rows = {found[name].row for name in names}
    assert len(rows) > 1
    assert all(found[START].row < row < found["merge"].row for row in rows)


def test_print_ascii_prints_the_drawing(capsys: pytest.CaptureFixture[str]) -> None:
    graph = agent_loop().get_graph()
    graph.print_ascii()
    assert capsys.readouterr().out == graph.draw_ascii() + "\n"


def test_drawing_is_deterministic() -> None:
    assert fan_out(list("dcba")).get_graph().draw_ascii() == (
        fan_out(list("dcba")).get_graph().draw_ascii()
    )


def test_edge_to_unknown_node_is_refused() -> None:
    graph = DrawableGraph((DrawableNode("a", "a"),), (DrawableEdge("a", "ghost"),))
    with pytest.raises(ValueError, match="'ghost'"):
        graph.draw_ascii()
    assert DrawableGraph((), ()).draw_ascii() == ""


@pytest.mark.parametrize("name", sorted(CASES))
def test_catalogue_graphs_draw(name: str) -> None:
    graph = CASES[name].build(NBPREGEL).get_graph()
    text = graph.draw_ascii()
    assert_each_node_boxed_once(graph, text)
    found = by_name(text)
    notes = split(text)[1]
    for edge in graph.edges:  # drawn downward, or listed as a back edge
        upper, lower = found[graph.nodes[edge.source].name], found[graph.nodes[edge.target].name]
        assert upper.row < lower.row or any(
            note.startswith(f"{upper.name} ") and note.endswith(" (back)") for note in notes
        )
