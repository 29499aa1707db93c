"""``CompiledStateGraph``: a ``StateGraph`` turned into nodes and channels the loop can run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nbpregel.channels import (
    BaseChannel,
    EphemeralValue,
    LastValueAfterFinish,
    NamedBarrierValue,
    NamedBarrierValueAfterFinish,
)
from nbpregel.constants import END, JOIN_PREFIX, START, TASKS
from nbpregel.errors import InvalidUpdateError
from nbpregel.graph._policies import Resolved, resolve
from nbpregel.graph._schema import channels_for, coerce_to_schema, managed_for
from nbpregel.graph._writers import StateWriter, branch_channel, update_items
from nbpregel.graph.description import DrawableGraph
from nbpregel.pregel._node import PregelNode
from nbpregel.pregel.main import Pregel
from nbpregel.types import Command, Send

if TYPE_CHECKING:
    from nbpregel.graph.state import StateGraph

__all__ = ["CompiledStateGraph"]


def _join_channel(sources: Sequence[str], target: str) -> str:
    return f"{JOIN_PREFIX}{'+'.join(sources)}:{target}"


def _identity(value: Any) -> Any:
    return value


class CompiledStateGraph(Pregel):
    """A runnable state graph: ``invoke``, ``stream``, their async twins, and ``get_graph``."""

    def __init__(
        self,
        builder: StateGraph,
        *,
        checkpointer: Any | None,
        cache: Any | None,
        store: Any | None = None,
        interrupt_before: Sequence[str] | str | None,
        interrupt_after: Sequence[str] | str | None,
        name: str,
        step_timeout: float | None,
        fail_fast: bool = False,
        executor: Any | None = None,
    ) -> None:
        self.builder = builder
        self.state_keys = tuple(builder.channels)
        self._keys = frozenset(builder.channels)
        self._managed = dict(builder.managed)
        channels: dict[str, BaseChannel[Any, Any]] = {
            key: spec.copy() for key, spec in builder.channels.items()
        }
        channels[START] = EphemeralValue(Any)
        edges: dict[str, list[tuple[str, Any]]] = {n: [] for n in (START, *builder.nodes)}
        triggers: dict[str, list[str]] = {n: [branch_channel(n)] for n in builder.nodes}
        for node_name, spec in builder.nodes.items():
            trigger = branch_channel(node_name)
            channels[trigger] = (
                LastValueAfterFinish(str) if spec.defer else EphemeralValue(str, guard=False)
            )
        for source, target in builder.edges:
            if target != END:
                edges[source].append((branch_channel(target), source))
        for sources, target in builder.joins:
            key = _join_channel(sources, target)
            barrier = (
                NamedBarrierValueAfterFinish if builder.nodes[target].defer else NamedBarrierValue
            )
            channels[key] = barrier(str, names=set(sources))
            triggers[target].append(key)
            for source in sources:
                edges[source].append((key, source))
        nodes = {START: self._start_node(builder, edges[START])}
        for node_name, spec in builder.nodes.items():
            nodes[node_name] = self._node(
                builder, node_name, spec, triggers[node_name], edges[node_name]
            )
        output_keys = tuple(channels_for(builder.output_schema))
        super().__init__(
            nodes=nodes,
            channels=channels,
            input_channels=START,
            output_channels=output_keys,
            stream_channels=self.state_keys,
            executor=executor,
            checkpointer=checkpointer,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            step_timeout=step_timeout,
            fail_fast=fail_fast,
            stream_mode="updates",
            name=name,
            command_mapper=self._command_writes,
            cache=cache,
            store=store,
            context_schema=builder.context_schema,
        )

    # -- nodes -----------------------------------------------------------------------------

    def _writer(
        self,
        builder: StateGraph,
        name: str,
        edges: list[tuple[str, Any]],
        *,
        shared_only: bool = False,
    ) -> StateWriter:
        return StateWriter(
            name,
            keys=self._keys,
            edges=edges,
            branches=builder.branches.get(name, ()),
            nodes=builder.nodes,
            state_keys=self.state_keys,
            state_mapper=coerce_to_schema(builder.state_schema),
            shared_only=shared_only,
            managed=self._managed,
        )

    def _start_node(self, builder: StateGraph, edges: list[tuple[str, Any]]) -> PregelNode:
        input_keys = frozenset(channels_for(builder.input_schema))
        managed = frozenset(managed_for(builder.input_schema))  # an input's are ignored
        writer = self._writer(builder, START, edges)

        def accept_input(value: Any) -> Any:
            writes, _ = update_items(START, value)
            if managed:
                writes = [(key, item) for key, item in writes if key not in managed]
            unknown = [key for key, _ in writes if key not in input_keys]
            if unknown:
                raise InvalidUpdateError(
                    f"input has unknown key(s) {unknown}: the graph's input schema has "
                    f"{sorted(input_keys)}"
                )
            return dict(writes)

        return PregelNode(
            name=START,
            triggers=(START,),
            reads=START,
            bound=accept_input,
            writer=writer,
            hidden=True,
        )

    def _node(
        self,
        builder: StateGraph,
        name: str,
        spec: Any,
        triggers: list[str],
        edges: list[tuple[str, Any]],
    ) -> PregelNode:
        reads = tuple(channels_for(spec.input_schema)) if spec.input_schema else self.state_keys
        schema = spec.input_schema or builder.state_schema
        options = resolve(name, spec, builder.node_defaults)
        action = spec.action
        subgraph = action if isinstance(action, Pregel) else None
        if subgraph is not None:
            # A timeout cancels async code only: a subgraph with one runs on the event loop.
            action = subgraph.invoke if options.timeout is None else subgraph.ainvoke
        return PregelNode(
            name=name,
            triggers=triggers,
            reads=reads,
            bound=action,
            writer=self._writer(builder, name, edges, shared_only=subgraph is not None),
            mapper=coerce_to_schema(schema),
            managed=managed_for(schema),
            retry_policy=options.retry_policy,
            cache_policy=options.cache_policy,
            defer=spec.defer,
            metadata=spec.metadata,
            subgraph=subgraph,
            timeout=options.timeout,
            error_handler=self._error_handler(builder, options, reads),
        )

    def _error_handler(
        self, builder: StateGraph, options: Resolved, reads: str | tuple[str, ...]
    ) -> PregelNode | None:
        """The node an error handler runs as (``nbpregel.pregel._fault``): hidden, with no
        edges of its own; given the failed node's input."""
        if options.handler is None or options.handler_name is None:
            return None
        return PregelNode(
            name=options.handler_name,
            triggers=(),
            reads=reads,
            bound=options.handler,
            writer=self._writer(builder, options.handler_name, []),
            retry_policy=options.handler_retry_policy,
            hidden=True,
            timeout=options.handler_timeout,
        )

    def _command_writes(self, command: Command[Any]) -> list[tuple[str, Any]]:
        writes, _goto = update_items("input Command", Command(update=command.update))
        unknown = [key for key, _ in writes if key not in self._keys]
        if unknown:
            raise InvalidUpdateError(
                f"Command(update=...) has unknown state key(s) {unknown}: the state has "
                f"{sorted(self._keys)}"
            )
        for target in command.goto_targets():
            if isinstance(target, Send):
                writes.append((TASKS, target))
            elif target != END:
                if target not in self.builder.nodes:
                    raise InvalidUpdateError(
                        f"Command(goto={target!r}) names an unknown node: known nodes are "
                        f"{sorted(self.builder.nodes)}"
                    )
                writes.append((branch_channel(target), START))
        return writes

    # -- drawing ---------------------------------------------------------------------------

    def get_graph(self, config: Any = None, *, xray: int | bool = False) -> DrawableGraph:
        """The graph's nodes and edges as plain data (conditional edges marked), for drawing.

        ``config`` and ``xray`` are LangGraph's and change nothing: a subgraph node always
        carries its own graph, drawn nested.
        """
        from nbpregel.graph._draw import describe

        return describe(self.builder, self.name)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        from nbpregel.notebook.show import graph_mimebundle

        return graph_mimebundle(self.get_graph())
