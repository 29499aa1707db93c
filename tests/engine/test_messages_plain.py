"""``add_messages`` without langchain_core: messages as plain data.

The ``no_langchain`` fixture makes ``langchain_core`` un-importable (its ``sys.modules``
entries set to None, which makes ``import`` raise) and clears the cached import attempt, so
the real ``add_messages`` takes the plain path exactly as it does where langchain_core is not
installed; a subprocess test checks that situation end to end. ``format="plain"`` asks for the
same path with langchain_core installed.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nbpregel.checkpoint import SqliteSaver
from nbpregel.errors import InvalidUpdateError
from nbpregel.graph import START, MessagesState, StateGraph, add_messages
from nbpregel.graph._message_codecs import ACCEPTED_ROLES, langchain_codec
from nbpregel.graph.message import REMOVE_ALL_MESSAGES, InvalidMessageError, remove_message


def is_uuid4(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(uuid.UUID(value, version=4)) == value
    except ValueError:
        return False


@pytest.fixture
def no_langchain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """langchain_core cannot be imported for the duration of the test."""
    names = {"langchain_core", *(m for m in sys.modules if m.startswith("langchain_core."))}
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)
    langchain_codec.cache_clear()
    with pytest.raises(ImportError):
        from langchain_core import messages  # noqa: F401
    yield
    monkeypatch.undo()
    langchain_codec.cache_clear()


@dataclasses.dataclass
class Note:
    """A message-like object of the user's own: kept as it is, merged by its ``id``."""

    text: str
    id: str | None = None
    type: str = "note"


@dataclasses.dataclass(frozen=True)
class FrozenNote:
    text: str
    id: str | None = None


# -- conversion ----------------------------------------------------------------------------


@pytest.mark.usefixtures("no_langchain")
def test_strings_and_pairs_become_dicts_with_ids() -> None:
    merged = add_messages("hi", [("assistant", "hello"), ["tool", "42"]])
    assert [(m["role"], m["content"]) for m in merged] == [
        ("human", "hi"),
        ("assistant", "hello"),
        ("tool", "42"),
    ]
    assert all(is_uuid4(m["id"]) for m in merged)
    assert len({m["id"] for m in merged}) == 3


@pytest.mark.usefixtures("no_langchain")
@pytest.mark.parametrize("role", ACCEPTED_ROLES[:-1], ids=ACCEPTED_ROLES[:-1])
def test_every_langchain_role_is_accepted(role: str) -> None:
    assert add_messages([], (role, "x"))[0]["role"] == role


@pytest.mark.usefixtures("no_langchain")
def test_dicts_are_kept_and_copied_only_to_add_an_id() -> None:
    with_id = {"role": "user", "content": "x", "id": "1", "name": "ann"}
    without_id = {"type": "ai", "content": "y", "tool_calls": []}
    merged = add_messages([with_id], without_id)
    assert merged[0] is with_id
    assert merged[1] == {**without_id, "id": merged[1]["id"]} and is_uuid4(merged[1]["id"])
    assert "id" not in without_id  # the caller's dict is not changed


@pytest.mark.usefixtures("no_langchain")
def test_objects_with_an_id_are_kept_and_given_one() -> None:
    note = Note("remember")
    merged = add_messages([Note("first", id="n1")], note)
    assert merged[1] is note and is_uuid4(note.id)
    replaced = add_messages(merged, Note("FIRST", id="n1"))
    assert [m.text for m in replaced] == ["FIRST", "remember"]


@pytest.mark.usefixtures("no_langchain")
@pytest.mark.parametrize(
    ("right", "match"),
    [
        ({"role": "bogus", "content": "x"}, r"right\[0\] = .* has role 'bogus'; use one of \["),
        ({"content": "x"}, r"right\[0\] = .* neither a 'role' nor a 'type'"),
        ({"role": "user"}, r"right\[0\] = .* has no 'content' key"),
        ([("ai", "ok"), ("a", "b", "c")], r"right\[1\] = .* sequence of 3 items"),
        ([("ai", "ok"), 5], r"right\[1\] = 5 is not a message and has no 'id' attribute"),
        (FrozenNote("x"), r"setting its 'id' attribute failed \(FrozenInstanceError"),
        ({"role": "remove", "content": ""}, r"the removal right\[0\] = .* has no id"),
        (remove_message("nope"), r"cannot remove message id 'nope'"),
    ],
    ids=[
        "unknown_role",
        "no_role",
        "no_content",
        "triple",
        "int",
        "frozen_without_id",
        "removal_without_id",
        "unknown_removal",
    ],
)
def test_errors_name_the_culprit(right: Any, match: str) -> None:
    with pytest.raises(InvalidMessageError, match=match) as error:
        add_messages([{"role": "user", "content": "x", "id": "1"}], right)
    assert isinstance(error.value, ValueError)


@pytest.mark.usefixtures("no_langchain")
def test_openai_format_needs_langchain() -> None:
    with pytest.raises(ImportError, match="install langchain-core"):
        add_messages([], "x", format="langchain-openai")


# -- merging -------------------------------------------------------------------------------


def _msg(role: str, content: str, message_id: str) -> dict[str, Any]:
    return {"role": role, "content": content, "id": message_id}


@pytest.mark.usefixtures("no_langchain")
def test_merge_by_id_replaces_in_place_and_removes() -> None:
    left = [_msg("user", "a", "1"), _msg("ai", "b", "2"), _msg("user", "c", "3")]
    merged = add_messages(left, [_msg("ai", "B", "2"), remove_message("1"), _msg("ai", "d", "4")])
    assert [(m["id"], m["content"]) for m in merged] == [("2", "B"), ("3", "c"), ("4", "d")]
    assert [m["content"] for m in left] == ["a", "b", "c"]


@pytest.mark.usefixtures("no_langchain")
def test_a_rewrite_after_a_removal_keeps_the_message() -> None:
    merged = add_messages([_msg("user", "a", "1")], [remove_message("1"), _msg("ai", "b", "1")])
    assert merged == [_msg("ai", "b", "1")]


@pytest.mark.usefixtures("no_langchain")
def test_an_object_typed_remove_is_a_removal() -> None:
    merged = add_messages([Note("a", id="1"), Note("b", id="2")], Note("", id="1", type="remove"))
    assert [m.id for m in merged] == ["2"]


@pytest.mark.usefixtures("no_langchain")
def test_remove_all_keeps_what_follows_it() -> None:
    left = [_msg("user", "a", "1")]
    right = ["x", remove_message(REMOVE_ALL_MESSAGES), _msg("ai", "fresh", "9")]
    assert add_messages(left, right) == [_msg("ai", "fresh", "9")]
    assert add_messages(left, remove_message(REMOVE_ALL_MESSAGES)) == []


# -- the two paths agree -------------------------------------------------------------------

# langchain_core's message type for each role name a plain message may carry.
LANGCHAIN_TYPE = {"user": "human", "assistant": "ai", "developer": "system"}
PORTABLE = {
    "strings_and_pairs": ("hi", [("assistant", "hello"), ("system", "s")]),
    "dicts": (
        [_msg("user", "a", "1"), _msg("assistant", "b", "2")],
        [_msg("human", "A", "1"), {"role": "developer", "content": "d"}],
    ),
    "removals": ([_msg("user", "a", "1"), _msg("ai", "b", "2")], [remove_message("2"), "c"]),
    "remove_all": ([_msg("user", "a", "1")], [remove_message(REMOVE_ALL_MESSAGES), "c"]),
}


def _summary(message: Any) -> tuple[str, Any, str]:
    if isinstance(message, dict):
        role, content, message_id = message["role"], message["content"], message["id"]
        role = LANGCHAIN_TYPE.get(role, role)
    else:
        role, content, message_id = message.type, message.content, message.id
    return role, content, "<uuid4>" if is_uuid4(message_id) else message_id


@pytest.mark.parametrize(("left", "right"), PORTABLE.values(), ids=PORTABLE.keys())
def test_plain_and_langchain_paths_give_the_same_conversation(left: Any, right: Any) -> None:
    pytest.importorskip("langchain_core")
    as_langchain = [_summary(m) for m in add_messages(left, right)]
    as_plain = [_summary(m) for m in add_messages(left, right, format="plain")]
    assert as_plain == as_langchain
    assert all(isinstance(m, dict) for m in add_messages(left, right, format="plain"))


def test_plain_format_keeps_langchain_objects_and_honours_remove_message() -> None:
    lc = pytest.importorskip("langchain_core.messages")
    left = [lc.HumanMessage("a", id="1"), lc.AIMessage("b", id="2")]
    merged = add_messages(left, [lc.RemoveMessage(id="1"), "c"], format="plain")
    assert merged[0] is left[1]
    assert merged[1]["role"] == "human" and merged[1]["content"] == "c"


# -- graphs --------------------------------------------------------------------------------


def _chat_graph() -> StateGraph:
    def bot(state: MessagesState) -> dict[str, Any]:
        last = state["messages"][-1]
        return {"messages": [{"role": "ai", "content": f"echo {last['content']}", "id": "ai-1"}]}

    def trim(state: MessagesState) -> dict[str, Any]:
        return {"messages": [remove_message(state["messages"][0]["id"])]}

    def reset(state: MessagesState) -> dict[str, Any]:
        return {"messages": [remove_message(REMOVE_ALL_MESSAGES), ("system", "fresh start")]}

    builder = StateGraph(MessagesState)
    builder.add_sequence([bot, trim, ("again", bot), reset])
    builder.add_edge(START, "bot")
    return builder


@pytest.mark.usefixtures("no_langchain")
def test_messages_state_graph_runs_on_plain_data() -> None:
    graph = _chat_graph().compile()
    chunks = list(graph.stream({"messages": "hi"}, stream_mode="values"))
    steps = [[(m["role"], m["content"]) for m in chunk["messages"]] for chunk in chunks]
    assert steps == [
        [("human", "hi")],
        [("human", "hi"), ("ai", "echo hi")],
        [("ai", "echo hi")],
        [("ai", "echo echo hi")],  # same id: replaced in place
        [("system", "fresh start")],
    ]
    (final,) = graph.invoke({"messages": "hi"})["messages"]
    assert (final["role"], final["content"]) == ("system", "fresh start")
    assert is_uuid4(final["id"]) and final["id"] != chunks[-1]["messages"][0]["id"]


@pytest.mark.usefixtures("no_langchain")
def test_removing_an_unknown_id_fails_the_step() -> None:
    builder = StateGraph(MessagesState)
    builder.add_node("x", lambda state: {"messages": remove_message("nope")})
    builder.add_edge(START, "x")
    with pytest.raises(InvalidUpdateError, match="cannot remove message id 'nope'"):
        builder.compile().invoke({"messages": []})


@pytest.mark.usefixtures("no_langchain")
def test_plain_messages_survive_a_sqlite_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "chat.db"
    config = {"configurable": {"thread_id": "t"}}
    out = _chat_graph().compile(checkpointer=SqliteSaver(path)).invoke({"messages": "hi"}, config)
    state = _chat_graph().compile(checkpointer=SqliteSaver(path)).get_state(config)
    assert state.values == out and out["messages"][0]["content"] == "fresh start"


# A fresh interpreter where langchain_core cannot be imported at all.
_WITHOUT_LANGCHAIN = """
import json, sys
sys.modules["langchain_core"] = None
from nbpregel.graph import START, MessagesState, StateGraph
from nbpregel.graph.message import remove_message

def bot(state):
    return {"messages": [("ai", "hello"), remove_message(state["messages"][0]["id"])]}

builder = StateGraph(MessagesState)
builder.add_node("bot", bot)
builder.add_edge(START, "bot")
out = builder.compile().invoke({"messages": [("user", "hi"), {"role": "user", "content": "there"}]})
print(json.dumps(out))
"""


def test_a_messages_graph_runs_where_langchain_core_is_missing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_LANGCHAIN],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    messages = json.loads(result.stdout)["messages"]
    assert [(m["role"], m["content"]) for m in messages] == [("user", "there"), ("ai", "hello")]
    assert all(is_uuid4(m["id"]) for m in messages)


_DOCTESTS_WITHOUT_LANGCHAIN = """
import doctest, sys
sys.modules["langchain_core"] = None
import nbpregel.graph._message_codecs as codecs
import nbpregel.graph.message as message
flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
results = [doctest.testmod(module, optionflags=flags) for module in (message, codecs)]
print(sum(r.attempted for r in results), sum(r.failed for r in results))
"""


def test_docstring_examples_pass_without_langchain_core(tmp_path: Path) -> None:
    # The suite runs them with langchain_core installed; they must hold without it too.
    result = subprocess.run(
        [sys.executable, "-c", _DOCTESTS_WITHOUT_LANGCHAIN],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    attempted, failed = map(int, result.stdout.split()[-2:])
    assert attempted >= 10 and failed == 0, result.stdout
