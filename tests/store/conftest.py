"""Run each store test twice: through the sync methods and through their async twins."""

from __future__ import annotations

from typing import Any

import pytest

from nbpregel.store import InMemoryStore

_METHODS = ("get", "search", "put", "delete", "list_namespaces", "batch")


class Api:
    """A store's methods as coroutines, run as ``store.get`` or as ``await store.aget``.

    ``await api.get(...)`` calls ``store.get(...)`` in ``sync`` mode and ``store.aget(...)`` in
    ``async`` mode, so one test body covers both families.
    """

    def __init__(self, store: Any, mode: str) -> None:
        self.store = store
        self.mode = mode

    def __getattr__(self, name: str) -> Any:
        if name not in _METHODS:
            raise AttributeError(name)
        if self.mode == "async":
            return getattr(self.store, f"a{name}")
        method = getattr(self.store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            return method(*args, **kwargs)

        return call


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    """Which family of methods the test goes through."""
    return str(request.param)


@pytest.fixture
def store() -> InMemoryStore:
    """An empty store without an index."""
    return InMemoryStore()


@pytest.fixture
def api(store: InMemoryStore, mode: str) -> Api:
    """``store``'s methods, sync or async according to ``mode``."""
    return Api(store, mode)
