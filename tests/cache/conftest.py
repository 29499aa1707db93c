"""Every cache implementation, for the tests that hold for all of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nbpregel.cache import BaseCache, InMemoryCache, SqliteCache


@pytest.fixture(params=["memory", "sqlite"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BaseCache]:
    """An empty cache: in memory, or in a SQLite file of its own."""
    if request.param == "memory":
        yield InMemoryCache()
        return
    with SqliteCache(path=tmp_path / "cache.db") as sqlite_cache:
        yield sqlite_cache
