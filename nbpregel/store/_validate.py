"""Checks on every op before a store runs it; each error names the culprit and the fix.

What is refused (LangGraph refuses the same namespaces; the rest it mishandles silently):

* a namespace that is not a tuple, or whose labels are not non-empty ``str`` without ``'.'``;
* an empty namespace, or one whose first label is ``"langgraph"`` (reserved), in a put;
* a key that is not a ``str``, a value that is not a dict (``None`` deletes);
* a negative ``limit`` / ``offset``, a ``max_depth`` under 1, a filter with unknown operators,
  a match condition other than prefix / suffix, an unknown op.

>>> try:
...     check_op(PutOp(("user_1",), 7, {}), supports_ttl=False)
... except InvalidStoreArgumentError as error:
...     print(error)
key 7 is an int, not a str: write '7'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, get_args

from nbpregel.store._embed import tokenize_path
from nbpregel.store._errors import (
    InvalidNamespaceError,
    InvalidStoreArgumentError,
    TTLNotSupportedError,
    kind_of,
)
from nbpregel.store._filter import check_filter
from nbpregel.store._ops import (
    GetOp,
    ListNamespacesOp,
    NamespaceMatchType,
    Op,
    PutOp,
    SearchOp,
)

__all__ = ["RESERVED_ROOT", "check_namespace", "check_op"]

RESERVED_ROOT: Final = "langgraph"
"""A first namespace label that ``put`` refuses, as LangGraph does (it is LangGraph's own)."""

_MATCH_TYPES: Final = get_args(NamespaceMatchType)


def _as_tuple_hint(namespace: Any) -> str:
    if isinstance(namespace, Sequence) and not isinstance(namespace, str):
        return repr(tuple(namespace))
    return repr((namespace,))


def check_namespace(namespace: Any, *, role: str = "namespace") -> None:
    """Refuse a namespace (or prefix, suffix) that is not a tuple of non-empty labels without '.'.

    Args:
        namespace: what the caller passed.
        role: how the message calls it (``"namespace"``, ``"namespace_prefix"``, ...).

    Raises:
        InvalidNamespaceError: naming the label at fault.

    Example:
        >>> try:
        ...     check_namespace("user_1")
        ... except InvalidNamespaceError as error:
        ...     print(error)
        namespace 'user_1' is a str, not a tuple of str labels: write ('user_1',)
    """
    if not isinstance(namespace, tuple):
        raise InvalidNamespaceError(
            f"{role} {namespace!r} is {kind_of(namespace)}, not a tuple of str labels: "
            f"write {_as_tuple_hint(namespace)}"
        )
    for label in namespace:
        where = f"{role} label {label!r} in {namespace!r}"
        if not isinstance(label, str):
            raise InvalidNamespaceError(
                f"{where} is {kind_of(label)}, not a str: write {str(label)!r}"
            )
        if not label:
            raise InvalidNamespaceError(f"{where} is empty: labels need at least one character")
        if "." in label:
            raise InvalidNamespaceError(
                f"{where} contains '.': labels cannot contain periods; use another separator, "
                f"e.g. {label.replace('.', '_')!r}"
            )


def _check_address(namespace: Any, key: Any) -> None:
    check_namespace(namespace)
    if not isinstance(key, str):
        raise InvalidStoreArgumentError(
            f"key {key!r} is {kind_of(key)}, not a str: write {str(key)!r}"
        )


def _check_put(op: PutOp, supports_ttl: bool) -> None:
    _check_address(op.namespace, op.key)
    if op.value is None:
        return  # a delete: any namespace and key may be deleted, even ones never written
    if not op.namespace:
        raise InvalidNamespaceError(
            "namespace () is empty: put needs at least one label, e.g. ('memories',)"
        )
    if op.namespace[0] == RESERVED_ROOT:
        raise InvalidNamespaceError(
            f"namespace {op.namespace!r} starts with {RESERVED_ROOT!r}, a root label LangGraph "
            "reserves for itself: choose another first label"
        )
    if not isinstance(op.value, Mapping):
        raise InvalidStoreArgumentError(
            f"value for key {op.key!r} is {kind_of(op.value)}, not a dict: a store keeps "
            f"dicts, e.g. {{'data': {op.value!r}}}"
        )
    _check_index(op.index)
    if op.ttl is not None and not supports_ttl:
        raise TTLNotSupportedError(
            f"ttl={op.ttl!r} for key {op.key!r}: this store cannot expire items (LangGraph's "
            "InMemoryStore cannot either); pass ttl=None, or delete the item yourself"
        )


def _check_index(index: Any) -> None:
    if index is None or index is False:
        return
    if not isinstance(index, list) or not all(isinstance(path, str) for path in index):
        raise InvalidStoreArgumentError(
            f"index {index!r} must be None (the store's fields), False (no embedding) or a "
            "list of field paths such as ['text', 'tags[*]']"
        )
    for path in index:
        tokenize_path(path)


def _check_page(limit: Any, offset: Any, what: str) -> None:
    for name, number in (("limit", limit), ("offset", offset)):
        if not isinstance(number, int) or isinstance(number, bool) or number < 0:
            raise InvalidStoreArgumentError(f"{what} {name}={number!r} must be an int >= 0")


def _check_search(op: SearchOp) -> None:
    check_namespace(op.namespace_prefix, role="namespace_prefix")
    check_filter(op.filter)
    _check_page(op.limit, op.offset, "search")
    if op.query is not None and not isinstance(op.query, str):
        raise InvalidStoreArgumentError(
            f"search query {op.query!r} is {kind_of(op.query)}, not a str"
        )


def _check_list(op: ListNamespacesOp) -> None:
    for condition in op.match_conditions or ():
        match_type, path = condition
        if match_type not in _MATCH_TYPES:
            raise InvalidStoreArgumentError(
                f"match condition type {match_type!r} is not supported (must be one of "
                f"{list(_MATCH_TYPES)})"
            )
        check_namespace(path, role=match_type)
    if op.max_depth is not None and (not isinstance(op.max_depth, int) or op.max_depth < 1):
        raise InvalidStoreArgumentError(
            f"list_namespaces max_depth={op.max_depth!r} must be None (full depth) or an int >= 1"
        )
    _check_page(op.limit, op.offset, "list_namespaces")


def check_op(op: Op, *, supports_ttl: bool) -> None:
    """Raise if a store must refuse ``op``; ``supports_ttl`` says whether ``ttl`` may be set.

    Raises:
        InvalidNamespaceError: for a namespace, prefix or suffix it refuses.
        InvalidStoreArgumentError: for any other argument it refuses, or an unknown op.
        TTLNotSupportedError: for a put with a ``ttl`` when ``supports_ttl`` is false.
    """
    if isinstance(op, PutOp):
        _check_put(op, supports_ttl)
    elif isinstance(op, GetOp):
        _check_address(op.namespace, op.key)
    elif isinstance(op, SearchOp):
        _check_search(op)
    elif isinstance(op, ListNamespacesOp):
        _check_list(op)
    else:
        raise InvalidStoreArgumentError(
            f"op {op!r} is {kind_of(op)}: batch runs GetOp, SearchOp, PutOp and ListNamespacesOp"
        )
