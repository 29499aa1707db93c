"""Message-list state: the ``add_messages`` reducer and ``MessagesState``, as in LangGraph.

``add_messages`` merges the messages a node writes into the state's list: new ids are
appended, a known id replaces that message where it stands, a removal deletes by id, and
``REMOVE_ALL_MESSAGES`` clears the list. Messages without an id are given a uuid4 string.

**With langchain_core installed** (imported on the first merge, never by ``import nbpregel``)
messages are langchain message objects, converted exactly as LangGraph converts them: a dict
``{"role": ..., "content": ...}``, a ``(role, content)`` pair or a string (a human message)
becomes a ``HumanMessage``, ``AIMessage``... and ``RemoveMessage(id=...)`` deletes.

**Without it** (or with ``format="plain"``) messages stay plain data:

* a message is a dict ``{"role": ..., "content": ..., "id": ...}`` (``"type"`` may stand for
  ``"role"``, extra keys such as ``"name"`` or ``"tool_call_id"`` are kept); the roles are
  langchain_core's: ``human``/``user``, ``ai``/``assistant``, ``system``/``developer``,
  ``function``, ``tool`` and ``remove``;
* a string becomes ``{"role": "human", "content": text}``, a ``(role, content)`` pair
  ``{"role": role, "content": content}``; a dict given without an id is copied, not changed;
* any other object with an ``id`` attribute is kept as it is (its ``id`` set if it is None);
* a removal is ``remove_message(id)``, i.e. ``{"role": "remove", "content": "", "id": id}``
  (or an object whose ``type`` attribute is ``"remove"``). That dict is also understood by
  langchain_core, which turns it into a ``RemoveMessage``, so code that writes it works in
  both modes.

>>> history = [{"role": "user", "content": "hi", "id": "1"}]
>>> add_messages(history, ("assistant", "hello"), format="plain")[1]["content"]
'hello'
>>> add_messages(history, remove_message(REMOVE_ALL_MESSAGES), format="plain")
[]
"""

import functools
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, Final, Literal, TypeAlias, TypedDict, overload

from nbpregel.errors import InvalidMessageError
from nbpregel.graph._message_codecs import (
    REMOVE_ROLE,
    LangChainCodec,
    MessageCodec,
    PlainCodec,
    langchain_codec,
    new_id,
    short_repr,
)

__all__ = [
    "REMOVE_ALL_MESSAGES",
    "AnyMessage",
    "InvalidMessageError",
    "MessageFormat",
    "Messages",
    "MessagesState",
    "add_messages",
    "remove_message",
]

REMOVE_ALL_MESSAGES: Final = "__remove_all__"
"""The id of a removal that deletes every message before it (LangGraph's value)."""

AnyMessage: TypeAlias = Any
"""A message: a langchain message object, a plain dict message, or an object with an ``id``."""

Messages: TypeAlias = Any
"""What ``add_messages`` accepts on either side: one message-like value or a list of them."""

_PLAIN: Final = PlainCodec()


class MessageFormat(StrEnum):
    """The ``format=`` values of :func:`add_messages` (plain strings are accepted too).

    Attributes:
        LANGCHAIN_OPENAI: LangGraph's ``"langchain-openai"``: contents rewritten as OpenAI-style
            blocks by langchain_core (which drops the messages' ids, as in LangGraph).
        PLAIN: nbpregel's ``"plain"``: keep messages as plain data even when langchain_core is
            installed (LangGraph has no such format).
    """

    LANGCHAIN_OPENAI = "langchain-openai"
    PLAIN = "plain"


_Format: TypeAlias = MessageFormat | Literal["langchain-openai", "plain"] | None
_Reducer: TypeAlias = Callable[[Messages, Messages], list[AnyMessage]]


def _parse_format(format: Any) -> MessageFormat | None:
    if format is None:
        return None
    try:
        return MessageFormat(format)
    except ValueError:
        allowed = [None, *(f.value for f in MessageFormat)]
        raise ValueError(
            f"add_messages: unknown format {format!r} (must be one of {allowed})"
        ) from None


def _codec_for(fmt: MessageFormat | None) -> MessageCodec:
    if fmt is MessageFormat.PLAIN:
        return _PLAIN
    codec = langchain_codec()
    if codec is not None:
        return codec
    if fmt is MessageFormat.LANGCHAIN_OPENAI:
        raise ImportError(
            "add_messages(format='langchain-openai') needs langchain_core, which cannot be "
            "imported; install langchain-core, or drop the format to keep plain messages"
        )
    return _PLAIN


def _prepared(messages: Messages, side: str, codec: MessageCodec) -> list[AnyMessage]:
    """``messages`` as a list of coerced messages, each with an id."""
    items = messages if isinstance(messages, list) else [messages]
    out = codec.coerce(items, side)
    if None not in map(codec.get_id, out):  # the usual case, checked without a Python loop
        return out
    if out is items:  # never change the caller's list
        out = list(items)
    for i, message in enumerate(out):
        if codec.get_id(message) is None:
            if codec.is_removal(message):
                raise InvalidMessageError(
                    f"add_messages: the removal {side}[{i}] = {short_repr(message)} has no id; "
                    "give it the id of the message to delete, or REMOVE_ALL_MESSAGES"
                )
            out[i] = codec.with_id(message, new_id())
    return out


def _after_remove_all(right: list[AnyMessage], codec: MessageCodec) -> int | None:
    """The index just after the last ``REMOVE_ALL_MESSAGES`` removal in ``right``, if any."""
    for i in range(len(right) - 1, -1, -1):
        message = right[i]
        if codec.get_id(message) == REMOVE_ALL_MESSAGES and codec.is_removal(message):
            return i + 1
    return None


def _merge(
    left: list[AnyMessage], right: list[AnyMessage], codec: MessageCodec
) -> list[AnyMessage]:
    get_id = codec.get_id
    merged = list(left)
    position = dict(zip(map(get_id, merged), range(len(merged)), strict=True))
    deleted: set[Any] = set()
    for message in right:
        message_id = get_id(message)
        at = position.get(message_id)
        if codec.is_removal(message):
            if at is None:
                raise InvalidMessageError(
                    f"add_messages: cannot remove message id {message_id!r}: no message in the "
                    f"list has it; remove ids present in the state (or written before the "
                    f"removal), or use REMOVE_ALL_MESSAGES to clear the list"
                )
            deleted.add(message_id)
        elif at is None:
            position[message_id] = len(merged)
            merged.append(message)
        else:
            # A later message with the id replaces it in place, and cancels an earlier removal.
            deleted.discard(message_id)
            merged[at] = message
    if deleted:
        merged = [message for message in merged if get_id(message) not in deleted]
    return merged


@overload
def add_messages(
    left: Messages, right: Messages, *, format: _Format = None
) -> list[AnyMessage]: ...


@overload
def add_messages(left: None = None, right: None = None, *, format: _Format = None) -> _Reducer: ...


def add_messages(
    left: Messages | None = None, right: Messages | None = None, *, format: _Format = None
) -> list[AnyMessage] | _Reducer:
    """Merge the messages ``right`` into the list ``left``, by id; the reducer of chat state.

    Messages in ``right`` whose id is new are appended; one whose id is already in ``left``
    replaces that message in place; a removal (``RemoveMessage``, or ``remove_message(id)``)
    deletes the message with its id, which must exist. A removal with id
    ``REMOVE_ALL_MESSAGES`` drops everything before it: the result is then the messages after
    the last such removal, taken as they are (not merged with each other, not formatted), as
    LangGraph does. Messages without an id (on either side) are given a uuid4 string.

    Called with neither ``left`` nor ``right``, it returns the reducer with ``format`` bound:
    ``Annotated[list, add_messages(format="langchain-openai")]``.

    Args:
        left: the current messages: a list, or one message-like value.
        right: the new messages: a list, or one message-like value.
        format: None (messages as they are converted); ``"langchain-openai"`` (contents in
            OpenAI's block format, through langchain_core); ``"plain"`` (plain data even when
            langchain_core is installed; an nbpregel extension). See :class:`MessageFormat`.

    Returns:
        A new list (``left`` is not changed), or, given neither side, the bound reducer.

    Raises:
        InvalidMessageError: a value that is not a message, a removal of an unknown id, a
            removal without an id.
        ValueError: an unknown ``format``, or only one of ``left`` and ``right`` given.
        ImportError: ``format="langchain-openai"`` without langchain_core.

    >>> left = [{"role": "user", "content": "hi", "id": "1"}]
    >>> right = [{"role": "assistant", "content": "hello", "id": "2"}]
    >>> add_messages(left, right, format="plain")  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'user', 'content': 'hi', 'id': '1'},
     {'role': 'assistant', 'content': 'hello', 'id': '2'}]
    >>> add_messages(left, {"role": "user", "content": "hi again", "id": "1"}, format="plain")
    [{'role': 'user', 'content': 'hi again', 'id': '1'}]
    >>> add_messages(left, remove_message("1"), format="plain")
    []
    >>> reducer = add_messages(format="plain")
    >>> new = reducer([], "a string")[0]
    >>> new["role"], new["content"], len(new["id"])
    ('human', 'a string', 36)
    """
    fmt = _parse_format(format)
    if left is None or right is None:
        if left is None and right is None:
            bound = functools.partial(add_messages, format=fmt)
            bound.message_format = fmt  # type: ignore[attr-defined]  # read by "messages" streams
            return bound
        missing = "left" if left is None else "right"
        raise ValueError(
            f"add_messages: {missing} is None; pass both the current and the new messages "
            "([] for none), or neither to get the reducer with its format bound"
        )
    codec = _codec_for(fmt)
    old = _prepared(left, "left", codec)
    new = _prepared(right, "right", codec)
    start = _after_remove_all(new, codec)
    if start is not None:
        return new[start:]
    merged = _merge(old, new, codec)
    if fmt is MessageFormat.LANGCHAIN_OPENAI and isinstance(codec, LangChainCodec):
        merged = codec.to_openai_format(merged)
    return merged


add_messages.message_format = None  # type: ignore[attr-defined]
"""A reducer's ``message_format`` says it merges chat messages, and in which format: the
``messages`` stream reads it to tell dict messages (``"plain"``) from other dicts."""


def remove_message(message_id: str) -> dict[str, Any]:
    """A plain-data removal: merged by :func:`add_messages`, it deletes the message ``message_id``.

    With langchain_core installed, ``add_messages`` reads it as ``RemoveMessage(id=message_id)``.

    Args:
        message_id: the id of the message to delete, or ``REMOVE_ALL_MESSAGES`` to clear the list.

    Raises:
        TypeError: ``message_id`` is not a string.

    >>> remove_message("42")
    {'role': 'remove', 'content': '', 'id': '42'}
    """
    if not isinstance(message_id, str):
        raise TypeError(
            f"remove_message: the id must be a str, got {short_repr(message_id)}; pass the "
            "'id' of the message to delete"
        )
    return {"role": REMOVE_ROLE, "content": "", "id": message_id}


class MessagesState(TypedDict):
    """A state with one key, ``messages``, merged by :func:`add_messages`; subclass to add keys.

    >>> from nbpregel.graph import START, StateGraph
    >>> class Chat(MessagesState):
    ...     turns: int
    >>> builder = StateGraph(Chat)
    >>> _ = builder.add_node("bot", lambda s: {"messages": [("ai", "hello")], "turns": 1})
    >>> _ = builder.add_edge(START, "bot")
    >>> out = builder.compile().invoke({"messages": [("user", "hi")]})
    >>> len(out["messages"]), out["turns"]
    (2, 1)
    """

    messages: Annotated[list[AnyMessage], add_messages]
