"""Every notebook under ``notebooks/`` runs top to bottom in a real kernel, without an error.

The notebooks are the tutorial: a cell that breaks is a lesson that lies. Each one is executed with
nbclient and an ipykernel (the same machinery as ``jupyter nbconvert --execute``), in a scratch
working directory so that the files a notebook writes (exported replays, databases) land there and
not in the repository. The notebooks are committed without outputs; a test checks that too, so that
a stray "Save" with outputs does not end up in git.
"""

from __future__ import annotations

import pathlib
import re
import time
from typing import Final

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS_DIR: Final = pathlib.Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS: Final = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL_NAME: Final = "python3"
BUDGET_SECONDS: Final = 60.0
"""The most a whole notebook may take (kernel start included)."""
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")

pytestmark = pytest.mark.notebook


def _ids(paths: list[pathlib.Path]) -> list[str]:
    return [path.stem for path in paths]


def test_notebooks_exist() -> None:
    """The tutorial notebooks are where the docs say they are (a glob that finds none passes)."""
    names = {path.name for path in NOTEBOOKS}
    expected = {
        "01_tour.ipynb",
        "02_bsp_explained.ipynb",
        "03_human_in_the_loop.ipynb",
        "04_map_reduce_and_subgraphs.ipynb",
        "05_vertex_programs.ipynb",
        "06_chat_agent.ipynb",
        "07_scaling_out.ipynb",
        "08_prebuilt_agent.ipynb",
    }
    assert expected <= names, f"missing from {NOTEBOOKS_DIR}: {sorted(expected - names)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: pathlib.Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    dirty = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: code cells {dirty} carry outputs or execution counts; clear them "
        "(e.g. `jupyter nbconvert --clear-output --inplace {path}`) before committing"
    )
    nbformat.validate(notebook)


@pytest.mark.exe
@pytest.mark.timeout(BUDGET_SECONDS * 2)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_executes(path: pathlib.Path, tmp_path: pathlib.Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=int(BUDGET_SECONDS),
        kernel_name=KERNEL_NAME,
        allow_errors=False,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    started = time.monotonic()
    failure = None
    try:
        client.execute()
    except CellExecutionError as error:
        failure = _ANSI.sub("", str(error))
    if failure is not None:
        pytest.fail(f"{path.name} failed in a cell:\n{failure}", pytrace=False)
    elapsed = time.monotonic() - started
    assert elapsed < BUDGET_SECONDS, f"{path.name} took {elapsed:.1f}s (budget {BUDGET_SECONDS}s)"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "error"
    ]
    assert not errors, f"{path.name} produced error outputs: {errors}"
    # An exception in a widget callback or a background thread does not stop the cell; it only
    # prints a traceback on stderr.
    tracebacks = [
        output.text
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.output_type == "stream" and output.name == "stderr" and "Traceback" in output.text
    ]
    assert not tracebacks, f"{path.name} printed tracebacks: {tracebacks}"
