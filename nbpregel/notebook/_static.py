"""The front-end files under ``static/``, read as the widget and the exported page ship them.

The widget's module (``graph_view.js``) and the replay page's script (``replay.js``) both light
the drawn graph with the code of ``svg_lights.js``: each is shipped as that file's text followed
by its own, one self-contained script that imports nothing.
"""

from __future__ import annotations

import pathlib
from typing import Final

__all__ = ["STATIC_DIR", "front_end_script", "static_text"]

STATIC_DIR: Final = pathlib.Path(__file__).parent / "static"
"""The directory of the front-end files."""
_SHARED_SCRIPT: Final = "svg_lights.js"


def static_text(name: str) -> str:
    """The text of ``static/<name>``.

    Example:
        >>> static_text("graph_view.css").startswith("/*")
        True
    """
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def front_end_script(name: str) -> str:
    """``static/<name>`` preceded by the shared ``svg_lights.js``, as one script.

    Example:
        >>> script = front_end_script("graph_view.js")
        >>> script.index("function svgLights") < script.index("function render")
        True
    """
    return f"{static_text(_SHARED_SCRIPT)}\n{static_text(name)}"
