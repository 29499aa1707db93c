"""Graphs and helpers shared by the persistence tests.

Every graph is declared once by a ``build(lib, calls, **compile_kwargs)`` function, where ``lib``
is nbpregel's or LangGraph's spelling of the public names (:class:`Lib`), so the differential tests
build the very same graph with both libraries. Nodes record each execution in a :class:`Calls`
counter (that is how the tests see which tasks ran again after a resume) and append their name to
the ``log`` key, a reducer channel (``Annotated[list, operator.add]``), so a write applied twice
shows up in the final state.

This module deliberately has no ``from __future__ import annotations``: the state schemas are
read by both libraries at build time.
"""

import asyncio
import collections
import dataclasses
import itertools
import operator
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypedDict

__all__ = [
    "NBPREGEL",
    "Api",
    "Calls",
    "Lib",
    "Log",
    "Scenario",
    "Scenarios",
    "build_ask_once",
    "build_ask_twice",
    "build_chain",
    "build_fan",
    "build_flaky",
    "build_parallel_asks",
    "langgraph_lib",
    "normalize",
    "saver_contents",
    "thread",
]


class Log(TypedDict):
    """The state of every test graph: an append-only log and one plain value."""

    log: Annotated[list, operator.add]
    n: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class Lib:
    """One library's spelling of the public names the test graphs and workflows are built from."""

    name: str
    StateGraph: Any
    START: str
    END: str
    Send: Any
    Command: Any
    StateUpdate: Any
    InvalidUpdateError: type[Exception]
    interrupt: Callable[[Any], Any]
    RetryPolicy: Any
    CachePolicy: Any
    entrypoint: Any
    task: Any
    memory_cache: Callable[[], Any]
    memory_saver: Callable[[], Any]
    sqlite_saver: Callable[[Path], Any]

    def saver(self, kind: str, path: Path) -> Any:
        """A saver of ``kind`` (``"memory"`` or ``"sqlite"``); SQLite savers use ``path``."""
        return self.memory_saver() if kind == "memory" else self.sqlite_saver(path)


def _nbpregel_lib() -> Lib:
    import nbpregel
    from nbpregel.cache import InMemoryCache
    from nbpregel.checkpoint import InMemorySaver, SqliteSaver
    from nbpregel.func import entrypoint, task

    return Lib(
        name="nbpregel",
        StateGraph=nbpregel.StateGraph,
        START=nbpregel.START,
        END=nbpregel.END,
        Send=nbpregel.Send,
        Command=nbpregel.Command,
        StateUpdate=nbpregel.types.StateUpdate,
        InvalidUpdateError=nbpregel.errors.InvalidUpdateError,
        interrupt=nbpregel.interrupt,
        RetryPolicy=nbpregel.RetryPolicy,
        CachePolicy=nbpregel.CachePolicy,
        entrypoint=entrypoint,
        task=task,
        memory_cache=InMemoryCache,
        memory_saver=InMemorySaver,
        sqlite_saver=SqliteSaver,
    )


def langgraph_lib() -> Lib:
    """LangGraph's spelling (imported on demand: LangGraph is a test-only dependency)."""
    from langgraph import errors, func, graph, types
    from langgraph.cache.memory import InMemoryCache
    from langgraph.checkpoint.memory import InMemorySaver

    def sqlite_saver(path: Path) -> Any:
        from langgraph.checkpoint.sqlite import SqliteSaver

        return SqliteSaver(sqlite3.connect(path, check_same_thread=False))

    return Lib(
        name="langgraph",
        StateGraph=graph.StateGraph,
        START=graph.START,
        END=graph.END,
        Send=types.Send,
        Command=types.Command,
        StateUpdate=types.StateUpdate,
        InvalidUpdateError=errors.InvalidUpdateError,
        interrupt=types.interrupt,
        RetryPolicy=types.RetryPolicy,
        CachePolicy=types.CachePolicy,
        entrypoint=func.entrypoint,
        task=func.task,
        memory_cache=InMemoryCache,
        memory_saver=InMemorySaver,
        sqlite_saver=sqlite_saver,
    )


NBPREGEL = _nbpregel_lib()


class Calls:
    """Counts node executions (thread-safe: parallel tasks run in worker threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.names: list[str] = []

    def add(self, name: str) -> None:
        with self._lock:
            self.names.append(name)

    def __getitem__(self, name: str) -> int:
        with self._lock:
            return self.names.count(name)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(collections.Counter(self.names))

    def clear(self) -> None:
        with self._lock:
            self.names.clear()


def thread(thread_id: str = "1") -> dict[str, Any]:
    """The config of a thread."""
    return {"configurable": {"thread_id": thread_id}}


# -- graphs --------------------------------------------------------------------------------


def _counting(calls: Calls, name: str) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        calls.add(name)
        return {"log": [name], "n": state["n"] + 1}

    return node


def _logging(calls: Calls, name: str, sleep: float = 0.0) -> Callable[[Any], dict[str, Any]]:
    def node(state: Any) -> dict[str, Any]:
        calls.add(name)
        time.sleep(sleep)
        return {"log": [name]}

    return node


def _line(lib: Lib, nodes: dict[str, Callable[[Any], Any]], **compile_kwargs: Any) -> Any:
    """``START -> first -> ... -> last -> END`` over ``nodes``, in their order."""
    g = lib.StateGraph(Log)
    for name, node in nodes.items():
        g.add_node(name, node)
    names = [lib.START, *nodes, lib.END]
    for source, target in itertools.pairwise(names):
        g.add_edge(source, target)
    return g.compile(**compile_kwargs)


def build_chain(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """``START -> a -> b -> c -> END``; each node appends its name and adds 1 to ``n``."""
    nodes = {name: _counting(calls, name) for name in ("a", "b", "c")}
    return _line(lib, nodes, **compile_kwargs)


def build_ask_once(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """``a -> ask -> b``: ``ask`` asks one question and logs the answer (and ``n``)."""

    def ask(state: Any) -> dict[str, Any]:
        calls.add("ask")
        answer = lib.interrupt("q1")
        return {"log": [f"ask:{answer}:{state['n']}"]}

    nodes = {"a": _counting(calls, "a"), "ask": ask, "b": _counting(calls, "b")}
    return _line(lib, nodes, **compile_kwargs)


def build_ask_twice(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """``ask -> done``: ``ask`` asks two questions in a row."""

    def ask(state: Any) -> dict[str, Any]:
        calls.add("ask")
        first = lib.interrupt("q1")
        second = lib.interrupt("q2")
        return {"log": [f"ask:{first}:{second}"]}

    return _line(lib, {"ask": ask, "done": _logging(calls, "done")}, **compile_kwargs)


def build_parallel_asks(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """``x``, ``y`` (each asks a question) and ``p`` (plain) in one step, then ``end``."""

    def asker(name: str) -> Callable[[Any], dict[str, Any]]:
        def node(state: Any) -> dict[str, Any]:
            calls.add(name)
            answer = lib.interrupt(f"q-{name}")
            return {"log": [f"{name}:{answer}:{state['n']}"]}

        return node

    g = lib.StateGraph(Log)
    g.add_node("x", asker("x"))
    g.add_node("y", asker("y"))
    g.add_node("p", _logging(calls, "p"))
    g.add_node("end", _logging(calls, "end"))
    for name in ("x", "y", "p"):
        g.add_edge(lib.START, name)
    g.add_edge(["x", "y", "p"], "end")
    g.add_edge("end", lib.END)
    return g.compile(**compile_kwargs)


def build_fan(lib: Lib, calls: Calls, **compile_kwargs: Any) -> Any:
    """``x`` and ``y`` in parallel (both append to the log), then ``z``."""
    g = lib.StateGraph(Log)
    for name in ("x", "y", "z"):
        g.add_node(name, _logging(calls, name))
    g.add_edge(lib.START, "x")
    g.add_edge(lib.START, "y")
    g.add_edge("x", "z")
    g.add_edge("y", "z")
    g.add_edge("z", lib.END)
    return g.compile(**compile_kwargs)


def build_flaky(lib: Lib, calls: Calls, failing: set[str], **compile_kwargs: Any) -> Any:
    """``x`` (slow), ``y`` and ``bad`` in parallel, then ``z``.

    ``bad`` raises while its name is in ``failing``.
    """

    def bad(state: Any) -> dict[str, Any]:
        calls.add("bad")
        if "bad" in failing:
            raise ValueError("bad is broken")
        return {"log": ["bad"], "n": 7}

    g = lib.StateGraph(Log)
    g.add_node("x", _logging(calls, "x", sleep=0.05))
    g.add_node("y", _logging(calls, "y"))
    g.add_node("bad", bad)
    g.add_node("z", _logging(calls, "z"))
    for name in ("x", "y", "bad"):
        g.add_edge(lib.START, name)
        g.add_edge(name, "z")
    g.add_edge("z", lib.END)
    return g.compile(**compile_kwargs)


# -- observing -----------------------------------------------------------------------------


def saver_contents(saver: Any) -> str:
    """Everything a saver holds (every thread's checkpoints and pending writes), comparable."""
    return repr([tuple(item) for item in saver.list(None)])


def normalize(value: Any) -> Any:
    """``value`` with each ``Interrupt`` replaced by its value (ids differ between libraries).

    >>> from nbpregel import Interrupt
    >>> normalize({"__interrupt__": [Interrupt("b"), Interrupt("a")], "log": []})
    {'__interrupt__': [('Interrupt', 'a'), ('Interrupt', 'b')], 'log': []}
    """
    if type(value).__name__ == "Interrupt":
        return ("Interrupt", normalize(value.value))
    if isinstance(value, dict):
        normal = {key: normalize(item) for key, item in value.items()}
        if "__interrupt__" in normal:  # parallel tasks' interrupts come in no set order
            normal["__interrupt__"] = sorted(normal["__interrupt__"], key=repr)
        return normal
    if isinstance(value, list | tuple):
        return [normalize(item) for item in value]
    return value


@dataclasses.dataclass(frozen=True)
class Api:
    """A compiled graph's run and state API, called through its sync or its async methods."""

    use_async: bool

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run(coroutine)

    def invoke(self, app: Any, input: Any, config: Any, **kwargs: Any) -> Any:
        if not self.use_async:
            return app.invoke(input, config, **kwargs)
        return self._run(app.ainvoke(input, config, **kwargs))

    def stream(self, app: Any, input: Any, config: Any, **kwargs: Any) -> list[Any]:
        if not self.use_async:
            return list(app.stream(input, config, **kwargs))

        async def collect() -> list[Any]:
            return [chunk async for chunk in app.astream(input, config, **kwargs)]

        return self._run(collect())

    def get_state(self, app: Any, config: Any) -> Any:
        if not self.use_async:
            return app.get_state(config)
        return self._run(app.aget_state(config))

    def history(self, app: Any, config: Any, **kwargs: Any) -> list[Any]:
        if not self.use_async:
            return list(app.get_state_history(config, **kwargs))

        async def collect() -> list[Any]:
            return [snap async for snap in app.aget_state_history(config, **kwargs)]

        return self._run(collect())

    def update_state(self, app: Any, config: Any, values: Any, as_node: str | None = None) -> Any:
        if not self.use_async:
            return app.update_state(config, values, as_node=as_node)
        return self._run(app.aupdate_state(config, values, as_node=as_node))


Scenario = Callable[[Lib, Any], list[Any]]
"""A side-by-side scenario: run with one library on one saver, what both must agree on."""


class Scenarios(dict[str, Scenario]):
    """Named side-by-side scenarios: decorating a function with the instance registers it
    under its name. A scenario builds and runs its graphs with ``lib`` on ``saver`` and returns
    what the two libraries must agree on."""

    def __call__(self, fn: Scenario) -> Scenario:
        self[fn.__name__] = fn
        return fn

    def compare(self, name: str, saver_kind: str, tmp_path: Path) -> None:
        """Run scenario ``name`` with each library on a fresh saver of ``saver_kind`` and
        assert they agree."""
        observed = {}
        for lib in (NBPREGEL, langgraph_lib()):
            saver = lib.saver(saver_kind, tmp_path / f"{lib.name}.db")
            observed[lib.name] = self[name](lib, saver)
        assert observed["nbpregel"] == observed["langgraph"]
