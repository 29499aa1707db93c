"""``Runtime``, ``context=`` and ``store=``, as a LangGraph 1.x notebook uses them: a node's
``runtime`` (or ``store``) parameter, ``get_runtime()``, a subgraph sharing its parent's context
and store. Each cross-library test runs on both libraries and expects the same."""

from __future__ import annotations

import dataclasses
from typing import Any, TypedDict

import pydantic
import pytest

from nbpregel.errors import GraphValidationError, NbPregelError
from nbpregel.runtime import InvalidContextError

from .runtime_libs import LIBS, lib_of

pytestmark = pytest.mark.timeout(30)


class State(TypedDict):
    seen: list[Any]


@dataclasses.dataclass
class UserCtx:
    user: str = "anon"
    level: int = 0


class UserModel(pydantic.BaseModel):
    user: str = "anon"
    level: int = 0


class UserDict(TypedDict):
    user: str


def one_node(lib: Any, fn: Any, *, context_schema: Any = None, **compile_kwargs: Any) -> Any:
    """``START -> node -> END`` where ``node`` is ``fn``."""
    builder = lib.StateGraph(State, context_schema=context_schema)
    builder.add_node("node", fn)
    builder.add_edge(lib.START, "node")
    builder.add_edge("node", lib.END)
    return builder.compile(**compile_kwargs)


def described(value: Any) -> tuple[str, Any]:
    """A context as both libraries can be compared on: its class name and its fields."""
    if isinstance(value, pydantic.BaseModel):
        return type(value).__name__, value.model_dump()
    if dataclasses.is_dataclass(value):
        return type(value).__name__, dataclasses.asdict(value)  # type: ignore[arg-type]
    return type(value).__name__, value


def context_seen(lib: Any, schema: Any, context: Any) -> tuple[str, Any]:
    def node(state: State, runtime: Any) -> dict[str, Any]:
        return {"seen": [described(runtime.context)]}

    app = one_node(lib, node, context_schema=schema)
    kwargs = {} if context is _NOT_GIVEN else {"context": context}
    result: tuple[str, Any] = app.invoke({"seen": []}, **kwargs)["seen"][0]
    return result


_NOT_GIVEN = object()
CONTEXTS = {
    "dict": {"user": "ada", "level": 2},
    "empty-dict": {},
    "none": None,
    "not-given": _NOT_GIVEN,
    "instance": UserCtx("bob", 1),
    "string": "plain",
}
SCHEMAS = {"dataclass": UserCtx, "pydantic": UserModel, "typeddict": UserDict, "no-schema": None}


@pytest.mark.parametrize("lib_name", LIBS)
@pytest.mark.parametrize("schema", SCHEMAS.values(), ids=SCHEMAS.keys())
@pytest.mark.parametrize("context", CONTEXTS.values(), ids=CONTEXTS.keys())
def test_a_dict_context_is_made_into_the_schema_and_other_contexts_pass_as_given(
    lib_name: str, schema: Any, context: Any
) -> None:
    seen = context_seen(lib_of(lib_name), schema, context)
    if context in (None, _NOT_GIVEN):
        assert seen == ("NoneType", None)
    elif isinstance(context, dict) and schema in (UserCtx, UserModel):
        assert seen == (schema.__name__, {"user": "anon", "level": 0, **context})
    elif context == {}:
        assert seen == ("NoneType", None)
    else:
        assert seen == described(context)


def test_a_context_that_does_not_fit_the_schema_is_refused_before_any_checkpoint() -> None:
    lib = lib_of("nbpregel")
    saver = lib.InMemorySaver()
    app = one_node(lib, lambda state: {"seen": ["ran"]}, context_schema=UserCtx, checkpointer=saver)
    config = {"configurable": {"thread_id": "t"}}
    app.invoke({"seen": []}, config, context={"user": "ada"})
    before = list(app.get_state_history(config))
    for call in (app.invoke, lambda *a, **k: list(app.stream(*a, **k))):
        with pytest.raises(InvalidContextError) as caught:
            call({"seen": []}, config, context={"user": "ada", "rank": 3})
        message = str(caught.value)
        assert "UserCtx" in message and "['user', 'level']" in message and "rank" in message
        assert isinstance(caught.value, TypeError)  # as LangGraph's dataclass call raises
    assert list(app.get_state_history(config)) == before


def test_a_pydantic_context_with_a_bad_value_is_refused_naming_the_field() -> None:
    app = one_node(lib_of("nbpregel"), lambda state: {}, context_schema=UserModel)
    with pytest.raises(InvalidContextError, match=r"(?s)UserModel .*\['user', 'level'\].*level"):
        app.invoke({"seen": []}, context={"level": "high"})


@pytest.mark.parametrize("lib_name", LIBS)
def test_the_runtime_carries_the_store_the_writer_and_where_the_task_runs(lib_name: str) -> None:
    lib = lib_of(lib_name)
    store = lib.InMemoryStore()
    facts: dict[str, Any] = {}

    def node(state: State, runtime: Any) -> dict[str, Any]:
        facts["store"] = runtime.store
        facts["previous"] = runtime.previous
        runtime.stream_writer({"progress": 1})
        runtime.heartbeat()
        info = runtime.execution_info
        facts["info"] = (info.task_id, info.checkpoint_ns, info.thread_id, info.node_attempt)
        facts["started"] = info.node_first_attempt_time
        return {"seen": ["ok"]}

    app = one_node(lib, node, checkpointer=lib.InMemorySaver(), store=store)
    config = {"configurable": {"thread_id": "t1"}}
    chunks = list(app.stream({"seen": []}, config, stream_mode=["custom", "tasks"]))
    assert ("custom", {"progress": 1}) in chunks
    (task_id,) = {chunk["id"] for mode, chunk in chunks if mode == "tasks"}
    assert facts["store"] is store
    assert facts["previous"] is None
    assert facts["info"] == (task_id, f"node:{task_id}", "t1", 1)
    assert isinstance(facts["started"], float)


@pytest.mark.parametrize("lib_name", LIBS)
def test_a_retried_node_sees_its_attempt_number(lib_name: str) -> None:
    lib = lib_of(lib_name)
    attempts: list[int] = []

    def flaky(state: State, runtime: Any) -> dict[str, Any]:
        attempts.append(runtime.execution_info.node_attempt)
        if len(attempts) < 3:
            raise ConnectionError("try again")
        return {"seen": attempts}

    builder = lib.StateGraph(State)
    policy = lib.RetryPolicy(initial_interval=0.001, jitter=False)
    builder.add_node("flaky", flaky, retry_policy=policy)
    builder.add_edge(lib.START, "flaky")
    assert builder.compile().invoke({"seen": []}) == {"seen": [1, 2, 3]}


@pytest.mark.parametrize("lib_name", LIBS)
def test_nodes_get_the_store_by_parameter_and_the_runtime_from_get_runtime(lib_name: str) -> None:
    lib = lib_of(lib_name)
    store = lib.InMemoryStore()
    store.put(("notes",), "n1", {"text": "the store"})

    # Unannotated: LangGraph fills ``store`` only when it is annotated BaseStore or not at all
    # (nbpregel goes by the name alone).
    def positional(state: State, store) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"seen": [store.get(("notes",), "n1").value["text"], lib.get_runtime().context]}

    def keyword_only(state: State, *, store, runtime: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        return {"seen": [*state["seen"], store is runtime.store, runtime.context]}

    builder = lib.StateGraph(State)
    builder.add_node("positional", positional)
    builder.add_node("keyword_only", keyword_only)
    builder.add_edge(lib.START, "positional")
    builder.add_edge("positional", "keyword_only")
    app = builder.compile(store=store)
    result = app.invoke({"seen": []}, context={"k": 1})
    assert result == {"seen": ["the store", {"k": 1}, True, {"k": 1}]}
    assert one_node(lib, lambda s, store: {"seen": [store]}).invoke({"seen": []}) == {
        "seen": [None]
    }


def test_get_runtime_outside_a_node_says_where_to_call_it() -> None:
    with pytest.raises(NbPregelError, match=r"get_runtime\(\) was called outside a running node"):
        lib_of("nbpregel").get_runtime()


@pytest.mark.parametrize("lib_name", LIBS)
def test_subgraphs_share_the_parents_context_and_store_unless_given_their_own(
    lib_name: str,
) -> None:
    lib = lib_of(lib_name)
    parent_store, own_store = lib.InMemoryStore(), lib.InMemoryStore()
    names = {id(parent_store): "parent", id(own_store): "own", id(None): None}

    def inner(state: State, runtime: Any) -> dict[str, Any]:
        return {"seen": [(runtime.context, names[id(runtime.store)])]}

    def sub(**compile_kwargs: Any) -> Any:
        builder = lib.StateGraph(State)
        builder.add_node("inner", inner)
        builder.add_edge(lib.START, "inner")
        return builder.compile(**compile_kwargs)

    plain, with_store = sub(), sub(store=own_store)

    def caller(state: State) -> dict[str, Any]:
        return {
            "seen": [
                plain.invoke({"seen": []})["seen"],
                plain.invoke({"seen": []}, context="explicit")["seen"],
                with_store.invoke({"seen": []})["seen"],
            ]
        }

    def parent(**compile_kwargs: Any) -> Any:
        builder = lib.StateGraph(State)
        builder.add_node("as_node", plain)
        builder.add_node("caller", caller)
        builder.add_edge(lib.START, "as_node")
        builder.add_edge("as_node", "caller")
        builder.add_edge("caller", lib.END)
        return builder.compile(**compile_kwargs)

    seen = list(parent(store=parent_store).stream({"seen": []}, context="outer"))
    assert seen == [
        {"as_node": {"seen": [("outer", "parent")]}},
        # The parent's store wins over a subgraph's own (LangGraph's rule).
        {
            "caller": {
                "seen": [[("outer", "parent")], [("explicit", "parent")], [("outer", "parent")]]
            }
        },
    ]
    # Deliberate difference: a nested graph with a store of its own, under a parent without
    # one, keeps its store in nbpregel (LangGraph gives it None).
    own = "own" if lib_name == "nbpregel" else None
    assert parent().invoke({"seen": []}, context="outer")["seen"] == [
        [("outer", None)],
        [("explicit", None)],
        [("outer", own)],
    ]


@pytest.mark.parametrize("lib_name", LIBS)
async def test_async_nodes_and_astream_get_the_runtime(lib_name: str) -> None:
    lib = lib_of(lib_name)

    async def node(state: State, runtime: Any) -> dict[str, Any]:
        return {"seen": [described(runtime.context), lib.get_runtime().context == runtime.context]}

    app = one_node(lib, node, context_schema=UserCtx)
    assert (await app.ainvoke({"seen": []}, context={"user": "ada"}))["seen"] == [
        ("UserCtx", {"user": "ada", "level": 0}),
        True,
    ]
    chunks = [c async for c in app.astream({"seen": []}, context={"level": 3})]
    assert chunks == [{"node": {"seen": [("UserCtx", {"user": "anon", "level": 3}), True]}}]


@pytest.mark.parametrize("lib_name", LIBS)
def test_an_interrupted_run_resumed_with_its_context_sees_it_again(lib_name: str) -> None:
    lib = lib_of(lib_name)

    def ask(state: State, runtime: Any) -> dict[str, Any]:
        answer = lib.interrupt(f"ok, {runtime.context.user}?")
        return {"seen": [answer, runtime.context.user]}

    app = one_node(lib, ask, context_schema=UserCtx, checkpointer=lib.InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    paused = app.invoke({"seen": []}, config, context={"user": "ada"})
    assert paused["__interrupt__"][0].value == "ok, ada?"
    done = app.invoke(lib.Command(resume="yes"), config, context={"user": "ada"})
    assert done == {"seen": ["yes", "ada"]}


@pytest.mark.parametrize("lib_name", LIBS)
def test_an_entrypoint_and_its_tasks_get_the_runtime_and_the_store(lib_name: str) -> None:
    lib = lib_of(lib_name)
    store = lib.InMemoryStore()

    @lib.task
    def tagged(x: int, *, runtime: Any, store) -> list[Any]:  # type: ignore[no-untyped-def]
        store.put(("calls",), str(x), {"context": runtime.context})
        return [x, runtime.context, runtime.store is store]

    @lib.entrypoint(checkpointer=lib.InMemorySaver(), store=store)
    def program(x: int, *, previous: Any = None, runtime: Any) -> list[Any]:
        return [tagged(x).result(), previous, runtime.previous, runtime.store is store]

    config = {"configurable": {"thread_id": "t"}}
    first = program.invoke(1, config, context="c1")
    assert first == [[1, "c1", True], None, None, True]
    second = program.invoke(2, config, context="c2")
    assert second == [[2, "c2", True], first, first, True]
    assert [item.value for item in store.search(("calls",))] == [
        {"context": "c1"},
        {"context": "c2"},
    ]


@pytest.mark.parametrize("lib_name", LIBS)
def test_batch_passes_the_context_to_every_run(lib_name: str) -> None:
    app = one_node(lib_of(lib_name), lambda state, runtime: {"seen": [runtime.context]})
    assert app.batch([{"seen": []}] * 2, context="shared") == [{"seen": ["shared"]}] * 2


def test_a_node_with_a_parameter_the_engine_cannot_fill_is_refused_when_added() -> None:
    lib = lib_of("nbpregel")

    def renamed(state: State, rt: Any) -> dict[str, Any]:
        return {}

    builder = lib.StateGraph(State)
    with pytest.raises(
        GraphValidationError, match=r"node 'renamed'.*'rt' has no default.*'runtime'"
    ):
        builder.add_node(renamed)
    assert "renamed" not in builder.nodes

    def defaulted(state: State, rt: Any = None, *, runtime: Any) -> dict[str, Any]:
        return {"seen": [rt, runtime.context]}

    builder.add_node(defaulted)
    builder.add_edge(lib.START, "defaulted")
    assert builder.compile().invoke({"seen": []}, context=1) == {"seen": [None, 1]}
