"""``nb.run`` opens its view at once even when ``dot`` is slow: the graph is laid out on a
thread, a note shows meanwhile, and the SVG is sent once laid out, lit as the run is.

``dot`` here is the real program behind a wrapper that waits first (:func:`slow_dot`), so that
"slow" is certain on any machine.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path
from typing import Final

import pytest
from drawing_samples import counting_dot, small_graph
from run_graphs import fanout_graph
from test_graph_view import comm_of, updates
from widget_comm import RecordingComm

from nbpregel.notebook import RunView, run, svg
from nbpregel.notebook.graph_view import LAYING_OUT, GraphView
from nbpregel.notebook.run import RunStatus
from nbpregel.notebook.svg import GraphvizNotFoundError, GraphvizRenderError

pytestmark = pytest.mark.exe
DELAY_S: Final = 2.0
TIMEOUT: Final = 30


def slow_dot(directory: Path, monkeypatch: pytest.MonkeyPatch, script: str) -> None:
    """Put first on ``PATH`` a ``dot`` that runs ``script`` (a shell line; ``$DOT`` is the
    real program)."""
    real = shutil.which("dot")
    assert real is not None, "these tests need Graphviz's dot"
    wrapper = directory / "dot"
    wrapper.write_text(f'#!/bin/sh\nDOT="{real}"\n{script}\n', encoding="utf-8")
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def delayed_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None) -> None:
    slow_dot(tmp_path, monkeypatch, f'sleep {DELAY_S}\nexec "$DOT" "$@"')


def test_a_view_opens_before_its_graph_is_laid_out(delayed_dot: None) -> None:
    started = time.monotonic()
    view = run(fanout_graph(), {"topic": "x"})
    assert time.monotonic() - started < DELAY_S  # returned while dot was still at work
    graph_view = view.graph_view
    assert graph_view.laying_out and not graph_view.drawn
    assert "Laying the graph out" in graph_view.svg and 'class="nbp-laying-out"' in graph_view.svg
    assert graph_view.legend is False
    # the run goes on meanwhile, and its steps light the graph's nodes already
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    lit = dict(graph_view.node_states)
    assert lit and graph_view.laying_out
    assert graph_view.wait_layout(TIMEOUT)
    assert graph_view.drawn and not graph_view.laying_out and graph_view.legend is True
    assert "data-node=" in graph_view.svg and LAYING_OUT not in graph_view.svg
    assert graph_view.node_states == lit  # the SVG arrives lit as the step shown
    view.slider.value = 0
    assert graph_view.node_states == {"__start__": "done"}


def test_dot_runs_once_when_an_export_needs_the_layout_meanwhile(
    delayed_dot: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    runs = counting_dot(monkeypatch)
    view = run(fanout_graph(), {"topic": "x"})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert view.graph_view.laying_out
    page = view.export_html(tmp_path / "run.html").read_text(encoding="utf-8")  # waits for it
    assert "data-node=" in page
    assert view.graph_view.wait_layout(TIMEOUT) and view.graph_view.drawn
    assert len(runs) == 1
    assert svg.cache_info().misses == 1
    again = RunView(view.run)  # laid out already: drawn at once, no thread
    assert again.graph_view.drawn and not again.graph_view.laying_out
    assert len(runs) == 1


def test_a_failure_of_dot_in_the_background_is_shown_in_place_of_the_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None
) -> None:
    slow_dot(tmp_path, monkeypatch, "echo 'Error: out of <memory>' >&2\nexit 3")
    view = run(fanout_graph(), {"topic": "x"})
    assert view.wait(TIMEOUT) is RunStatus.INTERRUPTED
    assert view.graph_view.wait_layout(TIMEOUT)
    graph_view = view.graph_view
    assert isinstance(graph_view.drawing_error, GraphvizRenderError)
    assert not graph_view.drawn and graph_view.legend is False
    assert "exit status 3" in graph_view.svg and "out of &lt;memory&gt;" in graph_view.svg
    assert graph_view.node_states == {} and graph_view.active_edges == []
    assert len(view.tasks) > 0  # the tables are whole
    view.slider.value = 0  # nothing to light, and no error
    assert graph_view.node_states == {}


def test_without_background_the_view_waits_for_dot_and_raises_its_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None
) -> None:
    slow_dot(tmp_path, monkeypatch, "exit 3")
    with pytest.raises(GraphvizRenderError, match="exit status 3"):
        GraphView(small_graph())


def test_a_missing_dot_is_said_at_once_not_in_the_background(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_svg_cache: None
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        run(fanout_graph(), {"topic": "x"})
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        GraphView(small_graph(), background=True)


def test_states_set_while_laying_out_are_checked_against_the_graph(delayed_dot: None) -> None:
    view = GraphView(small_graph(), background=True)
    assert view.laying_out
    view.set_step_states({"a": "running"}, ["__start__->a"])
    with pytest.raises(ValueError, match="has no node 'nope'"):
        view.set_step_states({"nope": "done"})
    assert view.wait_layout(TIMEOUT) and view.drawn
    assert view.node_states == {"a": "running"} and view.active_edges == ["__start__->a"]


def test_the_svg_is_sent_once_more_when_laid_out(
    delayed_dot: None, recording_comm: list[RecordingComm]
) -> None:
    view = GraphView(small_graph(), background=True)
    comm = comm_of(view, recording_comm)
    opened = comm.opened_with["data"]["state"]
    assert LAYING_OUT in opened["svg"] and opened["legend"] is False
    view.set_step_states({"a": "done"})
    assert view.wait_layout(TIMEOUT)
    # the states went out at once; then the SVG and the legend, in one message
    assert updates(comm) == [
        {"node_states": {"a": "done"}},
        {"svg": view.svg, "legend": True},
    ]
    assert 'data-node="a"' in view.svg
