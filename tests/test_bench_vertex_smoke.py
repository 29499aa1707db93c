"""``bench/vertex.py --quick`` still runs end to end and reports every measurement (so it cannot
rot). No timing is asserted: the machine is shared, so only the report's shape is checked, and
that PageRank matched the plain iteration (the script exits 1 otherwise)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent / "bench"
# A number as the report prints it: 1,234 or 12.5.
NUMBER = r"[\d,]+(?:\.\d+)?"
# What --quick measures (bench/vertex.py's QUICK settings).
PAGERANK_SIZES = (300, 1_000)
WALKS = {"none": (300, 1_000, 3_000), "in-memory": (300, 1_000), "SQLite": (300, 1_000)}


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / "vertex.py"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _check_text(out: str) -> None:
    assert out.startswith("Machine: ") and "nbpregel " in out.splitlines()[0], out
    for size in PAGERANK_SIZES:
        # vertices, supersteps 31, vertex-supersteps, four timings, then the ratio
        row = rf"^{size:,} vertices\s+31\s+{size * 31:,}(?:\s+{NUMBER}){{4}}\s+{NUMBER}x$"
        assert re.search(row, out, re.MULTILINE), f"no PageRank row for {size}:\n{out}"
    for saver, sizes in WALKS.items():
        for size in sizes:
            # title, saver, walked supersteps, six timings (ms and µs)
            row = rf"^path of {size:,} vertices\s+{re.escape(saver)}(?:\s+{NUMBER}){{7}}$"
            assert re.search(row, out, re.MULTILINE), f"no walk row for {size}/{saver}:\n{out}"
    growth = rf"one active vertex, 3,000 / 300 vertices: {NUMBER}x between the medians"
    assert re.search(growth, out), out
    for saver in ("in-memory", "SQLite"):
        assert re.search(rf"with {saver} checkpoints, 1,000 / 300 vertices: {NUMBER}x", out), out


def _check_json(report: dict[str, Any]) -> None:
    assert report["machine"]["packages"].keys() >= {"nbpregel"}
    pageranks = report["pagerank"]
    assert [item["vertices"] for item in pageranks] == list(PAGERANK_SIZES)
    for item in pageranks:
        assert item["max_error"] <= 1e-12, item
        assert len(item["runs_s"]) == len(item["plain_s"]) == report["settings"]["pagerank_runs"]
        assert all(t > 0 for t in (*item["runs_s"], *item["plain_s"])), item
        assert item["us_per_vertex_superstep"] > 0 and item["ratio_nbpregel_over_plain"] > 0
    walked = {(item["saver"], item["vertices"]) for item in report["one_active_vertex"]}
    assert walked == {(saver, size) for saver, sizes in WALKS.items() for size in sizes}
    for item in report["one_active_vertex"]:
        assert len(item["runs"]) == report["settings"]["path_runs"]
        for run in item["runs"]:
            parts = run["setup_s"] + run["first_step_s"] + run["finish_s"]
            # The parts are disjoint stretches of the run: the walk is what remains.
            assert 0 < parts < run["total_s"], run
            assert math.isfinite(run["per_step_us"]) and run["per_step_us"] > 0, run
    assert set(report["growth"]) == set(WALKS)
    assert report["growth"]["none"]["large"] == 3_000


def test_quick_run_reports_pagerank_and_every_walk(tmp_path: Path) -> None:
    out_json = tmp_path / "vertex.json"
    completed = _run("--quick", "--json", str(out_json))
    assert completed.returncode == 0, completed.stderr
    _check_text(completed.stdout)
    _check_json(json.loads(out_json.read_text()))


def test_unknown_option_is_rejected() -> None:
    completed = _run("--sizes", "5")
    assert completed.returncode == 2
    assert "unrecognized arguments: --sizes" in completed.stderr
