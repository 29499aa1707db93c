"""``update_state(config, values, as_node="__input__")``: saving a thread's input, side by side
with LangGraph.

An input update saves the ``input`` checkpoint that ``invoke(values, config)`` would save before
its first step (step -1 on an empty thread, one past the last step otherwise), and runs nothing:
``get_state(config).next`` is ``("__start__",)`` (beside the tasks that were due, which stay
due), and ``invoke(None, config)`` then runs START's writers on the values, reducers and all.
``as_node=START`` is different: the values are written as if START had returned them, so the
first node is due at once. Each scenario runs with both libraries on the same kind of saver and
must observe the same thing; the refused updates must save nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from persistence.support import (
    NBPREGEL,
    Calls,
    Lib,
    Scenarios,
    build_chain,
    build_fan,
    langgraph_lib,
    normalize,
    saver_contents,
    thread,
)

from nbpregel.checkpoint import SqliteSaver
from nbpregel.constants import INPUT
from nbpregel.errors import InvalidUpdateError
from nbpregel.types import StateUpdate

pytest.importorskip("langgraph.checkpoint.sqlite")

pytestmark = pytest.mark.langgraph

START_STATE = {"log": [], "n": 0}
SCENARIOS = Scenarios()
scenario = SCENARIOS  # @scenario registers a function under its name


@pytest.fixture
def nb_saver(saver_kind: str, tmp_path: Path) -> Iterator[Any]:
    """An nbpregel saver of ``saver_kind``."""
    saver = NBPREGEL.saver(saver_kind, tmp_path / "nbpregel.db")
    yield saver
    if isinstance(saver, SqliteSaver):
        saver.close()


def snapshot_of(snap: Any) -> tuple[Any, ...]:
    """What a snapshot says: next, tasks' results, values and the whole metadata dict."""
    tasks = sorted((task.name, normalize(task.result)) for task in snap.tasks)
    return (sorted(snap.next), tasks, normalize(snap.values), snap.metadata)


def history_of(app: Any, config: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each checkpoint of the thread, newest first, with its parent's position (or None)."""
    snapshots = list(app.get_state_history(thread(config["configurable"]["thread_id"])))
    ids = [s.config["configurable"]["checkpoint_id"] for s in snapshots]
    return [
        (
            *snapshot_of(s),
            s.parent_config and ids.index(s.parent_config["configurable"]["checkpoint_id"]),
        )
        for s in snapshots
    ]


def _then_continue(app: Any, calls: Calls, config: dict[str, Any]) -> list[Any]:
    """The state and history now, then what ``invoke(None)`` returns, runs and leaves."""
    seen = [snapshot_of(app.get_state(config)), history_of(app, config)]
    seen += [normalize(app.invoke(None, config)), calls.counts()]
    return [*seen, snapshot_of(app.get_state(config)), history_of(app, config)]


# -- one update --------------------------------------------------------------------------------


@scenario
def input_on_an_empty_thread(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    returned = app.update_state(thread(), {"log": ["u"], "n": 5}, as_node="__input__")
    assert returned == app.get_state(thread()).config
    return _then_continue(app, calls, thread())


@scenario
def input_on_a_finished_thread(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    app.update_state(thread(), {"log": ["u"], "n": 5}, as_node="__input__")
    return _then_continue(app, calls, thread())


@scenario
def the_tasks_due_stay_due_beside_start(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_fan(lib, calls, checkpointer=saver, interrupt_before=["z"])
    app.invoke(dict(START_STATE), thread())
    app.update_state(thread(), {"log": ["u"]}, as_node="__input__")
    return _then_continue(app, calls, thread())


@scenario
def input_on_a_past_checkpoint_forks(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_fan(lib, calls, checkpointer=saver)
    app.invoke(dict(START_STATE), thread())
    before_z = next(s for s in app.get_state_history(thread()) if s.next == ("z",))
    config = app.update_state(before_z.config, {"log": ["p"]}, as_node="__input__")
    return [snapshot_of(app.get_state(config)), *_then_continue(app, calls, config)]


@scenario
def input_and_start_differ(lib: Lib, saver: Any) -> list[Any]:
    app = build_chain(lib, Calls(), checkpointer=saver)
    seen = []
    for name, as_node in (("in", "__input__"), ("start", lib.START)):
        app.update_state(thread(name), {"log": ["u"], "n": 5}, as_node=as_node)
        seen += [history_of(app, thread(name)), normalize(app.invoke(None, thread(name)))]
    return seen


def input_through_the_async_api(lib: Lib, saver: Any) -> list[Any]:
    calls = Calls()
    app = build_chain(lib, calls, checkpointer=saver)
    update = lib.StateUpdate

    async def drive() -> list[Any]:
        await app.ainvoke(dict(START_STATE), thread())
        await app.aupdate_state(thread(), {"log": ["u"], "n": 5}, as_node="__input__")
        seen = [snapshot_of(await app.aget_state(thread()))]
        await app.abulk_update_state(thread("2"), [[update({"log": ["v"], "n": 1}, "__input__")]])
        seen += [normalize(await app.ainvoke(None, config)) for config in (thread(), thread("2"))]
        return [*seen, calls.counts()]

    return [*asyncio.run(drive()), history_of(app, thread()), history_of(app, thread("2"))]


# -- bulk_update_state -------------------------------------------------------------------------


def _bulk(lib: Lib, saver: Any, steps: list[list[tuple[Any, str]]], *, ran: bool) -> list[Any]:
    calls = Calls()
    app = build_fan(lib, calls, checkpointer=saver)
    if ran:
        app.invoke(dict(START_STATE), thread())
    supersteps = [[lib.StateUpdate(values, as_node) for values, as_node in step] for step in steps]
    app.bulk_update_state(thread(), supersteps)
    return _then_continue(app, calls, thread())


@scenario
def bulk_input_then_a_node(lib: Lib, saver: Any) -> list[Any]:
    # The node's update clears START's channel: START never runs on the input.
    steps = [[({"log": ["u"], "n": 5}, "__input__")], [({"log": ["x"]}, "x")]]
    return _bulk(lib, saver, steps, ran=False)


@scenario
def bulk_input_then_input(lib: Lib, saver: Any) -> list[Any]:
    steps = [[({"log": ["u"], "n": 5}, "__input__")], [({"log": ["v"], "n": 6}, "__input__")]]
    return _bulk(lib, saver, steps, ran=False)


@scenario
def bulk_nodes_then_input(lib: Lib, saver: Any) -> list[Any]:
    steps = [
        [({"log": ["x"]}, "x"), ({"log": ["y"], "n": 2}, "y")],
        [({"log": ["u"]}, "__input__")],
    ]
    return _bulk(lib, saver, steps, ran=False)


@scenario
def bulk_copy_then_input(lib: Lib, saver: Any) -> list[Any]:
    steps = [[(None, "__copy__")], [({"log": ["u"], "n": 1}, "__input__")]]
    return _bulk(lib, saver, steps, ran=True)


# -- the low-level Pregel ----------------------------------------------------------------------


def _lowlevel(lib: Lib, saver: Any) -> Any:
    """``add`` reads channels ``a`` and ``b`` (the input channels) and writes ``c``."""
    if lib.name == "nbpregel":
        from nbpregel import NodeBuilder, Pregel
        from nbpregel.channels import LastValue
    else:
        from langgraph.channels import LastValue
        from langgraph.pregel import NodeBuilder, Pregel
    add = NodeBuilder().subscribe_to("a", "b").do(lambda x: x["a"] + x["b"]).write_to("c")
    return Pregel(
        nodes={"add": add},
        channels={name: LastValue(int) for name in ("a", "b", "c")},
        input_channels=["a", "b"],
        output_channels="c",
        checkpointer=saver,
    )


@scenario
def input_of_a_pregel_with_several_input_channels(lib: Lib, saver: Any) -> list[Any]:
    app = _lowlevel(lib, saver)
    app.update_state(thread(), {"a": 2, "b": 40}, as_node="__input__")
    # (The snapshot's values are left out: for a Pregel with one output channel LangGraph's
    # show every channel, nbpregel's the output channel, whatever the update.)
    snap = app.get_state(thread())
    return [snap.next, snap.metadata, app.invoke(None, thread()), app.get_state(thread()).next]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_same_behaviour_as_langgraph(name: str, saver_kind: str, tmp_path: Path) -> None:
    SCENARIOS.compare(name, saver_kind, tmp_path)


def test_the_async_api_same_as_langgraph(nb_saver: Any) -> None:
    """``aupdate_state`` and ``abulk_update_state`` (LangGraph's SqliteSaver has no async
    methods: its twin runs on its InMemorySaver)."""
    theirs = langgraph_lib()
    ours = input_through_the_async_api(NBPREGEL, nb_saver)
    assert ours == input_through_the_async_api(theirs, theirs.memory_saver())


# -- the shape of the input checkpoint ---------------------------------------------------------


def _input_checkpoint(saver: Any, config: dict[str, Any]) -> Any:
    """The newest ``input`` checkpoint of a thread."""
    return next(t for t in saver.list(config) if t.metadata["source"] == "input")


@pytest.mark.parametrize("ran", [False, True], ids=["empty thread", "after a run"])
def test_the_input_checkpoint_is_the_one_invoke_saves(nb_saver: Any, ran: bool) -> None:
    """The update saves what a run saves for its input: the same channel values, versions,
    seen versions and metadata (``source="input"``, step -1 on an empty thread, else one past
    the last step), and a parent only after a run."""
    app = build_chain(NBPREGEL, Calls(), checkpointer=nb_saver)
    values = {"log": ["u"], "n": 5}
    for name in ("updated", "invoked"):
        if ran:
            app.invoke(dict(START_STATE), thread(name))
    app.update_state(thread("updated"), values, as_node=INPUT)
    app.invoke(values, thread("invoked"))
    ours, theirs = (_input_checkpoint(nb_saver, thread(n)) for n in ("updated", "invoked"))
    assert (
        ours.metadata
        == theirs.metadata
        == {
            "source": "input",
            "step": 4 if ran else -1,
            "parents": {},
        }
    )
    for part in ("channel_values", "channel_versions", "versions_seen"):
        assert ours.checkpoint[part] == theirs.checkpoint[part], part
    assert (ours.parent_config is None) == (theirs.parent_config is None) == (not ran)


def test_the_input_runs_start_with_the_reducers(nb_saver: Any) -> None:
    app = build_chain(NBPREGEL, Calls(), checkpointer=nb_saver)
    app.invoke({"log": ["first"], "n": 0}, thread())
    app.update_state(thread(), {"log": ["second"], "n": 10}, as_node=INPUT)
    assert app.get_state(thread()).next == ("__start__",)
    assert app.invoke(None, thread()) == {
        "log": ["first", "a", "b", "c", "second", "a", "b", "c"],
        "n": 13,
    }
    sources = [s.metadata["source"] for s in app.get_state_history(thread())]
    assert sources == ["loop"] * 4 + ["input"] + ["loop"] * 4 + ["input"]


# -- refused updates ---------------------------------------------------------------------------


REFUSED = {
    "input beside a node": (
        [[(("log", "u"), "__input__"), (("log", "x"), "x")]],
        r"superstep 0 has 2 updates, one of them as_node='__input__'.*superstep of its own",
    ),
    "a node beside input": (
        [[(("log", "x"), "x"), (("log", "u"), "__input__")]],
        r"superstep 0 has 2 updates, one of them as_node='__input__'.*superstep of its own",
    ),
    "two inputs": (
        [[(("log", "u"), "__input__"), (("log", "v"), "__input__")]],
        r"as_node='__input__'.*superstep of its own",
    ),
    "input without values": (
        [[(None, "__input__")]],
        r"as_node='__input__' with values None.*invoke\(None, config\)",
    ),
    "a misspelt input": (
        [[(("log", "u"), "__inputs__")]],
        r"as_node='__inputs__' is not a node.*'__input__' to save values as the thread's input",
    ),
}


def _updates(lib: Lib, steps: list[list[tuple[Any, str]]]) -> list[list[Any]]:
    def values(pair: Any) -> Any:
        return None if pair is None else {pair[0]: [pair[1]]}

    return [[lib.StateUpdate(values(pair), as_node) for pair, as_node in step] for step in steps]


@pytest.mark.parametrize("ran", [False, True], ids=["empty thread", "after a run"])
@pytest.mark.parametrize("case", list(REFUSED))
def test_a_refused_input_update_saves_nothing(
    case: str, ran: bool, saver_kind: str, tmp_path: Path
) -> None:
    """Both libraries refuse; nbpregel's error names the culprit and the fix."""
    steps, match = REFUSED[case]
    for lib in (NBPREGEL, langgraph_lib()):
        saver = lib.saver(saver_kind, tmp_path / f"{lib.name}.db")
        app = build_fan(lib, Calls(), checkpointer=saver, interrupt_before=["z"])
        if ran:
            app.invoke(dict(START_STATE), thread())
        before = saver_contents(saver)
        with pytest.raises(lib.InvalidUpdateError) as raised:
            app.bulk_update_state(thread(), _updates(lib, steps))
        assert saver_contents(saver) == before, lib.name
        if lib is NBPREGEL:
            assert raised.match(match)


def test_an_input_before_a_refused_superstep_is_not_saved(nb_saver: Any) -> None:
    """Every superstep is checked before the first is saved (LangGraph saves the supersteps
    before the refused one: nbpregel deliberately saves none)."""
    app = build_fan(NBPREGEL, Calls(), checkpointer=nb_saver, interrupt_before=["z"])
    app.invoke(dict(START_STATE), thread())
    before = saver_contents(nb_saver)
    supersteps = [[StateUpdate({"log": ["u"]}, INPUT)], [StateUpdate({"log": ["x"]}, "nowhere")]]
    with pytest.raises(InvalidUpdateError, match=r"'nowhere' is not a node"):
        app.bulk_update_state(thread(), supersteps)
    assert saver_contents(nb_saver) == before
    assert app.invoke(None, thread())["log"] == ["x", "y", "z"]


def test_an_input_that_writes_no_channel_is_refused(nb_saver: Any) -> None:
    app = _lowlevel(NBPREGEL, nb_saver)
    with pytest.raises(InvalidUpdateError, match=r"write none of the input channels \['a', 'b'\]"):
        app.update_state(thread(), {}, as_node=INPUT)
    assert saver_contents(nb_saver) == "[]"
    with pytest.raises(InvalidUpdateError, match=r"unknown keys \['z'\]"):
        app.update_state(thread(), {"a": 1, "z": 2}, as_node=INPUT)
    assert saver_contents(nb_saver) == "[]"
