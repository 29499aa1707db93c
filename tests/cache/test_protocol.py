"""The cache protocol (get / set / clear and their async twins), for every implementation."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest

from nbpregel.cache import BaseCache
from nbpregel.errors import SerializationError
from nbpregel.types import Send

NS = ("__pregel_ns_writes", "mod.fn", "node")
OTHER = ("__pregel_ns_writes", "mod.other", "other")


class Opaque:
    """A class the safe serializer refuses (not a dataclass, enum, namedtuple or model)."""


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_a_missing_key_is_left_out(cache: BaseCache) -> None:
    assert cache.get([(NS, "nope")]) == {}
    assert cache.get([]) == {}


def test_set_then_get_round_trips_writes(cache: BaseCache) -> None:
    writes = [("x", 1), ("log", ["a", (1, 2)]), ("__pregel_tasks", Send("n", {"k": {3}}))]
    cache.set({(NS, "k1"): (writes, None)})
    assert cache.get([(NS, "k1"), (NS, "k2")]) == {(NS, "k1"): writes}


def test_values_are_copies_so_mutating_one_does_not_touch_the_cache(cache: BaseCache) -> None:
    value = {"items": [1, 2]}
    cache.set({(NS, "k"): (value, None)})
    value["items"].append(3)
    got = cache.get([(NS, "k")])[(NS, "k")]
    got["items"].append(4)
    assert cache.get([(NS, "k")])[(NS, "k")] == {"items": [1, 2]}


def test_dataclasses_round_trip(cache: BaseCache) -> None:
    cache.set({(NS, "k"): ([("p", Point(1, 2))], None)})
    assert cache.get([(NS, "k")])[(NS, "k")] == [("p", Point(1, 2))]


def test_a_value_the_safe_serializer_refuses_is_not_stored(cache: BaseCache) -> None:
    with pytest.raises(SerializationError, match="Opaque"):
        cache.set({(NS, "ok"): ("fine", None), (NS, "bad"): ([("x", Opaque())], None)})
    assert cache.get([(NS, "ok"), (NS, "bad")]) == {}  # all or nothing


def test_set_replaces_an_entry(cache: BaseCache) -> None:
    cache.set({(NS, "k"): (1, None)})
    cache.set({(NS, "k"): (2, None)})
    assert cache.get([(NS, "k")]) == {(NS, "k"): 2}


def test_namespaces_keep_equal_keys_apart(cache: BaseCache) -> None:
    cache.set({(NS, "k"): ("mine", None), (OTHER, "k"): ("theirs", None)})
    assert cache.get([(NS, "k"), (OTHER, "k")]) == {(NS, "k"): "mine", (OTHER, "k"): "theirs"}


def test_an_entry_expires_after_its_ttl(cache: BaseCache) -> None:
    cache.set({(NS, "short"): ("s", 1), (NS, "long"): ("l", 60), (NS, "ever"): ("e", None)})
    keys = [(NS, "short"), (NS, "long"), (NS, "ever")]
    assert len(cache.get(keys)) == 3
    time.sleep(1.1)
    assert cache.get(keys) == {(NS, "long"): "l", (NS, "ever"): "e"}
    assert cache.get([(NS, "short")]) == {}  # the expired entry was dropped, not just skipped


def test_a_zero_ttl_is_expired_at_once(cache: BaseCache) -> None:
    cache.set({(NS, "k"): ("v", 0)})
    assert cache.get([(NS, "k")]) == {}


def test_a_negative_ttl_is_refused(cache: BaseCache) -> None:
    with pytest.raises(ValueError, match=r"ttl must be .* >= 0 or None, got -1"):
        cache.set({(NS, "k"): ("v", -1)})


def test_clear_namespaces_keeps_the_others(cache: BaseCache) -> None:
    cache.set({(NS, "a"): (1, None), (NS, "b"): (2, None), (OTHER, "a"): (3, None)})
    cache.clear([NS, ("never", "used")])
    assert cache.get([(NS, "a"), (NS, "b"), (OTHER, "a")]) == {(OTHER, "a"): 3}


def test_clear_without_namespaces_empties_the_cache(cache: BaseCache) -> None:
    cache.set({(NS, "a"): (1, None), (OTHER, "a"): (3, None)})
    cache.clear()
    assert cache.get([(NS, "a"), (OTHER, "a")]) == {}


async def test_async_twins(cache: BaseCache) -> None:
    await cache.aset({(NS, "k"): ([("x", 1)], None), (OTHER, "k"): (2, None)})
    assert await cache.aget([(NS, "k"), (OTHER, "k")]) == {(NS, "k"): [("x", 1)], (OTHER, "k"): 2}
    await cache.aclear([NS])
    assert await cache.aget([(NS, "k"), (OTHER, "k")]) == {(OTHER, "k"): 2}
    await cache.aclear()
    assert await cache.aget([(OTHER, "k")]) == {}


def test_many_keys_in_one_get(cache: BaseCache) -> None:
    cache.set({(NS, f"k{i}"): (i, None) for i in range(0, 1200, 2)})
    found = cache.get([(NS, f"k{i}") for i in range(1200)])
    assert found == {(NS, f"k{i}"): i for i in range(0, 1200, 2)}


def test_threads_sharing_a_cache(cache: BaseCache) -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(50):
                cache.set({(NS, f"{n}-{i}"): ([("v", (n, i))], None)})
                assert cache.get([(NS, f"{n}-{i}")]) == {(NS, f"{n}-{i}"): [("v", (n, i))]}
        except BaseException as exc:  # reported below: an assert in a thread is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache.get([(NS, f"{n}-{i}") for n in range(6) for i in range(50)])) == 300
