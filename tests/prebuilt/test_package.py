"""``nbpregel.prebuilt`` as a package: what it exports, and LangChain loaded only on demand."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import nbpregel.prebuilt as prebuilt

LANGGRAPH_NAMES = {
    "create_react_agent",
    "ToolNode",
    "tools_condition",
    "ValidationNode",
    "InjectedState",
    "InjectedStore",
    "ToolRuntime",
}


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_langgraphs_prebuilt_names_are_here() -> None:
    assert set(prebuilt.__all__) >= LANGGRAPH_NAMES
    for name in prebuilt.__all__:
        assert getattr(prebuilt, name) is not None
    assert set(dir(prebuilt)) >= LANGGRAPH_NAMES


def test_importing_the_package_does_not_import_langchain() -> None:
    out = _python(
        """
        import sys
        from nbpregel.prebuilt import tools_condition
        print(tools_condition({"messages": [{"role": "user", "content": "hi"}]}))
        print(any(name.startswith("langchain") for name in sys.modules))
        """
    )
    assert out.splitlines() == ["__end__", "False"]


def test_without_langchain_the_error_says_what_to_install() -> None:
    out = _python(
        """
        import sys
        sys.modules["langchain_core"] = None  # as if it were not installed
        import nbpregel.prebuilt as prebuilt
        try:
            prebuilt.create_react_agent
        except ImportError as exc:
            print(exc)
        """
    )
    assert "nbpregel[agents]" in out and "create_react_agent" in out


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        _ = prebuilt.no_such_thing  # type: ignore[attr-defined]
