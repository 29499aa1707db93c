"""``BinaryOperatorAggregate``: a state key with a reducer, such as ``operator.add``."""

from __future__ import annotations

import collections.abc as abc
import contextlib
from collections.abc import Callable, Sequence
from typing import (
    Annotated,
    Any,
    ClassVar,
    Final,
    NotRequired,
    Required,
    Self,
    get_args,
    get_origin,
)

from typing_extensions import ReadOnly, TypeVar

from nbpregel.channels._common import copy_container
from nbpregel.channels._held import HeldValue
from nbpregel.channels.base import MISSING
from nbpregel.errors import InvalidUpdateError
from nbpregel.types import Overwrite

__all__ = ["BinaryOperatorAggregate", "initial_value"]

V = TypeVar("V", default=Any)  # unannotated channels are typed Any, not an error

# Forms that wrap the real type: Annotated[T, ...], Required[T], NotRequired[T], ReadOnly[T].
_WRAPPERS: Final = frozenset({Annotated, Required, NotRequired, ReadOnly})
# Abstract collections cannot be instantiated: start from their usual concrete type.
_CONCRETE: Final[dict[Any, type]] = {
    abc.Sequence: list,
    abc.MutableSequence: list,
    abc.Set: set,
    abc.MutableSet: set,
    abc.Mapping: dict,
    abc.MutableMapping: dict,
}


def initial_value(typ: Any) -> Any:
    """The value a reducer channel of type ``typ`` starts from: ``typ()``, or ``MISSING``.

    Wrappers (``Annotated``, ``Required``, ...) and type arguments are stripped, and abstract
    collections map to ``list``, ``set`` or ``dict``. A type that cannot be called without
    arguments (a union, ``Any``, a class with required parameters) gives ``MISSING``: the
    channel then starts empty and its first write becomes its value.

    >>> from typing import Annotated, Sequence
    >>> initial_value(Annotated[Sequence[int], "x"]), initial_value(int), initial_value(str | None)
    ([], 0, MISSING)
    """
    while (origin := get_origin(typ)) is not None:
        typ = get_args(typ)[0] if origin in _WRAPPERS else origin
    with contextlib.suppress(TypeError):  # an unhashable annotation is used as it is
        typ = _CONCRETE.get(typ, typ)
    try:
        return typ()
    except Exception:
        return MISSING


class BinaryOperatorAggregate(HeldValue[V, V]):
    """Folds every value written into the current one with ``operator(current, written)``.

    The channel starts from ``typ()`` when that works (see ``initial_value``), else empty (the
    first write is taken as is). Writing ``Overwrite(value)`` sets the value to ``value``,
    bypassing the reducer; the other writes of that step are folded in before it and ignored
    after it. An update that fails leaves the value as it was (unless an in-place reducer such
    as ``operator.iadd`` had already changed it).

    Args:
        typ: the type of the value; ``typ()`` is the starting value.
        operator: the reducer, called as ``operator(current, written)``.
        key: the channel's name (the graph sets it when it binds the channel).

    >>> import operator
    >>> channel = BinaryOperatorAggregate(list[int], operator.add, key="items")
    >>> channel.update([[1], [2, 3]]), channel.get()
    (True, [1, 2, 3])
    >>> channel.update([Overwrite([9])]), channel.get()
    (True, [9])
    """

    __slots__ = ("operator",)

    shares_value: ClassVar[bool] = True
    plain_value: ClassVar[bool] = True

    def __init__(self, typ: Any, operator: Callable[[V, V], V], *, key: str = "") -> None:
        super().__init__(typ, key)
        self.operator = operator
        self.value: V | Any = initial_value(typ)

    def update(self, values: Sequence[V | Overwrite]) -> bool:
        """Fold this step's writes into the value.

        Raises:
            InvalidUpdateError: when the reducer raises (chained to its error), or when two
                ``Overwrite`` values are written in one step.
        """
        if not values:
            return False
        value = self.value
        overwritten = False
        for item in values:
            if isinstance(item, Overwrite):
                if overwritten:
                    raise InvalidUpdateError(
                        f"channel {self.key!r}: received several Overwrite values in one "
                        "superstep; write at most one Overwrite to a key per step"
                    )
                overwritten = True
                value = item.value
            elif overwritten:
                continue
            elif value is MISSING:
                value = item
            else:
                try:
                    value = self.operator(value, item)
                except Exception as exc:
                    raise self._reducer_error(exc) from exc
        self.value = value
        return True

    def _reducer_error(self, exc: Exception) -> InvalidUpdateError:
        name = getattr(self.operator, "__qualname__", repr(self.operator))
        hint = (
            "; make the reducer accept (current value, written value) of the types written to "
            "this key"
            if isinstance(exc, TypeError)
            else ""
        )
        return InvalidUpdateError(
            f"channel {self.key!r}: reducer {name} raised {type(exc).__name__}: {exc}{hint}"
        )

    def checkpoint(self) -> Any:
        """The value (lists, dicts and sets copied), or ``MISSING``."""
        return copy_container(self.value)

    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new channel configured like this one, holding (a copy of) ``checkpoint``.

        ``MISSING`` gives a channel at its starting value.
        """
        channel = type(self)(self.typ, self.operator, key=self.key)
        if checkpoint is not MISSING:
            channel.value = copy_container(checkpoint)
        return channel
