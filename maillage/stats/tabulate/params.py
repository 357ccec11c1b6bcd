"""What a cross-tab asks: a measure, one to three dimensions, a period, filters, percentages, a comparison
and the version each category axis is read in."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

SMALL_CELL = 5

# Base querysets: follow-ups, requests, activity participations.
FOLLOWUPS, REQUESTS, PARTICIPANTS = "followups", "requests", "participants"


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    base: str
    aggregate: Callable[[bool], Any]


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in [
        Measure("persons", _("Persons"), FOLLOWUPS, lambda distinct: Count("person_id", distinct=True)),
        Measure("case_files", _("Case files"), FOLLOWUPS, lambda distinct: Count("case_file_id", distinct=True)),
        Measure("followups", _("Follow-ups"), FOLLOWUPS, lambda distinct: Count("id", distinct=distinct)),
        Measure("requests", _("Requests"), REQUESTS, lambda distinct: Count("id", distinct=distinct)),
        Measure("participants", _("Activity participants"), PARTICIPANTS, lambda distinct: Sum("count")),
    ]
}

DIMENSION_LABELS: dict[str, Any] = {
    "theme1": _("Theme (level 1)"),
    "theme2": _("Theme (level 2)"),
    "institution1": _("Institution (level 1)"),
    "institution2": _("Institution (level 2)"),
    "stage1": _("Stage (level 1)"),
    "stage2": _("Stage (level 2)"),
    "age_band": _("Age band"),
    "sex": _("Sex / gender"),
    "postal_code": _("Postal code"),
    "commune": _("Commune"),
    "household": _("Household type"),
    "income_source": _("Main income source"),
    "nationality_group": _("Nationality group"),
    "mode": _("Mode"),
    "worker": _("Worker"),
    "month": _("Month"),
    "quarter": _("Quarter"),
    "year": _("Year"),
    "subsidy": _("Subsidy"),
    "centre": _("Centre"),
}
# Dimensions federation staff may use across centres (nothing that points at a worker).
SECTOR_DIMENSIONS = [key for key in DIMENSION_LABELS if key not in {"worker", "postal_code"}]
TIME_DIMENSIONS = ("month", "quarter", "year")
# Every dimension but time is also a filter (the period's ends filter time).
FILTER_DIMENSIONS = [key for key in DIMENSION_LABELS if key not in TIME_DIMENSIONS]
CATEGORY_AXES = ("theme", "institution", "stage")

PERCENT_CHOICES = [
    ("", _("Counts only")),
    ("row", _("Share of the row (%)")),
    ("column", _("Share of the column (%)")),
    ("total", _("Share of the total (%)")),
]
COMPARE_PREVIOUS, COMPARE_YEAR = "previous", "year"
COMPARE_CHOICES = [
    ("", _("No comparison")),
    (COMPARE_PREVIOUS, _("The period before")),
    (COMPARE_YEAR, _("The same period a year before")),
]


def axis_of(key: str) -> str | None:
    """The category axis a dimension reads ("theme" for theme1 and theme2), None for other dimensions."""
    return key[:-1] if key[:-1] in CATEGORY_AXES and key[-1:] in {"1", "2"} else None


class CrossTabError(ValueError):
    pass


@dataclass
class Scope:
    """Which rows a cross-tab may count: some centres, optionally only one subsidy's."""

    organisation_ids: list[int]
    subsidy_id: int | None = None


def _compare(value: object) -> str:
    """Saved reports of before the choice said True for the previous period."""
    if value is True:
        return COMPARE_PREVIOUS
    if value in (None, False, ""):
        return ""
    return str(value)


@dataclass
class Params:
    measure: str = "followups"
    dimensions: list[str] = field(default_factory=lambda: ["theme1"])
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    filters: dict[str, list[str]] = field(default_factory=dict)
    percent: str = ""  # "", "row", "column", "total"
    compare: str = ""  # "", "previous", "year" (True is read as "previous")
    versions: dict[str, int] = field(default_factory=dict)  # axis → version number to read in

    def __post_init__(self) -> None:
        self.compare = _compare(self.compare)

    def to_json(self) -> dict[str, Any]:
        return {
            "measure": self.measure,
            "dimensions": self.dimensions,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "filters": self.filters,
            "percent": self.percent,
            "compare": self.compare,
            "versions": self.versions,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Params:
        def day(value: str | None) -> datetime.date | None:
            return datetime.date.fromisoformat(value) if value else None

        return cls(
            measure=data.get("measure", "followups"),
            dimensions=list(data.get("dimensions", ["theme1"])),
            date_from=day(data.get("date_from")),
            date_to=day(data.get("date_to")),
            filters={k: list(v) for k, v in (data.get("filters") or {}).items()},
            percent=data.get("percent", ""),
            compare=_compare(data.get("compare")),
            versions={k: int(v) for k, v in (data.get("versions") or {}).items()},
        )
