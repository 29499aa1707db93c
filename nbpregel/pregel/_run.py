"""Driving a ``RunLoop`` for a caller: the phases in order, chunks out as they are produced.

``drive`` (sync) and ``adrive`` (async) are the only places that run the loop's phases; the
public ``stream`` / ``invoke`` methods and their async twins only set a loop up and pick what to
return.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from nbpregel.constants import INTERRUPT
from nbpregel.errors import GraphDrained, GraphInterrupt
from nbpregel.pregel._drivers import arun_step, run_step
from nbpregel.pregel._loop import RunLoop
from nbpregel.pregel._status import RunStatus

__all__ = ["adrive", "collect", "drive", "final_output"]


def drive(loop: RunLoop, *, single: bool, subgraphs: bool) -> Iterator[Any]:
    """Run ``loop`` on this thread, yielding its chunks as the caller asked for them.

    Args:
        loop: a loop not started yet.
        single: one stream mode was asked for: chunks come without their mode.
        subgraphs: chunks come with their namespace (``()`` for the root graph).
    """
    try:
        loop.start()
        yield from _drain(loop, single=single, subgraphs=subgraphs)
        while loop.tick():
            if _due(loop, starting=True):
                yield from _drain(loop, single=single, subgraphs=subgraphs)
            for ended in run_step(loop):
                # The step's last chunks go out once its writes are applied, as LangGraph's do
                # (a reducer may complete a written object in place: a message's id).
                if not ended and _due(loop):
                    yield from _drain(loop, single=single, subgraphs=subgraphs)
            loop.after_tick()
            if loop.loose:
                yield from _drain(loop, single=single, subgraphs=subgraphs)
    finally:
        loop.close()
    yield from _drain(loop, single=single, subgraphs=subgraphs)
    _raise_outcome(loop)


async def adrive(loop: RunLoop, *, single: bool, subgraphs: bool) -> AsyncIterator[Any]:
    """The async twin of ``drive``: tasks run on the running event loop."""
    try:
        loop.start()
        for chunk in _drain(loop, single=single, subgraphs=subgraphs):
            yield chunk
        while loop.tick():
            if _due(loop, starting=True):
                for chunk in _drain(loop, single=single, subgraphs=subgraphs):
                    yield chunk
            async for ended in arun_step(loop):
                if not ended and _due(loop):
                    for chunk in _drain(loop, single=single, subgraphs=subgraphs):
                        yield chunk
            loop.after_tick()
            if loop.loose:
                for chunk in _drain(loop, single=single, subgraphs=subgraphs):
                    yield chunk
    finally:
        loop.close()
    for chunk in _drain(loop, single=single, subgraphs=subgraphs):
        yield chunk
    _raise_outcome(loop)


def _due(loop: RunLoop, *, starting: bool = False) -> bool:
    """Whether to hand the buffered chunks out now: as a step starts, or during it.

    Anything but a lone ``trace`` batch goes out at once (``RunLoop.loose``: the driver checks
    only that once a task or the step ended). A trace batch gathers the events of quick steps
    (``RunLoop.step_quick``), so a fast run yields a chunk every ``LIVE_AFTER_S`` rather than
    one per step. It goes out as a step that may be slow starts (its tasks show as running at
    once), and once it is due (``RunLoop.batch_due``: ``LIVE_AFTER_S`` after its first event or
    the current step's start): a slow step's events then go out as they happen. Once a step
    ended, a lone batch waits for the next step's start, which comes at once.
    """
    if loop.loose:
        return True
    if not loop.buffer and not loop.untraced:
        return False
    if starting:  # the step's tasks were announced just now, at ``step_started``
        return not loop.step_quick or loop.step_started >= loop.batch_due
    return time.time() >= loop.batch_due


def _drain(loop: RunLoop, *, single: bool, subgraphs: bool) -> Iterator[Any]:
    """Pop the loop's buffered chunks, shaped as the caller asked (mode and namespace prefixes).

    A subgraph's run also passes the chunks the root caller streams up to its parent run.
    """
    buffer = loop.buffer
    nest = loop.nest
    forward = loop.forward_modes
    loop.seal()  # events made from now on go out in a later chunk
    while buffer:
        item = buffer.popleft()
        ns, mode, chunk = item
        if nest is not None:
            if mode in forward:
                nest.parent.receive(item)
            if mode not in loop.caller_modes:
                continue
        if subgraphs:
            yield (ns, chunk) if single else (ns, mode.value, chunk)
        else:
            yield chunk if single else (mode.value, chunk)


def _raise_outcome(loop: RunLoop) -> None:
    """Re-raise a failed run's error; a paused subgraph pauses the task that runs it."""
    if loop.status == RunStatus.ERROR and loop.error is not None:
        raise loop.error
    if loop.status == RunStatus.DRAINED:
        reason = loop.control.drain_reason
        waiting = sorted({task.name for task in loop.tasks})
        raise GraphDrained(
            reason,
            f"the run stopped before running {waiting}, as its RunControl asked ({reason}); "
            f"resume it with invoke(None, config) on the same thread (it needs a "
            f"checkpointer to be resumed)",
        )
    if loop.nest is not None and loop.status == RunStatus.INTERRUPTED:
        raise GraphInterrupt(loop.interrupts)


def final_output(loop: RunLoop) -> Any:
    """``invoke``'s result read from the loop: the output, pending interrupts added."""
    output = loop.output()
    if loop.interrupts:
        interrupts = list(loop.interrupts)
        return (
            {**output, INTERRUPT: interrupts}
            if isinstance(output, dict)
            else {INTERRUPT: interrupts}
        )
    return output


def collect(chunks: Iterable[tuple[str, Any]]) -> Any:
    """``invoke``'s result: the last ``values`` chunk, interrupts under ``__interrupt__``."""
    latest: Any = None
    interrupts: list[Any] = []
    for mode, payload in chunks:
        if mode == "values":
            latest = payload
        elif isinstance(payload, dict) and INTERRUPT in payload:
            interrupts.extend(payload[INTERRUPT])
    if interrupts:
        if isinstance(latest, dict):
            return {**latest, INTERRUPT: interrupts}
        return {INTERRUPT: interrupts}
    if isinstance(latest, dict) and INTERRUPT in latest:
        return {k: v for k, v in latest.items() if k != INTERRUPT}
    return latest
