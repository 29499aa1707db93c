"""Compile-time checks of a ``StateGraph``: every error names the culprit and the fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nbpregel.constants import END, START
from nbpregel.errors import GraphValidationError

if TYPE_CHECKING:
    from nbpregel.graph.state import StateGraph

__all__ = ["successors", "validate"]


def _check_known(graph: StateGraph, name: str, role: str) -> None:
    if name not in graph.nodes and name not in (START, END):
        raise GraphValidationError(
            f"{role} {name!r} is not a node: add it with add_node({name!r}, fn) or fix the "
            f"name (known nodes: {sorted(graph.nodes)})"
        )


def successors(graph: StateGraph) -> tuple[dict[str, set[str]], set[str]]:
    """Each node's possible next nodes, and the nodes whose routing is not known statically.

    A node routes to unknown places when it has a conditional edge without a path map or
    ``Literal`` hint, or when it has no outgoing edge at all and declares no destinations (it may
    route with ``Command(goto=...)``).
    """
    nexts: dict[str, set[str]] = {name: set() for name in (START, *graph.nodes)}
    for source, target in graph.edges:
        nexts[source].add(target)
    for sources, target in graph.joins:
        for source in sources:
            nexts[source].add(target)
    dynamic: set[str] = set()
    for source, branches in graph.branches.items():
        for branch in branches:
            targets = branch.targets()
            if targets is None:
                dynamic.add(source)
            else:
                nexts[source].update(targets)
    for name, spec in graph.nodes.items():
        if spec.destinations:
            nexts[name].update(spec.destinations)
        elif not nexts[name] and name not in graph.branches:
            dynamic.add(name)
    return nexts, dynamic


def _check_reachable(graph: StateGraph, nexts: dict[str, set[str]], dynamic: set[str]) -> None:
    reached = {START}
    frontier = [START]
    while frontier:
        for target in nexts.get(frontier.pop(), ()):
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    if reached & dynamic:
        return  # a reachable node may route anywhere: reachability is not decidable statically
    unreachable = sorted(set(graph.nodes) - reached)
    if unreachable:
        raise GraphValidationError(
            f"node(s) {unreachable} can never run: no edge from START leads to them; add an "
            f"edge (or a conditional edge with a path_map) that reaches them, or remove them"
        )


def _check_way_out(graph: StateGraph, nexts: dict[str, set[str]], dynamic: set[str]) -> None:
    # A node can finish if it may end the run (END, a dead end, dynamic routing, a branch, a
    # Command whose declared destinations are hints, not obligations) or may reach such a node;
    # what is left loops forever.
    exits = {
        name
        for name in graph.nodes
        if END in nexts[name]
        or name in dynamic
        or name in graph.branches
        or graph.nodes[name].destinations
        or not nexts[name]
    }
    changed = True
    while changed:
        changed = False
        for name in graph.nodes:
            if name not in exits and nexts[name] & exits:
                exits.add(name)
                changed = True
    trapped = sorted(set(graph.nodes) - exits)
    if trapped:
        raise GraphValidationError(
            f"node(s) {trapped} have no way out: their edges form a cycle that never reaches "
            f"END; add a conditional edge that can route to END"
        )


def validate(graph: StateGraph) -> None:
    """Raise ``GraphValidationError`` for the first problem found in ``graph`` (its
    breakpoints are checked as the compiled graph's spec is made)."""
    for source, target in graph.edges:
        _check_known(graph, source, "edge source")
        _check_known(graph, target, "edge target")
    for sources, target in graph.joins:
        for source in sources:
            _check_known(graph, source, "join source")
        _check_known(graph, target, "join target")
    for source, branches in graph.branches.items():
        _check_known(graph, source, "conditional edge source")
        for branch in branches:
            for target in branch.targets() or ():
                _check_known(graph, target, f"target of routing function {branch.name!r}")
    for name, spec in graph.nodes.items():
        for target in spec.destinations or ():
            _check_known(graph, target, f"destination of node {name!r}")
    has_entry = any(source == START for source, _ in graph.edges) or START in graph.branches
    if not has_entry:
        raise GraphValidationError(
            "graph has no entry point: add add_edge(START, 'first_node') or "
            "add_conditional_edges(START, route)"
        )
    nexts, dynamic = successors(graph)
    _check_reachable(graph, nexts, dynamic)
    _check_way_out(graph, nexts, dynamic)
