"""Time vertex-centric programs (``nbpregel.vertex``): PageRank against plain Python, and what a
superstep with one active vertex costs as the graph grows, without and with a checkpointer.

Usage::

    python bench/vertex.py               # about two minutes on 2 idle cores
    python bench/vertex.py --quick       # smaller graphs, fewer runs (under 20 s)
    python bench/vertex.py --json out.json
    python bench/vertex.py --markdown    # tables ready for README.md

PageRank (30 rank updates, random out-degree 5, fixed seed) is timed whole on 1,000 and 10,000
vertices, in turn with the same iteration over plain Python dicts, whose ranks it must match to
1e-12. Shortest paths along a path graph of 1,000, 10,000 and 30,000 vertices have one active
vertex per superstep after superstep 0: the cost of those supersteps, read inside each run, is
what the spec (engine.md §10) says grows with the active vertices and messages, not with the
graph. The same walk is then run with nbpregel's ``InMemorySaver`` and ``SqliteSaver`` (on a
temporary file), every run on a new thread with ``durability="sync"``, on 1,000 and 10,000
vertices. Progress goes to stderr, the report to stdout. Exit status 2 means bad arguments, 1
that a program did not compute what it should (its timing would be meaningless).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from _measure import PLAIN, BenchError
from _report import SCALING_LIMIT, SQLITE_LIBRARY, Machine, _Table, _us, arguments, publish
from _vertex_programs import (
    ITERATIONS,
    OUT_DEGREE,
    SEED,
    TOLERANCE,
    PageRankResult,
    PathResult,
    measure_pagerank,
    measure_path,
)
from savers import OPTIONS, SETUPS, SaverSetup

__all__ = ["FULL", "QUICK", "VertexSettings", "main"]

PACKAGES: Final = ("nbpregel", "msgpack")
SAVER_KEYS: Final = ("memory", "sqlite")
"""The pairs of ``savers.SETUPS`` whose nbpregel saver the walk is run with."""


@dataclass(frozen=True)
class VertexSettings:
    """What to measure.

    Attributes:
        pagerank_sizes: vertices of each PageRank graph.
        pagerank_runs: timed runs of each, and as many of the plain iteration.
        path_sizes: vertices of each path graph walked without a checkpointer.
        saved_sizes: vertices of each path graph walked with each checkpointer.
        path_runs: timed runs of each walk (the median is reported).
        walk: supersteps with one active vertex, without a checkpointer.
        saved_walk: the same, with a checkpointer.
    """

    pagerank_sizes: tuple[int, ...]
    pagerank_runs: int
    path_sizes: tuple[int, ...]
    saved_sizes: tuple[int, ...]
    path_runs: int
    walk: int
    saved_walk: int


FULL = VertexSettings(
    pagerank_sizes=(1_000, 10_000),
    pagerank_runs=3,
    path_sizes=(1_000, 10_000, 30_000),
    saved_sizes=(1_000, 10_000),
    path_runs=7,
    walk=500,
    saved_walk=100,
)
QUICK = VertexSettings(
    pagerank_sizes=(300, 1_000),
    pagerank_runs=2,
    path_sizes=(300, 1_000, 3_000),
    saved_sizes=(300, 1_000),
    path_runs=3,
    walk=100,
    saved_walk=30,
)


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- measuring ------------------------------------------------------------------------------


def _pageranks(settings: VertexSettings) -> list[PageRankResult]:
    results = []
    for size in settings.pagerank_sizes:
        _progress(f"measuring PageRank on {size:,} vertices ...")
        results.append(measure_pagerank(size, settings.pagerank_runs))
    return results


def _saved_walks(settings: VertexSettings, folder: Path) -> Iterator[PathResult]:
    setups: dict[str, SaverSetup] = {setup.key: setup for setup in SETUPS}
    for key in SAVER_KEYS:
        setup = setups[key]
        for size in settings.saved_sizes:
            _progress(f"measuring one active vertex on {size:,} vertices with {setup.title} ...")
            with ExitStack() as stack:
                saver = setup.ours(folder / f"walk-{size}-{key}.db", stack)
                yield measure_path(
                    size,
                    settings.saved_walk,
                    settings.path_runs,
                    saver=(setup.title, saver),
                    options=OPTIONS,
                )


def _walks(settings: VertexSettings) -> list[PathResult]:
    results = []
    for size in settings.path_sizes:
        _progress(f"measuring one active vertex on {size:,} vertices ...")
        results.append(measure_path(size, settings.walk, settings.path_runs, options=PLAIN))
    with tempfile.TemporaryDirectory(prefix="nbpregel-bench-vertex-") as folder:
        results.extend(_saved_walks(settings, Path(folder)))
    return results


# ---- reporting ------------------------------------------------------------------------------


def _pagerank_table(results: Sequence[PageRankResult]) -> _Table:
    headers = (
        "PageRank",
        "supersteps",
        "vertex-supersteps",
        "run ms",
        "µs/vertex-superstep",
        "compile ms",
        "plain Python ms",
        "nbpregel / plain",
    )
    rows = tuple(
        (
            f"{result.vertices:,} vertices",
            f"{result.supersteps:,}",
            f"{result.vertex_supersteps:,}",
            _us(min(result.runs_s) * 1e3),
            _us(result.us_per_vertex_superstep),
            _us((result.build_s + result.compile_s) * 1e3),
            _us(min(result.plain_s) * 1e3),
            f"{result.ratio:.1f}x",
        )
        for result in results
    )
    return _Table(headers, rows)


def _walk_table(results: Sequence[PathResult]) -> _Table:
    headers = (
        "one active vertex",
        "saver",
        "walked supersteps",
        "µs/superstep",
        "fastest run",
        "set-up ms",
        "superstep 0 ms",
        "finish ms",
        "compile ms",
    )
    rows = tuple(
        (
            f"path of {result.vertices:,} vertices",
            result.saver,
            f"{result.walk:,}",
            _us(result.per_step_us),
            _us(result.best_per_step_us),
            _us(result.median("setup_s") * 1e3),
            _us(result.median("first_step_s") * 1e3),
            _us(result.median("finish_s") * 1e3),
            _us(result.compile_s * 1e3),
        )
        for result in results
    )
    return _Table(headers, rows)


@dataclass(frozen=True)
class _Growth:
    """How the per-step cost of one saver's walks grows from the smallest graph to the largest:
    the ratio of the medians, and of the fastest runs."""

    small: int
    large: int
    median: float
    best: float


def _growth(results: Sequence[PathResult]) -> dict[str, _Growth]:
    """For each saver (``"none"`` included), the growth from its smallest graph to its largest."""
    by_saver: dict[str, list[PathResult]] = {}
    for result in results:
        by_saver.setdefault(result.saver, []).append(result)
    spans = {}
    for saver, walks in by_saver.items():
        small = min(walks, key=lambda r: r.vertices)
        large = max(walks, key=lambda r: r.vertices)
        spans[saver] = _Growth(
            small.vertices,
            large.vertices,
            median=large.per_step_us / small.per_step_us,
            best=large.best_per_step_us / small.best_per_step_us,
        )
    return spans


def _verdict(ratio: float) -> str:
    return "met" if ratio <= SCALING_LIMIT else "NOT met"


def _growth_lines(results: Sequence[PathResult]) -> list[str]:
    lines = []
    for saver, span in _growth(results).items():
        ratios = (
            f"{span.median:.2f}x between the medians, {span.best:.2f}x between the fastest runs"
        )
        if saver == "none":
            lines.append(
                f"Per-superstep cost with one active vertex, {span.large:,} / {span.small:,} "
                f"vertices: {ratios} (spec §10: independent of the graph's size, read as within "
                f"{SCALING_LIMIT:g}x: {_verdict(span.median)} by the medians, "
                f"{_verdict(span.best)} by the fastest runs)."
            )
        else:
            lines.append(
                f"The same with {saver} checkpoints, {span.large:,} / {span.small:,} vertices: "
                f"{ratios}."
            )
    return lines


def _method(settings: VertexSettings) -> str:
    return (
        f"PageRank: {ITERATIONS} rank updates (supersteps count superstep 0, which sends the "
        f"initial ranks), out-degree {OUT_DEGREE}, seed {SEED}, operator.add combiner; fastest "
        f"of {settings.pagerank_runs} runs each, alternating with the plain iteration, ranks "
        f"equal within {TOLERANCE:g}; compile = VertexProgram(...) + compile(). One active "
        f"vertex: shortest paths on a path graph, source {settings.walk:,} hops "
        f"({settings.saved_walk:,} with a saver) from the end; µs/superstep is read between the "
        f"computes of the walk (its first tenth left out), set-up from invoke to the first "
        f"compute, superstep 0 (every vertex active) to the walk's first compute, finish from "
        f"the last compute to invoke's return; medians of {settings.path_runs} runs. Savers: a "
        f"new thread_id per run, durability={OPTIONS.durability!r}. gc.collect() before every "
        f"run; the default executor (a shared thread pool)."
    )


def render(
    pageranks: Sequence[PageRankResult],
    walks: Sequence[PathResult],
    machine: Machine,
    settings: VertexSettings,
    *,
    markdown: bool,
) -> str:
    """The whole report: machine line, the two tables, the method, the growth lines."""
    tables = [_pagerank_table(pageranks), _walk_table(walks)]
    body = [table.markdown() if markdown else table.text() for table in tables]
    head = f"Machine: {machine.line()}; {SQLITE_LIBRARY}"
    return "\n\n".join([head, *body, _method(settings), *_growth_lines(walks)])


def to_json(
    pageranks: Sequence[PageRankResult],
    walks: Sequence[PathResult],
    machine: Machine,
    settings: VertexSettings,
) -> dict[str, Any]:
    """Everything measured, every run included, for ``--json``."""
    return {
        "machine": {**asdict(machine), "sqlite": SQLITE_LIBRARY},
        "settings": asdict(settings),
        "pagerank": [
            {
                **asdict(result),
                "supersteps": result.supersteps,
                "us_per_vertex_superstep": result.us_per_vertex_superstep,
                "ratio_nbpregel_over_plain": result.ratio,
            }
            for result in pageranks
        ],
        "one_active_vertex": [
            {
                **asdict(result),
                "median_us_per_superstep": result.per_step_us,
                "best_us_per_superstep": result.best_per_step_us,
            }
            for result in walks
        ],
        "growth": {saver: asdict(span) for saver, span in _growth(walks).items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure PageRank and the walks, print the report; return the exit status."""
    args = arguments(__doc__).parse_args(argv)
    settings = QUICK if args.quick else FULL
    try:
        pageranks = _pageranks(settings)
        walks = _walks(settings)
    except BenchError as error:
        print(f"vertex.py: error: {error}", file=sys.stderr)
        return 1
    machine = Machine.detect(PACKAGES)
    report = render(pageranks, walks, machine, settings, markdown=args.markdown)
    publish(report, to_json(pageranks, walks, machine, settings), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
