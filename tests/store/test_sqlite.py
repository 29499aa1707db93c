"""What only SqliteStore has: a file that outlives the store, JSON values, tables, transactions.

The operations themselves run on every store kind in test_memory.py, test_errors.py,
test_semantic.py and test_threads.py (the ``kind`` fixture); here, SQLite's own concerns.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
import math
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbpregel.store import (
    AsyncSqliteStore,
    InvalidStoreArgumentError,
    PutOp,
    SqliteStore,
    StoreError,
    TTLNotSupportedError,
)

from .conftest import Api
from .scripts import count_words

TABLES = {
    "nbpregel_store_items",
    "nbpregel_store_meta",
    "nbpregel_store_namespaces",
    "nbpregel_store_vectors",
}
INDEX = {"embed": count_words, "dims": 4, "fields": ["text"]}


def tables_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def rows_in(path: Path) -> list[tuple[Any, ...]]:
    """Every item row, read by a connection of its own (what another process would see)."""
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT key, value FROM nbpregel_store_items ORDER BY id").fetchall()


def everything(store: Any) -> list[dict[str, Any]]:
    return [item.dict() for item in store.search((), limit=10_000)]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "memories.db"


def fill(store: SqliteStore) -> None:
    store.put(("users", "u1", "memories"), "m1", {"text": "likes cats", "n": 1})
    store.put(("users", "u1", "memories"), "m2", {"text": "a dog", "tags": ["x", {"y": None}]})
    store.put(("users", "u2"), "prefs", {"text": "fish", "n": 2.5, "ok": True})
    store.put(("users", "u1", "memories"), "m1", {"text": "likes cats a lot", "n": 3})
    store.put(("gone",), "k", {"text": "deleted"})
    store.delete(("gone",), "k")


# -- persistence ------------------------------------------------------------------------------


def test_a_fresh_store_on_the_same_file_sees_everything(path: Path) -> None:
    with SqliteStore.from_conn_string(path, index=INDEX) as first:
        fill(first)
        saved = everything(first)
        ranked = [(item.key, item.score) for item in first.search((), query="cat")]
        listed = first.list_namespaces()
    with SqliteStore.from_conn_string(path, index=INDEX) as again:
        assert everything(again) == saved
        assert [(item.key, item.score) for item in again.search((), query="cat")] == ranked
        assert again.list_namespaces() == listed == [("users", "u1", "memories"), ("users", "u2")]
        assert again.get(("users", "u1", "memories"), "m1").value["n"] == 3
    with SqliteStore.from_conn_string(path) as unindexed:  # a query is then ignored
        assert [item.score for item in unindexed.search((), query="cat")] == [None] * 3


READ_BACK = """
import json, sys
from nbpregel.store import SqliteStore
with SqliteStore.from_conn_string(sys.argv[1]) as store:
    print(json.dumps([item.dict() for item in store.search((), limit=10_000)]))
"""
WRITE = """
import sys
from nbpregel.store import SqliteStore
with SqliteStore.from_conn_string(sys.argv[1]) as store:
    store.put(("from", "child"), "k", {"pid": 1, "text": "written by a subprocess"})
"""


def python(code: str, path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    return done.stdout


def test_a_new_process_reads_what_this_one_wrote_and_the_other_way(path: Path) -> None:
    with SqliteStore.from_conn_string(path) as store:
        fill(store)
        assert json.loads(python(READ_BACK, path)) == everything(store)
        python(WRITE, path)
        item = store.get(("from", "child"), "k")  # the open store sees the other process's put
        assert item is not None and item.value["text"] == "written by a subprocess"


# -- setup, tables, connections ---------------------------------------------------------------


def test_setup_is_lazy_and_idempotent_and_the_tables_are_namespaced(path: Path) -> None:
    store = SqliteStore(path)
    assert not store.is_setup and tables_in(path) == set()
    assert store.get(("a",), "k") is None  # the first use creates the tables
    assert store.is_setup and tables_in(path) == TABLES
    store.setup()
    SqliteStore(path).setup()
    assert tables_in(path) == TABLES
    store.close()


def test_a_file_shared_with_a_sqlite_saver_and_a_cache(path: Path) -> None:
    from nbpregel.cache.sqlite import SqliteCache
    from nbpregel.checkpoint.base import empty_checkpoint
    from nbpregel.checkpoint.sqlite import SqliteSaver

    with SqliteSaver.from_conn_string(str(path)) as saver, SqliteStore(path) as store:
        config = saver.put({"configurable": {"thread_id": "t"}}, empty_checkpoint(), {}, {})
        store.put(("a",), "k", {"v": 1})
        with SqliteCache(path=path) as cache:
            cache.set({(("node",), "k"): ({"x": 1}, None)})
        assert saver.get_tuple(config) is not None
        assert store.get(("a",), "k").value == {"v": 1}
    others = {"nbpregel_checkpoints", "nbpregel_writes", "nbpregel_cache"}
    assert tables_in(path) >= TABLES | others


@pytest.mark.langgraph
def test_a_file_shared_with_langgraphs_store(path: Path) -> None:
    pytest.importorskip("langgraph.store.sqlite")
    from langgraph.store.sqlite import SqliteStore as TheirStore

    with TheirStore.from_conn_string(str(path)) as theirs, SqliteStore(path) as ours:
        theirs.put(("a",), "k", {"by": "langgraph"})
        ours.put(("a",), "k", {"by": "nbpregel"})
        assert theirs.get(("a",), "k").value == {"by": "langgraph"}
        assert ours.get(("a",), "k").value == {"by": "nbpregel"}


def test_a_connection_handed_in_is_used_and_left_open(path: Path) -> None:
    conn = sqlite3.connect(path, check_same_thread=False)
    store = SqliteStore(conn)
    store.put(("a",), "k", {"v": 1})
    assert conn.execute("SELECT value FROM nbpregel_store_items").fetchall() == [('{"v":1}',)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    store.close()
    assert conn.execute("SELECT count(*) FROM nbpregel_store_items").fetchone() == (1,)
    conn.close()


def test_a_closed_store_says_so(path: Path) -> None:
    with SqliteStore.from_conn_string(path) as store:
        store.put(("a",), "k", {"v": 1})
    with pytest.raises(StoreError, match="this SqliteStore is closed; open a new one"):
        store.get(("a",), "k")
    assert repr(store) == f"SqliteStore({str(path)!r}, closed)"


def test_a_connection_of_another_thread_gets_advice(path: Path) -> None:
    store = SqliteStore(sqlite3.connect(path))  # check_same_thread=True, the default
    store.put(("a",), "k", {"v": 1})
    errors: list[BaseException] = []

    def node() -> None:
        try:
            store.get(("a",), "k")
        except BaseException as error:
            errors.append(error)

    worker = threading.Thread(target=node)
    worker.start()
    worker.join()
    (error,) = errors
    assert isinstance(error, StoreError) and "check_same_thread=False" in str(error)


def test_a_conn_that_is_not_a_path_or_connection_is_refused(path: Path) -> None:
    with pytest.raises(StoreError, match=r"not 42: write SqliteStore\('memories.db'\)"):
        SqliteStore(42)  # type: ignore[arg-type]
    aiosqlite = pytest.importorskip("aiosqlite")
    with pytest.raises(StoreError, match="needs no aiosqlite: write AsyncSqliteStore"):
        AsyncSqliteStore(aiosqlite.connect(path))  # as LangGraph's AsyncSqliteStore is given


def test_ttl_config_is_refused(path: Path) -> None:
    with pytest.raises(TTLNotSupportedError, match="cannot expire items"):
        SqliteStore(path, ttl={"default_ttl": 5})


def test_a_file_from_a_later_schema_is_refused(path: Path) -> None:
    SqliteStore(path).setup()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE nbpregel_store_meta SET value = '99' WHERE name = 'schema'")
    with pytest.raises(StoreError, match=r"schema version 99, newer than .* upgrade nbpregel"):
        SqliteStore(path).get(("a",), "k")


def test_repr_counts_items_and_namespaces(path: Path) -> None:
    with SqliteStore.from_conn_string(path) as store:
        fill(store)
        assert repr(store) == f"SqliteStore({str(path)!r}, 3 items in 2 namespaces)"


# -- values as JSON ---------------------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int


class Color(enum.IntEnum):
    RED = 1


REFUSED_VALUES = [
    pytest.param({"span": (1, 2)}, ["a tuple", "value['span']", "list(...)"], id="tuple"),
    pytest.param({"tags": {"a"}}, ["a set", "value['tags']", "sorted(...)"], id="set"),
    pytest.param({"raw": [b"x"]}, ["a bytes", "value['raw'][0]", "base64"], id="bytes"),
    pytest.param(
        {"meta": {"when": datetime.datetime(2024, 1, 1)}},
        ["a datetime", "value['meta']['when']", ".isoformat()"],
        id="datetime",
    ),
    pytest.param({"x": math.nan}, ["nan", "value['x']", "no NaN"], id="nan"),
    pytest.param({"x": [1, -math.inf]}, ["-inf", "value['x'][1]"], id="inf"),
    pytest.param({"m": {1: "one"}}, ["the key 1", "value['m']", "'1'"], id="int_key"),
    pytest.param({"p": Point(1)}, ["a Point", "dataclasses.asdict"], id="dataclass"),
    pytest.param({"o": object()}, ["an object", "plain data"], id="object"),
]


@pytest.mark.parametrize(("value", "fragments"), REFUSED_VALUES)
async def test_values_json_cannot_hold_are_refused_and_nothing_is_stored(
    path: Path, mode: str, value: dict, fragments: list[str]
) -> None:
    with SqliteStore.from_conn_string(path) as store:
        store.put(("a",), "kept", {"v": 1})
        good = PutOp(("a",), "new", {"v": 2})
        with pytest.raises(InvalidStoreArgumentError) as raised:
            await Api(store, mode).batch([good, PutOp(("a",), "bad", value)])
        message = str(raised.value)
        assert message.startswith("value for key 'bad' ")
        for fragment in fragments:
            assert fragment in message
        assert rows_in(path) == [("kept", '{"v":1}')]


def test_a_value_that_contains_itself_is_refused(path: Path) -> None:
    loop: dict[str, Any] = {"name": "loop"}
    loop["self"] = [loop]
    with (
        SqliteStore.from_conn_string(path) as store,
        pytest.raises(InvalidStoreArgumentError, match=r"contains itself at value\['self'\]\[0\]"),
    ):
        store.put(("a",), "k", loop)


ACCEPTED = {
    "plain": {"s": "é ✓ \U0001f600", "i": 10**30, "f": -0.0, "b": False, "n": None},
    "nested": {"a": [[], {}, [{"b": [1.5, "x"]}]]},
    "int_enum": {"color": Color.RED},
    "surrogate": {"s": "\ud800"},
}


@pytest.mark.parametrize("value", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_values_come_back_equal_from_another_connection(path: Path, value: dict) -> None:
    with SqliteStore.from_conn_string(path) as store:
        store.put(("a",), "k", value)
    with SqliteStore.from_conn_string(path) as store:
        assert store.get(("a",), "k").value == value


# -- transactions -----------------------------------------------------------------------------


@pytest.fixture
def trapped(path: Path) -> Iterator[SqliteStore]:
    """A store whose file aborts any insert of the key 'boom' (a real SQLite failure)."""
    with SqliteStore.from_conn_string(path) as store:
        store.put(("a",), "kept", {"v": 1})
        with sqlite3.connect(path) as conn:
            conn.execute(
                "CREATE TRIGGER boom BEFORE INSERT ON nbpregel_store_items "
                "WHEN NEW.key = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END"
            )
        yield store


async def test_a_batch_that_fails_midway_is_rolled_back(trapped: SqliteStore, mode: str) -> None:
    ops = [
        PutOp(("a",), "kept", {"v": "changed"}),
        PutOp(("a",), "kept", None),
        PutOp(("b",), "new", {"v": 2}),
        PutOp(("b",), "boom", {"v": 3}),
    ]
    with pytest.raises(sqlite3.IntegrityError, match="boom refused"):
        await Api(trapped, mode).batch(ops)
    assert [item.key for item in trapped.search(())] == ["kept"]
    assert trapped.list_namespaces() == [("a",)]
    await Api(trapped, mode).put(("b",), "fine", {"v": 4})  # the store is still usable
    assert trapped.list_namespaces() == [("a",), ("b",)]


# -- threads and connections ------------------------------------------------------------------


def test_two_stores_on_one_file_write_from_many_threads(path: Path) -> None:
    stores = [SqliteStore(path, busy_timeout=30), SqliteStore(path, busy_timeout=30)]
    stores[0].put(("shared",), "k", {"n": -1})
    created = stores[0].get(("shared",), "k").created_at

    def work(number: int) -> None:
        store = stores[number % 2]
        for i in range(40):
            store.put(("t", str(number)), f"k{i}", {"i": i})
            store.put(("shared",), "k", {"n": number})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for store in stores:
        assert len(store.search(("t",), limit=1000)) == 6 * 40
        item = store.get(("shared",), "k")
        assert item.created_at == created and item.value["n"] in range(6)
        store.close()


async def test_the_async_store_runs_sqlite_in_a_worker_thread(path: Path) -> None:
    conn = sqlite3.connect(path, check_same_thread=False)
    threads: set[int] = set()
    conn.set_trace_callback(lambda statement: threads.add(threading.get_ident()))
    async with AsyncSqliteStore(conn) as store:
        await store.setup()
        threads.clear()
        await store.aput(("a",), "k", {"v": 1})
        assert (await store.aget(("a",), "k")).value == {"v": 1}
        assert threads and threading.get_ident() not in threads
        assert store.get(("a",), "k").value == {"v": 1}  # the sync methods work as well
    conn.close()


async def test_async_from_conn_string_closes_on_exit(path: Path) -> None:
    async with AsyncSqliteStore.from_conn_string(path, index=INDEX) as store:
        await store.aput(("p",), "k", {"text": "cat"})
        (found,) = await store.asearch(("p",), query="cat")
        assert found.score == pytest.approx(1.0)
    with pytest.raises(StoreError, match="closed"):
        await store.aget(("p",), "k")
