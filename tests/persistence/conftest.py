"""Fixtures of the persistence tests: every saver, and the sync or async API of a graph."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbpregel.checkpoint import SqliteSaver

from .support import NBPREGEL, Api


@pytest.fixture(params=["memory", "sqlite"], ids=["InMemorySaver", "SqliteSaver"])
def saver_kind(request: pytest.FixtureRequest) -> str:
    """Which saver a test runs with (LangGraph's differential twin uses the same kind)."""
    return str(request.param)


@pytest.fixture
def saver(saver_kind: str, tmp_path: Path) -> Iterator[Any]:
    """An nbpregel saver: ``InMemorySaver()`` or ``SqliteSaver(tmp_path / "x.db")``."""
    instance = NBPREGEL.saver(saver_kind, tmp_path / "x.db")
    yield instance
    if isinstance(instance, SqliteSaver):
        instance.close()


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    """Run and inspect graphs through ``invoke``/``get_state``/... or their async twins."""
    return Api(use_async=bool(request.param))
