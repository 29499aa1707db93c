"""A drawable graph as text, for LangGraph's ``get_graph().draw_ascii()`` (which needs grandalf).

Layout rules:

* Layers from START down: a depth-first search from START (then from nodes it missed, in
  definition order) sets aside the edges that close a cycle, the *back* edges; a node's layer is
  its longest path over the other edges, and END, when nothing follows it, is in the last layer.
* A layer wider than ``max_width`` keeps the nodes that fit and wraps the others to the next
  layer. An edge spanning layers crosses each layer between as a vertical line (so a layer
  crossed by more than about ``max_width / 3`` lines stays wider).
* Nodes in a layer are ordered by barycenter sweeps (down, up, down, up), then placed as near
  the mean of their neighbours as the order allows.
* Edges between two layers go down from the source, along a horizontal track, down to a ``v``.
  The edges leaving one node (or entering one) share a track; tracks are ordered to cross few
  lines. ``+`` joins a track to its own lines; a line that crosses a track keeps its ``|``.
* Plain edges are ``|`` ``-`` ``+``, conditional ones dotted ``:`` ``.``; a label is written
  beside its arrow, or listed under the drawing when there is no room.
* Listed under the drawing: back edges (``a -> b (back)``, ``a ..> b (back)`` if conditional)
  and joins (``join: c waits for a + b``). Names are plain text, control characters escaped.
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import TYPE_CHECKING, Final

from nbpregel.graph._ascii_layout import Link, Segment, Sketch, display_cells, layout

if TYPE_CHECKING:
    from nbpregel.graph.description import DrawableGraph

__all__ = ["MAX_WIDTH", "ascii_drawing"]

MAX_WIDTH: Final = 150
"""The widest drawing ``draw_ascii`` aims for, in columns (a wider single box is drawn anyway)."""
_Key = tuple[str, int]
_Cells = dict[tuple[int, int], tuple[dict[_Key, bool], dict[_Key, bool]]]


def ascii_drawing(graph: DrawableGraph, *, max_width: int = MAX_WIDTH) -> str:
    """``graph`` drawn top to bottom as text, with its back edges and joins listed below.

    >>> from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
    >>> graph = DrawableGraph(
    ...     nodes=(DrawableNode("a", "a"), DrawableNode("b", "b"), DrawableNode("c", "c")),
    ...     edges=(DrawableEdge("a", "b"), DrawableEdge("a", "c", conditional=True, label="no"),
    ...            DrawableEdge("b", "a")),
    ... )
    >>> print(ascii_drawing(graph))
       +---+
       | a |
       +---+
         |
      +--+....
      |      : no
      v      v
    +---+  +---+
    | b |  | c |
    +---+  +---+
    <BLANKLINE>
    b -> a (back)

    Raises:
        ValueError: an edge names a node the graph does not have.
    """
    if not graph.nodes:
        return ""
    names = {node_id: "".join(display_cells(node.name)) for node_id, node in graph.nodes.items()}
    sketch, links, back = layout(graph, max_width)
    total = max(left + sketch.width(item) for item, left in enumerate(sketch.lefts))
    grid: list[list[str]] = []
    notes = [f"{link.text(names)} (back)" for link in links if link in back]
    for depth, layer in enumerate(sketch.layers):
        grid.extend(_boxes(sketch, layer, total))
        if depth + 1 < len(sketch.layers):
            members = set(layer)
            segments = [seg for seg in sketch.segments if seg.upper in members]
            rows, missed = _channel(sketch, segments, total, max(total, max_width))
            grid.extend(rows)
            notes.extend(link.text(names) for link in missed)
    notes.extend(_joins(graph, names))
    lines = ["".join(row).rstrip() for row in grid]
    return "\n".join(lines + (["", *notes] if notes else []))


def _boxes(sketch: Sketch, layer: list[int], total: int) -> list[list[str]]:
    """The three rows of a layer: a box per node, a vertical line per passing link."""
    rows = [[" "] * total for _ in range(3)]
    for member in layer:
        left, cells = sketch.lefts[member], sketch.cells[member]
        if cells is None:
            for row in rows:
                row[left] = "|" if sketch.plain[member] else ":"
            continue
        border = [
            "+",
            *("=" if sketch.kinds[member] == "subgraph" else "-") * (len(cells) + 2),
            "+",
        ]
        for row, content in zip(rows, (border, ["|", " ", *cells, " ", "|"], border), strict=True):
            row[left : left + len(content)] = content
    return rows


def _channel(
    sketch: Sketch, segments: list[Segment], total: int, limit: int
) -> tuple[list[list[str]], list[Link]]:
    """The rows between two layers, and the links whose label found no room in them."""
    groups: dict[_Key, list[Segment]] = {}
    leaving = Counter(seg.upper for seg in segments)
    entering = Counter(seg.lower for seg in segments)
    for seg in segments:  # the segments leaving one item share a track, or entering one
        wide = leaving[seg.upper] >= entering[seg.lower]
        groups.setdefault(("from", seg.upper) if wide else ("to", seg.lower), []).append(seg)
    tracks = _tracks(sketch, groups)
    height = max(tracks.values()) + 3 if tracks else 2
    cells: _Cells = {}
    for key, members in groups.items():
        for seg in members:
            source, target, plain = (
                sketch.center(seg.upper),
                sketch.center(seg.lower),
                seg.link.plain,
            )
            track = tracks.get(key, height - 1)
            _mark(cells, [(row, source) for row in range(track + 1)], 1, key, plain)
            if key in tracks:
                low, high = sorted((source, target))
                _mark(cells, [(track, col) for col in range(low, high + 1)], 0, key, plain)
                _mark(cells, [(row, target) for row in range(track, height)], 1, key, plain)
    rows = [[" "] * total for _ in range(height)]
    for (row, col), (flat, upright) in cells.items():
        meeting = flat.keys() & upright.keys()  # a group's own lines meet at "+"
        if meeting:
            rows[row][col] = "+" if any(flat[k] or upright[k] for k in meeting) else "."
        elif upright:  # a line crossing another group's track stays a line
            rows[row][col] = "|" if any(upright.values()) else ":"
        else:
            rows[row][col] = "-" if any(flat.values()) else "."
    for seg in segments:
        if seg.last:
            rows[-1][sketch.center(seg.lower)] = "v"
    return rows, _labels(rows[-2], sketch, segments, limit)


def _tracks(sketch: Sketch, groups: dict[_Key, list[Segment]]) -> dict[_Key, int]:
    """A track row (from 1) per group that needs one: groups in the order that crosses fewer
    lines, each below every earlier group it would touch."""
    shapes: dict[_Key, tuple[int, int, set[int], set[int]]] = {}
    for key, members in groups.items():
        tops = {sketch.center(seg.upper) for seg in members}
        bottoms = {sketch.center(seg.lower) for seg in members}
        if len(tops | bottoms) > 1:
            shapes[key] = (min(tops | bottoms), max(tops | bottoms), tops, bottoms)

    def crossings(upper: _Key, lower: _Key) -> int:
        u_low, u_high, u_tops, u_bottoms = shapes[upper]
        l_low, l_high, l_tops, l_bottoms = shapes[lower]
        down = [col for col in u_bottoms - l_bottoms if l_low <= col <= l_high]
        return len(down) + len([col for col in l_tops - u_tops if u_low <= col <= u_high])

    def compare(a: _Key, b: _Key) -> int:
        spans = (shapes[a][:2], a), (shapes[b][:2], b)
        return crossings(a, b) - crossings(b, a) or (spans[0] > spans[1]) - (spans[0] < spans[1])

    tracks: dict[_Key, int] = {}
    for key in sorted(shapes, key=functools.cmp_to_key(compare)):
        low, high = shapes[key][:2]
        touching = [
            row for k, row in tracks.items() if shapes[k][0] <= high + 1 and low <= shapes[k][1] + 1
        ]
        tracks[key] = max(touching, default=0) + 1
    return tracks


def _mark(cells: _Cells, where: list[tuple[int, int]], axis: int, key: _Key, plain: bool) -> None:
    for cell in where:
        lines = cells.setdefault(cell, ({}, {}))[axis]
        lines[key] = lines.get(key, False) or plain


def _labels(row: list[str], sketch: Sketch, segments: list[Segment], limit: int) -> list[Link]:
    """Writes each target's labels beside its arrow (right, else left); returns the misfits."""
    wanted: dict[int, list[Link]] = {}
    for seg in segments:
        if seg.last and seg.link.label:
            wanted.setdefault(sketch.center(seg.lower), []).append(seg.link)
    row.extend(" " * (limit - len(row)))
    missed: list[Link] = []
    for col, links in sorted(wanted.items()):
        text = display_cells("/".join(dict.fromkeys(link.label or "" for link in links)))
        right, left = col + 2, col - 1 - len(text)
        if right + len(text) <= limit and not "".join(row[col + 1 : right + len(text) + 1]).strip():
            row[right : right + len(text)] = text
        elif left >= 0 and not "".join(row[max(left - 1, 0) : col]).strip():
            row[left : left + len(text)] = text
        else:
            missed.extend(links)
    return missed


def _joins(graph: DrawableGraph, names: dict[str, str]) -> list[str]:
    """A line per join: ``join: c waits for a + b``."""
    joins: dict[str, tuple[list[str], str]] = {}
    for edge in graph.edges:
        if edge.join:
            joins.setdefault(edge.join, ([], edge.target))[0].append(edge.source)
    return [
        f"join: {names[target]} waits for {' + '.join(names[source] for source in sources)}"
        for sources, target in joins.values()
    ]
