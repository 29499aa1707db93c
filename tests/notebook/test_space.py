"""``Space`` holds a step's ``trace`` events as packed spans of the chunks they came in."""

from __future__ import annotations

import gc

from nbpregel.notebook._space import Space


def events(tag: str, count: int) -> list[tuple[str, int]]:
    return [(tag, index) for index in range(count)]


def test_a_held_step_reads_back_its_events_and_lets_its_chunk_go() -> None:
    space = Space("")
    first, second = events("a", 5), events("b", 3)
    one = space.add_chunk(first)
    space.hold(7, one, 1, 4)
    space.applied(one)
    two = space.add_chunk(second)
    space.hold(7, two, 0, 2)  # the step continued in the next chunk
    space.hold(8, two, 2, 3)
    space.applied(two)
    assert list(space.held_events(7)) == [("a", 1), ("a", 2), ("a", 3), ("b", 0), ("b", 1)]
    assert list(space.held_events(8)) == [("b", 2)]
    assert space.step_numbers() == [7, 8]
    assert list(space.take(7)) == [("a", 1), ("a", 2), ("a", 3), ("b", 0), ("b", 1)]
    assert space.chunks[one] == () and space.chunks[two] == second  # step 8 still holds it
    assert list(space.take(8)) == [("b", 2)] and space.chunks[two] == ()
    assert not space.held and space.held_events(7) == ()


def test_spans_pack_large_chunk_numbers_and_positions_into_untracked_ints() -> None:
    space = Space("")
    big = 3_000_000
    chunk = space.add_chunk(events("x", big + 2))
    for _ in range(70):  # chunk numbers past 64
        space.add_chunk([])
    last = space.add_chunk(events("y", 2))
    space.hold(1, chunk, big, big + 2)
    space.hold(2, last, 1, 2)
    assert list(space.held_events(1)) == [("x", big), ("x", big + 1)]
    assert list(space.held_events(2)) == [("y", 1)]
    assert not any(gc.is_tracked(span) for span in space.held.values())


def test_hold_each_holds_a_run_of_events_as_one_step_each() -> None:
    space = Space("")
    chunk = space.add_chunk(events("s", 6))
    space.hold(3, chunk, 0, 2)
    assert space.hold_each(4, chunk, 2, 5)  # events 2, 3 and 4 are steps 4, 5 and 6
    space.hold(7, chunk, 5, 6)
    space.applied(chunk)
    assert space.step_numbers() == [3, 4, 5, 6, 7]
    assert [list(space.held_events(step)) for step in (4, 5, 6)] == [
        [("s", 2)],
        [("s", 3)],
        [("s", 4)],
    ]
    assert not any(gc.is_tracked(span) for span in space.held.values())
    for step in (3, 4, 5, 6):
        space.take(step)
        assert space.chunks[chunk]  # step 7 still holds it
    space.take(7)
    assert space.chunks[chunk] == ()


def test_hold_each_holds_nothing_when_a_step_holds_events_already() -> None:
    space = Space("")
    chunk = space.add_chunk(events("s", 4))
    space.hold(5, chunk, 0, 1)
    assert not space.hold_each(4, chunk, 1, 4)  # step 5 would be in two places
    assert not space.hold_each(9, chunk, 4, 4)  # no event
    assert space.step_numbers() == [5]
    space.applied(chunk)
    space.take(5)
    assert space.chunks[chunk] == ()  # no hold was counted for the refused runs
