"""The builder's forms (federation staff) and the filters of the results."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maillage.core.models import Organisation, Region, Sector
from maillage.surveys.models import Cadence, Kind, Question, Survey

MAX_ITEMS = 40
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(forms.ModelForm):
    repeat = forms.ChoiceField(
        label=gettext_lazy("Repeated"), required=False, choices=[("", gettext_lazy("Once")), *list(Cadence.choices)]
    )
    wave = forms.DateField(
        label=gettext_lazy("Period of the first wave"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Survey
        fields = [
            "title_fr",
            "title_nl",
            "title_en",
            "intro_fr",
            "intro_nl",
            "intro_en",
            "audience",
            "opens_at",
            "closes_at",
        ]
        widgets = {
            "opens_at": DATETIME,
            "closes_at": DATETIME,
            "intro_fr": forms.Textarea(attrs={"rows": 3}),
            "intro_nl": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["repeat"]
            del self.fields["wave"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The survey must close after it opens."))
        if cleaned.get("repeat") and not cleaned.get("wave"):
            self.add_error("wave", _("Give the period of the first wave (e.g. the first day of the month)."))
        return cleaned


def _items(text: str, field: str) -> list[dict[str, str]]:
    """One item a line: "French | Dutch | English" (Dutch and English optional)."""
    items = []
    for number, line in enumerate(line for line in text.splitlines() if line.strip()):
        parts = [part.strip() for part in line.split("|")]
        if not parts[0]:
            raise ValidationError(_("Line %(n)s has no French text.") % {"n": number + 1}, code=field)
        items.append(
            {
                "value": str(number + 1),
                "fr": parts[0][:200],
                "nl": ([*parts, ""])[1][:200],
                "en": ([*parts, "", ""])[2][:200],
            }
        )
    if len(items) > MAX_ITEMS:
        raise ValidationError(_("At most %(n)s lines.") % {"n": MAX_ITEMS})
    return items


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of question"), choices=Kind.choices)
    text_fr = forms.CharField(label=gettext_lazy("Question (French)"), max_length=500)
    text_nl = forms.CharField(label=gettext_lazy("Question (Dutch)"), max_length=500, required=False)
    text_en = forms.CharField(label=gettext_lazy("Question (English)"), max_length=500, required=False)
    required = forms.BooleanField(label=gettext_lazy("An answer is required"), required=False)
    choices = forms.CharField(
        label=gettext_lazy("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One a line: French | Dutch | English. For single and multiple choice and grids."),
    )
    rows = forms.CharField(
        label=gettext_lazy("Rows of the grid"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One a line: French | Dutch | English."),
    )
    minimum = forms.IntegerField(label=gettext_lazy("Minimum"), required=False, min_value=-(10**9), max_value=10**9)
    maximum = forms.IntegerField(label=gettext_lazy("Maximum"), required=False, min_value=-(10**9), max_value=10**9)
    key = forms.SlugField(
        label=gettext_lazy("Key"), required=False, max_length=50,
        help_text=gettext_lazy("Optional: the same key in every wave of a repeated survey."),
    )  # fmt: skip
    condition = forms.ChoiceField(label=gettext_lazy("Shown only when"), required=False)

    def __init__(self, *args: Any, survey: Survey, question: Question | None = None, **kwargs: Any) -> None:
        """`question`: the question being edited (its fields as initial values), None to add one."""
        if question is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_of(question)
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.question = question
        others = survey.questions.filter(kind__in=[Kind.SINGLE, Kind.MULTIPLE])
        if question is not None:
            others = others.exclude(pk=question.pk)
        options: list[tuple[str, str]] = [("", _("Always shown"))]
        for other in others:
            for value, label in other.choice_labels():
                options.append((f"{other.pk}:{value}", f"{other.text} → {label}"))
        self.fields["condition"].choices = options  # type: ignore[attr-defined]

    def clean_key(self) -> str:
        key = slugify(self.cleaned_data.get("key") or "")
        taken = self.survey.questions.filter(key=key)
        if self.question is not None:
            taken = taken.exclude(pk=self.question.pk)
        if key and taken.exists():
            raise ValidationError(_("Another question of this survey has this key."))
        return key

    def _check_dependents(self, kind: str, choices: list[dict[str, str]]) -> None:
        """Questions shown on an answer of this one keep an answer to be shown on."""
        if self.question is None:
            return
        values = {item["value"] for item in choices} if kind in (Kind.SINGLE, Kind.MULTIPLE) else set()
        for dependent in self.survey.questions.filter(condition_question=self.question):
            if dependent.condition_value not in values:
                self.add_error(
                    "choices" if kind in (Kind.SINGLE, Kind.MULTIPLE) else "kind",
                    _("The question “%(question)s” is shown on an answer of this one: keep that answer.")
                    % {"question": dependent.text},
                )
                return

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        kind = cleaned.get("kind")
        for name in ("choices", "rows"):
            try:
                cleaned[name] = _items(cleaned.get(name) or "", name)
            except ValidationError as error:
                self.add_error(name, error)
                cleaned[name] = []
        if (
            kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.GRID)
            and len(cleaned["choices"]) < 2
            and "choices" not in self.errors
        ):
            self.add_error("choices", _("Give at least two choices."))
        if kind == Kind.GRID and not cleaned["rows"] and "rows" not in self.errors:
            self.add_error("rows", _("Give at least one row."))
        low, high = cleaned.get("minimum"), cleaned.get("maximum")
        if low is not None and high is not None and high <= low:
            self.add_error("maximum", _("The maximum must be larger than the minimum."))
        if kind == Kind.SCALE and low is not None and high is not None and high - low > 20:
            self.add_error("maximum", _("A scale has at most 21 steps."))
        if kind and "choices" not in self.errors:
            self._check_dependents(kind, cleaned["choices"])
        return cleaned

    def question_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["kind"]
        condition_question, condition_value = None, ""
        if data.get("condition"):
            question_id, condition_value = data["condition"].split(":", 1)
            condition_question = Question.objects.get(pk=int(question_id), survey=self.survey)
        return {
            "kind": kind,
            "text_fr": data["text_fr"],
            "text_nl": data["text_nl"],
            "text_en": data["text_en"],
            "required": data["required"],
            "choices": data["choices"] if kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.GRID) else [],
            "rows": data["rows"] if kind == Kind.GRID else [],
            "minimum": data.get("minimum") if kind in (Kind.NUMBER, Kind.SCALE) else None,
            "maximum": data.get("maximum") if kind in (Kind.NUMBER, Kind.SCALE) else None,
            "key": data.get("key") or (self.question.key if self.question is not None else ""),
            "condition_question": condition_question,
            "condition_value": condition_value,
        }


def _lines(items: list[dict[str, str]]) -> str:
    return "\n".join(" | ".join(item.get(code, "") for code in ("fr", "nl", "en")).rstrip(" |") for item in items)


def initial_of(question: Question) -> dict[str, Any]:
    """A question's fields as the builder's form shows them (choices and rows one a line)."""
    condition = f"{question.condition_question_id}:{question.condition_value}" if question.condition_question_id else ""
    return {
        "kind": question.kind, "text_fr": question.text_fr, "text_nl": question.text_nl, "text_en": question.text_en,
        "required": question.required, "choices": _lines(question.choices), "rows": _lines(question.rows),
        "minimum": question.minimum, "maximum": question.maximum, "key": question.key, "condition": condition,
    }  # fmt: skip


class InviteForm(forms.Form):
    organisations = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Member organisations"),
        queryset=Organisation.objects.filter(is_member=True).order_by("name_fr"),
        widget=forms.CheckboxSelectMultiple,
    )


class WaveForm(forms.Form):
    wave = forms.DateField(label=gettext_lazy("Period of the wave"), widget=forms.DateInput(attrs={"type": "date"}))
    opens_at = forms.DateTimeField(label=gettext_lazy("Opens at"), widget=DATETIME)
    closes_at = forms.DateTimeField(label=gettext_lazy("Closes at"), widget=DATETIME)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The survey must close after it opens."))
        return cleaned


class FilterForm(forms.Form):
    sector = forms.ChoiceField(
        label=gettext_lazy("Sector"), required=False, choices=[("", gettext_lazy("All")), *list(Sector.choices)]
    )
    region = forms.ChoiceField(
        label=gettext_lazy("Region"), required=False, choices=[("", gettext_lazy("All")), *list(Region.choices)]
    )
