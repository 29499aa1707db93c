"""Suite-wide pytest set-up: gates for tests that need an external program.

Tests marked ``exe`` need Graphviz's ``dot`` on ``PATH``; tests marked ``browser`` need Debian's
Chromium at ``/usr/bin/chromium`` (or wherever ``NBPREGEL_CHROMIUM`` points); tests marked
``valgrind`` need ``valgrind`` on ``PATH``. A test that asks for the ``dot_path``,
``chromium_path`` or ``valgrind_path`` fixture gets the marker automatically.

When the program is missing:

* on a developer machine the test is skipped, loudly: the reason names the apt package, and a
  banner at the end of the run counts what was not tested;
* when the ``CI`` environment variable is set (to anything but ``""``, ``0``, ``false`` or ``no``),
  the test fails instead, because CI must run every test: a skip there would hide a broken image.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest

pytest_plugins = ("pytester",)

CHROMIUM_ENV_VAR = "NBPREGEL_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
_NOT_CI_VALUES = frozenset({"", "0", "false", "no"})


def _find_dot() -> str | None:
    return shutil.which("dot")


def _find_chromium() -> str | None:
    path = os.environ.get(CHROMIUM_ENV_VAR) or DEFAULT_CHROMIUM
    return path if os.access(path, os.X_OK) else None


@dataclass(frozen=True)
class ProgramGate:
    """An external program that the tests carrying ``marker`` cannot run without."""

    marker: str
    fixture: str
    program: str
    apt_package: str
    find: Callable[[], str | None]


DOT = ProgramGate("exe", "dot_path", "graphviz `dot` (on PATH)", "graphviz", _find_dot)
CHROMIUM = ProgramGate(
    "browser",
    "chromium_path",
    f"chromium ({DEFAULT_CHROMIUM} or ${CHROMIUM_ENV_VAR})",
    "chromium",
    _find_chromium,
)
VALGRIND = ProgramGate(
    "valgrind", "valgrind_path", "valgrind (on PATH)", "valgrind", lambda: shutil.which("valgrind")
)
GATES = (DOT, CHROMIUM, VALGRIND)
_SKIPPED = pytest.StashKey[Counter[str]]()


def in_ci() -> bool:
    """Whether the ``CI`` environment variable asks for every gated test to run."""
    return os.environ.get("CI", "").strip().lower() not in _NOT_CI_VALUES


def _require(gate: ProgramGate, config: pytest.Config) -> str:
    """Return the program's path, or skip (locally) / fail (under CI) the current test."""
    path = gate.find()
    if path is not None:
        return path
    problem = (
        f"{gate.program} not found; tests marked {gate.marker!r} need it "
        f"(install it with: apt-get install {gate.apt_package})"
    )
    if in_ci():
        pytest.fail(f"CI is set, so this test may not be skipped: {problem}", pytrace=False)
    config.stash[_SKIPPED][gate.marker] += 1
    pytest.skip(f"SKIPPED, NOT TESTED: {problem}")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_SKIPPED] = Counter()


def pytest_report_header(config: pytest.Config) -> list[str]:
    found = ", ".join(f"{gate.marker}: {gate.find() or 'MISSING'}" for gate in GATES)
    mode = "missing program fails" if in_ci() else "missing program skips"
    return [f"external programs ({mode}): {found}"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A test that uses a program's fixture is gated like a marked one, and `-m` selects it.
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        for gate in GATES:
            if gate.fixture in fixtures and item.get_closest_marker(gate.marker) is None:
                item.add_marker(gate.marker)
    # Playwright's sync API keeps an event loop running in the main thread while a session
    # fixture holds it (tests/browser/), so tests that start their own loop or their own short-lived
    # Playwright run first, and the session-long browser tests last.
    items.sort(
        key=lambda item: (
            item.get_closest_marker("browser") is not None,
            "tests/browser/" in item.nodeid or item.nodeid.startswith("browser/"),
        )
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    for gate in GATES:
        if item.get_closest_marker(gate.marker) is not None:
            _require(gate, item.config)


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    skipped = config.stash[_SKIPPED]
    if not skipped:
        return
    terminalreporter.section("tests NOT RUN: external program missing", sep="!", yellow=True)
    for gate in GATES:
        if skipped[gate.marker]:
            terminalreporter.line(
                f"{skipped[gate.marker]} test(s) marked {gate.marker!r} skipped: {gate.program} "
                f"not found. Install it: sudo apt-get install {gate.apt_package}",
                yellow=True,
                bold=True,
            )


@pytest.fixture
def dot_path(request: pytest.FixtureRequest) -> str:
    """Path of the ``dot`` program (the test is gated like an ``exe`` test)."""
    return _require(DOT, request.config)


@pytest.fixture
def chromium_path(request: pytest.FixtureRequest) -> str:
    """Path of Chromium, for Playwright's ``launch(executable_path=...)`` (a ``browser`` test)."""
    return _require(CHROMIUM, request.config)


@pytest.fixture
def valgrind_path(request: pytest.FixtureRequest) -> str:
    """Path of ``valgrind`` (the test is gated like a ``valgrind`` test)."""
    return _require(VALGRIND, request.config)


@pytest.fixture(params=["memory", "sqlite"], ids=["InMemorySaver", "SqliteSaver"])
def saver_kind(request: pytest.FixtureRequest) -> str:
    """Which saver a differential test runs with (LangGraph's twin uses the same kind)."""
    return str(request.param)
