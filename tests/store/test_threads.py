"""Many threads at once: nodes run on worker threads and share one store (of every kind)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from nbpregel.store.base import BaseStore

WRITERS = 8
PUTS_EACH = {"memory": 300, "sqlite": 100}
"""Puts per writer: fewer on SQLite, where each put is a transaction and each read decodes."""


@pytest.fixture(autouse=True)
def frequent_switches() -> Iterator[None]:
    """Switch threads every few microseconds, so races show up within a short test."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)


def run_together(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def guarded(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as error:  # collected: the test reports them all
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_concurrent_puts_lose_nothing_while_others_read(store: BaseStore, kind: str) -> None:
    puts_each = PUTS_EACH[kind]
    stop = threading.Event()
    seen: dict[str, list[int]] = {"first": [], "second": []}

    def writer(number: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(puts_each):
                # a new namespace every few puts, so readers iterate a growing dict
                store.put(("w", str(number), str(i // 10)), f"k{i}", {"i": i, "by": number})
                store.put(("shared",), "counter", {"last": number})

        return work

    def reader(name: str) -> Callable[[], None]:
        def work() -> None:
            while not stop.is_set():
                seen[name].append(len(store.search(("w",), limit=10_000)))
                store.list_namespaces(prefix=("w", "*"), max_depth=2)

        return work

    readers = [reader(name) for name in seen]
    workers = [writer(n) for n in range(WRITERS)]

    def writers_then_stop() -> None:
        errors.extend(run_together(workers))
        stop.set()

    errors: list[BaseException] = []
    everything = run_together([*readers, writers_then_stop])
    assert everything == [] and errors == []
    items = store.search(("w",), limit=100_000)
    assert len(items) == WRITERS * puts_each
    assert {(item.value["by"], item.value["i"]) for item in items} == {
        (n, i) for n in range(WRITERS) for i in range(puts_each)
    }
    assert len(store.list_namespaces(prefix=("w",), limit=1000)) == WRITERS * puts_each // 10
    assert store.get(("shared",), "counter").value["last"] in range(WRITERS)
    for counts in seen.values():  # each reader saw a consistent, growing store
        assert counts and counts == sorted(counts)


def test_concurrent_updates_of_one_key_keep_its_creation_time(store: BaseStore) -> None:
    store.put(("one",), "k", {"n": -1})
    created = store.get(("one",), "k").created_at

    def update(number: int) -> Callable[[], None]:
        return lambda: [store.put(("one",), "k", {"n": number}) for _ in range(200)]

    assert run_together([update(n) for n in range(6)]) == []
    item = store.get(("one",), "k")
    assert item.created_at == created and item.value["n"] in range(6)
    assert len(store.search(("one",))) == 1
