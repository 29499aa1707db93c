"""Waiting, in the notebook tests, for a run streaming on another thread."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["TIMEOUT", "wait_until"]

TIMEOUT = 20
"""Seconds a test waits for a run before failing."""


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``TIMEOUT`` seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)
