"""Subgraph test graphs, each declared once for nbpregel and LangGraph (see ``Lib``).

No ``from __future__ import annotations``: the state schemas are read at build time.
"""

import dataclasses
import operator
import re
from types import ModuleType
from typing import Annotated, Any, TypedDict

from persistence.support import Calls, normalize

__all__ = [
    "LIBS",
    "Lib",
    "State",
    "build_ask_in_sub",
    "build_nested_asks",
    "build_node_calls_subgraphs",
    "build_parent_command",
    "build_sub_with_writer",
    "lib_named",
    "shape",
]


class State(TypedDict):
    """Every test graph's state: a plain value and an append-only log."""

    x: int
    log: Annotated[list, operator.add]


@dataclasses.dataclass(frozen=True)
class Lib:
    """The public names a test graph is built from, in one library's spelling."""

    name: str
    graph: ModuleType
    types: ModuleType
    memory: Any
    stream_writer: Any

    def saver(self) -> Any:
        return self.memory()


def lib_named(name: str) -> Lib:
    """nbpregel's or LangGraph's names (LangGraph imported on demand: a test-only dependency)."""
    if name == "nbpregel":
        import nbpregel
        from nbpregel.checkpoint import InMemorySaver

        return Lib(name, nbpregel, nbpregel, InMemorySaver, nbpregel.get_stream_writer)
    from langgraph import graph, types
    from langgraph.checkpoint.memory import InMemorySaver as LgSaver
    from langgraph.config import get_stream_writer

    return Lib(name, graph, types, LgSaver, get_stream_writer)


LIBS = ("nbpregel", "langgraph")


def _graph(lib: Lib, nodes: dict[str, Any], edges: list[tuple[str, str]], **kw: Any) -> Any:
    builder = lib.graph.StateGraph(State)
    for name, action in nodes.items():
        if isinstance(action, tuple):
            builder.add_node(name, action[0], **action[1])
        else:
            builder.add_node(name, action)
    for source, target in edges:
        builder.add_edge(source, target)
    return builder.compile(**kw)


def _logging(calls: Calls, name: str, dx: int = 0) -> Any:
    def node(state: State) -> dict[str, Any]:
        calls.add(name)
        return {"x": state["x"] + dx, "log": [name]}

    return node


def _asking(lib: Lib, calls: Calls, name: str) -> Any:
    def node(state: State) -> dict[str, Any]:
        calls.add(name)
        answer = lib.types.interrupt(f"{name}?")
        return {"log": [f"{name}={answer}"]}

    return node


def build_ask_in_sub(lib: Lib, calls: Calls, **kw: Any) -> Any:
    """pre -> sub(inc -> ask) -> post; ``ask`` interrupts inside the subgraph."""
    s, e = lib.graph.START, lib.graph.END
    sub = _graph(
        lib,
        {"inc": _logging(calls, "inc", 1), "ask": _asking(lib, calls, "ask")},
        [(s, "inc"), ("inc", "ask"), ("ask", e)],
    )
    return _graph(
        lib,
        {"pre": _logging(calls, "pre", 10), "sub": sub, "post": _logging(calls, "post")},
        [(s, "pre"), ("pre", "sub"), ("sub", "post"), ("post", e)],
        **kw,
    )


def build_nested_asks(lib: Lib, calls: Calls, **kw: Any) -> Any:
    """A subgraph in a subgraph interrupts while a parallel root node interrupts too."""
    s, e = lib.graph.START, lib.graph.END
    inner = _graph(lib, {"deep": _asking(lib, calls, "deep")}, [(s, "deep"), ("deep", e)])
    mid = _graph(
        lib, {"pre": _logging(calls, "mid_pre"), "inner": inner}, [(s, "pre"), ("pre", "inner")]
    )
    return _graph(
        lib,
        {"a": mid, "b": _asking(lib, calls, "b")},
        [(s, "a"), (s, "b"), ("a", e), ("b", e)],
        **kw,
    )


def build_parent_command(lib: Lib, calls: Calls, **kw: Any) -> Any:
    """A subgraph node routes the parent with ``Command(graph=Command.PARENT)``."""
    s, e = lib.graph.START, lib.graph.END
    command = lib.types.Command

    def jump(state: State) -> Any:
        calls.add("jump")
        return command(graph=command.PARENT, update={"x": 100, "log": ["jump"]}, goto="post")

    sub = _graph(
        lib, {"inc": _logging(calls, "inc", 1), "jump": jump}, [(s, "inc"), ("inc", "jump")]
    )
    return _graph(
        lib,
        {"sub": (sub, {"destinations": ("post",)}), "post": _logging(calls, "post")},
        [(s, "sub"), ("post", e)],
        **kw,
    )


def build_sub_with_writer(lib: Lib, calls: Calls, **kw: Any) -> Any:
    """A subgraph node emits ``custom`` chunks; two subgraph steps and a parent step."""
    s, e = lib.graph.START, lib.graph.END
    writer_of = lib.stream_writer

    def talk(state: State) -> dict[str, Any]:
        calls.add("talk")
        writer_of()({"said": state["x"]})
        return {"x": state["x"] + 1, "log": ["talk"]}

    sub = _graph(
        lib,
        {"talk": talk, "more": _logging(calls, "more", 2)},
        [(s, "talk"), ("talk", "more"), ("more", e)],
    )
    return _graph(lib, {"sub": sub, "end": _logging(calls, "end")}, [(s, "sub"), ("sub", "end")])


def build_node_calls_subgraphs(lib: Lib, calls: Calls, **kw: Any) -> Any:
    """A node's function invokes two subgraphs three times (namespaces ``…``, ``…|1``, ``…|2``)."""
    s = lib.graph.START
    one = _graph(lib, {"one": _logging(calls, "one", 1)}, [(s, "one")])
    two = _graph(lib, {"two": _logging(calls, "two", 10)}, [(s, "two")])

    def caller(state: State) -> dict[str, Any]:
        calls.add("caller")
        a = one.invoke({"x": state["x"], "log": []})
        b = two.invoke({"x": a["x"], "log": []})
        c = one.invoke({"x": b["x"], "log": []})
        return {"x": c["x"], "log": ["caller"]}

    return _graph(lib, {"caller": caller}, [(s, "caller")], **kw)


_TASK_ID = re.compile(r":[0-9a-f-]{32,36}")


def shape(value: Any) -> Any:
    """``value`` comparable across libraries: task ids in namespaces and interrupt ids dropped.

    >>> shape((("sub:0123456789abcdef0123456789abcdef", "1"), "updates", {"a": 1}))
    [['sub', '1'], 'updates', {'a': 1}]
    """
    if isinstance(value, str):
        return _TASK_ID.sub("", value)
    if type(value).__name__ == "Interrupt":
        return normalize(value)
    if isinstance(value, dict):
        return normalize({shape(k): shape(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [shape(item) for item in value]
    return value
