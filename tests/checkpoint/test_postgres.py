"""What only the PostgreSQL savers promise (the shared saver suite runs them too).

Every test runs against the session's throwaway server (``tests/postgres_server.py``), in a
schema of its own.
"""

from __future__ import annotations

import asyncio
import doctest
import multiprocessing
import os
import pickle
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, TypedDict

import psycopg
import pytest
from postgres_server import PostgresServer
from psycopg.rows import dict_row

from nbpregel import END, START, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver, empty_checkpoint
from nbpregel.checkpoint.postgres import AsyncPostgresSaver, PostgresSaver
from nbpregel.constants import RESUME
from nbpregel.errors import CheckpointError, SerializationError
from nbpregel.types import Command

TABLES = ["nbpregel_checkpoints", "nbpregel_writes"]


class Answer(TypedDict):
    answer: str | None


def thread(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


@pytest.fixture
def schema(postgres_server: PostgresServer) -> str:
    return postgres_server.fresh_schema()


@pytest.fixture
def url(postgres_server: PostgresServer, schema: str) -> str:
    return postgres_server.conninfo(schema)


def tables(server: PostgresServer, schema: str) -> list[str]:
    query = "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename"
    return [row[0] for row in server.execute(query, [schema])]


def contents(server: PostgresServer, schema: str) -> list[Any]:
    """Every row of both tables, in a fixed order."""
    return [
        server.execute(f"SELECT * FROM {schema}.{table} ORDER BY 1, 2, 3, 4, 5") for table in TABLES
    ]


def write_chain(saver: Any, thread_id: str, steps: int) -> None:
    config = thread(thread_id)
    for step in range(steps):
        checkpoint = empty_checkpoint()
        checkpoint["channel_values"] = {"step": step, "owner": thread_id}
        config = saver.put(config, checkpoint, {"step": step}, {})
        saver.put_writes(config, [("out", (thread_id, step))], task_id=f"task-{step}")


def assert_chain(saver: Any, thread_id: str, steps: int) -> None:
    listed = list(saver.list(thread(thread_id)))
    assert [t.metadata["step"] for t in listed] == list(range(steps - 1, -1, -1))
    assert [t.pending_writes for t in listed] == [
        [(f"task-{step}", "out", (thread_id, step))] for step in range(steps - 1, -1, -1)
    ]


# -- opening, setting up, closing ----------------------------------------------------------


def test_from_conn_string_takes_urls_and_closes_on_exit(
    postgres_server: PostgresServer, schema: str
) -> None:
    with PostgresSaver.from_conn_string(postgres_server.url(schema)) as saver:
        config = saver.put(thread("t"), empty_checkpoint(), {"step": -1}, {})
    with PostgresSaver.from_conn_string(postgres_server.conninfo(schema)) as other:
        found = other.get_tuple(thread("t"))
        assert found is not None and found.config == config
    with pytest.raises(CheckpointError, match="closed"):
        saver.get_tuple(thread("t"))
    saver.close()  # closing twice is fine


def test_setup_is_idempotent_and_first_use_runs_it(
    postgres_server: PostgresServer, schema: str, url: str
) -> None:
    postgres_server.execute(f"CREATE TABLE {schema}.someone_elses (x int)")
    with PostgresSaver(url) as saver:
        saver.setup()
        saver.setup()
        assert tables(postgres_server, schema) == [*TABLES, "someone_elses"]
    other_schema = postgres_server.fresh_schema()
    with PostgresSaver(postgres_server.conninfo(other_schema)) as lazy:
        assert lazy.get_tuple(thread("t")) is None  # no setup() called: first use creates them
        assert tables(postgres_server, other_schema) == TABLES


def test_many_savers_set_up_one_database_at_once(
    postgres_server: PostgresServer, schema: str, url: str
) -> None:
    savers = [PostgresSaver(url) for _ in range(6)]
    barrier, errors = threading.Barrier(len(savers)), []

    def set_up(saver: PostgresSaver) -> None:
        barrier.wait(timeout=30)
        try:
            saver.setup()
        except Exception as exc:  # reported below, with the others
            errors.append(exc)

    workers = [threading.Thread(target=set_up, args=(saver,)) for saver in savers]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for saver in savers:
        saver.close()
    assert errors == []
    assert tables(postgres_server, schema) == TABLES


def test_unreachable_server_names_the_fix_and_hides_the_password(
    postgres_server: PostgresServer,
) -> None:
    closed_port = postgres_server.port + 1 if postgres_server.port < 65535 else 1024
    saver = PostgresSaver(f"postgresql://someone:s3cret@127.0.0.1:{closed_port}/db")
    with pytest.raises(CheckpointError, match="cannot connect to PostgreSQL") as caught:
        saver.setup()
    assert "s3cret" not in str(caught.value) and "server is running" in str(caught.value)


def test_an_async_connection_is_refused_with_the_fix(url: str) -> None:
    async def main() -> None:
        async with await psycopg.AsyncConnection.connect(url) as conn:
            with pytest.raises(TypeError, match="pass its connection string"):
                AsyncPostgresSaver(conn)  # type: ignore[arg-type]

    asyncio.run(main())


@pytest.mark.parametrize("autocommit", [True, False], ids=["autocommit", "transactions"])
def test_a_given_connection_is_used_and_left_open(url: str, autocommit: bool) -> None:
    # LangGraph's docs ask for autocommit=True and dict rows: both must work, and without
    # autocommit each save must still be committed at once.
    conn = psycopg.connect(url, autocommit=autocommit, row_factory=dict_row)
    with PostgresSaver(conn) as saver:
        write_chain(saver, "t", 3)
    assert not conn.closed
    with PostgresSaver(url) as other:
        assert_chain(other, "t", 3)
    conn.close()
    with pytest.raises(CheckpointError, match="connection handed to PostgresSaver is closed"):
        PostgresSaver(conn).get_tuple(thread("t"))


def test_a_broken_connection_is_opened_again(postgres_server: PostgresServer, url: str) -> None:
    with PostgresSaver(url) as saver:
        write_chain(saver, "t", 1)
        pid = saver._db.connection().info.backend_pid
        postgres_server.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(psycopg.OperationalError):
            saver.get_tuple(thread("t"))  # the call that finds the connection broken fails
        write_chain(saver, "u", 2)  # the next one reconnects
        assert_chain(saver, "t", 1)
        assert_chain(saver, "u", 2)


def test_nbpregel_imports_without_psycopg() -> None:
    script = (
        "import sys, nbpregel, nbpregel.checkpoint, nbpregel.checkpoint.postgres\n"
        "print('psycopg' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False"]


# -- what is saved, and what is refused ----------------------------------------------------


def test_two_savers_on_one_database_see_each_others_work(url: str) -> None:
    with PostgresSaver(url) as first, PostgresSaver(url) as second:
        write_chain(first, "a", 3)
        assert_chain(second, "a", 3)
        write_chain(second, "b", 2)
        assert [t.config for t in first.list(None)] == [t.config for t in second.list(None)]
        second.delete_thread("a")
        assert first.get_tuple(thread("a")) is None
        assert_chain(first, "b", 2)


def test_a_refused_put_changes_nothing(postgres_server: PostgresServer, schema: str) -> None:
    class Local:  # defined in a function: it could not be found again by name
        pass

    with PostgresSaver(postgres_server.conninfo(schema)) as saver:
        write_chain(saver, "t", 2)
        config = saver.get_tuple(thread("t")).config  # type: ignore[union-attr]
        before = contents(postgres_server, schema)
        bad = empty_checkpoint()
        bad["channel_values"] = {"ok": 1, "bad": Local()}
        with pytest.raises(
            SerializationError, match=r"Local: it is not an allowed.*\['channel_values'\]\['bad'\]"
        ):
            saver.put(config, bad, {"step": 9}, {})
        with pytest.raises(SerializationError, match="Local"):
            saver.put_writes(config, [("a", 1), ("b", Local())], task_id="new task")
        with pytest.raises(CheckpointError, match="NUL character"):
            saver.put(thread("a\x00b"), empty_checkpoint(), {}, {})
        with pytest.raises(CheckpointError, match=r"task id .* NUL"):
            saver.put_writes(config, [("a", 1)], task_id="t\x00")
        assert contents(postgres_server, schema) == before


def test_values_are_safe_serialized_and_pickles_are_refused(
    postgres_server: PostgresServer, schema: str, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self) -> Any:
            return (os.system, (f"touch {marker}",))

    with PostgresSaver(postgres_server.conninfo(schema)) as saver:
        write_chain(saver, "t", 1)
        types = postgres_server.execute(f"SELECT DISTINCT type FROM {schema}.nbpregel_writes")
        assert types == [("msgpack",)]
        postgres_server.execute(
            f"UPDATE {schema}.nbpregel_checkpoints SET type = 'pickle', checkpoint = %s",
            [pickle.dumps(Evil())],
        )
        with pytest.raises(SerializationError, match="pickle"):
            saver.get_tuple(thread("t"))
    assert not marker.exists()


def test_order_is_by_code_point_whatever_the_collation(postgres_server: PostgresServer) -> None:
    names = ["b", "B", "~x", "a", "_y", "-z"]
    collated = postgres_server.execute(
        "SELECT array_agg(x ORDER BY x) FROM unnest(%s::text[]) AS x", [names]
    )
    assert collated[0][0] != sorted(names)  # the server's collation is not Python's order
    shared = empty_checkpoint()  # one id in every thread: listings then sort by thread id
    results = []
    with PostgresSaver(postgres_server.conninfo(postgres_server.fresh_schema())) as pg:
        for saver in (InMemorySaver(), pg):
            for name in names:
                config = saver.put(thread(name), shared, {}, {})
                for task in names:
                    saver.put_writes(config, [(task, task)], task_id=task, task_path=f"~{task}")
                # A pseudo-channel written twice in one call keeps the last value.
                saver.put_writes(config, [(RESUME, 1), ("x", 2), (RESUME, 3)], task_id="r")
            listed = list(saver.list(None))
            results.append([(t.config, t.pending_writes) for t in listed])
    assert results[1] == results[0]
    assert [config["configurable"]["thread_id"] for config, _ in results[1]] == sorted(names)[::-1]


# -- threads, processes, and async code ----------------------------------------------------


def test_concurrent_writers_from_threads(url: str) -> None:
    shared = PostgresSaver(url)
    own = [PostgresSaver(url) for _ in range(3)]
    jobs = [(shared, f"shared-{i}") for i in range(3)] + [
        (s, f"own-{i}") for i, s in enumerate(own)
    ]
    barrier = threading.Barrier(len(jobs))

    def work(saver: PostgresSaver, thread_id: str) -> None:
        barrier.wait(timeout=30)
        write_chain(saver, thread_id, 15)

    workers = [threading.Thread(target=work, args=job) for job in jobs]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for _, thread_id in jobs:
        assert_chain(shared, thread_id, 15)
    for saver in [shared, *own]:
        saver.close()


def test_forked_child_opens_its_own_connection(url: str) -> None:
    saver = PostgresSaver(url)
    write_chain(saver, "parent", 1)
    child = multiprocessing.get_context("fork").Process(target=write_chain, args=(saver, "kid", 4))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    assert_chain(saver, "kid", 4)  # the parent's connection still works, and sees the child's
    assert_chain(saver, "parent", 1)
    saver.close()


async def test_async_saver_under_gather(url: str) -> None:
    async with AsyncPostgresSaver.from_conn_string(url) as saver:
        await saver.setup()
        configs = await asyncio.gather(
            *(saver.aput(thread(f"t{i}"), empty_checkpoint(), {"step": i}, {}) for i in range(20))
        )
        await asyncio.gather(
            *(saver.aput_writes(c, [("x", i)], task_id=f"task{i}") for i, c in enumerate(configs))
        )
        found = await asyncio.gather(*(saver.aget_tuple(c) for c in configs))
        assert [(t.metadata, t.pending_writes) for t in found if t] == [
            ({"step": i}, [(f"task{i}", "x", i)]) for i in range(20)
        ]
        assert len([t async for t in saver.alist(None)]) == 20
        await asyncio.gather(*(saver.adelete_thread(f"t{i}") for i in range(0, 20, 2)))
        assert len([t async for t in saver.alist(None)]) == 10
    with pytest.raises(CheckpointError, match="AsyncPostgresSaver is closed"):
        await saver.aget_tuple(configs[1])


async def test_async_methods_do_not_block_the_event_loop(url: str) -> None:
    async with AsyncPostgresSaver(url) as saver:
        await saver.setup()
        locker = psycopg.connect(url)  # holds the table's lock until it commits
        locker.execute("LOCK TABLE nbpregel_checkpoints IN ACCESS EXCLUSIVE MODE")
        release = threading.Timer(1.5, locker.commit)
        release.start()
        put = asyncio.create_task(saver.aput(thread("t"), empty_checkpoint(), {}, {}))
        ticks = 0
        while ticks < 10:  # the loop runs on while the save waits for the lock
            await asyncio.sleep(0.02)
            ticks += 1
        assert not put.done(), "the save ended before its lock was free: it blocked the loop"
        await put
        release.join()
        locker.close()
        assert await saver.aget_tuple(thread("t")) is not None


async def test_a_graph_runs_and_resumes_with_the_async_saver(url: str) -> None:
    def ask(state: Answer) -> dict[str, Any]:
        return {"answer": interrupt("name?")}

    builder = StateGraph(Answer)
    builder.add_node("ask", ask)
    builder.add_edge(START, "ask")
    builder.add_edge("ask", END)
    async with AsyncPostgresSaver.from_conn_string(url) as saver:
        app = builder.compile(checkpointer=saver)
        paused = await app.ainvoke({"answer": None}, thread("g"))
        assert [i.value for i in paused["__interrupt__"]] == ["name?"]
        assert await app.ainvoke(Command(resume="Ada"), thread("g")) == {"answer": "Ada"}
        history = [snap async for snap in app.aget_state_history(thread("g"))]
        assert [snap.metadata["step"] for snap in history] == [1, 0, -1]


# -- the documentation, and LangGraph ------------------------------------------------------


def test_the_module_examples_run_against_a_real_server(url: str) -> None:
    import nbpregel.checkpoint.postgres as module

    (test,) = [t for t in doctest.DocTestFinder().find(module) if t.name == module.__name__]
    test.examples = [e for e in test.examples if not e.source.startswith("url =")]
    for example in test.examples:
        example.options.pop(doctest.SKIP, None)
    test.globs["url"] = url
    report: list[str] = []
    result = doctest.DocTestRunner().run(test, out=report.append)
    assert (result.failed, result.attempted) == (0, len(test.examples)), "".join(report)


@pytest.mark.langgraph
def test_graph_scenarios_match_langgraphs_postgres_saver(postgres_server: PostgresServer) -> None:
    langgraph_postgres = pytest.importorskip("langgraph.checkpoint.postgres")
    from persistence.support import NBPREGEL, langgraph_lib
    from persistence.test_vs_langgraph import SCENARIOS

    theirs = langgraph_lib()
    for name, scenario in sorted(SCENARIOS.items()):
        ours_url = postgres_server.conninfo(postgres_server.fresh_schema())
        theirs_url = postgres_server.conninfo(postgres_server.fresh_schema())
        with (
            PostgresSaver.from_conn_string(ours_url) as our_saver,
            langgraph_postgres.PostgresSaver.from_conn_string(theirs_url) as their_saver,
        ):
            their_saver.setup()
            assert scenario(NBPREGEL, our_saver) == scenario(theirs, their_saver), name
