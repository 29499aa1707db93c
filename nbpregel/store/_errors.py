"""Errors raised by the long-term store; each names the value at fault and the fix.

The hierarchy (all under :class:`~nbpregel.errors.NbPregelError`)::

    StoreError
    ├── InvalidNamespaceError      a namespace or prefix the store refuses (also a ValueError)
    ├── InvalidStoreArgumentError  a key, value, filter, limit, index or op it refuses (ValueError)
    ├── TTLNotSupportedError       a ``ttl`` given to a store without TTL (NotImplementedError)
    └── EmbeddingError             the ``embed`` of an index failed or returned the wrong shape

A refused operation changes nothing stored: a batch is checked whole before any write.

>>> from nbpregel.store import InMemoryStore, InvalidNamespaceError
>>> try:
...     InMemoryStore().put(("users", "a.b"), "k", {})
... except InvalidNamespaceError as error:
...     print(error)
namespace label 'a.b' in ('users', 'a.b') contains '.': labels cannot contain periods; \
use another separator, e.g. 'a_b'
"""

from __future__ import annotations

from typing import Any

from nbpregel.errors import NbPregelError

__all__ = [
    "EmbeddingError",
    "InvalidNamespaceError",
    "InvalidStoreArgumentError",
    "StoreError",
    "TTLNotSupportedError",
]


class StoreError(NbPregelError):
    """Base class of the errors a store raises on purpose."""


class InvalidNamespaceError(StoreError, ValueError):
    """A namespace, a search prefix or a ``list_namespaces`` path the store refuses."""


class InvalidStoreArgumentError(StoreError, ValueError):
    """A key, value, filter, limit, offset, match condition, index config or op it refuses."""


class TTLNotSupportedError(StoreError, NotImplementedError):
    """A ``ttl`` (other than ``None``) was given to a store that cannot expire items."""


class EmbeddingError(StoreError):
    """The index's ``embed`` cannot be used as called, or returned vectors of the wrong shape."""


def kind_of(value: Any) -> str:
    """``value``'s type name with its article, for messages: ``'an int'``, ``'a str'``.

    >>> kind_of(7), kind_of("x")
    ('an int', 'a str')
    """
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"
