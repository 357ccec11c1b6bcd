"""The questionnaire as a form: one field per question (one per row of a grid), checked on the server.

Conditional questions are always on the page (no JavaScript needed) with the condition written
under them; an answer to a question whose condition is not met is dropped, and it is required only
when its condition is met. "Save and continue later" keeps what is valid without asking for the
required answers; "Send" asks for everything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.surveys.models import Kind, Question

MAX_SHORT = 300
MAX_LONG = 5000
SCALE_DEFAULT = (1, 5)


def field_name(question: Question, row: str | None = None) -> str:
    return f"q_{question.key}" if row is None else f"q_{question.key}__{row}"


def scale_bounds(question: Question) -> tuple[int, int]:
    low = question.minimum if question.minimum is not None else SCALE_DEFAULT[0]
    high = question.maximum if question.maximum is not None else SCALE_DEFAULT[1]
    return low, high


def _field(question: Question, row_label: str = "") -> forms.Field:
    label = f"{question.text} — {row_label}" if row_label else question.text
    kind = question.kind
    if kind in (Kind.SINGLE, Kind.GRID):
        return forms.ChoiceField(
            label=label, required=False, choices=question.choice_labels(), widget=forms.RadioSelect
        )
    if kind == Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            label=label, required=False, choices=question.choice_labels(), widget=forms.CheckboxSelectMultiple
        )
    if kind == Kind.NUMBER:
        return forms.IntegerField(label=label, required=False, min_value=question.minimum, max_value=question.maximum)
    if kind == Kind.SCALE:
        low, high = scale_bounds(question)
        return forms.TypedChoiceField(
            label=label, required=False, coerce=int, empty_value=None,
            choices=[(str(n), str(n)) for n in range(low, high + 1)], widget=forms.RadioSelect,
        )  # fmt: skip
    if kind == Kind.DATE:
        return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))
    if kind == Kind.LONG_TEXT:
        return forms.CharField(
            label=label, required=False, max_length=MAX_LONG, widget=forms.Textarea(attrs={"rows": 4})
        )
    return forms.CharField(label=label, required=False, max_length=MAX_SHORT)


def _stored(value: Any) -> Any:
    """What goes in the JSON of the answers."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [str(item) for item in value]
    return value


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def condition_met(question: Question, answers: dict[str, Any], by_id: dict[int, Question]) -> bool:
    if question.condition_question_id is None:
        return True
    other = by_id.get(question.condition_question_id)
    if other is None:
        return True
    value = answers.get(other.key)
    if isinstance(value, list):
        return question.condition_value in value
    return value is not None and str(value) == question.condition_value


def condition_text(question: Question, by_id: dict[int, Question]) -> str:
    other = by_id.get(question.condition_question_id or 0)
    if other is None:
        return ""
    labels = dict(other.choice_labels())
    answer = labels.get(question.condition_value, question.condition_value)
    return _("Answer only if you answered “%(answer)s” to “%(question)s”.") % {"answer": answer, "question": other.text}


class AnswerForm(forms.Form):
    """Built from the survey's questions; `answers()` gives the JSON to store."""

    def __init__(
        self, questions: list[Question], *args: Any, initial_answers: dict[str, Any] | None = None, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.by_id = {question.pk: question for question in questions}
        self.finishing = False
        initial_answers = initial_answers or {}
        for question in questions:
            help_text = condition_text(question, self.by_id)
            if question.kind == Kind.GRID:
                stored = initial_answers.get(question.key) or {}
                for row, row_label in question.row_labels():
                    field = _field(question, row_label)
                    field.help_text = help_text
                    field.initial = stored.get(row) if isinstance(stored, dict) else None
                    self.fields[field_name(question, row)] = field
            else:
                field = _field(question)
                field.help_text = help_text
                field.initial = initial_answers.get(question.key)
                self.fields[field_name(question)] = field
            for name in self.names_of(question):
                self.fields[name].widget.attrs.setdefault("data-question", question.key)
                if question.required:
                    self.fields[name].label_suffix = " *"

    def names_of(self, question: Question) -> list[str]:
        if question.kind == Kind.GRID:
            return [field_name(question, row) for row, _label in question.row_labels()]
        return [field_name(question)]

    def groups(self) -> list[tuple[Question, list[forms.BoundField]]]:
        return [(question, [self[name] for name in self.names_of(question)]) for question in self.questions]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        answers: dict[str, Any] = {}
        for question in self.questions:
            if question.kind == Kind.GRID:
                rows = {row: cleaned.get(field_name(question, row)) for row, _label in question.row_labels()}
                filled = {row: value for row, value in rows.items() if not is_blank(value)}
                if filled and len(filled) < len(rows):
                    self.add_error(
                        field_name(question, next(row for row in rows if row not in filled)),
                        _("Answer every row of this grid, or none."),
                    )
                answers[question.key] = filled or None
            else:
                answers[question.key] = _stored(cleaned.get(field_name(question)))
        # Conditions in order: a question hidden by an earlier answer is dropped.
        for question in self.questions:
            if not condition_met(question, answers, self.by_id):
                answers[question.key] = None
            elif self.finishing and question.required and is_blank(answers.get(question.key)):
                name = self.names_of(question)[0]
                if name not in self.errors:
                    self.add_error(name, _("This question needs an answer."))
        self.cleaned_answers = {key: value for key, value in answers.items() if not is_blank(value)}
        return cleaned


REQUIRED_MARK = gettext_lazy("* an answer is required")
