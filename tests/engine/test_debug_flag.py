"""``debug=True`` (``compile``, ``Pregel``, the ``debug`` attribute, ``stream``/``invoke``):
the run prints its ``updates`` and ``values`` chunks to stdout, compared with LangGraph's.

The lines are worded differently on purpose; what is compared is which chunks are printed,
in which order, and whether their subgraph is named. A step's parallel updates may print in
either order (in completion order, in both libraries), so runs of them are compared sorted.
"""

from __future__ import annotations

import asyncio
import io
import operator
import re
from collections.abc import Callable
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel.pregel import _debug_print, main

pytestmark = pytest.mark.timeout(60)
LIBS = ["nbpregel", pytest.param("langgraph", marks=pytest.mark.langgraph)]

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LINES = {
    "nbpregel": re.compile(r"^\[debug\] (\w+)(?: \(in (.+?)\))?: (.*)$"),
    "langgraph": re.compile(r"^\[(\w+)\](?: \[graph=(.*?)\])? (.*)$"),
}
# Interrupt ids differ by library; LangGraph's repr has one more field.
_INTERRUPT = re.compile(r"Interrupt\(value=('[^']*'), id='[0-9a-f]+'[^)]*\)")
_NS_PART = re.compile(r"([A-Za-z_]\w*):[0-9a-f-]+")


class State(TypedDict):
    n: int
    log: Annotated[list[str], operator.add]


START_STATE: State = {"n": 0, "log": []}


def lib_parts(lib: str) -> dict[str, Any]:
    if lib == "nbpregel":
        import nbpregel
        from nbpregel.checkpoint.memory import InMemorySaver

        names = ("StateGraph", "START", "END", "Command", "interrupt")
        return {name: getattr(nbpregel, name) for name in names} | {"Saver": InMemorySaver}
    pytest.importorskip("langgraph")
    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.graph import END, START, StateGraph
    from langgraph.types import Command, interrupt

    return {
        "StateGraph": StateGraph,
        "START": START,
        "END": END,
        "Command": Command,
        "interrupt": interrupt,
        "Saver": InMemorySaver,
    }


def logs(name: str, n: int | None = None) -> Callable[[State], dict[str, Any]]:
    def node(state: State) -> dict[str, Any]:
        update: dict[str, Any] = {} if n is None else {"n": n}
        update["log"] = [name]
        return update

    return node


def diamond(lib: str, *, debug: bool = True) -> Any:
    """``a``, then ``b`` and ``c`` in parallel, then ``d``."""
    p = lib_parts(lib)
    builder = p["StateGraph"](State)
    builder.add_node("a", logs("a", 1))
    for name in "bcd":
        builder.add_node(name, logs(name))
    builder.add_edge(p["START"], "a")
    builder.add_edge("a", "b")
    builder.add_edge("a", "c")
    builder.add_edge(["b", "c"], "d")
    builder.add_edge("d", p["END"])
    return builder.compile(debug=debug)


def nested(lib: str, *, outer_debug: bool, inner_debug: bool) -> Any:
    """``pre``, then the subgraph ``sub`` (one node, ``inner``)."""
    p = lib_parts(lib)
    inner = p["StateGraph"](State)
    inner.add_node("inner", logs("inner"))
    inner.add_edge(p["START"], "inner")
    outer = p["StateGraph"](State)
    outer.add_node("pre", logs("pre", 5))
    outer.add_node("sub", inner.compile(debug=inner_debug))
    outer.add_edge(p["START"], "pre")
    outer.add_edge("pre", "sub")
    return outer.compile(debug=outer_debug)


def asking(lib: str, **compile_kwargs: Any) -> Any:
    """``x``, then ``ask``, which calls ``interrupt``; with a checkpointer."""
    p = lib_parts(lib)

    def ask(state: State) -> dict[str, Any]:
        return {"log": [p["interrupt"]("q?")]}

    builder = p["StateGraph"](State)
    builder.add_node("x", logs("x", 1))
    builder.add_node("ask", ask)
    builder.add_edge(p["START"], "x")
    builder.add_edge("x", "ask")
    return builder.compile(checkpointer=p["Saver"](), debug=True, **compile_kwargs)


# -- the scenarios: each runs a graph of ``lib`` and returns what the caller got --------------


def parallel_invoke(lib: str) -> Any:
    return diamond(lib).invoke(START_STATE)


def parallel_stream_updates(lib: str) -> Any:
    return sorted(map(repr, diamond(lib).stream(START_STATE, stream_mode="updates")))


def parallel_stream_custom_and_tasks(lib: str) -> Any:
    chunks = diamond(lib).stream(START_STATE, stream_mode=["custom", "tasks"])
    return sorted((mode, chunk["name"], "result" in chunk) for mode, chunk in chunks)


def subgraph_debug_parent_streams_subgraphs(lib: str) -> Any:
    graph = nested(lib, outer_debug=True, inner_debug=False)
    chunks = graph.stream(START_STATE, stream_mode="updates", subgraphs=True)
    return [(tuple(_NS_PART.findall("|".join(ns))), chunk) for ns, chunk in chunks]


def subgraph_debug_parent_invoke(lib: str) -> Any:
    return nested(lib, outer_debug=True, inner_debug=False).invoke(START_STATE)


def subgraph_debug_child_only(lib: str) -> Any:
    return nested(lib, outer_debug=False, inner_debug=True).invoke(START_STATE)


def subgraph_debug_both(lib: str) -> Any:
    return nested(lib, outer_debug=True, inner_debug=True).invoke(START_STATE)


def interrupt_then_resume(lib: str) -> Any:
    graph = asking(lib)
    config = {"configurable": {"thread_id": "t"}}
    paused = graph.invoke(START_STATE, config)
    done = graph.invoke(lib_parts(lib)["Command"](resume="yes"), config)
    return sorted(paused), done


def static_breakpoint(lib: str) -> Any:
    return asking(lib, interrupt_before=["ask"]).invoke(
        START_STATE, {"configurable": {"thread_id": "t"}}
    )


def async_runs(lib: str) -> Any:
    p = lib_parts(lib)

    async def node(state: State) -> dict[str, Any]:
        return {"log": ["an"]}

    builder = p["StateGraph"](State)
    builder.add_node("an", node)
    builder.add_edge(p["START"], "an")
    graph = builder.compile(debug=True)

    async def run() -> Any:
        result = await graph.ainvoke(START_STATE)
        return result, [chunk async for chunk in graph.astream(START_STATE, stream_mode="custom")]

    return asyncio.run(run())


def failing_run(lib: str) -> Any:
    p = lib_parts(lib)

    def boom(state: State) -> dict[str, Any]:
        raise ValueError("boom")

    builder = p["StateGraph"](State)
    builder.add_node("boom", boom)
    builder.add_edge(p["START"], "boom")
    with pytest.raises(ValueError, match="boom"):
        builder.compile(debug=True).invoke(START_STATE)
    return None


SCENARIOS = [
    parallel_invoke,
    parallel_stream_updates,
    parallel_stream_custom_and_tasks,
    subgraph_debug_parent_streams_subgraphs,
    subgraph_debug_parent_invoke,
    subgraph_debug_child_only,
    subgraph_debug_both,
    interrupt_then_resume,
    static_breakpoint,
    async_runs,
    failing_run,
]


def printed(text: str, lib: str) -> list[tuple[str, tuple[str, ...], str]]:
    """The debug lines of ``text`` as ``(mode, subgraph names, payload)``; runs of updates
    sorted (parallel tasks print in completion order)."""
    rows = []
    for raw in _ANSI.sub("", text).splitlines():
        match = _LINES[lib].match(raw)
        assert match is not None, f"not a debug line: {raw!r}"
        mode, ns, payload = match.groups()
        names = tuple(_NS_PART.findall(ns or ""))
        rows.append((mode, names, _INTERRUPT.sub(r"Interrupt(\1)", payload)))
    out: list[tuple[str, tuple[str, ...], str]] = []
    run: list[tuple[str, tuple[str, ...], str]] = []
    for row in [*rows, ("", (), "")]:
        if run and (row[0] != "updates" or row[1] != run[0][1]):
            out.extend(sorted(run))
            run = []
        if row[0] == "updates":
            run.append(row)
        elif row[0]:
            out.append(row)
    return out


def canon(value: Any) -> str:
    """``repr(value)`` without interrupt ids."""
    return _INTERRUPT.sub(r"Interrupt(\1)", repr(value))


def run_captured(
    scenario: Callable[[str], Any], lib: str, capsys: pytest.CaptureFixture[str]
) -> tuple[Any, list[tuple[str, tuple[str, ...], str]]]:
    capsys.readouterr()
    result = scenario(lib)
    captured = capsys.readouterr()
    assert captured.err == "", "debug lines go to stdout"
    return result, printed(captured.out, lib)


# -- compared with LangGraph -------------------------------------------------------------------


@pytest.mark.langgraph
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.__name__)
def test_the_same_chunks_are_printed_as_by_langgraph(
    scenario: Callable[[str], Any], capsys: pytest.CaptureFixture[str]
) -> None:
    ours, our_lines = run_captured(scenario, "nbpregel", capsys)
    theirs, their_lines = run_captured(scenario, "langgraph", capsys)
    assert our_lines == their_lines
    assert our_lines, "a debug run prints"
    assert canon(ours) == canon(theirs)  # and the caller gets what LangGraph's gets


def test_a_parallel_step_prints_each_update_then_the_state(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, lines = run_captured(parallel_invoke, "nbpregel", capsys)
    assert [(mode, payload) for mode, _, payload in lines] == [
        ("values", "{'n': 0, 'log': []}"),
        ("updates", "{'a': {'n': 1, 'log': ['a']}}"),
        ("values", "{'n': 1, 'log': ['a']}"),
        ("updates", "{'b': {'log': ['b']}}"),
        ("updates", "{'c': {'log': ['c']}}"),
        ("values", "{'n': 1, 'log': ['a', 'b', 'c']}"),
        ("updates", "{'d': {'log': ['d']}}"),
        ("values", "{'n': 1, 'log': ['a', 'b', 'c', 'd']}"),
    ]


def test_a_parent_streaming_subgraphs_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    _, lines = run_captured(subgraph_debug_parent_streams_subgraphs, "nbpregel", capsys)
    assert [(mode, names) for mode, names, _ in lines] == [
        ("values", ()),
        ("updates", ()),
        ("values", ()),
        ("values", ("sub",)),
        ("updates", ("sub",)),
        ("values", ("sub",)),
        ("updates", ()),
        ("values", ()),
    ]


# -- what the caller gets ----------------------------------------------------------------------

STREAMS = [
    pytest.param({"stream_mode": "updates"}, id="updates"),
    pytest.param({"stream_mode": "values"}, id="values"),
    pytest.param({"stream_mode": ["custom", "tasks"]}, id="custom+tasks"),
    pytest.param({"stream_mode": ["updates", "values"], "subgraphs": True}, id="subgraphs"),
]


def shown(chunks: list[Any]) -> list[Any]:
    """Chunks without what differs between two runs (task ids, times, subgraph ids)."""
    text = re.sub(r"'(id|started_at|duration_ms)': [^,}]+", r"'\1': _", repr(chunks))
    return [re.sub(r"(\w+):[0-9a-f]{32}", r"\1:_", text)]


@pytest.mark.parametrize("kwargs", STREAMS)
def test_the_caller_gets_the_same_chunks_with_debug(
    kwargs: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    quiet = nested("nbpregel", outer_debug=False, inner_debug=False)
    plain = list(quiet.stream(START_STATE, **kwargs))
    assert capsys.readouterr().out == ""
    debug = list(quiet.stream(START_STATE, debug=True, **kwargs))
    assert capsys.readouterr().out.count("[debug] ") >= 5
    assert shown(debug) == shown(plain)
    quiet.debug = True
    assert shown(list(quiet.stream(START_STATE, **kwargs))) == shown(plain)


@pytest.mark.parametrize("lib", LIBS)
def test_nothing_is_printed_when_debug_is_off(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    graph = nested(lib, outer_debug=False, inner_debug=False)
    graph.invoke(START_STATE)
    list(graph.stream(START_STATE, stream_mode=["updates", "values"], subgraphs=True))
    assert diamond(lib, debug=False).invoke(START_STATE)["log"] == ["a", "b", "c", "d"]
    assert capsys.readouterr() == ("", "")


def test_a_run_without_debug_does_not_go_through_the_printer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the printer ran for a run without debug")

    monkeypatch.setattr(main, "drive_printing", refuse)
    monkeypatch.setattr(main, "adrive_printing", refuse)
    graph = nested("nbpregel", outer_debug=False, inner_debug=False)
    assert graph.invoke(START_STATE)["log"] == ["pre", "pre", "inner"]
    assert len(list(graph.stream(START_STATE, stream_mode="debug", subgraphs=True))) > 5
    assert asyncio.run(graph.ainvoke(START_STATE))["n"] == 5
    with pytest.raises(AssertionError, match="printer ran"):
        graph.invoke(START_STATE, debug=True)  # the same patch does catch a debug run


# -- the flag ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lib", LIBS)
def test_the_debug_attribute(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert diamond(lib).debug is True
    graph = diamond(lib, debug=False)
    assert graph.debug is False
    graph.debug = True  # set after compile: the runs started afterwards print
    graph.invoke(START_STATE)
    assert len(printed(capsys.readouterr().out, lib)) == 8
    assert graph.with_config(recursion_limit=5).debug is True
    for _ in graph.stream(START_STATE, debug=False):  # does not silence the graph's flag
        pass
    assert len(printed(capsys.readouterr().out, lib)) == 8


@pytest.mark.parametrize("lib", LIBS)
def test_pregel_debug(lib: str, capsys: pytest.CaptureFixture[str]) -> None:
    if lib == "nbpregel":
        from nbpregel.channels import LastValue
        from nbpregel.pregel import NodeBuilder, Pregel
    else:
        from langgraph.channels import LastValue
        from langgraph.pregel import NodeBuilder, Pregel

    def make(**kwargs: Any) -> Any:
        node = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b")
        channels = {"a": LastValue(int), "b": LastValue(int)}
        return Pregel(
            nodes={"n": node}, channels=channels, input_channels="a", output_channels="b", **kwargs
        )

    assert make().debug is False
    app = make(debug=True)
    assert app.invoke(1) == 2
    assert printed(capsys.readouterr().out, lib) == [
        ("updates", (), "{'n': 2}"),
        ("values", (), "2"),
    ]


def test_langchains_global_debug_is_the_default_of_pregel(
    capsys: pytest.CaptureFixture[str],
) -> None:
    globals_module = pytest.importorskip("langchain_core.globals")
    from nbpregel.channels import LastValue
    from nbpregel.pregel import NodeBuilder, Pregel

    node = NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("a")
    parts = {"nodes": {"n": node}, "channels": {"a": LastValue(int)}}
    globals_module.set_debug(True)
    try:
        assert Pregel(**parts, input_channels="a", output_channels="a").debug is True
        assert Pregel(**parts, input_channels="a", output_channels="a", debug=False).debug is False
        assert diamond("nbpregel", debug=False).debug is False  # compile's default is False
    finally:
        globals_module.set_debug(False)
    assert Pregel(**parts, input_channels="a", output_channels="a").debug is False


def test_invoke_and_ainvoke_take_debug(capsys: pytest.CaptureFixture[str]) -> None:
    graph = diamond("nbpregel", debug=False)
    assert graph.invoke(START_STATE, debug=True)["log"] == ["a", "b", "c", "d"]
    assert len(printed(capsys.readouterr().out, "nbpregel")) == 8
    assert asyncio.run(graph.ainvoke(START_STATE, debug=True))["n"] == 1
    assert len(printed(capsys.readouterr().out, "nbpregel")) == 8
    names = [
        next(iter(chunk)) for chunk in graph.invoke(START_STATE, stream_mode="updates", debug=True)
    ]
    assert (names[0], sorted(names[1:3]), names[3:]) == ("a", ["b", "c"], ["d"])
    assert len(printed(capsys.readouterr().out, "nbpregel")) == 8


# -- the lines ---------------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lines_are_styled_only_for_a_terminal_unless_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    diamond("nbpregel").invoke(START_STATE)
    styled = terminal.getvalue()
    assert "\x1b[1m[debug] updates\x1b[0m: {'a'" in styled
    assert printed(styled, "nbpregel") == printed(_ANSI.sub("", styled), "nbpregel")
    monkeypatch.setenv("NO_COLOR", "1")
    plain = _Terminal()
    monkeypatch.setattr("sys.stdout", plain)
    diamond("nbpregel").invoke(START_STATE)
    assert "\x1b" not in plain.getvalue()
    assert plain.getvalue().count("\n") == styled.count("\n") == 8


def test_a_subgraph_line_names_its_namespace() -> None:
    ns = ("sub:1", "deeper:2")
    assert (
        _debug_print.line(ns, "updates", {"x": 1})
        == "[debug] updates (in sub:1|deeper:2): {'x': 1}"
    )
    styled = _debug_print.line(ns, "values", 1, color=True)
    assert styled == "\x1b[1m[debug] values\x1b[0m\x1b[33m (in sub:1|deeper:2)\x1b[0m: 1"
