"""Channels: the named mailboxes of a graph, each with its own update rule.

================================= ============================================================
channel                           what ``update`` does with one superstep's writes
================================= ============================================================
``LastValue``                     keeps the one value written (two or more: error)
``LastValueAfterFinish``          keeps the last value, readable only after ``finish()``
``AnyValue``                      keeps the last value; a step without writes clears it
``EphemeralValue``                keeps the value for one step (``guard``: one write only)
``Topic``                         collects the values in a list (``accumulate``: across steps)
``BinaryOperatorAggregate``       folds the values in with a reducer; ``Overwrite`` replaces
``NamedBarrierValue``             available once every named writer has written
``NamedBarrierValueAfterFinish``  the same, available only after ``finish()``
``UntrackedValue``                keeps the value but is never checkpointed
================================= ============================================================

A channel's errors name the channel; the loop adds the tasks that wrote with ``with_writers``.
"""

from __future__ import annotations

from nbpregel.channels._common import with_writers
from nbpregel.channels.any_value import AnyValue
from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.channels.binop import BinaryOperatorAggregate
from nbpregel.channels.ephemeral_value import EphemeralValue
from nbpregel.channels.last_value import LastValue, LastValueAfterFinish
from nbpregel.channels.named_barrier_value import NamedBarrierValue, NamedBarrierValueAfterFinish
from nbpregel.channels.topic import Topic
from nbpregel.channels.untracked_value import UntrackedValue

__all__ = [
    "MISSING",
    "AnyValue",
    "BaseChannel",
    "BinaryOperatorAggregate",
    "EphemeralValue",
    "LastValue",
    "LastValueAfterFinish",
    "NamedBarrierValue",
    "NamedBarrierValueAfterFinish",
    "Topic",
    "UntrackedValue",
    "with_writers",
]
