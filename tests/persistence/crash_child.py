"""A run that kills itself with SIGKILL at a chosen point; ``test_crash`` drives it in a subprocess.

Usage::

    python crash_child.py DB THREAD EXEC_LOG KILL (run|resume) [DURABILITY]

The graph is ``a``, then ``b``, ``c``, ``s`` in parallel, then ``d`` (a join), then ``e``. Every
node appends its name to the ``log`` reducer and, just before returning, one line to the
append-only file ``EXEC_LOG``, so the test can count executions across processes. ``run`` starts
the thread from the input; ``resume`` continues it with ``invoke(None, config)``. The final state
is printed as JSON on stdout. ``DURABILITY`` is ``sync`` (the default) or ``async``.

``KILL`` says where the process kills itself (no clean-up of any kind can run):

* ``none``: never;
* ``put:K``: right after the K-th checkpoint is saved (between supersteps);
* ``writes:K``: right after the K-th task's pending writes are saved (inside a superstep);
* ``node:NAME:W``: when node NAME starts, once W tasks of its step have their writes saved.
"""

from __future__ import annotations

import json
import operator
import os
import signal
import sys
import threading
import time
from typing import Annotated, Any, TypedDict

from nbpregel import END, START, StateGraph
from nbpregel.checkpoint import SqliteSaver

__all__ = ["STEP_OF", "build", "main"]

STEP_OF = {"a": 1, "b": 2, "c": 2, "s": 2, "d": 3, "e": 4}
"""The step of the first checkpoint holding each node's writes (step 0 follows the input)."""


class State(TypedDict):
    log: Annotated[list, operator.add]
    n: int


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(60)  # never reached: SIGKILL cannot be caught


class KillingSaver(SqliteSaver):
    """A SQLite saver that kills the process after its K-th ``put`` or ``put_writes``."""

    def __init__(self, path: str, kill: str) -> None:
        super().__init__(path)
        kind, _, count = kill.partition(":")
        self._kill_on = kind if kind in ("put", "writes") else ""
        self._kill_at = int(count) if self._kill_on else 0
        self._seen = {"put": 0, "writes": 0}
        self._count_lock = threading.Lock()

    def _count(self, kind: str) -> None:
        with self._count_lock:
            self._seen[kind] += 1
            if kind == self._kill_on and self._seen[kind] == self._kill_at:
                _die()

    def put(self, *args: Any, **kwargs: Any) -> Any:
        config = super().put(*args, **kwargs)
        self._count("put")
        return config

    def put_writes(self, *args: Any, **kwargs: Any) -> None:
        super().put_writes(*args, **kwargs)
        self._count("writes")


def build(saver: KillingSaver, exec_log: str, kill: str, config: dict[str, Any]) -> Any:
    """The compiled graph, its nodes recording executions in ``exec_log``."""
    victim, wait_for = "", 0
    if kill.startswith("node:"):
        _, victim, count = kill.split(":")
        wait_for = int(count)

    def node(name: str) -> Any:
        def run(state: dict[str, Any]) -> dict[str, Any]:
            if name == victim:
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline:
                    saved = saver.get_tuple(config)
                    if saved is not None and len({w[0] for w in saved.pending_writes}) >= wait_for:
                        _die()
                    time.sleep(0.005)
                raise RuntimeError(f"{wait_for} sibling writes never appeared")
            update: dict[str, Any] = {"log": [name]}
            if name == "a":
                update["n"] = 1
            elif name == "d":
                update["n"] = state["n"] + len(state["log"])
            elif name == "e":
                update["n"] = state["n"] * 10
            fd = os.open(exec_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            try:
                os.write(fd, f"{name}\n".encode())
            finally:
                os.close(fd)
            return update

        return run

    g = StateGraph(State)
    for name in STEP_OF:
        g.add_node(name, node(name))
    g.add_edge(START, "a")
    for name in ("b", "c", "s"):
        g.add_edge("a", name)
    g.add_edge(["b", "c", "s"], "d")
    g.add_edge("d", "e")
    g.add_edge("e", END)
    return g.compile(checkpointer=saver)


def main(argv: list[str]) -> int:
    db, thread_id, exec_log, kill, mode, *rest = argv
    durability = rest[0] if rest else "sync"
    config = {"configurable": {"thread_id": thread_id}}
    saver = KillingSaver(db, kill)
    app = build(saver, exec_log, kill, config)
    start = {"log": [], "n": 0} if mode == "run" else None
    result = app.invoke(start, config, durability=durability)
    print(json.dumps(result))
    saver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
