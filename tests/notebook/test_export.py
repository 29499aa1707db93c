"""export_html: one self-contained page, every value escaped, the replay working in a browser."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pages import open_page
from run_graphs import HOSTILE, HOSTILE_NODE, fanout_graph, hostile_graph

from nbpregel.notebook import Recorder, run
from nbpregel.notebook.export import export_html, replay_data
from nbpregel.notebook.run import RunStatus

pytestmark = pytest.mark.exe
URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "data", "poster"}


class Page(HTMLParser):
    """The tags of a page, its URL-bearing attributes and the text of its scripts."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.scripts: dict[str, str] = {}
        self._script: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [value or "" for name, value in attrs if name in URL_ATTRIBUTES]
        if tag == "script":
            self._script = dict(attrs).get("id") or f"script-{len(self.scripts)}"
            self.scripts[self._script] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self.scripts[self._script] += data


@pytest.fixture
def hostile_page(tmp_path: Path) -> tuple[Path, Any]:
    view = run(hostile_graph(), {"count": 0, "text": HOSTILE})
    assert view.wait(20) is RunStatus.DONE
    return view.export_html(tmp_path / "hostile.html"), view


def test_page_loads_nothing_and_runs_no_hostile_markup(hostile_page: tuple[Path, Any]) -> None:
    path, _ = hostile_page
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    assert [url for url in page.urls if re.match(r"\s*(https?:)?//", url)] == []
    assert page.tags.count("script") == 2  # the data and the replay script, nothing injected
    assert "img" not in page.tags and "iframe" not in page.tags and "link" not in page.tags
    assert HOSTILE not in text and HOSTILE_NODE not in text
    assert not re.search(r"\bimport\s*\(|\bfetch\s*\(|XMLHttpRequest", page.scripts["script-1"])


def test_embedded_json_parses_and_holds_the_values(hostile_page: tuple[Path, Any]) -> None:
    path, view = hostile_page
    page = Page(path.read_text(encoding="utf-8"))
    data = json.loads(page.scripts["nbp-data"])
    (root,) = data["runs"]  # no subgraph ran: the root graph's run only
    assert (root["ns"], root["label"]) == ("", "root graph")
    assert [step["step"] for step in root["steps"]] == list(view.steps.step)
    last = root["steps"][-1]
    assert last["nodes"] == {HOSTILE_NODE: "done", "__end__": "done"}
    assert last["edges"] == [f"{HOSTILE_NODE}->__end__"]
    assert ["\u25cf", "text", repr(HOSTILE)] in last["state"]
    assert last["tasks"][0][:3] == [HOSTILE_NODE, "PULL", "ok"]


def test_replay_data_per_step_matches_the_view(tmp_path: Path) -> None:
    view = run(fanout_graph(), {"topic": "x"})
    assert view.wait(20) is RunStatus.INTERRUPTED
    (root,) = replay_data(view.run.recorder, view.run.graph)["runs"]
    for step in root["steps"]:
        view.slider.value = step["step"]
        assert step["nodes"] == view.graph_view.node_states
        assert step["edges"] == view.graph_view.active_edges
    assert root["steps"][-1]["state"] is None  # the interrupted step saved no state
    assert root["steps"][-1]["status"] == "interrupted"


def test_an_empty_recorder_exports_a_page(tmp_path: Path) -> None:
    path = export_html(Recorder(), hostile_graph(), tmp_path / "empty.html")
    page = Page(path.read_text(encoding="utf-8"))
    assert json.loads(page.scripts["nbp-data"])["runs"] == [
        {"ns": "", "label": "root graph", "steps": []}
    ]


# -- the page in Chromium -----------------------------------------------------------------------


LIT = """() => Object.fromEntries([...document.querySelectorAll("g[data-node]")]
  .filter((g) => [...g.classList].some(
    (c) => /^nbp-(running|done|error|interrupted|cached)$/.test(c)))
  .map((g) => [g.dataset.node, g.getAttribute("class")]))"""
ACTIVE = """() => [...document.querySelectorAll("g.nbp-active[data-edge]")]
  .map((g) => g.dataset.edge)"""


@pytest.mark.browser
def test_replay_in_a_browser(hostile_page: tuple[Path, Any], browser: Any) -> None:
    path, _ = hostile_page
    page, problems = open_page(browser, path)
    page.wait_for_timeout(100)
    assert problems == []
    assert page.is_hidden("[data-role=graph-choice]")  # no subgraph ran: nothing to choose
    lit = page.evaluate(LIT)
    assert set(lit) == {HOSTILE_NODE, "__end__"} and "nbp-done" in lit[HOSTILE_NODE]
    assert page.evaluate(ACTIVE) == [f"{HOSTILE_NODE}->__end__"]
    state = page.inner_text("[data-role=state]")
    assert repr(HOSTILE) in state
    page.evaluate(
        "() => { const s = document.querySelector('[data-role=slider]');"
        " s.value = 0; s.dispatchEvent(new Event('input')); }"
    )
    assert set(page.evaluate(LIT)) == {"__start__"}
    assert page.evaluate(ACTIVE) == [f"__start__->{HOSTILE_NODE}"]
    assert page.inner_text("[data-role=label]") == "step 0 (done)"
    page.click("[data-role=play]")
    page.wait_for_function("() => document.querySelector('[data-role=slider]').value === '1'")
    assert page.evaluate("() => document.querySelectorAll('script, img').length") == 2
    assert problems == []


@pytest.mark.browser
def test_an_empty_recording_replays_nothing(browser: Any, tmp_path: Path) -> None:
    path = export_html(Recorder(), hostile_graph(), tmp_path / "empty.html")
    page, problems = open_page(browser, path)
    assert page.inner_text("[data-role=label]") == "no step recorded"
    assert page.evaluate(LIT) == {} and page.evaluate(ACTIVE) == []
    assert page.is_hidden("[data-role=graph-choice]")
    page.click("[data-role=play]")  # nothing to play: it stops at once
    page.wait_for_function(
        "() => document.querySelector('[data-role=play]').textContent.includes('play')"
    )
    assert problems == []
