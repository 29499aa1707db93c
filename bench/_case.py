"""What a benchmark is: the ``Library`` a graph is built with, the ``Case`` describing a run.

Both libraries share LangGraph's builder API, so each case's builder takes a ``Library`` (the
handful of names it needs) and returns a compiled graph; the graph's shape never depends on the
library. The cases themselves live in ``_cases`` (and the modules it gathers them from), which all
import this module, never each other.

Supersteps are counted as the recursion limit counts them: the input step (where the hidden
``__start__`` task writes the input) plus one step per round of node tasks. ``Case.steps`` is
therefore the smallest ``recursion_limit`` the run succeeds with, which ``_measure._verify``
checks on both libraries before anything is timed. ``Case.tasks`` counts the graph's own node
tasks (not the hidden ``__start__`` task).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from typing import Any

__all__ = ["ENGINE_TARGET", "INPUT_STEP", "Case", "Library", "load_libraries", "nbpregel_library"]

# Every run starts with the input step (the hidden __start__ task), counted like any other.
INPUT_STEP = 1
# The per-superstep target: how many times less time than LangGraph.
ENGINE_TARGET = 10.0


@dataclass(frozen=True)
class Library:
    """The names a benchmark needs from one library, plus the version measured."""

    name: str
    version: str
    state_graph: Any
    send: Any
    start: str
    end: str
    recursion_error: type[Exception]


def nbpregel_library() -> Library:
    """nbpregel as a ``Library`` (LangGraph is not imported)."""
    import nbpregel

    return Library(
        name="nbpregel",
        version=nbpregel.__version__,
        state_graph=nbpregel.StateGraph,
        send=nbpregel.Send,
        start=nbpregel.START,
        end=nbpregel.END,
        recursion_error=nbpregel.GraphRecursionError,
    )


def load_libraries() -> tuple[Library, Library]:
    """Import nbpregel and LangGraph and return them as (nbpregel, LangGraph)."""
    import langgraph.errors
    import langgraph.graph
    import langgraph.types

    ours = nbpregel_library()
    theirs = Library(
        name="LangGraph",
        version=metadata.version("langgraph"),
        state_graph=langgraph.graph.StateGraph,
        send=langgraph.types.Send,
        start=langgraph.graph.START,
        end=langgraph.graph.END,
        recursion_error=langgraph.errors.GraphRecursionError,
    )
    return ours, theirs


@dataclass(frozen=True)
class Case:
    """One benchmark: a graph, its input, and exactly what one run does.

    Attributes:
        name: the id used by ``--only``.
        title: a short description for the table.
        build: compiles the graph with the given library.
        make_input: a fresh input for each run.
        steps: supersteps per run, counting the input step (= the minimal recursion limit).
        tasks: node tasks per run (the hidden ``__start__`` task is not counted).
        check: raises ``AssertionError`` when the output of a run is wrong.
        target: the issue's target, how many times less time per superstep than LangGraph;
            ``None`` for a case shown only for context.
        scaling: whether the case is one of the chain lengths compared for per-step growth.
    """

    name: str
    title: str
    build: Callable[[Library], Any]
    make_input: Callable[[], dict[str, Any]]
    steps: int
    tasks: int
    check: Callable[[dict[str, Any]], None]
    target: float | None = ENGINE_TARGET
    scaling: bool = False
