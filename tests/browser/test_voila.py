"""The widgets in a real browser: notebooks rendered by Voila, driven by Chromium.

What a unit test with a fake comm cannot see is checked here: that the front-end code draws the
SVG, that a slider moved by a person reaches the kernel and comes back as CSS classes whose
colors are the ones in the stylesheet, that a button click resumes a run, and that markup hidden
in names and values stays text.
"""

from __future__ import annotations

import pathlib
import re
import shutil
from collections.abc import Callable, Sequence
from typing import Any, Final

import pytest

from nbpregel.notebook._ids import xml_text

from ._cells import (
    EVIL_NODE,
    EVIL_OPTION,
    EVIL_QUESTION,
    EVIL_VALUE,
    HOSTILE_GRAPH,
    LOOP_GRAPH,
    REVIEW_GRAPH,
    REVIEW_STEPS,
    RUN_LOOP,
    SHOW,
    build,
    run_cell,
)
from ._support import (
    LIT_NODES_JS,
    REPO_ROOT,
    PageEvents,
    VoilaServer,
    injected_markup,
    lit_nodes,
)

pytestmark = [pytest.mark.browser, pytest.mark.exe]  # Chromium, and `dot` for the drawings

STYLESHEET: Final = REPO_ROOT / "nbpregel" / "notebook" / "static" / "graph_view.css"
TOUR: Final = REPO_ROOT / "notebooks" / "01_tour.ipynb"
UPDATE_TIMEOUT_MS: Final = 15_000
"""How long a change may take to go browser -> kernel -> browser."""
RUN_VIEW: Final = ".nbp-run-view"

MakeNotebook = Callable[[str, Sequence[str]], str]
Page = tuple[Any, PageEvents]

_FILL_JS: Final = """
(g) => getComputedStyle(g.querySelector(":scope > polygon, :scope > ellipse, :scope > path")).fill
"""


def _open(page: Any, url: str, selector: str) -> Any:
    """Load a Voila page and wait for ``selector``; on timeout, fail with what the page shows."""
    page.goto(url)
    try:
        return page.wait_for_selector(selector)
    except Exception as error:  # Playwright's TimeoutError; say what the page shows instead
        text = page.inner_text("body")[-4000:]
        pytest.fail(f"{selector!r} never appeared on {url}: {error}\npage text:\n{text}")


def _css_colors() -> dict[str, str]:
    """``{state: 'rgb(r, g, b)'}`` from the ``--nbp-<state>: #rrggbb`` variables of the CSS."""
    colors = {}
    for name, hex_color in re.findall(
        r"--nbp-([a-z]+):\s*#([0-9a-fA-F]{6})", STYLESHEET.read_text()
    ):
        red, green, blue = (int(hex_color[i : i + 2], 16) for i in (0, 2, 4))
        colors[name] = f"rgb({red}, {green}, {blue})"
    return colors


def _wait_for_lit(page: Any, view_selector: str, expected: dict[str, str]) -> None:
    """Wait until exactly ``expected`` is lit in the view (the kernel answers asynchronously)."""
    view = page.query_selector(view_selector)
    try:
        page.wait_for_function(
            f"([root, expected]) => JSON.stringify(({LIT_NODES_JS})(root)) === "
            "JSON.stringify(expected)",
            arg=[view, dict(sorted(expected.items()))],
            timeout=UPDATE_TIMEOUT_MS,
        )
    except Exception:
        pytest.fail(f"lit nodes: expected {expected}, the page shows {lit_nodes(view)}")


def test_graph_renders_in_voila(page: Page, voila_notebook: MakeNotebook) -> None:
    browser_page, events = page
    url = voila_notebook("show_graph", [REVIEW_GRAPH, SHOW])
    _open(browser_page, url, ".nbp-graph-view svg g[data-node]")
    drawing = build(REVIEW_GRAPH).get_graph()
    svg = browser_page.query_selector(".nbp-graph-view svg")
    node_ids = svg.eval_on_selector_all("g[data-node]", "gs => gs.map(g => g.dataset.node)")
    edge_ids = svg.eval_on_selector_all("g[data-edge]", "gs => gs.map(g => g.dataset.edge)")
    assert sorted(node_ids) == sorted(xml_text(node.id) for node in drawing.nodes.values())
    assert sorted(edge_ids) == sorted(xml_text(edge.id) for edge in drawing.edges)
    label = svg.eval_on_selector("g[data-node='merge'] text", "t => t.textContent")
    assert label == "merge"
    assert browser_page.query_selector(".nbp-graph-view .nbp-legend") is not None
    assert not events.page_errors


def test_slider_lights_the_right_nodes_in_their_css_colors(
    page: Page, voila_notebook: MakeNotebook
) -> None:
    browser_page, _ = page
    url = voila_notebook("slider", [REVIEW_GRAPH, run_cell({"topic": "bsp"})])
    handle = _open(browser_page, url, f"{RUN_VIEW} .widget-slider .noUi-handle")
    colors = _css_colors()
    view = f"{RUN_VIEW} .nbp-graph-view"
    handle.focus()
    browser_page.keyboard.press("Home")
    for step, expected in REVIEW_STEPS.items():
        if step > 0:
            browser_page.keyboard.press("ArrowRight")
        _wait_for_lit(browser_page, view, expected)
        assert handle.get_attribute("aria-valuenow") == f"{step}.0"
        for node, state in expected.items():
            group = browser_page.query_selector(f"{view} g[data-node='{node}']")
            assert group.evaluate(_FILL_JS) == colors[state], f"step {step}, node {node}"
    # A node lit in an earlier step is idle again, and has the idle fill.
    fetch = browser_page.query_selector(f"{view} g[data-node='fetch']")
    assert fetch.evaluate(_FILL_JS) == colors["idle"]
    browser_page.keyboard.press("Home")
    _wait_for_lit(browser_page, view, REVIEW_STEPS[0])


def test_clicking_an_option_resumes_the_run(
    page: Page, voila_notebook: MakeNotebook, artifacts_dir: pathlib.Path
) -> None:
    browser_page, events = page
    url = voila_notebook("prompt", [REVIEW_GRAPH, run_cell({"topic": "bsp"})])
    _open(browser_page, url, f"{RUN_VIEW} .nbp-prompt button")
    browser_page.query_selector(RUN_VIEW).screenshot(path=artifacts_dir / "run_view_prompt.png")
    buttons = browser_page.query_selector_all(f"{RUN_VIEW} .nbp-prompt button")
    assert [button.inner_text().strip() for button in buttons] == ["yes", "no"]
    buttons[0].click()
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-done", timeout=UPDATE_TIMEOUT_MS)
    # The view follows the run to its end: review done, the run reached __end__.
    _wait_for_lit(
        browser_page, f"{RUN_VIEW} .nbp-graph-view", {"review": "done", "__end__": "done"}
    )
    state_text = browser_page.inner_text(f"{RUN_VIEW} .nbp-table >> nth=-1")
    assert "verdict" in state_text and "'yes'" in state_text
    assert browser_page.query_selector(f"{RUN_VIEW} .nbp-prompt") is None
    assert not events.page_errors


def test_the_stop_button_stops_the_run_and_continue_goes_on(
    page: Page, voila_notebook: MakeNotebook
) -> None:
    browser_page, events = page
    url = voila_notebook("stop", [LOOP_GRAPH, RUN_LOOP])
    stop = _open(browser_page, url, f"{RUN_VIEW} .nbp-stop")
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-running", timeout=UPDATE_TIMEOUT_MS)
    stop.click()
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-stopped", timeout=UPDATE_TIMEOUT_MS)
    assert "stopped after step" in browser_page.inner_text(f"{RUN_VIEW} .nbp-status-stopped")
    assert not browser_page.is_visible(f"{RUN_VIEW} .nbp-stop")  # shown only while running
    browser_page.click(f"{RUN_VIEW} .nbp-continue")
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-running", timeout=UPDATE_TIMEOUT_MS)
    browser_page.click(f"{RUN_VIEW} .nbp-stop")  # and stopped again: the kernel is left idle
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-stopped", timeout=UPDATE_TIMEOUT_MS)
    assert not events.page_errors


def test_markup_in_names_and_values_stays_text(page: Page, voila_notebook: MakeNotebook) -> None:
    browser_page, events = page
    cells = [HOSTILE_GRAPH, SHOW, run_cell({"payload": "<b>bold?</b>"})]
    url = voila_notebook("hostile", cells)
    _open(browser_page, url, f"{RUN_VIEW} .nbp-prompt button")
    view = f"{RUN_VIEW} .nbp-graph-view"
    # The node's label is its name, as text, in both drawings.
    labels = browser_page.eval_on_selector_all(
        ".nbp-graph-view g[data-node] text", "ts => ts.map(t => t.textContent)"
    )
    assert labels.count(EVIL_NODE) == 2
    # Step 1 (the evil node ran): its state value shows as text in the state table.
    handle = browser_page.query_selector(f"{RUN_VIEW} .widget-slider .noUi-handle")
    handle.focus()
    browser_page.keyboard.press("Home")
    browser_page.keyboard.press("ArrowRight")
    _wait_for_lit(browser_page, view, {xml_text(EVIL_NODE): "done"})
    browser_page.wait_for_function(
        "(value) => [...document.querySelectorAll('.nbp-table td')]"
        ".some((td) => td.textContent.includes(value))",
        arg=EVIL_VALUE,
        timeout=UPDATE_TIMEOUT_MS,
    )
    prompt_text = browser_page.inner_text(f"{RUN_VIEW} .nbp-prompt")
    assert EVIL_QUESTION in prompt_text
    # Answer with the option that is a script: it ends up in the state, as text again.
    browser_page.get_by_role("button", name=EVIL_OPTION).click()
    browser_page.wait_for_selector(f"{RUN_VIEW} .nbp-status-done", timeout=UPDATE_TIMEOUT_MS)
    browser_page.wait_for_timeout(500)  # an injected <img onerror> would have fired by now
    assert events.dialogs == []
    injected = injected_markup(browser_page, image_src="/(x|y)$")  # the evil names' images
    assert injected == {"images": 0, "scripts": 0, "handlers": 0}
    assert not events.page_errors


def test_tour_renders_in_voila(
    page: Page, voila_server: VoilaServer, artifacts_dir: pathlib.Path
) -> None:
    """The tour notebook in Voila (as a Binder user would see it); screenshots for people."""
    browser_page, events = page
    shutil.copy(TOUR, voila_server.root / TOUR.name)
    _open(browser_page, voila_server.url_for(TOUR.name), f"{RUN_VIEW} .nbp-status-done")
    views = browser_page.query_selector_all(".nbp-graph-view svg")
    assert len(views) >= 2  # nb.show's drawing and the run view's
    for svg in views:
        nodes = svg.eval_on_selector_all("g[data-node]", "gs => gs.map(g => g.dataset.node)")
        assert {"plan", "search", "calculate", "write", "review"} <= set(nodes)
    browser_page.set_viewport_size({"width": 1280, "height": 2000})  # room for the whole view
    views[0].screenshot(path=artifacts_dir / "tour_graph.png")
    browser_page.query_selector(RUN_VIEW).screenshot(path=artifacts_dir / "tour_run_view.png")
    # The tour's last move of the slider, `run.slider.value = 2`, is what the page shows.
    _wait_for_lit(
        browser_page, f"{RUN_VIEW} .nbp-graph-view", {"calculate": "done", "search": "done"}
    )
    assert not events.page_errors


def test_a_graph_laid_out_late_arrives_lit_as_the_run(
    page: Page, voila_notebook: MakeNotebook, tmp_path: pathlib.Path
) -> None:
    """``nb.run`` lays the graph out in the background: the view opens with a note, the run's
    steps are lit meanwhile, and the SVG, when it comes, shows them at once."""
    browser_page, events = page
    real_dot, flag = shutil.which("dot"), tmp_path / "go"
    assert real_dot is not None
    wrapper = tmp_path / "dot"  # the real dot, once the test says go
    wrapper.write_text(
        f"#!/bin/sh\nwhile [ ! -e '{flag}' ]; do sleep 0.05; done\nexec '{real_dot}' \"$@\"\n"
    )
    wrapper.chmod(0o755)
    slow_path = (
        "import os\nimport nbpregel.notebook.svg\n"
        f"os.environ['PATH'] = {str(tmp_path)!r} + os.pathsep + os.environ['PATH']\n"
        "nbpregel.notebook.svg.DOT_TIMEOUT_S = 300"
    )
    url = voila_notebook("late_layout", [slow_path, REVIEW_GRAPH, run_cell({"topic": "bsp"})])
    _open(browser_page, url, f"{RUN_VIEW} .nbp-prompt button")  # the run paused, not drawn
    note = browser_page.eval_on_selector(
        f"{RUN_VIEW} .nbp-graph-view svg.nbp-laying-out", "svg => svg.textContent"
    )
    assert "Laying the graph out" in note
    assert browser_page.is_hidden(f"{RUN_VIEW} .nbp-legend")
    flag.touch()
    browser_page.wait_for_selector(
        f"{RUN_VIEW} .nbp-graph-view svg g[data-node]", timeout=UPDATE_TIMEOUT_MS
    )
    _wait_for_lit(browser_page, f"{RUN_VIEW} .nbp-graph-view", REVIEW_STEPS[4])
    assert browser_page.is_visible(f"{RUN_VIEW} .nbp-legend")
    assert not events.page_errors
