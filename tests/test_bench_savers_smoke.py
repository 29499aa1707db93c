"""The saver benchmark still runs end to end and gives numbers for every case (so it cannot rot).

No timing is asserted: the machine is shared, so only the shape of the report is checked.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "savers.py"
NUMBER = r"[\d,]+(?:\.\d+)?"
CASES = {"chain100": "chain of 100 nodes", "fanout100": "fan-out of 100 Sends"}
SAVERS = ("in-memory", "SQLite", "SQLite, both synchronous=NORMAL")


@pytest.mark.langgraph
def test_quick_run_reports_every_case_with_every_saver(tmp_path: Path) -> None:
    out_json = tmp_path / "savers.json"
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--json", str(out_json)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert out.startswith("Machine: ") and "langgraph-checkpoint-sqlite " in out, out
    for title in CASES.values():
        for saver in SAVERS:
            # title, saver, supersteps, two timings, the ratio (then the target, maybe empty)
            row = rf"^\([ac]\) {re.escape(title)}\s+{re.escape(saver)}\s+{NUMBER}"
            row += rf"(?:\s+{NUMBER}){{2}}\s+{NUMBER}x"
            assert re.search(row, out, re.MULTILINE), f"no row for {title} / {saver}:\n{out}"
    assert re.search(r"^Targets: ", out, re.MULTILINE), out

    report = json.loads(out_json.read_text())
    measured = {(item["name"], item["saver"]) for item in report["results"]}
    assert measured == {(name, saver) for name in CASES for saver in SAVERS}
    for item in report["results"]:
        assert set(item["libraries"]) == {"nbpregel", "LangGraph"}
        for timing in item["libraries"].values():
            assert math.isfinite(timing["us_per_step"]) and timing["us_per_step"] > 0, item
        assert item["ratio_langgraph_over_nbpregel"] > 0
    targets = {item["saver"]: item["target"] for item in report["results"]}
    assert targets == {"in-memory": 5.0, "SQLite": 3.0, "SQLite, both synchronous=NORMAL": None}
