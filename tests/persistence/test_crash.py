"""Crash safety: a run killed with SIGKILL resumes, in a fresh process, to the exact final state.

Each case runs ``crash_child.py`` in a subprocess on a SQLite file; the child kills itself at a
chosen point (between supersteps, after some of a step's tasks saved their writes, or inside a
node while its siblings have finished). The test then reads what the file holds, resumes the
thread in a second subprocess and checks that

* the final state equals that of an uncrashed run (the ``log`` reducer would show any write
  applied twice or lost),
* the resumed process executed exactly the tasks whose writes were not saved, each once,
* no task is executed in both processes once its writes were saved.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nbpregel.checkpoint import SqliteSaver

from .crash_child import STEP_OF

pytestmark = pytest.mark.timeout(60)

CHILD = Path(__file__).with_name("crash_child.py")
THREAD = {"configurable": {"thread_id": "crash"}}

# put:K kills after the K-th checkpoint (6 in a full run: the input's, then steps 0-4);
# writes:K after the K-th task's writes (7 tasks: the input's __start__ task, then the six
# nodes); node:X:W inside node X once W tasks of its step have saved their writes.
KILL_POINTS = [
    *(f"put:{k}" for k in range(1, 7)),
    *(f"writes:{k}" for k in range(1, 8)),
    "node:s:2",  # mid-step: b and c finished and saved, s is running
    "node:s:0",
    "node:b:0",
    "node:d:0",  # the only task of its step: the same as between supersteps
    "node:e:0",
]


def _child(
    db: Path, exec_log: Path, kill: str, mode: str, durability: str = "sync"
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHILD), str(db), "crash", str(exec_log), kill, mode, durability],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _executions(path: Path) -> Counter[str]:
    return Counter(path.read_text().split()) if path.exists() else Counter()


def _durably_finished(db: Path) -> set[str]:
    """Nodes whose writes the file holds: those of saved steps, and the pending writes."""
    saver = SqliteSaver(db)
    try:
        latest = saver.get_tuple(THREAD)
    finally:
        saver.close()
    if latest is None:
        return set()
    step = latest.metadata["step"]
    done = {name for name, node_step in STEP_OF.items() if node_step <= step}
    # Each node logs [its name]; the __start__ task's write of the input's empty log is skipped.
    pending = {
        value[0] for _, channel, value in latest.pending_writes if channel == "log" and value
    }
    assert not done & pending, f"pending writes of an already saved step: {done & pending}"
    return done | pending


@pytest.fixture(scope="module")
def uncrashed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The final state of a run that is not killed."""
    folder = tmp_path_factory.mktemp("uncrashed")
    run = _child(folder / "x.db", folder / "exec.log", "none", "run")
    assert run.returncode == 0, run.stderr
    assert _executions(folder / "exec.log") == Counter(STEP_OF.keys())
    return dict(json.loads(run.stdout))


def _crash_and_resume(
    tmp_path: Path, kills: list[str], uncrashed: dict[str, Any], durability: str = "sync"
) -> None:
    db = tmp_path / "x.db"
    executed: Counter[str] = Counter()
    finished: set[str] = set()
    for number, kill in enumerate(kills):
        exec_log = tmp_path / f"exec-{number}.log"
        crashed = _child(db, exec_log, kill, "run" if number == 0 else "resume", durability)
        assert crashed.returncode == -signal.SIGKILL, (kill, crashed.returncode, crashed.stderr)
        ran = _executions(exec_log)
        # Tasks whose writes were saved before this process started do not run again.
        assert not finished & set(ran), (kill, finished, ran)
        assert max(ran.values(), default=1) == 1, (kill, ran)
        executed += ran
        now = _durably_finished(db)
        assert finished <= now <= set(executed), (kill, finished, now, executed)
        finished = now

    resume_log = tmp_path / "exec-resume.log"
    resumed = _child(db, resume_log, "none", "resume")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == uncrashed
    rerun = _executions(resume_log)
    assert rerun == Counter(set(STEP_OF) - finished), (kills, finished, rerun)

    saver = SqliteSaver(db)
    try:
        final = saver.get_tuple(THREAD)
    finally:
        saver.close()
    assert final is not None
    assert final.metadata["step"] == 4
    assert final.checkpoint["channel_values"]["log"] == uncrashed["log"]


@pytest.mark.parametrize("kill", KILL_POINTS)
def test_killed_run_resumes_to_the_uncrashed_final_state(
    tmp_path: Path, kill: str, uncrashed: dict[str, Any]
) -> None:
    _crash_and_resume(tmp_path, [kill], uncrashed)


@pytest.mark.parametrize(
    "kills",
    [["node:s:2", "put:1"], ["writes:3", "node:d:0"], ["put:2", "writes:2"]],
    ids=lambda kills: "+".join(kills),
)
def test_a_resumed_run_killed_again_still_finishes_exactly(
    tmp_path: Path, kills: list[str], uncrashed: dict[str, Any]
) -> None:
    _crash_and_resume(tmp_path, kills, uncrashed)


@pytest.mark.parametrize("kill", ["put:3", "writes:4", "node:s:2", "node:e:0"])
def test_killed_run_with_async_durability(
    tmp_path: Path, kill: str, uncrashed: dict[str, Any]
) -> None:
    # Saves run in the background: the next step may start before its checkpoint is written,
    # so a crash can lose finished work, never apply it twice.
    _crash_and_resume(tmp_path, [kill], uncrashed, durability="async")


def test_uncrashed_run_state(uncrashed: dict[str, Any]) -> None:
    # a, then b, c, s (reducer order is by node name), then d and e.
    assert uncrashed == {"log": ["a", "b", "c", "s", "d", "e"], "n": 50}
