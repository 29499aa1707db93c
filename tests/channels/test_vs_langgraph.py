"""Differential tests: the same updates fed to our channels and LangGraph's give the same results.

Each scenario pairs one of our channels with LangGraph's channel of the same kind, applies the same
operations to both (update / consume / finish / restore from checkpoint) and compares, after every
operation, the return value (or the error type) and what the channel shows (availability, value).
A scenario stops at the first error: LangGraph may leave a channel half-updated after one, ours
does not. Known, deliberate differences are not exercised here: our reducer errors are wrapped in
``InvalidUpdateError`` (LangGraph lets them through), and an empty ``Topic`` checkpoints as
``MISSING`` (LangGraph: ``[]``).
"""

from __future__ import annotations

import functools
import operator
import random
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import pytest

lg_channels = pytest.importorskip("langgraph.channels")
lg_types = pytest.importorskip("langgraph.types")

from nbpregel import channels as nb  # noqa: E402
from nbpregel.channels.binop import initial_value  # noqa: E402
from nbpregel.types import Overwrite  # noqa: E402

pytestmark = pytest.mark.langgraph

Op = tuple[Any, ...]  # ("update", [values]) | ("consume",) | ("finish",) | ("restore",)


@dataclass(frozen=True)
class Pair:
    """How to build our channel and LangGraph's, and which writes they accept."""

    ours: Callable[[], Any]
    theirs: Callable[[], Any]
    pool: tuple[Any, ...]
    max_writes: int = 3


PAIRS: dict[str, Pair] = {
    "LastValue": Pair(
        lambda: nb.LastValue(int), lambda: lg_channels.LastValue(int), (1, 2, 3), max_writes=2
    ),
    "LastValueAfterFinish": Pair(
        lambda: nb.LastValueAfterFinish(int),
        lambda: lg_channels.LastValueAfterFinish(int),
        (1, 2, 3),
    ),
    "AnyValue": Pair(lambda: nb.AnyValue(int), lambda: lg_channels.AnyValue(int), (1, 2, 3)),
    "EphemeralValue": Pair(
        lambda: nb.EphemeralValue(int), lambda: lg_channels.EphemeralValue(int), (1, 2), 2
    ),
    "EphemeralValue-unguarded": Pair(
        lambda: nb.EphemeralValue(int, guard=False),
        lambda: lg_channels.EphemeralValue(int, guard=False),
        (1, 2, 3),
    ),
    "UntrackedValue": Pair(
        lambda: nb.UntrackedValue(int), lambda: lg_channels.UntrackedValue(int), (1, 2), 2
    ),
    "UntrackedValue-unguarded": Pair(
        lambda: nb.UntrackedValue(int, guard=False),
        lambda: lg_channels.UntrackedValue(int, guard=False),
        (1, 2, 3),
    ),
    "Topic": Pair(lambda: nb.Topic(int), lambda: lg_channels.Topic(int), (1, 2, [3, 4], [])),
    "Topic-accumulate": Pair(
        lambda: nb.Topic(int, accumulate=True),
        lambda: lg_channels.Topic(int, accumulate=True),
        (1, 2, [3, 4], []),
    ),
    "BinaryOperatorAggregate-int": Pair(
        lambda: nb.BinaryOperatorAggregate(int, operator.add),
        lambda: lg_channels.BinaryOperatorAggregate(int, operator.add),
        (1, 2, 5),
    ),
    "BinaryOperatorAggregate-list": Pair(
        lambda: nb.BinaryOperatorAggregate(list[int], operator.add),
        lambda: lg_channels.BinaryOperatorAggregate(list[int], operator.add),
        ([1], [2, 3], [], Overwrite([9]), Overwrite([])),
    ),
    "BinaryOperatorAggregate-no-start": Pair(
        lambda: nb.BinaryOperatorAggregate(int | None, operator.add),
        lambda: lg_channels.BinaryOperatorAggregate(int | None, operator.add),
        (1, 2, 5),
    ),
    "NamedBarrierValue": Pair(
        lambda: nb.NamedBarrierValue(str, {"a", "b"}),
        lambda: lg_channels.NamedBarrierValue(str, {"a", "b"}),
        ("a", "b", "a", "b", "zed"),
    ),
    "NamedBarrierValueAfterFinish": Pair(
        lambda: nb.NamedBarrierValueAfterFinish(str, {"a", "b"}),
        lambda: lg_channels.NamedBarrierValueAfterFinish(str, {"a", "b"}),
        ("a", "b", "a", "b", "zed"),
    ),
}


def _theirs(value: Any) -> Any:
    """A write as LangGraph expects it (its own ``Overwrite`` class)."""
    return lg_types.Overwrite(value.value) if isinstance(value, Overwrite) else value


def _call(fn: Callable[[], Any]) -> tuple[str, Any]:
    """What a call did: ("ok", result) or ("error", the error's class name)."""
    try:
        return ("ok", fn())
    except Exception as exc:  # both libraries' errors share class names
        return ("error", type(exc).__name__)


def _view(channel: Any) -> tuple[bool, tuple[str, Any]]:
    return channel.is_available(), _call(channel.get)


def _run(channel: Any, ops: list[Op], translate: Callable[[Any], Any]) -> list[Any]:
    """Apply ``ops``; after each, record its outcome and the channel's view; stop at an error."""
    channel.key = "ch"
    trace: list[Any] = [("start", _view(channel))]
    for op in ops:
        if op[0] == "restore":
            channel = channel.from_checkpoint(channel.checkpoint())
            outcome: tuple[str, Any] = ("ok", None)
        elif op[0] == "update":
            values = [translate(value) for value in op[1]]
            outcome = _call(functools.partial(channel.update, values))
        else:
            outcome = _call(getattr(channel, op[0]))
        trace.append((op, outcome, _view(channel) if outcome[0] == "ok" else None))
        if outcome[0] == "error":
            break
    return trace


def _random_ops(pair: Pair, rng: random.Random, length: int = 12) -> list[Op]:
    ops: list[Op] = []
    for _ in range(length):
        kind = rng.choices(["update", "consume", "finish", "restore"], [6, 1, 1, 1])[0]
        if kind == "update":
            count = rng.randint(0, pair.max_writes)
            ops.append(("update", [rng.choice(pair.pool) for _ in range(count)]))
        else:
            ops.append((kind,))
    return ops


def _assert_same(pair: Pair, ops: list[Op]) -> None:
    ours = _run(pair.ours(), ops, lambda value: value)
    theirs = _run(pair.theirs(), ops, _theirs)
    assert ours == theirs, f"ops: {ops}"


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("kind", list(PAIRS))
def test_random_sequences_match_langgraph(kind: str, seed: int) -> None:
    pair = PAIRS[kind]
    _assert_same(pair, _random_ops(pair, random.Random(f"{kind}-{seed}")))


SCENARIOS: list[Any] = [
    pytest.param("LastValue", [("update", [1, 2])], id="last-value-two-writes"),
    pytest.param(
        "LastValueAfterFinish",
        [("update", [1]), ("consume",), ("finish",), ("restore",), ("consume",), ("finish",)],
        id="after-finish-cycle",
    ),
    pytest.param("AnyValue", [("update", [1]), ("update", []), ("update", [])], id="any-clears"),
    pytest.param("EphemeralValue", [("update", [1, 2])], id="ephemeral-guard"),
    pytest.param(
        "Topic", [("update", [[1, 2], 3]), ("update", [[]]), ("update", [])], id="topic-flatten"
    ),
    pytest.param(
        "BinaryOperatorAggregate-list",
        [("update", [[1], Overwrite([5]), [2]]), ("update", [Overwrite([1]), Overwrite([2])])],
        id="overwrite-rules",
    ),
    pytest.param(
        "NamedBarrierValueAfterFinish",
        [
            ("update", ["a"]),
            ("finish",),
            ("update", ["b"]),
            ("consume",),
            ("finish",),
            ("restore",),
            ("consume",),
        ],
        id="deferred-join",
    ),
    pytest.param("NamedBarrierValue", [("update", ["a", "zed"])], id="barrier-unknown-name"),
]


@pytest.mark.parametrize(("kind", "ops"), SCENARIOS)
def test_scenarios_match_langgraph(kind: str, ops: list[Op]) -> None:
    _assert_same(PAIRS[kind], ops)


@pytest.mark.parametrize(
    "typ",
    [
        int,
        str,
        list[int],
        typing.List[int],  # noqa: UP006
        dict[str, int],
        typing.Sequence[int],
        Annotated[list[int], "x"],
        typing.NotRequired[list[int]],
        typing.Optional[int],  # noqa: UP045
        int | None,
        typing.Literal[1],
        Any,
    ],
    ids=str,
)
def test_starting_value_matches_langgraph(typ: Any) -> None:
    theirs = lg_channels.BinaryOperatorAggregate(typ, operator.add)
    ours = initial_value(typ)
    if theirs.is_available():
        assert ours == theirs.get() and type(ours) is type(theirs.get())
    else:
        assert ours is nb.MISSING
