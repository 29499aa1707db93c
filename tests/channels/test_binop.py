"""BinaryOperatorAggregate: folds writes with a reducer; Overwrite bypasses it."""

from __future__ import annotations

import collections.abc as abc
import operator
import typing
from collections.abc import Callable
from typing import Annotated, Any, Literal, NotRequired, Required

import pytest
from typing_extensions import ReadOnly, TypedDict

from nbpregel.channels import MISSING, BinaryOperatorAggregate
from nbpregel.channels.binop import initial_value
from nbpregel.errors import EmptyChannelError, InvalidUpdateError
from nbpregel.types import Overwrite


class _NeedsArgument:
    def __init__(self, value: int) -> None:
        self.value = value


class _Movie(TypedDict):
    title: str


@pytest.mark.parametrize(
    ("typ", "expected"),
    [
        pytest.param(int, 0, id="int"),
        pytest.param(str, "", id="str"),
        pytest.param(list, [], id="list"),
        pytest.param(list[int], [], id="list-generic"),
        pytest.param(typing.List[int], [], id="typing-List"),  # noqa: UP006
        pytest.param(dict[str, int], {}, id="dict-generic"),
        pytest.param(tuple[int, ...], (), id="tuple-generic"),
        pytest.param(frozenset[str], frozenset(), id="frozenset"),
        pytest.param(abc.Sequence[int], [], id="abc-Sequence"),
        pytest.param(typing.Sequence, [], id="bare-typing-Sequence"),
        pytest.param(abc.MutableSequence[int], [], id="abc-MutableSequence"),
        pytest.param(abc.Set[int], set(), id="abc-Set"),
        pytest.param(abc.MutableSet[int], set(), id="abc-MutableSet"),
        pytest.param(abc.Mapping[str, int], {}, id="abc-Mapping"),
        pytest.param(abc.MutableMapping[str, int], {}, id="abc-MutableMapping"),
        pytest.param(Annotated[list[int], "meta"], [], id="Annotated"),
        pytest.param(Annotated[abc.Sequence[int], "meta"], [], id="Annotated-abstract"),
        pytest.param(NotRequired[list[int]], [], id="NotRequired"),
        pytest.param(Required[Annotated[dict[str, int], 1]], {}, id="Required-Annotated"),
        pytest.param(ReadOnly[list[int]], [], id="ReadOnly"),
        pytest.param(_Movie, {}, id="TypedDict"),
        pytest.param(int | None, MISSING, id="union"),
        pytest.param(typing.Optional[int], MISSING, id="Optional"),  # noqa: UP045
        pytest.param(Literal["a"], MISSING, id="Literal"),
        pytest.param(Any, MISSING, id="Any"),
        pytest.param(_NeedsArgument, MISSING, id="needs-argument"),
        pytest.param(abc.Iterable[int], MISSING, id="abstract-unmapped"),
    ],
)
def test_initial_value(typ: Any, expected: object) -> None:
    value = initial_value(typ)
    assert value == expected
    assert type(value) is type(expected)


def test_starts_from_typ_and_is_available_at_once() -> None:
    channel = BinaryOperatorAggregate(int, operator.add, key="total")
    assert channel.is_available() and channel.get() == 0


def test_each_channel_gets_its_own_starting_value() -> None:
    spec = BinaryOperatorAggregate(list[int], operator.iadd, key="items")
    first, second = spec.from_checkpoint(MISSING), spec.from_checkpoint(MISSING)
    first.update([[1]])
    assert second.get() == [] and spec.get() == []


@pytest.mark.parametrize(
    ("typ", "reducer", "steps", "expected"),
    [
        pytest.param(int, operator.add, [[1, 2], [3]], 6, id="sum"),
        pytest.param(list, operator.add, [[[1], [2]], [[3]]], [1, 2, 3], id="concat"),
        pytest.param(str, lambda a, b: a + b, [["a", "b"]], "ab", id="lambda"),
        pytest.param(int, max, [[3, 1], [2]], 3, id="max"),
        pytest.param(int | None, operator.add, [[5, 1]], 6, id="no-start-first-write-kept"),
        pytest.param(dict, operator.or_, [[{"a": 1}], [{"b": 2}]], {"a": 1, "b": 2}, id="merge"),
    ],
)
def test_folds_writes_in_order(
    typ: Any, reducer: Callable[[Any, Any], Any], steps: list[list[Any]], expected: object
) -> None:
    channel = BinaryOperatorAggregate(typ, reducer, key="acc")
    for values in steps:
        assert channel.update(values) is True
    assert channel.get() == expected


def test_without_start_value_is_empty_until_written() -> None:
    channel = BinaryOperatorAggregate(int | None, operator.add, key="acc")
    assert not channel.is_available()
    assert channel.checkpoint() is MISSING
    with pytest.raises(EmptyChannelError, match="'acc'"):
        channel.get()
    assert channel.update([]) is False


def test_reducer_sees_values_in_write_order() -> None:
    channel = BinaryOperatorAggregate(str, lambda a, b: f"({a}{b})", key="s")
    channel.update(["x", "y"])
    assert channel.get() == "((x)y)"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param([Overwrite([9])], [9], id="alone"),
        pytest.param([[1], Overwrite([9])], [9], id="after-a-write"),
        pytest.param([Overwrite([9]), [1]], [9], id="later-writes-ignored"),
        pytest.param([Overwrite([])], [], id="to-empty"),
    ],
)
def test_overwrite_bypasses_the_reducer(values: list[Any], expected: list[int]) -> None:
    channel = BinaryOperatorAggregate(list[int], operator.add, key="items")
    channel.update([[0]])
    assert channel.update(values) is True
    assert channel.get() == expected


def test_overwrite_on_channel_without_start_value() -> None:
    channel = BinaryOperatorAggregate(int | None, operator.add, key="n")
    channel.update([Overwrite(4)])
    assert channel.get() == 4


def test_two_overwrites_in_one_step_are_rejected() -> None:
    channel = BinaryOperatorAggregate(list[int], operator.add, key="items")
    channel.update([[0]])
    with pytest.raises(InvalidUpdateError) as info:
        channel.update([Overwrite([1]), Overwrite([2])])
    assert str(info.value).startswith("channel 'items'")
    assert "Overwrite" in str(info.value)
    assert channel.get() == [0]


def test_reducer_error_names_the_channel_and_chains() -> None:
    channel = BinaryOperatorAggregate(list[int], operator.add, key="items")
    channel.update([[1]])
    with pytest.raises(InvalidUpdateError) as info:
        channel.update([[2], "not a list"])
    message = str(info.value)
    assert message.startswith("channel 'items'")
    assert "add" in message and "TypeError" in message
    assert isinstance(info.value.__cause__, TypeError)
    assert channel.get() == [1]  # a failed update leaves the value as it was


@pytest.mark.parametrize(
    ("typ", "reducer"),
    [
        pytest.param(list[int], operator.add, id="new-list"),
        pytest.param(list[int], operator.iadd, id="in-place-list"),
        pytest.param(set[int], operator.ior, id="in-place-set"),
        pytest.param(dict[str, int], operator.ior, id="in-place-dict"),
    ],
)
def test_checkpoint_shares_no_container(typ: Any, reducer: Callable[[Any, Any], Any]) -> None:
    def item(n: int) -> Any:
        origin = typing.get_origin(typ)
        return {str(n): n} if origin is dict else origin([n])

    channel = BinaryOperatorAggregate(typ, reducer, key="acc")
    channel.update([item(1)])
    saved = channel.checkpoint()
    restored = channel.from_checkpoint(saved)
    channel.update([item(2)])  # live changes leave the checkpoint and the copy alone
    assert saved == item(1) and restored.get() == item(1)
    restored.update([item(3)])  # the copy's changes leave the checkpoint alone
    assert saved == item(1)
    assert restored.key == "acc" and restored.operator is reducer


@pytest.mark.parametrize("method", ["consume", "finish"])
def test_consume_and_finish_are_no_ops(method: str) -> None:
    channel = BinaryOperatorAggregate(int, operator.add, key="n")
    channel.update([2])
    assert getattr(channel, method)() is False
    assert channel.get() == 2


def test_does_not_clear_when_idle() -> None:
    channel = BinaryOperatorAggregate(int, operator.add, key="n")
    channel.update([2])
    assert channel.clears_when_idle is False
    assert channel.update([]) is False and channel.get() == 2


def test_a_reducer_refusing_a_value_gets_no_advice_about_argument_types() -> None:
    def refuse_negatives(current: int, written: int) -> int:
        if written < 0:
            raise ValueError(f"negative amount {written}")
        return current + written

    channel = BinaryOperatorAggregate(int, refuse_negatives, key="total")
    with pytest.raises(InvalidUpdateError) as info:
        channel.update([-3])
    message = str(info.value)
    assert "refuse_negatives raised ValueError: negative amount -3" in message
    assert "make the reducer accept" not in message
    assert isinstance(info.value.__cause__, ValueError)
