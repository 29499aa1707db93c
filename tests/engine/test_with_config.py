"""``with_config``: a copy of a compiled graph whose runs start from a default config, as in
LangGraph (``app.with_config(recursion_limit=50)``, ``app.with_config(configurable={...})``)."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import GraphRecursionError, get_config
from nbpregel.checkpoint import InMemorySaver

from .graphs import NBPREGEL, Lib, langgraph_lib

pytestmark = pytest.mark.timeout(30)


class Loop(TypedDict):
    n: int
    seen: Annotated[list, operator.add]


def _counter(lib: Lib, config_of: Any) -> Any:
    """``tick`` loops until ``n`` reaches 10, noting the config each step ran with."""

    def tick(state: Loop) -> dict[str, Any]:
        config = config_of()
        seen = (
            config.get("recursion_limit"),
            config["configurable"].get("thread_id"),
            config.get("metadata", {}).get("who"),
        )
        return {"n": state["n"] + 1, "seen": [seen]}

    g = lib.StateGraph(Loop)
    g.add_node("tick", tick)
    g.add_edge(lib.START, "tick")
    g.add_conditional_edges("tick", lambda s: lib.END if s["n"] >= 10 else "tick")
    return g


def _langgraph_config() -> Any:
    from langgraph.config import get_config as lg_get_config

    return lg_get_config()


@pytest.mark.parametrize("lib_name", ["nbpregel", "langgraph"])
def test_a_default_recursion_limit_and_thread_reach_every_run(lib_name: str) -> None:
    if lib_name == "nbpregel":
        lib, config_of, saver = NBPREGEL, get_config, InMemorySaver()
    else:
        from langgraph.checkpoint.memory import InMemorySaver as LgSaver

        lib, config_of, saver = langgraph_lib(), _langgraph_config, LgSaver()
    app = _counter(lib, config_of).compile(checkpointer=saver)
    with pytest.raises(Exception) as refused:
        app.invoke(
            {"n": 0, "seen": []}, {"configurable": {"thread_id": "short"}, "recursion_limit": 4}
        )
    assert type(refused.value).__name__ == "GraphRecursionError"
    roomy = app.with_config({"configurable": {"thread_id": "t1"}, "metadata": {"who": "me"}})
    roomy = roomy.with_config(recursion_limit=20)
    assert roomy is not app
    assert roomy.config == {
        "configurable": {"thread_id": "t1"},
        "metadata": {"who": "me"},
        "recursion_limit": 20,
    }
    out = roomy.invoke({"n": 0, "seen": []})
    assert out["n"] == 10
    assert set(out["seen"]) == {(20, "t1", "me")}
    # the run's own config wins key by key; the default thread's state is read without one
    again = roomy.invoke({"n": 5, "seen": []}, {"configurable": {"thread_id": "t2"}})
    assert set(again["seen"]) == {(20, "t2", "me")}
    assert roomy.get_state({"configurable": {}}).values["n"] == 10
    assert app.config in (None, {})  # the original graph is unchanged


def test_state_history_and_update_state_use_the_default_thread() -> None:
    app = _counter(NBPREGEL, get_config).compile(checkpointer=InMemorySaver())
    mine = app.with_config(configurable={"thread_id": "t1"}, recursion_limit=30)
    mine.invoke({"n": 0, "seen": []})
    history = list(mine.get_state_history({}))
    assert len(history) == 12  # input, start, ten ticks
    mine.update_state({}, {"n": 3})
    assert mine.get_state({}).values["n"] == 3
    assert app.get_state({"configurable": {"thread_id": "t1"}}).values["n"] == 3


def test_without_a_default_the_recursion_limit_is_the_usual_one() -> None:
    app = _counter(NBPREGEL, get_config).compile()
    with pytest.raises(GraphRecursionError):
        app.with_config(recursion_limit=5).invoke({"n": 0, "seen": []})
    assert app.invoke({"n": 0, "seen": []})["n"] == 10
