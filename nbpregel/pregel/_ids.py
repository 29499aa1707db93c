"""Deterministic ids for tasks and interrupts (xxh3_128, hex)."""

from __future__ import annotations

from xxhash import xxh3_128_hexdigest

__all__ = ["interrupt_id", "task_id"]

_SEP = "\x1f"  # unit separator: cannot appear ambiguously between the joined parts


def task_id(checkpoint_id: str, ns: str, step: int, name: str, kind: str, index: int | str) -> str:
    """The id of a task: equal checkpoint, namespace, step, node, kind and index give equal ids.

    >>> task_id("c1", "", 3, "a", "PULL", 0) == task_id("c1", "", 3, "a", "PULL", 0)
    True
    >>> len(task_id("c1", "", 3, "a", "PULL", 0))
    32
    """
    return xxh3_128_hexdigest(
        _SEP.join((checkpoint_id, ns, str(step), name, kind, str(index))).encode()
    )


def interrupt_id(task_ns: str) -> str:
    """The id of the interrupts of the task whose namespace is ``task_ns`` (``node:task_id``)."""
    return xxh3_128_hexdigest(task_ns.encode())
