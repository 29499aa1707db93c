"""Values as short text, and small HTML tables in which every cell is escaped.

Everything a run carries (node names, state values, errors) is user data: it reaches HTML only
through :func:`html.escape`, here.
"""

from __future__ import annotations

import html
import reprlib
from collections.abc import Iterable, Sequence
from typing import Any, Final

__all__ = ["RUN_VIEW_CSS", "html_table", "short_repr"]

SHORT: Final = 80
"""Characters of a value's repr shown in a table cell."""
_ELLIPSIS: Final = "\u2026"

_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxstring = SHORT
_repr.maxother = SHORT
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 8


def short_repr(value: Any, limit: int = SHORT) -> str:
    """A repr of ``value`` cut to ``limit`` characters (nested containers are cut first).

    Example:
        >>> short_repr({"items": list(range(20))})
        "{'items': [0, 1, 2, 3, 4, 5, ...]}"
        >>> short_repr("x" * 100, limit=10)
        "'xxxxxxxx\u2026"
    """
    try:
        text = _repr.repr(value)
    except Exception as exc:  # a broken __repr__ must not break the view
        text = f"<{type(value).__name__}: repr failed with {exc!r}>"
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def html_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    row_classes: Sequence[str] | None = None,
    empty: str = "nothing",
) -> str:
    """An HTML ``<table>``; cells are ``str`` of the given values, escaped.

    Args:
        headers: the column titles.
        rows: the cells; pass text already shortened (see :func:`short_repr`).
        row_classes: a CSS class per row (``""`` for none); only ``[a-z-]`` classes are used.
        empty: what to show when there is no row.

    Example:
        >>> html_table(["node"], [["<b>"]])
        '<table class="nbp-table"><tr><th>node</th></tr><tr><td>&lt;b&gt;</td></tr></table>'
    """
    head = "".join(f"<th>{html.escape(title)}</th>" for title in headers)
    body = []
    for index, row in enumerate(rows):
        cls = row_classes[index] if row_classes is not None else ""
        attr = f' class="{cls}"' if cls and cls.replace("-", "").isalpha() else ""
        cells = "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row)
        body.append(f"<tr{attr}>{cells}</tr>")
    if not body:
        return f'<div class="nbp-empty">{html.escape(empty)}</div>'
    return f'<table class="nbp-table"><tr>{head}</tr>{"".join(body)}</table>'


RUN_VIEW_CSS: Final = """
.nbp-run-view { font-family: Helvetica, Arial, sans-serif; font-size: 12px; }
.nbp-run-view h4 { margin: 6px 0 2px; font-size: 12px; }
.nbp-table { border-collapse: collapse; margin: 2px 0 6px; }
.nbp-table th, .nbp-table td {
  border: 1px solid #dee2e6; padding: 2px 6px; text-align: left; vertical-align: top;
  font-family: SFMono-Regular, Menlo, Consolas, monospace; white-space: pre-wrap;
}
.nbp-table th { background: #f1f3f5; font-family: Helvetica, Arial, sans-serif; }
.nbp-table tr.nbp-changed td { background: #fff3bf; }
.nbp-table tr.nbp-added td { background: #d3f9d8; }
.nbp-table tr.nbp-removed td { background: #ffe3e3; text-decoration: line-through; }
.nbp-table tr.nbp-error td { color: #c92a2a; }
.nbp-empty { color: #868e96; margin: 2px 0 6px; }
.nbp-more { color: #868e96; margin: -4px 0 6px; }
.nbp-status-error { color: #c92a2a; }
.nbp-status-interrupted { color: #7048e8; }
.nbp-field-error { color: #c92a2a; }
"""
"""Styles of the run view's tables and status line (also used by ``export_html``)."""
