"""``add_messages`` with langchain_core installed: the same merges as LangGraph's.

Each differential case builds its inputs twice (the merge sets ids on message objects in place,
so the two libraries must not share them) and compares the results message by message: class,
fields, and the id when the test chose it (an assigned id only has to be a uuid4 string).
The plain-data path is tested in ``test_messages_plain.py``, graphs in
``test_messages_graphs.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

lc = pytest.importorskip("langchain_core.messages")

from nbpregel.graph import add_messages  # noqa: E402
from nbpregel.graph.message import (  # noqa: E402
    REMOVE_ALL_MESSAGES,
    InvalidMessageError,
    MessageFormat,
    remove_message,
)

AI, Human, Remove, System, Tool = (
    lc.AIMessage,
    lc.HumanMessage,
    lc.RemoveMessage,
    lc.SystemMessage,
    lc.ToolMessage,
)
REMOVE_ALL = REMOVE_ALL_MESSAGES
ASSIGNED = "<uuid4>"


def is_uuid4(value: Any) -> bool:
    try:
        return (
            isinstance(value, str)
            and uuid.UUID(value).version == 4
            and str(uuid.UUID(value)) == value
        )
    except ValueError:
        return False


def view(messages: list[Any]) -> list[tuple[str, Any, dict[str, Any]]]:
    """Each message as (class, id or ASSIGNED, other fields)."""
    return [
        (
            type(m).__name__,
            ASSIGNED if is_uuid4(m.id) else m.id,
            m.model_dump(exclude={"id"}),
        )
        for m in messages
    ]


# -- differential merges -------------------------------------------------------------------

Case = Callable[[], tuple[Any, Any, dict[str, Any]]]

MERGES: dict[str, Case] = {
    "append": lambda: ([Human("hi", id="1")], [AI("hello", id="2")], {}),
    "single_messages_both_sides": lambda: (Human("hi", id="1"), AI("hello", id="2"), {}),
    "string_and_tuple": lambda: ("hi", ("assistant", "hello"), {}),
    "list_pair": lambda: ([], [["ai", "b"]], {}),
    "dicts_role_and_type": lambda: (
        [{"role": "user", "content": "x", "id": "1"}],
        [{"type": "ai", "content": "y"}, {"role": "system", "content": "z", "name": "n"}],
        {},
    ),
    "developer_role": lambda: ([], {"role": "developer", "content": "be brief"}, {}),
    "tool_dict": lambda: ([], [{"role": "tool", "content": "42", "tool_call_id": "c1"}], {}),
    "none_content": lambda: ([], {"role": "user", "content": None}, {}),
    "empty_string_id_is_kept": lambda: ([], {"role": "user", "content": "x", "id": ""}, {}),
    "replace_in_place": lambda: (
        [Human("a", id="1"), AI("b", id="2"), Human("c", id="3")],
        [AI("B", id="2")],
        {},
    ),
    "duplicates_in_right": lambda: ([Human("a", id="1")], [AI("x", id="2"), AI("y", id="2")], {}),
    "duplicate_ids_in_left": lambda: (
        [Human("a", id="1"), Human("b", id="1")],
        [AI("c", id="1")],
        {},
    ),
    "remove": lambda: ([Human("a", id="1"), AI("b", id="2")], [Remove(id="1")], {}),
    "remove_duplicates_in_left": lambda: (
        [Human("a", id="1"), Human("b", id="1"), AI("c", id="2")],
        Remove(id="1"),
        {},
    ),
    "remove_then_rewrite": lambda: (
        [Human("a", id="1")],
        [Remove(id="1"), AI("b", id="1")],
        {},
    ),
    "write_then_remove": lambda: ([Human("a", id="1")], [AI("b", id="2"), Remove(id="2")], {}),
    "plain_removal_dict": lambda: ([Human("a", id="1")], remove_message("1"), {}),
    "remove_all": lambda: (
        [Human("a", id="1"), AI("b", id="2")],
        [Remove(id=REMOVE_ALL), Human("fresh", id="3")],
        {},
    ),
    "remove_all_keeps_the_rest_as_it_is": lambda: (
        [Human("a", id="1")],
        [Remove(id=REMOVE_ALL), AI("b", id="2"), AI("c", id="2"), Remove(id="9")],
        {},
    ),
    "last_remove_all_wins": lambda: (
        [Human("a", id="1")],
        [AI("x"), Remove(id=REMOVE_ALL), "s", remove_message(REMOVE_ALL), "t"],
        {},
    ),
    "chunk_becomes_message": lambda: ([AI("x", id="1")], lc.AIMessageChunk("y", id="2"), {}),
    "ids_for_left_too": lambda: ([Human("a"), AI("b", id="2")], [], {}),
    "tool_calls": lambda: (
        [],
        [
            AI("", id="a", tool_calls=[{"name": "search", "args": {"q": "x"}, "id": "c1"}]),
            Tool("found", tool_call_id="c1", id="t"),
        ],
        {},
    ),
    "openai_format": lambda: (
        [Human("hi", id="1")],
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look:"},
                {
                    "type": "image",
                    "source": {"type": "base64", "media_type": "image/jpeg", "data": "1234"},
                },
            ],
        },
        {"format": "langchain-openai"},
    ),
    "openai_format_tool_messages": lambda: (
        [],
        [
            AI("", id="a", tool_calls=[{"name": "s", "args": {}, "id": "c"}]),
            Tool("r", tool_call_id="c", id="t"),
        ],
        {"format": "langchain-openai"},
    ),
    "openai_format_skipped_after_remove_all": lambda: (
        [Human("a", id="1")],
        [Remove(id=REMOVE_ALL), Human([{"type": "text", "text": "x"}], id="2")],
        {"format": "langchain-openai"},
    ),
}

# Inputs both libraries refuse (LangGraph's exception types vary; ours is InvalidMessageError).
REFUSED: dict[str, Case] = {
    "unknown_role": lambda: ([], {"role": "bogus", "content": "x"}, {}),
    "dict_without_content": lambda: ([], {"role": "user"}, {}),
    "not_a_message": lambda: ([], [Human("a", id="1"), 5], {}),
    "triple": lambda: ([], ("a", "b", "c"), {}),
    "tool_pair_without_call_id": lambda: ([], [("tool", "res")], {}),
    "remove_unknown_id": lambda: ([Human("a", id="1")], Remove(id="2"), {}),
    "remove_already_removed": lambda: (
        [Human("a", id="1")],
        [Remove(id="1"), Remove(id="1"), Remove(id="3")],
        {},
    ),
}

# What the error names: the culprit's position or id.
CULPRITS = {
    "unknown_role": "right[0]",
    "dict_without_content": "right[0]",
    "not_a_message": "right[1] = 5",
    "triple": "right[0]",
    "tool_pair_without_call_id": "tool_call_id",
    "remove_unknown_id": "'2'",
    "remove_already_removed": "'3'",
}


def _langgraph_add_messages() -> Any:
    from langgraph.graph.message import add_messages as theirs

    return theirs


@pytest.mark.langgraph
@pytest.mark.parametrize("build", MERGES.values(), ids=MERGES.keys())
def test_merge_matches_langgraph(build: Case) -> None:
    theirs = _langgraph_add_messages()
    left, right, kwargs = build()
    expected = view(theirs(left, right, **kwargs))
    left, right, kwargs = build()
    assert view(add_messages(left, right, **kwargs)) == expected


@pytest.mark.langgraph
@pytest.mark.parametrize("name", REFUSED, ids=REFUSED.keys())
def test_refused_by_both_and_our_error_names_the_culprit(name: str) -> None:
    theirs = _langgraph_add_messages()
    left, right, kwargs = REFUSED[name]()
    with pytest.raises(Exception) as their_error:
        theirs(left, right, **kwargs)
    left, right, kwargs = REFUSED[name]()
    with pytest.raises(InvalidMessageError, match="add_messages: ") as our_error:
        add_messages(left, right, **kwargs)
    assert CULPRITS[name] in str(our_error.value)
    if isinstance(their_error.value, ValueError):  # code catching LangGraph's error still works
        assert isinstance(our_error.value, ValueError)


@pytest.mark.langgraph
def test_bound_format_matches_langgraph() -> None:
    theirs = _langgraph_add_messages()(format="langchain-openai")
    ours = add_messages(format="langchain-openai")
    content = [{"type": "text", "text": "hi"}]
    expected = view(theirs([], [Human(content, id="1")]))
    assert view(ours([], [Human(content, id="1")])) == expected
    assert view(add_messages()([], "x")) == view(_langgraph_add_messages()()([], "x"))


# -- our own guarantees ----------------------------------------------------------------------


def test_assigned_ids_are_uuid4_strings_set_on_the_objects() -> None:
    message = Human("hi")
    merged = add_messages([], [message, "there"])
    assert merged[0] is message and is_uuid4(message.id)
    assert is_uuid4(merged[1].id) and merged[1].id != message.id


def test_left_list_is_not_changed() -> None:
    left = [Human("a", id="1"), AI("b", id="2")]
    before = list(left)
    merged = add_messages(left, [Remove(id="1"), AI("c", id="2")])
    assert left == before and merged is not left
    assert [(m.id, m.content) for m in merged] == [("2", "c")]


def test_chunks_on_the_left_become_messages() -> None:
    merged = add_messages([lc.AIMessageChunk("part", id="1")], [])
    assert type(merged[0]) is AI and merged[0].content == "part"


def test_removal_without_an_id_is_refused() -> None:
    # langchain_core refuses to build it: the error still points at the item and the id.
    with pytest.raises(InvalidMessageError, match=r"right\[0\] = .*'id'"):
        add_messages([Human("a", id="1")], {"role": "remove", "content": ""})


def test_remove_message_helper_reads_as_a_remove_message() -> None:
    merged = add_messages([Human("a", id="1"), Human("b", id="2")], remove_message("2"))
    assert [m.id for m in merged] == ["1"]
    with pytest.raises(TypeError, match="must be a str"):
        remove_message(2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("left", "right", "missing"), [([], None, "right"), (None, [], "left"), ("x", None, "right")]
)
def test_one_side_missing_names_it(left: Any, right: Any, missing: str) -> None:
    with pytest.raises(ValueError, match=f"{missing} is None"):
        add_messages(left, right)


def test_unknown_format_is_refused_when_bound() -> None:
    with pytest.raises(ValueError, match=r"unknown format 'bogus' \(must be one of \[None, "):
        add_messages(format="bogus")  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="unknown format"):
        add_messages([], [], format="bogus")  # type: ignore[call-overload]


def test_format_accepts_the_enum() -> None:
    merged = add_messages(
        [], Human([{"type": "text", "text": "x"}], id="1"), format=MessageFormat.LANGCHAIN_OPENAI
    )
    assert type(merged[0]) is Human
    assert add_messages(format=MessageFormat.PLAIN)([], "x")[0]["role"] == "human"


# -- langchain_core is imported lazily -------------------------------------------------------

# Prints the top-level modules loaded after importing nbpregel and its graph package, and after
# the first merge.
_PROBE = """
import json, sys
import nbpregel, nbpregel.graph, nbpregel.graph.message
before = sorted({m.partition(".")[0] for m in sys.modules})
nbpregel.graph.add_messages([], "hi")
after = sorted({m.partition(".")[0] for m in sys.modules})
print(json.dumps({"before": before, "after": after}))
"""


def test_langchain_core_is_imported_on_the_first_merge_only(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repo root, so only the installed package can be found
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)
    assert "langchain_core" not in loaded["before"], (
        "`import nbpregel.graph` loaded langchain_core; import it inside the function that "
        "needs it (nbpregel/graph/_message_codecs.py does so on the first merge)"
    )
    assert "langchain_core" in loaded["after"]  # the probe can see it: the check has teeth


def test_message_module_exports_are_pinned() -> None:
    import nbpregel.graph.message as message

    assert set(message.__all__) == {
        "REMOVE_ALL_MESSAGES",
        "AnyMessage",
        "InvalidMessageError",
        "MessageFormat",
        "Messages",
        "MessagesState",
        "add_messages",
        "remove_message",
    }
    # The names a LangGraph notebook imports from langgraph.graph.message keep their values.
    assert message.REMOVE_ALL_MESSAGES == "__remove_all__"
