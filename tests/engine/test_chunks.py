"""Stream chunk builders (``nbpregel.pregel._chunks``): timestamps and output lookups stay exact
while they are made cheap."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from nbpregel.pregel import _chunks

SECOND = 1_000_000_000


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """``time.time_ns`` as seen by ``_chunks``: the test sets ``clock[0]`` (nanoseconds)."""
    now = [0]
    monkeypatch.setattr(_chunks.time, "time_ns", lambda: now[0])
    monkeypatch.setattr(_chunks, "_task_stamp", (-1, 0, ""))
    return now


@pytest.mark.parametrize(
    "ns",
    [
        1_700_000_000 * SECOND,  # a whole second: the fraction is still written
        1_700_000_000 * SECOND + 999_999_999,  # the last µs of a second
        1_700_000_001 * SECOND + 1_000,  # the next second: the date part is formatted again
        1_709_251_199 * SECOND + 123_456_789,  # the end of a (leap-year) day
        1_709_251_200 * SECOND + 7_000,
    ],
    ids=["whole", "last-us", "next-second", "end-of-day", "next-day"],
)
def test_now_iso_is_the_utc_time_to_the_microsecond(clock: list[int], ns: int) -> None:
    clock[0] = ns
    stamp = _chunks.now_iso()
    expected = datetime.fromtimestamp(ns // SECOND, UTC).replace(microsecond=ns // 1000 % 10**6)
    assert datetime.fromisoformat(stamp) == expected
    assert stamp == expected.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def test_now_iso_follows_the_real_clock() -> None:
    before = datetime.now(UTC)
    stamp = datetime.fromisoformat(_chunks.now_iso())
    assert before <= stamp <= datetime.now(UTC)


def test_task_events_of_one_step_share_a_timestamp(clock: list[int]) -> None:
    clock[0] = 1_700_000_000 * SECOND
    first = _chunks.debug_chunk(3, "task", {})["timestamp"]
    clock[0] += 40_000  # 40 µs later, same step: the step's planning time
    assert _chunks.debug_chunk(3, "task", {})["timestamp"] == first
    assert _chunks.debug_chunk(3, "task_result", {})["timestamp"] != first  # results: own time
    assert _chunks.debug_chunk(4, "task", {})["timestamp"] != first  # another step


def test_task_events_far_apart_get_their_own_timestamps(clock: list[int]) -> None:
    clock[0] = 1_700_000_000 * SECOND
    first = _chunks.debug_chunk(3, "task", {})["timestamp"]
    clock[0] += 60_000  # more than 50 µs: the clock is read again
    later = _chunks.debug_chunk(3, "task", {})["timestamp"]
    assert datetime.fromisoformat(later) > datetime.fromisoformat(first)


def test_output_of_writes_picks_the_output_keys_in_write_order() -> None:
    keys = tuple(f"k{i}" for i in range(300))
    writes = [(f"k{i}", i) for i in range(299, -1, -1)] + [("branch:to:x", None), ("k5", "again")]
    picked = _chunks.output_of_writes(writes, keys)
    assert list(picked) == [f"k{i}" for i in range(299, -1, -1)]
    assert picked["k5"] == "again"  # the last write of a key wins
    assert _chunks.output_of_writes([("other", 1)], keys) is None
    assert _chunks.output_of_writes([], keys) is None
    assert _chunks.output_of_writes(writes, "k7") == 7


def test_output_keys_are_never_confused_between_graphs() -> None:
    # Many short-lived key tuples (graphs built in a loop): ids get reused, sets never do.
    for i in range(600):
        keys = (f"a{i}", f"b{i}")
        writes = [(f"a{i}", 1), (f"a{i - 1}", 2), (f"b{i}", 3)]
        assert _chunks.output_of_writes(writes, keys) == {f"a{i}": 1, f"b{i}": 3}


def test_now_iso_is_cheaper_than_datetime() -> None:
    def per_call(fn: object) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(2000):
                fn()  # type: ignore[operator]
            best = min(best, time.perf_counter() - start)
        return best

    assert per_call(_chunks.now_iso) < per_call(lambda: datetime.now(UTC).isoformat())
