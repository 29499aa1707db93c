"""``debug=True``: a run that prints its progress to stdout, as LangGraph's ``debug`` does.

A graph compiled with ``debug=True`` (or ``Pregel(debug=True)``, or any graph run with
``stream(..., debug=True)`` / ``invoke(..., debug=True)``) prints one line per ``updates`` and
``values`` chunk of the run, in stream order, as the chunk goes out: what each task wrote, and
the state after the input, after each step, on resuming, and at a pause (with its
interrupts). The chunks the caller gets are the same as without ``debug``: the run streams the
two printed modes besides the caller's, prints them, and passes on only the modes the caller
asked for, shaped as asked.

A subgraph compiled with ``debug=True`` prints its own chunks. A parent run with ``debug``
streamed with ``subgraphs=True`` also prints its subgraphs' chunks, each line naming the
subgraph's namespace.

The chunks are the stream's own (``Emitter`` makes them): nothing is built twice. Nothing here
runs when ``debug`` is off: ``Pregel.stream`` checks the flag once per run, not per step.

Example:
    >>> from nbpregel.channels import LastValue
    >>> from nbpregel.pregel import NodeBuilder, Pregel
    >>> node = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b")
    >>> app = Pregel(nodes={"n": node}, channels={"a": LastValue(int), "b": LastValue(int)},
    ...              input_channels="a", output_channels="b", debug=True)
    >>> app.invoke(1)
    [debug] updates: {'n': 2}
    [debug] values: 2
    2

The label is bold (the namespace yellow) when stdout is a terminal or a notebook's output, unless
the ``NO_COLOR`` environment variable is set.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Final

from nbpregel.constants import NS_SEP, StreamMode
from nbpregel.pregel._loop import RunLoop
from nbpregel.pregel._run import adrive, drive

__all__ = [
    "PRINTED_MODES",
    "adrive_printing",
    "debug_default",
    "drive_printing",
    "line",
    "with_printed",
]

PRINTED_MODES: Final = (StreamMode.UPDATES, StreamMode.VALUES)
"""The modes whose chunks a ``debug`` run prints."""
_LANGCHAIN_GLOBALS: Final = "langchain_core.globals"
_PRINTED_NAMES: Final = frozenset(mode.value for mode in PRINTED_MODES)
_NO_COLOR: Final = "NO_COLOR"
"""Set (to anything but ``""``) in the environment, lines are printed without ANSI styles."""
_NOTEBOOK_STREAM: Final = "ipykernel"
"""The package of a notebook kernel's stdout, which shows ANSI styles though not a terminal."""
_BOLD, _YELLOW, _RESET = "\x1b[1m", "\x1b[33m", "\x1b[0m"
_SKIP: Final = object()


def debug_default(debug: bool | None) -> bool:
    """A graph's ``debug`` flag: ``debug`` when given, else LangChain's global one.

    As LangGraph's ``Pregel``, a graph built without ``debug`` takes
    ``langchain_core.globals.get_debug()``, when LangChain is loaded (nbpregel never imports it).

    Example:
        >>> debug_default(True), debug_default(False)
        (True, False)
    """
    if debug is not None:
        return bool(debug)
    globals_module = sys.modules.get(_LANGCHAIN_GLOBALS)
    get_debug = getattr(globals_module, "get_debug", None)
    return bool(get_debug()) if get_debug is not None else False


def with_printed(modes: Iterable[StreamMode]) -> list[StreamMode]:
    """The modes a ``debug`` run streams: the caller's, and the printed ones.

    Example:
        >>> [mode.value for mode in with_printed([StreamMode.CUSTOM, StreamMode.VALUES])]
        ['custom', 'values', 'updates']
    """
    wanted = list(modes)
    return wanted + [mode for mode in PRINTED_MODES if mode not in wanted]


def line(ns: tuple[str, ...], mode: str, chunk: Any, *, color: bool = False) -> str:
    """The line printed for a chunk: its mode, the subgraph it comes from (if any), its repr.

    Example:
        >>> line((), "updates", {"a": {"n": 1}})
        "[debug] updates: {'a': {'n': 1}}"
        >>> line(("sub:1",), "values", {"n": 1})
        "[debug] values (in sub:1): {'n': 1}"
    """
    label = f"[debug] {mode}"
    where = f" (in {NS_SEP.join(ns)})" if ns else ""
    if color:
        label = f"{_BOLD}{label}{_RESET}"
        where = f"{_YELLOW}{where}{_RESET}" if where else ""
    return f"{label}{where}: {chunk!r}"


def _styled(out: Any) -> bool:
    """Whether lines written to ``out`` get ANSI styles (see the module doc)."""
    if os.environ.get(_NO_COLOR):
        return False
    if type(out).__module__.partition(".")[0] == _NOTEBOOK_STREAM:
        return True
    isatty = getattr(out, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except ValueError:  # a closed stream
        return False


class _Printer:
    """Prints a run's chunks of the printed modes and shapes those the caller asked for."""

    __slots__ = ("single", "subgraphs", "wanted")

    def __init__(self, modes: Iterable[StreamMode], *, single: bool, subgraphs: bool) -> None:
        self.wanted = frozenset(StreamMode(mode).value for mode in modes)
        self.single = single
        self.subgraphs = subgraphs

    def show(self, item: tuple[tuple[str, ...], str, Any]) -> Any:
        """Print ``item`` if its mode is printed; returns the chunk for the caller, or
        ``_SKIP`` when the caller did not ask for its mode."""
        ns, mode, chunk = item
        if mode in _PRINTED_NAMES:
            out = sys.stdout  # looked up per line: a notebook or pytest may swap it
            # As LangGraph, a chunk's namespace is shown when the caller streams subgraphs.
            shown = line(ns if self.subgraphs else (), mode, chunk, color=_styled(out))
            out.write(shown + "\n")  # one write: lines printed from several threads stay whole
            out.flush()
        if mode not in self.wanted:
            return _SKIP
        if self.subgraphs:
            return (ns, chunk) if self.single else item
        return chunk if self.single else (mode, chunk)


def drive_printing(
    loop: RunLoop, modes: Iterable[StreamMode], *, single: bool, subgraphs: bool
) -> Iterator[Any]:
    """``drive`` for a ``debug`` run: ``loop`` streams ``with_printed(modes)``; yields the
    chunks of ``modes`` shaped as ``single`` and ``subgraphs`` say (as ``drive`` would)."""
    printer = _Printer(modes, single=single, subgraphs=subgraphs)
    for item in drive(loop, single=False, subgraphs=True):
        chunk = printer.show(item)
        if chunk is not _SKIP:
            yield chunk


async def adrive_printing(
    loop: RunLoop, modes: Iterable[StreamMode], *, single: bool, subgraphs: bool
) -> AsyncIterator[Any]:
    """The async twin of ``drive_printing``."""
    printer = _Printer(modes, single=single, subgraphs=subgraphs)
    async for item in adrive(loop, single=False, subgraphs=True):
        chunk = printer.show(item)
        if chunk is not _SKIP:
            yield chunk
