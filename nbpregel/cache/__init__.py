"""Node caches: reuse a node's writes when it runs again on an equal input.

Give a node a :class:`~nbpregel.types.CachePolicy` and the graph a cache::

    builder.add_node("embed", embed, cache_policy=CachePolicy(ttl=3600))
    graph = builder.compile(cache=InMemoryCache())  # or SqliteCache(path="cache.db")

A task whose node has a policy and whose input was seen before is not executed: its writes come
from the cache, the ``updates`` stream marks it with ``"__metadata__": {"cached": True}``, and
its ``tasks`` chunk says ``"cached": True``. ``graph.clear_cache()`` empties it.

>>> from nbpregel.cache import InMemoryCache, SqliteCache
>>> InMemoryCache()
InMemoryCache(0 entries)
"""

from nbpregel.cache.base import BaseCache, FullKey, Namespace
from nbpregel.cache.memory import InMemoryCache
from nbpregel.cache.sqlite import SqliteCache

__all__ = ["BaseCache", "FullKey", "InMemoryCache", "Namespace", "SqliteCache"]
