"""Time the same graphs with nbpregel and with LangGraph, in one run.

Usage::

    python bench/run.py                  # every case, under a minute on 2 idle cores
    python bench/run.py --quick          # fewer, shorter samples (under 30 s)
    python bench/run.py --only chain10 --only cycle1000
    python bench/run.py --json out.json  # raw samples too
    python bench/run.py --markdown       # tables ready for README.md

Prints µs per superstep, µs per task and the ratio LangGraph / nbpregel for each case, the
per-step cost of chains of 10, 100 and 1,000 nodes, whether the issue's targets are met, and the
machine. Progress goes to stderr, the report to stdout. Exit status 2 means bad arguments, 1 that
a graph did not behave as its case says (its timing would be meaningless).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from _cases import CASES, Case, load_libraries, select
from _measure import DEFAULT, QUICK, BenchError, CaseResult, measure
from _report import Machine, arguments, publish, render, to_json

__all__ = ["main"]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    names = [case.name for case in CASES]
    parser = arguments(__doc__)
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help=f"run only this case (repeatable, or comma-separated); one of: {', '.join(names)}",
    )
    return parser.parse_args(argv)


def _select(only: Sequence[str] | None) -> list[Case]:
    """The cases named by ``--only`` (all when none), in the order of ``CASES``."""
    if not only:
        return list(CASES)
    return select(name.strip() for item in only for name in item.split(",") if name.strip())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected cases and print the report; return the exit status."""
    args = _parse(argv)
    try:
        cases = _select(args.only)
    except ValueError as error:
        print(f"run.py: error: {error}", file=sys.stderr)
        return 2
    settings = QUICK if args.quick else DEFAULT
    ours, theirs = load_libraries()
    results: list[CaseResult] = []
    for case in cases:
        print(f"measuring {case.name} ...", file=sys.stderr, flush=True)
        try:
            results.append(measure(case, ours, theirs, settings))
        except BenchError as error:
            print(f"run.py: error: {error}", file=sys.stderr)
            return 1
    machine = Machine.detect()
    report = render(results, machine, settings, markdown=args.markdown)
    publish(report, to_json(results, machine, settings), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
