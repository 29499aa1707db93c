"""Helpers of ``Run``: the run's config and control, and waiting on the kernel's own event loop."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from nbpregel.constants import CONFIG_KEY_THREAD_ID
from nbpregel.types import Command

__all__ = [
    "allow_nested_run",
    "async_only",
    "command_type",
    "running_loop",
    "takes_control",
    "with_thread_id",
]

_log = logging.getLogger("nbpregel.notebook.run")
_nested_loops: set[int] = set()
_takes_control: dict[Any, bool] = {}
"""Whether a ``stream`` function (a class's, mostly) takes ``control=``."""


def takes_control(graph: Any) -> bool:
    """Whether ``graph.stream`` takes ``control=`` (a LangGraph older than its drain does not).

    Known per ``stream`` function: reading a signature costs more than a short run's recording.
    """
    stream = getattr(graph, "stream", None)
    function = getattr(stream, "__func__", stream)
    try:
        return _takes_control[function]
    except KeyError:
        pass
    except TypeError:  # not hashable: asked anew
        return _signature_takes_control(stream)
    _takes_control[function] = known = _signature_takes_control(stream)
    return known


def _signature_takes_control(stream: Any) -> bool:
    try:
        return "control" in inspect.signature(stream).parameters
    except (TypeError, ValueError):
        return False


def async_only(graph: object) -> bool:
    """Whether a node of ``graph`` (or of a subgraph it runs) can only run under ``astream``:
    nbpregel's nodes say so (``is_async``); a LangGraph node's function is async when its
    runnable has an ``afunc`` and no ``func``.

    >>> async_only(object())
    False
    """
    nodes = getattr(graph, "nodes", None)
    for node in nodes.values() if isinstance(nodes, Mapping) else ():
        if getattr(node, "is_async", False):
            return True
        bound = getattr(node, "bound", None)
        if bound is None or bound is graph:
            continue
        if getattr(bound, "func", True) is None and getattr(bound, "afunc", None) is not None:
            return True
        if getattr(bound, "nodes", None) is not None and async_only(bound):  # a subgraph
            return True
    return False


def command_type(graph: object) -> type:
    """The ``Command`` class ``graph`` reads a resume from: nbpregel's for its graphs, else the
    one of the library the graph's class comes from (``langgraph.types.Command`` for a graph
    built with LangGraph), found by the ``<library>.types`` module it keeps it in.

    >>> command_type(object()) is Command
    True
    """
    from nbpregel.pregel.main import Pregel

    if isinstance(graph, Pregel):
        return Command
    library = type(graph).__module__.partition(".")[0]
    try:
        found = getattr(importlib.import_module(f"{library}.types"), "Command", None)
    except ImportError:
        found = None
    return found if isinstance(found, type) else Command


def with_thread_id(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``config`` with a fresh ``thread_id`` when it has none."""
    config = dict(config or {})
    configurable = dict(config.get("configurable") or {})
    configurable.setdefault(CONFIG_KEY_THREAD_ID, f"nb-{uuid.uuid4().hex[:12]}")
    config["configurable"] = configurable
    return config


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running on this thread, or ``None``."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def allow_nested_run(loop: asyncio.AbstractEventLoop) -> None:
    """Let ``loop.run_until_complete`` be called while ``loop`` runs (``nest_asyncio``, once)."""
    if id(loop) in _nested_loops:
        return
    import nest_asyncio

    nest_asyncio.apply(loop)
    _nested_loops.add(id(loop))
    _log.info("applied nest_asyncio to the running event loop, to wait for an async run")
