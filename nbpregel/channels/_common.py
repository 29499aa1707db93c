"""Helpers shared by the channel kinds: error messages and defensive copies."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Final

from nbpregel.errors import InvalidUpdateError

__all__ = ["copy_container", "too_many_values", "with_writers"]

_CONTAINERS: Final = (list, dict, set, bytearray)


def too_many_values(channel: str, count: int, fix: str) -> InvalidUpdateError:
    """The error for a channel that takes one value per step but got ``count``.

    The message starts with the channel so that ``with_writers`` can add who wrote.

    >>> str(too_many_values("x", 2, "use a reducer"))
    "channel 'x': received 2 values in one superstep; use a reducer"
    """
    return InvalidUpdateError(
        f"channel {channel!r}: received {count} values in one superstep; {fix}"
    )


def with_writers(error: InvalidUpdateError, writers: Sequence[str]) -> InvalidUpdateError:
    """A copy of a channel's ``error`` whose message also names the tasks that wrote.

    The loop calls ``channel.update(values)`` without saying who wrote each value; when the
    update fails it re-raises with this, chained to the original::

        except InvalidUpdateError as exc:
            raise with_writers(exc, writers) from exc

    Args:
        error: what ``update`` raised.
        writers: the names of the writing tasks, in write order (duplicates are dropped).

    Returns:
        A new ``InvalidUpdateError``.

    >>> str(with_writers(InvalidUpdateError("channel 'x': too many"), ["a", "b", "a"]))
    "channel 'x': too many (written by 'a', 'b')"
    """
    names = ", ".join(repr(name) for name in dict.fromkeys(writers))
    return InvalidUpdateError(f"{error} (written by {names})")


def copy_container(value: Any) -> Any:
    """A shallow copy of a builtin mutable container; any other value as is.

    Channels that fold values (possibly in place, as ``operator.iadd`` does) use this so a
    checkpoint never shares a list, dict or set with the live channel.

    >>> data = [1]
    >>> copy_container(data) is data, copy_container(data) == data
    (False, True)
    """
    if isinstance(value, _CONTAINERS):
        return copy.copy(value)
    return value
