"""The fan-out-to-subgraph benchmark: 100 ``Send``s into a subgraph that loops 10 times.

The shape of LangGraph's own ``fanout_to_subgraph`` benchmark: a parent graph sends one packet
per subject to a compiled subgraph used as a node; each subgraph run writes a joke, then bumps it
in a loop of 10 steps, and returns it to the parent, whose reducer collects all 100 jokes.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from _case import INPUT_STEP, Case, Library

__all__ = ["FANOUT_TO_SUBGRAPH"]

SUBJECTS = 100
BUMPS = 10
SUFFIX = " a"


class Overall(TypedDict):
    subjects: list[str]
    jokes: Annotated[list[str], operator.add]


class JokeInput(TypedDict):
    subject: str


class JokeOutput(TypedDict):
    jokes: list[str]


class JokeState(JokeInput, JokeOutput):
    pass


def _generate(state: JokeInput) -> dict[str, list[str]]:
    return {"jokes": [f"a joke about {state['subject']}"]}


def _bump(state: JokeOutput) -> dict[str, list[str]]:
    return {"jokes": [state["jokes"][0] + SUFFIX]}


def _build(lib: Library) -> Any:
    def bump_loop(state: JokeOutput) -> str:
        return lib.end if state["jokes"][0].endswith(SUFFIX * BUMPS) else "bump"

    def fan(state: Overall) -> list[Any]:
        return [lib.send("generate_joke", {"subject": s}) for s in state["subjects"]]

    sub = lib.state_graph(JokeState, input_schema=JokeInput, output_schema=JokeOutput)
    sub.add_node("generate", _generate)
    sub.add_node("bump", _bump)
    sub.add_edge(lib.start, "generate")
    sub.add_edge("generate", "bump")
    sub.add_conditional_edges("bump", bump_loop, ["bump", lib.end])
    parent = lib.state_graph(Overall)
    parent.add_node("generate_joke", sub.compile())
    parent.add_conditional_edges(lib.start, fan, ["generate_joke"])
    parent.add_edge("generate_joke", lib.end)
    return parent.compile()


def _check(output: dict[str, Any]) -> None:
    jokes = output["jokes"]
    assert len(jokes) == SUBJECTS, len(jokes)
    assert all(joke.endswith(SUFFIX * BUMPS) for joke in jokes), jokes[:3]


FANOUT_TO_SUBGRAPH = Case(
    name="fanout_to_subgraph",
    title=f"{SUBJECTS} Sends into a subgraph looping {BUMPS} steps",
    build=_build,
    make_input=lambda: {"subjects": [f"subject {i}" for i in range(SUBJECTS)], "jokes": []},
    # Each subgraph run needs its input step, generate, then the bumps: the recursion limit
    # (inherited by the subgraph) must cover that, which is more than the parent's two steps.
    steps=INPUT_STEP + 1 + BUMPS,
    tasks=SUBJECTS,  # the parent's tasks: one subgraph run each (11 subgraph tasks inside)
    check=_check,
    target=5.0,
)
