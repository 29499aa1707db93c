"""The fields of an :class:`~nbpregel.notebook.prompt.InterruptPrompt`: which kind of prompt an
interrupt's value asks for, and one input widget with its parser and error label per field."""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, Final

import ipywidgets as widgets

__all__ = ["Field", "PromptKind", "fields_of", "json_field", "prompt_kind"]

_BOOL_TYPES: Final = frozenset({"bool", "boolean"})
_TEXT_KEYS: Final = frozenset({"question", "default", "type"})
_SCALARS: Final = (str, int, float, bool, type(None))
_ANSWER: Final = "answer"


class PromptKind(StrEnum):
    """The kinds of prompt, by what the interrupt's value looks like."""

    OPTIONS = "options"
    BOOL = "bool"
    TEXT = "text"
    FORM = "form"
    JSON = "json"


def prompt_kind(value: Any) -> PromptKind:
    """The prompt an interrupt's value asks for (see :mod:`nbpregel.notebook.prompt`).

    Example:
        >>> [str(prompt_kind(v)) for v in ({"options": [1, 2]}, True, "Name?", {"n": 0}, [1])]
        ['options', 'bool', 'text', 'form', 'json']
    """
    if isinstance(value, bool):
        return PromptKind.BOOL
    if isinstance(value, str):
        return PromptKind.TEXT
    if not isinstance(value, Mapping) or not value:
        return PromptKind.JSON
    options, question = value.get("options"), value.get("question")
    if isinstance(options, list | tuple) and options:
        return PromptKind.OPTIONS
    if isinstance(question, str) and value.get("type") in _BOOL_TYPES:
        return PromptKind.BOOL
    if isinstance(question, str) and set(value) <= _TEXT_KEYS:
        return PromptKind.TEXT
    properties = value.get("properties")
    if (
        isinstance(properties, Mapping)
        and properties
        and all(isinstance(spec, Mapping) for spec in properties.values())
    ):
        return PromptKind.FORM
    if question is None and all(
        isinstance(key, str) and isinstance(field, _SCALARS) for key, field in value.items()
    ):
        return PromptKind.FORM
    return PromptKind.JSON


@dataclasses.dataclass(slots=True)
class Field:
    """One input: its widget, how its text becomes a value, and where its error shows."""

    widget: widgets.ValueWidget
    parser: Callable[[Any], Any]
    error: widgets.HTML
    row: widgets.Widget

    def parse(self) -> tuple[bool, Any]:
        """``(True, value)``, or ``(False, None)`` with the error shown next to the widget."""
        try:
            value = self.parser(self.widget.value)
        except ValueError as exc:
            self.error.value = html.escape(str(exc))
            return False, None
        self.error.value = ""
        return True, value


def fields_of(value: Any) -> dict[str, Field]:
    """The fields of a text or form prompt, by name (``answer`` for a single text box)."""
    if isinstance(value, str):
        return {_ANSWER: _default_field("", "")}
    if isinstance(value.get("question"), str):
        return {_ANSWER: _default_field("", value.get("default"))}
    properties = value.get("properties")
    if isinstance(properties, Mapping):
        required = set(value.get("required") or ())
        return {
            str(name): _schema_field(str(name), spec, str(name) in required)
            for name, spec in properties.items()
        }
    return {str(name): _default_field(str(name), default) for name, default in value.items()}


def json_field() -> Field:
    """A text area whose content must be JSON."""
    area = widgets.Textarea(
        placeholder='a JSON value, e.g. "yes", 42, [1, 2] or {"approved": true}',
        layout=widgets.Layout(width="100%", height="6em"),
    )
    return _field("", area, _parse_json)


def _default_field(label: str, default: Any) -> Field:
    """A field typed by its default value: a checkbox, a number box or a text box."""
    if isinstance(default, bool):
        return _field(label, widgets.Checkbox(value=default, indent=False), bool)
    if isinstance(default, int | float):
        parser = _parse_int if isinstance(default, int) else _parse_float
        return _field(label, widgets.Text(value=str(default)), parser)
    text = "" if default is None else str(default)
    return _field(label, widgets.Text(value=text), str)


def _schema_field(name: str, spec: Mapping[str, Any], required: bool) -> Field:
    """A field for one property of a JSON schema (``type``, ``enum``, ``default``, ``title``)."""
    label = str(spec.get("title") or name)
    kind, default = spec.get("type"), spec.get("default")
    if isinstance(spec.get("enum"), list | tuple) and spec["enum"]:
        choices = [(_label(option), option) for option in spec["enum"]]
        start = default if default in spec["enum"] else spec["enum"][0]
        return _field(label, widgets.Dropdown(options=choices, value=start), _same)
    if kind in _BOOL_TYPES:
        return _field(label, widgets.Checkbox(value=bool(default), indent=False), bool)
    text = (
        ""
        if default is None
        else json.dumps(default)
        if kind in ("array", "object")
        else str(default)
    )
    box = widgets.Text(value=text, placeholder=str(spec.get("description") or ""))
    parsers: dict[Any, Callable[[Any], Any]] = {
        "integer": _parse_int,
        "number": _parse_float,
        "array": _parse_json,
        "object": _parse_json,
    }
    parser = parsers.get(kind, str)
    return _field(label, box, _required(parser) if required else _optional(parser, kind))


def _field(label: str, widget: widgets.ValueWidget, parser: Callable[[Any], Any]) -> Field:
    error = widgets.HTML("")
    error.add_class("nbp-field-error")
    parts = [widgets.Label(label), widget, error] if label else [widget, error]
    return Field(widget=widget, parser=parser, error=error, row=widgets.HBox(parts))


def _label(option: Any) -> str:
    return option if isinstance(option, str) else json.dumps(option, default=repr)


def _same(value: Any) -> Any:
    return value


def _required(parser: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def parse(text: str) -> Any:
        if not text.strip():
            raise ValueError("required")
        return parser(text)

    return parse


def _optional(parser: Callable[[Any], Any], kind: Any) -> Callable[[Any], Any]:
    if kind in (None, "string"):
        return parser

    def parse(text: str) -> Any:
        return None if not text.strip() else parser(text)

    return parse


def _parse_int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None


def _parse_float(text: str) -> float:
    try:
        return float(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
