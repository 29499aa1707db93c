"""Fixtures of the notebook tests: the gate for ``dot`` tests and a recording comm."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import comm
import pytest

from nbpregel.notebook import svg


@pytest.fixture(autouse=True)
def _needs_dot(request: pytest.FixtureRequest) -> None:
    """Skip ``@pytest.mark.exe`` tests when the ``dot`` program is not installed."""
    if request.node.get_closest_marker("exe") and shutil.which("dot") is None:
        pytest.skip("needs the graphviz `dot` program (apt-get install graphviz)")


@pytest.fixture
def fresh_svg_cache() -> Iterator[None]:
    """An empty layout cache, emptied again afterwards."""
    svg.clear_cache()
    yield
    svg.clear_cache()


class RecordingComm:
    """Stands in for a kernel comm: records what a widget would send to the browser."""

    kernel = "recording"

    def __init__(self, **kwargs: Any) -> None:
        self.comm_id = f"recording-{id(self)}"
        self.opened_with = kwargs
        self.sent: list[dict[str, Any]] = []

    def on_msg(self, callback: Any) -> None:
        self.callback = callback

    def send(self, data: dict[str, Any] | None = None, buffers: Any = None, **_: Any) -> None:
        self.sent.append(data or {})

    def close(self, *args: Any, **kwargs: Any) -> None:
        self.closed = True


@pytest.fixture
def recording_comm(monkeypatch: pytest.MonkeyPatch) -> list[RecordingComm]:
    """Widgets created in the test get a :class:`RecordingComm`; the list holds them in order."""
    created: list[RecordingComm] = []

    def create_comm(**kwargs: Any) -> RecordingComm:
        created.append(RecordingComm(**kwargs))
        return created[-1]

    monkeypatch.setattr(comm, "create_comm", create_comm)
    return created
