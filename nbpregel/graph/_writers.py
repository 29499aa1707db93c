"""How a state-graph node's return value becomes writes: state keys, edges, routing, Sends."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from nbpregel.channels.base import MISSING, BaseChannel
from nbpregel.constants import BRANCH_PREFIX, END, TASKS
from nbpregel.errors import EmptyChannelError, InvalidUpdateError
from nbpregel.graph._branch import Branch
from nbpregel.graph._schema import state_value
from nbpregel.managed import ManagedValue
from nbpregel.types import Command, Send

__all__ = ["StateWriter", "branch_channel", "update_items"]


def branch_channel(node: str) -> str:
    """The channel whose write triggers ``node`` (one per node)."""
    return f"{BRANCH_PREFIX}{node}"


def update_items(node: str, output: Any) -> tuple[list[tuple[str, Any]], list[Send | str]]:
    """Split a node's return value into state writes and ``goto`` targets.

    Raises:
        InvalidUpdateError: for a value that is not a dict, ``None``, a ``Command``, a list of
            ``Command`` or a schema instance; the message names the node.
    """
    if output is None:
        return [], []
    if isinstance(output, dict):
        return list(output.items()), []
    if isinstance(output, Command):
        return list(output.update_items()), output.goto_targets()
    if isinstance(output, list | tuple) and output and all(isinstance(o, Command) for o in output):
        writes: list[tuple[str, Any]] = []
        goto: list[Send | str] = []
        for command in output:
            writes.extend(command.update_items())
            goto.extend(command.goto_targets())
        return writes, goto
    if dataclasses.is_dataclass(output) and not isinstance(output, type):
        return [(f.name, getattr(output, f.name)) for f in dataclasses.fields(output)], []
    if hasattr(output, "model_dump") and hasattr(type(output), "model_fields"):
        return [(key, getattr(output, key)) for key in output.model_fields_set], []
    raise InvalidUpdateError(
        f"node {node!r} returned {type(output).__name__} {output!r:.80}: a node must return a "
        f"dict of state keys, None, or a Command(update=..., goto=...)"
    )


class StateWriter:
    """The writer of one state-graph node (called as ``writer(output, task, channels)``)."""

    __slots__ = (
        "branches",
        "edges",
        "keys",
        "managed",
        "name",
        "nodes",
        "routes",
        "shared_only",
        "state_keys",
        "state_mapper",
    )

    def __init__(
        self,
        name: str,
        *,
        keys: frozenset[str],
        edges: Sequence[tuple[str, Any]],
        branches: Sequence[Branch],
        nodes: Mapping[str, Any],
        state_keys: tuple[str, ...],
        state_mapper: Any,
        shared_only: bool = False,
        managed: Mapping[str, type[ManagedValue]] | None = None,
    ) -> None:
        self.name = name
        self.managed = dict(managed or {})  # read-only keys the engine computes each step
        # A subgraph returns its whole state: only the keys it shares with this graph are
        # written back; its own keys stay inside it (a node's own dict is checked strictly).
        self.shared_only = shared_only
        self.keys = keys
        self.edges = tuple(edges)
        self.branches = tuple(branches)
        self.nodes = nodes
        # One write per target, made once: a route is the same tuple every time it is taken.
        self.routes: dict[str, tuple[str, Any]] = {
            target: (branch_channel(target), name) for target in nodes
        }
        self.routes[END] = (END, None)
        self.state_keys = state_keys
        self.state_mapper = state_mapper

    def __call__(
        self, output: Any, task: Any, channels: Mapping[str, BaseChannel[Any, Any]]
    ) -> list[tuple[str, Any]]:
        if self.shared_only and type(output) is dict:
            output = {key: value for key, value in output.items() if key in self.keys}
        writes, goto = update_items(self.name, output)
        if writes and not (
            output.keys() <= self.keys
            if type(output) is dict
            else all(key in self.keys for key, _ in writes)
        ):
            unknown = [key for key, _ in writes if key not in self.keys]
            managed = [key for key in unknown if key in self.managed]
            if managed:
                raise InvalidUpdateError(
                    f"node {self.name!r} wrote {managed}, managed value(s) the engine computes "
                    f"for each step (read-only): drop them from what the node returns"
                )
            raise InvalidUpdateError(
                f"node {self.name!r} returned unknown state key(s) {unknown}: the state "
                f"has {sorted(self.keys)}; add the key to the state schema or fix the name"
            )
        routed: list[tuple[str, Any]] = list(self.edges)
        for target in goto:
            routed.append(self._route(target))
        if self.branches:
            state = self._fresh_state(writes, channels, task.input)
            for branch in self.branches:
                for target in branch.route(state, self.nodes):
                    routed.append(self._route(target))
        if routed:
            writes.extend(item for item in routed if item[0] != END)
        return writes

    def _route(self, target: Send | str) -> tuple[str, Any]:
        if isinstance(target, Send):
            if target.node not in self.nodes:
                raise InvalidUpdateError(
                    f"node {self.name!r} sent to unknown node {target.node!r}: known nodes are "
                    f"{sorted(self.nodes)}"
                )
            return (TASKS, target)
        route = self.routes.get(target)
        if route is None:
            raise InvalidUpdateError(
                f"node {self.name!r} routed to unknown node {target!r}: known nodes are "
                f"{sorted(self.nodes)} and END"
            )
        return route

    def _fresh_state(
        self,
        writes: list[tuple[str, Any]],
        channels: Mapping[str, BaseChannel[Any, Any]],
        given: Any,
    ) -> Any:
        """The state as the routing function sees it: the step's state plus this node's writes."""
        grouped: dict[str, list[Any]] = {}
        for key, value in writes:
            grouped.setdefault(key, []).append(value)
        state: dict[str, Any] = {}
        for key in self.state_keys:
            channel = channels[key]
            if key in grouped:
                channel = channel.copy()
                channel.update(grouped[key])
            try:
                state[key] = channel.get()
            except EmptyChannelError:
                pass
        if self.managed:
            state.update(_managed_values(self.managed, given))
        return self.state_mapper(state) if self.state_mapper is not None else state


def _managed_values(managed: Mapping[str, Any], given: Any) -> dict[str, Any]:
    """The managed values a routing function sees: those the node was given (its input has
    them when its schema declares them)."""
    found = {key: state_value(given, key, MISSING) for key in managed}
    return {key: value for key, value in found.items() if value is not MISSING}
