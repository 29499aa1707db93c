"""DOT to SVG with the ``dot`` program, once per distinct graph, and SVG made addressable.

The layout is the only expensive part, so the raw output of ``dot`` is cached in memory, keyed by
the xxh3-128 hash of the DOT source: drawing the same graph again (another ``show``, another
widget) does not run ``dot`` again.

After layout every ``<g>`` of a node, edge, cluster or junction point is rewritten so that the
widget can restyle it without a new layout::

    <g id="n-agent" class="node nbp-node nbp-kind-node" data-node="agent">
    <g id="e-agent-%3Etools" class="edge nbp-edge nbp-conditional" data-edge="agent->tools">

Attribute values are HTML-escaped; text inside the SVG was escaped by ``dot``. The XML prolog,
doctype and comments are dropped so that the SVG can be put inline in an HTML page.

Errors::

    NbPregelError
    └── GraphvizError              drawing failed
        ├── GraphvizNotFoundError  the ``dot`` program is not installed (also a RuntimeError)
        ├── GraphvizRenderError    ``dot`` failed on the source, or its SVG lacks an element
        └── GraphTooLargeError     more than ``MAX_DRAWN_ELEMENTS`` nodes and edges, or ``dot``
                                   still laying it out after ``DOT_TIMEOUT_S`` seconds

A graph too large to draw (a vertex program on thousands of vertices: ``dot`` may take hours
on a random graph of a few hundred) is shown by :func:`drawing` as a short note instead, so a
view of its run still opens at once, with its tables.
"""

from __future__ import annotations

import collections
import html
import re
import shutil
import subprocess
import textwrap
import threading
from typing import Final, NamedTuple

import xxhash

from nbpregel.errors import NbPregelError
from nbpregel.notebook._ids import xml_text
from nbpregel.notebook.dot import DotDocument, DrawnElement, ElementKind, as_drawable, to_dot

__all__ = [
    "DOT_TIMEOUT_S",
    "MAX_DRAWN_ELEMENTS",
    "GraphTooLargeError",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizRenderError",
    "SvgCacheInfo",
    "cache_info",
    "cached_drawing",
    "clear_cache",
    "dot_to_svg",
    "drawing",
    "note_svg",
    "render_png",
    "render_svg",
    "require_dot",
]

CACHE_SIZE: Final = 128
"""How many laid-out graphs are kept in memory."""

MAX_DRAWN_ELEMENTS = 2000
"""The most nodes and edges drawn together; a bigger graph is not given to ``dot`` (set this
module attribute higher to draw bigger graphs anyway)."""
DOT_TIMEOUT_S = 20.0
"""How long ``dot`` may lay a graph out before the drawing is given up."""

_INSTALL_HINT: Final = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`conda install python-graphviz` (conda), or `brew install graphviz` (macOS)"
)
_NOT_FOUND: Final = (
    f"cannot draw the graph: the Graphviz `dot` program was not found on PATH; {_INSTALL_HINT}"
)
_GROUP: Final = re.compile(
    r'<g id="(?P<id>[^"]*)" class="(?P<cls>node|edge|cluster)">\s*<title>[^<]*</title>'
)
_COMMENT: Final = re.compile(r"<!--.*?-->\n?", re.DOTALL)
_SVG_OPEN: Final = "<svg "
_ATTR_WHITESPACE: Final = str.maketrans({"\t": "&#9;", "\n": "&#10;", "\r": "&#13;"})


class GraphvizError(NbPregelError):
    """Drawing a graph with Graphviz failed."""


class GraphvizNotFoundError(GraphvizError, RuntimeError):
    """The Graphviz ``dot`` program is not on ``PATH``."""


class GraphvizRenderError(GraphvizError):
    """``dot`` rejected the DOT source, or produced an SVG without an expected element."""


class GraphTooLargeError(GraphvizError):
    """The graph has too many elements to lay out, or ``dot`` took too long on it."""


class SvgCacheInfo(NamedTuple):
    """Counters of the layout cache: ``misses`` is how many times ``dot`` ran."""

    hits: int
    misses: int
    size: int


_cache: collections.OrderedDict[str, str] = collections.OrderedDict()
_too_slow: dict[str, float] = {}  # sources dot ran out of time on -> the time it was given
_running: dict[str, threading.Event] = {}  # sources being laid out -> set when dot is done
_lock = threading.Lock()
_hits = 0
_misses = 0


def render_svg(graph: object) -> str:
    """The SVG of a graph, with stable ids, classes and ``data-*`` attributes on its elements.

    Args:
        graph: a :class:`DrawableGraph`, an object with ``get_graph()``, or a
            :class:`DotDocument` made by :func:`~nbpregel.notebook.dot.to_dot`.

    Returns:
        The ``<svg>`` element as text, ready to be put inline in HTML.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        GraphvizRenderError: ``dot`` failed.
        GraphTooLargeError: more than ``MAX_DRAWN_ELEMENTS`` nodes and edges, or ``dot``
            still at work after ``DOT_TIMEOUT_S`` (:func:`drawing` shows a note instead).

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> svg = render_svg(DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=()))
        >>> 'data-node="a"' in svg
        True
    """
    document = _drawable_document(graph)
    return _annotate(dot_to_svg(document.source), document.elements)


def _drawable_document(graph: object) -> DotDocument:
    """``graph`` as DOT, if it is small enough to be given to ``dot``."""
    document = _document(graph)
    size = len(document.node_ids) + len(document.edge_ids)
    if size > MAX_DRAWN_ELEMENTS:
        raise GraphTooLargeError(
            f"the graph has {len(document.node_ids):,} nodes and {len(document.edge_ids):,} "
            f"edges, more than nbpregel.notebook.svg.MAX_DRAWN_ELEMENTS = "
            f"{MAX_DRAWN_ELEMENTS:,} together: raise that setting to draw it anyway (laying "
            f"it out may take a long time)"
        )
    return document


def drawing(graph: object) -> tuple[str, bool]:
    """The SVG of ``graph`` and ``True``, or, if it is too large to draw, a small SVG note
    saying so and ``False`` (nothing in it can be lit).

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        GraphvizRenderError: ``dot`` failed.

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> nodes = tuple(DrawableNode(str(i), str(i)) for i in range(MAX_DRAWN_ELEMENTS + 1))
        >>> svg, drawn = drawing(DrawableGraph(nodes=nodes, edges=()))
        >>> drawn, "not drawn" in svg
        (False, True)
    """
    try:
        return render_svg(graph), True
    except GraphTooLargeError as exc:
        return _not_drawn(exc), False


def cached_drawing(graph: object) -> tuple[str, bool] | None:
    """:func:`drawing` at once, without running ``dot``: ``None`` when the graph would have
    to be laid out first (``GraphView`` then draws it in the background).

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> graph = DrawableGraph(nodes=(DrawableNode("cached?", "cached?"),), edges=())
        >>> cached_drawing(graph) is None
        True
        >>> _ = render_svg(graph)
        >>> cached_drawing(graph)[1]
        True
    """
    try:
        document = _drawable_document(graph)
        raw = _cached(_key(document.source))
    except GraphTooLargeError as exc:
        return _not_drawn(exc), False
    return None if raw is None else (_annotate(raw, document.elements), True)


def _not_drawn(reason: GraphTooLargeError) -> str:
    return note_svg(f"Graph not drawn: {reason}.")


def note_svg(text: str, css_class: str = "nbp-not-drawn", width: int = 96) -> str:
    """A small SVG holding ``text`` (escaped), wrapped at ``width`` characters, shown where a
    graph's drawing would be."""
    lines = textwrap.wrap(text, width)
    spans = "".join(
        f'<tspan x="8" dy="{1.3 if i else 1.1}em">{html.escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    height = int(len(lines) * 21 + 12)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{html.escape(css_class)}" '
        f'width="{width * 7 + 16}" height="{height}">'
        f'<text font-family="sans-serif" font-size="13">{spans}</text></svg>'
    )


def require_dot() -> None:
    """Check that the ``dot`` program is installed, before drawing in the background.

    Raises:
        GraphvizNotFoundError: it is not on ``PATH``.
    """
    if shutil.which("dot") is None:
        raise GraphvizNotFoundError(_NOT_FOUND)


def render_png(graph: object) -> bytes:
    """A PNG picture of a graph (as :func:`render_svg` lays it out), drawn each time: no
    cache, since only a notebook's explicit ``draw_png`` asks for one.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        GraphvizRenderError: ``dot`` failed.
    """
    return _run_dot(_document(graph).source, "png")


def _document(graph: object) -> DotDocument:
    """``graph`` as DOT: a drawable graph, an object with ``get_graph()``, or DOT already."""
    return graph if isinstance(graph, DotDocument) else to_dot(as_drawable(graph))


def dot_to_svg(source: str) -> str:
    """The SVG ``dot`` makes of ``source``, from the cache when the same source was laid out.

    When another thread is laying the same source out, this waits for its result rather than
    running ``dot`` a second time.

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        GraphvizRenderError: ``dot`` failed.
        GraphTooLargeError: ``dot`` ran out of time, on this source or earlier on the same
            one (it is not tried again, unless ``DOT_TIMEOUT_S`` was raised since).
    """
    global _misses
    key = _key(source)
    while True:
        cached = _cached(key)
        if cached is not None:
            return cached
        with _lock:
            other = _running.get(key)
            if other is None:
                _running[key] = done = threading.Event()
                break
        other.wait()  # then read its result (or its failure) from the caches above
    try:
        svg = _run_dot(source, "svg").decode("utf-8")
    except GraphTooLargeError:
        with _lock:
            _too_slow[key] = DOT_TIMEOUT_S
        raise
    else:
        with _lock:
            _misses += 1
            _cache[key] = svg
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return svg
    finally:
        with _lock:
            del _running[key]
        done.set()


def _key(source: str) -> str:
    return xxhash.xxh3_128_hexdigest(source.encode("utf-8", "surrogatepass"))


def _cached(key: str) -> str | None:
    """The cached layout of the source hashed to ``key``; ``None`` if ``dot`` has to run.

    Raises:
        GraphTooLargeError: ``dot`` ran out of time on it, with no less time than it has now.
    """
    global _hits
    with _lock:
        if key in _cache:
            _hits += 1
            _cache.move_to_end(key)
            return _cache[key]
        gave_up = _too_slow.get(key)
    if gave_up is not None and gave_up >= DOT_TIMEOUT_S:
        raise GraphTooLargeError(
            f"`dot` already ran out of time ({gave_up:g} s) on this graph: raise "
            f"nbpregel.notebook.svg.DOT_TIMEOUT_S to try again with more time"
        )
    return None


def cache_info() -> SvgCacheInfo:
    """Hits, misses (runs of ``dot``) and size of the layout cache."""
    with _lock:
        return SvgCacheInfo(_hits, _misses, len(_cache))


def clear_cache() -> None:
    """Forget every layout and reset the counters."""
    global _hits, _misses
    with _lock:
        _cache.clear()
        _too_slow.clear()
        _hits = _misses = 0


def _run_dot(source: str, output_format: str) -> bytes:
    """Run ``dot -T<output_format>`` on ``source``: the one place where the program is called."""
    try:
        done = subprocess.run(
            ["dot", f"-T{output_format}"],
            input=source.encode("utf-8"),
            capture_output=True,
            timeout=DOT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError as exc:
        raise GraphvizNotFoundError(_NOT_FOUND) from exc
    except subprocess.TimeoutExpired as exc:  # the child is killed before this is raised
        raise GraphTooLargeError(
            f"`dot` was still laying the graph out after {DOT_TIMEOUT_S:g} s: raise "
            f"nbpregel.notebook.svg.DOT_TIMEOUT_S to wait longer"
        ) from exc
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace").strip()
        raise GraphvizRenderError(
            f"`dot` failed (exit status {done.returncode}) on the graph's DOT source: "
            f"{stderr or 'no message'}"
        )
    return done.stdout


def _annotate(svg: str, elements: tuple[DrawnElement, ...]) -> str:
    """Drop prolog and comments; give every known ``<g>`` its classes, data and title."""
    by_id = {element.dom_id: element for element in elements}
    found: set[str] = set()

    def rewrite(match: re.Match[str]) -> str:
        element = by_id.get(html.unescape(match["id"]))
        if element is None or element.svg_class != match["cls"]:
            return match.group()
        found.add(element.dom_id)
        return _group_open(element)

    start = svg.find(_SVG_OPEN)
    if start < 0:
        raise GraphvizRenderError("`dot` produced no <svg> element")
    body = _GROUP.sub(rewrite, _COMMENT.sub("", svg[start:]))
    missing = [e.dom_id for e in elements if e.dom_id not in found]
    if missing:
        raise GraphvizRenderError(
            f"the SVG made by `dot` lacks the elements {missing[:5]}; "
            f"is Graphviz older than 2.30? (`dot -V` shows the version)"
        )
    return body.replace(_SVG_OPEN, '<svg class="nbp-svg" ', 1)


def _group_open(element: DrawnElement) -> str:
    attrs = {"id": element.dom_id, "class": " ".join(element.classes)}
    if element.kind is ElementKind.NODE:
        attrs["data-node"] = element.key
    elif element.kind is ElementKind.EDGE:
        attrs["data-edge"] = element.key
    if element.join is not None:
        attrs["data-join"] = element.join
    text = " ".join(f'{name}="{_attr(value)}"' for name, value in attrs.items())
    return f"<g {text}>\n<title>{_attr(element.title)}</title>"


def _attr(value: str) -> str:
    """``value`` escaped for an attribute; XML would turn raw newlines and tabs into spaces."""
    return html.escape(xml_text(value), quote=True).translate(_ATTR_WHITESPACE)
