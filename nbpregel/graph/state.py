"""``StateGraph``: declare nodes over a shared state, connect them, compile to a runnable graph."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from nbpregel.constants import END, NS_END, NS_SEP, START
from nbpregel.errors import GraphValidationError
from nbpregel.graph import _policies as policies
from nbpregel.graph._branch import Branch, literal_targets
from nbpregel.graph._policies import NodeDefaults, check_fault_options
from nbpregel.graph._schema import channels_for, is_schema, managed_for
from nbpregel.pregel._node import INJECTED
from nbpregel.pregel.main import Pregel
from nbpregel.types import CachePolicy, RetryPolicy, TimeoutPolicy, TracePolicy

if TYPE_CHECKING:
    from nbpregel.graph._compiled import CompiledStateGraph

__all__ = ["NodeSpec", "StateGraph"]


@dataclasses.dataclass(slots=True)
class NodeSpec:
    """A node as declared with ``add_node``."""

    name: str
    action: Callable[..., Any] | Any
    input_schema: Any
    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None
    cache_policy: CachePolicy | None
    defer: bool
    destinations: dict[str, str] | None
    metadata: dict[str, Any]
    timeout: TimeoutPolicy | None = None
    error_handler: Callable[..., Any] | None = None


def _first_param_schema(action: Any) -> Any:
    """The schema a node declares through its first parameter's annotation, if any."""
    try:
        params = list(inspect.signature(action).parameters.values())
        hints = typing.get_type_hints(action)
    except Exception:
        return None
    if not params:
        return None
    hint = hints.get(params[0].name)
    return hint if is_schema(hint) else None


def _check_parameters(name: str, action: Any) -> None:
    """Refuse a node function the engine could never call: one whose parameters past the state
    include a required one that is not filled by name (``config``, ``runtime``, ...)."""
    try:
        params = list(inspect.signature(action).parameters.values())
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to check
    fillable = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    for param in params[1:]:
        if param.kind in fillable and param.default is param.empty and param.name not in INJECTED:
            raise GraphValidationError(
                f"node {name!r}: its function's parameter {param.name!r} has no default, and "
                f"the engine fills only the state (first) and, by name, {list(INJECTED)}: "
                f"rename it (e.g. to 'runtime' for the Runtime) or give it a default"
            )


def _command_destinations(action: Any) -> dict[str, str] | None:
    try:
        hint = typing.get_type_hints(action).get("return")
    except Exception:
        return None
    names = literal_targets(hint) if hint is not None else None
    return {name: "" for name in names} if names else None


class StateGraph:
    """A graph whose nodes read and update one shared state.

    Args:
        state_schema: a TypedDict, dataclass or pydantic model; ``Annotated[T, reducer]`` keys
            merge concurrent writes with the reducer, others accept one write per step.
        context_schema: the class of the runs' ``runtime.context`` (a dataclass or pydantic
            model: a dict passed as ``invoke(..., context=...)`` is made into one).
        input_schema: the keys the graph accepts as input (default: the state schema).
        output_schema: the keys the graph returns (default: the state schema).

    >>> from typing import TypedDict
    >>> class State(TypedDict):
    ...     n: int
    >>> graph = StateGraph(State)
    >>> _ = graph.add_node("double", lambda s: {"n": s["n"] * 2})
    >>> _ = graph.add_edge(START, "double")
    >>> graph.compile().invoke({"n": 21})
    {'n': 42}
    """

    def __init__(
        self,
        state_schema: Any,
        context_schema: Any | None = None,
        *,
        input_schema: Any | None = None,
        output_schema: Any | None = None,
    ) -> None:
        self.state_schema = state_schema
        self.context_schema = context_schema
        self.input_schema = input_schema or state_schema
        self.output_schema = output_schema or state_schema
        self.channels = channels_for(state_schema)
        self.managed = managed_for(state_schema)
        for schema in (self.input_schema, self.output_schema):
            for key, channel in channels_for(schema).items():
                self.channels.setdefault(key, channel)
            for key, how in managed_for(schema).items():
                self.managed.setdefault(key, how)
        self.nodes: dict[str, NodeSpec] = {}
        self.edges: list[tuple[str, str]] = []
        self.joins: list[tuple[tuple[str, ...], str]] = []
        self.branches: dict[str, list[Branch]] = {}
        self.node_defaults = NodeDefaults()
        self.compiled = False

    # -- declaring -------------------------------------------------------------------------

    def add_node(
        self,
        node: str | Callable[..., Any],
        action: Callable[..., Any] | Any | None = None,
        *,
        defer: bool = False,
        metadata: dict[str, Any] | None = None,
        input_schema: Any | None = None,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Callable[..., Any] | None = None,
        destinations: Mapping[str, str] | Sequence[str] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
        trace_policy: TracePolicy | None = None,
    ) -> StateGraph:
        """Add a node: ``add_node("name", fn)`` or ``add_node(fn)`` (named after ``fn``).

        Args:
            node: the name, or the function itself.
            action: the function (sync or async), or a compiled graph used as a subgraph.
            defer: run only once everything else has finished.
            metadata: free-form extras kept with the node.
            input_schema: the keys the node reads (default: inferred from its first
                parameter's annotation, else the whole state).
            retry_policy: retry the node on failure.
            cache_policy: reuse the node's writes for equal inputs.
            error_handler: a function run in the node's place, in the same step, once the node
                failed with an exception (its retries used up): it gets the node's input and,
                declared as ``error: NodeError``, the failure. Its update is applied (the
                node's edges are not followed), or its ``Command(goto=...)`` routes the run;
                its own failure fails the run. Streamed as ``__error_handler__<node>``.
            destinations: nodes a ``Command``-returning node may go to (for drawing and
                validation); a dict maps node -> edge label.
            timeout: seconds (or a ``timedelta``) each attempt of an async node may take, or a
                ``TimeoutPolicy`` with an ``idle_timeout`` that ``runtime.heartbeat()``
                restarts. An attempt past it is cancelled and fails with ``NodeTimeoutError``
                (which ``retry_policy`` may retry).
            trace_policy: LangGraph's LangSmith tracing option: accepted, and changes nothing.

        Raises:
            GraphValidationError: for a reserved or duplicate name, a timeout that is not
                positive seconds or that is given to a sync node, an ``error_handler`` that
                is not a function or whose parameters the engine cannot fill.
        """
        if not isinstance(node, str):
            action, node = node, getattr(node, "__name__", type(node).__name__)
        if action is None:
            raise GraphValidationError(f"node {node!r} has no function: add_node({node!r}, fn)")
        self._check_name(node)
        if not isinstance(action, Pregel):
            _check_parameters(node, action)
        limit = policies.async_timeout(f"node {node!r}", action, timeout)
        if error_handler is not None:
            policies.check_handler(error_handler, f"node {node!r}")
        for schema in (input_schema or _first_param_schema(action),):
            if schema is not None:
                for key, channel in channels_for(schema).items():
                    self.channels.setdefault(key, channel)
                for key, how in managed_for(schema).items():
                    self.managed.setdefault(key, how)
        if destinations is None:
            dests = _command_destinations(action)
        elif isinstance(destinations, Mapping):
            dests = dict(destinations)
        else:
            dests = {name: "" for name in destinations}
        self.nodes[node] = NodeSpec(
            name=node,
            action=action,
            input_schema=input_schema or _first_param_schema(action),
            retry_policy=retry_policy,
            cache_policy=cache_policy,
            defer=defer,
            destinations=dests,
            metadata=dict(metadata or {}),
            timeout=limit,
            error_handler=error_handler,
        )
        return self

    def set_node_defaults(
        self,
        *,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None,
        cache_policy: CachePolicy | None = None,
        error_handler: Callable[..., Any] | None = None,
        timeout: float | timedelta | TimeoutPolicy | None = None,
    ) -> StateGraph:
        """Give every node (added before or after) what it was not given by ``add_node``.

        Applied at ``compile``; a node's own value wins, then these, then the compiled graph's
        ``retry_policy``; a subgraph keeps its own. The retry policy and timeout apply to error
        handlers too (a default timeout then needs async nodes and handlers); the cache policy
        and error handler only to the nodes (the default handler runs as
        ``__default_error_handler__``). A later call changes only what it is given.

        Raises:
            GraphValidationError: a timeout that is not positive seconds, or an
                ``error_handler`` that is not a function the engine can call.

        Example:
            >>> from typing import TypedDict
            >>> from nbpregel.errors import NodeError
            >>> class State(TypedDict):
            ...     status: str
            >>> def fails(state: State) -> State:
            ...     raise KeyError("no such page")
            >>> def recover(state: State, error: NodeError) -> State:
            ...     return {"status": f"{error.node} failed: {error.error!r}"}
            >>> graph = StateGraph(State).set_node_defaults(error_handler=recover)
            >>> _ = graph.add_node("fetch", fails).add_edge(START, "fetch")
            >>> graph.compile().invoke({"status": ""})
            {'status': "fetch failed: KeyError('no such page')"}
        """
        self.node_defaults.update(retry_policy, cache_policy, error_handler, timeout)
        return self

    def _check_name(self, name: str) -> None:
        if name in (START, END):
            raise GraphValidationError(f"node name {name!r} is reserved: choose another name")
        if name in self.nodes:
            raise GraphValidationError(f"node {name!r} already exists: node names must be unique")
        for bad in (NS_SEP, NS_END):
            if bad in name:
                raise GraphValidationError(
                    f"node name {name!r} contains {bad!r}, which is reserved for namespaces"
                )

    def add_edge(self, start_key: str | Sequence[str], end_key: str) -> StateGraph:
        """Run ``end_key`` after ``start_key``; with a list, after *all* of them (a join)."""
        if isinstance(start_key, str):
            if start_key == END:
                raise GraphValidationError("an edge cannot start at END: END has no way out")
            if end_key == START:
                raise GraphValidationError("an edge cannot end at START")
            self.edges.append((start_key, end_key))
            return self
        sources = tuple(start_key)
        if not sources:
            raise GraphValidationError(f"add_edge([...], {end_key!r}) needs at least one source")
        for source in sources:
            if source == END:
                raise GraphValidationError("an edge cannot start at END: END has no way out")
        self.joins.append((sources, end_key))
        return self

    def add_conditional_edges(
        self,
        source: str,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None = None,
    ) -> StateGraph:
        """After ``source`` runs, call ``path(state)`` to choose the next node(s).

        ``path`` returns a node name, ``END``, a ``Send``, or a list of them; with ``path_map``
        its answers are keys of the map.
        """
        if source == END:
            raise GraphValidationError("a conditional edge cannot start at END")
        self.branches.setdefault(source, []).append(Branch.create(source, path, path_map))
        return self

    def add_sequence(self, nodes: Sequence[Callable[..., Any] | tuple[str, Any]]) -> StateGraph:
        """Add nodes and chain them with edges, in order."""
        previous: str | None = None
        for item in nodes:
            name, action = item if isinstance(item, tuple) else (item.__name__, item)
            self.add_node(name, action)
            if previous is not None:
                self.add_edge(previous, name)
            previous = name
        return self

    def set_entry_point(self, key: str) -> StateGraph:
        """Same as ``add_edge(START, key)``."""
        return self.add_edge(START, key)

    def set_conditional_entry_point(
        self, path: Callable[..., Any], path_map: Mapping[Hashable, str] | None = None
    ) -> StateGraph:
        """Same as ``add_conditional_edges(START, path, path_map)``."""
        return self.add_conditional_edges(START, path, path_map)

    def set_finish_point(self, key: str) -> StateGraph:
        """Same as ``add_edge(key, END)``."""
        return self.add_edge(key, END)

    # -- compiling -------------------------------------------------------------------------

    def compile(
        self,
        checkpointer: Any | bool | None = None,
        *,
        cache: Any | None = None,
        store: Any | None = None,
        interrupt_before: Sequence[str] | str | None = None,
        interrupt_after: Sequence[str] | str | None = None,
        debug: bool = False,
        name: str | None = None,
        step_timeout: float | None = None,
        fail_fast: bool = False,
        executor: Any | None = None,
    ) -> CompiledStateGraph:
        """Validate the graph and build a runnable one.

        Args:
            checkpointer: a saver (``InMemorySaver``, ``SqliteSaver``); needed for interrupts,
                resuming, ``get_state`` and time travel. A graph used as a subgraph keeps
                its checkpoints in its parent's saver (``None``, the default) or none at all
                (``False``).
            cache: where nodes with a ``cache_policy`` keep their writes: an
                ``InMemoryCache`` or a ``SqliteCache`` from ``nbpregel.cache``.
            store: what nodes reach as ``runtime.store`` or through a ``store`` parameter,
                such as ``nbpregel.store.memory.InMemoryStore()``.
            interrupt_before: pause before these nodes (``"*"``: all).
            interrupt_after: pause after these nodes.
            debug: the graph's runs print their ``updates`` and ``values`` chunks to stdout
                (as LangGraph's ``debug``; the ``debug`` attribute of the compiled graph).
            name: the graph's name.
            step_timeout: seconds a superstep may take before it fails with ``TimeoutError``
                (at the deadline: async nodes still running are cancelled, a sync one finishes
                unwatched and its writes are dropped). Also settable on the compiled graph,
                as LangGraph's ``app.step_timeout = 5``; so is ``fail_fast``.
            fail_fast: when a task fails, end its step at once. By default the step's other
                tasks finish and their writes are saved (resuming skips them). With
                ``fail_fast`` tasks not started yet never start, running async nodes are
                cancelled, and a sync node already running (a thread cannot be stopped)
                finishes unwatched (no retry): its writes are dropped. Resuming runs every
                task of the step that saved no writes (waiting for such a call to return
                before calling its node again).
            executor: runs sync tasks (default: a shared thread pool): any
                ``concurrent.futures.Executor``, or a Dask ``Client``. One that is not a
                ``ThreadPoolExecutor`` (a process pool, a Dask cluster) is sent only the
                node calls, pickled: their inputs, the config and the context must pickle;
                interrupts, retries, ``writer`` chunks and ``get_runtime()`` work; a store
                that cannot be pickled stays here (using it from such a node is an error);
                subgraph nodes, entrypoints and async nodes run here.

        Raises:
            GraphValidationError: naming the culprit: no entry point, an edge to an unknown
                node, an unreachable node, a cycle with no way out, an unknown breakpoint,
                a ``step_timeout`` that is not positive seconds, a ``fail_fast`` not a bool.
        """
        from nbpregel.graph._compiled import CompiledStateGraph
        from nbpregel.graph._validate import validate

        validate(self)
        check_fault_options(self.nodes, self.node_defaults)
        self.compiled = True
        compiled = CompiledStateGraph(
            self,
            checkpointer=checkpointer,
            cache=cache,
            store=store,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            name=name or "LangGraph",
            step_timeout=step_timeout,
            fail_fast=fail_fast,
            executor=executor,
        )
        compiled.debug = debug
        return compiled
