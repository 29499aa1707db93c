"""The ``exe``/``browser`` gates of tests/conftest.py: loud skip locally, failure under CI."""

from __future__ import annotations

from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
GATED_TESTS = """
import pytest

@pytest.mark.exe
def test_marked_exe():
    pass

@pytest.mark.browser
def test_marked_browser():
    pass

def test_asks_for_dot(dot_path):
    assert dot_path

def test_asks_for_chromium(chromium_path):
    assert chromium_path
"""
INI = """
[pytest]
addopts = -ra --strict-markers
markers =
    exe: needs dot
    browser: needs chromium
"""


@pytest.fixture
def gated_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST.read_text())
    pytester.makeini(INI)
    pytester.makepyfile(test_gated=GATED_TESTS)
    return pytester


@pytest.fixture
def programs_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("NBPREGEL_CHROMIUM", str(tmp_path / "no-such-chromium"))


@pytest.mark.usefixtures("programs_missing")
@pytest.mark.parametrize("ci", ["", "0", "false"], ids=["unset", "zero", "false"])
def test_missing_programs_skip_loudly_outside_ci(
    gated_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    result = gated_suite.runpytest_subprocess()
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(
        [
            "*tests NOT RUN: external program missing*",
            "2 test(s) marked 'exe' skipped: *apt-get install graphviz",
            "2 test(s) marked 'browser' skipped: *apt-get install chromium",
        ]
    )


@pytest.mark.usefixtures("programs_missing")
@pytest.mark.parametrize("ci", ["true", "1"], ids=["true", "one"])
def test_missing_programs_fail_under_ci(
    gated_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    result = gated_suite.runpytest_subprocess()
    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["*CI is set, so this test may not be skipped*"])
    assert "tests NOT RUN" not in result.stdout.str()


@pytest.mark.exe
@pytest.mark.browser
def test_present_programs_run_under_ci(
    gated_suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI", "true")
    result = gated_suite.runpytest_subprocess()
    result.assert_outcomes(passed=4)


def test_fixture_users_are_selected_by_marker(gated_suite: pytest.Pytester) -> None:
    result = gated_suite.runpytest_subprocess("-m", "exe", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_marked_exe", "*test_asks_for_dot", "2/4 tests collected*"])
