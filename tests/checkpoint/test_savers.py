"""The saver suite: every test runs against InMemorySaver and SqliteSaver, sync and async."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from nbpregel.checkpoint import BaseCheckpointSaver, empty_checkpoint
from nbpregel.constants import ERROR, INTERRUPT
from nbpregel.errors import CheckpointError
from nbpregel.types import Interrupt, Send

from .conftest import SaverApi


def thread(thread_id: str, checkpoint_ns: str | None = None, **extra: Any) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread_id, **extra}
    if checkpoint_ns is not None:
        configurable["checkpoint_ns"] = checkpoint_ns
    return {"configurable": configurable}


def ids(tuples: list[Any]) -> list[str]:
    return [t.config["configurable"]["checkpoint_id"] for t in tuples]


async def test_put_then_get_latest_and_by_id(api: SaverApi) -> None:
    first = empty_checkpoint()
    first["channel_values"] = {"messages": [("user", "hi")], "seen": {1, 2}, "by_id": {3: None}}
    first["channel_versions"] = {"messages": 2, "seen": 1}
    first["versions_seen"] = {"node": {"messages": 1}}
    first["updated_channels"] = ["messages"]
    config1 = await api.put(thread("t"), first, {"source": "input", "step": -1, "parents": {}})
    second = empty_checkpoint()
    config2 = await api.put(config1, second, {"source": "loop", "step": 0, "parents": {}})

    assert config1 == thread("t", "", checkpoint_id=first["id"])
    latest = await api.get_tuple(thread("t"))
    assert latest is not None
    assert latest.config == config2
    assert latest.checkpoint == second
    by_id = await api.get_tuple(config1)
    assert by_id is not None
    assert by_id.checkpoint == first
    assert type(by_id.checkpoint["channel_values"]["messages"][0]) is tuple
    assert by_id.metadata == {"source": "input", "step": -1, "parents": {}}
    assert await api.get(config1) == first


async def test_get_missing_thread_or_id_is_none(api: SaverApi) -> None:
    assert await api.get_tuple(thread("nobody")) is None
    await api.put(thread("t"), empty_checkpoint(), {})
    assert await api.get_tuple(thread("t", checkpoint_id=str(uuid.uuid4()))) is None
    assert await api.get(thread("nobody")) is None


async def test_parent_config_links_the_chain(api: SaverApi) -> None:
    configs = await api.put_chain("t", 3)
    tuples = [await api.get_tuple(config) for config in configs]
    assert tuples[0] is not None and tuples[0].parent_config is None
    assert [t.parent_config for t in tuples[1:] if t] == configs[:-1]


async def test_list_is_newest_first(api: SaverApi) -> None:
    configs = await api.put_chain("t", 5)
    listed = await api.list(thread("t"))
    assert [t.config for t in listed] == configs[::-1]
    assert [t.metadata["step"] for t in listed] == [3, 2, 1, 0, -1]


async def test_list_filter_before_and_limit(api: SaverApi) -> None:
    configs = await api.put_chain("t", 6)
    loop = await api.list(thread("t"), filter={"source": "loop"})
    assert [t.metadata["step"] for t in loop] == [4, 3, 2, 1, 0]
    assert await api.list(thread("t"), filter={"source": "loop", "step": 2}) == [
        await api.get_tuple(configs[3])
    ]
    assert await api.list(thread("t"), filter={"no such key": None}) == []
    before = await api.list(thread("t"), before=configs[2])
    assert [t.config for t in before] == [configs[1], configs[0]]
    limited = await api.list(thread("t"), limit=2)
    assert [t.config for t in limited] == [configs[5], configs[4]]
    assert await api.list(thread("t"), limit=0) == []
    combined = await api.list(thread("t"), filter={"source": "loop"}, before=configs[4], limit=2)
    assert [t.metadata["step"] for t in combined] == [2, 1]


async def test_list_filter_with_limit_reads_past_many_non_matching(api: SaverApi) -> None:
    # More non-matching checkpoints than one page of rows, so paging must continue.
    for i in range(150):
        cp = empty_checkpoint()
        await api.put(thread("t"), cp, {"step": i, "rare": i % 70 == 0})
    rare = await api.list(thread("t"), filter={"rare": True}, limit=2)
    assert [t.metadata["step"] for t in rare] == [140, 70]
    assert len(await api.list(thread("t"))) == 150


async def test_list_scopes_threads_namespaces_and_ids(api: SaverApi) -> None:
    top = await api.put_chain("a", 2)
    sub = await api.put_chain("a", 2, checkpoint_ns="child:1")
    other = await api.put_chain("b", 1)
    assert ids(await api.list(thread("a"))) == ids(
        [await api.get_tuple(c) for c in (sub[1], sub[0], top[1], top[0])]
    )
    assert [t.config for t in await api.list(thread("a", ""))] == top[::-1]
    assert [t.config for t in await api.list(thread("a", "child:1"))] == sub[::-1]
    everything = await api.list(None)
    assert [t.config for t in everything] == [other[0], sub[1], sub[0], top[1], top[0]]
    assert [t.config for t in await api.list(top[0])] == [top[0]]


async def test_namespaces_are_isolated(api: SaverApi) -> None:
    top = await api.put_chain("t", 2)
    sub = await api.put_chain("t", 1, checkpoint_ns="sub:abc")
    latest_top = await api.get_tuple(thread("t"))
    latest_sub = await api.get_tuple(thread("t", "sub:abc"))
    assert latest_top is not None and latest_top.config == top[-1]
    assert latest_sub is not None and latest_sub.config == sub[-1]
    assert latest_sub.parent_config is None
    # An id from one namespace does not resolve in another.
    sub_id = sub[0]["configurable"]["checkpoint_id"]
    assert await api.get_tuple(thread("t", "", checkpoint_id=sub_id)) is None


async def test_put_writes_attach_to_their_checkpoint(api: SaverApi) -> None:
    c1, c2 = await api.put_chain("t", 2)
    await api.put_writes(c1, [("a", 1), ("b", (2,))], task_id="task-b", task_path="~1")
    await api.put_writes(c1, [("a", Send("n", {"x": 1}))], task_id="task-a", task_path="~0")
    await api.put_writes(c2, [("c", "only on c2")], task_id="task-c")
    first = await api.get_tuple(c1)
    second = await api.get_tuple(c2)
    assert first is not None and second is not None
    assert first.pending_writes == [
        ("task-a", "a", Send("n", {"x": 1})),
        ("task-b", "a", 1),
        ("task-b", "b", (2,)),
    ]
    assert second.pending_writes == [("task-c", "c", "only on c2")]
    # The latest checkpoint (no id in the config) carries its writes too.
    latest = await api.get_tuple(thread("t"))
    assert latest is not None and latest.pending_writes == second.pending_writes
    listed = await api.list(thread("t"))
    assert [t.pending_writes for t in listed] == [second.pending_writes, first.pending_writes]


async def test_put_writes_is_idempotent(api: SaverApi) -> None:
    (config,) = await api.put_chain("t", 1)
    writes = [("a", 1), ("b", 2)]
    await api.put_writes(config, writes, task_id="task")
    await api.put_writes(config, writes, task_id="task")
    await api.put_writes(config, [("a", "changed")], task_id="task")
    found = await api.get_tuple(config)
    assert found is not None
    assert found.pending_writes == [("task", "a", 1), ("task", "b", 2)]


async def test_special_writes_replace_the_previous_one(api: SaverApi) -> None:
    (config,) = await api.put_chain("t", 1)
    await api.put_writes(config, [(ERROR, ValueError("first"))], task_id="task")
    await api.put_writes(config, [(ERROR, ValueError("second"))], task_id="task")
    await api.put_writes(config, [(INTERRUPT, [Interrupt("ask", "i1")])], task_id="other")
    found = await api.get_tuple(config)
    assert found is not None
    errors = [(t, c, v) for t, c, v in found.pending_writes if c == ERROR]
    assert len(errors) == 1
    assert type(errors[0][2]) is ValueError and errors[0][2].args == ("second",)
    assert ("other", INTERRUPT, [Interrupt("ask", "i1")]) in found.pending_writes


async def test_delete_thread_removes_every_namespace_and_write(api: SaverApi) -> None:
    (config,) = await api.put_chain("gone", 1)
    await api.put_chain("gone", 1, checkpoint_ns="sub:1")
    await api.put_writes(config, [("a", 1)], task_id="task")
    kept = await api.put_chain("kept", 1)
    await api.put_writes(kept[0], [("a", 1)], task_id="task")
    await api.delete_thread("gone")
    assert await api.get_tuple(thread("gone")) is None
    assert await api.get_tuple(thread("gone", "sub:1")) is None
    assert await api.list(thread("gone")) == []
    # Putting a checkpoint with the old id again brings back no stale writes.
    again = empty_checkpoint()
    again["id"] = config["configurable"]["checkpoint_id"]
    await api.put(thread("gone"), again, {})
    revived = await api.get_tuple(thread("gone"))
    assert revived is not None and revived.pending_writes == []
    survivor = await api.get_tuple(thread("kept"))
    assert survivor is not None and survivor.pending_writes == [("task", "a", 1)]


async def test_saved_checkpoint_shares_no_state_with_the_run(api: SaverApi) -> None:
    checkpoint = empty_checkpoint()
    checkpoint["channel_values"] = {"items": [1, 2], "when": datetime(2024, 5, 1, tzinfo=UTC)}
    config = await api.put(thread("t"), checkpoint, {"step": 0})
    checkpoint["channel_values"]["items"].append(3)
    loaded = await api.get(config)
    assert loaded is not None and loaded["channel_values"]["items"] == [1, 2]
    loaded["channel_values"]["items"].append(99)
    reloaded = await api.get(config)
    assert reloaded is not None and reloaded["channel_values"]["items"] == [1, 2]


async def test_config_errors_say_what_is_missing(api: SaverApi) -> None:
    with pytest.raises(CheckpointError, match="thread_id"):
        await api.put({"configurable": {}}, empty_checkpoint(), {})
    with pytest.raises(CheckpointError, match="checkpoint_id"):
        await api.put_writes(thread("t"), [("a", 1)], task_id="task")


async def test_integer_thread_ids_address_the_same_thread(api: SaverApi) -> None:
    await api.put({"configurable": {"thread_id": 7}}, empty_checkpoint(), {})
    assert await api.get_tuple(thread("7")) is not None


def test_threads_share_one_saver(saver: BaseCheckpointSaver) -> None:
    def work(worker: int) -> None:
        config: dict[str, Any] = thread(f"w{worker}")
        for step in range(20):
            config = saver.put(config, empty_checkpoint(), {"step": step}, {})
            saver.put_writes(config, [("x", step)], task_id=f"task{step}")

    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for i in range(4):
        listed = list(saver.list(thread(f"w{i}")))
        assert [t.metadata["step"] for t in listed] == list(range(19, -1, -1))
        assert all(len(t.pending_writes) == 1 for t in listed)


def test_next_version_counts_up(saver: BaseCheckpointSaver) -> None:
    assert saver.get_next_version(None) == 1
    assert saver.get_next_version(1) == 2
    assert saver.get_next_version(41) == 42


@pytest.mark.parametrize("count", [1, 2, 32, 33, 100], ids=lambda count: f"{count}-writes")
async def test_many_writes_of_one_task_keep_their_order(api: SaverApi, count: int) -> None:
    # SQLite saves up to 32 writes in one statement and more in one transaction: both ways
    # keep every write, in order, store a repeated call once and replace only special writes.
    (config,) = await api.put_chain("t", 1)
    writes = [(f"ch{i % 3}", {"i": i}) for i in range(count - 1)] + [(ERROR, ValueError("1st"))]
    await api.put_writes(config, writes, task_id="task")
    again = [(channel, "changed") for channel, _ in writes[:-1]] + [(ERROR, KeyError("2nd"))]
    await api.put_writes(config, again, task_id="task")
    found = await api.get_tuple(config)
    assert found is not None
    # ordered by index, and a special write's fixed index is negative
    (task_id, channel, error), *kept = found.pending_writes
    assert kept == [("task", channel, value) for channel, value in writes[:-1]]
    assert (task_id, channel, type(error), error.args) == ("task", ERROR, KeyError, ("2nd",))
