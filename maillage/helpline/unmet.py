"""Unanswered needs: requests that ended with "no suitable service", by need and commune.

Read by the weekly synthesis and the bilan (stats) and by the directory's coordinators for the
communes their services serve (helpline:unmet_needs).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Q
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from maillage.helpline.models import Action, CallerArea, Request, UnmetReason


@dataclass
class UnmetRow:
    need_code: str
    need_label: str
    commune: str
    by_reason: dict[str, int]
    total: int

    def counts(self) -> list[int]:
        return [self.by_reason.get(value, 0) for value in UnmetReason.values]


@dataclass
class UnmetTable:
    rows: list[UnmetRow] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [str(label) for _value, label in UnmetReason.choices]

    @property
    def total(self) -> int:
        return sum(row.total for row in self.rows)

    def by_need(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for row in self.rows:
            totals[row.need_code] = totals.get(row.need_code, 0) + row.total
        return totals


def unanswered_needs(
    organisation_ids: Iterable[int], start: datetime, end: datetime, commune_ids: Iterable[int] | None = None
) -> UnmetTable:
    """Requests ending "no suitable service" in [start, end), counted by need, commune and reason."""
    requests = Request.objects.filter(
        organisation_id__in=list(organisation_ids), started_at__gte=start, started_at__lt=end, action=Action.NO_SERVICE
    )
    if commune_ids is not None:
        requests = requests.filter(call__commune_id__in=list(commune_ids))
    reason_counts = {value: Count("id", filter=Q(unmet_reason=value)) for value in UnmetReason.values}
    rows = (
        requests.order_by()
        .values(
            "category__code",
            "category__label_fr",
            "category__label_nl",
            "category__label_en",
            "call__caller_area",
            "call__commune__name_fr",
            "call__commune__name_nl",
        )
        .annotate(total=Count("id"), **{f"r_{value}": count for value, count in reason_counts.items()})
    )
    language = get_language()
    areas = dict(CallerArea.choices)
    result = []
    for row in rows:
        label = (
            (row["category__label_nl"] if language == "nl" else "")
            or (row["category__label_en"] if language == "en" else "")
            or row["category__label_fr"]
        )
        if row["call__commune__name_fr"]:
            commune = (row["call__commune__name_nl"] if language == "nl" else "") or row["call__commune__name_fr"]
        else:
            commune = str(areas.get(row["call__caller_area"], _("not given")))
        result.append(
            UnmetRow(
                need_code=row["category__code"],
                need_label=label,
                commune=commune,
                by_reason={value: row[f"r_{value}"] for value in UnmetReason.values},
                total=row["total"],
            )
        )
    result.sort(key=lambda r: (-r.total, r.need_code, r.commune))
    return UnmetTable(rows=result)


def served_commune_ids(organisation_ids: Iterable[int]) -> set[int]:
    """The communes served by the directory services of these member organisations (a coordinator's area)."""
    from maillage.core.models import Commune
    from maillage.directory.models import Service

    services = Service.objects.filter(organisation__organisation_id__in=list(organisation_ids))
    if services.filter(serves_whole_region=True).exists():
        return set(Commune.objects.values_list("pk", flat=True))
    return set(services.filter(area_communes__isnull=False).values_list("area_communes", flat=True))
