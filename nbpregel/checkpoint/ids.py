"""Time-ordered checkpoint ids: sorting ids as strings sorts checkpoints by creation time.

An id has the shape of a version-7 UUID (RFC 9562)::

    tttttttt-tttt-7fff-Vccc-cccccccccccc

``t`` is the Unix time in milliseconds (48 bits), ``f`` the fraction of that millisecond in
1/4096ths (12 bits), ``V`` the variant and ``c`` a 62-bit counter that starts at a random value
in each new time slot and counts up inside it. Ids from one process are strictly increasing,
even when two are made in the same slot or the clock steps back; the random start keeps ids
from different processes apart.

>>> a, b = new_checkpoint_id(), new_checkpoint_id()
>>> a < b and len(a) == 36 and a[14] == "7"
True
"""

from __future__ import annotations

import os
import random
import threading
import time
from datetime import UTC, datetime
from typing import Final

__all__ = ["checkpoint_id_time", "new_checkpoint_id"]

_FRACTION_BITS: Final = 12
_COUNTER_BITS: Final = 62
_COUNTER_START_BITS: Final = 61  # a random start below 2**61 leaves 2**61 ids per slot
_VERSION_AND_VARIANT: Final = (0x7 << 76) | (0b10 << 62)
_NS_PER_MS: Final = 1_000_000

_lock = threading.Lock()
_last_slot = 0
_counter = 0


def _reset_after_fork() -> None:
    # A lock held by another thread at fork time would never be released in the child.
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


def new_checkpoint_id() -> str:
    """A new checkpoint id, greater than every id this process made before.

    Returns:
        A 36-character UUIDv7-shaped string; lexicographic order is creation order.
    """
    global _last_slot, _counter
    # The slot is the time in 1/4096 ms: the millisecond in the high bits, its fraction below.
    slot = (time.time_ns() << _FRACTION_BITS) // _NS_PER_MS
    with _lock:
        if slot > _last_slot:
            _last_slot = slot
            _counter = random.getrandbits(_COUNTER_START_BITS)
        else:
            # Same slot, or the clock went back: count up inside the last slot.
            _counter += 1
            if _counter >> _COUNTER_BITS:
                _last_slot += 1
                _counter = random.getrandbits(_COUNTER_START_BITS)
            slot = _last_slot
        counter = _counter
    value = (
        ((slot >> _FRACTION_BITS) << 80) | ((slot & 0xFFF) << 64) | _VERSION_AND_VARIANT | counter
    )
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def checkpoint_id_time(checkpoint_id: str) -> datetime:
    """When a checkpoint id was made, as an aware UTC datetime (millisecond precision).

    Args:
        checkpoint_id: an id from :func:`new_checkpoint_id`.

    Raises:
        ValueError: ``checkpoint_id`` is not a version-7 id.

    >>> checkpoint_id_time("01890a5d-ac96-774b-bcce-b302099a8057").year
    2023
    """
    h = checkpoint_id.replace("-", "")
    if len(h) != 32 or h[12] != "7":
        raise ValueError(
            f"not a time-ordered checkpoint id: {checkpoint_id!r} "
            "(expected a UUIDv7-shaped string from new_checkpoint_id())"
        )
    return datetime.fromtimestamp(int(h[:12], 16) / 1000, tz=UTC)
