"""The public surface is a contract: these names are what users import."""

from __future__ import annotations

import importlib

import pytest

import nbpregel

EXPECTED = {
    "nbpregel": {
        "END",
        "START",
        "CachePolicy",
        "Command",
        "CompiledStateGraph",
        "EmptyChannelError",
        "GraphInterrupt",
        "GraphRecursionError",
        "GraphValidationError",
        "Interrupt",
        "InvalidUpdateError",
        "NbPregelError",
        "NodeBuilder",
        "Overwrite",
        "Pregel",
        "RetryPolicy",
        "Send",
        "StateGraph",
        "StateSnapshot",
        "get_config",
        "get_stream_writer",
        "interrupt",
    },
    "nbpregel.errors": {
        "CheckpointError",
        "EmptyChannelError",
        "EmptyInputError",
        "GraphBubbleUp",
        "GraphDrained",
        "GraphInterrupt",
        "GraphRecursionError",
        "GraphValidationError",
        "InvalidContextError",
        "InvalidMessageError",
        "InvalidResumeError",
        "InvalidUpdateError",
        "NbPregelError",
        "NodeInterrupt",
        "NodeTimeoutError",
        "ParentCommand",
        "SerializationError",
        "ToolCallError",
    },
    "nbpregel.types": {
        "All",
        "CachePolicy",
        "Checkpointer",
        "Command",
        "Durability",
        "Interrupt",
        "NodeError",
        "Overwrite",
        "PregelTask",
        "RetryPolicy",
        "Send",
        "StateSnapshot",
        "StateUpdate",
        "StreamMode",
        "StreamWriter",
        "TimeoutPolicy",
        "TracePolicy",
        "TracedTask",
        "interrupt",
    },
    "nbpregel.graph": {
        "END",
        "START",
        "CompiledStateGraph",
        "DrawableEdge",
        "DrawableGraph",
        "DrawableNode",
        "MessagesState",
        "StateGraph",
        "add_messages",
    },
    "nbpregel.graph.message": {
        "REMOVE_ALL_MESSAGES",
        "AnyMessage",
        "InvalidMessageError",
        "MessageFormat",
        "Messages",
        "MessagesState",
        "add_messages",
        "remove_message",
    },
    "nbpregel.runtime": {
        "ExecutionInfo",
        "InvalidContextError",
        "RunControl",
        "Runtime",
        "get_runtime",
    },
    "nbpregel.store.memory": {"InMemoryStore"},
    "nbpregel.prebuilt": {
        "AgentState",
        "AgentStatePydantic",
        "InjectedState",
        "InjectedStore",
        "ToolNode",
        "ToolRuntime",
        "ValidationNode",
        "create_react_agent",
        "tools_condition",
    },
    "nbpregel.checkpoint.postgres": {"AsyncPostgresSaver", "BasePostgresSaver", "PostgresSaver"},
    "nbpregel.func": {"entrypoint", "task"},
    "nbpregel.config": {"get_config", "get_store", "get_stream_writer"},
    "nbpregel.managed": {
        "IsLastStep",
        "IsLastStepManager",
        "ManagedValue",
        "RemainingSteps",
        "RemainingStepsManager",
        "managed_of",
    },
    "nbpregel.notebook": {
        "GraphView",
        "GraphvizError",
        "GraphvizNotFoundError",
        "GraphvizRenderError",
        "InterruptPrompt",
        "NodeState",
        "Recorder",
        "RunView",
        "VertexTables",
        "dot_source",
        "graph_mimebundle",
        "render_svg",
        "run",
        "show",
        "to_dot",
        "vertex_tables",
    },
    "nbpregel.pregel": {
        "NodeBuilder",
        "Pregel",
        "PregelNode",
        "get_config",
        "get_stream_writer",
        "interrupt",
    },
}


@pytest.mark.parametrize("module", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_all_is_pinned(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == EXPECTED[module]
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{module}.{name} is exported but missing"


def test_every_error_derives_from_the_base() -> None:
    import nbpregel.errors as errors

    for name in errors.__all__:
        assert issubclass(getattr(errors, name), errors.NbPregelError), name


def test_lazy_names_resolve_and_unknown_names_fail() -> None:
    assert nbpregel.InMemorySaver.__name__ == "InMemorySaver"
    assert "show" in dir(nbpregel)
    assert nbpregel.vertex_tables.__module__ == "nbpregel.notebook.vertex_tables"
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = nbpregel.no_such_name  # type: ignore[attr-defined]


def test_langgraph_names_match_ours() -> None:
    """A LangGraph notebook ports by changing imports: the core names exist with the same roles."""
    from nbpregel import END, START

    assert (START, END) == ("__start__", "__end__")
    assert nbpregel.Command.PARENT == "__parent__"
