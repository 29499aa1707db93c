"""Running a graph on many inputs (``batch``, ``abatch``) and finding its subgraphs
(``get_subgraphs``, ``aget_subgraphs``): the rest of the surface a LangGraph notebook calls on a
compiled graph, as a mixin of ``Pregel``."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbpregel.constants import NS_END, NS_SEP

if TYPE_CHECKING:
    from nbpregel.pregel._node import PregelNode
    from nbpregel.pregel.main import Pregel

__all__ = ["RunnableMixin"]

MAX_CONCURRENCY_KEY = "max_concurrency"
"""The config key that caps how many of a batch's runs go at once (none: all of them)."""


class RunnableMixin:
    """``batch``/``abatch`` over ``invoke``/``ainvoke``, and the subgraph finders."""

    nodes: dict[str, PregelNode]

    if TYPE_CHECKING:

        def invoke(
            self, input: Any, config: Mapping[str, Any] | None = None, **kwargs: Any
        ) -> Any: ...

        async def ainvoke(
            self, input: Any, config: Mapping[str, Any] | None = None, **kwargs: Any
        ) -> Any: ...

    def batch(
        self,
        inputs: Sequence[Any],
        config: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """``invoke`` on each input, on threads, and the outputs in the inputs' order.

        Args:
            inputs: one input per run.
            config: one config for every run, or a list of one per input. Its
                ``max_concurrency`` caps the runs going at once (default: all).
            return_exceptions: put a run's exception in its place in the result, instead of
                raising the first one (in the inputs' order) once every run has ended.
            **kwargs: passed to each ``invoke`` (``stream_mode``, ``durability``, ...).

        Raises:
            ValueError: ``config`` is a list whose length is not the number of inputs.

        Example:
            >>> from typing import TypedDict
            >>> from nbpregel import END, START, StateGraph
            >>> class State(TypedDict):
            ...     n: int
            >>> builder = StateGraph(State)
            >>> _ = builder.add_node("double", lambda state: {"n": state["n"] * 2})
            >>> app = builder.add_edge(START, "double").add_edge("double", END).compile()
            >>> app.batch([{"n": 1}, {"n": 2}])
            [{'n': 2}, {'n': 4}]
        """
        configs = _config_list(config, len(inputs))
        if not inputs:
            return []

        def run(input: Any, one: Mapping[str, Any] | None) -> Any:
            try:
                return self.invoke(input, one, **kwargs)
            except Exception as exc:
                if return_exceptions:
                    return exc
                raise

        workers = _max_concurrency(configs) or len(inputs)
        with concurrent.futures.ThreadPoolExecutor(workers, "nbpregel-batch") as pool:
            futures = [
                pool.submit(run, input, one) for input, one in zip(inputs, configs, strict=True)
            ]
            concurrent.futures.wait(futures)
        return [future.result() for future in futures]

    async def abatch(
        self,
        inputs: Sequence[Any],
        config: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[Any]:
        """``ainvoke`` on each input, concurrently; as :meth:`batch` otherwise."""
        configs = _config_list(config, len(inputs))
        limit = asyncio.Semaphore(_max_concurrency(configs) or max(len(inputs), 1))

        async def run(input: Any, one: Mapping[str, Any] | None) -> Any:
            async with limit:
                return await self.ainvoke(input, one, **kwargs)

        runs = [run(input, one) for input, one in zip(inputs, configs, strict=True)]
        results = await asyncio.gather(*runs, return_exceptions=True)
        if not return_exceptions:
            for result in results:
                if isinstance(result, Exception):
                    raise result
        return list(results)

    def get_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> Iterator[tuple[str, Pregel]]:
        """The graphs run by this graph's nodes, as ``(namespace, graph)`` pairs.

        Args:
            namespace: only the subgraph of this node (``"node"``), or with ``recurse`` a
                deeper one (``"node|inner"``). Task ids, as in the namespaces of a stream
                (``"node:<task id>|inner:<task id>"``), are ignored.
            recurse: also the subgraphs' own subgraphs, named ``"node|inner"``.

        Example:
            >>> from typing import TypedDict
            >>> from nbpregel import END, START, StateGraph
            >>> class State(TypedDict):
            ...     n: int
            >>> inner = StateGraph(State)
            >>> _ = inner.add_node("inc", lambda state: {"n": state["n"] + 1})
            >>> child = inner.add_edge(START, "inc").add_edge("inc", END).compile()
            >>> outer = StateGraph(State)
            >>> _ = outer.add_node("child", child)
            >>> app = outer.add_edge(START, "child").add_edge("child", END).compile()
            >>> [name for name, _ in app.get_subgraphs()]
            ['child']
        """
        wanted = _segments(namespace)
        for name, node in self.nodes.items():
            graph = node.subgraph
            if graph is None or (wanted and wanted[0] != name):
                continue
            if len(wanted) <= 1:
                yield name, graph
            if recurse and (len(wanted) != 1):
                rest = NS_SEP.join(wanted[1:]) if wanted else None
                for inner, subgraph in graph.get_subgraphs(namespace=rest, recurse=True):
                    yield f"{name}{NS_SEP}{inner}", subgraph

    async def aget_subgraphs(
        self, *, namespace: str | None = None, recurse: bool = False
    ) -> AsyncIterator[tuple[str, Pregel]]:
        """:meth:`get_subgraphs`, as an async iterator."""
        for pair in self.get_subgraphs(namespace=namespace, recurse=recurse):
            yield pair


def _config_list(
    config: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None, count: int
) -> list[Mapping[str, Any] | None]:
    """One config per input."""
    if config is None or isinstance(config, Mapping):
        return [config] * count
    configs: list[Mapping[str, Any] | None] = list(config)
    if len(configs) != count:
        raise ValueError(
            f"batch got {len(configs)} configs for {count} inputs: pass one config for all "
            f"the runs, or a list with one per input"
        )
    return configs


def _max_concurrency(configs: Sequence[Mapping[str, Any] | None]) -> int | None:
    """The first config's ``max_concurrency`` (LangGraph reads it there too)."""
    first = configs[0] if configs else None
    value = first.get(MAX_CONCURRENCY_KEY) if first else None
    if value is not None and (not isinstance(value, int) or value < 1):
        raise ValueError(f"config {MAX_CONCURRENCY_KEY!r} must be a positive int, got {value!r}")
    return value


def _segments(namespace: str | None) -> list[str]:
    """A namespace's node names, task ids dropped: ``"a:1|b:2"`` -> ``["a", "b"]``."""
    if namespace is None:
        return []
    return [part.split(NS_END, 1)[0] for part in namespace.split(NS_SEP)]
