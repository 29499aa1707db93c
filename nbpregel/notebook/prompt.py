"""``InterruptPrompt``: a small form, chosen from an interrupt's value, that produces its answer.

How the value chooses the form (first match wins):

=================================================  ==========================================
the interrupt's value                              the prompt
=================================================  ==========================================
``{"options": [...], "question": ...}``            a button per option; the answer is the
                                                   option
``True`` / ``False``, or ``{"question": ...,        *yes* and *no* buttons; the answer is a
"type": "bool"}``                                  bool
a string, or ``{"question": str, "default": d}``   a text box (a number when ``d`` is one)
``{"properties": {...}}`` (JSON schema) or a       a form, one field per property or key; the
dict of plain values (``{"name": "", "age": 0}``)  answer is a dict
anything else                                      a JSON text area
=================================================  ==========================================

Input is checked before anything is resumed: a field that does not parse shows its error next
to it, and the answer callback is not called.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any, Final

import ipywidgets as widgets

from nbpregel.notebook._fields import Field, PromptKind, fields_of, json_field, prompt_kind
from nbpregel.notebook._format import short_repr

__all__ = ["AnswerCallback", "InterruptPrompt", "PromptKind", "prompt_kind"]

AnswerCallback = Callable[[str, Any], None]
"""Called with ``(interrupt_id, answer)`` when the prompt is answered."""

_YES_NO: Final = (("yes", True), ("no", False))


class InterruptPrompt(widgets.VBox):
    """A question from a paused node, and the controls to answer it.

    Args:
        value: the value the node passed to ``interrupt(...)``.
        interrupt_id: the interrupt's id (passed to ``on_answer``).
        on_answer: called with ``(interrupt_id, answer)`` once a valid answer is given; if it
            raises, the error is shown and the prompt can be answered again.
        node: the node that asked, shown in the heading.

    Example:
        >>> answers = []
        >>> prompt = InterruptPrompt(
        ...     {"question": "Approve?", "options": ["yes", "no"]},
        ...     interrupt_id="i1",
        ...     on_answer=lambda key, value: answers.append((key, value)),
        ... )
        >>> prompt.kind, [button.description for button in prompt.buttons]
        (<PromptKind.OPTIONS: 'options'>, ['yes', 'no'])
        >>> prompt.buttons[0].click()
        >>> answers, prompt.answered
        ([('i1', 'yes')], True)
    """

    def __init__(
        self,
        value: Any,
        *,
        interrupt_id: str = "",
        on_answer: AnswerCallback | None = None,
        node: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.value = value
        self.interrupt_id = interrupt_id
        self.kind = prompt_kind(value)
        self.answered = False
        self.answer: Any = None
        self._on_answer = on_answer
        self.buttons: list[widgets.Button] = []
        self.fields: dict[str, Field] = {}
        self.submit_button: widgets.Button | None = None
        self.error = widgets.HTML("", layout=widgets.Layout(margin="0 0 0 4px"))
        self.error.add_class("nbp-field-error")
        heading = widgets.HTML(self._heading(node))
        super().__init__([heading, self._controls(), self.error], **kwargs)
        self.add_class("nbp-prompt")

    def submit(self) -> bool:
        """Check the fields and answer with their value; ``False`` (and errors shown) if invalid.

        For buttons-only prompts (options, yes/no) there is nothing to submit: click a button.
        """
        if not self.fields or self.answered:
            return False
        parsed: dict[str, Any] = {}
        for name, field in self.fields.items():
            ok, result = field.parse()
            if ok:
                parsed[name] = result
        if len(parsed) < len(self.fields):
            self.error.value = "please fix the fields marked in red"
            return False
        if self.kind is PromptKind.FORM:
            return self._give(parsed)
        (only,) = parsed.values()
        return self._give(only)

    # -- building ---------------------------------------------------------------------------

    def _heading(self, node: str | None) -> str:
        asker = f"<b>{html.escape(node)}</b> asks: " if node else ""
        question = self.value.get("question") if isinstance(self.value, Mapping) else None
        if isinstance(self.value, str):
            question = self.value
        if isinstance(question, str):
            return f"<div>{asker}{html.escape(question)}</div>"
        if self.kind is PromptKind.JSON:
            shown = html.escape(short_repr(self.value, limit=400))
            return f"<div>{asker}answer as JSON</div><pre>{shown}</pre>"
        return f"<div>{asker}</div>" if asker else "<div></div>"

    def _controls(self) -> widgets.Widget:
        if self.kind in (PromptKind.OPTIONS, PromptKind.BOOL):
            choices = _YES_NO if self.kind is PromptKind.BOOL else _options(self.value)
            for label, answer in choices:
                button = widgets.Button(description=label, tooltip=label)
                button.on_click(lambda _, answer=answer: self._give(answer))
                self.buttons.append(button)
            return widgets.HBox(self.buttons)
        self.fields = fields_of(self.value) if self.kind is not PromptKind.JSON else {}
        if not self.fields:
            self.fields = {"answer": json_field()}
        self.submit_button = widgets.Button(description="Submit", button_style="primary")
        self.submit_button.on_click(lambda _: self.submit())
        rows = [field.row for field in self.fields.values()]
        return widgets.VBox([*rows, self.submit_button])

    # -- answering --------------------------------------------------------------------------

    def _give(self, answer: Any) -> bool:
        if self.answered:
            return False
        self.answered, self.answer = True, answer
        self._enable(False)
        self.error.value = ""
        if self._on_answer is not None:
            try:
                self._on_answer(self.interrupt_id, answer)
            except Exception as exc:  # shown to the person answering; they may try again
                self.answered, self.answer = False, None
                self._enable(True)
                self.error.value = html.escape(f"could not resume: {exc}")
                return False
        return True

    def _enable(self, enabled: bool) -> None:
        for button in self.buttons:
            button.disabled = not enabled
        if self.submit_button is not None:
            self.submit_button.disabled = not enabled
        for field in self.fields.values():
            field.widget.disabled = not enabled


def _options(value: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [
        (option if isinstance(option, str) else short_repr(option, 40), option)
        for option in value["options"]
    ]
