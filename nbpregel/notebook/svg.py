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
        └── GraphvizRenderError    ``dot`` failed on the source, or its SVG lacks an element
"""

from __future__ import annotations

import collections
import html
import re
import threading
from typing import Final, NamedTuple

import graphviz
import xxhash

from nbpregel.errors import NbPregelError
from nbpregel.notebook._ids import xml_text
from nbpregel.notebook.dot import DotDocument, DrawnElement, ElementKind, as_drawable, to_dot

__all__ = [
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizRenderError",
    "SvgCacheInfo",
    "cache_info",
    "clear_cache",
    "dot_to_svg",
    "render_png",
    "render_svg",
]

CACHE_SIZE: Final = 128
"""How many laid-out graphs are kept in memory."""

_INSTALL_HINT: Final = (
    "install Graphviz: `apt-get install graphviz` (Debian/Ubuntu), "
    "`conda install python-graphviz` (conda), or `brew install graphviz` (macOS)"
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


class SvgCacheInfo(NamedTuple):
    """Counters of the layout cache: ``misses`` is how many times ``dot`` ran."""

    hits: int
    misses: int
    size: int


_cache: collections.OrderedDict[str, str] = collections.OrderedDict()
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

    Example:
        >>> from nbpregel.graph.description import DrawableGraph, DrawableNode
        >>> svg = render_svg(DrawableGraph(nodes=(DrawableNode("a", "a"),), edges=()))
        >>> 'data-node="a"' in svg
        True
    """
    document = _document(graph)
    return _annotate(dot_to_svg(document.source), document.elements)


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

    Raises:
        GraphvizNotFoundError: the ``dot`` program is not installed.
        GraphvizRenderError: ``dot`` failed.
    """
    global _hits, _misses
    key = xxhash.xxh3_128_hexdigest(source.encode("utf-8", "surrogatepass"))
    with _lock:
        if key in _cache:
            _hits += 1
            _cache.move_to_end(key)
            return _cache[key]
    svg = _run_dot(source, "svg").decode("utf-8")
    with _lock:
        _misses += 1
        _cache[key] = svg
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return svg


def cache_info() -> SvgCacheInfo:
    """Hits, misses (runs of ``dot``) and size of the layout cache."""
    with _lock:
        return SvgCacheInfo(_hits, _misses, len(_cache))


def clear_cache() -> None:
    """Forget every layout and reset the counters."""
    global _hits, _misses
    with _lock:
        _cache.clear()
        _hits = _misses = 0


def _run_dot(source: str, output_format: str) -> bytes:
    """Run ``dot -T<output_format>`` on ``source``: the one place where the program is called."""
    try:
        return graphviz.pipe("dot", output_format, source.encode("utf-8"), quiet=True)
    except graphviz.ExecutableNotFound as exc:
        raise GraphvizNotFoundError(
            f"cannot draw the graph: the Graphviz `dot` program was not found on PATH; "
            f"{_INSTALL_HINT}"
        ) from exc
    except graphviz.CalledProcessError as exc:
        stderr = exc.stderr or ""
        if isinstance(stderr, bytes):
            stderr = stderr.decode("utf-8", "replace")
        raise GraphvizRenderError(
            f"`dot` failed (exit status {exc.returncode}) on the graph's DOT source: "
            f"{stderr.strip() or 'no message'}"
        ) from exc


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
