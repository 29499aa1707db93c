"""``vertex_tables``: a vertex program's recorded run as messages, aggregates, values, activity.

Every table is checked against the recording's generic tables (``run.writes``, ``run.tasks``,
``run.state``), against what the vertices themselves read (the combined inbox, the aggregator
results), and, for the final values, against NetworkX.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypedDict

import networkx as nx
import pandas as pd
import pytest
from test_vertex_views import ROADS, shortest_path

import nbpregel
from nbpregel import END, START, StateGraph
from nbpregel.checkpoint import InMemorySaver
from nbpregel.errors import GraphRecursionError
from nbpregel.notebook import Recorder, VertexTables, vertex_tables
from nbpregel.notebook.run import Run, RunStatus
from nbpregel.vertex import Vertex, VertexProgram

TIMEOUT: Final = 30
LINKS: Final = [("c", "a"), ("c", "e"), ("e", "d"), ("d", "b"), ("e", "b"), ("g", "f")]
WEB: Final = {
    "home": ["about", "blog", "shop"],
    "about": ["home"],
    "blog": ["home", "post"],
    "post": ["blog", "shop"],
    "shop": ["cart"],
    "cart": ["home", "shop"],
}
DAMPING: Final = 0.85
TOLERANCE: Final = 1e-10
DTYPES: Final = {
    "messages": {
        "step": "int64",
        "sender": "category",
        "receiver": "category",
        "value": "object",
        "delivered_in": "Int64",
    },
    "active": {"step": "int64", "ran": "object", "awake": "object", "halted_all": "bool"},
}


def smallest_label(vertex: Vertex, messages: tuple[str, ...]) -> None:
    smallest = min(messages, default=vertex.value)
    if smallest < vertex.value:
        vertex.value = smallest
        vertex.send_to_neighbors(smallest)
    elif vertex.superstep == 0:
        vertex.send_to_neighbors(vertex.value)
    vertex.vote_to_halt()


def pagerank(seen: dict[int, set[tuple[str, Any]]]) -> Callable[[Vertex, tuple[float, ...]], None]:
    """The notebook's PageRank, noting in ``seen`` what each superstep's vertices read."""
    lock = threading.Lock()

    def compute(vertex: Vertex, messages: tuple[float, ...]) -> None:
        with lock:
            for name in ("change", "total"):
                seen[vertex.superstep].add((name, vertex.aggregated(name)))
        if vertex.superstep > 0:
            rank = (1 - DAMPING) / vertex.num_vertices + DAMPING * sum(messages)
            vertex.aggregate("change", abs(rank - vertex.value))
            vertex.aggregate("total", rank)
            vertex.value = rank
        if vertex.superstep > 1 and vertex.aggregated("change") < TOLERANCE:
            vertex.vote_to_halt()
            return
        vertex.send_to_neighbors(vertex.value / len(vertex.edges))

    return compute


def ranking(compute: Callable[..., None], links: dict[str, list[str]]) -> VertexProgram:
    return VertexProgram(
        compute,
        links,
        values=1 / len(links),
        combiner=operator.add,
        aggregators={"change": max, "total": operator.add},
        name="pagerank",
    )


def finished(graph: Any, values: Any, **kwargs: Any) -> Run:
    """A background run of ``graph`` (no view: no widgets, no ``dot``), waited for."""
    background = Run(graph, **kwargs)
    background.start(values)
    background.wait(TIMEOUT)
    return background


def assert_dtypes(tables: VertexTables) -> None:
    for name, dtypes in DTYPES.items():
        frame = getattr(tables, name)
        assert {column: str(dtype) for column, dtype in frame.dtypes.items()} == dtypes, name
    for frame, columns in (
        (tables.aggregates, tables.aggregators),
        (tables.values, tables.vertices),
    ):
        assert list(frame.columns) == list(columns)
        assert frame.index.name == "step" and str(frame.index.dtype) == "int64"
        assert all(str(dtype) == "object" for dtype in frame.dtypes)
    messages = tables.messages
    for column in ("sender", "receiver"):
        assert list(messages[column].cat.categories) == list(tables.vertices)


def inbox_writes(background: Run) -> pd.DataFrame:
    """The messages as the generic ``writes`` table shows them."""
    writes = background.recorder.writes
    inbox = writes[writes.channel.astype(str).str.startswith("inbox:")]
    return pd.DataFrame(
        {
            "step": inbox.step.to_list(),
            "sender": inbox.node.astype(str).to_list(),
            "receiver": inbox.channel.astype(str).str.removeprefix("inbox:").to_list(),
            "value": inbox.value.to_list(),
        }
    )


def assert_values_are_the_states(background: Run, tables: VertexTables) -> None:
    values = tables.values
    assert list(values.index) == background.recorder.step_numbers()
    for step in values.index:
        assert values.loc[step].to_dict() == background.recorder.state(step)


def assert_active_matches_tasks(background: Run, tables: VertexTables) -> None:
    tasks, writes = background.recorder.tasks, background.recorder.writes
    awake_writes = writes[writes.channel.astype(str).str.startswith("awake:")]
    active = tables.active
    assert active.step.to_list() == background.recorder.step_numbers()
    for row in active.itertuples():
        assert set(row.ran) == set(tasks[tasks.step == row.step].node.astype(str))
        assert list(row.ran) == [v for v in tables.vertices if v in row.ran]  # program order
        assert set(row.awake) == set(awake_writes[awake_writes.step == row.step].node.astype(str))
        assert set(row.awake) <= set(row.ran)
        assert row.halted_all == (not row.awake)


def test_shortest_paths() -> None:
    program = VertexProgram(shortest_path, ROADS, values=math.inf, combiner=min)
    background = finished(program.compile(), {"A": 0})
    assert background.status is RunStatus.DONE
    tables = vertex_tables(background)
    assert_dtypes(tables)
    messages = tables.messages
    expected = inbox_writes(background)
    assert not expected.empty
    pd.testing.assert_frame_equal(
        messages[["step", "sender", "receiver", "value"]].astype({"sender": str, "receiver": str}),
        expected,
        check_dtype=False,
    )
    # Every message reached its receiver the superstep after: the combined inbox it read is the
    # ``min`` of the messages the table lists (before the combiner).
    assert (messages.delivered_in == messages.step + 1).all()
    tasks = background.recorder.tasks
    for (step, receiver), sent in messages.groupby(["delivered_in", "receiver"], observed=True):
        read = tasks[(tasks.step == step) & (tasks.node == receiver)].input.item()
        assert read[f"inbox:{receiver}"] == (min(sent.value),)
    assert_values_are_the_states(background, tables)
    assert_active_matches_tasks(background, tables)
    assert tables.active.halted_all.all()  # every compute votes to halt
    roads = nx.DiGraph([(a, b, {"w": w}) for a, out in ROADS.items() for b, w in out.items()])
    assert tables.values.iloc[-1].to_dict() == nx.single_source_dijkstra_path_length(
        roads, "A", weight="w"
    )
    assert tables.aggregates.shape == (len(tables.values), 0)


def test_connected_components_with_a_combiner() -> None:
    both_ways = [(x, y) for a, b in LINKS for x, y in ((a, b), (b, a))]
    program = VertexProgram(
        smallest_label, both_ways, vertices=["h"], values=lambda name: name, combiner=min
    )
    background = finished(program.compile(), {})
    tables = vertex_tables(background)
    assert_dtypes(tables)
    assert_values_are_the_states(background, tables)
    assert_active_matches_tasks(background, tables)
    assert tables.active.ran[0] == tuple(program.vertices)
    links = nx.Graph(LINKS)
    links.add_node("h")
    by_search = {vertex: min(part) for part in nx.connected_components(links) for vertex in part}
    assert tables.values.iloc[-1].to_dict() == by_search
    # A vertex that speaks tells all its neighbours the same label; h, alone, never speaks.
    messages = tables.messages
    for (_, sender), sent in messages.groupby(["step", "sender"], observed=True):
        assert set(sent.receiver) == set(links[sender]) and sent.value.nunique() == 1
    assert "h" not in set(messages.sender) | set(messages.receiver)
    assert len(messages) == len(inbox_writes(background))


def test_pagerank_aggregates_are_what_the_vertices_read() -> None:
    seen: dict[int, set[tuple[str, Any]]] = defaultdict(set)
    program = ranking(pagerank(seen), WEB)
    background = finished(program.compile(), {})
    tables = vertex_tables(background)
    assert_dtypes(tables)
    aggregates = tables.aggregates
    assert list(aggregates.index) == background.recorder.step_numbers()
    # What every vertex read in a superstep is the table's row for the superstep before.
    for step in aggregates.index[1:]:
        row = aggregates.loc[step - 1]
        assert seen[step] == {("change", row["change"]), ("total", row["total"])}
    assert aggregates.loc[0].isna().all()  # superstep 0 contributes nothing
    writes = background.recorder.writes
    for name, fold in (("change", max), ("total", operator.add)):
        rows = writes[writes.channel == f"aggregate:{name}"]
        by_hand = rows.groupby("step").value.agg(functools.partial(functools.reduce, fold))
        assert by_hand.to_dict() == aggregates[name].dropna().to_dict()
    changes = aggregates["change"].dropna()
    assert changes.iloc[-2] < TOLERANCE <= changes.iloc[-3]
    active = tables.active
    assert_active_matches_tasks(background, tables)
    assert all(ran == tuple(program.vertices) for ran in active.ran)
    assert not active.halted_all.iloc[:-1].any() and active.halted_all.iloc[-1]
    links = sum(len(targets) for targets in WEB.values())
    sent = tables.messages.groupby("step").size()
    assert (sent == links).all() and list(sent.index) == list(active.step.iloc[:-1])
    expected = nx.pagerank(
        nx.DiGraph([(a, b) for a, out in WEB.items() for b in out]), alpha=DAMPING, tol=1e-15
    )
    final = tables.values.iloc[-1]
    assert max(abs(final[page] - expected[page]) for page in WEB) < 1e-8


def test_a_paused_run_with_a_checkpointer_fills_in_after_resume() -> None:
    """While paused, the messages in flight are not delivered; after ``resume`` the same
    tables (not a stale cache) show them delivered, and the values match the checkpoints."""
    program = VertexProgram(shortest_path, ROADS, values=math.inf, combiner=min)
    graph = program.compile(checkpointer=InMemorySaver(), interrupt_after=["A"])
    background = finished(graph, {"A": 0})
    assert background.status is RunStatus.INTERRUPTED
    tables = vertex_tables(background)
    paused = tables.messages
    assert paused.step.to_list() == [0, 0] and paused.delivered_in.isna().all()
    assert list(tables.values.index) == [0]
    background.resume()
    assert background.wait(TIMEOUT) is RunStatus.DONE
    messages = tables.messages
    assert len(messages) > len(paused) and messages.delivered_in.notna().all()
    assert list(tables.values.index) == background.recorder.step_numbers()
    history = graph.get_state_history(background.config)
    saved = {snapshot.metadata["step"]: snapshot.values for snapshot in history}
    for step, row in tables.values.iterrows():
        assert row.to_dict() == saved[step]
    assert_dtypes(tables)
    assert_active_matches_tasks(background, tables)


def test_a_run_cut_by_the_recursion_limit_leaves_the_last_messages_undelivered() -> None:
    program = ranking(pagerank(defaultdict(set)), WEB)
    background = finished(program.compile(max_supersteps=4), {})
    assert background.status is RunStatus.ERROR
    assert isinstance(background.error, GraphRecursionError)
    messages = vertex_tables(background).messages
    last = messages.step == messages.step.max()
    assert messages[last].delivered_in.isna().all()
    assert (messages[~last].delivered_in == messages[~last].step + 1).all()


def test_a_run_without_messages() -> None:
    def double(vertex: Vertex, messages: tuple[Any, ...]) -> None:
        vertex.value = vertex.value * 2
        if vertex.superstep == 2:
            vertex.vote_to_halt()

    program = VertexProgram(double, vertices=[1, 2, 3], values=lambda name: int(name))
    background = finished(program.compile(), {})
    tables = vertex_tables(background)
    assert_dtypes(tables)
    assert tables.messages.empty and list(tables.messages.columns) == list(DTYPES["messages"])
    assert tables.values.to_dict("list") == {"1": [2, 4, 8], "2": [4, 8, 16], "3": [6, 12, 24]}
    assert tables.active.awake.to_list() == [("1", "2", "3"), ("1", "2", "3"), ()]
    assert_values_are_the_states(background, tables)
    assert_active_matches_tasks(background, tables)


def test_a_recorder_needs_its_graph_and_gives_the_same_tables() -> None:
    graph = VertexProgram(shortest_path, ROADS, values=math.inf, combiner=min).compile()
    recorder = Recorder()
    modes = list(Recorder.stream_modes(graph))
    for chunk in graph.stream({"A": 0}, stream_mode=modes, subgraphs=True):
        recorder.record(chunk)
    with pytest.raises(TypeError, match="graph=the compiled VertexProgram"):
        vertex_tables(recorder)
    from_recorder = vertex_tables(recorder, graph)
    from_run = vertex_tables(finished(graph, {"A": 0}))
    for name in ("messages", "aggregates", "values", "active"):
        pd.testing.assert_frame_equal(getattr(from_recorder, name), getattr(from_run, name))


class _Text(TypedDict):
    text: str


def test_a_graph_that_is_not_a_vertex_program_is_refused() -> None:
    builder = StateGraph(_Text)
    builder.add_node("shout", lambda state: {"text": state["text"].upper()})
    builder.add_edge(START, "shout").add_edge("shout", END)
    background = finished(builder.compile(), {"text": "hi"})
    with pytest.raises(TypeError, match=r"CompiledStateGraph: run VertexProgram\(\.\.\.\)"):
        vertex_tables(background)
    with pytest.raises(TypeError, match="got str"):
        vertex_tables("run")
    graph = VertexProgram(shortest_path, ROADS, values=math.inf).compile()
    with pytest.raises(TypeError, match="graph= is for a Recorder only"):
        vertex_tables(background, graph)


@pytest.mark.exe  # the view draws its graph with `dot`
def test_the_view_nb_run_returns() -> None:
    graph = VertexProgram(smallest_label, [("x", "y"), ("y", "x")], values=str).compile()
    view = nbpregel.run(graph, {})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert nbpregel.vertex_tables is vertex_tables
    tables = nbpregel.vertex_tables(view)
    assert tables.recorder is view.run.recorder
    assert tables.values.iloc[-1].to_dict() == {"x": "x", "y": "x"}
    assert "2 vertices" in repr(tables)


def readme_contract() -> dict[str, list[tuple[str, str]]]:
    """What the README's vertex tables contract lists: per table, (column, dtype) in order; an
    index is ``index:<name>``, a column per aggregator or vertex is ``*``."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Vertex tables (public contract)", 1)[1].split("\n## ", 1)[0]
    contract: dict[str, list[tuple[str, str]]] = {}
    table = ""
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or cells[2] in ("", "dtype", "---"):
            continue
        table = cells[0].strip("`").removeprefix("tables.") or table
        if cells[1].startswith("one column per"):
            names = ["*"]
        else:
            prefix = "index:" if cells[1].startswith("index") else ""
            names = [prefix + name for name in re.findall(r"`(\w+)`", cells[1])]
        dtypes = [dtype.strip() for dtype in cells[2].split(",")]
        contract.setdefault(table, []).extend(
            zip(names, dtypes * len(names) if len(dtypes) == 1 else dtypes, strict=True)
        )
    return contract


def test_readme_documents_every_column_and_dtype() -> None:
    tables = vertex_tables(finished(ranking(pagerank(defaultdict(set)), WEB).compile(), {}))
    actual: dict[str, list[tuple[str, str]]] = {}
    for name in ("messages", "aggregates", "values", "active"):
        frame = getattr(tables, name)
        if isinstance(frame.index, pd.RangeIndex):
            actual[name] = [(str(column), str(dtype)) for column, dtype in frame.dtypes.items()]
        else:
            dtypes = {str(dtype) for dtype in frame.dtypes}
            assert len(dtypes) == 1, name
            actual[name] = [(f"index:{frame.index.name}", str(frame.index.dtype)), ("*", *dtypes)]
    assert readme_contract() == actual
