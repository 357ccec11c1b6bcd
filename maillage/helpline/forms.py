"""Forms of the helpline. They parse; CallForm.clean() calls the domain check, services.clean_call_data."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.parsing import (
    BoundedCharField,
    BoundedDateField,
    BoundedDateTimeField,
)
from maillage.core.uploads import UploadSizeValidator
from maillage.helpline.models import (
    Action,
    CallbackOutcome,
    CallerSex,
    CallerType,
    HeardVia,
    LineLanguage,
    Urgency,
    Weekday,
)

# Free texts: long enough for what a shift has to say, short enough that nobody pastes a book.
COMMENT_MAX = 2000
DEBRIEFING_MAX = 5000
WEEKLY_NOTE_MAX = 10000
DATETIME_FORMATS = [
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d",
]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class DateTimeTextInput(forms.DateTimeInput):
    """A date and time typed as text: one Tab stop (a datetime-local field has six in Chromium)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        base = {"placeholder": _("YYYY-MM-DD HH:MM"), "autocomplete": "off", "inputmode": "numeric", "size": "16"}
        super().__init__(attrs={**base, **(attrs or {})}, format="%Y-%m-%d %H:%M")


class CallForm(forms.Form):
    started_at = BoundedDateTimeField(
        label=_("Start of the call"), widget=DateTimeTextInput(), input_formats=DATETIME_FORMATS
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autofocus": True}),
        error_messages={"invalid": _("The duration is a whole number of minutes.")},
    )
    language = forms.ChoiceField(label=_("Language of the call"), choices=LineLanguage.choices, initial="fr")
    caller_sex = forms.ChoiceField(label=_("Caller sex"), choices=CallerSex.choices, initial=CallerSex.UNKNOWN)
    postal_code = BoundedCharField(
        label=_("Caller postal code"),
        required=False,
        max_length=10,
        help_text=_("Four digits; leave empty if unknown."),
        widget=forms.TextInput(attrs={"list": "postal-options", "autocomplete": "off", "inputmode": "numeric"}),
    )
    caller_area = forms.ChoiceField(
        label=_("Where the caller lives"),
        required=False,
        choices=[
            ("", _("From the postal code")),
            ("outside", _("Outside Brussels (code not given)")),
            ("unknown", _("Unknown")),
        ],
    )
    caller_type = forms.ChoiceField(label=_("Caller"), choices=CallerType.choices, initial=CallerType.CONCERNED)
    heard_via = forms.ChoiceField(
        label=_("Heard of the line through"), required=False, choices=[("", "—"), *HeardVia.choices]
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.LOW)
    comment = BoundedCharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "comment-warning"}),
    )
    reference = BoundedCharField(
        label=_("Reference quoted by the caller"),
        required=False,
        max_length=20,
        help_text=_("Six characters, given at an earlier call; links this call to the earlier ones."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": "8", "class": "reference-input"}),
    )

    def __init__(
        self, *args: Any, organisation: Any = None, requests: forms.BaseFormSet | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.requests = requests
        self.clean_call: Any = None
        if not self.is_bound and "started_at" not in self.initial:
            self.initial["started_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def filled_requests(self) -> list[forms.Form]:
        assert self.requests is not None
        return [f for f in self.requests.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]

    def clean(self) -> dict[str, Any]:
        """The domain check (services.clean_call_data) of the call and its requests, once; errors next to fields."""
        cleaned = super().clean() or {}
        if self.organisation is None or self.requests is None:
            return cleaned
        if not self.requests.is_valid():  # a request field that cannot even be read: said next to it
            self.add_error(None, list(self.requests.non_form_errors()) or [_("Correct the requests marked below.")])
            return cleaned
        if self.errors:
            return cleaned  # a field that cannot even be read: say so first
        from maillage.helpline.services.calls import clean_call_data

        filled = self.filled_requests()
        try:
            self.clean_call = clean_call_data(
                self.organisation, {**cleaned, "requests": [f.cleaned_data for f in filled]}
            )
        except ValidationError as error:
            for key, field_errors in error.error_dict.items():
                messages = [message for item in field_errors for message in item.messages]
                if key.startswith("requests-"):
                    _prefix, index, name = key.split("-", 2)
                    filled[int(index)].add_error(name if name in filled[int(index)].fields else None, messages)
                    if not self.has_error(NON_FIELD_ERRORS, "requests"):  # the call is not valid either
                        self.add_error(None, ValidationError(_("Correct the requests marked below."), code="requests"))
                elif key in self.fields:
                    self.add_error(key, messages)
                else:
                    self.add_error(None, messages)
        return cleaned


class RequestForm(forms.Form):
    category = BoundedCharField(
        label=_("Category"),
        max_length=250,
        help_text=_("Type a code or words of the label."),
        widget=forms.TextInput(attrs={"list": "category-options", "autocomplete": "off"}),
    )
    note = BoundedCharField(label=_("Short note"), required=False, max_length=300)
    action = forms.ChoiceField(label=_("Action taken"), choices=[("", "—"), *Action.choices], required=False)
    service = BoundedCharField(label=_("Service referred to"), required=False, max_length=30, widget=forms.Select())
    callback_at = BoundedDateTimeField(
        label=_("Call back on"),
        required=False,
        widget=DateTimeTextInput(),
        input_formats=DATETIME_FORMATS,
        help_text=_("YYYY-MM-DD HH:MM; empty: tomorrow at the same time."),
    )

    def set_service_choices(self, choices: list[tuple[str, str]]) -> None:
        widget: Any = self.fields["service"].widget
        widget.choices = [("", _("— no service —")), *choices]


class BaseRequestFormSet(forms.BaseFormSet):
    def non_empty_data(self) -> list[dict[str, Any]]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.has_changed() and not getattr(form, "cleaned_data", {}).get("DELETE")
        ]


RequestFormSet = forms.formset_factory(RequestForm, formset=BaseRequestFormSet, extra=1, can_delete=True)


class CallbackDoneForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallbackOutcome.choices)
    outcome_note = BoundedCharField(label=_("Note on the outcome"), required=False, max_length=300)


class ShiftForm(forms.Form):
    starts_at = BoundedDateTimeField(label=_("Starts at"), widget=DateTimeLocalInput(), input_formats=DATETIME_FORMATS)
    ends_at = BoundedDateTimeField(label=_("Ends at"), widget=DateTimeLocalInput(), input_formats=DATETIME_FORMATS)
    languages = forms.MultipleChoiceField(
        label=_("Languages of the line"),
        choices=LineLanguage.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=["fr", "nl"],
    )
    responders = forms.MultipleChoiceField(label=_("Responders"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, responders: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["responders"]
        field.choices = responders


class DebriefingForm(forms.Form):
    stood_out = BoundedCharField(
        label=_("What stood out"), required=False, max_length=DEBRIEFING_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )
    difficult_situations = BoundedCharField(
        label=_("Difficult situations"),
        required=False,
        max_length=DEBRIEFING_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    signals = BoundedCharField(
        label=_("Signals to pass on"),
        required=False,
        max_length=DEBRIEFING_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    calls_felt_heavy = forms.BooleanField(label=_("It was a heavy shift"), required=False)


class WeeklyNoteForm(forms.Form):
    text = BoundedCharField(
        label=_("Note of the weekly collective debriefing"),
        max_length=WEEKLY_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class OpeningHoursForm(forms.Form):
    """A new set of opening hours: one range per weekday (empty = closed)."""

    valid_from = BoundedDateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for value, label in Weekday.choices:
            self.fields[f"opens_{value}"] = forms.TimeField(label=_("%(day)s opens") % {"day": label}, required=False)
            self.fields[f"closes_{value}"] = forms.TimeField(label=_("%(day)s closes") % {"day": label}, required=False)

    def day_fields(self) -> list[tuple[Any, Any]]:
        return [(self[f"opens_{value}"], self[f"closes_{value}"]) for value, _label in Weekday.choices]

    def ranges(self) -> list[tuple[int, Any, Any]]:
        result = []
        for value, _label in Weekday.choices:
            opens = self.cleaned_data.get(f"opens_{value}")
            closes = self.cleaned_data.get(f"closes_{value}")
            if opens and closes:
                result.append((value, opens, closes))
            elif opens or closes:
                raise ValidationError(_("Give both the opening and the closing time, or neither."))
        return result


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("Journal file (CSV or XLSX)"), max_length=200, validators=[UploadSizeValidator("journal")]
    )
    skip_bad_rows = forms.BooleanField(
        label=_("Import the good rows and leave out the bad ones"),
        required=False,
        help_text=_("By default nothing is imported when one row is wrong."),
    )


class SpecialDayForm(forms.Form):
    """Other hours on one day (a crisis: extended hours), or closed: both lines or one."""

    day = BoundedDateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    language = forms.ChoiceField(
        label=_("Language line"),
        required=False,
        choices=[("", _("Both lines")), (LineLanguage.FR, _("French line")), (LineLanguage.NL, _("Dutch line"))],
    )
    opens = forms.TimeField(
        label=_("Opens at"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    closes = forms.TimeField(
        label=_("Closes at"),
        required=False,
        help_text=_("Leave both times empty: the line is closed that day."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    note = BoundedCharField(label=_("Why"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        from maillage.helpline.services.rota import check_special_hours

        cleaned = super().clean() or {}
        if "opens" in cleaned and "closes" in cleaned:
            try:
                check_special_hours(cleaned["opens"], cleaned["closes"])
            except ValidationError as error:
                self.add_error("closes", error)
        return cleaned


class FillDayForm(forms.Form):
    """The staff's choice after a special day gave more hours: slots over that day's uncovered hours."""

    day = BoundedDateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
