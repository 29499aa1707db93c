"""Opening a page in Chromium for the browser tests, watching for what must not happen."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def open_page(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The page at ``path``, and the problems seen on it (errors, dialogs, network requests)."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.on(
        "request",
        lambda request: None if request.url.startswith("file:") else problems.append(request.url),
    )
    page.goto(path.as_uri())
    return page, problems
