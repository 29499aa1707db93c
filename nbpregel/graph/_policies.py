"""The fault-tolerance options of state-graph nodes, checked as declared and resolved at compile.

``add_node(..., timeout=, error_handler=)`` set them for one node; ``set_node_defaults`` for
every node that has none of its own (as LangGraph: the default retry policy and timeout also
apply to error handlers; the default cache policy and error handler only to the nodes).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from nbpregel.errors import GraphValidationError
from nbpregel.pregel._fault import DEFAULT_HANDLER, HANDLER_PREFIX, wants_error
from nbpregel.pregel._node import INJECTED, _is_async_callable
from nbpregel.pregel.main import Pregel
from nbpregel.types import CachePolicy, RetryPolicy, TimeoutPolicy

__all__ = [
    "NodeDefaults",
    "Resolved",
    "async_timeout",
    "check_fault_options",
    "check_handler",
    "coerce_timeout",
    "is_async_action",
    "resolve",
    "sync_timeout_error",
]

TimeoutLike = float | timedelta | TimeoutPolicy | None
_FILLED_BY_NAME = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)


@dataclasses.dataclass(slots=True)
class NodeDefaults:
    """What ``StateGraph.set_node_defaults`` set (``None``: not set)."""

    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None = None
    cache_policy: CachePolicy | None = None
    error_handler: Callable[..., Any] | None = None
    timeout: TimeoutPolicy | None = None

    def update(
        self,
        retry_policy: RetryPolicy | Sequence[RetryPolicy] | None,
        cache_policy: CachePolicy | None,
        error_handler: Callable[..., Any] | None,
        timeout: TimeoutLike,
    ) -> None:
        """Set what is given (not ``None``), after checking all of it.

        Raises:
            GraphValidationError: a bad timeout or error handler (nothing is set).
        """
        where = "set_node_defaults"
        limit = coerce_timeout(timeout, where)
        if error_handler is not None:
            check_handler(error_handler, where)
            self.error_handler = error_handler
        if retry_policy is not None:
            self.retry_policy = retry_policy
        if cache_policy is not None:
            self.cache_policy = cache_policy
        if limit is not None:
            self.timeout = limit


@dataclasses.dataclass(frozen=True, slots=True)
class Resolved:
    """A node's options once its own and the graph's defaults are combined.

    Attributes:
        retry_policy: the node's retry policy (the graph's ``retry_policy`` applies if none).
        cache_policy: the node's cache policy.
        timeout: the node's timeout.
        handler: its error handler, or ``None``.
        handler_name: the handler's node name (``__error_handler__<node>`` for its own,
            ``__default_error_handler__`` for the default), or ``None``.
        handler_retry_policy: the handler's retry policy (the default one).
        handler_timeout: the handler's timeout (the default one).
    """

    retry_policy: RetryPolicy | Sequence[RetryPolicy] | None
    cache_policy: CachePolicy | None
    timeout: TimeoutPolicy | None
    handler: Callable[..., Any] | None
    handler_name: str | None
    handler_retry_policy: RetryPolicy | Sequence[RetryPolicy] | None
    handler_timeout: TimeoutPolicy | None


def coerce_timeout(value: TimeoutLike, where: str) -> TimeoutPolicy | None:
    """``value`` as a ``TimeoutPolicy`` in seconds (``None``: no timeout).

    Raises:
        GraphValidationError: not positive seconds, a ``timedelta`` or a ``TimeoutPolicy``;
            the message starts with ``where``.
    """
    try:
        return TimeoutPolicy.coerce(value)
    except ValueError as exc:
        raise GraphValidationError(
            f"{where}: {exc}; pass a number of seconds > 0, a timedelta, or "
            f"TimeoutPolicy(run_timeout=..., idle_timeout=...)"
        ) from None


def check_handler(handler: Any, where: str) -> None:
    """Refuse an error handler the engine could not call.

    Raises:
        GraphValidationError: ``handler`` is not a function, or has a parameter past the state
            that the engine does not fill: ``error`` not annotated ``NodeError``, or a required
            one that is neither ``error`` nor one of the injected names.
    """
    if not callable(handler) or isinstance(handler, type | Pregel):
        raise GraphValidationError(
            f"{where}: error_handler must be a function (sync or async) taking the state and "
            f"`error: NodeError`, got {handler!r}"
        )
    try:
        params = list(inspect.signature(handler).parameters.values())
    except (TypeError, ValueError):
        return  # a builtin or C callable: nothing to check
    takes_error = wants_error(handler)
    for param in params[1:]:
        if param.kind not in _FILLED_BY_NAME or param.default is not param.empty:
            continue
        if param.name == "error" and not takes_error:
            raise GraphValidationError(
                f"{where}: error handler {_name(handler)} has a parameter 'error' that is not "
                f"annotated NodeError, so it would get nothing: declare it `error: NodeError` "
                f"(from nbpregel.errors) to receive the failure"
            )
        if param.name not in (*INJECTED, "error"):
            raise GraphValidationError(
                f"{where}: error handler {_name(handler)} has a parameter {param.name!r} with "
                f"no default, and the engine fills only the state (first), `error: NodeError` "
                f"and, by name, {list(INJECTED)}: rename it or give it a default"
            )


def _name(fn: Any) -> str:
    return repr(getattr(fn, "__name__", fn))


def resolve(name: str, spec: Any, defaults: NodeDefaults) -> Resolved:
    """The options of node ``name`` (declared as ``spec``) given the graph's ``defaults``."""
    if spec.error_handler is not None:
        handler, handler_name = spec.error_handler, f"{HANDLER_PREFIX}{name}"
    elif defaults.error_handler is not None:
        handler, handler_name = defaults.error_handler, DEFAULT_HANDLER
    else:
        handler, handler_name = None, None
    pick = _own_or_default
    return Resolved(
        retry_policy=pick(spec.retry_policy, defaults.retry_policy),
        cache_policy=pick(spec.cache_policy, defaults.cache_policy),
        timeout=pick(spec.timeout, defaults.timeout),
        handler=handler,
        handler_name=handler_name,
        handler_retry_policy=defaults.retry_policy,
        handler_timeout=defaults.timeout,
    )


def _own_or_default(own: Any, default: Any) -> Any:
    return own if own is not None else default


def is_async_action(action: Any) -> bool:
    """Whether a node's action runs as async code (a compiled subgraph does, with a timeout)."""
    return isinstance(action, Pregel) or _is_async_callable(action)


def check_fault_options(nodes: Mapping[str, Any], defaults: NodeDefaults) -> None:
    """Refuse, at compile time, what ``add_node`` could not see: a timeout (from
    ``set_node_defaults``) on a sync node or sync error handler, and a handler whose name is
    already a node's.

    Raises:
        GraphValidationError: naming the node and the fix.
    """
    if defaults.error_handler is not None and DEFAULT_HANDLER in nodes:
        raise GraphValidationError(
            f"node name {DEFAULT_HANDLER!r} is the name of the default error handler "
            f"(set_node_defaults(error_handler=...)): rename that node"
        )
    for name, spec in nodes.items():
        options = resolve(name, spec, defaults)
        if options.timeout is not None and not is_async_action(spec.action):
            raise sync_timeout_error(f"node {name!r}", "set_node_defaults(timeout=...)")
        if options.handler_name is not None and options.handler_name in nodes:
            raise GraphValidationError(
                f"node {name!r}: its error handler is named {options.handler_name!r}, which "
                f"is already a node's name: rename that node"
            )
        handler = options.handler
        if handler is not None and options.handler_timeout and not _is_async_callable(handler):
            raise GraphValidationError(
                f"error handler {_name(handler)} of node {name!r} is sync, so it cannot take "
                f"the default timeout of set_node_defaults(timeout=...) (a running thread "
                f"cannot be stopped): make the handler `async def`, or drop the default timeout"
            )


def sync_timeout_error(subject: str, source: str) -> GraphValidationError:
    """The error for a timeout given (by ``source``) to a sync function (``subject``: ``node
    'x'``, ``@task 'x'``...)."""
    return GraphValidationError(
        f"{subject} is sync, so it cannot take a timeout ({source}): a thread running a sync "
        f"function cannot be stopped. Make it `async def` (await its slow calls), or drop the "
        f"timeout"
    )


def async_timeout(subject: str, action: Any, timeout: TimeoutLike) -> TimeoutPolicy | None:
    """``timeout`` as a policy for ``action`` (a node's, a ``@task``'s or an entrypoint's
    function; ``subject`` names it in errors).

    Raises:
        GraphValidationError: a bad timeout, or a timeout for a sync function.
    """
    limit = coerce_timeout(timeout, subject)
    if limit is not None and not is_async_action(action):
        raise sync_timeout_error(subject, "timeout=")
    return limit
