"""The cache package's public names (LangGraph's, in the same module layout)."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "nbpregel.cache": {"BaseCache", "FullKey", "InMemoryCache", "Namespace", "SqliteCache"},
    "nbpregel.cache.base": {"BaseCache", "FullKey", "Namespace", "ValueT", "expiry_of"},
    "nbpregel.cache.memory": {"InMemoryCache"},
    "nbpregel.cache.sqlite": {"SqliteCache"},
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_exported_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert set(imported.__all__) == EXPECTED[module]
    for name in imported.__all__:
        assert hasattr(imported, name)


def test_langgraph_import_paths_have_nbpregel_twins() -> None:
    from nbpregel.cache.memory import InMemoryCache
    from nbpregel.cache.sqlite import SqliteCache

    assert InMemoryCache.__module__ == "nbpregel.cache.memory"
    assert SqliteCache.__module__ == "nbpregel.cache.sqlite"
