"""export_html with subgraphs: every recorded run replayed, chosen in the page, lit in place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pages import open_page
from run_graphs import HOSTILE, HOSTILE_NODE, CountState, nested_graph
from test_export import ACTIVE, LIT, Page

from nbpregel import END, START, StateGraph
from nbpregel.notebook import GraphView, run
from nbpregel.notebook.export import replay_data
from nbpregel.notebook.run import RunStatus
from nbpregel.notebook.run_view import ROOT_LABEL, namespace_label

pytestmark = pytest.mark.exe
TIMEOUT = 20
HOSTILE_INNER = f"{HOSTILE_NODE}|{HOSTILE_NODE}"  # the inner node's id, inside its cluster
FILL = """(node) => getComputedStyle(document.querySelector(`g[data-node="${CSS.escape(node)}"]`)
  .querySelector(":scope > :is(polygon, ellipse, path)")).fill"""
COLOR = """(name) => getComputedStyle(document.querySelector(".nbp-graph-view"))
  .getPropertyValue(`--nbp-${name}`).trim()"""
CELLS = """(role) => [...document.querySelectorAll(`[data-role="${role}"] td`)]
  .map((td) => td.textContent)"""
MOVE = """(index) => { const s = document.querySelector("[data-role=slider]");
  s.value = index; s.dispatchEvent(new Event("input")); }"""
INJECTED = """() => ({
  images: document.images.length,
  scripts: document.scripts.length,
  handlers: document.querySelectorAll("[onerror], [onload]").length,
  options: [...document.querySelectorAll("[data-role=graph] option")].map((o) => o.text),
})"""


def hostile_subgraph_graph() -> Any:
    """START -> <hostile node> -> END, a subgraph START -> <hostile node> (writes hostile text)."""
    sub = StateGraph(CountState)
    sub.add_node(HOSTILE_NODE, lambda state: {"text": HOSTILE})
    sub.add_edge(START, HOSTILE_NODE)
    sub.add_edge(HOSTILE_NODE, END)
    builder = StateGraph(CountState)
    builder.add_node(HOSTILE_NODE, sub.compile())
    builder.add_edge(START, HOSTILE_NODE)
    builder.add_edge(HOSTILE_NODE, END)
    return builder.compile()


def finished(graph: Any, value: dict[str, Any]) -> Any:
    view = run(graph, value)
    assert view.wait(TIMEOUT) is RunStatus.DONE, view.run.error
    return view


@pytest.fixture(scope="module")
def nested() -> Any:
    return finished(nested_graph(), {"count": 0})


def test_replay_data_holds_every_run_with_its_own_steps(nested: Any) -> None:
    recorder = nested.run.recorder
    runs = replay_data(recorder, nested.run.graph)["runs"]
    assert [each["ns"] for each in runs] == recorder.namespaces()
    root, sub, inner = runs
    assert root["label"] == ROOT_LABEL
    assert [each["label"] for each in runs] == [namespace_label(recorder, r["ns"]) for r in runs]
    assert [[s["step"] for s in each["steps"]] for each in runs] == [[0, 1, 2], [0, 1, 2], [0, 1]]
    one = sub["steps"][1]  # s1 ran inside sub, and routed to inner
    assert one["nodes"] == {"sub": "done", "sub|s1": "done"}
    assert one["edges"] == ["sub|s1->inner"]
    assert [row[0] for row in one["tasks"]] == ["s1"]
    assert one["state"] == [["\u25cf", "count", "11"]]  # the subgraph's state, not the root's
    last = inner["steps"][1]
    assert last["nodes"]["sub|inner|i1"] == "done" and last["status"] == "done"
    assert last["writes"] == [["i1", "count", "111"]]
    assert root["steps"][2]["nodes"] == {"sub": "done", "__end__": "done"}


def test_every_step_lights_as_the_widget_does(nested: Any) -> None:
    recorder = nested.run.recorder
    widget = GraphView(nested.run.graph, recorder=recorder)
    runs = replay_data(recorder, nested.run.graph)["runs"]
    compared = 0
    for each in runs:
        for step in each["steps"]:
            widget.highlight(step["step"], ns=each["ns"])
            assert step["nodes"] == widget.node_states, (each["ns"], step["step"])
            assert step["edges"] == widget.active_edges, (each["ns"], step["step"])
            compared += 1
    assert compared == 8


# -- the page in Chromium -----------------------------------------------------------------------


def rgb(hex_color: str) -> str:
    """``#8ce99a`` as a computed style gives it: ``rgb(140, 233, 154)``."""
    red, green, blue = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


@pytest.mark.browser
def test_the_page_replays_a_chosen_subgraph_run(nested: Any, browser: Any, tmp_path: Path) -> None:
    page, problems = open_page(browser, nested.export_html(tmp_path / "nested.html"))
    done, idle = (rgb(page.evaluate(COLOR, name)) for name in ("done", "idle"))
    assert done != idle
    labels = [namespace_label(nested.run.recorder, ns) for ns in nested.namespaces()]
    assert page.is_visible("[data-role=graph]")
    assert page.evaluate(INJECTED)["options"] == labels
    page.select_option("[data-role=graph]", "2")  # the inner graph's run, inside sub
    slider = page.locator("[data-role=slider]")
    assert (slider.get_attribute("max"), slider.input_value()) == ("1", "1")
    assert set(page.evaluate(LIT)) == {"sub", "sub|inner", "sub|inner|i1", "sub|inner|__end__"}
    assert page.evaluate(FILL, "sub|inner|i1") == done
    assert page.evaluate(ACTIVE) == ["sub|inner|i1->__end__"]
    assert page.evaluate(CELLS, "writes") == ["i1", "count", "111"]
    page.evaluate(MOVE, 0)
    assert page.inner_text("[data-role=label]") == "step 0 (done)"
    assert page.evaluate(FILL, "sub|inner|i1") == idle
    assert page.evaluate(FILL, "sub|inner|__start__") == done
    assert page.evaluate(ACTIVE) == ["sub|inner|__start__->i1"]
    assert page.evaluate(CELLS, "tasks")[0] == "__start__"

    page.select_option("[data-role=graph]", "1")  # the sub graph's run opens on its last step
    assert (slider.get_attribute("max"), slider.input_value()) == ("2", "2")
    page.evaluate(MOVE, 1)
    assert (page.evaluate(FILL, "sub|s1"), page.evaluate(FILL, "a")) == (done, idle)
    assert page.evaluate(CELLS, "tasks")[0] == "s1"
    assert page.evaluate(CELLS, "state") == ["\u25cf", "count", "11"]

    page.select_option("[data-role=graph]", "0")  # back to the root graph
    assert (slider.get_attribute("max"), slider.input_value()) == ("2", "2")
    assert page.evaluate(LIT).keys() == {"sub", "__end__"}
    assert page.evaluate(FILL, "sub|s1") == idle
    assert page.evaluate(CELLS, "state") == ["\u25cf", "count", "111"]
    page.select_option("[data-role=graph]", "2")
    page.evaluate(MOVE, 0)
    page.click("[data-role=play]")  # plays the chosen run's steps, and stops at its last
    page.wait_for_function("() => document.querySelector('[data-role=slider]').value === '1'")
    page.wait_for_function(
        "() => document.querySelector('[data-role=play]').textContent.includes('play')"
    )
    assert page.evaluate(FILL, "sub|inner|i1") == done
    assert problems == []


@pytest.mark.browser
def test_hostile_subgraph_names_stay_text(browser: Any, tmp_path: Path) -> None:
    view = finished(hostile_subgraph_graph(), {"count": 0})
    path = view.export_html(tmp_path / "hostile-sub.html")
    text = path.read_text(encoding="utf-8")
    assert HOSTILE_NODE not in text and HOSTILE not in text
    data = json.loads(Page(text).scripts["nbp-data"])
    sub_ns = data["runs"][1]["ns"]
    assert sub_ns.startswith(HOSTILE_NODE + ":") and sub_ns == view.namespaces()[1]
    page, problems = open_page(browser, path)
    page.select_option("[data-role=graph]", "1")
    lit = page.evaluate(LIT)
    assert HOSTILE_INNER in lit and "nbp-done" in lit[HOSTILE_INNER]
    assert page.evaluate(FILL, HOSTILE_INNER) == rgb(page.evaluate(COLOR, "done"))
    assert HOSTILE_NODE in page.evaluate(CELLS, "tasks")
    assert repr(HOSTILE) in page.evaluate(CELLS, "state")
    page.wait_for_timeout(300)  # an injected <img onerror> would have fired by now
    injected = page.evaluate(INJECTED)
    assert injected["options"][1].startswith(HOSTILE_NODE + " (step 1 \u00b7 ")
    assert (injected["images"], injected["scripts"], injected["handlers"]) == (0, 2, 0)
    assert problems == []
