"""The low-level builder: ``Pregel`` over explicit channels, nodes declared with ``NodeBuilder``.

Also the execution knobs that are easiest to see here: ``max_concurrency`` and a user's executor.
"""

from __future__ import annotations

import concurrent.futures
import operator
import threading
import time
from typing import Annotated, Any, TypedDict

import pytest

from nbpregel import (
    START,
    GraphValidationError,
    NbPregelError,
    NodeBuilder,
    Pregel,
    RetryPolicy,
    StateGraph,
    get_stream_writer,
)
from nbpregel.channels import BinaryOperatorAggregate, EphemeralValue, LastValue, Topic


def test_single_node() -> None:
    double = NodeBuilder().subscribe_only("a").do(lambda x: x * 2).write_to("b")
    app = Pregel(
        nodes={"double": double},
        channels={"a": LastValue(int), "b": LastValue(int)},
        input_channels="a",
        output_channels="b",
    )
    assert app.invoke(21) == 42


def test_chain_through_channels_streams_each_step() -> None:
    app = Pregel(
        nodes={
            "one": NodeBuilder().subscribe_only("a").do(lambda x: x + 1).write_to("b"),
            "two": NodeBuilder().subscribe_only("b").do(lambda x: x * 10).write_to("c"),
        },
        channels={"a": LastValue(int), "b": LastValue(int), "c": LastValue(int)},
        input_channels="a",
        output_channels=["b", "c"],
    )
    assert app.invoke(1) == {"b": 2, "c": 20}
    # values are streamed when an output channel changes (the input step writes none)
    assert list(app.stream(1, stream_mode="values")) == [{"b": 2}, {"b": 2, "c": 20}]
    assert list(app.stream(1, stream_mode="updates")) == [{"one": {"b": 2}}, {"two": {"c": 20}}]


def test_fan_in_through_a_topic_in_task_order() -> None:
    app = Pregel(
        nodes={
            "left": NodeBuilder().subscribe_only("start").do(lambda x: f"L{x}").write_to("inbox"),
            "right": NodeBuilder().subscribe_only("start").do(lambda x: f"R{x}").write_to("inbox"),
            "gather": NodeBuilder().subscribe_only("inbox").do(sorted).write_to("out"),
        },
        channels={"start": EphemeralValue(int), "inbox": Topic(str), "out": LastValue(list)},
        input_channels="start",
        output_channels="out",
    )
    assert app.invoke(7) == ["L7", "R7"]


def test_reducer_channel_and_dict_input() -> None:
    app = Pregel(
        nodes={
            "add": NodeBuilder()
            .subscribe_to("x")
            .read_from("y")
            .do(lambda s: s["x"] + s["y"])
            .write_to("total"),
        },
        channels={
            "x": LastValue(int),
            "y": LastValue(int),
            "total": BinaryOperatorAggregate(int, operator.add),
        },
        input_channels=["x", "y", "total"],
        output_channels="total",
    )
    assert app.invoke({"x": 2, "y": 3, "total": 100}) == 105


def test_write_to_with_mapped_values_and_none_writes_nothing() -> None:
    node = (
        NodeBuilder()
        .subscribe_only("a")
        .do(lambda x: x if x > 0 else None)
        .write_to("copy", label=lambda out: None if out is None else f"got {out}")
    )
    app = Pregel(
        nodes={"node": node},
        channels={"a": LastValue(int), "copy": LastValue(int), "label": LastValue(str)},
        input_channels="a",
        output_channels=["copy", "label"],
    )
    assert app.invoke(3) == {"copy": 3, "label": "got 3"}
    assert app.invoke(-1) == {}


def test_a_cycle_that_stops_when_the_node_returns_none() -> None:
    step = NodeBuilder().subscribe_only("n").do(lambda n: n + 1 if n < 5 else None).write_to("n")
    app = Pregel(
        nodes={"step": step},
        channels={"n": LastValue(int)},
        input_channels="n",
        output_channels="n",
    )
    assert app.invoke(0) == 5


def test_unknown_channel_in_a_subscription_is_rejected_at_construction() -> None:
    with pytest.raises(GraphValidationError, match="'nope'"):
        Pregel(
            nodes={"n": NodeBuilder().subscribe_only("nope").write_to("a")},
            channels={"a": LastValue(int)},
            input_channels="a",
            output_channels="a",
        )


def test_node_without_subscription_is_an_error_naming_it() -> None:
    with pytest.raises(ValueError, match="'lonely'"):
        Pregel(
            nodes={"lonely": NodeBuilder().do(lambda x: x).write_to("a")},
            channels={"a": LastValue(int)},
            input_channels="a",
            output_channels="a",
        )


def test_retry_policy_on_a_low_level_node() -> None:
    calls = []

    def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) < 2:
            raise ConnectionError("blip")
        return x

    node = NodeBuilder().subscribe_only("a").do(flaky).write_to("b")
    node.add_retry_policies(RetryPolicy(initial_interval=0.001, jitter=False))
    app = Pregel(
        nodes={"flaky": node},
        channels={"a": LastValue(int), "b": LastValue(int)},
        input_channels="a",
        output_channels="b",
    )
    assert app.invoke(4) == 4 and calls == [4, 4]


def test_custom_stream_from_a_low_level_node() -> None:
    def chatty(x: int) -> int:
        get_stream_writer()(f"working on {x}")
        return x

    app = Pregel(
        nodes={"chatty": NodeBuilder().subscribe_only("a").do(chatty).write_to("b")},
        channels={"a": LastValue(int), "b": LastValue(int)},
        input_channels="a",
        output_channels="b",
    )
    assert list(app.stream(3, stream_mode="custom")) == ["working on 3"]


class S(TypedDict):
    log: Annotated[list, operator.add]


# -- concurrency ---------------------------------------------------------------------------


class Gauge:
    """Counts how many nodes run at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0
        self.threads: set[str] = set()

    def node(self, x: int) -> int:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.threads.add(threading.current_thread().name)
        time.sleep(0.03)
        with self.lock:
            self.now -= 1
        return x


def wide(gauge: Gauge, width: int = 6, **kwargs: Any) -> Pregel:
    nodes = {
        f"n{i}": NodeBuilder().subscribe_only("a").do(gauge.node).write_to("out")
        for i in range(width)
    }
    return Pregel(
        nodes=nodes,
        channels={"a": LastValue(int), "out": Topic(int)},
        input_channels="a",
        output_channels="out",
        **kwargs,
    )


def test_parallel_nodes_run_at_the_same_time() -> None:
    gauge = Gauge()
    assert wide(gauge).invoke(1) == [1] * 6
    assert gauge.peak >= 3


@pytest.mark.parametrize("limit", [1, 2])
def test_max_concurrency_bounds_parallel_tasks(limit: int) -> None:
    gauge = Gauge()
    assert wide(gauge).invoke(1, {"max_concurrency": limit}) == [1] * 6
    assert gauge.peak == limit


def test_max_concurrency_through_a_state_graph() -> None:
    gauge = Gauge()
    g = StateGraph(S)
    for i in range(4):
        g.add_node(f"n{i}", lambda s: {"log": [gauge.node(1)]})
        g.add_edge(START, f"n{i}")
    assert g.compile().invoke({"log": []}, {"max_concurrency": 2}) == {"log": [1] * 4}
    assert gauge.peak == 2


def test_a_user_executor_runs_the_sync_tasks() -> None:
    gauge = Gauge()
    with concurrent.futures.ThreadPoolExecutor(3, thread_name_prefix="user-pool") as pool:
        app = wide(gauge, executor=pool)
        assert app.invoke(1) == [1] * 6
        assert gauge.threads and all(name.startswith("user-pool") for name in gauge.threads)
        assert gauge.peak <= 3
        # the run does not shut the user's executor down
        assert pool.submit(lambda: "still open").result() == "still open"
        assert app.invoke(2) == [2] * 6


def test_an_executor_that_refuses_a_task_gets_an_error_naming_the_task_and_the_fix() -> None:
    pool = concurrent.futures.ThreadPoolExecutor(2)
    pool.shutdown()  # a real executor that refuses every call
    app = wide(Gauge(), executor=pool)
    with pytest.raises(NbPregelError) as caught:
        app.invoke(1)
    message = str(caught.value)
    assert "executor (ThreadPoolExecutor) refused task 'n" in message
    assert "cannot schedule new futures after shutdown" in message
    assert "give compile(executor=...) a running executor" in message
    assert isinstance(caught.value.__cause__, RuntimeError)
