"""The engine's cache hooks (``nbpregel.pregel._cache``), as the functional API calls them."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from nbpregel.cache import BaseCache
from nbpregel.constants import TaskKind
from nbpregel.pregel._cache import (
    CACHE_NS_WRITES,
    alookup,
    assign_key,
    astore,
    lookup,
    lookup_many,
    node_namespace,
    store,
)
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel._task import Task, TaskStatus
from nbpregel.types import CachePolicy


def add(a: int, b: int = 0) -> int:
    return a + b


def make_task(
    name: str = "add", *, policy: CachePolicy | None = None, input: Any = None, call: Any = None
) -> Task:
    node = PregelNode(name=name, triggers=["a"], reads="a", bound=add, cache_policy=policy)
    return Task(
        id=f"id-{name}-{input}",
        name=name,
        kind=TaskKind.PUSH,
        index=0,
        node=node,
        input=input,
        triggers=(),
        parent_ns="",
        call=call,
    )


def finish(task: Task, writes: list[tuple[str, Any]]) -> Task:
    task.writes = writes
    task.status = TaskStatus.OK
    return task


def test_a_call_keyed_by_its_arguments_is_served_after_it_is_stored(cache: BaseCache) -> None:
    policy = CachePolicy(ttl=60)
    first = make_task(call=add)
    key = assign_key(first, policy, args=(1,), kwargs={"b": 2})
    assert key.ns == (CACHE_NS_WRITES, f"{__name__}.add", "add") and key.ttl == 60
    assert lookup(cache, first) is False and first.status == TaskStatus.PENDING
    store(cache, finish(first, [("__return__", 3)]))
    second = make_task(call=add)
    assign_key(second, policy, args=(1,), kwargs={"b": 2})
    assert lookup(cache, second) is True
    assert (second.status, second.writes) == (TaskStatus.CACHED, [("__return__", 3)])
    other = make_task(call=add)
    assign_key(other, policy, args=(2,), kwargs={"b": 1})
    assert lookup(cache, other) is False


def test_a_node_policy_keys_the_task_input_by_itself(cache: BaseCache) -> None:
    policy = CachePolicy()
    store_me = make_task(policy=policy, input={"a": 1})
    assert lookup(cache, store_me) is False
    assert store_me.cache_key is not None
    store(cache, finish(store_me, [("b", 2)]))
    again = make_task(policy=policy, input={"a": 1})
    assert lookup(cache, again) is True and again.writes == [("b", 2)]


def test_tasks_without_a_policy_are_left_alone(cache: BaseCache) -> None:
    task = make_task(input=1)
    assert lookup(cache, task) is False and task.cache_key is None
    store(cache, finish(task, [("b", 1)]))
    assert cache.get([(node_namespace("add", add), "anything")]) == {}


@pytest.mark.parametrize("status", [TaskStatus.ERROR, TaskStatus.INTERRUPTED, TaskStatus.CACHED])
def test_only_finished_tasks_are_stored(cache: BaseCache, status: str) -> None:
    policy = CachePolicy()
    task = make_task(policy=policy, input=1)
    lookup(cache, task)
    task.writes, task.status = [("b", 1)], status
    store(cache, task)
    assert lookup(cache, make_task(policy=policy, input=1)) is False


def test_lookup_many_settles_hits_in_task_order(cache: BaseCache) -> None:
    policy = CachePolicy(key_func=lambda x: str(x % 2))
    seed = make_task(policy=policy, input=0)
    lookup(cache, seed)
    store(cache, finish(seed, [("even", True)]))
    tasks = [make_task(policy=policy, input=i) for i in range(4)]
    settled = lookup_many(cache, tasks)
    assert settled == [tasks[0], tasks[2]]
    assert [t.status for t in tasks] == ["cached", "pending", "cached", "pending"]


def test_a_store_the_cache_refuses_fails_the_task(cache: BaseCache) -> None:
    task = make_task(policy=CachePolicy(), input=1)
    lookup(cache, task)
    store(cache, finish(task, [("b", object())]))
    assert task.status == TaskStatus.ERROR and task.writes == []
    assert any("caching the writes of task 'add'" in n for n in task.error.__notes__)


def test_async_twins(cache: BaseCache) -> None:
    async def main() -> Task:
        first = make_task(policy=CachePolicy(), input=5)
        assert await alookup(cache, first) is False
        await astore(cache, finish(first, [("b", 10)]))
        second = make_task(policy=CachePolicy(), input=5)
        assert await alookup(cache, second) is True
        return second

    assert asyncio.run(main()).writes == [("b", 10)]
