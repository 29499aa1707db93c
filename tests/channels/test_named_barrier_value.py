"""NamedBarrierValue(AfterFinish): available once every named writer has written."""

from __future__ import annotations

import pytest

from nbpregel.channels import MISSING, NamedBarrierValue, NamedBarrierValueAfterFinish
from nbpregel.errors import EmptyChannelError, InvalidUpdateError

BARRIERS = [
    pytest.param(NamedBarrierValue, id="barrier"),
    pytest.param(NamedBarrierValueAfterFinish, id="after-finish"),
]
Barrier = type[NamedBarrierValue[str]] | type[NamedBarrierValueAfterFinish[str]]


@pytest.mark.parametrize(
    ("steps", "available", "last_changed"),
    [
        pytest.param([["a"]], False, True, id="one-of-two"),
        pytest.param([["a"], ["b"]], True, True, id="both-over-two-steps"),
        pytest.param([["b", "a"]], True, True, id="both-in-one-step"),
        pytest.param([["a"], ["a"]], False, False, id="repeat-is-no-change"),
        pytest.param([["a"], []], False, False, id="idle-step"),
    ],
)
def test_barrier_opens_when_all_names_written(
    steps: list[list[str]], available: bool, last_changed: bool
) -> None:
    join = NamedBarrierValue(str, {"a", "b"}, key="join")
    changed = [join.update(values) for values in steps]
    assert changed[-1] is last_changed
    assert join.is_available() is available
    if available:
        assert join.get() is None  # type: ignore[func-returns-value]
    else:
        with pytest.raises(EmptyChannelError, match="'join'"):
            join.get()


@pytest.mark.parametrize("cls", BARRIERS)
def test_unknown_writer_is_rejected(cls: Barrier) -> None:
    join = cls(str, {"a", "b"}, key="join")
    with pytest.raises(InvalidUpdateError) as info:
        join.update(["a", "zed"])
    message = str(info.value)
    assert message.startswith("channel 'join'")
    assert "'zed'" in message and "['a', 'b']" in message
    assert join.checkpoint() is MISSING  # nothing recorded from the rejected step


def test_consume_resets_an_open_barrier_only() -> None:
    join = NamedBarrierValue(str, {"a", "b"}, key="join")
    join.update(["a"])
    assert join.consume() is False
    assert join.checkpoint() == ["a"]
    join.update(["b"])
    assert join.consume() is True
    assert not join.is_available() and join.checkpoint() is MISSING


def test_plain_barrier_finish_is_a_no_op() -> None:
    join = NamedBarrierValue(str, {"a"}, key="join")
    join.update(["a"])
    assert join.finish() is False
    assert join.is_available()


@pytest.mark.parametrize("cls", BARRIERS)
def test_barrier_does_not_clear_when_idle(cls: Barrier) -> None:
    assert cls.clears_when_idle is False


def test_barrier_checkpoint_is_sorted_and_shares_nothing() -> None:
    join = NamedBarrierValue(str, {"c", "a", "b"}, key="join")
    join.update(["c", "a"])
    saved = join.checkpoint()
    assert saved == ["a", "c"]
    restored = join.from_checkpoint(saved)
    join.update(["b"])  # the live barrier moves on
    assert saved == ["a", "c"] and not restored.is_available()
    saved.append("b")  # the checkpoint data changes: the restored barrier does not
    assert not restored.is_available()
    restored.update(["b"])
    assert restored.is_available() and restored.key == "join"
    assert restored.from_checkpoint({"a", "b", "c"}).is_available()  # any iterable restores


# -- NamedBarrierValueAfterFinish -------------------------------------------------------------


def test_after_finish_barrier_needs_all_names_and_finish() -> None:
    join = NamedBarrierValueAfterFinish(str, {"a", "b"}, key="join")
    join.update(["a"])
    assert join.finish() is False  # not complete: cannot open
    join.update(["b"])
    assert not join.is_available()
    with pytest.raises(EmptyChannelError, match="'join'"):
        join.get()
    assert join.finish() is True
    assert join.finish() is False
    assert join.is_available()
    assert join.get() is None  # type: ignore[func-returns-value]


def test_after_finish_barrier_consume_only_when_open() -> None:
    join = NamedBarrierValueAfterFinish(str, {"a"}, key="join")
    join.update(["a"])
    assert join.consume() is False  # complete but not finished
    join.finish()
    assert join.consume() is True
    assert not join.is_available()
    assert join.checkpoint() is MISSING


@pytest.mark.parametrize("finished", [False, True], ids=["pending", "finished"])
def test_after_finish_barrier_checkpoint_round_trip(finished: bool) -> None:
    join = NamedBarrierValueAfterFinish(str, {"b", "a"}, key="join")
    join.update(["b", "a"])
    if finished:
        join.finish()
    saved = join.checkpoint()
    assert saved == (["a", "b"], finished)
    restored = join.from_checkpoint(list(saved))
    assert restored.is_available() is finished
    saved[0].clear()  # mutate the checkpoint: the restored barrier keeps its names
    assert restored.checkpoint() == (["a", "b"], finished)
    join.consume()
    join.update(["a"])
    assert restored.checkpoint() == (["a", "b"], finished)
