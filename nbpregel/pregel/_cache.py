"""Node caching, the engine side: key a task, settle it from the cache, store what it wrote.

The loop calls :func:`lookup_many` once per superstep, after restoring saved writes and before
running anything, and :func:`store` for every task that finished. The functional API's tasks
use the same functions: :func:`assign_key` with the call's arguments, then :func:`lookup` (or
:func:`alookup`) before running and :func:`store` (or :func:`astore`) after.

An entry lives under ``(namespace, key)``: the namespace is
``("__pregel_ns_writes", "<module>.<function>", "<node name>")`` (as LangGraph names it, so
renaming a node's function starts it afresh), the key a 128-bit hash of what the policy's
``key_func`` returned for the task's input, and the value the task's ``(channel, value)`` writes.
Only tasks that finished are stored: never one that failed or was interrupted.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from nbpregel.cache._keys import digest
from nbpregel.channels.base import MISSING
from nbpregel.pregel._task import Task, TaskStatus

if TYPE_CHECKING:
    from nbpregel.cache.base import BaseCache, FullKey, Namespace
    from nbpregel.pregel._node import PregelNode
    from nbpregel.types import CachePolicy

__all__ = [
    "CACHE_NS_WRITES",
    "CacheKey",
    "CacheMixin",
    "alookup",
    "alookup_many",
    "assign_key",
    "astore",
    "lookup",
    "lookup_many",
    "namespaces_for",
    "node_namespace",
    "store",
]

CACHE_NS_WRITES: Final = "__pregel_ns_writes"
"""First part of every namespace the engine writes (LangGraph's name for it)."""

_DYNAMIC: Final = "__dynamic__"


@dataclasses.dataclass(frozen=True, slots=True)
class CacheKey:
    """Where a task's writes are cached, and for how long.

    Attributes:
        ns: ``(CACHE_NS_WRITES, function identifier, node name)``.
        key: hex digest of the policy's ``key_func`` result.
        ttl: seconds the entry lives, ``None`` for ever.
    """

    ns: Namespace
    key: str
    ttl: float | None

    @property
    def full(self) -> FullKey:
        """``(ns, key)``, as the cache's methods take it."""
        return (self.ns, self.key)


def _identifier(fn: Callable[..., Any] | None) -> str | None:
    """``module.qualname`` of the function a node runs (through partials and decorators)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    fn = getattr(fn, "__wrapped__", fn)
    if fn is None:
        return None
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    module = getattr(fn, "__module__", None) or type(fn).__module__
    return f"{module}.{qualname}"


def node_namespace(name: str, fn: Callable[..., Any] | None) -> Namespace:
    """The namespace of node ``name`` running ``fn``.

    >>> def embed(x): ...
    >>> node_namespace("embed", embed)
    ('__pregel_ns_writes', 'nbpregel.pregel._cache.embed', 'embed')
    """
    return (CACHE_NS_WRITES, _identifier(fn) or _DYNAMIC, name)


def assign_key(
    task: Task,
    policy: CachePolicy,
    args: Sequence[Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
) -> CacheKey:
    """Compute ``task.cache_key`` from ``policy.key_func(*args, **kwargs)``.

    Args:
        task: the task to key; its ``cache_key`` is set.
        policy: supplies ``key_func`` and ``ttl``.
        args: what ``key_func`` is called with; by default the task's input alone (a graph
            node); a functional-API task passes its call's arguments.
        kwargs: keyword arguments for ``key_func``.

    Raises:
        Exception: whatever ``key_func`` raises, with a note naming the node.
    """
    call_args = (task.input,) if args is None else tuple(args)
    try:
        raw = policy.key_func(*call_args, **(kwargs or {}))
    except Exception as exc:
        exc.add_note(
            f"while computing the cache key of task {task.name!r} with its CachePolicy.key_func; "
            f"fix the key_func, or remove the node's cache_policy"
        )
        raise
    # Named after the node's function, as ``clear_cache`` names it (``task.call`` wraps it).
    key = CacheKey(node_namespace(task.name, task.node.bound), digest(raw), policy.ttl)
    task.cache_key = key
    return key


def _fail(task: Task, exc: Exception) -> None:
    task.writes = []
    task.error = exc
    task.status = TaskStatus.ERROR


def _answering_interrupt(task: Task) -> bool:
    """A task resumed with an answer must run: a cached result would ignore the answer."""
    return bool(task.resume) or task.next_resume is not MISSING


def _keyed(
    tasks: Sequence[Task], settled: list[Task], default: CachePolicy | None
) -> dict[FullKey, list[Task]]:
    """Key every pending task whose node has a policy (or that the graph's ``default``
    covers); tasks that cannot be keyed fail."""
    keyed: dict[FullKey, list[Task]] = {}
    for task in tasks:
        if task.status != TaskStatus.PENDING:
            continue
        if task.cache_key is None:
            policy = task.node.cache_policy or default
            if policy is None:
                continue
            try:
                assign_key(task, policy)
            except Exception as exc:
                _fail(task, exc)
                settled.append(task)
                continue
        key = task.cache_key
        if key is not None and not _answering_interrupt(task):
            keyed.setdefault(key.full, []).append(task)
    return keyed


def _settle(
    keyed: dict[FullKey, list[Task]], found: Mapping[FullKey, Any], settled: list[Task]
) -> None:
    for full, value in found.items():
        for task in keyed.get(full, ()):
            task.writes = [tuple(write) for write in value]
            task.status = TaskStatus.CACHED
            settled.append(task)


def _read_failed(keyed: dict[FullKey, list[Task]], exc: Exception, settled: list[Task]) -> None:
    failed = [task for tasks in keyed.values() for task in tasks]
    names = sorted({task.name for task in failed})
    exc.add_note(
        f"while reading the cached writes of {names}; if an entry is stale or corrupt, drop "
        f"it with graph.clear_cache({names})"
    )
    for task in failed:
        _fail(task, exc)
        settled.append(task)


def _in_order(tasks: Sequence[Task], settled: list[Task]) -> list[Task]:
    ids = {id(task) for task in settled}
    return [task for task in tasks if id(task) in ids]


def lookup_many(
    cache: BaseCache[Any], tasks: Sequence[Task], default: CachePolicy | None = None
) -> list[Task]:
    """Settle from ``cache`` the pending tasks it holds writes for, with one read.

    Tasks whose node has no ``cache_policy`` (and no graph-wide ``default``) are left alone;
    so are tasks answering an
    interrupt. A hit gives the task its cached writes and status ``CACHED``. A ``key_func``
    or cache read that raises fails the task instead (status ``ERROR``), as a node would.

    Returns:
        The tasks settled (cached or failed), in the order given; the caller reports them done.
    """
    settled: list[Task] = []
    keyed = _keyed(tasks, settled, default)
    if keyed:
        try:
            found = cache.get(list(keyed))
        except Exception as exc:
            _read_failed(keyed, exc, settled)
        else:
            _settle(keyed, found, settled)
    return _in_order(tasks, settled)


async def alookup_many(
    cache: BaseCache[Any], tasks: Sequence[Task], default: CachePolicy | None = None
) -> list[Task]:
    """The async twin of :func:`lookup_many` (reads with ``cache.aget``)."""
    settled: list[Task] = []
    keyed = _keyed(tasks, settled, default)
    if keyed:
        try:
            found = await cache.aget(list(keyed))
        except Exception as exc:
            _read_failed(keyed, exc, settled)
        else:
            _settle(keyed, found, settled)
    return _in_order(tasks, settled)


def lookup(cache: BaseCache[Any], task: Task) -> bool:
    """Settle ``task`` from ``cache`` if it can; True when the task must not run.

    Key the task first with :func:`assign_key` unless its node carries the policy.
    """
    return bool(lookup_many(cache, [task]))


async def alookup(cache: BaseCache[Any], task: Task) -> bool:
    """The async twin of :func:`lookup`."""
    return bool(await alookup_many(cache, [task]))


def _entry(task: Task) -> dict[FullKey, tuple[Any, float | None]] | None:
    key = task.cache_key
    if key is None or task.status != TaskStatus.OK:
        return None  # not keyed, or failed, interrupted, cached or restored: nothing new
    return {key.full: (list(task.writes), key.ttl)}


def _store_failed(task: Task, exc: Exception) -> None:
    exc.add_note(
        f"while caching the writes of task {task.name!r}: make the values it writes "
        f"serializable (plain data, dataclasses, pydantic models; register_type for others), "
        f"give the cache a serde that accepts them, or remove the node's cache_policy"
    )
    _fail(task, exc)


def store(cache: BaseCache[Any], task: Task) -> None:
    """Cache the writes of ``task`` if it was keyed and finished (status ``OK``).

    A cache that cannot store them (a value the serializer refuses) fails the task, with a
    note saying how to fix it: asking for a cache and silently not caching would hide it.
    """
    entry = _entry(task)
    if entry is None:
        return
    try:
        cache.set(entry)
    except Exception as exc:
        _store_failed(task, exc)


async def astore(cache: BaseCache[Any], task: Task) -> None:
    """The async twin of :func:`store`."""
    entry = _entry(task)
    if entry is None:
        return
    try:
        await cache.aset(entry)
    except Exception as exc:
        _store_failed(task, exc)


def namespaces_for(nodes: Mapping[str, PregelNode], names: Sequence[str] | None) -> list[Namespace]:
    """The namespaces of the nodes ``names`` (every node when ``None``), for ``clear_cache``.

    Raises:
        ValueError: naming the unknown nodes and listing the known ones.
    """
    if names is None:
        names = list(nodes)
    elif isinstance(names, str):
        names = [names]
    unknown = [name for name in names if name not in nodes]
    if unknown:
        raise ValueError(
            f"cannot clear the cache of unknown node(s) {unknown}: the graph has {sorted(nodes)}"
        )
    return [node_namespace(name, nodes[name].bound) for name in names]


class CacheMixin:
    """``clear_cache`` / ``aclear_cache`` for a compiled graph whose ``cache`` may be set."""

    cache: BaseCache[Any] | None
    nodes: Mapping[str, PregelNode]

    def _cache_namespaces(self, nodes: Sequence[str] | None) -> list[Namespace]:
        if self.cache is None:
            raise ValueError(
                "this graph has no cache to clear: compile it with cache=InMemoryCache() "
                "(or SqliteCache(path=...)) to cache nodes that have a cache_policy"
            )
        return namespaces_for(self.nodes, nodes)

    def clear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """Forget the cached writes of ``nodes`` (every node by default), so they run again.

        Raises:
            ValueError: when the graph has no cache, or naming nodes the graph does not have.
        """
        namespaces = self._cache_namespaces(nodes)
        assert self.cache is not None
        self.cache.clear(namespaces)

    async def aclear_cache(self, nodes: Sequence[str] | None = None) -> None:
        """The async twin of :meth:`clear_cache`."""
        namespaces = self._cache_namespaces(nodes)
        assert self.cache is not None
        await self.cache.aclear(namespaces)
