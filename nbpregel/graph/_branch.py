"""Conditional edges: a routing function read after its node runs, and the targets it may pick."""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

from nbpregel.constants import END
from nbpregel.errors import GraphValidationError, InvalidUpdateError
from nbpregel.types import Send

__all__ = ["Branch", "literal_targets"]


def literal_targets(annotation: Any) -> tuple[str, ...] | None:
    """The node names a ``Literal[...]`` (or ``Command[Literal[...]]``) return annotation lists."""
    if annotation is inspect.Signature.empty or annotation is None:
        return None
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return tuple(str(arg) for arg in typing.get_args(annotation))
    if origin is not None:
        found: list[str] = []
        for arg in typing.get_args(annotation):
            names = literal_targets(arg)
            if names:
                found.extend(names)
        return tuple(found) or None
    return None


def _return_annotation(fn: Callable[..., Any]) -> Any:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:
        return None
    return hints.get("return")


@dataclasses.dataclass(frozen=True, slots=True)
class Branch:
    """A routing function and the map from its answers to node names.

    Attributes:
        source: the node the branch leaves.
        path: called with the state (after the source's own writes) to choose where to go.
        path_map: answer -> node name, or ``None`` when answers are node names already.
        name: the routing function's name (for drawing and errors).
    """

    source: str
    path: Callable[..., Any]
    path_map: Mapping[Hashable, str] | None
    name: str

    @classmethod
    def create(
        cls,
        source: str,
        path: Callable[..., Any],
        path_map: Mapping[Hashable, str] | Sequence[str] | None,
    ) -> Branch:
        """Validate and normalise ``add_conditional_edges`` arguments."""
        if inspect.iscoroutinefunction(path):
            raise GraphValidationError(
                f"routing function {getattr(path, '__name__', path)!r} of node {source!r} is "
                f"async: routing functions must be plain functions (do async work in a node)"
            )
        mapping: dict[Hashable, str] | None
        if path_map is None:
            mapping = None
        elif isinstance(path_map, Mapping):
            mapping = dict(path_map)
        else:
            mapping = {name: name for name in path_map}
        name = getattr(path, "__name__", type(path).__name__)
        return cls(source=source, path=path, path_map=mapping, name=name)

    def targets(self) -> tuple[str, ...] | None:
        """The nodes this branch may route to, when known (from the map or a Literal hint)."""
        if self.path_map is not None:
            return tuple(dict.fromkeys(self.path_map.values()))
        return literal_targets(_return_annotation(self.path))

    def route(self, state: Any, nodes: Mapping[str, Any]) -> list[str | Send]:
        """Call the routing function and map its answer to node names and ``Send`` packets."""
        answer = self.path(state)
        answers = answer if isinstance(answer, list | tuple) else [answer]
        routed: list[str | Send] = []
        for item in answers:
            if isinstance(item, Send):
                routed.append(item)
                continue
            target = item
            if self.path_map is not None:
                if item not in self.path_map:
                    raise InvalidUpdateError(
                        f"routing function {self.name!r} of node {self.source!r} returned "
                        f"{item!r}, which is not in its path_map {list(self.path_map)}"
                    )
                target = self.path_map[item]
            if target != END and target not in nodes:
                raise InvalidUpdateError(
                    f"routing function {self.name!r} of node {self.source!r} returned "
                    f"{target!r}, which is not a node: known nodes are {sorted(nodes)} and END"
                )
            routed.append(target)
        return routed
