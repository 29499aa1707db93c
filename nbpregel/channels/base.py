"""The channel protocol: a named mailbox with an update rule, applied once per superstep."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Final, Generic, Self, TypeVar

from nbpregel.errors import EmptyChannelError

__all__ = ["MISSING", "BaseChannel"]

Value = TypeVar("Value")
Update = TypeVar("Update")


class _Missing:
    """The sentinel for 'no value': distinct from ``None``, which is a legitimate value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class BaseChannel(ABC, Generic[Value, Update]):
    """A channel holds one value and folds each superstep's writes into it with ``update``.

    Subclasses implement ``update``, ``get``, ``checkpoint`` and ``from_checkpoint``; the rest has
    defaults. Channels are created once per compiled graph as *specs* and copied for every run
    with ``from_checkpoint``, so a live channel never shares mutable state with a checkpoint.

    Attributes:
        key: the channel's name in its graph (set by the graph when it is bound).
        typ: the type of the values it holds (informational).
        clears_when_idle: True when ``update([])`` may change the value (ephemeral values and
            non-accumulating topics); the loop calls ``update([])`` only on such channels.
        shares_value: True when ``get()`` returns the held object itself, the same one until an
            update, ``consume()`` or ``finish()`` reports a change; the loop then keeps what it
            read instead of calling ``get()`` again. False (the default) for a ``get()`` that
            copies or computes, as ``Topic``'s does.
        holds_last_write: True when, after ``update_one(value)``, ``get()`` returns ``value``
            itself; the loop then takes the written value as read.
        plain_value: True when the channel holds its value in a ``value`` attribute
            (``MISSING`` while empty) and ``get()`` returns it; the loop then reads the
            attribute. Subclasses that change ``get`` or ``update_one`` must set these flags
            to what they do.
    """

    __slots__ = ("key", "typ")

    clears_when_idle: ClassVar[bool] = False
    shares_value: ClassVar[bool] = False
    holds_last_write: ClassVar[bool] = False
    plain_value: ClassVar[bool] = False

    def __init__(self, typ: Any = Any, key: str = "") -> None:
        self.typ = typ
        self.key = key

    # -- the update rule -------------------------------------------------------------------

    @abstractmethod
    def update(self, values: Sequence[Update]) -> bool:
        """Fold one superstep's writes into the value.

        Args:
            values: every value written to this channel in the step, in task-path order.

        Returns:
            True when the value changed (the loop then bumps the channel's version).

        Raises:
            InvalidUpdateError: when the writes break the channel's rule; the message names
                the channel.
        """

    def update_one(self, value: Update) -> bool:
        """``update([value])``: the common case of a single write, which kinds may make faster."""
        return self.update((value,))

    @abstractmethod
    def get(self) -> Value:
        """The current value. Raises ``EmptyChannelError`` when there is none."""

    def is_available(self) -> bool:
        """Whether ``get()`` would return a value."""
        try:
            self.get()
        except EmptyChannelError:
            return False
        return True

    def consume(self) -> bool:
        """Called after a step in which a task was triggered by this channel; True if changed."""
        return False

    def finish(self) -> bool:
        """Called when the run would end; True if the value changed (then the loop plans again)."""
        return False

    # -- checkpoints -----------------------------------------------------------------------

    @abstractmethod
    def checkpoint(self) -> Any:
        """The value as pure data for a checkpoint, or ``MISSING`` when empty."""

    @abstractmethod
    def from_checkpoint(self, checkpoint: Any) -> Self:
        """A new channel configured like this one, holding ``checkpoint`` (``MISSING``: empty)."""

    def copy(self) -> Self:
        """A new channel configured like this one with the same value."""
        return self.from_checkpoint(self.checkpoint())

    def _empty(self) -> EmptyChannelError:
        return EmptyChannelError(f"channel {self.key!r} is empty: nothing has been written to it")

    def __repr__(self) -> str:
        value = self.checkpoint()
        shown = "empty" if value is MISSING else repr(value)
        return f"{type(self).__name__}({self.key!r}: {shown})"
