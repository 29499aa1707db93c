"""The store package's public names, and their parity with LangGraph's import paths."""

from __future__ import annotations

import importlib
import inspect

import pytest

EXPECTED = {
    "nbpregel.store": {
        "AsyncSqliteStore",
        "BaseStore",
        "EmbeddingError",
        "Embeddings",
        "GetOp",
        "InMemoryStore",
        "IndexConfig",
        "InvalidNamespaceError",
        "InvalidStoreArgumentError",
        "Item",
        "ListNamespacesOp",
        "MatchCondition",
        "PutOp",
        "SearchItem",
        "SearchOp",
        "SqliteStore",
        "StoreError",
        "TTLNotSupportedError",
    },
    "nbpregel.store.base": {
        "NOT_GIVEN",
        "BaseStore",
        "EmbeddingError",
        "Embeddings",
        "FilterOperator",
        "GetOp",
        "IndexConfig",
        "InvalidNamespaceError",
        "InvalidStoreArgumentError",
        "Item",
        "ListNamespacesOp",
        "MatchCondition",
        "NamespaceMatchType",
        "NamespacePath",
        "NotProvided",
        "Op",
        "PutOp",
        "Result",
        "SearchItem",
        "SearchOp",
        "StoreError",
        "TTLConfig",
        "TTLNotSupportedError",
        "ensure_embeddings",
        "get_text_at_path",
        "tokenize_path",
    },
    "nbpregel.store.memory": {"InMemoryStore"},
    "nbpregel.store.sqlite": {"AsyncSqliteStore", "SqliteStore"},
}


@pytest.mark.parametrize("module", sorted(EXPECTED))
def test_exported_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert set(imported.__all__) == EXPECTED[module]
    for name in imported.__all__:
        assert hasattr(imported, name)


def test_the_store_imports_nothing_from_the_notebook_layer() -> None:
    import subprocess
    import sys

    code = (
        "import sys, nbpregel.store; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'ipywidgets', 'pandas', 'graphviz', 'langgraph', 'numpy'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.langgraph
def test_every_name_langgraph_users_import_has_a_twin() -> None:
    pytest.importorskip("langgraph")
    import langgraph.store.base as theirs_base
    import langgraph.store.memory as theirs_memory

    from nbpregel.store import base as ours_base
    from nbpregel.store import memory as ours_memory

    used = {"BaseStore", "Item", "SearchItem", "GetOp", "PutOp", "SearchOp", "ListNamespacesOp"}
    used |= {"MatchCondition", "NamespacePath", "NamespaceMatchType", "Embeddings", "Op"}
    used |= {"InvalidNamespaceError", "IndexConfig", "TTLConfig", "NotProvided"}
    used |= {"ensure_embeddings", "tokenize_path", "get_text_at_path", "Result"}
    for name in used:
        assert hasattr(theirs_base, name), name  # the list is of real LangGraph names
        assert hasattr(ours_base, name), name
    assert hasattr(theirs_memory, "InMemoryStore") and hasattr(ours_memory, "InMemoryStore")
    import langgraph.store.sqlite as theirs_sqlite

    from nbpregel.store import sqlite as ours_sqlite

    assert set(theirs_sqlite.__all__) == set(ours_sqlite.__all__)


METHODS = ["get", "search", "put", "delete", "list_namespaces"]
METHODS += [f"a{name}" for name in METHODS]


@pytest.mark.langgraph
@pytest.mark.parametrize("method", METHODS)
def test_method_signatures_match_langgraph(method: str) -> None:
    pytest.importorskip("langgraph")
    from langgraph.store.base import BaseStore as TheirStore

    from nbpregel.store.base import BaseStore as OurStore

    def shape(function: object) -> list[tuple[str, object, object]]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.kind, repr(p.default)) for p in parameters]

    assert shape(getattr(OurStore, method)) == shape(getattr(TheirStore, method))
