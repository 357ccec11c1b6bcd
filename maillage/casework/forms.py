"""Forms of case work. Category fields take a code (or a label) typed from a list: fast by keyboard."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from maillage.casework.models import (
    AXES,
    ActionKind,
    Activity,
    AgeBand,
    ClosingReason,
    Household,
    ImportKind,
    IncomeSource,
    Mode,
    NationalityGroup,
    Sex,
    Subsidy,
)
from maillage.casework.services.persons import MAX_CHILDREN, check_person
from maillage.core.models import Organisation, Role, User
from maillage.core.parsing import (
    BadParameter,
    BoundedCharField,
    BoundedDateField,
    BoundedIntegerField,
    no_control_characters,
    parse_id_list,
)
from maillage.core.uploads import UploadSizeValidator
from maillage.directory.models import Service, ServiceStatus
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories


def resolve_category(axis: str, text: str) -> Category | None:
    """A category of the version in force from its code, 'code — label', or its label."""
    text = (text or "").strip()
    if not text:
        return None
    code = text.split(" — ", 1)[0].strip()
    categories = active_categories(AXES[axis])
    found = categories.filter(code__iexact=code).first()
    if found is None:
        lowered = text.lower()
        for category in categories:
            if lowered in {category.label_fr.lower(), category.label_nl.lower(), (category.label_en or "").lower()}:
                return category
    return found


class IdsChoiceField(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    """A multi-select whose values are checked as ids before any query (a huge number overflowed SQLite)."""

    def _check_values(self, value: Iterable[Any]) -> Any:
        try:
            ids = parse_id_list([str(item) for item in value], name=str(self.label or "id"))
        except BadParameter:
            raise ValidationError(
                self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": "…"}
            ) from None
        return super()._check_values([str(pk) for pk in ids])  # type: ignore[misc]


class BoundedModelChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A select of records whose value is checked as an id before the query."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            try:
                parse_id_list([str(value)])
            except BadParameter:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from None
        return super().to_python(value)


class PersonForm(forms.Form):
    birth_year = BoundedIntegerField(label=_("Year of birth"), required=False, min_value=1900)
    age_band = forms.ChoiceField(
        label=_("Age band"),
        choices=AgeBand.choices,
        initial=AgeBand.UNKNOWN,
        required=False,
        help_text=_("Used when the year of birth is not given."),
    )
    sex = forms.ChoiceField(label=_("Sex / gender"), choices=Sex.choices, initial=Sex.UNKNOWN)
    postal_code = BoundedCharField(label=_("Postal code"), max_length=4, required=False)
    household = forms.ChoiceField(label=_("Household type"), choices=Household.choices, initial=Household.UNKNOWN)
    children = BoundedIntegerField(label=_("Number of children"), required=False, min_value=0, max_value=MAX_CHILDREN)
    income_source = forms.ChoiceField(
        label=_("Main income source"), choices=IncomeSource.choices, initial=IncomeSource.UNKNOWN
    )
    nationality_group = forms.ChoiceField(
        label=_("Nationality group"), choices=NationalityGroup.choices, initial=NationalityGroup.UNKNOWN
    )
    language = BoundedCharField(label=_("Language"), max_length=20, required=False)
    first_name = BoundedCharField(label=_("First name"), max_length=100, required=False)
    last_name = BoundedCharField(label=_("Last name"), max_length=100, required=False)
    phone = BoundedCharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False, max_length=254)
    address = BoundedCharField(label=_("Address"), max_length=200, required=False)
    confirm_new = forms.BooleanField(label=_("This is a different person: create anyway"), required=False)

    def __init__(self, *args: Any, store_identities: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not store_identities:
            for name in ("first_name", "last_name", "phone", "email", "address"):
                del self.fields[name]

    def clean_age_band(self) -> str:
        return self.cleaned_data.get("age_band") or AgeBand.UNKNOWN

    def clean(self) -> dict[str, Any]:
        """The one check of a person's data, shared with the imports (services.persons.check_person)."""
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        try:
            self.cleaned_data = check_person(cleaned)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                for message in messages:
                    self.add_error(name if name in self.fields else None, message)
        return self.cleaned_data


class CategoryInput(forms.TextInput):
    def __init__(self, axis: str) -> None:
        super().__init__(attrs={"list": f"datalist-{axis}", "autocomplete": "off", "class": "category-input"})


class RequestForm(forms.Form):
    theme = BoundedCharField(label=_("Theme"), widget=CategoryInput("theme"))
    institution = BoundedCharField(
        label=_("Institution concerned"), required=False, widget=CategoryInput("institution")
    )
    stage = BoundedCharField(label=_("Stage"), required=False, widget=CategoryInput("stage"))
    is_open = forms.BooleanField(label=_("Still open"), required=False, initial=True)

    def _category(self, axis: str) -> Category | None:
        text = self.cleaned_data.get(axis, "")
        category = resolve_category(axis, text)
        if text and category is None:
            raise forms.ValidationError(
                _("%(text)s is not a category in force; type a code from the list.") % {"text": text}
            )
        return category

    def clean_theme(self) -> Category | None:
        return self._category("theme")

    def clean_institution(self) -> Category | None:
        return self._category("institution")

    def clean_stage(self) -> Category | None:
        return self._category("stage")


class BaseRequestFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]
        if not filled:
            raise forms.ValidationError(_("Code at least one request."))


RequestFormSet = forms.formset_factory(RequestForm, formset=BaseRequestFormSet, extra=1, can_delete=True)


class FollowUpForm(forms.Form):
    date = BoundedDateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date", "autofocus": True}, format="%Y-%m-%d")
    )
    mode = forms.ChoiceField(label=_("Mode"), choices=Mode.choices, initial=Mode.APPOINTMENT)
    duration = BoundedIntegerField(label=_("Duration (minutes)"), required=False, min_value=1, max_value=600)
    worker = BoundedModelChoiceField(label=_("Worker"), queryset=User.objects.none())
    subsidy = BoundedModelChoiceField(label=_("Subsidy"), queryset=Subsidy.objects.all(), required=False)
    actions = forms.MultipleChoiceField(
        label=_("Actions taken"), choices=ActionKind.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    referred_service = BoundedModelChoiceField(
        label=_("Service of the directory"),
        queryset=Service.objects.none(),
        required=False,
        help_text=_("For a referral: the service in the directory, or type it below if it is not there."),
    )
    referred_to = BoundedCharField(label=_("Referred to"), max_length=200, required=False)
    aid_amount = forms.DecimalField(
        label=_("Financial aid (EUR)"), required=False, min_value=0, max_digits=8, decimal_places=2
    )
    note = BoundedCharField(
        max_length=5000,
        label=_("Private note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Visible only to you and the coordinator."),
    )
    confirm_same = forms.BooleanField(label=_("This is another follow-up: save it anyway"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=[Role.WORKER, Role.COORDINATOR],
            memberships__is_active=True,
        ).distinct()
        services = self.fields["referred_service"]
        assert isinstance(services, forms.ModelChoiceField)
        services.queryset = Service.objects.filter(status=ServiceStatus.PUBLISHED).order_by("name_fr")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        referral = cleaned.get("referred_to") or cleaned.get("referred_service")
        if ActionKind.REFERRAL in cleaned.get("actions", []) and not referral:
            self.add_error("referred_to", _("Say to which service the person was referred."))
        return cleaned


class CloseForm(forms.Form):
    closed_on = BoundedDateField(
        label=_("Closed on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.ChoiceField(label=_("Reason"), choices=ClosingReason.choices)

    @property
    def reason_label(self) -> str:
        return str(dict(ClosingReason.choices).get(self.cleaned_data.get("reason", ""), ""))


class CentreSettingsForm(forms.Form):
    store_identities = forms.BooleanField(
        label=_("Store names and contact details of persons"),
        required=False,
        help_text=_("Visible only to the worker in charge and the coordinator."),
    )


class WorkerSubsidiesForm(forms.Form):
    """For each worker of the centre, the subsidy that funds their post (tags their follow-ups)."""

    def __init__(self, *args: Any, workers: list[User], current: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(none)")), *((str(s.pk), s.name) for s in Subsidy.objects.all())]
        for worker in workers:
            self.fields[f"worker_{worker.pk}"] = forms.ChoiceField(
                label=str(worker), choices=choices, required=False, initial=str(current.get(worker.pk, ""))
            )


class ActivityForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Activity
        fields = ["title", "kind", "description", "themes", "partners", "workers", "subsidy"]
        field_classes = {"themes": IdsChoiceField, "workers": IdsChoiceField, "subsidy": BoundedModelChoiceField}
        widgets = {
            "themes": forms.CheckboxSelectMultiple,
            "workers": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("title", "description", "partners"):
            self.fields[name].validators.append(no_control_characters)
        description = self.fields["description"]
        description.validators.append(MaxLengthValidator(5000))
        description.widget.attrs["maxlength"] = "5000"
        themes = self.fields["themes"]
        workers = self.fields["workers"]
        assert isinstance(themes, forms.ModelMultipleChoiceField)
        assert isinstance(workers, forms.ModelMultipleChoiceField)
        themes.queryset = active_categories(AXES["theme"]).filter(level=1).order_by("position")
        workers.queryset = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=[Role.WORKER, Role.COORDINATOR],
            memberships__is_active=True,
        ).distinct()


class SessionForm(forms.Form):
    date = BoundedDateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    duration = BoundedIntegerField(label=_("Duration (minutes)"), required=False, min_value=1, max_value=1440)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for sex, sex_label in Sex.choices:
            for band, band_label in AgeBand.choices:
                self.fields[f"n_{sex}_{band}"] = BoundedIntegerField(
                    label=f"{sex_label} · {band_label}", required=False, min_value=0, max_value=10000
                )

    def counts(self) -> dict[tuple[str, str], int]:
        return {
            (sex, band): self.cleaned_data.get(f"n_{sex}_{band}") or 0
            for sex, _sex_label in Sex.choices
            for band, _band_label in AgeBand.choices
        }

    def grid(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [
            (str(sex_label), [self[f"n_{sex}_{band}"] for band, _band_label in AgeBand.choices])
            for sex, sex_label in Sex.choices
        ]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"), choices=ImportKind.choices)
    file = forms.FileField(label=_("CSV or XLSX file"), validators=[UploadSizeValidator("casework_import")])


class ColumnMappingForm(forms.Form):
    """For each of our fields, the column name in the centre's file."""

    def __init__(self, *args: Any, fields: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in fields:
            self.fields[name] = BoundedCharField(label=label, required=False, max_length=100)


class WorkersForm(forms.Form):
    workers = IdsChoiceField(
        label=_("Workers in charge"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workers"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = User.objects.filter(
            memberships__organisation=organisation,
            memberships__role__in=[Role.WORKER, Role.COORDINATOR],
            memberships__is_active=True,
        ).distinct()
