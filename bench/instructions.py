"""What recording costs a run, in machine instructions: a measure that other processes cannot
disturb.

Usage::

    python bench/instructions.py                      # the engine cases, about 10 minutes
    python bench/instructions.py --only cycle1000     # one case, about a minute
    python bench/instructions.py --steps 20000 --json out.json

On a shared machine, the time ratios of ``notebook_cost.py`` move by ten points from one run to
the next. This script counts the instructions each variant of ``notebook_cost.py`` (``invoke``,
``stream``, ``recorded``, ``nb Run``: the run on a background thread, as ``nb.run`` does it)
executes per step under valgrind's cachegrind, which counts every
instruction of the process and nothing of anyone else's. Each variant runs in a child process
once, and ``1 + runs`` times (enough runs for ``--steps`` steps, at most ``MAX_RUNS``); the
difference, divided by ``runs`` and the case's steps, leaves out start-up and imports. The
cyclic garbage collector runs as usual, so its work is counted, but the objects the child has
after its two warm-up runs (the modules', mostly) are frozen first (``gc.freeze``): a full
collection that falls in one child and not in the other then visits only the runs' objects, and
cannot swamp the difference (one visit of every module's objects outweighs a short run). The
share of full collections a run's kept objects cause stays counted: they come as often as those
objects add up to a quarter of the unfrozen ones, and visit those. Children hash strings with
one seed (``PYTHONHASHSEED``), so they allocate alike. Where the collections fall still varies a
ratio by a point or two (more steps even it out). What a count cannot show
is time lost waiting for memory (a recording keeps the run's objects, so its instructions meet
more cache misses).

Needs the ``valgrind`` program (Debian: ``apt-get install valgrind``; ``make bench-instructions``
installs it when run as root). Exit status 2 means bad arguments or no valgrind.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["main"]

VARIANTS = ("invoke", "stream", "recorded", "nb Run")
TARGET_OVERHEAD = 0.25
MAX_RUNS = 50
"""Runs counted per variant at most: a case of few, long steps needs no more."""
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _child(case_name: str, variant: str, repeats: int) -> None:
    """Run one variant ``repeats`` times after two warm-up runs (inside valgrind)."""
    from notebook_cost import cases, variants

    (_, graph, make_input, steps) = cases({case_name}, 0.0)[0]
    run = variants(graph, make_input, {"recursion_limit": steps + 1})[variant]
    run()
    run()
    gc.collect()
    gc.freeze()
    for _ in range(repeats):
        run()


def _instructions(valgrind: str, case_name: str, variant: str, repeats: int) -> int:
    """Instructions of a child process running ``variant`` of ``case_name`` ``repeats`` times."""
    command = [
        valgrind,
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        case_name,
        variant,
        str(repeats),
    ]
    environment = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{case_name} {variant}: valgrind failed:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def measure(valgrind: str, case_name: str, steps: int, runs: int) -> dict[str, float]:
    """Instructions per step of each variant of one case."""
    per_step = {}
    for variant in VARIANTS:
        print(f"  {case_name} {variant} ...", file=sys.stderr, flush=True)
        once = _instructions(valgrind, case_name, variant, 1)
        more = _instructions(valgrind, case_name, variant, 1 + runs)
        per_step[variant] = (more - once) / runs / steps
    return per_step


def render(results: dict[str, dict[str, float]]) -> str:
    """The report: a markdown table, a row per case."""
    lines = [
        "instructions per step (cachegrind), and what stream and recording add to invoke",
        "",
        "| case | invoke | stream | recorded | nb Run | stream | recorded | nb Run "
        "| recorded ≤ +25%? |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, counts in results.items():
        base = counts["invoke"]
        over = {v: counts[v] / base - 1 for v in VARIANTS[1:]}
        lines.append(
            f"| {name} | {base:,.0f} | {counts['stream']:,.0f} | {counts['recorded']:,.0f} | "
            f"{counts['nb Run']:,.0f} | {over['stream']:+.1%} | {over['recorded']:+.1%} | "
            f"{over['nb Run']:+.1%} | {'yes' if over['recorded'] <= TARGET_OVERHEAD else 'no'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Count every selected case's variants and print the report; return the exit status."""
    from notebook_cost import CHAINS, ENGINE_CASES, cases

    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", help="comma-separated case names (default: the engine cases)")
    parser.add_argument(
        "--steps", type=int, default=5000, help="steps counted per variant, at least (5000)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write the counts")
    args = parser.parse_args(argv)
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        print(
            "instructions.py: error: no valgrind program; install it (Debian: "
            "apt-get install valgrind, or make bench-instructions as root)",
            file=sys.stderr,
        )
        return 2
    if args.steps < 1:
        print("instructions.py: error: --steps must be at least 1", file=sys.stderr)
        return 2
    names = [n.strip() for n in (args.only or ",".join(ENGINE_CASES)).split(",") if n.strip()]
    try:
        picked = cases(set(names), 0.0)
    except (KeyError, ValueError) as error:
        print(f"instructions.py: error: {error}", file=sys.stderr)
        return 2
    if len(picked) != len(names):
        known = ", ".join([*ENGINE_CASES, *(f"chain{n}" for n in CHAINS)])
        print(f"instructions.py: error: unknown case in {names}; one of: {known}", file=sys.stderr)
        return 2
    results = {
        name: measure(valgrind, name, steps, min(MAX_RUNS, -(-args.steps // steps)))
        for name, _, _, steps in picked
    }
    print(render(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        _child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        sys.exit(main())
