"""What watching a run in the notebook costs: recording overhead, and scrubbing a view.

Usage::

    python bench/notebook_cost.py                 # about a minute on 2 cores
    python bench/notebook_cost.py --quick
    python bench/notebook_cost.py --only chain100,fanout100 --node-us 100
    python bench/notebook_cost.py --json out.json

**Recording overhead** (issue #4: at most +25%), on the engine benchmarks of ``bench/run.py``
(``chain100``, ``fanout100``, ``wide_par``, ...) and on chains of 10 and 500 nodes. Each case
times, against a plain ``invoke`` of the same graph and input:

- ``stream``: the engine's stream in the modes ``nb.run`` asks for (``Recorder.stream_modes``:
  ``trace``, with ``subgraphs=True``) drained, the engine's share of the overhead;
- ``recorded``: the same stream with every chunk given to ``Recorder.record``, then the queued
  chunks applied (their events sorted by step: a step becomes records when it is read, as a
  live view reads the one it shows);
- ``nb Run``: ``Run(graph).start(input)`` then ``wait()``: the run on a background thread,
  recorded, as ``nb.run`` does it without the widgets;
- ``+ tables``: ``recorded``, then every table built once (the deferred work of a recording).

Three estimates are reported. The first two time samples of at least 0.2 s that alternate
between the variants (``+ tables`` is timed apart: its frames leave much garbage), so the ratios
compare samples taken in the same stretch: the ratio of the fastest samples (``timeit``'s
advice: other processes only add time), and *amortized*, of the means over all samples, which
spread the cyclic garbage collector's full collections (rare, and tens of ms each in a process
of many modules) over every run. The collector runs as it would: a recording keeps the run's
objects alive, and the collector's visits to them are part of what recording costs. The third,
*paired*, is the median (with the interquartile range) over many rounds of one run of each
variant, in alternating order, of the ratio of a round's runs: on a shared machine, whose speed
drifts from one second to the next, it is the steadiest of the three. It has one more variant,
``recorded, kept``, whose recording is dropped once its run's time is taken, as a notebook keeps
a run's recording (freeing it, about a µs a step on a long run, is paid when it is dropped: when
the cell runs again, say); everywhere else a recording is freed within the time of its run.
Time is the process's CPU time by default (``--clock cpu``): on a shared machine it is much
steadier than wall time, and every variant keeps the CPU busy (a background run's thread
included); ``--clock wall`` measures elapsed time instead.

**View cost**, on the chains: scrubbing a finished run's ``RunView`` step by step, the bytes of
the JSON messages its widgets send (the ``GraphView`` alone, and the whole view), and the µs per
step of ``RunView.show_step``. No kernel: widgets get a comm that records message sizes.

``--node-us`` makes every node of the chains busy-wait that long (the engine cases keep their
own nodes), a stand-in for real work.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypedDict

import comm
import ipywidgets
from _case import nbpregel_library
from _cases import CASES, Case

from nbpregel import END, START, StateGraph
from nbpregel.notebook import Recorder
from nbpregel.notebook.run import Run, RunStatus
from nbpregel.notebook.run_view import RunView

__all__ = ["main"]

ENGINE_CASES = ("chain100", "fanout100", "wide_par", "wide_seq", "cycle1000")
CHAINS = (10, 500)
TARGET_OVERHEAD = 0.25
MIN_SAMPLE_S = 0.2
PAIRED_S = 0.5
"""Seconds of paired rounds per sample of the other estimates (4.5 s a case by default)."""
CLOCKS: dict[str, Callable[[], float]] = {"cpu": time.process_time, "wall": time.perf_counter}
VARIANTS = ("invoke", "stream", "recorded", "nb Run", "+ tables")


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
    """``START -> n0 -> ... -> n{N-1} -> END``; each node adds one and busy-waits ``node_us``."""

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


def variants(graph: Any, make_input: Callable[[], Any], config: dict[str, Any]) -> dict[str, Any]:
    """One callable per variant, each doing one whole run."""

    modes = list(Recorder.stream_modes(graph))

    def stream() -> None:
        for _ in graph.stream(make_input(), config, stream_mode=modes, subgraphs=True):
            pass

    def recorded() -> Recorder:
        recorder = Recorder()
        for chunk in graph.stream(make_input(), config, stream_mode=modes, subgraphs=True):
            recorder.record(chunk)
        recorder.step_numbers()  # applies the queued chunks: every record exists
        return recorder

    def background() -> None:
        run = Run(graph, config)
        run.start(make_input())
        if run.wait(60) is not RunStatus.DONE:
            raise RuntimeError(f"the run did not finish: {run.status} {run.error!r}")

    def with_tables() -> None:
        recorder = recorded()
        for name in ("steps", "tasks", "writes", "channels", "interrupts"):
            getattr(recorder, name)

    return {
        "invoke": lambda: graph.invoke(make_input(), config),
        "stream": stream,
        "recorded": recorded,
        "nb Run": background,
        "+ tables": with_tables,
    }


def interleaved(
    fns: dict[str, Callable[[], object]], repeats: int, clock: Callable[[], float]
) -> dict[str, tuple[float, float]]:
    """Seconds per call of each function, ``(best, amortized)``: the fastest of ``repeats``
    alternating samples, and the mean over all of them (the collector's full collections, rare
    and long, land in some samples only: the mean spreads them over every call)."""
    numbers = {}
    for name, fn in fns.items():
        fn()  # warm up
        start = time.perf_counter()
        fn()
        numbers[name] = max(1, int(MIN_SAMPLE_S / max(time.perf_counter() - start, 1e-9)))
    best = dict.fromkeys(fns, float("inf"))
    total = dict.fromkeys(fns, 0.0)
    gc.collect()
    for repeat in range(repeats):
        order = list(fns) if repeat % 2 == 0 else list(reversed(fns))
        for name in order:
            start = clock()
            for _ in range(numbers[name]):
                fns[name]()
            spent = clock() - start
            best[name] = min(best[name], spent / numbers[name])
            total[name] += spent
    return {name: (best[name], total[name] / (numbers[name] * repeats)) for name in fns}


def paired(
    fns: dict[str, Callable[[], object]], seconds: float, clock: Callable[[], float]
) -> dict[str, tuple[float, float, float]]:
    """Each variant's overhead over ``invoke`` as the quartiles ``(low, median, high)`` of the
    ratios of one run each, paired in rounds, for about ``seconds`` (50 rounds at least). What a
    function returns is dropped after its time is taken."""
    start = time.perf_counter()
    for fn in fns.values():
        fn()
    rounds = max(50, int(seconds / max(time.perf_counter() - start, 1e-9)))
    spent: dict[str, list[float]] = {name: [] for name in fns}
    names = list(fns)
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            begin = clock()
            kept = fns[name]()
            spent[name].append(clock() - begin)
            del kept
    base = spent["invoke"]
    quartiles: dict[str, tuple[float, float, float]] = {}
    for name in names[1:]:
        ratios = [t / b - 1 for t, b in zip(spent[name], base, strict=True)]
        low, median, high = statistics.quantiles(ratios)
        quartiles[name] = (low, median, high)
    return quartiles


def overhead(
    graph: Any,
    make_input: Callable[[], Any],
    steps: int,
    repeats: int,
    clock: Callable[[], float],
) -> dict[str, Any]:
    """µs per step of each variant, and each one's overhead over ``invoke`` (best samples, and
    amortized). ``+ tables`` is timed on its own: the frames it builds leave much garbage."""
    config = {"recursion_limit": steps + 1}
    fns = variants(graph, make_input, config)
    tables = fns.pop("+ tables")
    timings = interleaved(fns, repeats, clock)
    timings.update(interleaved({"+ tables": tables}, repeats, clock))
    recorded = fns["recorded"]

    def freed() -> None:
        recorded()  # the recording is freed within the run's time

    rounds = {"invoke": fns["invoke"], "stream": fns["stream"], "recorded": freed}
    rounds["recorded, kept"] = recorded
    quartiles = paired(rounds, PAIRED_S * repeats, clock)
    best = {name: t[0] for name, t in timings.items()}
    mean = {name: t[1] for name, t in timings.items()}
    return {
        "us_per_step": {name: s / steps * 1e6 for name, s in best.items()},
        "overhead": {name: s / best["invoke"] - 1 for name, s in best.items() if name != "invoke"},
        "amortized": {name: s / mean["invoke"] - 1 for name, s in mean.items() if name != "invoke"},
        "paired": quartiles,
    }


def view_cost(graph: Any, make_input: Callable[[], Any], repeats: int) -> dict[str, float]:
    """Bytes and µs per step when scrubbing a finished run's view."""
    background = Run(graph)
    view = RunView(background, refresh_interval=0.0)
    background.start(make_input())
    if background.wait(120) is not RunStatus.DONE:
        raise RuntimeError(f"the chain's run did not finish: {background.status}")
    steps = background.recorder.step_numbers()
    graph_id = view.graph_view.model_id
    # a big graph is laid out in the background: its SVG, sent once, is not a step's cost
    if not view.graph_view.wait_layout(120):
        raise RuntimeError("dot did not lay the chain out within 120 s")
    _Comm.sent.clear()
    for step in steps:
        view.slider.value = step
    graph_bytes = sum(size for comm_id, size in _Comm.sent if comm_id == graph_id)
    all_bytes = sum(size for _, size in _Comm.sent)

    def scrub() -> None:
        for step in steps:
            view._shown = None  # force a redraw (the view skips an unchanged step)
            view.show_step(step)

    per_scrub = interleaved({"scrub": scrub}, repeats, time.perf_counter)["scrub"][0]
    return {
        "graph_bytes_per_step": graph_bytes / len(steps),
        "view_bytes_per_step": all_bytes / len(steps),
        "svg_bytes_once": len(view.graph_view.svg),
        "show_step_us": per_scrub / len(steps) * 1e6,
    }


def cases(only: set[str] | None, node_us: float) -> list[tuple[str, Any, Callable[[], Any], int]]:
    """``(name, graph, make_input, steps)`` for the engine cases and the chains."""
    ours = nbpregel_library()  # LangGraph is not imported: the process is a notebook's size
    picked: list[tuple[str, Any, Callable[[], Any], int]] = []
    by_name: dict[str, Case] = {case.name: case for case in CASES}
    for name in ENGINE_CASES:
        case = by_name[name]
        if only is None or name in only:
            if name == "chain100" and node_us:
                picked.append((name, chain(100, node_us), lambda: {"count": 0}, case.steps))
            else:
                picked.append((name, case.build(ours), case.make_input, case.steps))
    for n in CHAINS:
        name = f"chain{n}"
        if only is None or name in only:
            picked.append((name, chain(n, node_us), lambda: {"count": 0}, n + 1))
    return picked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples, no view cost")
    parser.add_argument("--only", help="comma-separated case names (default: all)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers")
    parser.add_argument(
        "--node-us",
        type=float,
        default=0.0,
        metavar="US",
        help="make every chain node busy-wait this many microseconds (default 0: empty nodes)",
    )
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="what to time (default: cpu)"
    )
    args = parser.parse_args(argv)
    repeats = 3 if args.quick else 9
    only = {name.strip() for name in args.only.split(",")} if args.only else None
    comm.create_comm = _Comm  # type: ignore[assignment]  # widgets get a recording comm
    results: dict[str, dict[str, Any]] = {}
    for name, graph, make_input, steps in cases(only, args.node_us):
        print(f"{name} ...", file=sys.stderr, flush=True)
        results[name] = overhead(graph, make_input, steps, repeats, CLOCKS[args.clock])
        if name.startswith("chain") and not args.quick:
            results[name]["view"] = view_cost(graph, make_input, repeats)
    print(
        f"chain nodes busy for {args.node_us:g} µs each; {args.clock} time, best of {repeats} "
        f"samples"
    )
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    ipywidgets.Widget.close_all()  # now, not while the interpreter shuts down (noisy there)
    return 0


def report(results: dict[str, dict[str, Any]]) -> str:
    """Markdown tables: µs per step and overhead per variant; then the view costs."""
    head = " | ".join(f"{name} µs/step" for name in VARIANTS)
    lines = [
        f"| case | {head} | stream | recorded | nb Run | + tables "
        f"| recorded, amortized | nb Run, amortized | stream, paired | recorded, paired "
        f"| recorded, kept, paired | recorded ≤ +25%? (best/amortized/paired/kept) |",
        "|---|" + "---|" * (len(VARIANTS) + 10),
    ]
    for name, r in results.items():
        times = " | ".join(f"{r['us_per_step'][v]:.1f}" for v in VARIANTS)
        over, amortized = r["overhead"], r["amortized"]
        ratios = " | ".join(f"{over[v]:+.0%}" for v in VARIANTS[1:])
        spread = f"{amortized['recorded']:+.0%} | {amortized['nb Run']:+.0%}"
        pairs = " | ".join(_quartiles(quartiles) for quartiles in r["paired"].values())
        medians = [r["paired"][name][1] for name in ("recorded", "recorded, kept")]
        verdict = "/".join(
            "yes" if x <= TARGET_OVERHEAD else "no"
            for x in (over["recorded"], amortized["recorded"], *medians)
        )
        lines.append(f"| {name} | {times} | {ratios} | {spread} | {pairs} | {verdict} |")
    views = {name: r["view"] for name, r in results.items() if "view" in r}
    if views:
        lines += [
            "",
            "| chain | GraphView B/step | view B/step | SVG B (once) | show_step µs |",
            "|---|---|---|---|---|",
        ]
        for name, v in views.items():
            lines.append(
                f"| {name} | {v['graph_bytes_per_step']:.0f} | {v['view_bytes_per_step']:.0f} "
                f"| {v['svg_bytes_once']:.0f} | {v['show_step_us']:.0f} |"
            )
    return "\n".join(lines)


def _quartiles(quartiles: tuple[float, float, float]) -> str:
    low, median, high = quartiles
    return f"{median:+.0%} ({low:+.0%}..{high:+.0%})"


if __name__ == "__main__":
    sys.exit(main())
