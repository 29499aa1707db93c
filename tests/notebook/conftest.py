"""Fixtures of the notebook tests: a clean layout cache, a recording comm for widgets, a gate.

The ``exe`` (``dot``) and ``browser`` (Chromium) gates live in the suite-wide ``tests/conftest.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import comm
import pytest
from widget_comm import RecordingComm

from nbpregel.notebook import svg


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    """Chromium, launched for one test (a ``browser`` test, gated by ``tests/conftest.py``)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        yield instance
        instance.close()


@pytest.fixture
def fresh_svg_cache() -> Iterator[None]:
    """An empty layout cache, emptied again afterwards."""
    svg.clear_cache()
    yield
    svg.clear_cache()


@pytest.fixture
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> list[RecordingComm]:
    """Widgets created in the test get a :class:`RecordingComm`; the list holds them in order."""
    created: list[RecordingComm] = []

    def create_comm(**kwargs: Any) -> RecordingComm:
        created.append(RecordingComm(**kwargs))
        return created[-1]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return created


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """An event the gated graph's slow node waits for; always opened at the end."""
    event = threading.Event()
    yield event
    event.set()
