"""The engine must import without the notebook stack.

Each check runs in a fresh interpreter, since this one has long since loaded pandas and friends.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Heavy or Jupyter-only packages that only the notebook layer may import (and only on first use).
NOTEBOOK_ONLY = ("ipywidgets", "pandas", "graphviz", "IPython", "anywidget", "nest_asyncio")
ENGINE_MODULES = (
    "nbpregel",
    "nbpregel.channels",
    "nbpregel.errors",
    "nbpregel.types",
    "nbpregel.constants",
)
# Packages allowed to import the notebook stack (at module level); everything else is engine.
NOTEBOOK_LAYER = ("nbpregel.notebook",)

# Imports the modules named in argv (or, given `--walk`, every nbpregel module outside the notebook
# layer, never importing that layer's packages even to list them) and prints, as JSON, what it
# imported and the top-level names of all modules then loaded.
_PROBE = """
import importlib, json, pkgutil, sys

def walk(path, prefix, skip):
    for info in pkgutil.iter_modules(path, prefix):
        if any(info.name == s or info.name.startswith(s + ".") for s in skip):
            continue
        module = importlib.import_module(info.name)
        yield info.name
        if info.ispkg:
            yield from walk(module.__path__, info.name + ".", skip)

names = sys.argv[1:]
if names == ["--walk"]:
    import nbpregel
    names = list(walk(nbpregel.__path__, "nbpregel.", json.loads(sys.stdin.read())))
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted({m.partition(".")[0] for m in sys.modules})}))
"""


def _probe(args: list[str], cwd: Path, stdin: str = "") -> dict[str, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,  # not the repo root, so only the installed package can be found
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"import failed in a fresh interpreter:\n{result.stderr}"
    probed: dict[str, list[str]] = json.loads(result.stdout)
    return probed


def _notebook_modules_loaded(probed: dict[str, list[str]]) -> list[str]:
    return sorted(set(NOTEBOOK_ONLY) & set(probed["loaded"]))


@pytest.mark.parametrize("module", ENGINE_MODULES, ids=ENGINE_MODULES)
def test_engine_module_does_not_load_notebook_stack(module: str, tmp_path: Path) -> None:
    loaded = _notebook_modules_loaded(_probe([module], tmp_path))
    assert loaded == [], (
        f"`import {module}` loaded {loaded}; import them inside the function that needs them "
        f"(or move that code under {NOTEBOOK_LAYER})"
    )


def test_every_engine_module_does_not_load_notebook_stack(tmp_path: Path) -> None:
    probed = _probe(["--walk"], tmp_path, stdin=json.dumps(NOTEBOOK_LAYER))
    assert "nbpregel.errors" in probed["imported"]  # the walk really found the package
    loaded = _notebook_modules_loaded(probed)
    assert loaded == [], (
        f"importing the engine modules {probed['imported']} loaded {loaded}; only "
        f"{NOTEBOOK_LAYER} may import them at module level"
    )


@pytest.mark.parametrize("module", NOTEBOOK_ONLY, ids=NOTEBOOK_ONLY)
def test_probe_detects_a_loaded_notebook_module(module: str, tmp_path: Path) -> None:
    # The checks above are only worth something if these are installed and the probe sees them.
    assert module in _notebook_modules_loaded(_probe([module], tmp_path))
