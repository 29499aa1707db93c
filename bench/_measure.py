"""Checking and timing one benchmark case on both libraries.

Method: graphs are compiled outside the timed region, then each run is checked (its output, its
superstep count through the recursion limit, its task count through the ``debug`` stream). Each
library is warmed up, then timed in samples of ``number`` back-to-back ``invoke`` calls, with
``number`` chosen so that a sample lasts at least ``Settings.min_sample_ns``. The garbage
collector stays enabled, as users have it, but ``gc.collect()`` runs before every sample. Samples
of the two libraries alternate (nbpregel, LangGraph, LangGraph, nbpregel, ...) so that a slow
phase of the machine hits both alike. The fastest sample is reported, as ``timeit`` advises: on a
shared machine other processes only ever add time, so the minimum is the steadiest estimate of
what the code itself costs (the median is kept in the JSON output, next to every sample).

Checkpointed graphs (``bench/savers.py``) are measured the same way, with ``RunOptions`` saying
that every run gets a fresh ``thread_id`` (made before the timed region) and a durability.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from _case import Case, Library

__all__ = [
    "DEFAULT",
    "PLAIN",
    "QUICK",
    "BenchError",
    "CaseResult",
    "RunOptions",
    "Settings",
    "Timing",
    "measure",
]

NS_PER_US = 1_000


class BenchError(Exception):
    """A benchmark graph did not do what the case says it does (so its timing would lie)."""


@dataclass(frozen=True)
class Settings:
    """How much to measure: samples per library, warm-up runs, shortest sample."""

    repeats: int
    warmup: int
    min_sample_ns: int


DEFAULT = Settings(repeats=21, warmup=3, min_sample_ns=50_000_000)
QUICK = Settings(repeats=3, warmup=1, min_sample_ns=5_000_000)


@dataclass(frozen=True)
class RunOptions:
    """How each ``invoke`` is called, beyond the input and the recursion limit.

    Attributes:
        fresh_thread: give every run its own new ``thread_id`` (graphs with a checkpointer).
        durability: passed as ``invoke(..., durability=...)`` when set.
    """

    fresh_thread: bool = False
    durability: str | None = None

    def kwargs(self) -> dict[str, Any]:
        return {} if self.durability is None else {"durability": self.durability}


PLAIN = RunOptions()


@dataclass(frozen=True)
class Timing:
    """The samples of one library on one case, in nanoseconds per ``invoke``."""

    library: str
    version: str
    per_run_ns: tuple[float, ...]
    runs_per_sample: int

    @property
    def median_ns(self) -> float:
        return statistics.median(self.per_run_ns)

    @property
    def min_ns(self) -> float:
        return min(self.per_run_ns)


@dataclass(frozen=True)
class CaseResult:
    """Both libraries' timings of one case, with the per-step and per-task figures."""

    case: Case
    ours: Timing
    theirs: Timing

    def us_per_step(self, timing: Timing) -> float:
        return timing.min_ns / self.case.steps / NS_PER_US

    def us_per_task(self, timing: Timing) -> float:
        return timing.min_ns / self.case.tasks / NS_PER_US

    @property
    def ratio(self) -> float:
        """LangGraph's time over nbpregel's (the same for per-run, per-step and per-task)."""
        return self.theirs.min_ns / self.ours.min_ns

    @property
    def median_ratio(self) -> float:
        """The same ratio between the median samples (for a second opinion on a busy machine)."""
        return self.theirs.median_ns / self.ours.median_ns


@dataclass(frozen=True)
class _Runner:
    """A compiled graph of one library, ready to be run the way the case says."""

    case: Case
    library: Library
    graph: Any
    options: RunOptions = PLAIN

    def config(self, recursion_limit: int | None = None) -> dict[str, Any]:
        config: dict[str, Any] = {"recursion_limit": recursion_limit or self.case.steps}
        if self.options.fresh_thread:
            config["configurable"] = {"thread_id": uuid.uuid4().hex}
        return config

    def run(self, payload: dict[str, Any], config: dict[str, Any] | None = None) -> Any:
        return self.graph.invoke(payload, config or self.config(), **self.options.kwargs())


def _verify(runner: _Runner) -> None:
    """Raise ``BenchError`` unless a run gives the right output, steps and tasks."""
    case, lib = runner.case, runner.library
    where = f"{case.name} on {lib.name}"
    try:
        case.check(runner.run(case.make_input()))
    except lib.recursion_error as error:
        raise BenchError(f"{where}: needs more than {case.steps} steps; fix Case.steps") from error
    except AssertionError as error:
        raise BenchError(f"{where}: wrong output: {error}") from error
    try:
        runner.run(case.make_input(), runner.config(case.steps - 1))
    except lib.recursion_error:
        pass
    else:
        raise BenchError(f"{where}: finished within {case.steps - 1} steps; fix Case.steps")
    events = runner.graph.stream(
        case.make_input(), runner.config(), stream_mode="debug", **runner.options.kwargs()
    )
    tasks = sum(1 for event in events if event["type"] == "task")
    if tasks != case.tasks:
        raise BenchError(f"{where}: ran {tasks} tasks, the case says {case.tasks}; fix Case.tasks")


def _sample_ns(runner: _Runner, number: int) -> float:
    """Nanoseconds per run, over ``number`` runs timed together after a full collection."""
    runs = [(runner.case.make_input(), runner.config()) for _ in range(number)]
    gc.collect()
    start = time.perf_counter_ns()
    for payload, config in runs:
        runner.run(payload, config)
    return (time.perf_counter_ns() - start) / number


def _runs_per_sample(runner: _Runner, settings: Settings) -> int:
    """Warm up, and return how many runs make a sample of at least ``min_sample_ns``."""
    single = min(_sample_ns(runner, 1) for _ in range(max(settings.warmup, 1)))
    return max(1, math.ceil(settings.min_sample_ns / max(single, 1.0)))


def _interleaved(runners: Sequence[_Runner], settings: Settings) -> list[Timing]:
    numbers = [_runs_per_sample(runner, settings) for runner in runners]
    samples: list[list[float]] = [[] for _ in runners]
    for repeat in range(settings.repeats):
        order = range(len(runners)) if repeat % 2 == 0 else reversed(range(len(runners)))
        for index in order:
            samples[index].append(_sample_ns(runners[index], numbers[index]))
    return [
        Timing(runner.library.name, runner.library.version, tuple(times), number)
        for runner, times, number in zip(runners, samples, numbers, strict=True)
    ]


def measure(
    case: Case,
    ours: Library,
    theirs: Library,
    settings: Settings,
    *,
    graphs: tuple[Any, Any] | None = None,
    options: RunOptions = PLAIN,
) -> CaseResult:
    """Build, check and time ``case`` on both libraries.

    Args:
        graphs: the compiled (nbpregel, LangGraph) graphs, when not ``case.build(library)``.
        options: how each run is invoked.

    Raises:
        BenchError: a graph's output, superstep count or task count is not what ``case`` says.
    """
    built = graphs if graphs is not None else (case.build(ours), case.build(theirs))
    runners = [
        _Runner(case, lib, graph, options) for lib, graph in zip((ours, theirs), built, strict=True)
    ]
    for runner in runners:
        _verify(runner)
    ours_timing, theirs_timing = _interleaved(runners, settings)
    return CaseResult(case, ours_timing, theirs_timing)
