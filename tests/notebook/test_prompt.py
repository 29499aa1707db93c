"""InterruptPrompt: the form follows the value; bad input shows an error and answers nothing."""

from __future__ import annotations

import html
from typing import Any

import pytest

from nbpregel.notebook import InterruptPrompt
from nbpregel.notebook.prompt import PromptKind, prompt_kind

HOSTILE = "<script>alert(1)</script>"


class Answers:
    """Collects what prompts answer."""

    def __init__(self) -> None:
        self.given: list[tuple[str, Any]] = []

    def __call__(self, interrupt_id: str, answer: Any) -> None:
        self.given.append((interrupt_id, answer))


def prompt(value: Any, answers: Answers) -> InterruptPrompt:
    return InterruptPrompt(value, interrupt_id="id-1", on_answer=answers, node="ask")


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ({"question": "Approve?", "options": ["yes", "no"]}, PromptKind.OPTIONS),
        ({"options": [1, 2, 3]}, PromptKind.OPTIONS),
        (True, PromptKind.BOOL),
        (False, PromptKind.BOOL),
        ({"question": "Ship it?", "type": "bool"}, PromptKind.BOOL),
        ({"question": "Name?", "default": "Ada"}, PromptKind.TEXT),
        ({"question": "How many?", "default": 3}, PromptKind.TEXT),
        ("What is your name?", PromptKind.TEXT),
        ({"name": "", "age": 0, "admin": False}, PromptKind.FORM),
        ({"type": "object", "properties": {"n": {"type": "integer"}}}, PromptKind.FORM),
        ({"question": "Edit", "draft": {"nested": 1}}, PromptKind.JSON),
        ([1, 2], PromptKind.JSON),
        (None, PromptKind.JSON),
        (42, PromptKind.JSON),
        ({}, PromptKind.JSON),
        ({"options": []}, PromptKind.JSON),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, PromptKind) else str(v),
)
def test_the_value_chooses_the_prompt(value: Any, kind: PromptKind) -> None:
    assert prompt_kind(value) is kind
    assert InterruptPrompt(value).kind is kind


def test_option_buttons_answer_with_the_option() -> None:
    answers = Answers()
    options = [{"plan": "A"}, 2, "three"]
    view = prompt({"question": "Pick", "options": options}, answers)
    assert [button.description for button in view.buttons] == ["{'plan': 'A'}", "2", "three"]
    view.buttons[0].click()
    assert answers.given == [("id-1", {"plan": "A"})]
    assert view.answered and all(button.disabled for button in view.buttons)
    view.buttons[1].click()  # a second click answers nothing
    assert answers.given == [("id-1", {"plan": "A"})]


@pytest.mark.parametrize("value", [True, {"question": "Ship it?", "type": "bool"}])
@pytest.mark.parametrize(("label", "answer"), [("yes", True), ("no", False)])
def test_yes_no_buttons_answer_a_bool(value: Any, label: str, answer: bool) -> None:
    answers = Answers()
    view = prompt(value, answers)
    (button,) = [b for b in view.buttons if b.description == label]
    button.click()
    assert answers.given == [("id-1", answer)]


def test_text_box_answers_with_its_text() -> None:
    answers = Answers()
    view = prompt({"question": "Name?", "default": "Ada"}, answers)
    assert view.fields["answer"].widget.value == "Ada"
    view.fields["answer"].widget.value = "Grace"
    assert view.submit_button is not None
    view.submit_button.click()
    assert answers.given == [("id-1", "Grace")]


def test_a_plain_string_is_a_question_answered_in_a_text_box() -> None:
    answers = Answers()
    view = prompt("What is your name?", answers)
    assert "What is your name?" in view.children[0].value
    view.fields["answer"].widget.value = "Ada"
    assert view.submit()
    assert answers.given == [("id-1", "Ada")]


def test_numeric_default_wants_a_number() -> None:
    answers = Answers()
    view = prompt({"question": "How many?", "default": 3}, answers)
    field = view.fields["answer"]
    field.widget.value = "three"
    assert not view.submit()
    assert html.unescape(field.error.value) == "'three' is not a whole number"
    assert answers.given == [] and not view.answered
    field.widget.value = " 4 "
    assert view.submit()
    assert field.error.value == ""
    assert answers.given == [("id-1", 4)]


def test_dict_of_fields_is_a_form() -> None:
    answers = Answers()
    view = prompt({"name": "", "age": 0, "ratio": 0.5, "admin": False}, answers)
    assert set(view.fields) == {"name", "age", "ratio", "admin"}
    view.fields["name"].widget.value = "Ada"
    view.fields["age"].widget.value = "thirty"
    view.fields["admin"].widget.value = True
    assert not view.submit()
    assert "not a whole number" in view.fields["age"].error.value
    assert view.fields["name"].error.value == "" and view.fields["ratio"].error.value == ""
    assert answers.given == []
    view.fields["age"].widget.value = "36"
    assert view.submit()
    assert answers.given == [("id-1", {"name": "Ada", "age": 36, "ratio": 0.5, "admin": True})]


def test_json_schema_form() -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "title": "Title"},
            "count": {"type": "integer", "default": 2},
            "mode": {"enum": ["fast", "slow"], "default": "slow"},
            "tags": {"type": "array"},
            "notify": {"type": "boolean"},
        },
        "required": ["title"],
    }
    answers = Answers()
    view = prompt(schema, answers)
    assert view.fields["mode"].widget.value == "slow"
    assert not view.submit()
    assert view.fields["title"].error.value == "required"
    view.fields["title"].widget.value = "Report"
    view.fields["tags"].widget.value = '["a", "b"]'
    assert view.submit()
    assert answers.given == [
        (
            "id-1",
            {"title": "Report", "count": 2, "mode": "slow", "tags": ["a", "b"], "notify": False},
        )
    ]


def test_invalid_json_shows_an_error_and_answers_nothing() -> None:
    answers = Answers()
    view = prompt([1, 2], answers)
    field = view.fields["answer"]
    field.widget.value = "{oops"
    assert view.submit_button is not None
    view.submit_button.click()
    assert field.error.value.startswith("not valid JSON: ")
    assert "line 1, column 2" in field.error.value
    assert answers.given == [] and not view.answered
    field.widget.value = '{"approved": true, "n": [1, 2]}'
    view.submit_button.click()
    assert field.error.value == ""
    assert answers.given == [("id-1", {"approved": True, "n": [1, 2]})]


def test_hostile_text_is_escaped() -> None:
    for value in (HOSTILE, {"question": HOSTILE, "options": ["ok"]}, [HOSTILE]):
        view = InterruptPrompt(value, node=HOSTILE)
        heading = view.children[0].value
        assert "<script>" not in heading and "&lt;script&gt;" in heading


def test_a_failing_callback_is_shown_and_the_prompt_can_answer_again() -> None:
    calls: list[Any] = []

    def on_answer(interrupt_id: str, answer: Any) -> None:
        calls.append(answer)
        if len(calls) == 1:
            raise RuntimeError("the <run> is not interrupted")

    view = InterruptPrompt({"options": ["a", "b"]}, interrupt_id="i", on_answer=on_answer)
    view.buttons[0].click()
    assert view.error.value == "could not resume: the &lt;run&gt; is not interrupted"
    assert not view.answered and not view.buttons[0].disabled
    view.buttons[1].click()
    assert calls == ["a", "b"] and view.answered and view.answer == "b"
