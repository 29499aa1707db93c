"""Run each store test on every store kind, through the sync methods and their async twins."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from nbpregel.store import InMemoryStore, SqliteStore
from nbpregel.store.base import BaseStore

MakeStore = Callable[..., BaseStore]

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


@pytest.fixture(params=["memory", "sqlite"])
def kind(request: pytest.FixtureRequest) -> str:
    """Which store the test runs on: ``InMemoryStore``, or ``SqliteStore`` on a file."""
    return str(request.param)


@pytest.fixture
def make_store(kind: str, tmp_path: Path) -> Iterator[MakeStore]:
    """Makes empty stores of ``kind`` (each SQLite one in a file of its own), closed at the end."""
    made: list[SqliteStore] = []

    def make(**options: Any) -> BaseStore:
        if kind == "memory":
            return InMemoryStore(**options)
        made.append(SqliteStore(tmp_path / f"store{len(made)}.db", **options))
        return made[-1]

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(make_store: MakeStore) -> BaseStore:
    """An empty store without an index."""
    return make_store()


@pytest.fixture
def api(store: BaseStore, mode: str) -> Api:
    """``store``'s methods, sync or async according to ``mode``."""
    return Api(store, mode)
