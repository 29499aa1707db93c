"""``HeldValue``: the base of the channel kinds that hold one value in a ``value`` attribute."""

from __future__ import annotations

from typing import Any, Generic

from typing_extensions import TypeVar

from nbpregel.channels.base import MISSING, BaseChannel

__all__ = ["HeldValue"]

V = TypeVar("V", default=Any)
U = TypeVar("U", default=Any)


class HeldValue(Generic[V, U], BaseChannel[V, U]):
    """A channel whose value sits in ``value`` (``MISSING`` while empty): ``get``,
    ``is_available`` and ``checkpoint`` read it; subclasses say how ``update`` sets it."""

    __slots__ = ("value",)

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        super().__init__(typ, key)
        self.value: V | Any = MISSING

    def get(self) -> V:
        """The value. Raises ``EmptyChannelError`` when there is none."""
        if self.value is MISSING:
            raise self._empty()
        value: V = self.value
        return value

    def is_available(self) -> bool:
        """Whether a value is held."""
        return self.value is not MISSING

    def clear(self) -> bool:
        """Empty the channel (``update([])`` of the kinds that clear when idle); returns whether
        it held a value."""
        if self.value is MISSING:
            return False
        self.value = MISSING
        return True

    def checkpoint(self) -> Any:
        """The value, or ``MISSING``."""
        return self.value
