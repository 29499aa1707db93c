"""Checkpoint ids: UUIDv7-shaped, and string order is creation order, even across threads."""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from nbpregel.checkpoint import checkpoint_id_time, new_checkpoint_id


def test_ids_are_version_7_uuids() -> None:
    parsed = uuid.UUID(new_checkpoint_id())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ids_strictly_increase_in_a_tight_loop() -> None:
    ids = [new_checkpoint_id() for _ in range(50_000)]
    assert all(a < b for a, b in itertools.pairwise(ids))


def test_ids_from_many_threads_are_unique_and_ordered_per_thread() -> None:
    results: dict[int, list[str]] = {}

    def make(worker: int) -> None:
        results[worker] = [new_checkpoint_id() for _ in range(5_000)]

    threads = [threading.Thread(target=make, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [i for ids in results.values() for i in ids]
    assert len(set(everything)) == len(everything)
    for ids in results.values():
        assert ids == sorted(ids)


def test_later_ids_sort_after_earlier_ones() -> None:
    first = new_checkpoint_id()
    time.sleep(0.002)
    assert new_checkpoint_id() > first


def test_id_carries_its_creation_time() -> None:
    before = datetime.now(UTC)
    made = checkpoint_id_time(new_checkpoint_id())
    after = datetime.now(UTC)
    assert before - timedelta(milliseconds=1) <= made <= after


def test_time_of_a_non_v7_id_is_an_error() -> None:
    with pytest.raises(ValueError, match="not a time-ordered checkpoint id"):
        checkpoint_id_time(str(uuid.uuid4()))
