"""Setting a run up: its config, checkpoints, breakpoints, executor, context and store.

``Pregel.stream`` and its twins describe what the caller asked for; :func:`new_loop` turns that
into a ``RunLoop`` ready to be driven. A run started inside a running task (a subgraph, or a
graph invoked by a node) nests under that task's run: it inherits the context it was not given,
and the parent's store when the parent has one (LangGraph's rule, even over its own; LangGraph
also drops a nested graph's own store under a parent without one, where nbpregel keeps it).
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbpregel.constants import DEFAULT_RECURSION_LIMIT, Durability, StreamMode
from nbpregel.pregel._control import RunControl
from nbpregel.pregel._loop import RunLoop
from nbpregel.pregel._nested import nesting
from nbpregel.pregel._persist import Persistence
from nbpregel.pregel._pool import TaskPool, shared_pool
from nbpregel.pregel._runtime import coerce_context
from nbpregel.types import RetryPolicy

if TYPE_CHECKING:
    from nbpregel.pregel.main import Pregel

__all__ = ["new_loop"]


def new_loop(
    graph: Pregel,
    input: Any,
    config: Mapping[str, Any] | None,
    modes: Sequence[StreamMode],
    *,
    interrupt_before: Sequence[str] | str | None = None,
    interrupt_after: Sequence[str] | str | None = None,
    durability: str | None = None,
    checkpointer: Any | None = None,
    subgraphs: bool = False,
    context: Any = None,
    control: RunControl | None = None,
) -> RunLoop:
    """A loop that runs ``graph`` on ``input`` as the caller asked (``stream``'s arguments).

    Raises:
        InvalidContextError: ``context`` does not fit the graph's ``context_schema``.
    """
    before, after = graph.spec.run_breakpoints(interrupt_before, interrupt_after)
    config = graph._run_config(config)
    nest = nesting(graph.checkpointer)
    if nest is None:
        config = dict(config or {})
        saver = checkpointer if checkpointer is not None else graph.checkpointer
        persistence = Persistence(
            None if saver is False else saver,
            config,
            durability=Durability(durability or Durability.SYNC),
        )
    else:
        config = nest.child_config(config)
        persistence = Persistence(
            checkpointer if checkpointer is not None else nest.saver,
            config,
            durability=nest.parent.persistence.durability,
            ns=nest.ns_str,
        )
        persistence.parents = nest.parents
    loop = RunLoop(
        graph.spec,
        input,
        persistence=persistence,
        modes=frozenset(modes),
        recursion_limit=int(config.get("recursion_limit", DEFAULT_RECURSION_LIMIT)),
        interrupt_before=before,
        interrupt_after=after,
        nest=nest,
        subgraphs=subgraphs,
    )
    loop.run_config = {**config, "configurable": persistence.config["configurable"]}
    loop.context = coerce_context(graph.context_schema, context, graph.name)
    loop.store = graph.store
    policy = graph.retry_policy
    loop.retry_policy = (policy,) if isinstance(policy, RetryPolicy) else tuple(policy or ())
    loop.cache_policy = graph.cache_policy
    if nest is None:
        loop.cache = graph.cache
        _set_executor(loop, graph.executor, config.get("max_concurrency"))
        loop.control = control if control is not None else RunControl()
    else:
        parent = nest.parent
        loop.seen_messages = parent.seen_messages  # a message streamed inside, not again
        loop.control = control if control is not None else parent.control
        loop.cache = graph.cache if graph.cache is not None else parent.cache
        if graph.executor is None:
            loop.executor, loop.ships = parent.executor, parent.ships
            loop.local_executor = parent.local_executor
        else:
            _set_executor(loop, graph.executor, config.get("max_concurrency"))
        if loop.context is None:
            loop.context = parent.context
        if parent.store is not None:
            loop.store = parent.store  # as LangGraph: the parent's store, even over its own
    return loop


def _set_executor(loop: RunLoop, executor: Any, max_concurrency: int | None) -> None:
    """Give the run its executor; one that runs calls in other processes gets them shipped
    (``_remote``), and the sync tasks that stay here run on the shared pool."""
    if executor is None:
        loop.executor = loop.local_executor = shared_pool(max_concurrency)
        return
    if not isinstance(executor, concurrent.futures.Executor) and hasattr(executor, "get_executor"):
        executor = executor.get_executor()  # a Dask Client: its concurrent.futures face
    loop.executor = executor
    loop.ships = not isinstance(executor, (TaskPool, concurrent.futures.ThreadPoolExecutor))
    loop.local_executor = shared_pool(max_concurrency) if loop.ships else executor
