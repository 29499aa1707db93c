"""Profile nbpregel on one benchmark case with cProfile and list its hot spots.

Usage::

    python bench/hotspots.py chain100            # top 25 functions by own time
    python bench/hotspots.py wide_seq --runs 200 --sort cumulative --limit 40

The graph is compiled and warmed up first, so the profile shows what every ``invoke`` costs.
Only functions defined in nbpregel are listed unless ``--all`` is given.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
from collections.abc import Sequence

from _cases import CASES, load_libraries

__all__ = ["main"]

WARMUP_RUNS = 5
SORT_KEYS = ("tottime", "cumulative", "ncalls")


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("case", choices=[case.name for case in CASES])
    parser.add_argument("--runs", type=int, default=100, help="profiled invoke calls")
    parser.add_argument("--sort", choices=SORT_KEYS, default="tottime")
    parser.add_argument("--limit", type=int, default=25, help="functions listed")
    parser.add_argument("--all", action="store_true", help="list functions outside nbpregel too")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Profile the chosen case on nbpregel and print the statistics."""
    args = _parse(argv)
    case = next(case for case in CASES if case.name == args.case)
    ours, _ = load_libraries()
    graph = case.build(ours)
    config = {"recursion_limit": case.steps}
    for _ in range(WARMUP_RUNS):
        graph.invoke(case.make_input(), config)
    payloads = [case.make_input() for _ in range(args.runs)]
    profiler = cProfile.Profile()
    profiler.enable()
    for payload in payloads:
        graph.invoke(payload, config)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
    restrictions: list[str | int] = [] if args.all else ["nbpregel"]
    stats.print_stats(*restrictions, args.limit)
    print(f"{case.name}: {args.runs} runs of {case.steps} supersteps, {case.tasks} tasks each")
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
