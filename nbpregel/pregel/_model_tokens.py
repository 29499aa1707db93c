"""``stream_mode="messages"`` for a LangChain chat model called inside a node: its tokens.

While a node of a run that streams ``messages`` runs, LangChain's config context variable
holds a config whose callbacks include a handler of the run's: a chat model called in the
node with no config of its own picks it up (LangChain's own rule), streams even when called
with ``invoke`` (the handler asks for streaming, as LangGraph's does), and each token comes out
as a ``(message chunk, metadata)`` chunk with the node's ``langgraph_*`` metadata and the
model's ``ls_*`` keys. The message the node then returns does not go out again (its id was
seen). A model tagged ``nostream`` is not streamed, nor one called in a subgraph's node unless
the caller streams with ``subgraphs=True`` (then the subgraph's run streams it itself).

Nothing here runs unless the run streams ``messages`` and LangChain is loaded; LangChain is
never imported by nbpregel itself. The handler subclasses a private LangChain class (what makes
``invoke`` stream); with a langchain_core that lacks it, tokens are not streamed (the messages
nodes return still are), and a warning says so, once.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import TAG_NOSTREAM, StreamMode
from nbpregel.pregel._context import CURRENT
from nbpregel.pregel._event_nodes import event_wrapper
from nbpregel.pregel._message_chunks import task_metadata

if TYPE_CHECKING:
    from nbpregel.pregel._loop import RunLoop
    from nbpregel.pregel._task import Task

__all__ = ["NOSTREAM", "with_token_streaming"]

NOSTREAM: Final = TAG_NOSTREAM
"""A chat model with this tag is not streamed (LangGraph's tag)."""
_CONFIG_MODULE: Final = "langchain_core.runnables.config"
_STREAMING_MODULE: Final = "langchain_core.tracers._streaming"
_STREAMING_CLASS: Final = "_StreamingCallbackHandler"


@functools.cache
def _handler_class() -> type | None:
    """The callback handler class (made once LangChain is loaded: it subclasses its classes),
    or ``None`` when this LangChain lacks them: tokens are then not streamed, and a warning
    (once per process) says why."""
    try:
        from langchain_core.callbacks import BaseCallbackHandler
        from langchain_core.tracers._streaming import _StreamingCallbackHandler
    except ImportError as exc:
        _warn_no_tokens(exc)
        return None

    class TokenHandler(BaseCallbackHandler, _StreamingCallbackHandler):
        """Turns a chat model's new tokens into ``messages`` chunks of one run."""

        run_inline = True  # called on the thread the model runs on: chunks keep their order

        def __init__(self, loop: RunLoop) -> None:
            self.loop = loop
            self.metadata: dict[Any, dict[str, Any]] = {}

        def tap_output_iter(self, run_id: Any, output: Any) -> Any:
            return output

        def tap_output_aiter(self, run_id: Any, output: Any) -> Any:
            return output

        def on_chat_model_start(
            self, serialized: Any, messages: Any, *, run_id: Any, **kwargs: Any
        ) -> None:
            tags = kwargs.get("tags") or ()
            metadata = kwargs.get("metadata")
            current = CURRENT.get()
            if current is not None and current.loop is not self.loop:
                return  # a node of a subgraph that does not stream its messages itself
            if NOSTREAM not in tags and metadata and "langgraph_node" in metadata:
                self.metadata[run_id] = dict(metadata)

        def on_llm_new_token(self, token: Any, *, run_id: Any, **kwargs: Any) -> None:
            metadata = self.metadata.get(run_id)
            chunk = kwargs.get("chunk")
            message = getattr(chunk, "message", None)
            if metadata is None or message is None:
                return
            if message.id is not None:
                self.loop.seen_messages.add(message.id)
            loop = self.loop
            loop.receive((loop.ns, StreamMode.MESSAGES, (message, metadata)))

        def on_llm_end(self, response: Any, *, run_id: Any, **kwargs: Any) -> None:
            self.metadata.pop(run_id, None)

        def on_llm_error(self, error: BaseException, *, run_id: Any, **kwargs: Any) -> None:
            self.metadata.pop(run_id, None)

    return TokenHandler


def _warn_no_tokens(exc: ImportError) -> None:
    """Say why a chat model's tokens will not be streamed (``_handler_class`` calls it once)."""
    version = getattr(sys.modules.get("langchain_core"), "__version__", "unknown")
    warnings.warn(
        f"stream_mode='messages' cannot stream a chat model's tokens with this langchain_core "
        f"({version}): {_STREAMING_MODULE}.{_STREAMING_CLASS}, the private base class LangChain "
        f"streams tokens to, is missing ({exc}). The messages nodes return are still streamed; "
        f"to get tokens, install a langchain_core that has it (as the one LangGraph 1.x needs) "
        f"and report this to nbpregel",
        RuntimeWarning,
        stacklevel=2,
    )


def with_token_streaming(loop: RunLoop, task: Task, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, calling the node with LangChain's config context set (see the module doc), or
    ``fn`` itself when LangChain is not loaded or lacks the handler's base classes (call it only
    when the run streams ``messages``)."""
    events = event_wrapper(loop, task, fn)  # an ``astream_events`` run (``_event_nodes``)
    if events is not None:
        return events
    config_module = sys.modules.get(_CONFIG_MODULE)
    if config_module is None:
        return fn
    handler = loop.token_handler
    if handler is None:
        handler_class = _handler_class()
        if handler_class is None:
            return fn
        handler = loop.token_handler = handler_class(loop)
    # LangChain adds the model's ``ls_*`` keys to these in the chunks' metadata.
    metadata = {**task_metadata(task, loop.step), "checkpoint_ns": task.ns}
    config = {"callbacks": [handler], "metadata": metadata}
    var = config_module.var_child_runnable_config
    if task.node.is_async:

        async def call_async(*args: Any, **kwargs: Any) -> Any:
            token = var.set(config)
            try:
                return await fn(*args, **kwargs)
            finally:
                var.reset(token)

        return call_async

    def call(*args: Any, **kwargs: Any) -> Any:
        token = var.set(config)
        try:
            return fn(*args, **kwargs)
        finally:
            var.reset(token)

    return call
