"""What a running node can reach, by the names of LangGraph's ``langgraph.config``:
``get_config()``, ``get_stream_writer()`` and ``get_store()``.

Each works from inside a node (or a ``@task``) while the graph runs, sync or async, in any
thread, and raises an ``NbPregelError`` saying so when called anywhere else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbpregel.pregel._context import get_config, get_stream_writer
from nbpregel.pregel._runtime import get_runtime

if TYPE_CHECKING:
    from nbpregel.store.base import BaseStore

__all__ = ["get_config", "get_store", "get_stream_writer"]


def get_store() -> BaseStore | None:
    """The store of the running graph (``compile(store=...)``), or ``None`` without one.

    Raises:
        NbPregelError: called outside a running node.
    """
    return get_runtime().store
