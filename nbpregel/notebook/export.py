"""``export_html``: one self-contained HTML page that replays a recorded run, no kernel needed.

The page holds everything it needs and loads nothing: the graph's SVG inline, the recorded
steps as JSON in a ``<script type="application/json">`` element, the styles, and a short script
(``static/replay.js``) with a step slider and play button. Showing a step lights the SVG as
:class:`~nbpregel.notebook.graph_view.GraphView` does (the same ``Highlighter`` picks what to
light, the same ``static/svg_lights.js`` lights it) and fills the tables with ``textContent``.

A run whose subgraphs ran is replayed whole: every recorded run (the root graph's, then each
subgraph run, as ``Recorder.namespaces()`` lists them) has its own steps, and a *graph* choice,
labelled as the live ``RunView`` labels its dropdown, picks the run the slider and the tables
follow; a subgraph run's steps light inside its cluster, as ``GraphView.highlight(step, ns)``.

What is user data (node names, namespaces, state values, errors) is escaped where it lands: by
the SVG renderer inside the drawing, by :func:`html.escape` in the page, and inside the JSON
every ``<``, ``>`` and ``&`` is written as a ``\\u00XX`` escape, so no value can close the script
element or open a comment. The script puts JSON strings in the page only as ``textContent``
(table cells, the label) or as an ``<option>``'s text, never as HTML.
"""

from __future__ import annotations

import html
import json
import pathlib
from typing import Any, Final

from nbpregel.notebook._format import RUN_VIEW_CSS
from nbpregel.notebook._highlight import Highlighter, NodeState, StepHighlight, namespace_label
from nbpregel.notebook._ids import xml_text
from nbpregel.notebook._static import front_end_script, static_text
from nbpregel.notebook._step_html import (
    NOT_SAVED,
    STATE_HEADERS,
    TASK_HEADERS,
    WRITE_HEADERS,
    more_note,
    state_rows,
    task_rows,
    write_rows,
)
from nbpregel.notebook.dot import as_drawable
from nbpregel.notebook.recorder import ROOT, Recorder
from nbpregel.notebook.svg import drawing

__all__ = ["export_html", "replay_data"]

_INTERVAL_MS: Final = 800
_JSON_ESCAPES: Final = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})
_PAGE_CSS: Final = """
body { margin: 16px; }
.nbp-replay .nbp-controls { display: flex; gap: 12px; align-items: center; margin: 8px 0; }
.nbp-replay .nbp-columns { display: flex; gap: 24px; flex-wrap: wrap; }
.nbp-replay input[type=range] { width: 320px; }
"""
_LEGEND: Final = (*(state.value for state in NodeState), "active")


def export_html(recorder: Recorder, graph: object, path: str | pathlib.Path) -> pathlib.Path:
    """Write a standalone page that replays the recorded run of ``graph``, subgraph runs too.

    Args:
        recorder: what was recorded (``run.recorder``, or a :class:`Recorder` fed by hand).
        graph: the compiled graph (or its ``DrawableGraph``), for the drawing.
        path: the file to write (overwritten).

    Returns:
        The path written.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
    """
    drawable = as_drawable(graph)
    svg, drawn = drawing(drawable)
    data = replay_data(recorder, drawable, lit=drawn)
    page = _PAGE.format(
        title=html.escape(f"nbpregel run of {drawable.name}"),
        css=_css(),
        legend=_legend(),
        svg=svg,
        last=max(len(data["runs"][0]["steps"]) - 1, 0),
        data=json.dumps(data, ensure_ascii=False, default=repr).translate(_JSON_ESCAPES),
        script=front_end_script("replay.js"),
    )
    target = pathlib.Path(path)
    target.write_text(page, encoding="utf-8")
    return target


def replay_data(recorder: Recorder, graph: object, *, lit: bool = True) -> dict[str, Any]:
    """The JSON-ready content of the page: per recorded run, per step, what to light and show.

    ``runs`` lists the root graph's run first, then each subgraph run in the order
    ``recorder.namespaces()`` gives: its namespace (``ns``), its ``label`` (as the ``RunView``
    dropdown names it) and its ``steps``. A step holds its lit nodes (``{node id: state}``) and
    active edges, with the ids the SVG's ``data-node`` / ``data-edge`` hold (qualified, inside
    a subgraph's cluster), and its tables' rows. With ``lit=False`` (a graph too large to
    draw, so with nothing to light) every step's nodes and edges are left empty.

    Example:
        >>> from typing import TypedDict
        >>> from nbpregel import END, START, StateGraph
        >>> class State(TypedDict):
        ...     n: int
        >>> inner = StateGraph(State)
        >>> _ = inner.add_node("inc", lambda state: {"n": state["n"] + 1})
        >>> inner = inner.add_edge(START, "inc").add_edge("inc", END).compile()
        >>> outer = StateGraph(State)
        >>> _ = outer.add_node("sub", inner)
        >>> outer = outer.add_edge(START, "sub").add_edge("sub", END).compile()
        >>> recorder = Recorder()
        >>> for chunk in outer.stream({"n": 0}, stream_mode=["debug"], subgraphs=True):
        ...     recorder.record(chunk)
        >>> root, sub = replay_data(recorder, outer)["runs"]
        >>> root["label"], sub["label"].startswith("sub (step 1 \u00b7 ")
        ('root graph', True)
        >>> [step["step"] for step in sub["steps"]], sub["steps"][1]["nodes"]
        ([0, 1], {'sub': 'done', 'sub|inc': 'done', 'sub|__end__': 'done'})
    """
    highlighter = Highlighter(as_drawable(graph)) if lit else None
    return {
        "interval": _INTERVAL_MS,
        "notSaved": NOT_SAVED,
        "headers": {"tasks": TASK_HEADERS, "writes": WRITE_HEADERS, "state": STATE_HEADERS},
        "runs": [_run_data(recorder, highlighter, ns) for ns in _namespaces(recorder)],
    }


def _namespaces(recorder: Recorder) -> list[str]:
    """The recorded runs, the root graph's first (even before it recorded a step)."""
    return [ROOT, *(ns for ns in recorder.namespaces() if ns != ROOT)]


def _run_data(recorder: Recorder, highlighter: Highlighter | None, ns: str) -> dict[str, Any]:
    return {
        "ns": ns,
        "label": namespace_label(recorder, ns),
        "steps": [
            _step_data(recorder, highlighter, step, ns) for step in recorder.step_numbers(ns)
        ],
    }


def _step_data(
    recorder: Recorder, highlighter: Highlighter | None, step: int, ns: str
) -> dict[str, Any]:
    record, tasks = recorder.step(step, ns), recorder.tasks_of(step, ns)
    lit = highlighter.step(recorder, step, ns) if highlighter is not None else _NOTHING_LIT
    task_table, write_table = task_rows(tasks), write_rows(tasks)
    diff = recorder.diff(step, ns) if record.checkpointed else None
    state_table = state_rows(record, diff)
    return {
        "step": step,
        "status": str(recorder.status_of(step, ns)),
        "nodes": {xml_text(node): str(state) for node, state in lit.nodes.items()},
        "edges": [xml_text(edge) for edge in lit.edges],
        "tasks": task_table.cells,
        "taskClasses": task_table.classes,
        "tasksMore": more_note(task_table.more, "tasks"),
        "writes": write_table.cells,
        "writesMore": more_note(write_table.more, "writes"),
        "state": state_table.cells if diff is not None else None,
        "stateClasses": state_table.classes,
        "stateMore": more_note(state_table.more, "keys"),
    }


def _css() -> str:
    return static_text("graph_view.css") + RUN_VIEW_CSS + _PAGE_CSS


def _legend() -> str:
    items = (
        f'<span class="nbp-legend-item"><span class="nbp-swatch nbp-swatch-{name}"></span>'
        f"{html.escape(name)}</span>"
        for name in _LEGEND
    )
    return "".join(items)


_NOTHING_LIT: Final = StepHighlight(nodes={}, edges=())

_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<div class="nbp-replay nbp-run-view">
<h3>{title}</h3>
<div class="nbp-graph-view">
<div class="nbp-graph-canvas">{svg}</div>
<div class="nbp-legend">{legend}</div>
</div>
<div class="nbp-controls">
<label data-role="graph-choice" hidden>graph <select data-role="graph"></select></label>
<button type="button" data-role="play">\u25b6 play</button>
<input type="range" data-role="slider" min="0" max="{last}" value="{last}" step="1">
<span data-role="label"></span>
</div>
<div class="nbp-columns">
<div><h4>tasks</h4><div data-role="tasks"></div><h4>writes</h4><div data-role="writes"></div></div>
<div><h4>state after the step</h4><div data-role="state"></div></div>
</div>
</div>
<script type="application/json" id="nbp-data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
