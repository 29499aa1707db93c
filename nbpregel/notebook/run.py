"""``run(graph, input)``: stream a run in the background, record it, and show it live.

The run is consumed off the caller's path, so a notebook cell returns at once:

- a graph with only sync nodes is streamed on a daemon thread (ipywidgets 8 accepts widget
  updates from threads);
- a graph with async nodes is streamed with ``astream`` as a task on the running event loop
  (the Jupyter kernel's), or, when no loop is running (a script), on a thread of its own.

A run that hits an interrupt just stops streaming: the kernel is free, and :meth:`Run.resume`
(or a prompt's button) starts the next stretch. :meth:`Run.stop` asks a running graph to stop
before its next superstep (its ``RunControl`` drains it, with the checkpoint saved);
:meth:`Run.resume` then goes on from there. :meth:`Run.wait` blocks until the run is idle;
for a task on the kernel's own loop, waiting means running that loop from inside a cell, which
asyncio forbids, so the first such ``wait`` applies ``nest_asyncio`` to the loop (once, and only
then: the engine never patches the loop).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Final

from nbpregel.constants import CONFIG_KEY_CHECKPOINT_ID
from nbpregel.errors import GraphDrained
from nbpregel.notebook import _workers
from nbpregel.notebook._run_support import (
    allow_nested_run,
    async_only,
    command_type,
    running_loop,
    takes_control,
    with_thread_id,
)
from nbpregel.notebook.recorder import Recorder
from nbpregel.runtime import RunControl

if TYPE_CHECKING:
    from nbpregel.notebook.run_view import RunView

__all__ = ["NO_ANSWER", "Driver", "Run", "RunStatus", "run"]

_log = logging.getLogger(__name__)
NO_ANSWER: Final = object()
"""The default of :meth:`Run.resume`: no answer (continue from a breakpoint)."""


class RunStatus(StrEnum):
    """Where a run is: not started, streaming, paused for an answer, finished, or failed."""

    NEW = "new"
    RUNNING = "running"
    INTERRUPTED = "interrupted"
    DONE = "done"
    ERROR = "error"
    STOPPED = "stopped"  # by ``stop()``, before a superstep: ``resume()`` goes on


class Driver(StrEnum):
    """How a run is streamed: ``auto`` picks ``async`` for graphs with async nodes."""

    AUTO = "auto"
    THREAD = "thread"
    ASYNC = "async"


Listener = Callable[[bool], None]
"""Called after each recorded chunk (``False``) and once when the run goes idle (``True``)."""


class Run:
    """A graph's run, streamed in the background into a :class:`Recorder`.

    Args:
        graph: a compiled graph.
        config: the run's config; a ``thread_id`` is added when it has none, so that an
            interrupted run can be resumed (the graph needs a checkpointer for that).
        driver: ``auto``, ``thread`` or ``async`` (see the module doc).
        **stream_kwargs: passed to ``stream`` / ``astream`` on every stretch of the run
            (``context``, ``interrupt_before``, ``durability``, ...).

    Raises:
        TypeError: ``stream_mode`` or ``subgraphs`` was given (the run records the ``debug``
            stream of the graph and of its subgraphs).
    """

    def __init__(
        self,
        graph: Any,
        config: Mapping[str, Any] | None = None,
        *,
        driver: Driver | str = Driver.AUTO,
        **stream_kwargs: Any,
    ) -> None:
        for name in ("stream_mode", "subgraphs"):
            if name in stream_kwargs:
                raise TypeError(
                    f"run() streams with stream_mode={list(Recorder.stream_modes(graph))}, "
                    f"subgraphs=True itself; drop the {name} argument (use graph.stream() for "
                    f"other streams)"
                )
        self.graph = graph
        self.config = with_thread_id(config)
        self.recorder = Recorder()
        self._modes = list(Recorder.stream_modes(graph))
        self.driver = _pick_driver(graph, Driver(driver))
        self.status = RunStatus.NEW
        self.error: BaseException | None = None
        """The exception that stopped the run (status ``error``)."""
        self.listener_errors: list[BaseException] = []
        """Exceptions raised by listeners (a view); logged, and they do not stop the run."""
        self._kwargs = stream_kwargs
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stretch = 0  # counts the stretches of streaming (start, then each resume)
        self._listeners: list[Listener] = []
        self._task: asyncio.Task[None] | None = None
        self._control = RunControl()  # the current stretch's: ``stop()`` drains it
        self._takes_control = takes_control(graph)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(idle)`` after each recorded chunk, on the thread that streams."""
        self._listeners.append(listener)

    def start(self, input: Any) -> None:
        """Start streaming ``input``; returns at once.

        Raises:
            RuntimeError: the run is already streaming.
        """
        self._begin()
        self.recorder.record_input(input)
        self._launch(input)

    def resume(self, value: Any = NO_ANSWER) -> None:
        """Answer the pending interrupts and continue; returns at once.

        Args:
            value: the answer to the only pending interrupt, or ``{interrupt_id: answer}``
                for several (all or some of them). Leave it out to continue from a static
                breakpoint (``interrupt_before`` / ``interrupt_after``).

        Raises:
            RuntimeError: the run is not interrupted, or the graph has no checkpointer.
            ValueError: the answer does not fit the pending interrupts (the message says how).
        """
        with self._lock:
            if self.status not in (RunStatus.INTERRUPTED, RunStatus.STOPPED):
                raise RuntimeError(
                    f"nothing to resume: the run is {self.status} (resume() continues a run that "
                    f"is interrupted or stopped)"
                )
            if not self.has_checkpointer:
                raise RuntimeError(
                    "cannot resume: the graph has no checkpointer to resume from; compile it "
                    "with checkpointer=InMemorySaver() (or SqliteSaver) and run it again"
                )
            answers = self._answers(value)
            self._begin_locked()
        self._continue_from_latest_checkpoint()
        if answers is None:
            self._launch(None)
            return
        self.recorder.record_answers(answers)
        self._launch(command_type(self.graph)(resume=answers))

    @property
    def has_checkpointer(self) -> bool:
        """Whether the run saves checkpoints, so that it can be resumed after a pause."""
        saver = self._kwargs.get("checkpointer", getattr(self.graph, "checkpointer", None))
        return saver is not None

    def stop(self, reason: str = "stopped from the notebook") -> None:
        """Ask the running graph to stop before its next superstep; returns at once.

        The tasks of the superstep under way finish and its checkpoint is saved; the status
        then turns ``stopped`` and :meth:`resume` (without an answer) goes on from there. A
        ``control=`` given to ``run()`` is drained too.

        Raises:
            RuntimeError: the run is not running.
        """
        with self._lock:
            if self.status is not RunStatus.RUNNING:
                raise RuntimeError(f"nothing to stop: the run is {self.status}")
            if not self._takes_control:
                raise RuntimeError(
                    f"cannot stop this run: {type(self.graph).__name__}.stream() takes no "
                    f"control= (LangGraph has it from its cooperative drain on); wait() for it"
                )
            self._control.request_drain(reason)
            given = self._kwargs.get("control")
            if given is not None:
                given.request_drain(reason)

    def wait(self, timeout: float | None = None) -> RunStatus:
        """Block until the run is idle (interrupted, done or failed); returns its status.

        Raises:
            TimeoutError: still running after ``timeout`` seconds.
        """
        task = self._task
        if task is not None and not task.done() and running_loop() is task.get_loop():
            loop = task.get_loop()
            allow_nested_run(loop)
            loop.run_until_complete(asyncio.wait([task], timeout=timeout))
            if not task.done():
                raise TimeoutError(f"the run is still running after {timeout}s")
        if not self._idle.wait(timeout):
            raise TimeoutError(f"the run is still running after {timeout}s")
        return self.status

    # -- streaming --------------------------------------------------------------------------

    def _continue_from_latest_checkpoint(self) -> None:
        """A run started from a given checkpoint (a fork) goes on from where it paused."""
        configurable = self.config["configurable"]
        latest = self.recorder.last_checkpoint_id
        if CONFIG_KEY_CHECKPOINT_ID in configurable and latest is not None:
            configurable[CONFIG_KEY_CHECKPOINT_ID] = latest

    def _begin(self) -> None:
        with self._lock:
            self._begin_locked()

    def _begin_locked(self) -> None:
        if self.status is RunStatus.RUNNING:
            raise RuntimeError("the run is already streaming; wait() for it to pause or finish")
        self.status, self.error = RunStatus.RUNNING, None
        self._control = RunControl()
        self._stretch += 1
        self._idle.clear()

    def _launch(self, input: Any) -> None:
        if self.driver is Driver.ASYNC and (loop := running_loop()) is not None:
            self._task = loop.create_task(self._consume_async(input))
            return
        target: Callable[[], None]
        if self.driver is Driver.ASYNC:
            target = lambda: asyncio.run(self._consume_async(input))  # noqa: E731
        else:
            target = lambda: self._consume(input)  # noqa: E731
        _workers.submit(target)

    def _consume(self, input: Any) -> None:
        error: BaseException | None = None
        try:
            chunks = self.graph.stream(
                input, self.config, stream_mode=self._modes, subgraphs=True, **self._stream_kwargs()
            )
            for chunk in chunks:
                self._record(chunk)
        except BaseException as exc:  # a background thread: the run's status reports it
            error = exc
        self._finish(error)

    async def _consume_async(self, input: Any) -> None:
        error: BaseException | None = None
        try:
            chunks = self.graph.astream(
                input, self.config, stream_mode=self._modes, subgraphs=True, **self._stream_kwargs()
            )
            async for chunk in chunks:
                self._record(chunk)
        except BaseException as exc:  # a background task: the run's status reports it
            error = exc
        self._finish(error)

    def _stream_kwargs(self) -> dict[str, Any]:
        """What each stretch passes to ``stream``: the run's own ``control`` unless given one
        (and only to a graph that takes one: a LangGraph older than its drain does not)."""
        if not self._takes_control:
            return self._kwargs
        return {"control": self._control, **self._kwargs}

    def _record(self, chunk: Any) -> None:
        self.recorder.record(chunk)
        self._notify(idle=False)

    def _finish(self, error: BaseException | None) -> None:
        recorder = self.recorder
        # LangGraph's own GraphDrained too, when the graph is one of LangGraph's.
        stopped = isinstance(error, GraphDrained) or type(error).__name__ == "GraphDrained"
        if stopped:
            error = None
        try:
            if error is not None:
                recorder.record_failure(error)
            else:
                recorder.record_end()
            paused = bool(recorder.pending_interrupts() or recorder.paused_before)
        except Exception as exc:  # a stream the recorder cannot read: the run still ends
            error, stopped, paused = error or exc, False, False
        with self._lock:
            stretch = self._stretch
            self.error = error
            if stopped:
                self.status = RunStatus.STOPPED
            elif error is not None:
                self.status = RunStatus.ERROR
            elif paused:
                self.status = RunStatus.INTERRUPTED
            else:
                self.status = RunStatus.DONE
        self._notify(idle=True)
        with self._lock:
            if stretch == self._stretch:  # not resumed meanwhile (by a listener, say)
                self._idle.set()

    def _notify(self, *, idle: bool) -> None:
        for listener in self._listeners:
            try:
                listener(idle)
            except Exception as exc:  # a view's bug must not stop the user's run
                self.listener_errors.append(exc)
                _log.exception("a listener of the run failed (the run goes on)")

    def _answers(self, value: Any) -> dict[str, Any] | None:
        """The answers by interrupt id, or ``None`` to continue from a breakpoint."""
        pending = [record.interrupt_id for record in self.recorder.pending_interrupts()]
        if self.status is RunStatus.STOPPED:
            if value is not NO_ANSWER:
                raise ValueError(
                    "the run was stopped by stop(), not interrupted: call resume() without an "
                    "answer"
                )
            return None
        if not pending:
            if value is not NO_ANSWER:
                raise ValueError(
                    f"the run paused at a breakpoint (before {list(self.recorder.paused_before)}),"
                    f" not at an interrupt: call resume() without an answer"
                )
            return None
        if isinstance(value, Mapping) and value and set(value) <= set(pending):
            return dict(value)
        if value is NO_ANSWER:
            raise ValueError(f"resume() needs an answer for the pending interrupts {pending}")
        if len(pending) > 1:
            raise ValueError(
                f"{len(pending)} interrupts are pending (ids {pending}); answer them with "
                f"resume({{interrupt_id: answer, ...}})"
            )
        return {pending[0]: value}


def run(
    graph: Any,
    input: Any,
    config: Mapping[str, Any] | None = None,
    *,
    driver: Driver | str = Driver.AUTO,
    **stream_kwargs: Any,
) -> RunView:
    """Run ``graph`` on ``input`` in the background and return a live view of it.

    Args:
        graph: a compiled graph (a checkpointer is needed to answer interrupts).
        input: the graph's input.
        config: the run's config (a ``thread_id`` is added if missing).
        driver: ``auto``, ``thread`` or ``async`` (see :class:`Driver`).
        **stream_kwargs: passed to ``stream`` (``context``, ``interrupt_before``, ``durability``,
            ...).

    Returns:
        A :class:`~nbpregel.notebook.run_view.RunView`, at once: the run goes on behind it.
        ``.wait()`` blocks until it pauses or ends; ``.steps``, ``.tasks``, ... are its tables.

    Example:
        >>> from typing import TypedDict
        >>> from nbpregel import END, START, StateGraph
        >>> class State(TypedDict):
        ...     text: str
        >>> builder = StateGraph(State)
        >>> _ = builder.add_node("shout", lambda state: {"text": state["text"].upper()})
        >>> _ = builder.add_edge(START, "shout").add_edge("shout", END)
        >>> view = run(builder.compile(), {"text": "hi"})
        >>> view.wait()
        <RunStatus.DONE: 'done'>
        >>> view.state()
        {'text': 'HI'}
    """
    from nbpregel.notebook.run_view import RunView  # ipywidgets only when a view is made

    background = Run(graph, config, driver=driver, **stream_kwargs)
    view = RunView(background)
    background.start(input)
    return view


def _pick_driver(graph: Any, driver: Driver) -> Driver:
    if driver is not Driver.AUTO:
        return driver
    return Driver.ASYNC if async_only(graph) else Driver.THREAD
