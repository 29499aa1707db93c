"""What the channels read as, kept current by the update phase instead of re-read every step.

Each superstep every planned node reads its input channels, and the ``values`` stream and the
run's output read the state again. With a wide state that is hundreds of ``get()`` calls per
step, most of them for channels that did not change. ``LiveValues`` holds the result of
``get()`` for every channel; the update phase tells it which channels changed (and, for a
channel whose value is simply the one written, the value itself), so a read is a dict copy.

Only channels whose ``get()`` hands out the object they hold (``shares_value``) are kept; a
read touching any other channel (a ``Topic``, whose ``get()`` copies) calls ``get()`` as before.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Collection, Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any, Final

from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.errors import EmptyChannelError

__all__ = [
    "WIDE_READ",
    "ChannelLayout",
    "LayoutCache",
    "LiveValues",
    "common",
    "read_input",
]

Channels = Mapping[str, BaseChannel[Any, Any]]


WIDE_READ: Final = 16
"""Reading this many channels at once makes live values worth their upkeep (see ``LayoutCache``).

Below it a read's ``get()`` calls cost less than keeping the values current every step."""


def read_input(
    channels: Channels, reads: str | tuple[str, ...], live: LiveValues | None = None
) -> Any:
    """A node's input: one channel's value, or a dict of the available values of several.

    A ``plain_value`` channel (``LastValue``, reducers) is read from its ``value`` attribute,
    with no call: on a narrow state that is most of a read.

    Args:
        channels: the live channels.
        reads: one channel name, or several.
        live: the run's live values, if it keeps them (a read of several channels uses them).

    Raises:
        EmptyChannelError: ``reads`` names one channel, and it is empty.

    >>> from nbpregel.channels import LastValue
    >>> channels = {"a": LastValue(int), "b": LastValue(int)}
    >>> channels["a"].update([1])
    True
    >>> read_input(channels, ("a", "b")), read_input(channels, "a")
    ({'a': 1}, 1)
    """
    if isinstance(reads, str):
        return channels[reads].get()
    if live is not None:
        return live.read(reads)
    values: dict[str, Any] = {}
    for key in reads:
        channel = channels[key]
        if type(channel).plain_value:
            value = channel.value  # type: ignore[attr-defined]
            if value is not MISSING:
                values[key] = value
            continue
        try:
            values[key] = channel.get()
        except EmptyChannelError:
            pass
    return values


def common(names: set[str] | frozenset[str], mapping: Mapping[str, Any]) -> AbstractSet[str]:
    """The names that are also keys of ``mapping``, found walking the smaller of the two (in C).

    >>> sorted(common(frozenset({"a", "b"}), {"b": 1, "c": 2}))
    ['b']
    """
    if len(mapping) < len(names):
        return names.intersection(mapping)  # walks the mapping's keys
    return mapping.keys() & names  # walks the names


def _forget(known: set[str], names: Mapping[str, Any]) -> None:
    """Remove the keys of ``names`` from ``known``."""
    known.difference_update(common(known, names))


@dataclasses.dataclass(frozen=True, slots=True)
class _ReadPlan:
    """How to read one tuple of channels from the live values.

    Attributes:
        names: the channels, as a set.
        direct: every channel shares its value, so the live values can answer.
        drop: when the channels are the first ones of the live values, in order, and most of
            them, the other channels: a read copies the whole dict and deletes these (in C).
    """

    names: frozenset[str]
    direct: bool
    drop: tuple[str, ...] | None


def _names_without(channels: Channels, flag: str) -> frozenset[str]:
    """The names of the channels whose class has ``flag`` False (all in C: no Python loop)."""
    has_flag = map(operator.attrgetter(flag), map(type, channels.values()))
    return frozenset(itertools.compress(channels, map(operator.not_, has_flag)))


class ChannelLayout:
    """What reading a graph's channels needs to know of them: the same for every run.

    Attributes:
        names: the channel names, in order.
        volatile: channels whose ``get()`` copies or computes (never kept in live values).
        inexact: channels whose single write is not what they read as (read after a write).
        plans: how to read each tuple of channels read so far.
    """

    __slots__ = ("inexact", "last", "names", "plans", "volatile")

    def __init__(self, channels: Channels) -> None:
        self.names = tuple(channels)
        self.volatile = _names_without(channels, "shares_value")
        self.inexact = _names_without(channels, "holds_last_write")
        self.plans: dict[tuple[str, ...], _ReadPlan] = {}
        # The last tuple planned, and its plan: nodes of a state graph share one tuple of
        # keys, found again by identity without hashing hundreds of keys.
        self.last: tuple[tuple[str, ...], _ReadPlan] | None = None

    def fits(self, channels: Channels) -> bool:
        """Whether ``channels`` have the names, in the order, this layout was made from."""
        return len(channels) == len(self.names) and tuple(channels) == self.names

    def plan(self, reads: tuple[str, ...]) -> _ReadPlan:
        """How to read ``reads`` (worked out on first use)."""
        last = self.last
        if last is not None and last[0] is reads:
            return last[1]
        plan = self.plans.get(reads)
        if plan is None:
            names = frozenset(reads)
            prefix = self.names[: len(reads)] == reads
            rest = self.names[len(reads) :]
            plan = self.plans[reads] = _ReadPlan(
                names=names,
                direct=self.volatile.isdisjoint(names),
                drop=rest if prefix and len(rest) < len(reads) else None,
            )
        self.last = (reads, plan)
        return plan


class LayoutCache:
    """Keeps a graph's ``ChannelLayout`` once the first run has worked it out.

    Args:
        worthwhile: whether the graph reads enough channels at once (``WIDE_READ``) for live
            values to pay for their upkeep; a graph of few keys reads its channels directly.
    """

    __slots__ = ("layout", "worthwhile")

    def __init__(self, *, worthwhile: bool = False) -> None:
        self.worthwhile = worthwhile
        self.layout: ChannelLayout | None = None

    def of(self, channels: Channels) -> ChannelLayout:
        """The layout of ``channels`` (made afresh if they do not fit the one kept)."""
        layout = self.layout
        if layout is None or not layout.fits(channels):
            layout = self.layout = ChannelLayout(channels)
        return layout


class LiveValues:
    """The current ``get()`` of the channels of one run, in the channels' order.

    Entries are read from their channel lazily, when a read needs them, and after that only
    when the update phase reports the channel changed (a channel given a single value that it
    holds as is takes the value without a read).

    Attributes:
        channels: the live channels this mirrors (a read falls back to them).
        layout: what is known of the channels' kinds.
        values: channel name to value; ``None`` for an empty channel (a value the cyclic
            garbage collector ignores, unlike ``MISSING``: so are the copies reads return), and
            meaningless for the names in ``unread``.
        unread: the names whose entry must be read from the channel before it is used.
        missing: of the names not in ``unread``, exactly those of empty channels: a read of
            none of them copies the entries as they are, others leave the gaps out.

    >>> from nbpregel.channels import LastValue, Topic
    >>> channels = {"a": LastValue(int), "b": LastValue(int), "t": Topic(int)}
    >>> live = LiveValues(channels)
    >>> channels["a"].update_one(1)
    True
    >>> live.written({"a": 1})
    >>> live.read(("a", "b")), live.read(("a",))
    ({'a': 1}, {'a': 1})
    """

    __slots__ = ("channels", "layout", "missing", "unread", "values")

    def __init__(self, channels: Channels, layout: ChannelLayout | None = None) -> None:
        self.channels = channels
        self.layout = layout if layout is not None else ChannelLayout(channels)
        self.values: dict[str, Any] = dict.fromkeys(channels)
        self.unread: set[str] = set(channels)
        self.missing: set[str] = set()

    # -- keeping up with the channels -------------------------------------------------------

    def changed(self, *groups: Collection[str]) -> None:
        """Note that these channels changed (an update, consume or finish): read them again."""
        for names in groups:
            if names:
                self.unread.update(names)

    def written(self, single: Mapping[str, Any]) -> None:
        """Note channels just given one value each with ``update_one``."""
        self.values.update(single)  # right for every channel that holds its last write ...
        if self.unread:
            _forget(self.unread, single)
        if self.missing:
            _forget(self.missing, single)
        if self.layout.inexact:
            self.unread.update(common(self.layout.inexact, single))  # ... others read again

    def _read_again(self, names: Iterable[str]) -> None:
        channels, values, missing = self.channels, self.values, self.missing
        for name in names:
            channel = channels[name]
            if channel.is_available():
                values[name] = channel.get()
                missing.discard(name)
            else:
                values[name] = None
                missing.add(name)
        self.unread.difference_update(names)

    # -- reading ---------------------------------------------------------------------------

    def read(self, reads: tuple[str, ...]) -> dict[str, Any]:
        """The available values of ``reads``, in that order (as ``read_input`` gives them)."""
        plan = self.layout.plan(reads)
        if not plan.direct:
            return read_input(self.channels, reads)
        if self.unread and not self.unread.isdisjoint(plan.names):
            self._read_again(self.unread & plan.names)
        values = self.values
        missing = self.missing
        if not missing.isdisjoint(plan.names):
            return {key: values[key] for key in reads if key not in missing}
        if plan.drop is None:
            return {key: values[key] for key in reads}
        copied = values.copy()
        for key in plan.drop:
            del copied[key]
        return copied
