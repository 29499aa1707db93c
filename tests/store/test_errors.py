"""Refused inputs: each raises an NbPregelError naming the culprit, and changes nothing stored."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from nbpregel.errors import NbPregelError
from nbpregel.store import (
    GetOp,
    InMemoryStore,
    InvalidNamespaceError,
    InvalidStoreArgumentError,
    ListNamespacesOp,
    PutOp,
    SearchOp,
    StoreError,
    TTLNotSupportedError,
)
from nbpregel.store.base import MatchCondition

from .conftest import Api

# (arguments of put, its keywords, the error type, fragments the message must contain)
BAD_PUTS = [
    pytest.param(
        ((), "k", {"v": 1}), {}, InvalidNamespaceError, ["()", "empty"], id="empty_namespace"
    ),
    pytest.param(
        ("user_1", "k", {"v": 1}),
        {},
        InvalidNamespaceError,
        ["'user_1'", "('user_1',)"],
        id="str_namespace",
    ),
    pytest.param(
        (["a", "b"], "k", {"v": 1}),
        {},
        InvalidNamespaceError,
        ["['a', 'b']", "('a', 'b')"],
        id="list_namespace",
    ),
    pytest.param(
        (("users", 7), "k", {"v": 1}),
        {},
        InvalidNamespaceError,
        ["7", "int", "'7'"],
        id="int_label",
    ),
    pytest.param(
        (("users", ""), "k", {"v": 1}), {}, InvalidNamespaceError, ["''", "empty"], id="empty_label"
    ),
    pytest.param(
        (("users", "a.b"), "k", {"v": 1}),
        {},
        InvalidNamespaceError,
        ["'a.b'", "'a_b'"],
        id="dotted_label",
    ),
    pytest.param(
        (("langgraph", "x"), "k", {"v": 1}),
        {},
        InvalidNamespaceError,
        ["'langgraph'", "first label"],
        id="langgraph_root",
    ),
    pytest.param(
        (("users",), 5, {"v": 1}), {}, InvalidStoreArgumentError, ["key 5", "'5'"], id="int_key"
    ),
    pytest.param(
        (("users",), "k", [1, 2]),
        {},
        InvalidStoreArgumentError,
        ["'k'", "list", "{'data': [1, 2]}"],
        id="list_value",
    ),
    pytest.param(
        (("users",), "k", "text"),
        {},
        InvalidStoreArgumentError,
        ["'k'", "str", "not a dict"],
        id="str_value",
    ),
    pytest.param(
        (("users",), "k", {"lock": threading.Lock()}),
        {},
        InvalidStoreArgumentError,
        ["'k'", "lock", "plain data"],
        id="uncopyable_value",
    ),
    pytest.param(
        (("users",), "k", {"v": 1}),
        {"ttl": 5},
        TTLNotSupportedError,
        ["ttl=5", "ttl=None"],
        id="ttl",
    ),
    pytest.param(
        (("users",), "k", {"v": 1}, "text"),
        {},
        InvalidStoreArgumentError,
        ["'text'", "list of field paths"],
        id="bad_index",
    ),
    pytest.param(
        (("users",), "k", {"v": 1}, ["a[x]"]),
        {},
        InvalidStoreArgumentError,
        ["'a[x]'", "tags[*]"],
        id="bad_index_path",
    ),
]


def snapshot(store: InMemoryStore) -> Any:
    return store.list_namespaces(), [item.dict() for item in store.search((), limit=1000)]


@pytest.fixture
def seeded(store: InMemoryStore) -> InMemoryStore:
    store.put(("users",), "k", {"v": "original"})
    store.put(("other",), "j", {"v": 2})
    return store


@pytest.mark.parametrize(("args", "kwargs", "error", "fragments"), BAD_PUTS)
async def test_refused_put_names_the_culprit_and_stores_nothing(
    seeded: InMemoryStore,
    mode: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    fragments: list[str],
) -> None:
    before = snapshot(seeded)
    with pytest.raises(error) as raised:
        await Api(seeded, mode).put(*args, **kwargs)
    assert isinstance(raised.value, StoreError) and isinstance(raised.value, NbPregelError)
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert snapshot(seeded) == before


@pytest.mark.parametrize(("args", "kwargs", "error", "fragments"), BAD_PUTS)
async def test_a_batch_with_one_refused_put_stores_nothing(
    seeded: InMemoryStore,
    mode: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    error: type[Exception],
    fragments: list[str],
) -> None:
    before = snapshot(seeded)
    bad = PutOp(*args, **kwargs)
    good = [PutOp(("users",), "k", {"v": "changed"}), PutOp(("new",), "n", {"v": 1})]
    with pytest.raises(error):
        await Api(seeded, mode).batch([*good, bad])
    assert snapshot(seeded) == before


BAD_CALLS = [
    pytest.param(
        lambda api: api.get("users", "k"),
        InvalidNamespaceError,
        ["'users'", "('users',)"],
        id="get_str_namespace",
    ),
    pytest.param(
        lambda api: api.get(("a.b",), "k"), InvalidNamespaceError, ["'a.b'"], id="get_dotted"
    ),
    pytest.param(
        lambda api: api.get(("users",), 3), InvalidStoreArgumentError, ["key 3"], id="get_int_key"
    ),
    pytest.param(
        lambda api: api.delete(("users", 1), "k"),
        InvalidNamespaceError,
        ["label 1"],
        id="delete_int_label",
    ),
    pytest.param(
        lambda api: api.search(["users"]),
        InvalidNamespaceError,
        ["namespace_prefix", "('users',)"],
        id="search_list_prefix",
    ),
    pytest.param(
        lambda api: api.search((1,)), InvalidNamespaceError, ["label 1"], id="search_int_label"
    ),
    pytest.param(
        lambda api: api.search((), limit=-1),
        InvalidStoreArgumentError,
        ["limit=-1"],
        id="search_negative_limit",
    ),
    pytest.param(
        lambda api: api.search((), offset=-2),
        InvalidStoreArgumentError,
        ["offset=-2"],
        id="search_negative_offset",
    ),
    pytest.param(
        lambda api: api.search((), limit=None),
        InvalidStoreArgumentError,
        ["limit=None"],
        id="search_none_limit",
    ),
    pytest.param(
        lambda api: api.search((), filter={"v": {"$in": [1]}}),
        InvalidStoreArgumentError,
        ["'$in'", "'$gte'"],
        id="search_unknown_operator",
    ),
    pytest.param(
        lambda api: api.search((), filter={"$or": [{"v": 1}]}),
        InvalidStoreArgumentError,
        ["'$or'", "not supported"],
        id="search_logical_operator",
    ),
    pytest.param(
        lambda api: api.search((), filter={"v": {"$gt": 1, "w": 2}}),
        InvalidStoreArgumentError,
        ["'v'", "mixes"],
        id="search_mixed_condition",
    ),
    pytest.param(
        lambda api: api.search((), filter={"v": {"w": {"$like": 1}}}),
        InvalidStoreArgumentError,
        ["'$like'", "'v.w'"],
        id="search_nested_unknown_operator",
    ),
    pytest.param(
        lambda api: api.search((), filter=[("v", 1)]),
        InvalidStoreArgumentError,
        ["list", "not a dict"],
        id="search_list_filter",
    ),
    pytest.param(
        lambda api: api.search((), query=3),
        InvalidStoreArgumentError,
        ["query 3"],
        id="search_int_query",
    ),
    pytest.param(
        lambda api: api.list_namespaces(prefix="users"),
        InvalidNamespaceError,
        ["prefix 'users'", "('users',)"],
        id="list_str_prefix",
    ),
    pytest.param(
        lambda api: api.list_namespaces(suffix=("a.b",)),
        InvalidNamespaceError,
        ["suffix label 'a.b'"],
        id="list_dotted_suffix",
    ),
    pytest.param(
        lambda api: api.list_namespaces(max_depth=0),
        InvalidStoreArgumentError,
        ["max_depth=0"],
        id="list_max_depth_0",
    ),
    pytest.param(
        lambda api: api.list_namespaces(limit=-5),
        InvalidStoreArgumentError,
        ["limit=-5"],
        id="list_negative_limit",
    ),
    pytest.param(
        lambda api: api.batch(["get"]),
        InvalidStoreArgumentError,
        ["'get'", "GetOp"],
        id="batch_unknown_op",
    ),
    pytest.param(
        lambda api: api.batch([ListNamespacesOp((MatchCondition("middle", ("a",)),))]),
        InvalidStoreArgumentError,
        ["'middle'", "'prefix'"],
        id="batch_bad_match_type",
    ),  # type: ignore[arg-type]
    pytest.param(
        lambda api: api.batch([GetOp(("users",), "k"), SearchOp(("a.b",))]),
        InvalidNamespaceError,
        ["'a.b'"],
        id="batch_bad_search",
    ),
]


@pytest.mark.parametrize(("call", "error", "fragments"), BAD_CALLS)
async def test_refused_reads_name_the_culprit(
    seeded: InMemoryStore,
    mode: str,
    call: Callable[[Api], Any],
    error: type[Exception],
    fragments: list[str],
) -> None:
    before = snapshot(seeded)
    with pytest.raises(error) as raised:
        await call(Api(seeded, mode))
    for fragment in fragments:
        assert fragment in str(raised.value)
    assert snapshot(seeded) == before


def test_errors_are_also_the_builtin_types_langgraph_raises() -> None:
    assert issubclass(InvalidNamespaceError, ValueError)
    assert issubclass(InvalidStoreArgumentError, ValueError)
    assert issubclass(TTLNotSupportedError, NotImplementedError)


async def test_accepted_edge_cases_that_langgraph_accepts(api: Api) -> None:
    await api.put(("users", "langgraph"), "", {"v": 1})  # "langgraph" below the root, empty key
    await api.put(("*",), "k", {"v": 1})  # "*" is an ordinary label outside list_namespaces
    assert await api.get((), "k") is None
    assert await api.get(("langgraph",), "k") is None
    await api.delete((), "k")
    assert (await api.get(("users", "langgraph"), "")).value == {"v": 1}
    assert [item.key for item in await api.search(("*",))] == ["k"]
