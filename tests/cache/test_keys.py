"""Cache keys: equal inputs give equal keys; different inputs, even big ones, do not collide."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

from nbpregel.cache._keys import default_cache_key, digest
from nbpregel.types import CachePolicy


@dataclasses.dataclass
class Doc:
    text: str
    tags: list[str]


EQUAL_PAIRS = [
    pytest.param({"a": 1, "b": 2}, {"b": 2, "a": 1}, id="dict-order"),
    pytest.param({3, 1, 2}, {2, 3, 1}, id="set-order"),
    pytest.param({"k": {"x": [1, {2}]}}, {"k": {"x": [1, {2}]}}, id="nested"),
    pytest.param(Doc("t", ["a"]), Doc("t", ["a"]), id="dataclass"),
    pytest.param(np.arange(10_000), np.arange(10_000), id="numpy"),
    pytest.param(
        pd.DataFrame({"x": range(5000)}), pd.DataFrame({"x": range(5000)}), id="dataframe"
    ),
]


@pytest.mark.parametrize(("left", "right"), EQUAL_PAIRS)
def test_equal_inputs_give_equal_keys(left: object, right: object) -> None:
    assert default_cache_key(left) == default_cache_key(right)


def test_shared_references_do_not_change_the_key() -> None:
    shared = ["x" * 50]
    same = {"a": shared, "b": shared}
    distinct = {"a": ["x" * 50], "b": ["x" * 50]}
    assert default_cache_key(same) == default_cache_key(distinct)


def _big_array(middle: int) -> np.ndarray:
    values = np.zeros(100_000)
    values[50_000] = middle
    return values


DIFFERENT_PAIRS = [
    pytest.param({"a": 1}, {"a": 2}, id="value"),
    pytest.param({"a": 1}, [("a", 1)], id="dict-vs-pairs"),
    pytest.param([1, 2], (1, 2), id="list-vs-tuple"),
    pytest.param(_big_array(0), _big_array(1), id="numpy-repr-would-collide"),
    pytest.param(
        pd.DataFrame({"x": [0] * 5000}),
        pd.DataFrame({"x": [0] * 2500 + [1] + [0] * 2499}),
        id="dataframe-repr-would-collide",
    ),
    pytest.param(Doc("t", ["a"]), Doc("t", ["b"]), id="dataclass"),
]


@pytest.mark.parametrize(("left", "right"), DIFFERENT_PAIRS)
def test_different_inputs_give_different_keys(left: object, right: object) -> None:
    assert repr(left) != repr(right) or "..." in repr(left)  # the pair really differs
    assert default_cache_key(left) != default_cache_key(right)


def test_an_unpicklable_input_still_gets_a_key() -> None:
    lock = threading.Lock()
    assert default_cache_key({"lock": lock}) == default_cache_key({"lock": lock})
    assert default_cache_key({"lock": lock}) != default_cache_key({"lock": threading.Lock()})


def test_the_policy_default_is_this_key() -> None:
    assert CachePolicy().key_func({"b": 1, "a": 2}) == default_cache_key({"a": 2, "b": 1})


def test_keys_are_stable_across_processes() -> None:
    code = (
        "from nbpregel.cache._keys import digest, default_cache_key;"
        "print(digest(default_cache_key({'b': [1, {'p', 'q', 'r'}], 'a': ('x', 1.5)})))"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert runs == {digest(default_cache_key({"a": ("x", 1.5), "b": [1, {"r", "q", "p"}]}))}


@pytest.mark.parametrize(
    ("raw", "same_as"),
    [pytest.param("abc", b"abc", id="str-is-utf8"), pytest.param(("a", 1), ("a", 1), id="tuple")],
)
def test_digest(raw: object, same_as: object) -> None:
    assert digest(raw) == digest(same_as)
    assert len(digest(raw)) == 32
    assert digest(raw) != digest("something else")
