"""Names a package loads on first use (a module ``__getattr__``), so importing it stays cheap."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

__all__ = ["load_lazy"]


def load_lazy(namespace: dict[str, Any], lazy: Mapping[str, str], name: str) -> Any:
    """``name`` imported from the module ``lazy`` names for it, and kept in ``namespace`` (a
    package's ``globals()``) so that the next lookup finds it there.

    Raises:
        AttributeError: ``name`` is not one of ``lazy``'s.

    Example:
        >>> space = {"__name__": "pkg"}
        >>> load_lazy(space, {"dedent": "textwrap"}, "dedent").__name__, "dedent" in space
        ('dedent', True)
    """
    module = lazy.get(name)
    if module is None:
        raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    namespace[name] = value
    return value
