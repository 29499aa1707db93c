"""What watching a run in the notebook costs, on chains of 10, 100 and 500 nodes.

Usage::

    python bench/notebook_cost.py            # about a minute on 2 cores (dot lays out 500 nodes)
    python bench/notebook_cost.py --quick
    python bench/notebook_cost.py --json out.json

For each chain (``START -> n0 -> ... -> n{N-1} -> END``, each node adds one to a counter):

- **bytes/step to the browser**: scrubbing a finished run's ``RunView`` step by step, the size
  of the JSON messages its widgets send (the ``GraphView`` state delta alone, and every widget
  of the view, tables and slider included). No kernel: widgets get a comm that records.
- **µs/step in Python**: recording the stream (``Recorder.record`` on pre-collected chunks), and
  redrawing the view for one step (``RunView.show_step``).
- **recording overhead**: the time of ``stream(stream_mode=["debug", "updates"])`` with every
  chunk recorded, against a plain ``invoke`` of the same graph (target: at most +25%); the
  engine's own share (streaming without recording) is shown apart.

Times are the fastest of several samples (``timeit``'s advice: other processes only add time).
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import comm

from nbpregel import END, START, StateGraph
from nbpregel.notebook import Recorder
from nbpregel.notebook.run import Run, RunStatus
from nbpregel.notebook.run_view import RunView

SIZES = (10, 100, 500)
TARGET_OVERHEAD = 0.25
MODES = ["debug", "updates"]


class State(TypedDict):
    count: int


class _Comm:
    """A kernel comm stand-in that keeps the size of every message a widget sends."""

    kernel = "bench"
    sent: list[tuple[str, int]] = []  # (comm id, bytes), shared by all comms

    def __init__(self, **_: Any) -> None:
        self.comm_id = f"bench-{id(self)}"

    def on_msg(self, callback: Any) -> None:
        pass

    def send(self, data: Any = None, buffers: Any = None, **_: Any) -> None:
        _Comm.sent.append((self.comm_id, len(json.dumps(data, default=str))))

    def close(self, *args: Any, **kwargs: Any) -> None:
        pass


def chain(n: int, node_us: float = 0.0) -> Any:
    """The chain; each node busy-waits ``node_us`` microseconds (a stand-in for real work)."""

    def node(state: State) -> dict[str, int]:
        if node_us:
            until = time.perf_counter() + node_us / 1e6
            while time.perf_counter() < until:
                pass
        return {"count": state["count"] + 1}

    builder = StateGraph(State)
    for i in range(n):
        builder.add_node(f"n{i}", node)
    builder.add_edge(START, "n0")
    for i in range(n - 1):
        builder.add_edge(f"n{i}", f"n{i + 1}")
    builder.add_edge(f"n{n - 1}", END)
    return builder.compile()


def fastest(fn: Callable[[], object], repeats: int, min_seconds: float = 0.05) -> float:
    """Seconds per call of ``fn``: the fastest of ``repeats`` samples of back-to-back calls."""
    fn()
    number = 1
    while True:
        start = time.perf_counter()
        for _ in range(number):
            fn()
        if time.perf_counter() - start >= min_seconds:
            break
        number *= 2
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def overhead(graph: Any, n: int, repeats: int) -> dict[str, float]:
    """Plain invoke, stream alone, stream + recorder: seconds per run, and the ratios."""
    chunks = list(graph.stream({"count": 0}, stream_mode=MODES))
    steps = n + 1  # __start__ and the n nodes

    def recorded() -> None:
        recorder = Recorder()
        for chunk in graph.stream({"count": 0}, stream_mode=MODES):
            recorder.record(chunk)

    def record_only() -> None:
        recorder = Recorder()
        for chunk in chunks:
            recorder.record(chunk)

    invoke = fastest(lambda: graph.invoke({"count": 0}), repeats)
    stream = fastest(lambda: sum(1 for _ in graph.stream({"count": 0}, stream_mode=MODES)), repeats)
    both = fastest(recorded, repeats)
    record = fastest(record_only, repeats)
    return {
        "invoke_us_per_step": invoke / steps * 1e6,
        "stream_us_per_step": stream / steps * 1e6,
        "recorded_us_per_step": both / steps * 1e6,
        "recorder_us_per_step": record / steps * 1e6,
        "engine_stream_overhead": stream / invoke - 1,
        "recording_overhead": both / invoke - 1,
        "recorder_share_of_invoke": record / invoke,
    }


def view_cost(graph: Any, repeats: int) -> dict[str, float]:
    """Bytes and µs per step when scrubbing a finished run's view."""
    background = Run(graph)
    view = RunView(background, refresh_interval=0.0)
    background.start({"count": 0})
    if background.wait(120) is not RunStatus.DONE:
        raise RuntimeError(f"the chain's run did not finish: {background.status}")
    steps = background.recorder.step_numbers()
    graph_id = view.graph_view.model_id
    _Comm.sent.clear()
    for step in steps:
        view.slider.value = step
    graph_bytes = sum(size for comm_id, size in _Comm.sent if comm_id == graph_id)
    all_bytes = sum(size for _, size in _Comm.sent)
    svg_bytes = len(view.graph_view.svg)

    def scrub() -> None:
        for step in steps:
            view._shown = None  # force a redraw (the view skips an unchanged step)
            view.show_step(step)

    per_scrub = fastest(scrub, repeats)
    return {
        "graph_bytes_per_step": graph_bytes / len(steps),
        "view_bytes_per_step": all_bytes / len(steps),
        "svg_bytes_once": svg_bytes,
        "show_step_us": per_scrub / len(steps) * 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers")
    parser.add_argument(
        "--node-us",
        type=float,
        default=0.0,
        metavar="US",
        help="make every node busy-wait this many microseconds (default 0: empty nodes)",
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 7
    comm.create_comm = _Comm  # type: ignore[assignment]  # widgets get a recording comm
    results: dict[str, dict[str, float]] = {}
    for n in SIZES:
        print(f"chain of {n} ...", file=sys.stderr)
        graph = chain(n, args.node_us)
        results[f"chain{n}"] = {**overhead(graph, n, repeats), **view_cost(graph, repeats)}
    print(f"nodes busy for {args.node_us:g} µs each")
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def report(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| chain | GraphView B/step | view B/step | SVG B (once) | record µs/step | "
        "show_step µs | invoke µs/step | stream µs/step | recorded µs/step | overhead |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        verdict = "ok" if r["recording_overhead"] <= TARGET_OVERHEAD else "over target"
        lines.append(
            f"| {name} | {r['graph_bytes_per_step']:.0f} | {r['view_bytes_per_step']:.0f} | "
            f"{r['svg_bytes_once']:.0f} | {r['recorder_us_per_step']:.1f} | "
            f"{r['show_step_us']:.0f} | {r['invoke_us_per_step']:.1f} | "
            f"{r['stream_us_per_step']:.1f} | {r['recorded_us_per_step']:.1f} | "
            f"{r['recording_overhead']:+.0%} ({verdict}; engine stream alone "
            f"{r['engine_stream_overhead']:+.0%}) |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
