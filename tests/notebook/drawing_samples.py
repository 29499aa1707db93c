"""Hand-made drawable graphs for the drawing tests (the engine's ``get_graph`` is not needed),
and a way to count the runs of ``dot``."""

from __future__ import annotations

import pytest

from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook import svg

HOSTILE = "<img src=x onerror=alert(1)>"
HOSTILE_NAMES = [
    HOSTILE,
    '"quoted" name',
    "back\\slash\\",
    "{braces}; [brackets] -> edge",
    "</title><script>alert(1)</script>",
    "a & b 'single' \\\" \\N \\G",
    "ctrl\x00\x07\nchars",
    "<<b>html</b>>",
    "node",
    "graph",
]


def start() -> DrawableNode:
    return DrawableNode("__start__", "__start__", kind="start")


def end() -> DrawableNode:
    return DrawableNode("__end__", "__end__", kind="end")


def small_graph() -> DrawableGraph:
    """START -> a; a -?-> b [yes] | c; b, c join -> d (deferred); d -> END."""
    return DrawableGraph(
        nodes=(
            start(),
            DrawableNode("a", "a"),
            DrawableNode("b", "b"),
            DrawableNode("c", "c"),
            DrawableNode("d", "d", defer=True),
            end(),
        ),
        edges=(
            DrawableEdge("__start__", "a"),
            DrawableEdge("a", "b", conditional=True, label="yes"),
            DrawableEdge("a", "c", conditional=True),
            DrawableEdge("b", "d", join="b+c->d"),
            DrawableEdge("c", "d", join="b+c->d"),
            DrawableEdge("d", "__end__"),
        ),
        name="small",
    )


def nested_graph() -> DrawableGraph:
    """START -> prep -> sub (a cluster: START -> inner -> END) -> END."""
    inner = DrawableGraph(
        nodes=(start(), DrawableNode("inner", "inner"), end()),
        edges=(DrawableEdge("__start__", "inner"), DrawableEdge("inner", "__end__")),
        name="child",
    )
    return DrawableGraph(
        nodes=(
            start(),
            DrawableNode("prep", "prep"),
            DrawableNode("sub", "sub", kind="subgraph", subgraph=inner),
            end(),
        ),
        edges=(
            DrawableEdge("__start__", "prep"),
            DrawableEdge("prep", "sub"),
            DrawableEdge("sub", "__end__"),
        ),
        name="parent",
    )


def hostile_graph() -> DrawableGraph:
    """Every hostile name as a node between START and END, plus hostile labels and joins."""
    nodes = [start(), *(DrawableNode(name, name) for name in HOSTILE_NAMES), end()]
    edges = [DrawableEdge("__start__", name) for name in HOSTILE_NAMES]
    edges += [DrawableEdge(name, "__end__", conditional=True, label=name) for name in HOSTILE_NAMES]
    edges += [DrawableEdge(name, HOSTILE, join=f"join {HOSTILE}") for name in HOSTILE_NAMES[1:3]]
    return DrawableGraph(nodes=tuple(nodes), edges=tuple(edges), name=HOSTILE)


def counting_dot(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Wrap the one call site of the ``dot`` program so that every run is recorded."""
    runs: list[str] = []
    real = svg._run_dot

    def run(source: str, output_format: str) -> bytes:
        runs.append(source)
        return real(source, output_format)

    monkeypatch.setattr(svg, "_run_dot", run)
    return runs
