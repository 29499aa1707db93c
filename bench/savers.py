"""Time checkpointed runs: nbpregel's savers against LangGraph's, on the same graphs, in one run.

Usage::

    python bench/savers.py               # every case, about a minute on 2 idle cores
    python bench/savers.py --quick       # fewer, shorter samples (under 30 s)
    python bench/savers.py --json out.json
    python bench/savers.py --markdown    # a table ready for README.md

The chain of 100 nodes and the fan-out of 100 Sends of ``bench/run.py`` are compiled with a
checkpointer: nbpregel's ``InMemorySaver`` against ``langgraph.checkpoint.memory.InMemorySaver``,
and nbpregel's ``SqliteSaver`` against ``langgraph.checkpoint.sqlite.SqliteSaver`` (package
``langgraph-checkpoint-sqlite``), each SQLite saver on its own new file in a temporary folder.
Every run gets a new ``thread_id`` and ``durability="sync"``: a checkpoint is saved after every
superstep and each task's writes as it finishes. Prints µs per superstep, the ratio LangGraph /
nbpregel and whether the issue's targets are met; progress goes to stderr. Exit status 1 means
a graph did not behave as its case says.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _cases import Case, Library, load_libraries, select
from _measure import DEFAULT, QUICK, BenchError, RunOptions, Settings, measure
from _report import PACKAGES, Machine, SaverResult, arguments, publish, render_savers, savers_json

__all__ = ["SETUPS", "main"]

CASE_NAMES = ("chain100", "fanout100")
MEMORY_TARGET = 5.0
SQLITE_TARGET = 3.0
OPTIONS = RunOptions(fresh_thread=True, durability="sync")
SAVER_PACKAGES = (*PACKAGES, "langgraph-checkpoint-sqlite")

# A factory gets a path no other saver uses (ignored by in-memory savers) and an ExitStack that
# closes what it opened once the case is measured.
SaverFactory = Callable[[Path, ExitStack], Any]


@dataclass(frozen=True)
class SaverSetup:
    """A pair of savers to compare, and the ratio they should reach.

    Attributes:
        key: a short id, used in file names.
        title: how the report names the pair.
        target: the least LangGraph / nbpregel ratio asked for; ``None`` for a context row.
        ours: makes nbpregel's saver.
        theirs: makes LangGraph's saver.
    """

    key: str
    title: str
    target: float | None
    ours: SaverFactory
    theirs: SaverFactory


def _ours_memory(path: Path, stack: ExitStack) -> Any:
    from nbpregel.checkpoint import InMemorySaver

    return InMemorySaver()


def _theirs_memory(path: Path, stack: ExitStack) -> Any:
    from langgraph.checkpoint.memory import InMemorySaver

    return InMemorySaver()


def _ours_sqlite(path: Path, stack: ExitStack) -> Any:
    from nbpregel.checkpoint import SqliteSaver

    saver = SqliteSaver(path)
    stack.callback(saver.close)
    return saver


def _theirs_sqlite(synchronous: str | None) -> SaverFactory:
    """LangGraph's saver on a connection of its own, optionally with ``PRAGMA synchronous``."""

    def make(path: Path, stack: ExitStack) -> Any:
        from langgraph.checkpoint.sqlite import SqliteSaver

        conn = sqlite3.connect(path, check_same_thread=False)
        stack.callback(conn.close)
        if synchronous is not None:
            conn.execute(f"PRAGMA synchronous = {synchronous}")
        return SqliteSaver(conn)

    return make


SETUPS: tuple[SaverSetup, ...] = (
    SaverSetup("memory", "in-memory", MEMORY_TARGET, _ours_memory, _theirs_memory),
    SaverSetup("sqlite", "SQLite", SQLITE_TARGET, _ours_sqlite, _theirs_sqlite(None)),
    SaverSetup(
        "sqlite-normal",
        "SQLite, both synchronous=NORMAL",
        None,
        _ours_sqlite,
        _theirs_sqlite("NORMAL"),
    ),
)

NOTES = (
    "SQLite savers run in WAL mode. LangGraph's keeps SQLite's default synchronous=FULL (an fsync "
    "at every commit, surviving a power cut); nbpregel's sets synchronous=NORMAL (no fsync at "
    "commit: a crashed process loses nothing, a power cut may lose the last commits but never "
    "corrupts the file). The last row gives LangGraph's connection synchronous=NORMAL too, to "
    "compare the savers without the fsync.",
)


def _with_checkpointer(library: Library, saver: Any) -> Library:
    """``library`` whose graphs compile with ``checkpointer=saver`` (the case builders' graphs)."""
    builder: Any = library.state_graph

    class Checkpointed(builder):  # type: ignore[misc, valid-type]
        def compile(self, *args: Any, **kwargs: Any) -> Any:
            return super().compile(*args, checkpointer=saver, **kwargs)

    return dataclasses.replace(library, state_graph=Checkpointed)


def _measure_setup(
    case: Case,
    setup: SaverSetup,
    libraries: tuple[Library, Library],
    folder: Path,
    settings: Settings,
) -> SaverResult:
    """Check and time ``case`` with the savers of ``setup``, made for it and closed after."""
    print(f"measuring {case.name} with {setup.title} ...", file=sys.stderr, flush=True)
    ours, theirs = libraries
    stem = folder / f"{case.name}-{setup.key}"
    with ExitStack() as stack:
        savers = (
            setup.ours(Path(f"{stem}-nbpregel.db"), stack),
            setup.theirs(Path(f"{stem}-langgraph.db"), stack),
        )
        graphs = (
            case.build(_with_checkpointer(ours, savers[0])),
            case.build(_with_checkpointer(theirs, savers[1])),
        )
        result = measure(case, ours, theirs, settings, graphs=graphs, options=OPTIONS)
    return SaverResult(setup.title, setup.target, result)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure every case with every saver pair and print the report; return the exit status."""
    args = arguments(__doc__).parse_args(argv)
    settings = QUICK if args.quick else DEFAULT
    libraries = load_libraries()
    try:
        with tempfile.TemporaryDirectory(prefix="nbpregel-bench-") as folder:
            results = [
                _measure_setup(case, setup, libraries, Path(folder), settings)
                for case in select(CASE_NAMES)
                for setup in SETUPS
            ]
    except BenchError as error:
        print(f"savers.py: error: {error}", file=sys.stderr)
        return 1
    machine = Machine.detect(SAVER_PACKAGES)
    report = render_savers(results, machine, settings, OPTIONS, notes=NOTES, markdown=args.markdown)
    publish(report, savers_json(results, machine, settings), args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
