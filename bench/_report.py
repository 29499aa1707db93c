"""What the benchmarks print: the machine, the results tables, the scaling table, the targets.

Every table is built once as rows of strings and rendered either as aligned plain text (for the
terminal) or as a GitHub markdown table (``--markdown``, to paste into the README). ``arguments``
and ``publish`` are the command-line options and the output that ``run.py`` and ``savers.py`` share.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from _measure import NS_PER_US, CaseResult, RunOptions, Settings

__all__ = [
    "PACKAGES",
    "Machine",
    "SaverResult",
    "arguments",
    "publish",
    "render",
    "render_savers",
    "savers_json",
    "to_json",
]

SCALING_LIMIT = 1.2
STEP_HEADERS = ("nbpregel µs/step", "LangGraph µs/step")
COMPARISON_HEADERS = ("LangGraph / nbpregel", "target")
STEPS_COUNTED = "supersteps count the input step, as recursion_limit does"
PACKAGES = ("nbpregel", "langgraph", "langgraph-checkpoint", "langchain-core")
CPUINFO = Path("/proc/cpuinfo")


@dataclass(frozen=True)
class Machine:
    """Where the numbers were taken."""

    cpu: str
    cores: int
    usable_cores: int
    python: str
    system: str
    packages: dict[str, str]

    @classmethod
    def detect(cls, packages: Sequence[str] = PACKAGES) -> Machine:
        return cls(
            cpu=_cpu_model(),
            cores=os.cpu_count() or 0,
            usable_cores=len(os.sched_getaffinity(0)),
            python=f"{platform.python_implementation()} {platform.python_version()}",
            system=f"{platform.system()} {platform.release()} {platform.machine()}",
            packages={name: _version(name) for name in packages},
        )

    def line(self) -> str:
        versions = ", ".join(f"{name} {version}" for name, version in self.packages.items())
        return (
            f"{self.cpu}, {self.cores} cores ({self.usable_cores} usable); {self.python}; "
            f"{self.system}; {versions}"
        )


def _cpu_model() -> str:
    try:
        text = CPUINFO.read_text()
    except OSError:
        return platform.processor() or "unknown CPU"
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "cpu model"):
            return value.strip()
    return platform.processor() or "unknown CPU"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


# ---- tables -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Columns after the first are numbers, right-aligned.

    def markdown(self) -> str:
        lines = [
            _md_row(self.headers),
            _md_row(("---", *("---:" for _ in self.headers[1:]))),
            *(_md_row(row) for row in self.rows),
        ]
        return "\n".join(lines)

    def text(self) -> str:
        widths = [
            max(len(row[i]) for row in (self.headers, *self.rows)) for i in range(len(self.headers))
        ]

        def line(row: Sequence[str]) -> str:
            cells = [row[0].ljust(widths[0])]
            cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
            return "  ".join(cells)

        rule = "  ".join("-" * width for width in widths)
        return "\n".join([line(self.headers), rule, *(line(row) for row in self.rows)])


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _us(value: float) -> str:
    return f"{value:,.1f}" if value < 1_000 else f"{value:,.0f}"


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _meets(ratio: float, target: float | None) -> bool:
    """Whether ``ratio`` (LangGraph / nbpregel) reaches ``target``; no target is always met."""
    return target is None or ratio >= target


def _per_step(result: CaseResult) -> tuple[str, str]:
    """nbpregel's and LangGraph's µs per superstep, under ``STEP_HEADERS``."""
    return _us(result.us_per_step(result.ours)), _us(result.us_per_step(result.theirs))


def _comparison(result: CaseResult, target: float | None) -> tuple[str, str]:
    """The ratio and the target's verdict, under ``COMPARISON_HEADERS``."""
    verdict = "" if target is None else f"≥{target:g}x: {_verdict(_meets(result.ratio, target))}"
    return f"{result.ratio:.1f}x", verdict


def _results_table(results: Sequence[CaseResult]) -> _Table:
    headers = (
        "benchmark",
        "supersteps",
        "tasks",
        *STEP_HEADERS,
        "nbpregel µs/task",
        "LangGraph µs/task",
        *COMPARISON_HEADERS,
    )
    rows = tuple(
        (
            result.case.title,
            f"{result.case.steps:,}",
            f"{result.case.tasks:,}",
            *_per_step(result),
            _us(result.us_per_task(result.ours)),
            _us(result.us_per_task(result.theirs)),
            *_comparison(result, result.case.target),
        )
        for result in results
    )
    return _Table(headers, rows)


def _scaling(results: Sequence[CaseResult]) -> list[CaseResult]:
    return sorted((r for r in results if r.case.scaling), key=lambda r: r.case.steps)


def _growth(smallest: CaseResult, largest: CaseResult, *, ours: bool) -> float:
    """How many times the per-step cost of ``largest`` is that of ``smallest``."""
    big = largest.ours if ours else largest.theirs
    small = smallest.ours if ours else smallest.theirs
    return largest.us_per_step(big) / smallest.us_per_step(small)


def _scaling_table(chains: Sequence[CaseResult]) -> _Table:
    headers = ("chain length", "supersteps", *STEP_HEADERS)
    rows = [(f"{r.case.tasks:,} nodes", f"{r.case.steps:,}", *_per_step(r)) for r in chains]
    first, last = chains[0], chains[-1]
    rows.append(
        (
            f"{last.case.tasks:,} / {first.case.tasks:,} nodes",
            "",
            f"{_growth(first, last, ours=True):.2f}x",
            f"{_growth(first, last, ours=False):.2f}x",
        )
    )
    return _Table(headers, tuple(rows))


def _targets(results: Sequence[CaseResult], chains: Sequence[CaseResult]) -> list[str]:
    lines = []
    targeted = [r for r in results if r.case.target is not None]
    if targeted:
        missed = [
            f"{r.case.name} ({r.ratio:.1f}x)"
            for r in targeted
            if not _meets(r.ratio, r.case.target)
        ]
        wanted = ", ".join(f"{r.case.name} >= {r.case.target:g}x" for r in targeted)
        lines.append(
            f"Targets (times less time per superstep than LangGraph): {wanted}: "
            + ("met." if not missed else f"NOT met by {', '.join(missed)}.")
        )
    if len(chains) >= 2:
        growth = _growth(chains[0], chains[-1], ours=True)
        lines.append(
            f"Target per-step cost at {chains[-1].case.tasks:,} nodes within {SCALING_LIMIT:g}x "
            f"of {chains[0].case.tasks:,} nodes: {growth:.2f}x, "
            f"{_verdict(growth <= SCALING_LIMIT)}."
        )
    return lines


def _method(settings: Settings, *details: str) -> str:
    """How the numbers were taken: the sampling of ``settings``, then ``details``."""
    return (
        f"Best of {settings.repeats} samples per library (each >= "
        f"{settings.min_sample_ns / 1e6:g} ms of back-to-back invoke calls, gc.collect() before "
        f"each); {'; '.join(details)}."
    )


def render(
    results: Sequence[CaseResult], machine: Machine, settings: Settings, *, markdown: bool
) -> str:
    """The whole report: machine line, results, scaling (when >= 2 chains ran), targets."""
    chains = _scaling(results)
    tables = [_results_table(results)]
    if len(chains) >= 2:
        tables.append(_scaling_table(chains))
    body = [table.markdown() if markdown else table.text() for table in tables]
    method = _method(settings, STEPS_COUNTED, "tasks exclude the hidden __start__ task")
    return "\n\n".join([f"Machine: {machine.line()}", *body, method, *_targets(results, chains)])


def to_json(results: Sequence[CaseResult], machine: Machine, settings: Settings) -> dict[str, Any]:
    """Everything measured, raw samples included, for ``--json``."""
    return {
        "machine": asdict(machine),
        "settings": asdict(settings),
        "results": [_result_json(result) for result in results],
    }


def _result_json(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "name": case.name,
        "title": case.title,
        "supersteps": case.steps,
        "tasks": case.tasks,
        "ratio_langgraph_over_nbpregel": result.ratio,
        "median_ratio_langgraph_over_nbpregel": result.median_ratio,
        "libraries": {
            timing.library: {
                "version": timing.version,
                "median_us_per_run": timing.median_ns / NS_PER_US,
                "min_us_per_run": timing.min_ns / NS_PER_US,
                "us_per_step": result.us_per_step(timing),
                "us_per_task": result.us_per_task(timing),
                "runs_per_sample": timing.runs_per_sample,
                "samples_us_per_run": [ns / NS_PER_US for ns in timing.per_run_ns],
            }
            for timing in (result.ours, result.theirs)
        },
    }


# ---- checkpoint savers (bench/savers.py) --------------------------------------------------------

SQLITE_LIBRARY = f"SQLite {sqlite3.sqlite_version}"


@dataclass(frozen=True)
class SaverResult:
    """One case timed with one kind of checkpoint saver on both libraries.

    Attributes:
        saver: how the table names the savers, e.g. ``"in-memory"``.
        target: the least LangGraph / nbpregel ratio the issue asks for, or ``None`` for a row
            shown only for context.
        result: the timings.
    """

    saver: str
    target: float | None
    result: CaseResult

    @property
    def met(self) -> bool:
        return _meets(self.result.ratio, self.target)


def _savers_table(results: Sequence[SaverResult]) -> _Table:
    headers = ("benchmark", "saver", "supersteps", *STEP_HEADERS, *COMPARISON_HEADERS)
    rows = tuple(
        (
            item.result.case.title,
            item.saver,
            f"{item.result.case.steps:,}",
            *_per_step(item.result),
            *_comparison(item.result, item.target),
        )
        for item in results
    )
    return _Table(headers, rows)


def render_savers(
    results: Sequence[SaverResult],
    machine: Machine,
    settings: Settings,
    options: RunOptions,
    *,
    notes: Sequence[str] = (),
    markdown: bool,
) -> str:
    """The saver report: machine line, one table, the method, ``notes``, the targets."""
    table = _savers_table(results)
    runs = f"every run on a new thread_id with durability={options.durability!r}"
    method = _method(settings, runs, STEPS_COUNTED)
    targeted = [item for item in results if item.target is not None]
    missed = [f"{item.result.case.name}/{item.saver}" for item in targeted if not item.met]
    verdict = "Targets: " + ("all met." if not missed else f"NOT met by {', '.join(missed)}.")
    body = table.markdown() if markdown else table.text()
    lines = [f"Machine: {machine.line()}; {SQLITE_LIBRARY}", body, method, *notes]
    return "\n\n".join([*lines, verdict] if targeted else lines)


def savers_json(
    results: Sequence[SaverResult], machine: Machine, settings: Settings
) -> dict[str, Any]:
    """Everything the saver benchmark measured, raw samples included, for ``--json``."""
    return {
        "machine": {**asdict(machine), "sqlite": sqlite3.sqlite_version},
        "settings": asdict(settings),
        "results": [
            {"saver": item.saver, "target": item.target, **_result_json(item.result)}
            for item in results
        ],
    }


# ---- the command line shared by run.py and savers.py ------------------------------------------


def arguments(doc: str) -> argparse.ArgumentParser:
    """A parser described by ``doc``'s first paragraph, taking --quick, --json and --markdown."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter samples")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write results as JSON")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    return parser


def publish(report: str, document: dict[str, Any], json_path: Path | None) -> None:
    """Print ``report``; write ``document`` as JSON to ``json_path`` when one was given."""
    print(report)
    if json_path is not None:
        json_path.write_text(json.dumps(document, indent=2) + "\n")
