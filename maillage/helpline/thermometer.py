"""The line's thermometer: today's calls by hour and requests by theme, against the average of the same
weekday over the last eight weeks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count
from django.db.models.functions import ExtractHour
from django.utils import timezone

from maillage.helpline.models import Call, Request

WEEKS = 8


@dataclass
class Row:
    key: str
    label: str
    today: int
    average: float

    @property
    def difference(self) -> float:
        return round(self.today - self.average, 1)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(day, time.min))
    return start, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def _by_hour(line_id: int, day: date) -> dict[int, int]:
    start, end = _day_bounds(day)
    rows = (
        Call.objects.filter(organisation_id=line_id, started_at__gte=start, started_at__lt=end)
        .annotate(hour=ExtractHour("started_at", tzinfo=timezone.get_current_timezone()))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["hour"]: row["n"] for row in rows}


def _by_theme(line_id: int, day: date) -> dict[tuple[str, str], int]:
    start, end = _day_bounds(day)
    rows = (
        Request.objects.filter(organisation_id=line_id, started_at__gte=start, started_at__lt=end)
        .values("theme__code", "theme__label_fr", "theme__label_nl", "theme__label_en")
        .annotate(n=Count("id"))
        .order_by()
    )
    from django.utils.translation import get_language

    language = get_language()
    result = {}
    for row in rows:
        label = (row.get(f"theme__label_{language}") if language in ("nl", "en") else "") or row["theme__label_fr"]
        result[(row["theme__code"], label)] = row["n"]
    return result


def thermometer(line_id: int, today: date | None = None) -> tuple[list[Row], list[Row]]:
    """(hours, themes): today's counts and the mean of the same weekday over the last WEEKS weeks."""
    today = today or timezone.localdate()
    past_days = [today - timedelta(weeks=week) for week in range(1, WEEKS + 1)]
    hours_today = _by_hour(line_id, today)
    hours_past: dict[int, int] = {}
    themes_today = _by_theme(line_id, today)
    themes_past: dict[tuple[str, str], int] = {}
    for day in past_days:
        for hour, n in _by_hour(line_id, day).items():
            hours_past[hour] = hours_past.get(hour, 0) + n
        for key, n in _by_theme(line_id, day).items():
            themes_past[key] = themes_past.get(key, 0) + n
    hours = [
        Row(str(hour), f"{hour:02d}:00", hours_today.get(hour, 0), round(hours_past.get(hour, 0) / WEEKS, 1))
        for hour in sorted(set(hours_today) | set(hours_past))
    ]
    labels = dict(list(themes_today) + list(themes_past))
    codes = sorted({code for code, _label in themes_today} | {code for code, _label in themes_past})
    today_by_code = {code: n for (code, _label), n in themes_today.items()}
    past_by_code: dict[str, int] = {}
    for (code, _label), n in themes_past.items():
        past_by_code[code] = past_by_code.get(code, 0) + n
    themes = [
        Row(code, labels[code], today_by_code.get(code, 0), round(past_by_code.get(code, 0) / WEEKS, 1))
        for code in codes
    ]
    themes.sort(key=lambda row: (-row.today, -row.average, row.key))
    return hours, themes
