"""The safe serializer: exact round trips for every allowed type, clear refusals for the rest."""

from __future__ import annotations

import collections
import dataclasses
import decimal
import enum
import math
import threading
import typing
import uuid
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal
from typing import Any

import pydantic
import pytest

from nbpregel.checkpoint import RestoredError, SafeSerializer, register_type
from nbpregel.errors import GraphInterrupt, InvalidUpdateError, SerializationError
from nbpregel.types import Command, Interrupt, Overwrite, Send


class Color(enum.Enum):
    RED = "red"
    BLUE = (0, 0, 255)


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mode(enum.StrEnum):
    FAST = "fast"


class Perm(enum.Flag):
    READ = 1
    WRITE = 2


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True, slots=True)
class Frozen:
    point: Point
    when: datetime | None = None


@dataclasses.dataclass
class Doubling:
    value: int
    derived: int = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.value *= 2  # rerunning this on load would change the value
        self.derived = self.value + 1


@dataclasses.dataclass(frozen=True)
class Key:
    name: str


class Pair(typing.NamedTuple):
    left: Any
    right: Any = None


OldStyle = collections.namedtuple("OldStyle", ["a", "b"])


class Inner(pydantic.BaseModel):
    name: str


class Model(pydantic.BaseModel):
    inner: Inner
    anything: Any = None
    count: int = 0
    _secret: str = pydantic.PrivateAttr(default="none")


class Loose(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    a: int


class Opaque:
    """A class of none of the allowed kinds."""


class CustomError(Exception):
    pass


def same(a: Any, b: Any) -> bool:
    """Equal, and of the same type all the way down (so a tuple is not a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float | decimal.Decimal):  # repr tells -0.0 from 0.0 and shows NaN
        return repr(a) == repr(b)
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        keys_same = all(same(x, y) for x, y in zip(a, b, strict=True))
        return keys_same and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime | time):
        return a == b and a.tzinfo == b.tzinfo and a.fold == b.fold and repr(a) == repr(b)
    return bool(a == b)


def model_with_state() -> Model:
    model = Model(inner=Inner(name="n"), anything=Point(1), count=3)
    model._secret = "s3"
    return model


ROUND_TRIPS: dict[str, Any] = {
    "none": None,
    "bools": [True, False],
    "ints": [0, -1, 2**63 - 1, -(2**63), 2**64 - 1],
    "big ints": [2**64, -(2**100), 10**5000],
    "floats": [1.5, -0.0, math.inf, -math.inf, math.nan],
    "str": "héllo \x00 wörld",
    "bytes": b"\x00\xff",
    "list": [1, "a", [2, [3]]],
    "dict of str": {"a": 1, "b": {"c": [None]}},
    "dict with non-str keys": {1: "int", 2.5: "float", None: "none", (1, "a"): "tuple", False: 0},
    "tuple": (1, (2, 3), [4, (5,)]),
    "empty containers": [(), [], {}, set(), frozenset()],
    "set": {1, "a", (2, 3)},
    "frozenset": frozenset({1, frozenset({2})}),
    "naive datetime": datetime(2024, 2, 29, 23, 59, 59, 999999),
    "utc datetime": datetime(2024, 1, 1, tzinfo=UTC),
    "offset datetime": datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
    "named offset": datetime(2024, 1, 1, tzinfo=timezone(timedelta(hours=1), "CET")),
    "zoneinfo datetime": datetime(2024, 3, 31, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    "fold": datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
    "date": date(1, 1, 1),
    "time": time(23, 59, 1, 5),
    "aware time": time(8, 0, tzinfo=timezone(timedelta(hours=5))),
    "timedelta": timedelta(days=-3, seconds=5, microseconds=7),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": [decimal.Decimal("3.14159265358979323846264338327950288"), decimal.Decimal("-0")],
    "decimal nan": decimal.Decimal("NaN"),
    "enum": [Color.RED, Color.BLUE],
    "int enum": Level.HIGH,
    "str enum": Mode.FAST,
    "flag combination": Perm.READ | Perm.WRITE,
    "enum keys": {Level.LOW: "low", Color.RED: "red"},
    "dataclass": Point(1, 2, ["a"]),
    "frozen slots dataclass": Frozen(Point(3), datetime(2020, 1, 1, tzinfo=UTC)),
    "dataclass and namedtuple keys": {Key("k"): 1, Pair(1, 2): "nt key"},
    "namedtuple": Pair((1, 2), {3}),
    "collections namedtuple": OldStyle(1, [2]),
    "pydantic model": Inner(name="x"),
    "nested pydantic model": Model(inner=Inner(name="n"), anything=Inner(name="any")),
    "send": Send("node", {"arg": (1, 2)}),
    "sends": [Send("a", 1), Send("b", None)],
    "interrupt": Interrupt({"question": "ok?"}, "abc123"),
    "command": Command(update={"a": 1}, goto=[Send("n", 2), "m"], resume={"id": "yes"}),
    "command to parent": Command(graph=Command.PARENT, goto="x"),
    "overwrite": Overwrite([1, 2]),
    "checkpoint-like": {
        "v": 1,
        "channel_values": {"messages": [("user", "hi")], "count": 3},
        "channel_versions": {"messages": 2},
        "versions_seen": {"node": {"messages": 1}},
    },
}


@pytest.mark.parametrize("value", list(ROUND_TRIPS.values()), ids=list(ROUND_TRIPS))
def test_round_trip_is_exact(value: Any) -> None:
    serde = SafeSerializer()
    tag, data = serde.dumps_typed(value)
    assert tag == "msgpack"
    assert same(serde.loads_typed((tag, data)), value)


def test_dataclass_is_rebuilt_without_running_post_init() -> None:
    serde = SafeSerializer()
    original = Doubling(5)
    assert (original.value, original.derived) == (10, 11)
    loaded = serde.loads_typed(serde.dumps_typed(original))
    assert (loaded.value, loaded.derived) == (10, 11)


def test_pydantic_model_keeps_fields_set_private_and_extra_values() -> None:
    serde = SafeSerializer()
    model = model_with_state()
    loaded = serde.loads_typed(serde.dumps_typed(model))
    assert loaded == model
    assert type(loaded.anything) is Point
    assert loaded.model_fields_set == {"inner", "anything", "count"}
    assert loaded._secret == "s3"
    loose = Loose.model_validate({"a": 1, "extra_field": (1, 2)})
    loaded_loose = serde.loads_typed(serde.dumps_typed(loose))
    assert loaded_loose.model_extra == {"extra_field": (1, 2)}


@pytest.mark.parametrize(
    "error",
    [KeyError("k"), ValueError("bad", 2), FileNotFoundError(2, "missing"), TimeoutError()],
    ids=["KeyError", "ValueError with args", "FileNotFoundError", "no args"],
)
def test_builtin_errors_come_back_as_themselves(error: BaseException) -> None:
    serde = SafeSerializer()
    loaded = serde.loads_typed(serde.dumps_typed(error))
    assert type(loaded) is type(error)
    assert loaded.args == error.args
    assert str(loaded) == str(error)


def test_nbpregel_errors_come_back_as_themselves() -> None:
    serde = SafeSerializer()
    interrupt = GraphInterrupt([Interrupt("ask", "id1")])
    loaded = serde.loads_typed(serde.dumps_typed([InvalidUpdateError("x"), interrupt]))
    assert type(loaded[0]) is InvalidUpdateError and loaded[0].args == ("x",)
    assert type(loaded[1]) is GraphInterrupt
    assert loaded[1].interrupts == (Interrupt("ask", "id1"),)


def test_other_errors_come_back_as_data() -> None:
    serde = SafeSerializer()
    error = CustomError("boom", 42)
    error.add_note("while running node 'a' in step 3")
    loaded = serde.loads_typed(serde.dumps_typed(error))
    assert type(loaded) is RestoredError
    assert loaded.type_name == f"{__name__}.CustomError"
    assert str(loaded) == str(error)
    assert loaded.args == ("boom", 42)
    assert loaded.__notes__ == ["while running node 'a' in step 3"]


def test_error_arguments_that_cannot_be_saved_become_their_repr() -> None:
    serde = SafeSerializer()
    loaded = serde.loads_typed(serde.dumps_typed(ValueError(Opaque())))
    assert type(loaded) is ValueError
    assert loaded.args[0].startswith("<") and "Opaque" in loaded.args[0]


def test_registered_error_class_is_rebuilt() -> None:
    serde = SafeSerializer(allowed=[CustomError])
    loaded = serde.loads_typed(serde.dumps_typed(CustomError("boom")))
    assert type(loaded) is CustomError and loaded.args == ("boom",)


def test_unknown_type_error_names_type_place_and_fix() -> None:
    serde = SafeSerializer()
    with pytest.raises(SerializationError) as caught:
        serde.dumps_typed({"state": [1, Opaque()]})
    message = str(caught.value)
    assert f"{__name__}.Opaque" in message
    assert "value['state'][1]" in message
    assert "pickle_fallback=True" in message


@pytest.mark.parametrize(
    "value",
    [collections.OrderedDict(a=1), collections.deque([1]), object()],
    ids=["dict subclass", "deque", "object"],
)
def test_types_outside_the_allow_list_are_refused(value: Any) -> None:
    with pytest.raises(SerializationError, match=type(value).__qualname__):
        SafeSerializer().dumps_typed(value)


def test_unsupported_tzinfo_is_refused() -> None:
    class Custom(tzinfo):
        def utcoffset(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def dst(self, dt: datetime | None) -> timedelta:
            return timedelta(0)

        def tzname(self, dt: datetime | None) -> str:
            return "custom"

    with pytest.raises(SerializationError, match="zoneinfo"):
        SafeSerializer().dumps_typed(datetime(2024, 1, 1, tzinfo=Custom()))


def make_local_class() -> type:
    @dataclasses.dataclass
    class Local:
        x: int

    return Local


def test_class_defined_in_a_function_needs_registering() -> None:
    local = make_local_class()
    with pytest.raises(SerializationError, match="register_type"):
        SafeSerializer().dumps_typed(local(1))
    serde = SafeSerializer(allowed=[local])
    assert serde.loads_typed(serde.dumps_typed(local(1))) == local(1)


def test_register_type_allows_a_class_everywhere() -> None:
    local = make_local_class()
    assert register_type(local) is local
    serde = SafeSerializer()
    assert serde.loads_typed(serde.dumps_typed([local(2)])) == [local(2)]


def test_only_allowed_kinds_can_be_registered() -> None:
    with pytest.raises(SerializationError, match="Opaque"):
        register_type(Opaque)
    with pytest.raises(SerializationError, match="Opaque"):
        SafeSerializer(allowed=[Opaque])


def test_pickle_fallback_is_opt_in_both_ways() -> None:
    trusting = SafeSerializer(pickle_fallback=True)
    data = trusting.dumps_typed({"opaque": Opaque(), "plain": (1, 2)})
    loaded = trusting.loads_typed(data)
    assert type(loaded["opaque"]) is Opaque and loaded["plain"] == (1, 2)
    with pytest.raises(SerializationError, match="pickle_fallback=True"):
        SafeSerializer().loads_typed(data)


def test_a_failed_dump_leaves_nothing_behind_for_the_next() -> None:
    # Packers are reused between calls: an error half-way must not leak bytes into later ones.
    serde = SafeSerializer()
    value = {"sends": [Send("n", (i, {i})) for i in range(3)], "when": date(2024, 5, 1)}
    expected = serde.dumps_typed(value)
    for culprit in ({"ok": [1, 2], "bad": Opaque()}, [(1, Send("n", Opaque()))]):
        with pytest.raises(SerializationError):
            serde.dumps_typed(culprit)
        assert serde.dumps_typed(value) == expected
        assert serde.loads_typed(serde.dumps_typed(value)) == value


def test_threads_can_share_one_serializer() -> None:
    serde = SafeSerializer()
    values = [{"k": [(i, Send("n", {"i": i})), {i, -i}], "d": Decimal(i)} for i in range(50)]
    expected = [serde.dumps_typed(value) for value in values]
    barrier = threading.Barrier(4)
    results: list[list[tuple[str, bytes]]] = []

    def dump_all() -> None:
        barrier.wait(timeout=10)
        results.append([serde.dumps_typed(value) for value in values for _ in range(20)][::20])

    workers = [threading.Thread(target=dump_all) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert results == [expected] * 4


def test_circular_structure_is_a_serialization_error() -> None:
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(SerializationError):
        SafeSerializer().dumps_typed(loop)


@pytest.mark.parametrize(
    "data",
    [("msgpack", b"\x93\x01"), ("msgpack", b"\xc1"), ("json", b"{}"), ("msgpack", b"\xd4\x63\x00")],
    ids=["truncated", "invalid byte", "unknown tag", "unknown extension"],
)
def test_corrupt_data_is_a_serialization_error(data: tuple[str, bytes]) -> None:
    with pytest.raises(SerializationError):
        SafeSerializer().loads_typed(data)


def test_class_that_changed_shape_is_refused_on_load() -> None:
    serde = SafeSerializer()
    tag, data = serde.dumps_typed(Point(1))
    tampered = data.replace(b"\xa4tags", b"\xa4tagz")
    with pytest.raises(SerializationError, match="tagz"):
        serde.loads_typed((tag, tampered))
