"""Forms of the sector pages: the period asked, the cycle's actions, comments, the figures template."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Organisation
from maillage.core.parsing import BoundedCharField, BoundedIntegerField
from maillage.core.uploads import UploadSizeValidator
from maillage.sector import declared
from maillage.sector.indicators import indicator_choices
from maillage.sector.models import DataYear
from maillage.sector.periods import FIRST_YEAR, LABELS, latest_year


def year_choices() -> list[tuple[int, int]]:
    return [(year, year) for year in range(latest_year(), FIRST_YEAR - 1, -1)]


class PeriodForm(forms.Form):
    """The period (fixed grid) of the comparison page; read from the query string."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=year_choices)
    period = forms.ChoiceField(label=_("Period"), choices=list(LABELS.items()), initial="year")


class YearForm(forms.Form):
    year = BoundedIntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=2100)


class CommentForm(forms.Form):
    year = BoundedIntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=2100)
    indicator = forms.ChoiceField(
        label=_("Indicator"),
        choices=indicator_choices,
        error_messages={"invalid_choice": _("%(value)s is not an indicator of the sector report.")},
    )
    text = BoundedCharField(label=_("Comment"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))


class FiguresForm(forms.Form):
    """A centre's year of aggregated figures (CSV or XLSX), every line checked, all or nothing."""

    year = BoundedIntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=2100)
    file = forms.FileField(label=_("Filled-in template (CSV or XLSX)"), validators=[UploadSizeValidator("default")])

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.figures: list[declared.CleanFigure] = []
        self.data_year: DataYear | None = None

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        data_year = DataYear.objects.filter(year=year).first()
        if data_year is None:
            raise ValidationError(_("The year %(year)d is not open for figures.") % {"year": year}, code="not_open")
        if not data_year.is_open:
            raise ValidationError(_("The year %(year)d is closed.") % {"year": year}, code="closed")
        self.data_year = data_year
        return year

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        upload = cleaned["file"]
        try:
            self.figures = declared.validate(declared.read_rows(upload), self.organisation, cleaned["year"])
        except ValidationError as error:
            self.add_error("file", error)
        return cleaned
