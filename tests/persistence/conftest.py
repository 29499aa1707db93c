"""Fixtures of the persistence tests: every saver, and the sync or async API of a graph.

Every test that takes ``saver`` runs with ``InMemorySaver``, ``SqliteSaver`` and
``PostgresSaver`` (on the session's throwaway server, ``tests/postgres_server.py``, in a fresh
schema per test). Two kinds of tests stay SQLite-only, deliberately:

* ``test_vs_langgraph.py`` takes ``saver_kind`` and builds *both* libraries' savers with
  ``support.Lib.saver``, which knows LangGraph's in-memory and SQLite savers only;
  ``tests/checkpoint/test_postgres.py`` runs the same scenarios with ``PostgresSaver`` against
  LangGraph's own Postgres saver.
* ``test_crash.py`` kills a child process that saves to a SQLite file given by path
  (``crash_child.py``); what it proves, that a run resumes exactly after a SIGKILL, rests on
  each save being one committed transaction, which PostgreSQL guarantees by itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from postgres_server import postgres_server, postgres_url  # noqa: F401 (fixtures)

from nbpregel.checkpoint import SqliteSaver
from nbpregel.checkpoint.postgres import PostgresSaver

from .support import NBPREGEL, Api

SAVERS = {"memory": "InMemorySaver", "sqlite": "SqliteSaver", "postgres": "PostgresSaver"}


@pytest.fixture(params=list(SAVERS), ids=list(SAVERS.values()))
def saver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An nbpregel saver: ``InMemorySaver()``, ``SqliteSaver(tmp_path / "x.db")``, or a
    ``PostgresSaver`` on an empty schema."""
    if request.param == "postgres":
        instance = PostgresSaver(request.getfixturevalue("postgres_url"))
    else:
        instance = NBPREGEL.saver(request.param, tmp_path / "x.db")
    yield instance
    if isinstance(instance, SqliteSaver | PostgresSaver):
        instance.close()


@pytest.fixture(params=[False, True], ids=["sync", "async"])
def api(request: pytest.FixtureRequest) -> Api:
    """Run and inspect graphs through ``invoke``/``get_state``/... or their async twins."""
    return Api(use_async=bool(request.param))
