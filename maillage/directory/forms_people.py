"""Forms of the people side: the people search, a worker's own card, a quartier, a correction suggestion."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Commune
from maillage.core.parsing import BoundedCharField, BoundedModelChoiceField, BoundedModelMultipleChoiceField
from maillage.directory.calendars import CALENDAR_CHOICES
from maillage.directory.forms import (
    LANGUAGE_CHOICES,
    SCHEME,
    CategoryMultipleField,
    LoadedCategoryField,
    bounded_formfield,
    need_categories,
    validate_phone,
)
from maillage.directory.models import Quartier, Service, Worker
from maillage.directory.people import PeopleCriteria
from maillage.taxonomy.queries import active_categories


class QuartierField(BoundedModelChoiceField):
    default_error_messages = {"invalid_choice": _("This quartier does not exist.")}


class PeopleSearchForm(forms.Form):
    q = BoundedCharField(label=_("Name or function"), required=False, max_length=100)
    need = LoadedCategoryField(label=_("Need handled"), required=False, empty_label=_("Any need"))
    organisation = BoundedCharField(label=_("Organisation"), required=False, max_length=100)
    commune = BoundedModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.all(), required=False, empty_label=_("All communes")
    )
    quartier = QuartierField(
        label=_("Quartier"), queryset=Quartier.objects.all(), required=False, empty_label=_("All quartiers")
    )
    language = forms.ChoiceField(
        label=_("Language spoken"), required=False, choices=[("", _("Any language")), *LANGUAGE_CHOICES]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].load(need_categories())  # type: ignore[attr-defined]

    def criteria(self) -> PeopleCriteria:
        data = self.cleaned_data
        return PeopleCriteria(
            text=data["q"].strip(),
            need=data["need"],
            organisation=data["organisation"].strip(),
            commune=data["commune"],
            quartier=data["quartier"],
            language=data["language"] or "",
        )


class QuartierForm(forms.Form):
    quartier = QuartierField(label=_("Quartier"), queryset=Quartier.objects.all())


class WorkerCardForm(forms.ModelForm):
    """A worker's own card: what they do, where, in which languages, and what they choose to show."""

    service = BoundedModelChoiceField(label=_("Service"), queryset=Service.objects.none())
    languages_list = forms.MultipleChoiceField(
        label=_("Languages spoken"), choices=LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    needs = CategoryMultipleField(label=_("Needs handled"), queryset=None, required=False)  # type: ignore[arg-type]
    area_communes = BoundedModelMultipleChoiceField(
        label=_("Communes covered"),
        queryset=Commune.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    quartiers = BoundedModelMultipleChoiceField(
        label=_("Quartiers covered"), queryset=Quartier.objects.all(), required=False
    )

    class Meta:
        model = Worker
        formfield_callback = bounded_formfield
        fields = ("full_name", "function_fr", "function_nl", "email", "show_email", "phone", "show_phone", "consent")

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = services.order_by("name_fr")  # type: ignore[attr-defined]
        self.fields["needs"].queryset = active_categories(SCHEME).order_by("position", "code")  # type: ignore[attr-defined]
        self.fields["consent"].help_text = _("Your card is shown to signed-in professionals only, never to the public.")
        if self.instance.pk:
            self.initial.update(
                service=self.instance.service_id,
                languages_list=self.instance.languages.split(),
                needs=list(self.instance.needs.all()),
                area_communes=list(self.instance.area_communes.all()),
                quartiers=list(self.instance.quartiers.all()),
            )

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        return validate_phone(phone) if phone else ""

    def card_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["languages"] = " ".join(self.cleaned_data["languages_list"])
        return data


# A suggestion longer than this, or with more links than LINKS_MAX, is refused (link farms, pasted pages).
SUGGESTION_MAX = 2000
LINKS_MAX = 2
_LINK = re.compile(r"(https?://|www\.)", re.IGNORECASE)


def check_suggestion_text(text: str) -> None:
    if len(_LINK.findall(text)) > LINKS_MAX:
        raise ValidationError(
            _("A suggestion may hold at most %(count)d links."), code="too_many_links", params={"count": LINKS_MAX}
        )


class SuggestionForm(forms.Form):
    text = BoundedCharField(
        label=_("What should be corrected?"), max_length=SUGGESTION_MAX, widget=forms.Textarea(attrs={"rows": 5})
    )
    contact = forms.EmailField(label=_("Your email (optional, to be told what was done)"), required=False)
    # A field hidden from people: a robot filling it is refused.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"].strip()
        check_suggestion_text(text)
        return text

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("This suggestion cannot be accepted."), code="robot")
        return ""


class HolidayCalendarsField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Closed on the holidays of"))
        kwargs.setdefault("choices", CALENDAR_CHOICES)
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)
        self.error_messages["invalid_choice"] = _("Unknown holiday calendar: %(value)s.")
