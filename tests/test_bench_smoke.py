"""The benchmark scripts still run end to end and report both libraries (so they cannot rot).

No timing is asserted: the machine is shared, so only the shape of the reports is checked.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
# A number as the report prints it: 1,234 or 12.5 or 3.0x.
NUMBER = r"[\d,]+(?:\.\d+)?"
SAVER_CASES = {"chain100": "chain of 100 nodes", "fanout100": "fan-out of 100 Sends"}
SAVERS = ("in-memory", "SQLite", "SQLite, both synchronous=NORMAL")


def _run(
    script: str, *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


@pytest.mark.langgraph
def test_quick_chain10_prints_both_libraries() -> None:
    completed = _run("run.py", "--quick", "--only", "chain10")
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    header = next(line for line in out.splitlines() if line.startswith("benchmark"))
    assert "nbpregel µs/step" in header and "LangGraph µs/step" in header, out
    # The chain10 row: steps 11, tasks 10, then four timings and the ratio.
    row = re.search(
        rf"^chain of 10 nodes\s+11\s+10(?:\s+{NUMBER}){{4}}\s+{NUMBER}x\s*$", out, re.MULTILINE
    )
    assert row is not None, out
    assert out.startswith("Machine: ") and "langgraph " in out.splitlines()[0], out


def test_unknown_case_is_rejected_with_the_known_names() -> None:
    completed = _run("run.py", "--only", "nope")
    assert completed.returncode == 2
    assert "unknown case 'nope'" in completed.stderr and "chain10" in completed.stderr


@pytest.mark.langgraph
def test_quick_run_reports_every_case_with_every_saver(tmp_path: Path) -> None:
    out_json = tmp_path / "savers.json"
    completed = _run("savers.py", "--quick", "--json", str(out_json), timeout=240)
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert out.startswith("Machine: ") and "langgraph-checkpoint-sqlite " in out, out
    for title in SAVER_CASES.values():
        for saver in SAVERS:
            # title, saver, supersteps, two timings, the ratio (then the target, maybe empty)
            row = rf"^\([ac]\) {re.escape(title)}\s+{re.escape(saver)}\s+{NUMBER}"
            row += rf"(?:\s+{NUMBER}){{2}}\s+{NUMBER}x"
            assert re.search(row, out, re.MULTILINE), f"no row for {title} / {saver}:\n{out}"
    assert re.search(r"^Targets: ", out, re.MULTILINE), out

    report = json.loads(out_json.read_text())
    measured = {(item["name"], item["saver"]) for item in report["results"]}
    assert measured == {(name, saver) for name in SAVER_CASES for saver in SAVERS}
    for item in report["results"]:
        assert set(item["libraries"]) == {"nbpregel", "LangGraph"}
        for timing in item["libraries"].values():
            assert math.isfinite(timing["us_per_step"]) and timing["us_per_step"] > 0, item
        assert item["ratio_langgraph_over_nbpregel"] > 0
    targets = {item["saver"]: item["target"] for item in report["results"]}
    assert targets == {"in-memory": 5.0, "SQLite": 3.0, "SQLite, both synchronous=NORMAL": None}


def test_notebook_cost_reports_best_amortized_and_paired_overheads(tmp_path: Path) -> None:
    out_json = tmp_path / "cost.json"
    completed = _run(
        "notebook_cost.py", "--quick", "--only", "chain10", "--json", str(out_json), timeout=240
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    head = (
        "| stream, paired | recorded, paired | recorded, kept, paired "
        "| recorded ≤ +25%? (best/amortized/paired/kept) |"
    )
    assert head in out, out
    paired = rf"[+-]{NUMBER}% \([+-]{NUMBER}%\.\.[+-]{NUMBER}%\)"
    verdicts = "/".join(["(yes|no)"] * 4)
    row = rf"^\| chain10 \|.*(?: \| {paired}){{3}} \| {verdicts} \|$"
    assert re.search(row, out, re.MULTILINE) is not None, out
    report = json.loads(out_json.read_text())["chain10"]
    variants = {"stream", "recorded", "nb Run", "+ tables"}
    assert set(report["overhead"]) == set(report["amortized"]) == variants
    assert all(math.isfinite(value) for value in report["amortized"].values()), report
    assert set(report["paired"]) == {"stream", "recorded", "recorded, kept"}
    for low, median, high in report["paired"].values():
        assert low <= median <= high and math.isfinite(high), report["paired"]
    assert all(report["us_per_step"][name] > 0 for name in ("invoke", *variants)), report


def test_instruction_counts_report_every_variant(valgrind_path: str, tmp_path: Path) -> None:
    out_json = tmp_path / "instructions.json"
    args = ("--only", "chain10", "--steps", "11", "--json", str(out_json))
    completed = _run("instructions.py", *args, timeout=600)
    assert completed.returncode == 0, completed.stderr
    row = rf"^\| chain10 \|(?: {NUMBER} \|){{4}}(?: [+-]{NUMBER}% \|){{3}} (?:yes|no) \|$"
    assert re.search(row, completed.stdout, re.MULTILINE), completed.stdout
    counts = json.loads(out_json.read_text())["chain10"]
    assert set(counts) == {"invoke", "stream", "recorded", "nb Run"}
    # A step of the engine runs tens of thousands of instructions, whatever the variant.
    assert all(10_000 < count < 10_000_000 for count in counts.values()), counts


def test_instruction_counts_without_valgrind_say_how_to_install_it(tmp_path: Path) -> None:
    completed = _run("instructions.py", "--only", "chain10", env={"PATH": str(tmp_path)})
    assert completed.returncode == 2
    assert "no valgrind program" in completed.stderr
    assert "apt-get install valgrind" in completed.stderr
