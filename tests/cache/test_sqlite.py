"""SqliteCache specifics: one file, WAL, shared by threads, forks and separate processes."""

from __future__ import annotations

import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nbpregel.cache import SqliteCache

NS = ("__pregel_ns_writes", "mod.fn", "node")


def test_entries_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteCache(path=path) as cache:
        cache.set({(NS, "k"): ([("x", (1, 2))], None)})
    with SqliteCache(path=str(path)) as cache:
        assert cache.get([(NS, "k")]) == {(NS, "k"): [("x", (1, 2))]}


def test_the_file_is_in_wal_mode_with_one_table(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SqliteCache(path=path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "nbpregel_cache" in tables
    finally:
        conn.close()


def test_values_are_stored_with_the_safe_serializer_not_pickle(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteCache(path=path) as cache:
        cache.set({(NS, "k"): ([("x", {1, 2})], None)})
    conn = sqlite3.connect(path)
    try:
        (tag,) = conn.execute("SELECT type FROM nbpregel_cache").fetchone()
    finally:
        conn.close()
    assert tag == "msgpack"


def test_namespaces_with_commas_do_not_collide(tmp_path: Path) -> None:
    a, b = ("x,y", "z"), ("x", "y,z")
    with SqliteCache(path=tmp_path / "c.db") as cache:
        cache.set({(a, "k"): ("a", None), (b, "k"): ("b", None)})
        cache.clear([a])
        assert cache.get([(a, "k"), (b, "k")]) == {(b, "k"): "b"}


def test_a_closed_cache_says_so(tmp_path: Path) -> None:
    cache = SqliteCache(path=tmp_path / "c.db")
    cache.close()
    with pytest.raises(ValueError, match="closed"):
        cache.get([(NS, "k")])


def test_an_unopenable_path_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "c.db"
    with pytest.raises(OSError, match=r"cannot open the SQLite cache file .*c\.db"):
        SqliteCache(path=missing)


def test_an_expired_entry_is_deleted_and_a_fresh_one_from_another_connection_is_seen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.db"
    with SqliteCache(path=path) as reader, SqliteCache(path=path) as writer:
        writer.set({(NS, "k"): ("old", 0)})
        assert reader.get([(NS, "k")]) == {}  # expired: deleted
        writer.set({(NS, "k"): ("new", 60)})
        assert reader.get([(NS, "k")]) == {(NS, "k"): "new"}


def _write_in_child(cache: SqliteCache, n: int) -> None:
    cache.set({(NS, f"child-{n}"): ([("n", n)], None)})


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_a_forked_process_opens_its_own_connection(tmp_path: Path) -> None:
    with SqliteCache(path=tmp_path / "c.db") as cache:
        cache.set({(NS, "parent"): ("p", None)})
        ctx = multiprocessing.get_context("fork")
        children = [ctx.Process(target=_write_in_child, args=(cache, n)) for n in range(3)]
        for child in children:
            child.start()
        for child in children:
            child.join(30)
            assert child.exitcode == 0
        keys = [(NS, "parent"), *((NS, f"child-{n}") for n in range(3))]
        assert cache.get(keys) == {
            (NS, "parent"): "p",
            **{(NS, f"child-{n}"): [("n", n)] for n in range(3)},
        }


_WRITER = textwrap.dedent(
    """
    import sys
    from nbpregel.cache import SqliteCache

    path, who = sys.argv[1], sys.argv[2]
    ns = ("__pregel_ns_writes", "mod.fn", "node")
    with SqliteCache(path=path) as cache:
        for i in range(200):
            cache.set({(ns, f"{who}-{i}"): ([("i", i)], None)})
            assert cache.get([(ns, f"{who}-{i}")]) == {(ns, f"{who}-{i}"): [("i", i)]}
    """
)


def test_separate_processes_write_the_same_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    SqliteCache(path=path).close()  # create it, so that the writers race on rows, not on DDL
    procs = [
        subprocess.Popen([sys.executable, "-c", _WRITER, str(path), who], stderr=subprocess.PIPE)
        for who in ("a", "b", "c")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    with SqliteCache(path=path) as cache:
        keys = [(NS, f"{who}-{i}") for who in "abc" for i in range(200)]
        found = cache.get(keys)
    assert len(found) == 600
    assert found[(NS, "b-123")] == [("i", 123)]
