"""``RunView``: a run, live: the highlighted graph, a step slider, the step's tables, prompts.

The view listens to its :class:`~nbpregel.notebook.run.Run` and redraws at most every
``refresh_interval`` seconds while the run streams (a timer catches up on what came in
between), and once more when the run goes idle. Showing a step sends the graph only the states
of the nodes and edges it lights (see :class:`~nbpregel.notebook.graph_view.GraphView`), and the
HTML of that step's tables.

The graph is laid out in the background when its layout is not cached (see ``GraphView``'s
``background``), so the view opens at once even when ``dot`` takes seconds.

While the slider is on the newest step, the view follows the run; moving it back pins the
step shown, moving it to the end follows again.

A run whose subgraphs ran shows a *graph* dropdown: the root graph (the default) or one
subgraph run (a namespace of the recording). The slider, tables and highlighting then follow
that run's own steps, lit inside the subgraph's cluster.
"""

from __future__ import annotations

import contextlib
import html
import pathlib
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import ipywidgets as widgets

from nbpregel.notebook._format import RUN_VIEW_CSS
from nbpregel.notebook._highlight import ROOT_LABEL, namespace_label
from nbpregel.notebook._ingest import ROOT
from nbpregel.notebook._step_html import (
    TABLE_ROWS,
    state_table,
    status_line,
    tasks_table,
    writes_table,
)
from nbpregel.notebook._tables import TaskStatus
from nbpregel.notebook.graph_view import GraphView
from nbpregel.notebook.prompt import InterruptPrompt
from nbpregel.notebook.run import NO_ANSWER, Run, RunStatus

if TYPE_CHECKING:
    import pandas as pd

    from nbpregel.notebook.recorder import StateDiff

__all__ = ["RunView", "namespace_label"]

PLAY_INTERVAL_MS: Final = 800
"""Milliseconds per step when the slider plays."""
_HIDDEN: Final = "none"


class RunView(widgets.VBox):
    """The live view of a :class:`~nbpregel.notebook.run.Run` (made by ``nb.run``).

    Args:
        run: the run to show (the view registers itself as a listener).
        refresh_interval: seconds between redraws while the run streams.

    Attributes:
        graph_view: the highlighted graph.
        namespace: which run's steps are shown: the root graph's or a subgraph's (hidden
            until a subgraph runs).
        play: plays the steps (linked, in the browser, to ``slider``).
        slider: the step shown.
        status: the status line.
        progress: finished / planned tasks of the running step (hidden when idle).
        stop_button: stops the run before its next superstep (``Run.stop``; hidden when idle); a
            stopped run shows a *continue* button.
        prompts: one :class:`InterruptPrompt` per pending interrupt, or a *continue* button.
        tasks_html, writes_html, state_html: the shown step's tables.
        max_rows: the most rows each of those tables shows (the rest are counted under it;
            failed tasks and changed keys come first), from the next step shown on. The
            DataFrames have every row.
    """

    max_rows: int = TABLE_ROWS

    def __init__(self, run: Run, *, refresh_interval: float = 0.05, **kwargs: Any) -> None:
        self.run = run
        self.refresh_interval = refresh_interval
        self.graph_view = GraphView(run.graph, recorder=run.recorder, background=True)
        self.namespace = widgets.Dropdown(
            options=[(ROOT_LABEL, ROOT)], value=ROOT, description="graph"
        )
        self.namespace.layout.display = _HIDDEN
        self.play = widgets.Play(min=0, max=0, value=0, interval=PLAY_INTERVAL_MS)
        self.slider = widgets.IntSlider(min=0, max=0, value=0, description="step")
        # slider first: when the view opens, the browser copies the slider's value to the play
        widgets.jslink((self.slider, "value"), (self.play, "value"))
        self.status = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=1, value=0, description="tasks")
        self.stop_button = widgets.Button(description="stop after this step", icon="stop")
        self.stop_button.add_class("nbp-stop")
        self.stop_button.on_click(lambda _: self._stop())
        self.prompts = widgets.VBox()
        self.tasks_html, self.writes_html, self.state_html = (widgets.HTML() for _ in range(3))
        self._lock = threading.RLock()
        self._follow = True
        self._moving = False
        self._shown: tuple[str, int, int] | None = None  # (ns, step, recorder events) drawn
        self._namespaces: tuple[str, ...] = (ROOT,)
        self._last_refresh = 0.0
        self._timer: threading.Timer | None = None
        self._prompt_ids: tuple[str, ...] | None = None
        self._answers: dict[str, Any] = {}
        self.slider.observe(self._on_slider, "value")
        self.namespace.observe(self._on_namespace, "value")
        super().__init__(self._layout(), **kwargs)
        self.add_class("nbp-run-view")
        run.add_listener(self._on_run_event)
        self.refresh()

    # -- the run's tables and controls, at hand --------------------------------------------

    @property
    def steps(self) -> pd.DataFrame:
        """One row per superstep."""
        return self.run.recorder.steps

    @property
    def tasks(self) -> pd.DataFrame:
        """One row per task."""
        return self.run.recorder.tasks

    @property
    def writes(self) -> pd.DataFrame:
        """One row per write."""
        return self.run.recorder.writes

    @property
    def channels(self) -> pd.DataFrame:
        """The state after each step, one row per key."""
        return self.run.recorder.channels

    @property
    def interrupts(self) -> pd.DataFrame:
        """One row per interrupt, with its answer."""
        return self.run.recorder.interrupts

    def state(self, step: int | None = None, ns: str = ROOT) -> dict[str, Any]:
        """The state after ``step`` (the latest if ``None``); see ``Recorder.state``."""
        return self.run.recorder.state(step, ns)

    def diff(self, step: int, ns: str = ROOT) -> StateDiff:
        """What ``step`` changed; see ``Recorder.diff``."""
        return self.run.recorder.diff(step, ns)

    def namespaces(self) -> list[str]:
        """The recorded runs: ``""`` for the root graph, then subgraph runs (see ``ns``)."""
        return self.run.recorder.namespaces()

    def resume(self, value: Any = NO_ANSWER) -> None:
        """Answer the pending interrupt(s) and continue; see :meth:`Run.resume`."""
        self.run.resume(value)

    def stop(self, reason: str = "stopped from the notebook") -> None:
        """Stop the run before its next superstep; see :meth:`Run.stop`."""
        self.run.stop(reason)

    def wait(self, timeout: float | None = None) -> RunStatus:
        """Block until the run pauses or ends; see :meth:`Run.wait`."""
        return self.run.wait(timeout)

    def export_html(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write a standalone HTML page that replays the run; see ``export.export_html``."""
        from nbpregel.notebook.export import export_html

        return export_html(self.run.recorder, self.run.graph, path)

    # -- drawing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraw from what the run recorded so far."""
        with self._lock:
            self._last_refresh = time.monotonic()
            self._show_namespaces()
            steps = self.run.recorder.step_numbers(self.namespace.value)
            if steps:
                with self._moving_slider():
                    self.slider.max = self.play.max = steps[-1]
                    self.slider.min = self.play.min = steps[0]
                    if self._follow:
                        self.slider.value = steps[-1]
                    self.play.value = self.slider.value
            self.show_step(self.slider.value)
            self._show_status(self.run.recorder.step_numbers())
            self._show_prompts()

    def show_step(self, step: int) -> None:
        """Show ``step`` of the chosen run (root or subgraph) on the graph and in the tables
        (the slider is not moved)."""
        recorder = self.run.recorder
        with self._lock:
            ns = self.namespace.value
            shown = (ns, step, recorder.events)
            if self._shown == shown:
                return
            self._shown = shown
            try:
                record, tasks = recorder.step(step, ns), recorder.tasks_of(step, ns)
            except KeyError:  # nothing recorded yet
                self.graph_view.clear_states()
                self.tasks_html.value = self.writes_html.value = self.state_html.value = ""
                return
            self.graph_view.highlight(step, ns=ns)
            limit = self.max_rows
            self.tasks_html.value = tasks_table(tasks, limit)
            self.writes_html.value = writes_table(tasks, limit)
            diff = recorder.diff(step, ns) if record.checkpointed else None
            self.state_html.value = state_table(record, diff, limit)

    def _show_namespaces(self) -> None:
        """Offer every recorded run (root and subgraphs) in the dropdown, once there are two."""
        recorder = self.run.recorder
        namespaces = tuple(recorder.namespaces())
        if namespaces == self._namespaces:
            return
        self._namespaces = namespaces
        options = [(namespace_label(recorder, ns), ns) for ns in namespaces]
        chosen = self.namespace.value
        with self._moving_slider():
            self.namespace.options = options  # resets the value to the first option
            self.namespace.value = chosen  # namespaces only grow: the chosen one is still there
        self.namespace.layout.display = None if len(namespaces) > 1 else _HIDDEN

    def _show_status(self, steps: list[int]) -> None:
        recorder, status = self.run.recorder, self.run.status
        current = recorder.tasks_of(steps[-1]) if steps else []
        running = status is RunStatus.RUNNING
        # The controls first: a front end that shows the new status line (messages arrive in
        # order) has already shown or hidden them.
        self.progress.layout.display = None if running else _HIDDEN
        self.stop_button.layout.display = None if running else _HIDDEN
        self.status.value = status_line(self.run, steps, current)
        if not running:
            self.stop_button.disabled = False  # ready for the next stretch
        if running:
            finished = sum(task.status is not TaskStatus.RUNNING for task in current)
            self.progress.max = max(1, len(current))
            self.progress.value = finished

    def _show_prompts(self) -> None:
        recorder = self.run.recorder
        pending = recorder.pending_interrupts() if self.run.status is RunStatus.INTERRUPTED else []
        ids = tuple(record.interrupt_id for record in pending)
        if self.run.status is RunStatus.INTERRUPTED and not pending:
            ids = ("<breakpoint>",)
        elif self.run.status is RunStatus.STOPPED:
            ids = ("<stopped>",)
        if ids == self._prompt_ids:
            return
        self._prompt_ids, self._answers = ids, {}
        if not ids:
            self.prompts.children = ()
        elif not pending:
            button = widgets.Button(description="continue", button_style="primary")
            button.add_class("nbp-continue")
            button.on_click(lambda _: self.run.resume())
            if ids == ("<stopped>",):
                if not self.run.has_checkpointer:  # nothing saved to go on from
                    note = "stopped (the graph has no checkpointer: it cannot go on)"
                    self.prompts.children = (widgets.HTML(note),)
                    return
                label = widgets.HTML("stopped: its checkpoint is saved")
            else:
                names = html.escape(", ".join(recorder.paused_before))
                label = widgets.HTML(f"paused at a breakpoint, before: <b>{names}</b>")
            self.prompts.children = (widgets.HBox([label, button]),)
        else:
            self.prompts.children = tuple(
                InterruptPrompt(
                    record.value,
                    interrupt_id=record.interrupt_id,
                    node=record.node,
                    on_answer=self._collect,
                )
                for record in pending
            )

    def _collect(self, interrupt_id: str, answer: Any) -> None:
        """A prompt was answered; once every pending one is, resume with all the answers."""
        self._answers[interrupt_id] = answer
        expected = self._prompt_ids or ()
        if set(self._answers) >= set(expected):
            answers = {key: self._answers[key] for key in expected}
            try:
                self.run.resume(answers)
            except Exception:
                del self._answers[interrupt_id]  # the prompt shows the error; it can try again
                raise

    # -- events -----------------------------------------------------------------------------

    def _stop(self) -> None:
        self.stop_button.disabled = True  # enabled again once the run is idle
        with contextlib.suppress(RuntimeError):  # the run ended meanwhile: nothing to stop
            self.run.stop()

    def _on_run_event(self, idle: bool) -> None:
        if idle or time.monotonic() - self._last_refresh >= self.refresh_interval:
            self._cancel_timer()
            self.refresh()
        elif self._timer is None:
            self._timer = threading.Timer(self.refresh_interval, self._on_timer)
            self._timer.daemon = True
            self._timer.start()

    def _on_timer(self) -> None:
        with self._lock:
            self._timer = None
        self.refresh()

    def _cancel_timer(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def _on_namespace(self, change: dict[str, Any]) -> None:
        if self._moving:
            return
        self._follow = True  # a newly chosen run is shown from its latest step
        self.refresh()

    def _on_slider(self, change: dict[str, Any]) -> None:
        if self._moving:
            return
        self._follow = change["new"] >= self.slider.max
        self.play.value = change["new"]  # what the browser's link does, for the Python side
        self.show_step(change["new"])

    @contextlib.contextmanager
    def _moving_slider(self) -> Iterator[None]:
        self._moving = True
        try:
            yield
        finally:
            self._moving = False

    def _layout(self) -> list[widgets.Widget]:
        style = widgets.HTML(f"<style>{RUN_VIEW_CSS}</style>")
        controls = widgets.HBox(
            [self.namespace, self.play, self.slider, self.progress, self.stop_button]
        )
        headings = [widgets.HTML(f"<h4>{name}</h4>") for name in ("tasks", "writes")]
        step_tables = widgets.VBox([headings[0], self.tasks_html, headings[1], self.writes_html])
        state = widgets.VBox(
            [widgets.HTML("<h4>state after the step</h4>"), self.state_html],
            layout=widgets.Layout(margin="0 0 0 24px"),
        )
        tables = widgets.HBox([step_tables, state])
        return [style, self.graph_view, controls, self.status, self.prompts, tables]

    def __repr__(self) -> str:
        steps = self.run.recorder.step_numbers()
        return (
            f"RunView(graph={getattr(self.run.graph, 'name', '?')!r}, "
            f"status={str(self.run.status)!r}, steps={len(steps)})"
        )
