"""``batch`` / ``abatch`` and ``get_subgraphs`` / ``aget_subgraphs``, as a LangGraph notebook
calls them on a compiled graph: each test runs on both libraries and expects the same."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from typing import Any, TypedDict

import pytest

from nbpregel.checkpoint import InMemorySaver

from .graphs import NBPREGEL, Lib, langgraph_lib

pytestmark = pytest.mark.timeout(30)
LIBS = ["nbpregel", "langgraph"]


def lib_of(name: str) -> Lib:
    return NBPREGEL if name == "nbpregel" else langgraph_lib()


def saver_of(name: str) -> Any:
    if name == "nbpregel":
        return InMemorySaver()
    from langgraph.checkpoint.memory import InMemorySaver as LangGraphSaver

    return LangGraphSaver()


class Count(TypedDict):
    n: int


class Gauge:
    """How many nodes run at the same time, at most."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = self.most = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def __exit__(self, *_: Any) -> None:
        with self.lock:
            self.now -= 1


def doubling(lib: Lib, gauge: Gauge | None = None, **compile_kwargs: Any) -> Any:
    """``START -> double -> END``; a negative ``n`` fails the node, naming it."""

    def double(state: Count) -> dict[str, int]:
        if state["n"] < 0:
            raise ValueError(f"negative {state['n']}")
        if gauge is not None:
            with gauge:
                time.sleep(0.05)
        return {"n": state["n"] * 2}

    builder = lib.StateGraph(Count)
    builder.add_node("double", double)
    builder.add_edge(lib.START, "double")
    builder.add_edge("double", lib.END)
    return builder.compile(**compile_kwargs)


@pytest.mark.parametrize("lib_name", LIBS)
def test_batch_returns_the_outputs_in_the_inputs_order(lib_name: str) -> None:
    app = doubling(lib_of(lib_name))
    assert app.batch([{"n": i} for i in range(6)]) == [{"n": 2 * i} for i in range(6)]
    assert app.batch([]) == []
    assert app.batch([{"n": 1}, {"n": 2}], stream_mode="updates") == [
        [{"double": {"n": 2}}],
        [{"double": {"n": 4}}],
    ]


@pytest.mark.parametrize("lib_name", LIBS)
def test_batch_errors_raise_the_first_or_take_their_place(lib_name: str) -> None:
    app = doubling(lib_of(lib_name))
    outputs = app.batch([{"n": 1}, {"n": -2}, {"n": 3}], return_exceptions=True)
    assert outputs[0] == {"n": 2} and outputs[2] == {"n": 6}
    assert isinstance(outputs[1], ValueError) and str(outputs[1]) == "negative -2"
    with pytest.raises(ValueError, match="negative -2"):  # the first in the inputs' order
        app.batch([{"n": 1}, {"n": -2}, {"n": -3}])


@pytest.mark.parametrize("lib_name", LIBS)
def test_batch_takes_a_config_per_input_and_checks_their_number(lib_name: str) -> None:
    app = doubling(lib_of(lib_name), checkpointer=saver_of(lib_name))
    threads = [{"configurable": {"thread_id": f"t{i}"}} for i in range(3)]
    assert app.batch([{"n": i} for i in range(3)], threads) == [{"n": 0}, {"n": 2}, {"n": 4}]
    assert [app.get_state(config).values for config in threads] == [{"n": 2 * i} for i in range(3)]
    with pytest.raises(ValueError, match="2 configs for 1 inputs"):
        app.batch([{"n": 1}], [{}, {}])


@pytest.mark.parametrize("lib_name", LIBS)
def test_max_concurrency_caps_the_runs_at_once(lib_name: str) -> None:
    gauge = Gauge()
    app = doubling(lib_of(lib_name), gauge)
    assert app.batch([{"n": i} for i in range(6)], {"max_concurrency": 2}) == [
        {"n": 2 * i} for i in range(6)
    ]
    assert gauge.most == 2
    free = Gauge()
    doubling(lib_of(lib_name), free).batch([{"n": i} for i in range(6)])
    assert free.most > 2  # without a cap the runs overlap (six sleeping nodes)


@pytest.mark.parametrize("lib_name", LIBS)
def test_abatch_gives_what_batch_gives(lib_name: str) -> None:
    app = doubling(lib_of(lib_name))
    inputs = [{"n": 1}, {"n": -2}, {"n": 3}]
    outputs = asyncio.run(app.abatch(inputs, return_exceptions=True))
    assert outputs[0] == {"n": 2} and outputs[2] == {"n": 6}
    assert isinstance(outputs[1], ValueError)
    with pytest.raises(ValueError, match="negative -2"):
        asyncio.run(app.abatch(inputs))
    gauge = Gauge()
    capped = doubling(lib_of(lib_name), gauge)
    asyncio.run(capped.abatch([{"n": i} for i in range(4)], {"max_concurrency": 1}))
    assert gauge.most == 1


def nested(lib: Lib) -> Any:
    """``sub`` runs a graph that runs ``inner``; ``other`` runs a graph; ``plain`` is a node."""

    def inc(state: Count) -> dict[str, int]:
        return {"n": state["n"] + 1}

    def chain(*steps: tuple[str, Any]) -> Any:
        builder = lib.StateGraph(Count)
        for name, action in steps:
            builder.add_node(name, action)
        names = [lib.START, *(name for name, _ in steps), lib.END]
        for source, target in itertools.pairwise(names):
            builder.add_edge(source, target)
        return builder.compile()

    middle = chain(("inner", chain(("x", inc))), ("p", inc))
    return chain(("sub", middle), ("other", chain(("y", inc))), ("plain", inc))


@pytest.mark.parametrize("lib_name", LIBS)
@pytest.mark.parametrize(
    ("namespace", "recurse", "expected"),
    [
        (None, False, ["sub", "other"]),
        (None, True, ["sub", "sub|inner", "other"]),
        ("sub", False, ["sub"]),
        ("sub", True, ["sub"]),
        ("sub|inner", True, ["sub|inner"]),
        ("sub|inner", False, []),
        ("other", False, ["other"]),
        ("su", True, []),
        ("plain", True, []),
        ("", True, []),
    ],
)
def test_get_subgraphs_names_the_graphs_nodes_run(
    lib_name: str, namespace: str | None, recurse: bool, expected: list[str]
) -> None:
    app = nested(lib_of(lib_name))
    found = list(app.get_subgraphs(namespace=namespace, recurse=recurse))
    assert [name for name, _ in found] == expected
    for name, graph in found:  # each is the compiled graph itself: it runs
        assert graph.invoke({"n": 0}) == {"n": {"sub": 2, "sub|inner": 1, "other": 1}[name]}

    async def names() -> list[str]:
        return [name async for name, _ in app.aget_subgraphs(namespace=namespace, recurse=recurse)]

    assert asyncio.run(names()) == expected


def test_get_subgraphs_reads_a_streamed_namespace_too() -> None:
    """Unlike LangGraph, task ids in a namespace (as ``stream(subgraphs=True)`` gives them)
    are ignored, so a streamed namespace finds its graph."""
    app = nested(NBPREGEL)
    namespaces = {ns for ns, _ in app.stream({"n": 0}, subgraphs=True) if len(ns) == 2}
    (streamed,) = namespaces
    found = list(app.get_subgraphs(namespace="|".join(streamed), recurse=True))
    assert [name for name, _ in found] == ["sub|inner"]
