"""The vertex programs ``bench/vertex.py`` times, each checked before its timing is believed.

- PageRank (``ITERATIONS`` rank updates on a random graph of out-degree ``OUT_DEGREE``, seed
  ``SEED``), timed whole, against the same iteration over plain dicts (``plain_pagerank``);
  the two must agree to ``TOLERANCE``.
- Shortest paths on a path graph ``0 -> 1 -> ... -> n-1`` from a source ``walk`` hops before
  the end: after superstep 0 (every vertex active, as Pregel starts), exactly one vertex is
  active in each of the ``walk`` supersteps that follow, whatever ``n`` is. Each ``compute``
  notes the clock, so a superstep's cost is read inside the run, apart from the run's set-up.

Every run starts with ``gc.collect()`` (the collector stays enabled, as users have it).
"""

from __future__ import annotations

import gc
import math
import operator
import random
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from _measure import NS_PER_US, BenchError, RunOptions

from nbpregel.vertex import Vertex, VertexProgram

__all__ = [
    "ITERATIONS",
    "OUT_DEGREE",
    "SEED",
    "TOLERANCE",
    "PageRankResult",
    "PathResult",
    "PathRun",
    "measure_pagerank",
    "measure_path",
]

ITERATIONS: Final = 30
"""Rank updates; the program runs one more superstep (superstep 0 sends the initial ranks)."""
OUT_DEGREE: Final = 5
SEED: Final = 1
DAMPING: Final = 0.85
TOLERANCE: Final = 1e-12
"""The largest difference allowed between a vertex's rank and the plain iteration's."""
NS_PER_S: Final = 1_000_000_000
WALK_SKIPPED: Final = 10
"""The first 1/10 of the walk is not timed (its supersteps follow the O(graph) superstep 0)."""
INF: Final = math.inf


def _clock_ns(run: Callable[[], Any]) -> tuple[int, Any]:
    """Nanoseconds ``run()`` took after a full collection, and what it returned."""
    gc.collect()
    start = time.perf_counter_ns()
    result = run()
    return time.perf_counter_ns() - start, result


# ---- PageRank -------------------------------------------------------------------------------


def random_edges(vertices: int) -> dict[int, list[int]]:
    """``OUT_DEGREE`` distinct random targets per vertex (self-loops allowed), seeded."""
    rnd = random.Random(SEED)
    return {vertex: rnd.sample(range(vertices), OUT_DEGREE) for vertex in range(vertices)}


def _rank(vertex: Vertex, messages: tuple[float, ...]) -> None:
    if vertex.superstep > 0:
        vertex.value = (1 - DAMPING) / vertex.num_vertices + DAMPING * sum(messages)
    if vertex.superstep < ITERATIONS:
        vertex.send_to_neighbors(vertex.value / len(vertex.edges))
    else:
        vertex.vote_to_halt()


def plain_pagerank(edges: dict[int, list[int]]) -> dict[int, float]:
    """The same ``ITERATIONS`` updates as ``_rank``, over plain dicts."""
    count = len(edges)
    ranks = dict.fromkeys(edges, 1 / count)
    for _ in range(ITERATIONS):
        incoming = dict.fromkeys(edges, 0.0)
        for vertex, targets in edges.items():
            share = ranks[vertex] / len(targets)
            for target in targets:
                incoming[target] += share
        ranks = {vertex: (1 - DAMPING) / count + DAMPING * incoming[vertex] for vertex in edges}
    return ranks


@dataclass(frozen=True)
class PageRankResult:
    """PageRank on one graph: nbpregel's runs and the plain iteration's, in seconds."""

    vertices: int
    build_s: float
    compile_s: float
    runs_s: tuple[float, ...]
    plain_s: tuple[float, ...]
    max_error: float

    @property
    def supersteps(self) -> int:
        return ITERATIONS + 1

    @property
    def vertex_supersteps(self) -> int:
        """``compute`` calls per run: every vertex is active in every superstep."""
        return self.vertices * self.supersteps

    @property
    def us_per_vertex_superstep(self) -> float:
        return min(self.runs_s) * 1e6 / self.vertex_supersteps

    @property
    def ratio(self) -> float:
        """How many times the plain iteration's time nbpregel's run takes (fastest of each)."""
        return min(self.runs_s) / min(self.plain_s)


def measure_pagerank(vertices: int, runs: int) -> PageRankResult:
    """Build, check and time PageRank on ``vertices``, alternating with the plain iteration.

    Raises:
        BenchError: a rank differs from the plain iteration's by more than ``TOLERANCE``.
    """
    edges = random_edges(vertices)
    build_ns, program = _clock_ns(
        lambda: VertexProgram(_rank, edges, values=1 / vertices, combiner=operator.add)
    )
    compile_ns, graph = _clock_ns(program.compile)
    expected = plain_pagerank(edges)  # also the plain iteration's warm-up
    timings: dict[str, list[float]] = {"ours": [], "plain": []}
    error = 0.0
    for repeat in range(runs):
        for which in ("ours", "plain") if repeat % 2 == 0 else ("plain", "ours"):
            if which == "ours":
                elapsed, ranks = _clock_ns(lambda: graph.invoke({}))
                error = max(error, max(abs(ranks[str(v)] - expected[v]) for v in edges))
            else:
                elapsed, _ = _clock_ns(lambda: plain_pagerank(edges))
            timings[which].append(elapsed / NS_PER_S)
    if not error <= TOLERANCE:
        raise BenchError(
            f"PageRank on {vertices:,} vertices differs from the plain iteration by {error:.3g} "
            f"(more than {TOLERANCE:g}): the program or the engine is wrong"
        )
    return PageRankResult(
        vertices,
        build_s=build_ns / NS_PER_S,
        compile_s=compile_ns / NS_PER_S,
        runs_s=tuple(timings["ours"]),
        plain_s=tuple(timings["plain"]),
        max_error=error,
    )


# ---- one active vertex: shortest paths along a path graph ----------------------------------


@dataclass(frozen=True)
class PathRun:
    """Where one run's time went, in seconds (``per_step_us``: µs per walked superstep)."""

    setup_s: float
    """``invoke`` called -> the first ``compute`` (input, channels, superstep 0 planned)."""
    first_step_s: float
    """Superstep 0, every vertex active: the first ``compute`` -> the walk's first."""
    per_step_us: float
    """The walk, one active vertex per superstep, its first tenth left out."""
    finish_s: float
    """The last ``compute`` -> ``invoke`` returned (the last superstep ends, output read)."""
    total_s: float


@dataclass(frozen=True)
class PathResult:
    """Shortest paths with one active vertex per superstep, on a path graph of ``vertices``."""

    vertices: int
    saver: str
    walk: int
    compile_s: float
    runs: tuple[PathRun, ...]

    @property
    def per_step_us(self) -> float:
        """The median run's µs per walked superstep."""
        return statistics.median(run.per_step_us for run in self.runs)

    @property
    def best_per_step_us(self) -> float:
        """The fastest run's µs per walked superstep (other processes only ever add time)."""
        return min(run.per_step_us for run in self.runs)

    def median(self, field: str) -> float:
        """The median over the runs of a ``PathRun`` field."""
        return float(statistics.median(getattr(run, field) for run in self.runs))


def _path_program(vertices: int, walk: int, stamps: list[tuple[int, int]]) -> VertexProgram:
    source = str(vertices - walk - 1)

    def hops(vertex: Vertex, messages: tuple[float, ...]) -> None:
        stamps.append((vertex.superstep, time.perf_counter_ns()))
        best = min(messages, default=0 if vertex.id == source else INF)
        if best < vertex.value:
            vertex.value = best
            vertex.send_to_neighbors(best + 1)
        vertex.vote_to_halt()

    edges = [(vertex, vertex + 1) for vertex in range(vertices - 1)]
    return VertexProgram(hops, edges, values=INF, combiner=min)


def _check_path(vertices: int, walk: int, output: dict[str, Any], supersteps: list[int]) -> None:
    where = f"shortest paths on {vertices:,} vertices"
    source = vertices - walk - 1
    wrong = [v for v in range(vertices) if output[str(v)] != (v - source if v >= source else INF)]
    if wrong:
        raise BenchError(f"{where}: wrong distances at vertices {wrong[:5]}")
    if supersteps != list(range(1, walk + 1)):
        raise BenchError(
            f"{where}: after superstep 0 the computes ran in supersteps {supersteps[:10]}..., "
            f"not once in each of 1..{walk}: more than one vertex was active"
        )


def _path_run(
    graph: Any, vertices: int, walk: int, stamps: list[tuple[int, int]], options: RunOptions
) -> PathRun:
    stamps.clear()
    config = {"configurable": {"thread_id": uuid.uuid4().hex}} if options.fresh_thread else {}
    gc.collect()
    start = time.perf_counter_ns()
    output = graph.invoke({}, config, **options.kwargs())
    end = time.perf_counter_ns()
    first = min(ns for step, ns in stamps if step == 0)
    walked = [(step, ns) for step, ns in stamps if step > 0]
    _check_path(vertices, walk, output, [step for step, _ in walked])
    if options.fresh_thread:
        graph.checkpointer.delete_thread(config["configurable"]["thread_id"])
    skip = walk // WALK_SKIPPED
    return PathRun(
        setup_s=(first - start) / NS_PER_S,
        first_step_s=(walked[0][1] - first) / NS_PER_S,
        per_step_us=(walked[-1][1] - walked[skip][1]) / (walk - 1 - skip) / NS_PER_US,
        finish_s=(end - walked[-1][1]) / NS_PER_S,
        total_s=(end - start) / NS_PER_S,
    )


def measure_path(
    vertices: int,
    walk: int,
    runs: int,
    *,
    saver: tuple[str, Any] | None = None,
    options: RunOptions,
) -> PathResult:
    """Build, check and time shortest paths walking ``walk`` hops on a path of ``vertices``.

    Args:
        saver: the checkpointer's label and the checkpointer, or ``None`` for none.
        options: how each run is invoked (a fresh ``thread_id`` and a durability, with a saver;
            each run's thread is deleted after its timing).

    Raises:
        BenchError: a run gave wrong distances, or ran more than one vertex in a walked step.
    """
    if not 2 <= walk < vertices:
        raise BenchError(f"a walk of {walk} hops needs 2 <= walk < vertices ({vertices})")
    stamps: list[tuple[int, int]] = []
    program = _path_program(vertices, walk, stamps)
    label, checkpointer = saver if saver is not None else ("none", None)
    compile_ns, graph = _clock_ns(
        lambda: program.compile(checkpointer, max_supersteps=walk + WALK_SKIPPED)
    )
    timed = tuple(_path_run(graph, vertices, walk, stamps, options) for _ in range(runs))
    return PathResult(vertices, label, walk, compile_ns / NS_PER_S, timed)
