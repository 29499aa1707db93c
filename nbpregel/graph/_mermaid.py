"""A drawable graph as Mermaid flowchart text, for LangGraph's ``get_graph().draw_mermaid()``.

Nodes get ids of their own (``n0``, ``n1``...), so a name never has to be a valid Mermaid id;
names and labels are quoted, and every character outside a small safe set is written as a
Mermaid entity code (``#60;`` for ``<``), so that no name can end its quotes or be read as HTML.
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from nbpregel.graph.description import DrawableGraph

__all__ = ["mermaid_text"]

_SAFE: Final = frozenset(string.ascii_letters + string.digits + " _-.,:/()+*=@!?'")
_SHAPES: Final = {
    "start": ("([", "])"),
    "end": ("([", "])"),
    "node": ("[", "]"),
    "subgraph": ("[[", "]]"),
}


def mermaid_text(graph: DrawableGraph) -> str:
    """``graph`` as a top-down Mermaid flowchart: conditional edges dotted, with their labels.

    >>> from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
    >>> graph = DrawableGraph(
    ...     nodes=(DrawableNode("a", "a"), DrawableNode("b", "<b>")),
    ...     edges=(DrawableEdge("a", "b", conditional=True, label="yes"),),
    ... )
    >>> print(mermaid_text(graph), end="")
    flowchart TD
        n0["a"]
        n1["#60;b#62;"]
        n0 -. "yes" .-> n1
    """
    ids = {node.id: f"n{index}" for index, node in enumerate(graph.nodes.values())}
    lines = ["flowchart TD"]
    for node in graph.nodes.values():
        opening, closing = _SHAPES[node.kind]
        lines.append(f'    {ids[node.id]}{opening}"{_quoted(node.name)}"{closing}')
    for edge in graph.edges:
        if edge.conditional:
            arrow = f'-. "{_quoted(edge.label)}" .->' if edge.label else "-.->"
        else:
            arrow = f'-- "{_quoted(edge.label)}" -->' if edge.label else "-->"
        lines.append(f"    {ids[edge.source]} {arrow} {ids[edge.target]}")
    return "\n".join(lines) + "\n"


def _quoted(text: str) -> str:
    return "".join(char if char in _SAFE else f"#{ord(char)};" for char in text)
