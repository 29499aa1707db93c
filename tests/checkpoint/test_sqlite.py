"""What only the SQLite saver promises: one WAL file, shared by threads and processes."""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from nbpregel.checkpoint import SqliteSaver, empty_checkpoint
from nbpregel.errors import CheckpointError

STEPS = 25


def config_for(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def write_thread(saver: SqliteSaver, thread_id: str) -> None:
    """Save a chain of STEPS checkpoints, each with one task's pending writes."""
    config = config_for(thread_id)
    for step in range(STEPS):
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"step": step, "owner": thread_id}
        config = saver.put(config, checkpoint, {"source": "loop", "step": step}, {})
        saver.put_writes(config, [("out", (thread_id, step))], task_id=f"task-{step}")


def write_threads(path: str, thread_ids: list[str], barrier: Any) -> None:
    """Several threads of one process, sharing one saver; starts when every writer is ready."""
    barrier.wait(timeout=60)
    with SqliteSaver(path) as saver:
        workers = [threading.Thread(target=write_thread, args=(saver, t)) for t in thread_ids]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()


def test_threads_and_processes_write_one_file_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "shared.db")
    SqliteSaver(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(3)
    groups = {f"proc{p}": [f"proc{p}-thread{t}" for t in range(3)] for p in range(2)}
    processes = [
        ctx.Process(target=write_threads, args=(path, thread_ids, barrier))
        for thread_ids in groups.values()
    ]
    for process in processes:
        process.start()
    local = [f"main-thread{t}" for t in range(3)]
    write_threads(path, local, barrier)
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    with SqliteSaver(path) as saver:
        for thread_id in [*local, *groups["proc0"], *groups["proc1"]]:
            listed = list(saver.list(config_for(thread_id)))
            assert [t.metadata["step"] for t in listed] == list(range(STEPS - 1, -1, -1))
            assert [t.checkpoint["channel_values"]["owner"] for t in listed] == [thread_id] * STEPS
            for newer, older in itertools.pairwise(listed):
                assert newer.parent_config == older.config
            assert [t.pending_writes for t in listed] == [
                [(f"task-{step}", "out", (thread_id, step))] for step in range(STEPS - 1, -1, -1)
            ]


def test_file_is_in_wal_mode_and_reopens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    with SqliteSaver(path) as saver:
        config = saver.put(config_for("t"), empty_checkpoint(), {"step": -1}, {})
        saver.put_writes(config, [("a", {1, 2})], task_id="task")
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        types = {row[0] for row in conn.execute("SELECT type FROM nbpregel_checkpoints")}
    conn.close()
    assert {"nbpregel_checkpoints", "nbpregel_writes"} <= tables
    assert types == {"msgpack"}
    with SqliteSaver.from_conn_string(str(path)) as saver:
        found = saver.get_tuple(config)
        assert found is not None and found.pending_writes == [("task", "a", {1, 2})]


def test_memory_database_works(tmp_path: Path) -> None:
    with SqliteSaver(":memory:") as saver:
        config = saver.put(config_for("t"), empty_checkpoint(), {}, {})
        assert saver.get(config) is not None


def test_unopenable_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no such folder" / "runs.db"
    with pytest.raises(CheckpointError, match="no such folder"):
        SqliteSaver(missing)


def test_closed_saver_says_so() -> None:
    with SqliteSaver.from_conn_string(":memory:") as saver:
        pass
    with pytest.raises(CheckpointError, match="closed"):
        saver.get_tuple(config_for("t"))
    saver.close()  # closing twice is fine


def test_given_connection_is_used_and_left_open(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "own.db", check_same_thread=False)
    with SqliteSaver(conn) as saver:
        saver.put(config_for("t"), empty_checkpoint(), {"step": 0}, {})
    assert conn.execute("SELECT count(*) FROM nbpregel_checkpoints").fetchone() == (1,)
    conn.close()


def test_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("this platform cannot fork")
    path = tmp_path / "forked.db"
    saver = SqliteSaver(path)
    saver.put(config_for("parent"), empty_checkpoint(), {}, {})
    child = multiprocessing.get_context("fork").Process(target=write_thread, args=(saver, "child"))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    # The parent's connection still works, and sees what the child wrote.
    assert len(list(saver.list(config_for("child")))) == STEPS
    assert saver.get_tuple(config_for("parent")) is not None
    saver.close()


def test_writer_waits_for_another_connections_write(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    saver = SqliteSaver(path, busy_timeout=10)
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # holds the write lock, as another process would
    release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    release.start()
    config = saver.put(config_for("t"), empty_checkpoint(), {}, {})
    release.join()
    assert saver.get(config) is not None
    blocker.close()
    saver.close()
