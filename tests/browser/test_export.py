"""The page written by ``export_html``, opened from disk in Chromium: offline, working, inert.

The run is made here, in the test process (no kernel, no Voila): the page must replay it with
nothing but the file itself.
"""

from __future__ import annotations

import pathlib
from typing import Any, Final

import pytest

import nbpregel as nb
from nbpregel.notebook._ids import xml_text

from ._cells import (
    EVIL_NODE,
    EVIL_OPTION,
    EVIL_VALUE,
    HOSTILE_GRAPH,
    REVIEW_GRAPH,
    REVIEW_STEPS,
    build,
)
from ._support import PageEvents, injected_markup, lit_nodes

pytestmark = [pytest.mark.browser, pytest.mark.exe]  # Chromium, and `dot` for the drawings

SLIDER: Final = "input[type=range][data-role=slider]"
WAIT_SECONDS: Final = 30.0

Page = tuple[Any, PageEvents]


def _lit_nodes(page: Any) -> dict[str, str]:
    return lit_nodes(page.query_selector("body"))


def _finished_run(source: str, input_value: dict[str, Any], answer: Any) -> Any:
    """Run the graph of ``source`` to its interrupt, answer it, and wait for the end."""
    view = nb.run(build(source), input_value)
    assert view.wait(WAIT_SECONDS) == "interrupted", view.run.error
    view.resume(answer)
    assert view.wait(WAIT_SECONDS) == "done", view.run.error
    return view


def test_export_replays_offline_and_its_slider_works(page: Page, tmp_path: pathlib.Path) -> None:
    browser_page, events = page
    view = _finished_run(REVIEW_GRAPH, {"topic": "bsp"}, "yes")
    path = view.export_html(tmp_path / "run.html")
    url = path.resolve().as_uri()
    browser_page.goto(url)
    slider = browser_page.wait_for_selector(SLIDER)
    # It opens on the last step: the run went through review to __end__.
    assert _lit_nodes(browser_page) == {"review": "done", "__end__": "done"}
    slider.focus()
    browser_page.keyboard.press("Home")
    for step, expected in REVIEW_STEPS.items():
        if step > 0:
            browser_page.keyboard.press("ArrowRight")
        assert slider.input_value() == str(step)
        lit = _lit_nodes(browser_page)
        if step == 4:  # answered since: review finished, and the run ended with this step
            expected = {"review": "done", "__end__": "done"}
        assert lit == expected, f"step {step}"
        assert browser_page.inner_text("[data-role=label]").startswith(f"step {step} ")
    assert events.requests == [url], "the exported page must load nothing but itself"
    assert not events.page_errors and not events.dialogs


def test_export_shows_markup_as_text(page: Page, tmp_path: pathlib.Path) -> None:
    browser_page, events = page
    view = _finished_run(HOSTILE_GRAPH, {"payload": "<b>bold?</b>"}, EVIL_OPTION)
    url = view.export_html(tmp_path / "hostile.html").resolve().as_uri()
    browser_page.goto(url)
    slider = browser_page.wait_for_selector(SLIDER)
    slider.focus()
    browser_page.keyboard.press("Home")
    browser_page.keyboard.press("ArrowRight")  # step 1: the evil node ran
    assert _lit_nodes(browser_page) == {xml_text(EVIL_NODE): "done"}
    labels = browser_page.eval_on_selector_all(
        "g[data-node] text", "ts => ts.map(t => t.textContent)"
    )
    assert EVIL_NODE in labels
    cells = browser_page.eval_on_selector_all(".nbp-table td", "tds => tds.map(t => t.textContent)")
    assert any(EVIL_VALUE in cell for cell in cells)
    browser_page.keyboard.press("End")  # the answer, itself a script, is in the final state
    cells = browser_page.eval_on_selector_all(".nbp-table td", "tds => tds.map(t => t.textContent)")
    assert any(EVIL_OPTION in cell for cell in cells)
    browser_page.wait_for_timeout(300)  # an injected <img onerror> would have fired by now
    injected = injected_markup(browser_page)
    assert injected == {"images": 0, "scripts": 0, "handlers": 0}
    assert events.dialogs == [] and not events.page_errors
