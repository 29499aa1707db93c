"""Helpers shared by the channels: error messages and container copies."""

from __future__ import annotations

import pytest

from nbpregel.channels._common import copy_container, too_many_values, with_writers
from nbpregel.errors import InvalidUpdateError


def test_too_many_values_starts_with_the_channel() -> None:
    error = too_many_values("messages", 3, "declare a reducer")
    assert isinstance(error, InvalidUpdateError)
    assert str(error) == "channel 'messages': received 3 values in one superstep; declare a reducer"


@pytest.mark.parametrize(
    ("writers", "shown"),
    [
        pytest.param(["a"], "'a'", id="one"),
        pytest.param(["a", "b"], "'a', 'b'", id="two"),
        pytest.param(["b", "a", "b"], "'b', 'a'", id="duplicates-dropped-in-order"),
    ],
)
def test_with_writers_appends_the_writers(writers: list[str], shown: str) -> None:
    error = with_writers(InvalidUpdateError("channel 'x': bad"), writers)
    assert isinstance(error, InvalidUpdateError)
    assert str(error) == f"channel 'x': bad (written by {shown})"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param([1, [2]], id="list"),
        pytest.param({"a": 1}, id="dict"),
        pytest.param({1, 2}, id="set"),
        pytest.param(bytearray(b"ab"), id="bytearray"),
    ],
)
def test_copy_container_copies_mutable_containers(value: object) -> None:
    copied = copy_container(value)
    assert copied == value and copied is not value


@pytest.mark.parametrize(
    "value",
    [
        pytest.param((1, 2), id="tuple"),
        pytest.param("text", id="str"),
        pytest.param(frozenset({1}), id="frozenset"),
        pytest.param(object(), id="object"),
    ],
)
def test_copy_container_leaves_other_values(value: object) -> None:
    assert copy_container(value) is value
