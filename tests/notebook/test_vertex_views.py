"""Vertex programs in the notebook layer: tables, highlighting, drawing, export and interrupts.

The run under test is single-source shortest paths with a ``min`` combiner on a small road map
where offers cross (two messages to one vertex in one superstep) and vertices are woken without
improving. What each superstep should do is worked out independently, by a sequential
re-statement of Pregel's rules (:func:`expected_supersteps`), and every table, highlight and
exported step is compared with it.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Final

import pytest
from test_export import Page

from nbpregel import interrupt
from nbpregel.checkpoint import InMemorySaver
from nbpregel.graph.description import DrawableEdge
from nbpregel.notebook import InterruptPrompt, RunView, graph_mimebundle, run, show
from nbpregel.notebook.run import RunStatus
from nbpregel.vertex import Vertex, VertexProgram

pytestmark = pytest.mark.exe  # every view draws its graph with `dot`
TIMEOUT: Final = 20
SVG_NS: Final = "{http://www.w3.org/2000/svg}"
CHANGED_MARK: Final = "\u25cf"
ROADS: Final = {
    "A": {"B": 4, "C": 2},
    "B": {"C": 5, "D": 10},
    "C": {"B": 1, "E": 3},
    "D": {"F": 11},
    "E": {"D": 4, "F": 9},
    "F": {"G": 1},
}
TOWNS: Final = ("A", "B", "C", "D", "E", "F", "G")


def shortest_path(vertex: Vertex, messages: tuple[float, ...]) -> None:
    best = min(messages, default=math.inf)
    improved = best < vertex.value
    if improved:
        vertex.value = best
    if improved or (vertex.superstep == 0 and vertex.value < math.inf):
        for town, length in vertex.edges.items():
            vertex.send(town, vertex.value + length)
    vertex.vote_to_halt()


@dataclasses.dataclass(frozen=True)
class Superstep:
    """What one superstep should do: who runs, what each reads and sends, the values after."""

    active: frozenset[str]
    inbox: dict[str, tuple[float, ...]]  # what each woken vertex reads (combined: one value)
    sent: tuple[tuple[str, str, float], ...]  # (sender, target, offer)
    values: dict[str, float]


def expected_supersteps(roads: dict[str, dict[str, int]], source: str) -> list[Superstep]:
    """Shortest paths by Pregel's rules, sequentially: all vertices run in superstep 0; a message
    arrives in the next superstep and wakes its target; a vertex without mail sleeps; the run
    ends when no message is in flight."""
    towns = {*roads, *(town for targets in roads.values() for town in targets)}
    values = dict.fromkeys(sorted(towns), math.inf) | {source: 0}
    active = frozenset(towns)
    mail: dict[str, list[float]] = {}
    supersteps: list[Superstep] = []
    while active:
        inbox: dict[str, tuple[float, ...]] = {t: (min(mail[t]),) for t in active if t in mail}
        after, sent = dict(values), []
        for town in sorted(active):
            best = min(inbox.get(town, ()), default=math.inf)
            if best < values[town] or (not supersteps and values[town] < math.inf):
                after[town] = min(best, values[town])
                sent += [
                    (town, to, after[town] + length) for to, length in roads.get(town, {}).items()
                ]
            # every vertex votes to halt: only mail brings it back
        supersteps.append(Superstep(active, inbox, tuple(sent), after))
        values, mail = after, {}
        for _, to, offer in sent:
            mail.setdefault(to, []).append(offer)
        active = frozenset(mail)
    return supersteps


EXPECTED: Final = expected_supersteps(ROADS, "A")


def edge_id(source: str, target: str) -> str:
    """The id of the drawn road ``source -> target`` (its label is the length)."""
    return DrawableEdge(source, target, label=str(ROADS[source][target])).id


def message_edges(superstep: Superstep) -> set[str]:
    return {edge_id(sender, to) for sender, to, _ in superstep.sent}


def roads_program() -> VertexProgram:
    return VertexProgram(shortest_path, ROADS, values=math.inf, combiner=min, name="roads")


@pytest.fixture
def roads_view() -> RunView:
    view = run(roads_program().compile(), {"A": 0})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    return view


def test_the_expectation_is_worth_testing() -> None:
    """The road map exercises what the tests are about (else they could pass vacuously)."""
    assert EXPECTED[-1].values == {"A": 0, "B": 3, "C": 2, "D": 9, "E": 5, "F": 14, "G": 15}
    offers_to_d = [offer for _, to, offer in EXPECTED[2].sent if to == "D"]
    assert sorted(offers_to_d) == [9, 13]  # two messages to D in one superstep: combined
    woken_idle = [s.active - {town for town, _, _ in s.sent} for s in EXPECTED[1:]]
    assert "C" in woken_idle[1]  # woken by a message, improved nothing, sent nothing


def test_tasks_per_step_are_the_active_vertices(roads_view: RunView) -> None:
    steps, tasks = roads_view.steps, roads_view.tasks
    assert list(steps.step) == list(range(len(EXPECTED)))
    assert list(steps.n_tasks) == [len(superstep.active) for superstep in EXPECTED]
    assert set(steps.status) == {"done"} and set(tasks.status) == {"ok"}
    for step, superstep in enumerate(EXPECTED):
        ran = tasks[tasks.step == step]
        assert sorted(ran.node) == sorted(superstep.active), step
        assert set(ran.kind) == {"PULL"}
        for task in ran.itertuples():
            woken_by = "__activate__" if step == 0 else f"inbox:{task.node}"
            assert task.triggers == (woken_by,), (step, task.node)
            assert task.input["__superstep__"] == step
            assert task.input.get(f"inbox:{task.node}") == superstep.inbox.get(task.node)


def test_writes_are_the_messages_and_the_improved_distances(roads_view: RunView) -> None:
    writes = roads_view.writes
    inbox = writes.channel.str.startswith("inbox:")
    messages = Counter(
        (row.step, row.node, row.channel, row.value) for row in writes[inbox].itertuples()
    )
    assert messages == Counter(
        (step, sender, f"inbox:{to}", offer)
        for step, superstep in enumerate(EXPECTED)
        for sender, to, offer in superstep.sent
    )
    values = [(row.step, row.node, row.value) for row in writes[~inbox].itertuples()]
    assert all(row.channel == row.node for row in writes[~inbox].itertuples())
    before = dict.fromkeys(TOWNS, math.inf) | {"A": 0}
    improved = []
    for step, superstep in enumerate(EXPECTED):
        improved += [(step, t, v) for t, v in superstep.values.items() if v != before[t]]
        before = superstep.values
    assert sorted(values) == sorted(improved)


def test_state_and_diff_show_the_distances_improving(roads_view: RunView) -> None:
    before = dict.fromkeys(TOWNS, math.inf) | {"A": 0}
    for step, superstep in enumerate(EXPECTED):
        assert roads_view.state(step) == superstep.values, step
        diff = roads_view.diff(step)
        assert (diff.added, diff.removed) == ({}, {})
        assert diff.changed == {
            town: (before[town], value)
            for town, value in superstep.values.items()
            if value != before[town]
        }
        assert all(new < old for old, new in diff.changed.values())  # distances only shrink
        before = superstep.values
    channels = roads_view.channels
    assert set(channels.channel) == set(TOWNS)  # inboxes and counters are not the state


@pytest.mark.parametrize("step", range(len(EXPECTED)))
def test_show_step_lights_the_computing_vertices_and_the_message_edges(
    roads_view: RunView, step: int
) -> None:
    roads_view.show_step(step)
    superstep = EXPECTED[step]
    assert roads_view.graph_view.node_states == dict.fromkeys(superstep.active, "done")
    assert sorted(roads_view.graph_view.active_edges) == sorted(message_edges(superstep))


def test_the_slider_shows_the_same_as_show_step(roads_view: RunView) -> None:
    roads_view.slider.value = 2
    assert set(roads_view.graph_view.node_states) == EXPECTED[2].active
    assert "<td>inbox:D</td>" in roads_view.writes_html.value
    assert roads_view.state_html.value.count('class="nbp-changed"') == 3  # B, D and E improved


def svg_elements(svg_text: str) -> tuple[dict[str, ET.Element], dict[str, ET.Element]]:
    """The SVG's node groups by ``data-node`` and edge groups by ``data-edge``."""
    groups = list(ET.fromstring(svg_text).iter(f"{SVG_NS}g"))
    nodes = {g.attrib["data-node"]: g for g in groups if "data-node" in g.attrib}
    edges = {g.attrib["data-edge"]: g for g in groups if "data-edge" in g.attrib}
    return nodes, edges


def test_show_draws_an_element_per_vertex_and_per_edge() -> None:
    program = roads_program()
    view = show(program.compile())
    nodes, edges = svg_elements(view.svg)
    assert set(nodes) == set(TOWNS) == set(program.vertices)
    expected_edges = {edge_id(source, target) for source in ROADS for target in ROADS[source]}
    assert set(edges) == expected_edges and len(edges) == 10
    for source, targets in ROADS.items():
        for target, length in targets.items():
            texts = [text.text for text in edges[edge_id(source, target)].iter(f"{SVG_NS}text")]
            assert texts == [str(length)], (source, target)
    assert all("nbp-node" in g.attrib["class"].split() for g in nodes.values())
    bundle = graph_mimebundle(program.compile())
    assert bundle["text/plain"] == "<graph 'roads': 7 nodes, 10 edges>"


def test_int_vertex_ids_are_drawn_and_lit_by_name() -> None:
    """Ids given as ints are named by ``str``: the message to ``2`` lights the edge into "2"."""

    def hop(vertex: Vertex, messages: tuple[int, ...]) -> None:
        if vertex.superstep == 0 and vertex.id == "1":
            vertex.send(2, 1)
        vertex.vote_to_halt()

    view = run(VertexProgram(hop, [(1, 2), (2, 3)], values=0).compile(), {})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.graph_view.wait_layout(TIMEOUT)  # nb.run lays the graph out in the background
    nodes, edges = svg_elements(view.graph_view.svg)
    assert set(nodes) == {"1", "2", "3"} and set(edges) == {"1->2", "2->3"}
    view.show_step(0)
    assert view.graph_view.active_edges == ["1->2"]
    view.show_step(1)
    assert (view.graph_view.node_states, view.graph_view.active_edges) == ({"2": "done"}, [])


def test_export_replays_every_superstep(roads_view: RunView, tmp_path: Path) -> None:
    path = roads_view.export_html(tmp_path / "roads.html")
    page = Page(path.read_text(encoding="utf-8"))
    drawing = re.search(r"<svg .*?</svg>", path.read_text(encoding="utf-8"), re.DOTALL)
    assert drawing is not None
    nodes, edges = svg_elements(drawing[0])
    assert set(nodes) == set(TOWNS) and len(edges) == 10
    (root,) = json.loads(page.scripts["nbp-data"])["runs"]
    assert [step["step"] for step in root["steps"]] == list(range(len(EXPECTED)))
    before = dict.fromkeys(TOWNS, math.inf) | {"A": 0}
    for exported, superstep in zip(root["steps"], EXPECTED, strict=True):
        assert exported["status"] == "done"
        assert exported["nodes"] == dict.fromkeys(superstep.active, "done")
        assert sorted(exported["edges"]) == sorted(message_edges(superstep))
        assert sorted(row[0] for row in exported["tasks"]) == sorted(superstep.active)
        sent = sorted(row for row in exported["writes"] if row[1].startswith("inbox:"))
        assert sent == sorted([s, f"inbox:{t}", repr(offer)] for s, t, offer in superstep.sent)
        state = {key: (mark, value) for mark, key, value in exported["state"]}
        assert state == {
            town: (CHANGED_MARK if value != before[town] else "", repr(value))
            for town, value in superstep.values.items()
        }
        before = superstep.values


# -- an interrupt inside compute --------------------------------------------------------------

UNKNOWN_ROAD: Final = {"A": {"B": 4, "C": 2}, "B": {"D": None}, "C": {"D": 7}}
"""``B -> D`` has no known length: ``B`` asks for it when it first passes a path on."""


def test_an_interrupt_in_compute_is_answered_through_the_view() -> None:
    calls: list[tuple[int, str]] = []

    def ask_for_lengths(vertex: Vertex, messages: tuple[float, ...]) -> None:
        calls.append((vertex.superstep, vertex.id))
        best = min(messages, default=math.inf)
        improved = best < vertex.value
        if improved:
            vertex.value = best
        if improved or (vertex.superstep == 0 and vertex.value < math.inf):
            for town, length in vertex.edges.items():
                if length is None:
                    length = interrupt({"question": f"length of {vertex.id}->{town}?"})
                vertex.send(town, vertex.value + length)
        vertex.vote_to_halt()

    program = VertexProgram(ask_for_lengths, UNKNOWN_ROAD, values=math.inf, combiner=min)
    view = run(program.compile(checkpointer=InMemorySaver()), {"A": 0})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    (asked,) = view.interrupts.itertuples()
    assert (asked.step, asked.node, asked.value) == (1, "B", {"question": "length of B->D?"})
    step_1 = view.tasks[view.tasks.step == 1]
    assert dict(zip(step_1.node, step_1.status, strict=True)) == {"B": "interrupted", "C": "ok"}
    assert view.graph_view.node_states == {"B": "interrupted", "C": "done"}
    assert view.graph_view.active_edges == ["C->D[7]"]  # B's message was not sent
    (prompt,) = view.prompts.children
    assert isinstance(prompt, InterruptPrompt)

    view.resume(1)
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {"A": 0, "B": 4, "C": 2, "D": 5}  # 4 + the answer beats C's 2 + 7
    assert list(view.interrupts.answer) == [1]
    assert Counter(calls) == Counter(
        {(0, "A"): 1, (0, "B"): 1, (0, "C"): 1, (0, "D"): 1, (1, "B"): 2, (1, "C"): 1, (2, "D"): 1}
    )  # only the interrupted vertex ran again
    view.show_step(1)
    assert view.graph_view.node_states == {"B": "done", "C": "done"}
    assert sorted(view.graph_view.active_edges) == ["B->D", "C->D[7]"]
    assert view.prompts.children == ()
