"""GraphView: what goes over the comm, validation, display, and the front end in Chromium."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from drawing_samples import HOSTILE, HOSTILE_NAMES, hostile_graph, nested_graph, small_graph
from run_graphs import fanout_graph
from test_recorder import record, thread
from widget_comm import RecordingComm

from nbpregel.graph.description import DrawableEdge, DrawableGraph, DrawableNode
from nbpregel.notebook import GraphView, NodeState, Recorder, show
from nbpregel.notebook import __all__ as notebook_all
from nbpregel.notebook._static import STATIC_DIR


def chain(n: int) -> DrawableGraph:
    """n nodes in a row."""
    nodes = tuple(DrawableNode(f"n{i}", f"n{i}") for i in range(n))
    edges = tuple(DrawableEdge(f"n{i}", f"n{i + 1}") for i in range(n - 1))
    return DrawableGraph(nodes=nodes, edges=edges, name=f"chain{n}")


def comm_of(view: GraphView, comms: list[RecordingComm]) -> RecordingComm:
    """The comm of ``view`` (its layout, a widget of its own, has another)."""
    (comm,) = [comm for comm in comms if comm.comm_id == view.model_id]
    return comm


def updates(comm: RecordingComm) -> list[dict[str, Any]]:
    return [msg["state"] for msg in comm.sent if msg.get("method") == "update"]


@pytest.mark.exe
def test_svg_goes_out_once_with_the_opening_state(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(small_graph())
    comm = comm_of(view, recording_comm)
    opened = comm.opened_with["data"]["state"]
    assert opened["svg"] == view.svg and 'data-node="a"' in view.svg
    assert opened["node_states"] == {} and opened["active_edges"] == []
    assert opened["legend"] is True
    assert view.get_state()["svg"] == view.svg


@pytest.mark.exe
def test_a_step_sends_only_states_in_one_message(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(small_graph())
    comm = comm_of(view, recording_comm)
    view.set_step_states({"a": "done", "b": NodeState.RUNNING, "c": "idle"}, ["a->b[yes]"])
    assert updates(comm) == [
        {"node_states": {"a": "done", "b": "running"}, "active_edges": ["a->b[yes]"]}
    ]
    view.set_step_states({"b": "done"}, ["b->d"])
    assert updates(comm)[-1] == {"node_states": {"b": "done"}, "active_edges": ["b->d"]}
    assert all("svg" not in state for state in updates(comm))


@pytest.mark.exe
def test_an_unchanged_step_sends_nothing(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(small_graph())
    comm = comm_of(view, recording_comm)
    view.set_step_states({"a": "done"}, ["__start__->a"])
    view.set_step_states({"a": "done", "b": "idle"}, ["__start__->a"])
    assert len(updates(comm)) == 1
    view.set_step_states({"a": "done"}, [])
    assert updates(comm)[-1] == {"active_edges": []}
    view.clear_states()
    assert updates(comm)[-1] == {"node_states": {}}


@pytest.mark.exe
def test_step_message_does_not_grow_with_the_graph(recording_comm: list[RecordingComm]) -> None:
    small, large = GraphView(chain(3)), GraphView(chain(300))
    for view in (small, large):
        view.set_step_states({"n0": "done", "n1": "running"}, ["n0->n1"])
    sizes = [len(json.dumps(updates(comm_of(view, recording_comm)))) for view in (small, large)]
    assert sizes[0] == sizes[1]
    assert len(large.svg) > 20 * len(small.svg)


@pytest.mark.exe
def test_legend_toggle_sends_only_the_legend(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(small_graph(), legend=False)
    comm = comm_of(view, recording_comm)
    assert comm.opened_with["data"]["state"]["legend"] is False
    view.legend = True
    assert updates(comm) == [{"legend": True}]


@pytest.mark.parametrize(
    ("states", "edges", "message"),
    [
        ({"a": "finished"}, [], r"unknown state 'finished' for node 'a' \(must be one of \["),
        ({"ghost": "done"}, [], r"graph 'small' has no node 'ghost' \(known: \["),
        ({}, ["a->d"], r"graph 'small' has no edges \['a->d'\]"),
    ],
    ids=["state", "node", "edge"],
)
@pytest.mark.exe
def test_bad_steps_are_refused(
    states: dict[str, str], edges: list[str], message: str, recording_comm: list[RecordingComm]
) -> None:
    view = GraphView(small_graph())
    view.set_step_states({"a": "done"})
    with pytest.raises(ValueError, match=message):
        view.set_step_states(states, edges)
    assert view.node_states == {"a": "done"}


@pytest.mark.exe
def test_nested_nodes_use_qualified_ids(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(nested_graph())
    view.set_step_states({"sub": "running", "sub|inner": "interrupted"}, ["sub|__start__->inner"])
    assert view.node_states == {"sub": "running", "sub|inner": "interrupted"}
    assert "sub|inner" in view.node_ids and "prep->sub" in view.edge_ids


@pytest.mark.exe
def test_highlight_shows_a_recorded_step(recording_comm: list[RecordingComm]) -> None:
    graph = fanout_graph()
    recorder = record(graph, {"topic": "x"}, thread("highlight"))
    view = GraphView(graph, recorder=recorder)
    comm = comm_of(view, recording_comm)
    lit = view.highlight(2)  # fan sends two tasks to worker
    assert (view.node_states, view.active_edges) == ({"fan": "done"}, ["fan->worker"])
    assert lit.nodes == {"fan": NodeState.DONE} and lit.edges == ("fan->worker",)
    view.highlight(1)  # a and b, then the join's edges into fan
    assert (view.node_states, view.active_edges) == (
        {"a": "done", "b": "done"},
        ["a->fan", "b->fan"],
    )
    view.highlight(4)  # the question is pending
    assert (view.node_states, view.active_edges) == ({"ask": "interrupted"}, [])
    sent = updates(comm)
    assert len(sent) == 3 and all(set(state) == {"node_states", "active_edges"} for state in sent)
    with pytest.raises(KeyError, match=r"step 9 was not recorded \(steps: \[0, 1, 2, 3, 4\]\)"):
        view.highlight(9)
    assert view.node_states == {"ask": "interrupted"}  # a refused step changes nothing


@pytest.mark.exe
def test_highlight_needs_a_recording(recording_comm: list[RecordingComm]) -> None:
    view = GraphView(small_graph())
    with pytest.raises(RuntimeError, match=r"GraphView\(graph, recorder=run.recorder\)"):
        view.highlight(0)
    view.recorder = Recorder()
    with pytest.raises(KeyError, match=r"step 0 was not recorded \(steps: \[\]\)"):
        view.highlight(0)


@pytest.mark.exe
def test_display_bundle_has_the_widget_and_an_svg_fallback(
    recording_comm: list[RecordingComm],
) -> None:
    view = show(small_graph())
    bundle = view._repr_mimebundle_()
    assert bundle is not None
    data, _ = bundle
    assert data["image/svg+xml"] == view.svg
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == view.model_id
    assert data["text/plain"] == "GraphView(graph='small', nodes=6, edges=6)"


@pytest.mark.exe
def test_show_accepts_objects_with_get_graph(recording_comm: list[RecordingComm]) -> None:
    class Compiled:
        def get_graph(self) -> DrawableGraph:
            return nested_graph()

    assert show(Compiled(), legend=False).legend is False


@pytest.mark.parametrize("name", ["svg_lights.js", "graph_view.js", "graph_view.css"])
def test_front_end_needs_no_network(name: str) -> None:
    text = (STATIC_DIR / name).read_text()
    assert not re.search(r"https?://|@import|^\s*import\s|\bimport\s*\(", text, re.MULTILINE)


def test_front_end_never_parses_html() -> None:
    js = GraphView._esm  # the module the browser gets: svg_lights.js, then graph_view.js
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "eval(" not in js


def test_public_names() -> None:
    import nbpregel.notebook as notebook

    assert set(notebook_all) >= {"GraphView", "NodeState", "show", "graph_mimebundle"}
    assert all(hasattr(notebook, name) for name in notebook_all)
    # the submodule `show` (imported by the engine's _repr_mimebundle_) must not hide the function
    assert notebook.show is sys.modules["nbpregel.notebook.show"].show


# --- the front end, in a real browser -----------------------------------------------------------

HARNESS = """
async ([js, css, state]) => {
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const module = await import(URL.createObjectURL(new Blob([js], {type: "text/javascript"})));
  const handlers = {};
  window.model = {
    get: (key) => state[key],
    on: (event, f) => (handlers[event] ??= []).push(f),
    off: () => {},
    apply: (update) => {
      Object.assign(state, update);
      for (const key of Object.keys(update)) for (const f of handlers["change:" + key] ?? []) f();
    },
  };
  window.alerted = false;
  window.alert = () => { window.alerted = true; };
  const el = document.createElement("div");
  document.body.append(el);
  module.default.render({model: window.model, el});
  document.querySelector("svg").marker = "first";
}
"""
FILLS = """
() => Object.fromEntries([...document.querySelectorAll("g[data-node]")].map(
  (g) => [g.dataset.node, getComputedStyle(g.querySelector("polygon, ellipse, path")).fill]))
"""
LIT = """
() => [...document.querySelectorAll(".nbp-active, [class*=nbp-running], [class*=nbp-done],"
  + "[class*=nbp-error], [class*=nbp-interrupted], [class*=nbp-cached]")].map((g) => g.id).sort()
"""


@pytest.fixture
def page(chromium_path: str) -> Iterator[Any]:
    """A blank page in Chromium (a ``browser`` test, gated by ``tests/conftest.py``)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        page = browser.new_page()
        page.set_content("<!doctype html><html><body></body></html>")
        yield page
        browser.close()


def mount(page: Any, view: GraphView) -> None:
    js, css = GraphView._esm, (STATIC_DIR / "graph_view.css").read_text()
    state = {key: view.get_state()[key] for key in ("svg", "node_states", "active_edges", "legend")}
    page.evaluate(HARNESS, [js, css, state])


def forward(page: Any, comm: RecordingComm) -> None:
    """Deliver what the widget sent since the last call, as the kernel would."""
    for state in updates(comm):
        page.evaluate("(update) => model.apply(update)", state)
    comm.sent.clear()


@pytest.mark.browser
@pytest.mark.exe
def test_each_state_has_its_own_fill(page: Any, recording_comm: list[RecordingComm]) -> None:
    view = GraphView(chain(6))
    mount(page, view)
    idle = page.evaluate(FILLS)
    assert len(set(idle.values())) == 1
    states = [state for state in NodeState if state is not NodeState.IDLE]
    view.set_step_states({f"n{i}": state for i, state in enumerate(states)})
    forward(page, comm_of(view, recording_comm))
    fills = page.evaluate(FILLS)
    assert len({fills[f"n{i}"] for i in range(len(states))} | set(idle.values())) == 6
    assert fills["n5"] == idle["n5"]


@pytest.mark.browser
@pytest.mark.exe
def test_steps_toggle_classes_on_the_same_svg(
    page: Any, recording_comm: list[RecordingComm]
) -> None:
    view = GraphView(small_graph())
    mount(page, view)
    comm = comm_of(view, recording_comm)
    view.set_step_states({"a": "running"}, ["__start__->a"])
    forward(page, comm)
    assert page.evaluate(LIT) == ["e-__start__-%3Ea", "n-a"]
    view.set_step_states({"a": "done", "b": "running"}, ["b->d"])
    forward(page, comm)
    # the join member, the shared segment and the junction point light up together
    assert page.evaluate(LIT) == ["e-b-%3Ed", "j-b%2Bc-%3Ed", "je-b%2Bc-%3Ed", "n-a", "n-b"]
    assert page.evaluate("() => document.querySelector('#n-a').getAttribute('class')") == (
        "node nbp-node nbp-kind-node nbp-done"
    )
    view.clear_states()
    forward(page, comm)
    assert page.evaluate(LIT) == []
    assert page.evaluate("() => document.querySelector('svg').marker") == "first"
    page.evaluate("() => model.apply({legend: false})")
    assert page.evaluate("() => document.querySelector('.nbp-legend').hidden") is True


@pytest.mark.browser
@pytest.mark.exe
def test_hostile_names_stay_text_in_the_browser(
    page: Any, recording_comm: list[RecordingComm]
) -> None:
    view = GraphView(hostile_graph())
    mount(page, view)
    view.set_step_states(dict.fromkeys(HOSTILE_NAMES, "error"), [f"__start__->{HOSTILE}"])
    forward(page, comm_of(view, recording_comm))
    page.wait_for_timeout(100)
    assert page.evaluate("() => document.querySelectorAll('img, script').length") == 0
    assert page.evaluate("() => window.alerted") is False
    lit = page.evaluate("() => [...document.querySelectorAll('.nbp-error')].length")
    assert lit == len(HOSTILE_NAMES)  # every hostile id found its node, newline included
    labels = page.evaluate("() => [...document.querySelectorAll('text')].map((t) => t.textContent)")
    assert HOSTILE in labels
