"""Search and editing forms, with clear translated errors next to the fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.geography import cached_postal_location, resolve_postal_code
from maillage.core.models import Commune, Organisation, PostalCode
from maillage.core.parsing import (
    BoundedCharField,
    BoundedDateField,
    BoundedDateTimeField,
    BoundedModelChoiceField,
    BoundedModelMultipleChoiceField,
    bounded_year,
    no_control_characters,
)
from maillage.core.uploads import UploadSizeValidator
from maillage.directory.calendars import CALENDAR_CHOICES, parse_calendars
from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Frequency,
    Modality,
    Quartier,
    Schedule,
    ScheduleException,
    Service,
    ServiceStatus,
    Worker,
)
from maillage.directory.opening import BRUSSELS, validate_recurrence
from maillage.directory.rules import check_crisis_until
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories, published_version_stamp

SCHEME = "request-themes"
LANGUAGE_CHOICES = [
    ("fr", _("French")),
    ("nl", _("Dutch")),
    ("en", _("English")),
    ("ar", _("Arabic")),
    ("es", _("Spanish")),
    ("tr", _("Turkish")),
    ("pt", _("Portuguese")),
    ("ro", _("Romanian")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
]
# Belgian numbers: +32 or 0, then 8 or 9 digits, spaces, dots, slashes and dashes allowed.
_PHONE = re.compile(r"^(\+32|0032|0)[1-9][0-9]{7,8}$")


def validate_phone(value: str) -> str:
    compact = re.sub(r"[\s./()-]", "", value or "")
    if not _PHONE.match(compact):
        raise ValidationError(
            _("Enter a Belgian phone number, e.g. 02 512 34 56 or +32 470 12 34 56."), code="phone_format"
        )
    return value.strip()


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:  # type: ignore[override]
        return f"— {obj.label}" if obj.level == 2 else obj.label


class LoadedCategoryField(forms.Field):
    """A need picked among categories loaded once by the form: validating and listing them costs no more queries."""

    widget = forms.Select
    default_error_messages = forms.ModelChoiceField.default_error_messages

    def __init__(self, *, empty_label: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.empty_label = empty_label
        self.categories: dict[str, Category] = {}

    def load(self, categories: dict[str, Category]) -> None:
        """The categories by primary key as text, in picker order (shared between forms: read only)."""
        self.categories = categories

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(value, label) in the active language, for the pages that print the select (not for validating)."""
        return [
            ("", str(self.empty_label)),
            *((pk, f"— {c.label}" if c.level == 2 else c.label) for pk, c in self.categories.items()),
        ]

    def to_python(self, value: Any) -> Category | None:
        if value in self.empty_values:
            return None
        category = self.categories.get(str(value))
        if category is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return category


class CategoryMultipleField(BoundedModelMultipleChoiceField):
    def label_from_instance(self, obj: Category) -> str:  # type: ignore[override]
        return f"{obj.code} {obj.label}"


class PostalCodeField(forms.CharField):
    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if value:
            resolve_postal_code(value)
        return str(value or "")


# The needs offered by the search form, per published version: a published version never changes
# (taxonomy edits only drafts), so its categories are read once per process. Keyed with the
# version's timestamps too, so a reused primary key (SQLite test databases) is not mistaken for it.
_NEED_CATEGORIES: dict[tuple[int, str, str], dict[str, Category]] = {}


def need_categories() -> dict[str, Category]:
    """active_categories(SCHEME) by primary key as text, in picker order, read once per published version."""
    stamp = published_version_stamp(SCHEME)
    if stamp is None:
        return {}
    categories = _NEED_CATEGORIES.get(stamp)
    if categories is None:
        categories = {
            str(category.pk): category
            for category in Category.objects.filter(version_id=stamp[0], is_active=True)
            .exclude(parent__is_active=False)
            .select_related("parent")
            .order_by("position", "code")
        }
        if len(_NEED_CATEGORIES) > 16:
            _NEED_CATEGORIES.clear()
        _NEED_CATEGORIES[stamp] = categories
    return categories


class SearchForm(forms.Form):
    need = LoadedCategoryField(label=_("Need"), required=False, empty_label=_("Any need"))
    postal_code = BoundedCharField(  # resolved in clean_postal_code(), which keeps the commune
        label=_("Postal code"), required=False, max_length=4, widget=forms.TextInput(attrs={"inputmode": "numeric"})
    )
    q = BoundedCharField(
        label=_("Words"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
    language = forms.ChoiceField(
        label=_("Language spoken"), required=False, choices=[("", _("Any language")), *LANGUAGE_CHOICES]
    )
    modality = forms.ChoiceField(
        label=_("How to get in"), required=False, choices=[("", _("Any way")), *Modality.choices]
    )
    open_now = forms.BooleanField(label=_("Open now"), required=False)
    at = BoundedDateTimeField(
        label=_("Or open at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    free = forms.BooleanField(label=_("Free only"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].load(need_categories())  # type: ignore[attr-defined]
        # The commune of the postal code, once the form is valid (resolved once, reused by the search).
        self.commune: Commune | None = None

    def clean_postal_code(self) -> str:
        code: str = self.cleaned_data["postal_code"].strip()
        if code:
            self.commune = cached_postal_location(code).commune
        return code

    def moment(self) -> datetime:
        at: datetime | None = self.cleaned_data.get("at")
        if at is None:
            return timezone.now()
        return at if timezone.is_aware(at) else at.replace(tzinfo=BRUSSELS)


# Longest free text a form accepts (a description, a note): far more than any real one, small enough
# that pasting a whole document into a field is refused with a message instead of stored.
MAX_TEXT = 5000


def bounded_formfield(field: Any, **kwargs: Any) -> Any:
    """Model form fields with the edge rules: https assumed for URLs, free text bounded and free of
    control characters, years of dates within 1900–2100."""
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    if isinstance(field, models.TextField):
        kwargs.setdefault("max_length", MAX_TEXT)
    if isinstance(field, models.DateTimeField):
        kwargs.setdefault("form_class", BoundedDateTimeField)
    elif isinstance(field, models.DateField):
        kwargs.setdefault("form_class", BoundedDateField)
    formfield = field.formfield(**kwargs)
    if isinstance(formfield, forms.CharField):
        formfield.validators.append(no_control_characters)
    if isinstance(formfield, forms.DateField | forms.DateTimeField) and bounded_year not in formfield.validators:
        formfield.validators.append(bounded_year)
    return formfield


class ServiceForm(forms.ModelForm):
    needs = CategoryMultipleField(label=_("Needs served"), queryset=Category.objects.none(), required=False)
    area_communes = BoundedModelMultipleChoiceField(
        label=_("Communes served"),
        queryset=Commune.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken"), choices=LANGUAGE_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    modality_choices = forms.MultipleChoiceField(
        label=_("Access modalities"), choices=Modality.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    quartiers = BoundedModelMultipleChoiceField(
        label=_("Quartiers served"), queryset=Quartier.objects.all(), required=False
    )
    calendars = forms.MultipleChoiceField(
        label=_("Closed on the holidays of"),
        choices=CALENDAR_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Unknown holiday calendar: %(value)s.")},
    )

    class Meta:
        model = Service
        formfield_callback = bounded_formfield
        fields = (
            "name_fr",
            "name_nl",
            "description_fr",
            "description_nl",
            "status",
            "is_free",
            "fees_fr",
            "fees_nl",
            "eligibility_fr",
            "eligibility_nl",
            "required_documents_fr",
            "required_documents_nl",
            "email",
            "website",
            "serves_whole_region",
            "extra_postal_codes",
        )
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ("description_fr", "description_nl")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].queryset = active_categories(SCHEME).order_by("position", "code")  # type: ignore[attr-defined]
        self.fields["status"].choices = ServiceStatus.choices  # type: ignore[attr-defined]
        if self.instance.pk:
            self.initial.update(
                needs=list(self.instance.needs.all()),
                area_communes=list(self.instance.area_communes.all()),
                languages=self.instance.languages,
                modality_choices=self.instance.modality_list,
                quartiers=list(self.instance.quartiers.all()),
                calendars=self.instance.holiday_calendars.split(),
            )

    def clean_extra_postal_codes(self) -> str:
        codes = self.cleaned_data.get("extra_postal_codes", "").replace(",", " ").split()
        errors = []
        for code in codes:
            try:
                resolve_postal_code(code)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return " ".join(codes)

    def service_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["modalities"] = " ".join(self.cleaned_data["modality_choices"])
        data["holiday_calendars"] = " ".join(parse_calendars(self.cleaned_data["calendars"]))
        return data


class ScheduleForm(forms.ModelForm):
    days = forms.MultipleChoiceField(
        label=_("Days"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("MO", _("Monday")),
            ("TU", _("Tuesday")),
            ("WE", _("Wednesday")),
            ("TH", _("Thursday")),
            ("FR", _("Friday")),
            ("SA", _("Saturday")),
            ("SU", _("Sunday")),
        ],
    )
    rule = BoundedCharField(
        label=_("Or an RFC 5545 recurrence"),
        required=False,
        max_length=120,
        help_text=_("For example FREQ=MONTHLY;BYDAY=1WE (first Wednesday of the month)."),
    )

    class Meta:
        model = Schedule
        formfield_callback = bounded_formfield
        fields = ("opens_at", "closes_at", "valid_from", "valid_to", "description")
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}),
            "closes_at": forms.TimeInput(attrs={"type": "time"}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_to": forms.DateInput(attrs={"type": "date"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The closing time must be after the opening time."))
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("The end of validity must be after its start."))
        rule = (data.get("rule") or "").strip().upper()
        days = data.get("days") or []
        if rule.startswith("RRULE:"):
            rule = rule[6:]
        if rule:
            try:
                validate_recurrence(rule)
            except ValidationError as error:
                self.add_error("rule", error)
                return data
            parts = dict(part.split("=", 1) for part in rule.split(";") if "=" in part)
            data["recurrence"] = {
                "freq": parts.get("FREQ", Frequency.WEEKLY),
                "interval": int(parts.get("INTERVAL", "1")),
                "byday": parts.get("BYDAY", ""),
                "bymonthday": parts.get("BYMONTHDAY", ""),
            }
            if data["recurrence"]["freq"] not in Frequency.values:
                self.add_error("rule", _("Only weekly and monthly recurrences are supported."))
        elif days:
            data["recurrence"] = {"freq": Frequency.WEEKLY, "interval": 1, "byday": ",".join(days), "bymonthday": ""}
        else:
            self.add_error("days", _("Choose at least one day, or give a recurrence."))
        return data

    def schedule_data(self) -> dict[str, Any]:
        fields = {name: self.cleaned_data[name] for name in self.Meta.fields}
        return {**fields, **self.cleaned_data["recurrence"]}


class ClosureForm(forms.ModelForm):
    class Meta:
        model = ScheduleException
        formfield_callback = bounded_formfield
        fields = ("start_date", "end_date", "closed", "opens_at", "closes_at", "reason")
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "opens_at": forms.TimeInput(attrs={"type": "time"}),
            "closes_at": forms.TimeInput(attrs={"type": "time"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last day must be on or after the first day."))
        if not data.get("closed"):
            opens, closes = data.get("opens_at"), data.get("closes_at")
            if not opens or not closes:
                self.add_error("opens_at", _("Give the special opening and closing times, or tick closed all day."))
            elif closes <= opens:
                self.add_error("closes_at", _("The closing time must be after the opening time."))
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Current status"), choices=CrisisStatus.choices)
    note = BoundedCharField(
        label=_("Note"), required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    until = BoundedDateField(label=_("Until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status"):
            try:
                check_crisis_until(data["status"], data.get("until"))
            except ValidationError as error:
                self.add_error("until", error)
        return data


class WorkerForm(forms.ModelForm):
    class Meta:
        model = Worker
        formfield_callback = bounded_formfield
        fields = ("full_name", "function_fr", "function_nl", "email", "phone", "consent", "is_active")

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        return validate_phone(phone) if phone else ""


class LocationForm(forms.Form):
    address = BoundedCharField(label=_("Street and number"), max_length=200)
    postal_code = BoundedCharField(label=_("Postal code"), max_length=4)

    def clean_postal_code(self) -> str:
        code = self.cleaned_data["postal_code"].strip()
        resolve_postal_code(code)
        return code

    def place(self) -> tuple[Commune | None, str]:
        postal = PostalCode.objects.select_related("commune").filter(code=self.cleaned_data["postal_code"]).first()
        return (postal.commune, postal.locality_fr) if postal else (None, "")


class PhoneForm(forms.Form):
    number = BoundedCharField(label=_("Phone number"), max_length=30)
    description = BoundedCharField(label=_("Description"), max_length=200, required=False)

    def clean_number(self) -> str:
        return validate_phone(self.cleaned_data["number"])


class SheetForm(forms.Form):
    commune = BoundedModelChoiceField(label=_("Commune"), queryset=Commune.objects.all())
    needs = CategoryMultipleField(
        label=_("Needs"), queryset=Category.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["needs"].queryset = active_categories(SCHEME).filter(level=1).order_by("position")  # type: ignore[attr-defined]


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("HSDS file (JSON, or a ZIP of the tabular datapackage)"), validators=[UploadSizeValidator("hsds")]
    )


class CommuneAndNeedForm(forms.Form):
    """A commune and a need of the published version, both optional: what one filters or follows."""

    commune = BoundedModelChoiceField(
        label=_("Commune"), queryset=Commune.objects.all(), required=False, empty_label=_("All communes")
    )
    need = CategoryChoiceField(
        label=_("Need"), queryset=Category.objects.none(), required=False, empty_label=_("Any need")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["need"].queryset = active_categories(SCHEME).order_by("position", "code")  # type: ignore[attr-defined]


class ChangesFilterForm(CommuneAndNeedForm):
    """The recent-changes page, narrowed to a commune or a need."""


class DirectoryOrganisationForm(forms.ModelForm):
    """Name, description and contacts; `members` are the member organisations the editor may link."""

    phone = BoundedCharField(label=_("Phone"), max_length=30, required=False)
    organisation = BoundedModelChoiceField(
        label=_("Member organisation"), queryset=Organisation.objects.none(), required=False
    )

    class Meta:
        model = DirectoryOrganisation
        formfield_callback = bounded_formfield
        fields = ("name_fr", "name_nl", "description_fr", "description_nl", "email", "website")
        widgets: ClassVar = {
            "description_fr": forms.Textarea(attrs={"rows": 3}),
            "description_nl": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(
        self, *args: Any, members: models.QuerySet[Organisation], member_required: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        field.queryset = members.order_by("name_fr")  # type: ignore[attr-defined]
        field.required = member_required
        field.empty_label = None if member_required else _("None (not a member of the federation)")  # type: ignore[attr-defined]
        if self.instance.pk:
            field.initial = self.instance.organisation_id
            main_phone = self.instance.phones.filter(service__isnull=True, location__isnull=True).first()
            self.fields["phone"].initial = main_phone.number if main_phone else ""

    def clean_phone(self) -> str:
        phone = self.cleaned_data.get("phone", "")
        return validate_phone(phone) if phone else ""

    def clean_organisation(self) -> Organisation | None:
        member: Organisation | None = self.cleaned_data.get("organisation")
        if member is not None:
            taken = DirectoryOrganisation.objects.filter(organisation=member).exclude(pk=self.instance.pk)
            if taken.exists():
                raise ValidationError(
                    _("This member organisation already has a directory entry."), code="organisation_taken"
                )
        return member

    def organisation_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class SubscriptionForm(CommuneAndNeedForm):
    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("commune") and not data.get("need"):
            raise ValidationError(_("Choose a commune, a need or both to follow."), code="empty_follow")
        return data
