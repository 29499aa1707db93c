"""How ``add_messages`` reads messages: as langchain messages, or as plain data.

A *codec* turns whatever a node wrote into messages, reads and assigns their ids and recognises
removals. ``add_messages`` holds the merge itself and asks a codec for everything else, so that
the langchain path and the plain-data path share one merge.

``langchain_core`` is imported on the first call that needs it (never when nbpregel is imported)
and the outcome, module or absence, is cached for the process.
"""

from __future__ import annotations

import functools
import operator
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Protocol

from nbpregel.errors import InvalidMessageError

__all__ = [
    "ACCEPTED_ROLES",
    "REMOVE_ROLE",
    "LangChainCodec",
    "MessageCodec",
    "PlainCodec",
    "langchain_codec",
    "new_id",
    "short_repr",
]

REMOVE_ROLE: Final = "remove"
# The role names langchain_core's conversion accepts, "remove" included.
ACCEPTED_ROLES: Final = (
    "human",
    "user",
    "ai",
    "assistant",
    "system",
    "developer",
    "function",
    "tool",
    REMOVE_ROLE,
)
_MESSAGE_FORMS: Final = (
    "pass a message object, a dict with 'role' and 'content' keys, a (role, content) tuple "
    "or a string"
)
_REPR_LIMIT: Final = 80


def short_repr(value: Any) -> str:
    """``repr(value)``, cut to a length that fits in an error message."""
    text = repr(value)
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."


def new_id() -> str:
    """A fresh message id: a uuid4 string, as LangGraph assigns."""
    return str(uuid.uuid4())


class MessageCodec(Protocol):
    """What the merge needs to know about one representation of messages."""

    def coerce(self, messages: list[Any], side: str) -> list[Any]:
        """The items of ``messages`` as messages (``side`` names the argument, for errors)."""
        ...

    @property
    def get_id(self) -> Callable[[Any], Any]:
        """A function from a coerced message to its id (None when it has none)."""
        ...

    def with_id(self, message: Any, message_id: str) -> Any:
        """``message`` carrying ``message_id``: the same object, or a new dict."""
        ...

    def is_removal(self, message: Any) -> bool:
        """Whether ``message`` asks to delete the message with its id."""
        ...


# -- plain data ------------------------------------------------------------------------------


def _dict_role(message: dict[str, Any]) -> Any:
    # langchain_core reads "role" first and falls back on "type"; so do we.
    return message["role"] if "role" in message else message.get("type")


def _check_role(role: Any, message: Any, where: str) -> None:
    if role not in ACCEPTED_ROLES:
        raise InvalidMessageError(
            f"add_messages: {where} = {short_repr(message)} has role {role!r}; use one of "
            f"{list(ACCEPTED_ROLES)}"
        )


def _plain_from_dict(message: dict[str, Any], where: str) -> dict[str, Any]:
    if "role" not in message and "type" not in message:
        raise InvalidMessageError(
            f"add_messages: {where} = {short_repr(message)} has neither a 'role' nor a 'type' "
            f"key; give it a 'role' (one of {list(ACCEPTED_ROLES)}) and a 'content'"
        )
    _check_role(_dict_role(message), message, where)
    if "content" not in message:
        raise InvalidMessageError(
            f"add_messages: {where} = {short_repr(message)} has no 'content' key; add one "
            "('' for a removal, as remove_message() makes)"
        )
    return message


def _plain_id(message: Any) -> Any:
    """The ``"id"`` key of a dict, the ``id`` attribute of an object."""
    if isinstance(message, dict):
        return message.get("id")
    return message.id


class PlainCodec:
    """Messages as plain data: dicts, and objects that carry an ``id`` attribute.

    A string becomes ``{"role": "human", "content": text}`` and a ``(role, content)`` pair
    ``{"role": role, "content": content}``; a dict must have a ``role`` (or ``type``) among
    ``ACCEPTED_ROLES`` and a ``content``, and is kept as it is; any other object is kept as it
    is if it has an ``id`` attribute. A removal is a dict whose role is ``"remove"`` or an
    object whose ``type`` attribute is ``"remove"``.

    >>> codec = PlainCodec()
    >>> codec.coerce(["hi", ("ai", "hello")], "right")
    [{'role': 'human', 'content': 'hi'}, {'role': 'ai', 'content': 'hello'}]
    """

    def coerce(self, messages: list[Any], side: str) -> list[Any]:
        """Each item as a dict message, or as the object with an ``id`` it already is."""
        return [self._coerce_one(message, f"{side}[{i}]") for i, message in enumerate(messages)]

    @staticmethod
    def _coerce_one(message: Any, where: str) -> Any:
        if isinstance(message, dict):
            return _plain_from_dict(message, where)
        if isinstance(message, str):
            return {"role": "human", "content": message}
        if hasattr(message, "id"):
            return message
        if isinstance(message, tuple | list):
            if len(message) != 2:
                raise InvalidMessageError(
                    f"add_messages: {where} = {short_repr(message)} is a sequence of "
                    f"{len(message)} items; a message as a sequence is a (role, content) pair"
                )
            role, content = message
            _check_role(role, message, where)
            return {"role": role, "content": content}
        raise InvalidMessageError(
            f"add_messages: {where} = {short_repr(message)} is not a message and has no 'id' "
            f"attribute to merge it by; {_MESSAGE_FORMS}"
        )

    get_id = staticmethod(_plain_id)

    def with_id(self, message: Any, message_id: str) -> Any:
        """A copy of a dict with ``"id"`` set; an object with its ``id`` attribute set."""
        if isinstance(message, dict):
            return {**message, "id": message_id}
        try:
            message.id = message_id
        except Exception as exc:
            raise InvalidMessageError(
                f"add_messages: {short_repr(message)} has id None and setting its 'id' "
                f"attribute failed ({type(exc).__name__}: {exc}); give it an id before "
                "writing it"
            ) from exc
        return message

    def is_removal(self, message: Any) -> bool:
        """A dict with role (or type) ``"remove"``, or an object whose ``type`` is ``"remove"``."""
        if isinstance(message, dict):
            return _dict_role(message) == REMOVE_ROLE
        return getattr(message, "type", None) == REMOVE_ROLE


# -- langchain -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LangChainCodec:
    """Messages as langchain_core message objects, converted as LangGraph converts them.

    Built by :func:`langchain_codec` from the names it imports.
    """

    base: type
    chunk: type
    remove: type
    convert: Callable[[Sequence[Any]], list[Any]]
    chunk_to_message: Callable[[Any], Any]
    to_openai: Callable[[Sequence[Any]], Any]

    def coerce(self, messages: list[Any], side: str) -> list[Any]:
        """The items as langchain messages (chunks made whole); messages are kept as they are."""
        base, chunk = self.base, self.chunk
        # A long history is all messages of a few classes: check the classes, not each item.
        if all(issubclass(t, base) and not issubclass(t, chunk) for t in set(map(type, messages))):
            return messages
        try:
            converted = self.convert(messages)
        except Exception as exc:
            error = self._conversion_error(messages, side)
            if error is None:  # no single item fails alone: the list's own error is the news
                raise
            raise error from exc
        return [self.chunk_to_message(message) for message in converted]

    def _conversion_error(self, messages: list[Any], side: str) -> InvalidMessageError | None:
        for i, message in enumerate(messages):
            try:
                self.convert([message])
            except Exception as item_exc:
                reason = str(item_exc).splitlines()[0] if str(item_exc) else repr(item_exc)
                return InvalidMessageError(
                    f"add_messages: {side}[{i}] = {short_repr(message)} cannot be converted "
                    f"to a message ({type(item_exc).__name__}: {reason}); {_MESSAGE_FORMS}"
                )
        return None

    # attrgetter runs in C: the merge reads the id of every message of the history.
    get_id: ClassVar[operator.attrgetter[Any]] = operator.attrgetter("id")

    def with_id(self, message: Any, message_id: str) -> Any:
        """The message, its ``id`` set in place (as LangGraph does)."""
        message.id = message_id
        return message

    def is_removal(self, message: Any) -> bool:
        """Whether ``message`` is a ``RemoveMessage``."""
        return isinstance(message, self.remove)

    def to_openai_format(self, messages: list[Any]) -> list[Any]:
        """The messages rewritten with OpenAI-style contents, as langchain_core formats them."""
        return self.convert(self.to_openai(messages))


@functools.cache
def langchain_codec() -> LangChainCodec | None:
    """The langchain codec, or None when ``langchain_core`` cannot be imported (cached)."""
    try:
        from langchain_core import messages as lc
    except ImportError:
        return None
    return LangChainCodec(
        base=lc.BaseMessage,
        chunk=lc.BaseMessageChunk,
        remove=lc.RemoveMessage,
        convert=lc.convert_to_messages,
        chunk_to_message=lc.message_chunk_to_message,
        to_openai=lc.convert_to_openai_messages,
    )
