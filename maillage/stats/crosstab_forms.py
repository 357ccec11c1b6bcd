"""The cross-tab builder's form: measure, dimensions, period, filters, percentages, comparison."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from maillage.casework.models import AXES, AgeBand, Mode, Sex, Subsidy
from maillage.core.models import Sector
from maillage.core.parsing import BoundedCharField, BoundedDateField
from maillage.stats.crosstab import DIMENSION_LABELS, MEASURES, SECTOR_DIMENSIONS, Params
from maillage.taxonomy.models import SchemeVersion, VersionStatus
from maillage.taxonomy.queries import active_categories

PERCENT_CHOICES = [
    ("", _("Counts only")),
    ("row", _("Share of the row (%)")),
    ("column", _("Share of the column (%)")),
    ("total", _("Share of the total (%)")),
]


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
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False)
    f_theme1 = forms.MultipleChoiceField(label=_("Only these themes"), required=False)
    f_mode = forms.MultipleChoiceField(label=_("Only these modes"), required=False, choices=Mode.choices)
    f_sex = forms.MultipleChoiceField(label=_("Only"), required=False, choices=Sex.choices)
    f_age_band = forms.MultipleChoiceField(label=_("Only these age bands"), required=False, choices=AgeBand.choices)
    f_subsidy = forms.MultipleChoiceField(label=_("Only these subsidies"), required=False)
    theme_version = forms.TypedChoiceField(
        label=_("Read themes in version"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: Any, sector_mode: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keys = SECTOR_DIMENSIONS if sector_mode else [k for k in DIMENSION_LABELS if k != "centre"]
        choices = [(k, DIMENSION_LABELS[k]) for k in keys]
        self.fields["rows"].choices = choices  # type: ignore[attr-defined]
        self.fields["columns"].choices = [("", _("(none)")), *choices]  # type: ignore[attr-defined]
        self.fields["pages"].choices = [("", _("(none)")), *choices]  # type: ignore[attr-defined]
        self.fields["f_theme1"].choices = [  # type: ignore[attr-defined]
            (c.code, f"{c.code} — {c.label}")
            for c in active_categories(AXES["theme"]).filter(level=1).order_by("position")
        ]
        self.fields["f_subsidy"].choices = [(str(s.pk), s.name) for s in Subsidy.objects.all()]  # type: ignore[attr-defined]
        self.fields["theme_version"].choices = [("", _("Version in force"))] + [  # type: ignore[attr-defined]
            (v.number, f"v{v.number} {v.title}")
            for v in SchemeVersion.objects.filter(scheme__code=AXES["theme"])
            .exclude(status=VersionStatus.DRAFT)
            .order_by("-number")
        ]
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
            self.add_error("compare", _("Give both ends of the period to compare it with the previous one."))
        return cleaned

    def params(self) -> Params:
        data = self.cleaned_data
        filters = {
            key[2:]: list(data[key])
            for key in ("f_theme1", "f_mode", "f_sex", "f_age_band", "f_subsidy")
            if data.get(key)
        }
        versions = {"theme": data["theme_version"]} if data.get("theme_version") else {}
        return Params(
            measure=data["measure"],
            dimensions=[d for d in (data["rows"], data.get("columns"), data.get("pages")) if d],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            filters=filters,
            percent=data.get("percent") or "",
            compare=bool(data.get("compare")),
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
        "theme_version": params.versions.get("theme"),
    }
    initial.update({f"f_{key}": values for key, values in params.filters.items()})
    return initial


class SaveReportForm(forms.Form):
    name = BoundedCharField(label=_("Name of the report"), max_length=120)
