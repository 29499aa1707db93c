"""``astream_events``: each task of an events run is a run of its own, the parent of what it calls.

A run streaming events streams ``messages`` too, so every task's call goes through
``_model_tokens.with_token_streaming``, which asks :func:`event_wrapper` first. The wrapper
sends the task's ``on_chain_start`` (``data.input``: the node's input) as the call begins and,
when it returns, its ``on_chain_stream`` (``data.chunk``: what the node returned) and
``on_chain_end`` (``data.output`` and ``data.input``); a call that fails or is interrupted
sends nothing more, as in LangGraph. Metadata carries the ``langgraph_*`` keys, tags
``graph:step:N`` (``seq:step:1`` for a ``@task`` call, which runs inside its caller's run).

While the call runs, two context variables tell what it starts where it belongs: ``SCOPE``
(a subgraph's tasks, and ``@task`` calls, are children of this task's run) and LangChain's
config variable (a callback manager whose parent run is this task's: chat models, tools and
custom events report there, see ``_event_callbacks``). A subgraph node also gets the run of
the subgraph itself between the two, named after the graph, as in LangGraph. The engine runs
every task in a copy of the context of the code that started it (threads, the background
event loop of async nodes under a sync driver), so the scope reaches every level.
"""

from __future__ import annotations

import inspect
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import TAG_HIDDEN, StreamMode
from nbpregel.pregel._event_sink import CHAIN, SCOPE, RunInfo, Scope
from nbpregel.pregel._message_chunks import task_metadata

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._task import Task

__all__ = ["event_wrapper"]

_CONFIG_MODULE: Final = "langchain_core.runnables.config"
STEP_TAG: Final = "graph:step:{}"
"""The tag of a node's run: its step."""
CALL_TAG: Final = "seq:step:1"
"""The tag of what runs inside a node (a ``@task`` call, a subgraph, LangChain's runs)."""
HIDDEN_TAG: Final = TAG_HIDDEN
"""The tag of the input node's run (shown only when a conditional edge leaves START)."""


def event_wrapper(loop: RunLoop, task: Task, fn: Callable[..., Any]) -> Callable[..., Any] | None:
    """``fn`` sending ``task``'s events, or ``None`` when no events run is going on here."""
    scope = SCOPE.get()
    if scope is None:
        return None
    node = task.node
    if node.hidden and not getattr(node.writer, "branches", None):
        return fn  # LangGraph shows no run for an input that only goes down plain edges
    return _TaskRun(scope, loop, task).wrap(fn)


def _call_input(task: Task, value: Any) -> Any:
    """A ``@task`` call's input as LangGraph shows it: its arguments by parameter name."""
    try:
        args, kwargs = value
        return dict(inspect.signature(task.node.bound).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return value


class _TaskRun:
    """The run of one task attempt: its events, and the context its calls run in."""

    def __init__(self, scope: Scope, loop: RunLoop, task: Task) -> None:
        self.scope = scope
        self.task = task
        self.run_id = uuid.uuid4()
        step = loop.step
        node = task.node
        tags = [STEP_TAG.format(step) if task.call is None else CALL_TAG]
        if node.hidden:
            tags.append(HIDDEN_TAG)
        tags.extend(scope.tags)
        base = scope.metadata
        if task.call is not None:  # its caller's metadata, but its graph's namespace
            base = {key: value for key, value in base.items() if key != "checkpoint_ns"}
            if loop.ns_str:
                base["checkpoint_ns"] = loop.ns_str
        metadata = {**base, **task_metadata(task, step), **node.metadata}
        self.info = RunInfo(task.name, CHAIN, tags, metadata, scope.parent)
        # Runs inside see the namespace of the top-level task they run under (LangGraph sets
        # it once; what runs inside inherits it).
        inner = metadata if "checkpoint_ns" in metadata else {**metadata, "checkpoint_ns": task.ns}
        self.subgraph_id: uuid.UUID | None = None
        parent = self.run_id
        if node.subgraph is not None:
            parent = self.subgraph_id = uuid.uuid4()
        self.child = Scope(scope.sink, parent, inner, scope.tags, scope.handlers, scope.tokens)
        self.config = self._langchain_config(loop, inner)

    def _langchain_config(self, loop: RunLoop, metadata: dict[str, Any]) -> Any:
        """LangChain's config for the call: a callback manager under this task's run (``None``
        when LangChain is not loaded)."""
        if _CONFIG_MODULE not in sys.modules:
            return None
        from langchain_core.callbacks import CallbackManager

        scope = self.scope
        handlers = list(scope.handlers)
        if scope.sink.handler is not None:
            handlers.insert(0, scope.sink.handler)
        if scope.tokens or (loop.nest is not None and StreamMode.MESSAGES in loop.caller_modes):
            tokens = _token_handler(loop)
            if tokens is not None:
                handlers.append(tokens)
        manager = CallbackManager(
            handlers,
            handlers,
            parent_run_id=self.run_id,
            tags=[CALL_TAG, *scope.tags],
            inheritable_tags=list(scope.tags),
            metadata=metadata,
            inheritable_metadata=metadata,
        )
        # The metadata again: a node passing its ``config`` to a model keeps the task's
        # ``checkpoint_ns`` (LangChain copies the config's own in only when it is missing).
        return {"callbacks": manager, "metadata": metadata}

    # -- events ----------------------------------------------------------------------------

    def _begin(self, value: Any) -> Any:
        """Send the start events; returns the input they show."""
        task = self.task
        shown = _call_input(task, value) if task.call is not None else value
        sink = self.scope.sink
        sink.start_run(self.run_id, self.info, {"input": shown})
        if self.subgraph_id is not None:
            info = RunInfo(
                getattr(task.node.subgraph, "name", task.name),
                CHAIN,
                [CALL_TAG, *self.scope.tags],
                self.child.metadata,
                self.run_id,
            )
            sink.start_run(self.subgraph_id, info, {"input": shown})
        return shown

    def _end(self, shown: Any, output: Any) -> None:
        sink = self.scope.sink
        if self.subgraph_id is not None:
            sink.end_run(self.subgraph_id, {"output": output, "input": shown})
        sink.stream_run(self.run_id, output)
        sink.end_run(self.run_id, {"output": output, "input": shown})

    # -- the call --------------------------------------------------------------------------

    def _enter(self) -> tuple[Any, Any, Any]:
        token = SCOPE.set(self.child)
        if self.config is None:
            return token, None, None
        var = sys.modules[_CONFIG_MODULE].var_child_runnable_config
        return token, var, var.set(self.config)

    @staticmethod
    def _exit(tokens: tuple[Any, Any, Any]) -> None:
        token, var, lc_token = tokens
        if var is not None:
            var.reset(lc_token)
        SCOPE.reset(token)

    def wrap(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn``, sending the task's events around the call."""
        if self.task.node.is_async:

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                shown = self._begin(args[0] if args else None)
                tokens = self._enter()
                try:
                    output = await fn(*args, **kwargs)
                finally:
                    self._exit(tokens)
                self._end(shown, output)
                return output

            return call_async

        def call(*args: Any, **kwargs: Any) -> Any:
            shown = self._begin(args[0] if args else None)
            tokens = self._enter()
            try:
                output = fn(*args, **kwargs)
            finally:
                self._exit(tokens)
            self._end(shown, output)
            return output

        return call


def _token_handler(loop: RunLoop) -> Any:
    """The loop's ``messages`` token handler (made if need be), or ``None`` without one."""
    from nbpregel.pregel import _model_tokens  # it imports this module

    handler = loop.token_handler
    if handler is None:
        handler_class = _model_tokens._handler_class()
        if handler_class is not None:
            handler = loop.token_handler = handler_class(loop)
    return handler
