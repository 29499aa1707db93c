"""Default run configs: a compiled graph's ``config``, set through ``with_config``.

A graph's default config sits under every run's own: the run's keys win, and the nested
``configurable`` and ``metadata`` dicts are merged key by key; ``tags`` are joined.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final, TypeVar

__all__ = ["ConfigMixin", "merge_configs"]

_MERGED: Final = ("configurable", "metadata")
_JOINED: Final = "tags"

G = TypeVar("G", bound="ConfigMixin")


def merge_configs(*configs: Mapping[str, Any] | None) -> dict[str, Any]:
    """One config from several; later ones win (``configurable`` and ``metadata`` merge).

    Example:
        >>> merge_configs(
        ...     {"configurable": {"thread_id": "1"}, "tags": ["a"], "recursion_limit": 5},
        ...     {"configurable": {"user": "u"}, "tags": ["b"], "recursion_limit": 9},
        ... )
        {'configurable': {'thread_id': '1', 'user': 'u'}, 'tags': ['a', 'b'], 'recursion_limit': 9}
    """
    merged: dict[str, Any] = {}
    for config in configs:
        for key, value in (config or {}).items():
            if key in _MERGED and isinstance(value, Mapping):
                merged[key] = {**merged.get(key, {}), **value}
            elif key == _JOINED and value is not None:
                merged[key] = [*merged.get(key, []), *value]
            else:
                merged[key] = value
    return merged


class ConfigMixin:
    """A graph's default run config (``None``: none) and ``with_config`` to set it."""

    config: dict[str, Any] | None = None

    def with_config(self: G, config: Mapping[str, Any] | None = None, **kwargs: Any) -> G:
        """A copy of this graph whose runs start from ``config`` (and ``kwargs``).

        The copy shares nodes, channels and checkpointer with this graph; a run's own config
        still wins over it key by key.

        Example:
            >>> from nbpregel.channels import LastValue
            >>> from nbpregel.pregel import NodeBuilder, Pregel
            >>> node = NodeBuilder().subscribe_only("a").write_to("a")
            >>> app = Pregel(nodes={"n": node}, channels={"a": LastValue(int)},
            ...              input_channels="a", output_channels="a")
            >>> app.with_config(recursion_limit=3).config
            {'recursion_limit': 3}
        """
        graph = copy.copy(self)
        graph.config = merge_configs(self.config, config, kwargs)
        return graph

    def _run_config(self, config: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """A run's config over this graph's default one."""
        if not self.config:
            return config
        return merge_configs(self.config, config)
