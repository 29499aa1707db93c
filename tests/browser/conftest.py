"""Fixtures of the browser tests: one Voila server per session, and Chromium driven by Playwright.

The server serves a scratch directory; a test writes a small notebook there with
``voila_notebook`` and opens the URL it returns, and Voila runs the notebook in a fresh kernel
for that page. Chromium is Debian's (``/usr/bin/chromium`` or ``$NBPREGEL_CHROMIUM``), never a
browser downloaded by ``playwright install``. Every test here is marked ``browser``
(``tests/conftest.py`` skips those loudly when Chromium is missing, and fails them under CI).

Screenshots meant for people (not asserted on) go to ``test-artifacts/`` at the repository root;
the directory holds a ``.gitignore`` that ignores everything in it.
"""

from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import nbformat
import pytest

from ._support import (
    ARTIFACTS_DIR,
    CHROMIUM_ARGS,
    KERNEL_SPEC,
    RENDER_TIMEOUT_MS,
    PageEvents,
    VoilaServer,
    chromium_executable,
    start_voila,
    stop_voila,
)


@pytest.fixture(scope="session")
def voila_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VoilaServer]:
    """A Voila server on 127.0.0.1 (free port, no token) serving a scratch directory."""
    root = tmp_path_factory.mktemp("voila-root")
    log_path = tmp_path_factory.mktemp("voila-log") / "voila.log"
    server = start_voila(root, log_path)
    try:
        yield server
    finally:
        stop_voila(server)


@pytest.fixture
def voila_notebook(voila_server: VoilaServer) -> Callable[[str, Sequence[str]], str]:
    """Write a notebook of code cells into the served directory; return its Voila URL."""

    def write(name: str, cells: Sequence[str]) -> str:
        notebook = nbformat.v4.new_notebook()
        notebook.metadata["kernelspec"] = dict(KERNEL_SPEC)
        notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
        filename = f"{name}.ipynb"
        nbformat.write(notebook, voila_server.root / filename)
        return voila_server.url_for(filename)

    return write


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the session (a Playwright ``Browser``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_executable(), args=list(CHROMIUM_ARGS)
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[tuple[Any, PageEvents]]:
    """A fresh page (its own context) whose dialogs, errors and requests are recorded.

    A dialog (``alert`` and friends) is recorded and dismissed, so an injected ``alert`` shows up
    in ``events.dialogs`` instead of blocking the page.
    """
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(RENDER_TIMEOUT_MS)
    browser_page = context.new_page()
    events = PageEvents()

    def on_dialog(dialog: Any) -> None:
        events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message: Any) -> None:
        if message.type == "error":
            events.console_errors.append(message.text)

    browser_page.on("dialog", on_dialog)
    browser_page.on("pageerror", lambda error: events.page_errors.append(str(error)))
    browser_page.on("console", on_console)
    browser_page.on("request", lambda request: events.requests.append(request.url))
    try:
        yield browser_page, events
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> pathlib.Path:
    """``test-artifacts/`` at the repository root (ignored by git), for screenshots."""
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    ignore = ARTIFACTS_DIR / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots written by tests/browser; never committed\n*\n")
    return ARTIFACTS_DIR
