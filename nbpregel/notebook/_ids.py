"""Turn arbitrary node and edge ids into safe DOM ids, XML-safe attribute values and labels.

Node names are user data: they can hold quotes, angle brackets, backslashes, control characters.
Three transformations keep them harmless on their way into DOT and SVG:

- :func:`dom_token` makes a token of ``[A-Za-z0-9_-]`` and ``%XX`` escapes (UTF-8 bytes, like a
  URL). It is injective, so two different ids never share a DOM id.
- :func:`xml_text` replaces the characters XML 1.0 cannot carry at all (not even as ``&#..;``)
  with U+FFFD, so an id can go into an SVG attribute after HTML escaping.
- :func:`display_text` shows control characters as their Unicode "control picture" (U+2400..),
  for labels and titles.
"""

from __future__ import annotations

import re
import string
from typing import Final

from nbpregel.constants import NS_SEP

__all__ = [
    "EDGE_PREFIX",
    "JOIN_OUT_PREFIX",
    "JOIN_POINT_PREFIX",
    "NODE_PREFIX",
    "display_text",
    "dom_token",
    "qualify",
    "xml_text",
]

NODE_PREFIX: Final = "n-"
"""DOM id prefix of a node's ``<g>`` (a cluster's, for a subgraph node)."""
EDGE_PREFIX: Final = "e-"
"""DOM id prefix of an edge's ``<g>``."""
JOIN_POINT_PREFIX: Final = "j-"
"""DOM id prefix of the junction point where the edges of one join meet."""
JOIN_OUT_PREFIX: Final = "je-"
"""DOM id prefix of the edge from a join's junction point to the join's target."""

_SAFE: Final = frozenset(string.ascii_letters + string.digits + "_-")
_XML_INVALID: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CONTROL: Final = re.compile("[\x00-\x1f\x7f]")
_CONTROL_PICTURES: Final = 0x2400
_DELETE_PICTURE: Final = "\u2421"


def dom_token(text: str) -> str:
    """A token safe in an HTML id, a DOT id and a CSS class, one-to-one with ``text``.

    Args:
        text: any string.

    Returns:
        ``text`` with every character outside ``[A-Za-z0-9_-]`` replaced by the ``%XX`` escapes
        of its UTF-8 bytes.

    Example:
        >>> dom_token("call_model")
        'call_model'
        >>> dom_token('a "b"')
        'a%20%22b%22'
    """
    return "".join(
        char
        if char in _SAFE
        else "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        for char in text
    )


def xml_text(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids replaced by U+FFFD (still needs escaping).

    Example:
        >>> xml_text("a\\x00b")
        'a\\ufffdb'
    """
    return _XML_INVALID.sub("\ufffd", text)


def display_text(text: str) -> str:
    """``text`` as shown in a label: control characters become visible control pictures.

    Example:
        >>> display_text("a\\nb")
        'a\\u240ab'
    """
    shown = _CONTROL.sub(_control_picture, text)
    return xml_text(shown)


def qualify(prefix: str, local_id: str) -> str:
    """The id of a node or edge of a nested graph: the parent node's id, ``|``, the local id.

    Example:
        >>> qualify("", "agent")
        'agent'
        >>> qualify(qualify("", "sub"), "agent")
        'sub|agent'
    """
    return f"{prefix}{NS_SEP}{local_id}" if prefix else local_id


def _control_picture(match: re.Match[str]) -> str:
    char = match.group()
    return _DELETE_PICTURE if char == "\x7f" else chr(_CONTROL_PICTURES + ord(char))
