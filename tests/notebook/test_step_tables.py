"""A step of hundreds of tasks shows at most ``TABLE_ROWS`` rows per table, the ones that matter
first (failed tasks, changed keys), with a count of the rest, in the view and in the export;
the DataFrames keep every row."""

from __future__ import annotations

import json
import math
import operator
import re
from pathlib import Path
from typing import Annotated, Any, Final, TypedDict

import pytest
from pages import open_page
from test_export import Page

from nbpregel import START, Send, StateGraph
from nbpregel.notebook import run
from nbpregel.notebook._step_html import TABLE_ROWS
from nbpregel.notebook.export import replay_data
from nbpregel.notebook.run import RunStatus
from nbpregel.vertex import Vertex, VertexProgram

pytestmark = pytest.mark.exe  # every view draws its graph with `dot`
WORKERS: Final = 250
FAILING: Final = 230
TIMEOUT: Final = 30


class Results(TypedDict):
    results: Annotated[list[int], operator.add]


def work(item: int) -> dict[str, list[int]]:
    if item == FAILING:
        raise ValueError(f"item {item} cannot be worked")
    return {"results": [item]}


def fan_out() -> Any:
    """``WORKERS`` tasks in one step, by ``Send``; the one for ``FAILING`` raises."""
    builder = StateGraph(Results)
    builder.add_node("work", work)
    builder.add_conditional_edges(START, lambda _: [Send("work", i) for i in range(WORKERS)])
    return builder.compile()


def rows(table_html: str) -> list[list[str]]:
    """The data rows of an HTML table, as the cells' text."""
    return [
        re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table_html)
    ][1:]


@pytest.fixture(scope="module")
def failed_fan_out() -> Any:
    view = run(fan_out(), {"results": []})
    assert view.wait(TIMEOUT) is RunStatus.ERROR
    return view


def test_a_big_step_shows_the_failed_task_first_and_counts_the_rest(failed_fan_out: Any) -> None:
    view = failed_fan_out
    step = int(view.tasks[view.tasks.node == "work"].step.iloc[0])
    view.slider.value = step
    tasks = rows(view.tasks_html.value)
    assert len(tasks) == TABLE_ROWS
    assert tasks[0][:3] == ["work", "PUSH", "error"] and "cannot be worked" in tasks[0][6]
    assert 'class="nbp-error"' in view.tasks_html.value.split("</tr>")[1]  # the first data row
    assert [task[2] for task in tasks[1:]] == ["ok"] * (TABLE_ROWS - 1)
    assert f"and {WORKERS - TABLE_ROWS} more tasks, not shown" in view.tasks_html.value
    writes = rows(view.writes_html.value)
    assert [write[2] for write in writes] == [repr([i]) for i in range(TABLE_ROWS)]
    # every task wrote one item but the failed one
    assert f"and {WORKERS - 1 - TABLE_ROWS} more writes, not shown" in view.writes_html.value
    # the tables behind the view have every row
    assert (view.tasks.step == step).sum() == WORKERS
    assert (view.writes.step == step).sum() == WORKERS - 1


def test_the_row_limit_is_a_setting_of_the_view(failed_fan_out: Any) -> None:
    view = failed_fan_out
    step = int(view.tasks[view.tasks.node == "work"].step.iloc[0])
    view.slider.value = 0
    view.max_rows = 1000
    view.slider.value = step
    assert len(rows(view.tasks_html.value)) == WORKERS
    assert "more tasks" not in view.tasks_html.value
    view.slider.value = 0
    view.max_rows = 3
    view.slider.value = step
    assert [task[2] for task in rows(view.tasks_html.value)] == ["error", "ok", "ok"]
    assert f"and {WORKERS - 3} more tasks" in view.tasks_html.value


def path_distance(vertex: Vertex, messages: tuple[float, ...]) -> None:
    """Shortest distance from ``v0`` along a path: superstep ``s`` settles vertex ``v{s}``."""
    best = min(messages, default=0.0 if vertex.id == "v0" else math.inf)
    if best < vertex.value:
        vertex.value = best
        vertex.send_to_neighbors(best + 1)
    vertex.vote_to_halt()


def path_program(n: int) -> VertexProgram:
    edges = [(f"v{i}", f"v{i + 1}") for i in range(n - 1)]
    return VertexProgram(
        path_distance, edges, values=dict.fromkeys((f"v{i}" for i in range(n)), math.inf)
    )


def test_the_changed_key_comes_first_in_a_big_state() -> None:
    app = path_program(WORKERS).compile()
    view = run(app, {})
    assert view.wait(TIMEOUT) is RunStatus.DONE
    assert view.state() == {f"v{i}": float(i) for i in range(WORKERS)}
    # the step that settles v220, a key beyond the first TABLE_ROWS
    view.slider.value = step = int(view.tasks[view.tasks.node == "v220"].step.max())
    assert set(view.diff(step).changed) == {"v220"}
    state = rows(view.state_html.value)
    assert len(state) == TABLE_ROWS
    assert state[0] == ["\u25cf", "v220", "220.0"]
    assert [row[1] for row in state[1:4]] == ["v0", "v1", "v2"]  # then the others, in order
    assert f"and {WORKERS - TABLE_ROWS} more keys, not shown" in view.state_html.value


def test_the_export_leaves_the_same_rows_out(failed_fan_out: Any, tmp_path: Path) -> None:
    view = failed_fan_out
    (root,) = replay_data(view.run.recorder, view.run.graph)["runs"]
    big = next(step for step in root["steps"] if len(step["tasks"]) == TABLE_ROWS)
    assert big["tasks"][0][2] == "error" and big["taskClasses"][0] == "nbp-error"
    assert big["tasksMore"] == f"\u2026 and {WORKERS - TABLE_ROWS} more tasks, not shown"
    assert big["writesMore"] == f"\u2026 and {WORKERS - 1 - TABLE_ROWS} more writes, not shown"
    assert root["steps"][0]["tasksMore"] == ""  # the input's step: one task, 251 writes
    assert (
        root["steps"][0]["writesMore"]
        == f"\u2026 and {WORKERS + 1 - TABLE_ROWS} more writes, not shown"
    )
    page = Page(view.export_html(tmp_path / "big.html").read_text(encoding="utf-8"))
    assert json.loads(page.scripts["nbp-data"])["runs"][0]["steps"] == json.loads(
        json.dumps(root["steps"])
    )


@pytest.mark.browser
def test_the_exported_page_counts_the_rows_left_out(
    failed_fan_out: Any, browser: Any, tmp_path: Path
) -> None:
    page, problems = open_page(browser, failed_fan_out.export_html(tmp_path / "big.html"))
    page.evaluate(
        "() => { const s = document.querySelector('[data-role=slider]');"
        " s.value = 1; s.dispatchEvent(new Event('input')); }"
    )
    assert page.locator("[data-role=tasks] tr").count() == TABLE_ROWS + 1  # and the heading
    assert page.inner_text("[data-role=tasks] .nbp-more") == (
        f"\u2026 and {WORKERS - TABLE_ROWS} more tasks, not shown"
    )
    assert page.inner_text("[data-role=writes] .nbp-more").endswith("more writes, not shown")
    assert page.locator("[data-role=state] .nbp-more").count() == 0  # the failed step saved none
    page.evaluate(
        "() => { const s = document.querySelector('[data-role=slider]');"
        " s.value = 0; s.dispatchEvent(new Event('input')); }"
    )
    assert page.locator("[data-role=tasks] .nbp-more").count() == 0  # one task: __start__
    assert page.inner_text("[data-role=writes] .nbp-more") == (
        f"\u2026 and {WORKERS + 1 - TABLE_ROWS} more writes, not shown"  # its Sends and the input
    )
    assert problems == []
