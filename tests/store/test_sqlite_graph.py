"""A graph compiled with a SQLite store: nodes write memories through ``runtime.store`` and the
memories are in the file after the run, for a fresh store (or a new kernel) to read."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import pytest

from nbpregel.checkpoint.sqlite import SqliteSaver
from nbpregel.graph import END, START, StateGraph
from nbpregel.runtime import Runtime
from nbpregel.store import AsyncSqliteStore, SqliteStore

pytestmark = pytest.mark.timeout(60)


class State(TypedDict):
    user: str
    facts: list[str]
    recalled: list[str]


def remember(state: State, runtime: Runtime) -> dict[str, Any]:
    namespace = ("users", state["user"], "memories")
    for number, fact in enumerate(state["facts"]):
        runtime.store.put(namespace, f"fact{number}", {"text": fact})
    return {}


def recall(state: State, runtime: Runtime) -> dict[str, Any]:
    found = runtime.store.search(("users", state["user"]), limit=100)
    return {"recalled": [item.value["text"] for item in found]}


def build() -> StateGraph:
    graph = StateGraph(State)
    graph.add_node("remember", remember)
    graph.add_node("recall", recall)
    graph.add_edge(START, "remember")
    graph.add_edge("remember", "recall")
    graph.add_edge("recall", END)
    return graph


def test_node_writes_survive_the_run_and_the_store(tmp_path: Path) -> None:
    path = tmp_path / "notebook.db"
    with SqliteSaver.from_conn_string(str(path)) as saver, SqliteStore(path) as store:
        app = build().compile(checkpointer=saver, store=store)
        config = {"configurable": {"thread_id": "t1"}}
        facts = ["likes tea", "lives in Oslo"]
        result = app.invoke({"user": "u1", "facts": facts, "recalled": []}, config)
        assert result["recalled"] == facts
        assert app.get_state(config).values["recalled"] == facts
    with SqliteStore.from_conn_string(path) as again:  # as after a kernel restart
        found = again.search(("users", "u1", "memories"))
        assert [(item.key, item.value) for item in found] == [
            ("fact0", {"text": "likes tea"}),
            ("fact1", {"text": "lives in Oslo"}),
        ]
        assert again.list_namespaces() == [("users", "u1", "memories")]


async def test_an_async_run_writes_through_the_async_store(tmp_path: Path) -> None:
    path = tmp_path / "notebook.db"

    async def aremember(state: State, runtime: Runtime) -> dict[str, Any]:
        await runtime.store.aput(("users", state["user"]), "last", {"facts": state["facts"]})
        item = await runtime.store.aget(("users", state["user"]), "last")
        return {"recalled": item.value["facts"]}

    graph = StateGraph(State)
    graph.add_node("remember", aremember)
    graph.add_edge(START, "remember")
    async with AsyncSqliteStore.from_conn_string(path) as store:
        app = graph.compile(store=store)
        result = await app.ainvoke({"user": "u2", "facts": ["a", "b"], "recalled": []})
        assert result["recalled"] == ["a", "b"]
    with SqliteStore.from_conn_string(path) as again:
        assert again.get(("users", "u2"), "last").value == {"facts": ["a", "b"]}


def test_a_node_putting_a_value_json_cannot_hold_fails_the_run_and_stores_nothing(
    tmp_path: Path,
) -> None:
    def bad(state: State, runtime: Runtime) -> dict[str, Any]:
        runtime.store.put(("users", state["user"]), "ok", {"v": 1})
        runtime.store.put(("users", state["user"]), "bad", {"when": {1, 2}})
        return {}

    graph = StateGraph(State)
    graph.add_node("bad", bad)
    graph.add_edge(START, "bad")
    with SqliteStore.from_conn_string(tmp_path / "n.db") as store:
        app = graph.compile(store=store)
        with pytest.raises(ValueError, match=r"value for key 'bad' holds a set at value\['when'\]"):
            app.invoke({"user": "u3", "facts": [], "recalled": []})
        assert [item.key for item in store.search(("users",))] == ["ok"]
