"""The benchmark script still runs end to end and reports both libraries (so it cannot rot)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench" / "run.py"
# A number as the report prints it: 1,234 or 12.5 or 3.0x.
NUMBER = r"[\d,]+(?:\.\d+)?"


@pytest.mark.langgraph
def test_quick_chain10_prints_both_libraries() -> None:
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--only", "chain10"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
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
    completed = subprocess.run(
        [sys.executable, str(BENCH), "--only", "nope"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "unknown case 'nope'" in completed.stderr and "chain10" in completed.stderr
