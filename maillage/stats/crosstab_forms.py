"""The cross-tab builder's form: measure, dimensions, period, a filter per dimension, percentages,
comparison, and the version each category axis is read in."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from maillage.casework.models import AXES, Subsidy
from maillage.core.models import Commune, Organisation, Sector
from maillage.core.parsing import BadParameter, BoundedCharField, BoundedDateField, BoundedIntegerField, parse_int
from maillage.core.queries import members_of
from maillage.stats.crosstab import (
    CATEGORY_AXES,
    CHOICES,
    COMPARE_CHOICES,
    COMPARE_PREVIOUS,
    DIMENSION_LABELS,
    FILTER_DIMENSIONS,
    MEASURES,
    PERCENT_CHOICES,
    SECTOR_DIMENSIONS,
    Params,
    axis_of,
)
from maillage.stats.versions import UNMAPPED, reading_in, version_to_read
from maillage.taxonomy.models import SchemeVersion, VersionStatus

__all__ = ["PERCENT_CHOICES", "CrossTabForm", "SaveReportForm", "initial_from"]

VERSION_LABELS = {
    "theme": _("Read themes in version"),
    "institution": _("Read institutions in version"),
    "stage": _("Read stages in version"),
}
MAX_POSTAL_CODES = 50


class _CodeListInput(forms.TextInput):
    """Several values of one name (`?f_postal_code=1000&f_postal_code=1030`) shown as one text."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        values = data.getlist(name) if hasattr(data, "getlist") else [data.get(name)]
        return ", ".join(str(value) for value in values if value)

    def format_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return super().format_value(value)


class PostalCodesField(BoundedCharField):
    """Belgian postal codes, four digits each, separated by commas or spaces."""

    widget = _CodeListInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=5 * MAX_POSTAL_CODES, **kwargs)

    def clean(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().clean(value)
        codes = list(dict.fromkeys(code for code in re.split(r"[\s,;]+", text or "") if code))
        if len(codes) > MAX_POSTAL_CODES:
            raise ValidationError(_("At most %(count)d postal codes."), params={"count": MAX_POSTAL_CODES})
        bad = [code for code in codes if not re.fullmatch(r"\d{4}", code, re.ASCII)]
        if bad:
            raise ValidationError(
                _("A postal code has four digits: %(codes)s."), params={"codes": ", ".join(c[:10] for c in bad[:5])}
            )
        return codes


class CompareField(forms.ChoiceField):
    """The comparison; `on`, what the former checkbox sent (bookmarked links), is the period before."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        return COMPARE_PREVIOUS if text == "on" else text


class VersionField(BoundedIntegerField):
    """A version number of one category scheme; blank for the version in force."""

    def __init__(self, axis: str, **kwargs: Any) -> None:
        self.axis = axis
        super().__init__(min_value=1, required=False, label=VERSION_LABELS[axis], widget=forms.Select, **kwargs)

    def clean(self, value: Any) -> int | None:
        number = super().clean(value)
        if number is not None:
            version_to_read(AXES[self.axis], number)  # "There is no version N of …" as the field's error
        return number


def _asked_number(data: Any, axis: str) -> int | None:
    """The version number the form's data asks for an axis, to offer its codes as filters; None if unreadable."""
    raw = data.get(f"{axis}_version") if data is not None else None
    try:
        return parse_int(raw, name=f"{axis}_version", minimum=1)
    except BadParameter:
        return None


class CrossTabForm(forms.Form):
    measure = forms.ChoiceField(
        label=_("Measure"), choices=[(k, m.label) for k, m in MEASURES.items()], initial="followups"
    )
    rows = forms.ChoiceField(label=_("Rows"), initial="theme1")
    columns = forms.ChoiceField(label=_("Columns"), required=False)
    pages = forms.ChoiceField(label=_("One table per"), required=False)
    date_from = BoundedDateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = BoundedDateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    percent = forms.ChoiceField(label=_("Show"), choices=PERCENT_CHOICES, required=False)
    compare = CompareField(label=_("Compare with"), choices=COMPARE_CHOICES, required=False)

    def __init__(
        self, *args: Any, sector_mode: bool = False, centre: Organisation | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        keys = SECTOR_DIMENSIONS if sector_mode else [k for k in DIMENSION_LABELS if k != "centre"]
        choices = [(k, DIMENSION_LABELS[k]) for k in keys]
        self.fields["rows"].choices = choices  # type: ignore[attr-defined]
        self.fields["columns"].choices = [("", _("(none)")), *choices]  # type: ignore[attr-defined]
        self.fields["pages"].choices = [("", _("(none)")), *choices]  # type: ignore[attr-defined]
        # Each axis's versions, in one query; the one in force and the one the data asks for.
        versions: dict[str, list[SchemeVersion]] = {axis: [] for axis in CATEGORY_AXES}
        by_scheme = {scheme: axis for axis, scheme in AXES.items()}
        for version in (
            SchemeVersion.objects.select_related("scheme")
            .filter(scheme__code__in=list(by_scheme))
            .exclude(status=VersionStatus.DRAFT)
            .order_by("-number")
        ):
            versions[by_scheme[version.scheme.code]].append(version)
        self.read_versions: dict[str, SchemeVersion | None] = {}
        for axis in CATEGORY_AXES:
            field = VersionField(axis)
            in_force = next((v for v in versions[axis] if v.status == VersionStatus.PUBLISHED), None)
            field.widget.choices = [  # type: ignore[attr-defined]
                ("", _("Version in force") + (f" (v{in_force.number})" if in_force else ""))
            ] + [(v.number, f"v{v.number} {v.title}".strip()) for v in versions[axis]]
            self.fields[f"{axis}_version"] = field
            asked = _asked_number(self.data if self.is_bound else None, axis)
            self.read_versions[axis] = (
                next((v for v in versions[axis] if v.number == asked), None) if asked else in_force
            ) or in_force
        self.filter_keys = [key for key in FILTER_DIMENSIONS if key in keys]
        for key in self.filter_keys:
            self.fields[f"f_{key}"] = self._filter_field(key, centre)
        if sector_mode:
            self.fields["sector"] = forms.ChoiceField(
                label=_("Sector"),
                required=False,
                choices=[("", _("All member centres"))]
                + [(s.value, s.label) for s in Sector if s != Sector.FEDERATION],
            )
            self.fields["subsidy"] = forms.ChoiceField(
                label=_("Subsidy"),
                required=False,
                choices=[("", _("Any subsidy"))] + [(str(s.pk), s.name) for s in Subsidy.objects.all()],
            )

    def _filter_field(self, key: str, centre: Organisation | None) -> forms.Field:
        label = _("Only these: %(dimension)s") % {"dimension": DIMENSION_LABELS[key]}
        if key == "postal_code":
            return PostalCodesField(label=label, required=False)
        choices: list[tuple[str, Any]]
        axis = axis_of(key)
        if axis is not None:
            version = self.read_versions[axis]
            choices = []
            if version is not None:
                read = reading_in(version, int(key[-1]))
                # The version's codes, then the joined keys old split codes count under (a table may show them).
                keys = [*read.order, *(joined for joined in read.splits if joined not in read.order)]
                choices = [(code, f"{code} — {read.labels.get(code, code)}") for code in keys if code != UNMAPPED]
        elif key in CHOICES:
            choices = list(CHOICES[key].choices)
        elif key == "commune":
            choices = [(str(c.pk), c.name) for c in sorted(Commune.objects.all(), key=lambda c: c.name)]
        elif key == "subsidy":
            choices = [(str(s.pk), s.name) for s in Subsidy.objects.order_by("name")]
        elif key == "worker":
            members = members_of(centre) if centre is not None else []
            choices = list(dict.fromkeys((str(m.user_id), str(m.user)) for m in members))
        elif key == "centre":
            centres = Organisation.objects.filter(is_member=True).exclude(sector=Sector.FEDERATION)
            choices = [(str(o.pk), o.short_name) for o in centres.order_by("short_name")]
        else:  # pragma: no cover - every filter dimension is listed above
            choices = []
        return forms.MultipleChoiceField(label=label, required=False, choices=choices)

    @property
    def filter_fields(self) -> list[forms.BoundField]:
        return [self[f"f_{key}"] for key in self.filter_keys]

    @property
    def version_fields(self) -> list[forms.BoundField]:
        return [self[f"{axis}_version"] for axis in CATEGORY_AXES]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        dims = [cleaned.get("rows"), cleaned.get("columns"), cleaned.get("pages")]
        chosen = [d for d in dims if d]
        if len(set(chosen)) != len(chosen):
            self.add_error("columns", _("Choose different dimensions for rows, columns and tables."))
        if cleaned.get("pages") and not cleaned.get("columns"):
            self.add_error("pages", _("Choose columns before a third dimension."))
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        if cleaned.get("compare") and not (start and end):
            self.add_error("compare", _("Give both ends of the period to compare it with another."))
        return cleaned

    def params(self) -> Params:
        data = self.cleaned_data
        filters = {key: list(data[f"f_{key}"]) for key in self.filter_keys if data.get(f"f_{key}")}
        versions = {axis: data[f"{axis}_version"] for axis in CATEGORY_AXES if data.get(f"{axis}_version")}
        return Params(
            measure=data["measure"],
            dimensions=[d for d in (data["rows"], data.get("columns"), data.get("pages")) if d],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            filters=filters,
            percent=data.get("percent") or "",
            compare=data.get("compare") or "",
            versions=versions,
        )


def initial_from(params: Params) -> dict[str, Any]:
    dims = [*params.dimensions, "", ""]
    initial: dict[str, Any] = {
        "measure": params.measure,
        "rows": dims[0],
        "columns": dims[1],
        "pages": dims[2],
        "date_from": params.date_from,
        "date_to": params.date_to,
        "percent": params.percent,
        "compare": params.compare,
    }
    initial.update({f"{axis}_version": number for axis, number in params.versions.items()})
    initial.update({f"f_{key}": values for key, values in params.filters.items()})
    return initial


class SaveReportForm(forms.Form):
    name = BoundedCharField(label=_("Name of the report"), max_length=120)
