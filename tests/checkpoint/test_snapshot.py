"""Checkpoints built from what changed since the last save equal checkpoints built from scratch.

``nbpregel.pregel._snapshot.CheckpointBuilder`` reuses the previous checkpoint's channel values
(for channels whose version did not move) and seen versions (for nodes that did not run). Every
graph of the engine catalogue is run with a checkpointer, under each durability, while each
build is compared with a full one; and the checkpoints handed to the saver must not change
afterwards (they share dicts with the next ones).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from engine.graphs import CASES, NBPREGEL, Counter, GraphCase, fresh

from nbpregel import END, START, Command, StateGraph, interrupt
from nbpregel.checkpoint import InMemorySaver
from nbpregel.pregel import _snapshot

COMPARED = ("v", "id", "channel_values", "channel_versions", "versions_seen", "updated_channels")
RUNNABLE = [case for case in CASES.values() if not case.is_async and case.raises is None]


class Builds:
    """Every checkpoint the run built, each checked against a build from scratch."""

    def __init__(self) -> None:
        self.checkpoints: list[dict[str, Any]] = []
        self.incremental = 0


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Builds]:
    recorded = Builds()
    original = _snapshot.CheckpointBuilder.build

    def checked(
        self: _snapshot.CheckpointBuilder, checkpoint_id: str, *args: Any, **kwargs: Any
    ) -> dict[str, Any]:
        reused = self._values is not None
        built = original(self, checkpoint_id, *args, **kwargs)
        full = original(_snapshot.CheckpointBuilder(), checkpoint_id, *args, ran=None)
        assert {key: built[key] for key in COMPARED} == {key: full[key] for key in COMPARED}
        recorded.checkpoints.append(built)
        recorded.incremental += reused
        return built

    monkeypatch.setattr(_snapshot.CheckpointBuilder, "build", checked)
    yield recorded


def _thread(case_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": case_id}}


@pytest.mark.parametrize("durability", ["sync", "async", "exit"])
@pytest.mark.parametrize("case", RUNNABLE, ids=lambda case: case.id)
def test_incremental_checkpoints_equal_full_ones(
    case: GraphCase, durability: str, builds: Builds
) -> None:
    saver = InMemorySaver()
    config = {**(case.config or {}), **_thread(case.id)}
    graph = case.build(NBPREGEL)
    graph.invoke(fresh(case.input), config, durability=durability, checkpointer=saver)
    assert builds.checkpoints, "the run saved no checkpoint"
    saved = {found.checkpoint["id"]: found.checkpoint for found in saver.list(_thread(case.id))}
    kept = [built for built in builds.checkpoints if built["id"] in saved]
    # exit durability saves the last checkpoint only; the others save every one
    assert len(kept) == (1 if durability == "exit" else len(builds.checkpoints))
    for built in kept:
        # what the saver stored is what was built: nothing changed a checkpoint after handing
        # it over, though it shares dicts with the checkpoints built after it
        assert saved[built["id"]] == built


def test_long_chain_reuses_earlier_parts(builds: Builds) -> None:
    graph = CASES["chain"].build(NBPREGEL)
    graph.invoke(fresh(CASES["chain"].input), _thread("chain"), checkpointer=InMemorySaver())
    # the input's checkpoint is built from scratch, every step's after it from the last one
    assert builds.incremental == len(builds.checkpoints) - 1 > 0


def test_resumed_and_forked_runs_build_correct_checkpoints(builds: Builds) -> None:
    def ask(state: dict[str, Any]) -> dict[str, Any]:
        return {"n": state["n"] + interrupt("how much?"), "log": ["ask"]}

    def bump(state: dict[str, Any]) -> dict[str, Any]:
        return {"n": state["n"] + 1, "log": ["bump"]}

    builder = StateGraph(Counter)
    builder.add_node("bump", bump)
    builder.add_node("ask", ask)
    builder.add_edge(START, "bump")
    builder.add_edge("bump", "ask")
    builder.add_edge("ask", END)
    saver = InMemorySaver()
    graph = builder.compile(checkpointer=saver)
    config = _thread("resume")
    graph.invoke({"n": 0, "log": []}, config)
    assert graph.invoke(Command(resume=10), config) == {"n": 11, "log": ["bump", "ask"]}
    first = next(s for s in graph.get_state_history(config) if s.next == ("bump",))
    graph.update_state(first.config, {"n": 5})
    # replaying from the edited checkpoint runs bump again, then pauses in ask
    paused = graph.invoke(None, config)
    assert paused["n"] == 6 and "__interrupt__" in paused
    assert graph.invoke(Command(resume=1), config)["n"] == 7
    assert builds.incremental > 0
