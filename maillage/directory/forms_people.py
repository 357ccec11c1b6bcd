"""Forms of the people side: the people search, a worker's own card, a quartier, a correction suggestion."""

from __future__ import annotations

import re
from html import escape
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Commune
from maillage.core.parsing import (
    BadParameter,
    BoundedCharField,
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    parse_id_list,
)
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


class _Places:
    """The communes and quartiers as the people search lists them, kept per process for as long as the
    rows read are the same: the page's selects and their validation then build no model instance."""

    def __init__(self, rows: list[tuple[int, int, str, str]]) -> None:
        self.rows: dict[type[Model], dict[str, tuple[int, str, str]]] = {Commune: {}, Quartier: {}}
        for kind, pk, name_fr, name_nl in rows:
            self.rows[Commune if kind == 0 else Quartier][str(pk)] = (pk, name_fr, name_nl)
        self.html: dict[tuple[type[Model], str, str], str] = {}

    def options(self, model: type[Model], empty_label: str) -> str:
        """The <option>s (none selected) in the active language, as search.page.options_html writes them."""
        language = get_language() or ""
        key = (model, language, empty_label)
        if key not in self.html:
            self.html[key] = f'<option value="">{escape(empty_label)}</option>' + "".join(
                f'<option value="{pk}">{escape(name_nl if language == "nl" and name_nl else name_fr)}</option>'
                for pk, name_fr, name_nl in self.rows[model].values()
            )
        return self.html[key]


_PLACES: dict[tuple[tuple[int, int, str, str], ...], _Places] = {}


def places() -> _Places:
    """One statement reads the communes and quartiers (their names, in the models' order); what is built from
    them is reused while they read the same (a rename or a new quartier shows at once in every process)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, id, name_fr, name_nl, '' FROM {Commune._meta.db_table} UNION ALL "  # noqa: S608
            f"SELECT 1, id, name_fr, name_nl, code FROM {Quartier._meta.db_table} ORDER BY 1, 3, 5, 2"
        )
        rows = tuple((kind, pk, name_fr, name_nl) for kind, pk, name_fr, name_nl, _code in cursor.fetchall())
    found = _PLACES.get(rows)
    if found is None:
        if len(_PLACES) > 4:
            _PLACES.clear()
        found = _PLACES[rows] = _Places(list(rows))
    return found


class PlaceField(forms.Field):
    """A commune or a quartier chosen by id among `places()`; the value is that row with its other fields
    deferred (read if asked for, as with `.only()`). Same messages as the model choice fields it replaces."""

    widget = forms.Select
    default_error_messages = forms.ModelChoiceField.default_error_messages

    def __init__(self, *, model: type[Model], empty_label: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model
        self.empty_label = empty_label
        self.places: _Places | None = None

    def options_html(self, value: Any) -> SafeString:
        """The options with the current value selected (the same HTML as search.page.options_html)."""
        assert self.places is not None
        html = self.places.options(self.model, str(self.empty_label))
        selected = "" if value is None else str(value)
        if selected == "" or selected.isdigit():
            html = html.replace(f'<option value="{selected}">', f'<option value="{selected}" selected>', 1)
        return SafeString(html)

    def to_python(self, value: Any) -> Model | None:
        if value in self.empty_values:
            return None
        assert self.places is not None
        try:
            ids = parse_id_list([str(value)])
        except BadParameter:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        row = self.places.rows[self.model].get(str(ids[0])) if ids else None
        if row is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return self.model.from_db(None, ["id", "name_fr", "name_nl"], row)


class PeopleSearchForm(forms.Form):
    q = BoundedCharField(label=_("Name or function"), required=False, max_length=100)
    need = LoadedCategoryField(label=_("Need handled"), required=False, empty_label=_("Any need"))
    organisation = BoundedCharField(label=_("Organisation"), required=False, max_length=100)
    commune = PlaceField(model=Commune, label=_("Commune"), required=False, empty_label=_("All communes"))
    quartier = PlaceField(
        model=Quartier,
        label=_("Quartier"),
        required=False,
        empty_label=_("All quartiers"),
        error_messages={"invalid_choice": _("This quartier does not exist.")},
    )
    language = forms.ChoiceField(
        label=_("Language spoken"), required=False, choices=[("", _("Any language")), *LANGUAGE_CHOICES]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].load(need_categories())  # type: ignore[attr-defined]
        loaded = places()
        for name in ("commune", "quartier"):
            self.fields[name].places = loaded  # type: ignore[attr-defined]

    def place_options(self, name: str) -> SafeString:
        return self.fields[name].options_html(self[name].value())  # type: ignore[attr-defined]

    def field_html(self, name: str, options: str | None = None) -> SafeString:
        """A field as directory/_field.html (a text input) or directory/_select.html (these options) render it,
        written here: the widget's templates and the includes cost a tenth of the page's time. A field in
        error is rendered by those templates (its message, aria attributes)."""
        bound = self[name]
        if bound.errors:
            template = "directory/_field.html" if options is None else "directory/_select.html"
            return SafeString(render_to_string(template, {"field": bound, "options": options}))
        label = f'<label for="{bound.auto_id}">{escape(str(bound.label))}</label>'
        if options is not None:
            control = f'<select name="{bound.html_name}" id="{bound.auto_id}">{options}</select>'
        else:
            value = bound.value()
            shown = "" if value is None or value == "" else f' value="{escape(str(value))}"'
            length = self.fields[name].max_length  # type: ignore[attr-defined]
            control = f'<input type="text" name="{bound.html_name}"{shown} maxlength="{length}" id="{bound.auto_id}">'
        return SafeString(f'<div class="field">{label}{control}</div>')

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
