"""Which items a ``search`` filter keeps, and which namespaces ``list_namespaces`` conditions keep.

A filter maps top-level keys of the value to a condition:

* a plain value: the item's value at that key equals it (a missing key counts as ``None``);
* a dict of operators, ``{"$gte": 18, "$lt": 65}``: every operator holds
  (:class:`FilterOperator` lists them);
* a dict without operators, ``{"city": "Paris"}``: the item's value at that key is a dict whose
  keys match these conditions, recursively.

>>> filter_matches({"age": 30, "home": {"city": "Paris", "zip": "75001"}},
...                {"age": {"$gte": 18}, "home": {"city": "Paris"}})
True
>>> filter_matches({"age": 30}, {"age": {"$lt": 18}}), filter_matches({}, {"age": None})
(False, True)
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Final

from nbpregel.store._errors import InvalidStoreArgumentError, kind_of
from nbpregel.store._ops import WILDCARD, ListNamespacesOp, MatchCondition

__all__ = [
    "FilterOperator",
    "check_filter",
    "filter_matches",
    "namespace_matches",
    "namespaces_page",
]

_OPERATOR_PREFIX: Final = "$"


class FilterOperator(StrEnum):
    """The comparison operators a filter condition may use."""

    EQ = "$eq"
    """Equal (a missing key counts as ``None``)."""
    NE = "$ne"
    """Not equal (a missing key counts as ``None``)."""
    GT = "$gt"
    """Greater than; a missing key or a value of an incomparable type does not match."""
    GTE = "$gte"
    """Greater than or equal; as ``$gt`` for missing or incomparable values."""
    LT = "$lt"
    """Less than; as ``$gt`` for missing or incomparable values."""
    LTE = "$lte"
    """Less than or equal; as ``$gt`` for missing or incomparable values."""


_COMPARE: Final[dict[str, Callable[[Any, Any], Any]]] = {
    FilterOperator.EQ: operator.eq,
    FilterOperator.NE: operator.ne,
    FilterOperator.GT: operator.gt,
    FilterOperator.GTE: operator.ge,
    FilterOperator.LT: operator.lt,
    FilterOperator.LTE: operator.le,
}
_ORDERING: Final = frozenset(
    {FilterOperator.GT, FilterOperator.GTE, FilterOperator.LT, FilterOperator.LTE}
)


def _is_operator(name: object) -> bool:
    return isinstance(name, str) and name.startswith(_OPERATOR_PREFIX)


def _check_condition(where: str, condition: Any) -> None:
    """Refuse unknown operators and dicts that mix operators with keys, naming ``where``."""
    if not isinstance(condition, Mapping):
        return
    operators = [name for name in condition if _is_operator(name)]
    if operators and len(operators) != len(condition):
        raise InvalidStoreArgumentError(
            f"filter condition at {where!r} mixes operators {operators} with keys: use either "
            "operators ({'$gte': 1}) or keys of a nested dict ({'city': 'Paris'})"
        )
    for name, inner in condition.items():
        if operators and name not in _COMPARE:
            raise InvalidStoreArgumentError(
                f"filter operator {name!r} at {where!r} is not supported (must be one of "
                f"{[str(known) for known in FilterOperator]})"
            )
        if not operators:
            _check_condition(f"{where}.{name}", inner)


def check_filter(filter: Mapping[str, Any] | None) -> None:
    """Raise :class:`InvalidStoreArgumentError` for a filter :func:`filter_matches` cannot apply.

    Example:
        >>> try:
        ...     check_filter({"age": {"$in": [1, 2]}})
        ... except InvalidStoreArgumentError as error:
        ...     print(error)
        filter operator '$in' at 'age' is not supported (must be one of \
['$eq', '$ne', '$gt', '$gte', '$lt', '$lte'])
    """
    if filter is None:
        return
    if not isinstance(filter, Mapping):
        raise InvalidStoreArgumentError(
            f"filter {filter!r} is {kind_of(filter)}, not a dict: write "
            "{'key': value} or {'key': {'$gte': value}}"
        )
    for key, condition in filter.items():
        if not isinstance(key, str) or _is_operator(key):
            raise InvalidStoreArgumentError(
                f"filter key {key!r} is not a key of the stored values: top-level keys name "
                "value keys (logical operators such as $and / $or are not supported; run one "
                "search per alternative)"
            )
        _check_condition(key, condition)


def _holds(name: str, found: Any, operand: Any) -> bool:
    if name in _ORDERING and found is None:
        return False
    try:
        return bool(_COMPARE[name](found, operand))
    except TypeError:
        return False  # an incomparable type (str vs int) simply does not match


def _matches(found: Any, condition: Any) -> bool:
    if not isinstance(condition, Mapping):
        return bool(found == condition)
    if any(_is_operator(name) for name in condition):
        return all(_holds(name, found, operand) for name, operand in condition.items())
    if not isinstance(found, Mapping):
        return False
    return all(_matches(found.get(key), inner) for key, inner in condition.items())


def filter_matches(value: Mapping[str, Any], filter: Mapping[str, Any] | None) -> bool:
    """Whether ``value`` satisfies every condition of a filter :func:`check_filter` accepted."""
    if not filter:
        return True
    return all(_matches(value.get(key), condition) for key, condition in filter.items())


def _ends_match(labels: Sequence[str], path: Sequence[str]) -> bool:
    return all(want in (WILDCARD, label) for label, want in zip(labels, path, strict=True))


def namespace_matches(
    namespace: tuple[str, ...], conditions: Sequence[MatchCondition] | None
) -> bool:
    """Whether ``namespace`` starts / ends with each condition's path (``"*"``: any one label).

    Example:
        >>> namespace_matches(("users", "u1", "memories"),
        ...                   [MatchCondition("prefix", ("users", "*")),
        ...                    MatchCondition("suffix", ("memories",))])
        True
    """
    for match_type, path in conditions or ():
        if len(path) > len(namespace):
            return False
        end = (
            namespace[: len(path)]
            if match_type == "prefix"
            else namespace[len(namespace) - len(path) :]
        )
        if not _ends_match(end, path):
            return False
    return True


def namespaces_page(
    namespaces: Iterable[tuple[str, ...]], op: ListNamespacesOp
) -> list[tuple[str, ...]]:
    """The page of ``namespaces`` that ``op`` asks for: matched, cut to depth, sorted, sliced.

    Example:
        >>> spaces = [("b", "x"), ("a", "y", "z"), ("a", "y")]
        >>> namespaces_page(spaces, ListNamespacesOp(max_depth=2))
        [('a', 'y'), ('b', 'x')]
    """
    spaces = {
        namespace for namespace in namespaces if namespace_matches(namespace, op.match_conditions)
    }
    if op.max_depth is not None:
        spaces = {namespace[: op.max_depth] for namespace in spaces}
    return sorted(spaces)[op.offset : op.offset + op.limit]
