"""Saved checkpoints as streamed: ``checkpoints`` mode and the ``checkpoint`` events of ``debug``.

Each chunk must describe a checkpoint that really is in the saver: the tests compare the chunks
with ``get_state_history`` and with the tasks that then run.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from nbpregel import Command

from .support import NBPREGEL, Api, Calls, build_ask_once, build_chain, thread

START_STATE = {"log": [], "n": 0}
CHUNK_KEYS = {"config", "parent_config", "values", "metadata", "next", "tasks"}
TASK_KEYS = {"id", "name", "interrupts", "state"}


def _id(config: dict[str, Any] | None) -> str | None:
    return None if config is None else config["configurable"]["checkpoint_id"]


def test_checkpoints_stream_chunk_shape(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    chunks = api.stream(app, dict(START_STATE), thread(), stream_mode="checkpoints")
    assert all(set(chunk) == CHUNK_KEYS for chunk in chunks)
    assert [c["metadata"]["step"] for c in chunks] == [-1, 0, 1, 2, 3]
    assert [c["metadata"]["source"] for c in chunks] == ["input", "loop", "loop", "loop", "loop"]
    assert [c["next"] for c in chunks] == [["__start__"], ["a"], ["b"], ["c"], []]
    assert [c["values"] for c in chunks] == [
        {"log": []},
        {"log": [], "n": 0},
        {"log": ["a"], "n": 1},
        {"log": ["a", "b"], "n": 2},
        {"log": ["a", "b", "c"], "n": 3},
    ]
    for chunk in chunks:
        assert chunk["config"]["configurable"]["thread_id"] == "1"
        assert [task["name"] for task in chunk["tasks"]] == chunk["next"]
        assert all(set(task) == TASK_KEYS for task in chunk["tasks"])
        assert all(task["interrupts"] == () for task in chunk["tasks"])
    parents = [_id(c["parent_config"]) for c in chunks]
    assert parents == [None] + [_id(c["config"]) for c in chunks[:-1]]


def test_checkpoint_chunks_are_the_saved_checkpoints(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    chunks = api.stream(app, dict(START_STATE), thread(), stream_mode="checkpoints")
    history = list(reversed(api.history(app, thread())))
    assert [_id(c["config"]) for c in chunks] == [_id(s.config) for s in history]
    for chunk, snapshot in zip(chunks, history, strict=True):
        assert chunk["metadata"] == snapshot.metadata
        assert chunk["values"] == snapshot.values
        assert tuple(chunk["next"]) == snapshot.next
        assert [t["id"] for t in chunk["tasks"]] == [t.id for t in snapshot.tasks]
        assert _id(chunk["parent_config"]) == _id(snapshot.parent_config)


def test_checkpoint_task_ids_are_the_ids_of_the_tasks_that_run(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    announced: list[str] = []
    started: list[str] = []
    for mode, chunk in app.stream(
        dict(START_STATE), thread(), stream_mode=["checkpoints", "tasks"]
    ):
        if mode == "checkpoints":
            assert started == announced  # the previous checkpoint's tasks all started
            announced, started = [t["id"] for t in chunk["tasks"] if t["name"] != "__start__"], []
        elif "input" in chunk:
            started.append(chunk["id"])
    assert announced == []


def test_checkpoints_stream_across_an_interrupt(saver: Any, api: Api) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    first = api.stream(app, dict(START_STATE), thread(), stream_mode="checkpoints")
    assert [(c["metadata"]["step"], c["next"]) for c in first] == [
        (-1, ["__start__"]),
        (0, ["a"]),
        (1, ["ask"]),
    ]
    resumed = api.stream(app, Command(resume="ok"), thread(), stream_mode="checkpoints")
    steps = [(c["metadata"]["step"], c["next"]) for c in resumed]
    assert steps[-2:] == [(2, ["b"]), (3, [])]
    assert _id(resumed[-2]["parent_config"]) == _id(first[-1]["config"])


def test_checkpoints_stream_of_a_fork(saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_b = next(s for s in app.get_state_history(thread()) if s.next == ("b",))
    chunks = list(app.stream(None, before_b.config, stream_mode="checkpoints"))
    assert [(c["metadata"]["source"], c["next"]) for c in chunks] == [
        ("fork", ["b"]),
        ("loop", ["c"]),
        ("loop", []),
    ]
    assert _id(chunks[0]["parent_config"]) == _id(before_b.config)


def test_debug_stream_checkpoint_events(saver: Any, api: Api) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=saver)
    chunks = api.stream(app, dict(START_STATE), thread(), stream_mode="debug")
    assert all({"step", "timestamp", "type", "payload"} <= set(chunk) for chunk in chunks)
    kinds = [(c["type"], c["step"]) for c in chunks]
    assert kinds == [
        ("checkpoint", -1),
        ("checkpoint", 0),
        ("task", 1),
        ("task_result", 1),
        ("checkpoint", 1),
        ("task", 2),
        ("task_result", 2),
        ("checkpoint", 2),
        ("task", 3),
        ("task_result", 3),
        ("checkpoint", 3),
    ]
    checkpoints = [c for c in chunks if c["type"] == "checkpoint"]
    for event in checkpoints:
        assert set(event["payload"]) >= CHUNK_KEYS
        assert event["payload"]["metadata"]["step"] == event["step"]
        datetime.fromisoformat(event["timestamp"])
    saved = [_id(s.config) for s in reversed(api.history(app, thread()))]
    assert [_id(c["payload"]["config"]) for c in checkpoints] == saved


def test_debug_checkpoint_payloads_carry_the_checkpoints_chunks(saver: Any) -> None:
    app = build_ask_once(NBPREGEL, Calls(), checkpointer=saver)
    chunks = list(app.stream(dict(START_STATE), thread(), stream_mode=["debug", "checkpoints"]))
    events = [c["payload"] for m, c in chunks if m == "debug" and c["type"] == "checkpoint"]
    plain = [c for m, c in chunks if m == "checkpoints"]
    assert len(plain) == 3
    assert [{k: e[k] for k in CHUNK_KEYS} for e in events] == plain
