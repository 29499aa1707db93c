"""A comm that records what a widget would send to the browser (no kernel needed)."""

from __future__ import annotations

from typing import Any


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
