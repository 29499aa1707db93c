"""Where a text drawing puts things: layers, order in a layer, columns (for ``_ascii``).

The rules are listed in ``nbpregel.graph._ascii``. Items are numbered: the graph's nodes
first, then one width-1 item per layer that a long edge passes (a vertical line).
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from nbpregel.graph.description import DrawableGraph

__all__ = ["Link", "Segment", "Sketch", "display_cells", "layout"]

_GAP: Final = 2
"""Columns between two items of a layer."""
_DUMMY_WEIGHT: Final = 4  # how much more a passing line wants to stay straight than a box


@dataclasses.dataclass(frozen=True, slots=True)
class Link:
    """An edge to draw (parallel edges merged): plain unless all of them are conditional."""

    source: str
    target: str
    plain: bool
    label: str | None

    def text(self, names: dict[str, str]) -> str:
        label = f" [{self.label}]" if self.label else ""
        return f"{names[self.source]} {'->' if self.plain else '..>'} {names[self.target]}{label}"


@dataclasses.dataclass(frozen=True, slots=True)
class Segment:
    """A link's piece between two items of consecutive layers; ``last`` ends at a box."""

    upper: int
    lower: int
    link: Link
    last: bool


@dataclasses.dataclass(slots=True)
class Sketch:
    """Items by layer: a box per node (its name's cells), a line where a long link passes."""

    cells: list[list[str] | None]
    kinds: list[str]
    plain: list[bool]
    layers: list[list[int]]
    segments: list[Segment] = dataclasses.field(default_factory=list)
    lefts: list[int] = dataclasses.field(default_factory=list)

    def width(self, item: int) -> int:
        cells = self.cells[item]
        return 1 if cells is None else len(cells) + 4

    def center(self, item: int) -> int:
        return self.lefts[item] + (self.width(item) - 1) // 2


def display_cells(text: str) -> list[str]:
    """``text`` as display cells: control characters escaped, a wide character in two.

    >>> display_cells("a\\n\\x00b"), display_cells("日")
    (['a', '\\\\', 'n', '\\\\', 'x', '0', '0', 'b'], ['日', ''])
    """
    cells: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if category[0] == "C" or category in ("Zl", "Zp") or (category[0] == "M" and not cells):
            cells.extend(char.encode("unicode_escape").decode("ascii"))
        elif category[0] == "M":
            cells[-1] += char
        else:
            cells.extend(
                (char, "") if unicodedata.east_asian_width(char) in ("W", "F") else (char,)
            )
    return cells


def layout(graph: DrawableGraph, max_width: int) -> tuple[Sketch, list[Link], set[Link]]:
    """Where everything goes: the sketch (items by layer, placed), the links, the back links.

    >>> from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
    >>> graph = DrawableGraph(
    ...     nodes=(DrawableNode("a", "a"), DrawableNode("b", "b"), DrawableNode("c", "c")),
    ...     edges=(DrawableEdge("a", "b"), DrawableEdge("a", "c"), DrawableEdge("c", "a")),
    ... )
    >>> sketch, links, back = layout(graph, 150)
    >>> sketch.layers, sketch.lefts, [f"{link.source}->{link.target}" for link in back]
    ([[0], [1, 2]], [3, 0, 7], ['c->a'])

    Raises:
        ValueError: an edge names a node the graph does not have.
    """
    links = _links(graph)
    back, order, topological = _back_links(graph, links)
    rank = {node_id: index for index, node_id in enumerate(topological)}
    forward = sorted((ln for ln in links if ln not in back), key=lambda ln: rank[ln.source])
    sketch = _sketch(graph, order, forward, max_width)
    _order(sketch)
    _place(sketch, max_width)
    return sketch, links, back


def _links(graph: DrawableGraph) -> list[Link]:
    """The graph's edges with parallel ones merged (labels joined by ``/``), in order."""
    plain: dict[tuple[str, str], bool] = {}
    labels: dict[tuple[str, str], dict[str, None]] = {}
    graph.check_edges()
    for edge in graph.edges:
        pair = (edge.source, edge.target)
        plain[pair] = plain.get(pair, False) or not edge.conditional
        labels.setdefault(pair, {}).update(
            {"".join(display_cells(edge.label)): None} if edge.label else {}
        )
    return [Link(*pair, plain[pair], "/".join(labels[pair]) or None) for pair in plain]


def _back_links(graph: DrawableGraph, links: list[Link]) -> tuple[set[Link], list[str], list[str]]:
    """The links that close a cycle in a depth-first search from START, and the nodes in the
    order the search found them and in reverse post-order (a topological order of the rest)."""
    out: dict[str, list[Link]] = {node_id: [] for node_id in graph.nodes}
    for link in links:
        out[link.source].append(link)
    seen: dict[str, None] = {}
    on_stack: set[str] = set()
    finished: list[str] = []
    back: set[Link] = set()
    for root in sorted(graph.nodes, key=lambda node_id: graph.nodes[node_id].kind != "start"):
        stack = [] if root in seen else [(root, iter(out[root]))]
        seen.update((node, None) for node, _ in stack)
        on_stack.update(node for node, _ in stack)
        while stack:
            step = next(stack[-1][1], None)
            if step is None:
                finished.append(stack.pop()[0])
                on_stack.discard(finished[-1])
            elif step.target in on_stack:
                back.add(step)
            elif step.target not in seen:
                seen[step.target] = None
                on_stack.add(step.target)
                stack.append((step.target, iter(out[step.target])))
    return back, list(seen), finished[::-1]


def _longest_path(links: list[Link], floor: dict[str, int], ends: list[str]) -> dict[str, int]:
    """Each node's layer: its longest path over ``links`` (acyclic), at least ``floor``; an
    end node that leads nowhere goes to the last layer."""
    layer = dict(floor)
    changed = True
    while changed:
        changed = False
        for link in links:
            if layer[link.target] <= layer[link.source]:
                layer[link.target] = layer[link.source] + 1
                changed = True
    leading = {link.source for link in links}
    layer.update({node: max(layer.values()) for node in ends if node not in leading})
    return layer


def _layering(
    order: list[str], links: list[Link], widths: dict[str, int], limit: int, ends: list[str]
) -> dict[str, int]:
    """Longest-path layers; a layer wider than ``limit`` keeps the nodes that fit (at least
    one) and pushes the others one layer down, where their incoming edges leave a line each."""
    floor = dict.fromkeys(order, 0)
    layer = _longest_path(links, floor, ends)
    entering = Counter(link.target for link in links)
    for _ in range(len(order)):
        passing = Counter(
            depth for link in links for depth in range(layer[link.source] + 1, layer[link.target])
        )
        pushed: list[str] = []
        for depth in range(max(layer.values()) + 1):
            nodes = [node for node in order if layer[node] == depth]
            for keep in range(len(nodes), 0, -1):
                lines = passing[depth] + sum(entering[node] for node in nodes[keep:])
                if sum(widths[n] + _GAP for n in nodes[:keep]) + lines * (1 + _GAP) <= limit + _GAP:
                    break
            pushed = nodes[keep:]
            if pushed:
                break
        if not pushed:
            break
        floor.update({node: layer[node] + 1 for node in pushed})
        layer = _longest_path(links, floor, ends)
    return layer


def _sketch(graph: DrawableGraph, order: list[str], links: list[Link], limit: int) -> Sketch:
    """Items and layers: each node in its layer, a line item wherever a long link passes."""
    item = {node_id: number for number, node_id in enumerate(order)}
    cells: list[list[str] | None] = [display_cells(graph.nodes[node_id].name) for node_id in order]
    widths = {node_id: len(cells[item[node_id]] or ()) + 4 for node_id in order}
    ends = [node_id for node_id in order if graph.nodes[node_id].kind == "end"]
    layer = _layering(order, links, widths, limit, ends)
    kinds: list[str] = [graph.nodes[node_id].kind for node_id in order]
    sketch = Sketch(cells, kinds, [True] * len(order), [[] for _ in range(max(layer.values()) + 1)])
    for node_id in order:
        sketch.layers[layer[node_id]].append(item[node_id])
    for link in links:
        upper = item[link.source]
        for depth in range(layer[link.source] + 1, layer[link.target]):
            sketch.cells.append(None)
            sketch.kinds.append("line")
            sketch.plain.append(link.plain)
            sketch.layers[depth].append(len(sketch.cells) - 1)
            sketch.segments.append(Segment(upper, len(sketch.cells) - 1, link, last=False))
            upper = len(sketch.cells) - 1
        sketch.segments.append(Segment(upper, item[link.target], link, last=True))
    return sketch


def _order(sketch: Sketch) -> None:
    """Reorders each layer by the mean position of its neighbours: down, up, down, up."""
    above: dict[int, list[int]] = {}
    below: dict[int, list[int]] = {}
    for seg in sketch.segments:
        above.setdefault(seg.lower, []).append(seg.upper)
        below.setdefault(seg.upper, []).append(seg.lower)
    layers = sketch.layers
    for sweep in range(4):
        down = sweep % 2 == 0
        for depth in range(1, len(layers)) if down else range(len(layers) - 2, -1, -1):
            position = {m: i for i, m in enumerate(layers[depth - 1 if down else depth + 1])}
            keys: dict[int, tuple[float, int]] = {}
            for index, member in enumerate(layers[depth]):
                near = (above if down else below).get(member, [])
                keys[member] = (
                    sum(position[n] for n in near) / len(near) if near else index,
                    index,
                )
            layers[depth].sort(key=keys.__getitem__)


def _place(sketch: Sketch, max_width: int) -> None:
    """Sets ``sketch.lefts``: layers centred, then pulled toward their neighbours above, below
    and above again, within the wider of ``max_width`` and the widest layer."""
    widths = [[sketch.width(member) for member in layer] for layer in sketch.layers]
    frame = max([max_width] + [sum(row) + _GAP * (len(row) - 1) for row in widths])
    sketch.lefts = [0] * len(sketch.cells)
    for layer, row in zip(sketch.layers, widths, strict=True):
        wish = (frame - sum(row) - _GAP * (len(row) - 1)) / 2
        for member, left in zip(layer, _pool([wish] * len(row), row, frame), strict=True):
            sketch.lefts[member] = left
    for down in (True, False, True):
        near: dict[int, list[int]] = {}
        for seg in sketch.segments:
            ends = (seg.lower, seg.upper) if down else (seg.upper, seg.lower)
            near.setdefault(ends[0], []).append(ends[1])
        for depth in range(1, len(widths)) if down else range(len(widths) - 2, -1, -1):
            layer = sketch.layers[depth]
            wishes = [
                sum(map(sketch.center, near[m])) / len(near[m]) - (sketch.width(m) - 1) // 2
                if m in near
                else sketch.lefts[m]
                for m in layer
            ]
            for member, left in zip(layer, _pool(wishes, widths[depth], frame), strict=True):
                sketch.lefts[member] = left
    low = min(sketch.lefts)
    sketch.lefts = [left - low for left in sketch.lefts]


def _pool(wishes: list[float], widths: list[int], frame: int) -> list[int]:
    """Left edges in ``[0, frame)``, in order, ``_GAP`` apart, as near ``wishes`` as can be:
    overlapping neighbours merge into a block at their weighted mean wish (a line weighs more
    than a box, to keep long edges straight), then the row is pushed inside the frame.

    >>> _pool([0, 0, 0], [3, 3, 3], 30), _pool([9, 9], [3, 3], 12)
    ([0, 5, 10], [4, 9])
    """
    blocks: list[tuple[float, float, int, int, int]] = []  # wish sum, weight, width, first, n
    for index, (wish, width) in enumerate(zip(wishes, widths, strict=True)):
        weight = _DUMMY_WEIGHT if width == 1 else 1
        blocks.append((wish * weight, weight, width, index, 1))
        while len(blocks) > 1:
            (a_sum, a_wt, a_w, first, a_n), (b_sum, b_wt, b_w, _, b_n) = blocks[-2:]
            if a_sum / a_wt + a_w + _GAP <= b_sum / b_wt:
                break
            shift = a_w + _GAP
            blocks[-2:] = [
                (a_sum + b_sum - b_wt * shift, a_wt + b_wt, shift + b_w, first, a_n + b_n)
            ]
    lefts: list[int] = []
    for total, mass, _, first, count in blocks:
        lefts.append(math.floor(total / mass + 0.5))  # not round(): ties go one way
        for index in range(first + 1, first + count):
            lefts.append(lefts[-1] + widths[index - 1] + _GAP)
    for index in range(len(lefts)):
        low = lefts[index - 1] + widths[index - 1] + _GAP if index else 0
        lefts[index] = max(lefts[index], low)
    for index in reversed(range(len(lefts))):
        high = lefts[index + 1] - _GAP if index + 1 < len(lefts) else frame
        lefts[index] = min(lefts[index], high - widths[index])
    return lefts
