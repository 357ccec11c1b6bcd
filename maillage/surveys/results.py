"""The read side of surveys: figures per question, filters, the trend over waves, exports."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from maillage.surveys import charts
from maillage.surveys.answering import scale_bounds
from maillage.surveys.models import TEXT_KINDS, Kind, Question, Response, Series, Survey


@dataclass
class Result:
    question: Question
    answered: int = 0
    # (label, count, percent of those who answered)
    rows: list[tuple[str, int, float | None]] = field(default_factory=list)
    grid_header: list[str] = field(default_factory=list)
    grid: list[tuple[str, list[int]]] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    chart: charts.Chart | None = None


def submitted(survey: Survey, *, sector: str = "", region: str = "") -> QuerySet[Response]:
    responses = Response.objects.filter(survey=survey, submitted_at__isnull=False)
    if sector:
        responses = responses.filter(sector=sector)
    if region:
        responses = responses.filter(region=region)
    return responses


def _percent(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None


def _counted(
    labels: list[tuple[str, str]], counter: Counter[str], answered: int
) -> list[tuple[str, int, float | None]]:
    return [(label, counter.get(value, 0), _percent(counter.get(value, 0), answered)) for value, label in labels]


def question_result(question: Question, answers: list[Any]) -> Result:
    """The figures of one question from its answers (blank ones left out), as federation staff read them
    (what is shared back to respondents is `sharing.shared_results`, through the disclosure engine)."""
    given = [answer for answer in answers if answer not in (None, "", [], {})]
    result = Result(question, answered=len(given))
    kind = question.kind
    if kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE):
        counter: Counter[str] = Counter()
        for answer in given:
            counter.update(str(item) for item in answer) if isinstance(answer, list) else counter.update([str(answer)])
        if kind == Kind.SCALE:
            low, high = scale_bounds(question)
            labels = [(str(n), str(n)) for n in range(low, high + 1)]
        else:
            labels = question.choice_labels()
        result.rows = _counted(labels, counter, len(given))
        if kind == Kind.SCALE and given:
            result.figures = [(_("Mean"), round(statistics.fmean(float(a) for a in given), 2))]
        if given:
            result.chart = charts.bars(question.text, [row[0] for row in result.rows], [row[1] for row in result.rows])
    elif kind == Kind.GRID:
        result.grid_header = [label for _value, label in question.choice_labels()]
        for row, row_label in question.row_labels():
            counter = Counter(str(answer.get(row)) for answer in given if isinstance(answer, dict))
            cells = [counter.get(value, 0) for value, _label in question.choice_labels()]
            result.grid.append((row_label, cells))
    elif kind == Kind.NUMBER:
        numbers = [float(answer) for answer in given]
        if numbers:
            result.figures = [
                (_("Answers"), len(numbers)),
                (_("Total"), _number(sum(numbers))),
                (_("Mean"), round(statistics.fmean(numbers), 2)),
                (_("Median"), _number(statistics.median(numbers))),
                (_("Smallest"), _number(min(numbers))),
                (_("Largest"), _number(max(numbers))),
            ]
    elif kind == Kind.DATE:
        months = Counter(str(answer)[:7] for answer in given)
        result.rows = _counted([(month, month) for month in sorted(months)], months, len(given))
    elif kind in TEXT_KINDS:
        result.texts = [str(answer) for answer in given]
    return result


def _number(value: float) -> float | int:
    return int(value) if value == int(value) else round(value, 2)


def survey_results(survey: Survey, responses: Iterable[Response]) -> list[Result]:
    answer_sets = [response.answers for response in responses]
    return [
        question_result(question, [answers.get(question.key) for answers in answer_sets])
        for question in survey.questions.all()
    ]


@dataclass
class Trend:
    key: str
    text: str
    points: list[tuple[str, int, float | None, float | None]]  # (wave, answers, total, mean)
    chart: charts.Chart | None


def series_trends(series: Series) -> list[Trend]:
    """For each number or scale question of the series: total and mean per wave, oldest first."""
    waves = list(series.waves.order_by("wave", "opens_at").prefetch_related("questions"))
    if not waves:
        return []
    keys = [q for q in waves[-1].questions.all() if q.kind in (Kind.NUMBER, Kind.SCALE)]
    answers_by_wave = {
        wave.pk: list(
            Response.objects.filter(survey=wave, submitted_at__isnull=False).values_list("answers", flat=True)
        )
        for wave in waves
    }
    trends = []
    for question in keys:
        points = []
        for wave in waves:
            values = [float(a[question.key]) for a in answers_by_wave[wave.pk] if a.get(question.key) not in (None, "")]
            total = _number(sum(values)) if values else None
            mean = round(statistics.fmean(values), 2) if values else None
            points.append((wave_label(wave), len(values), total, mean))
        measure = [p[2] if question.kind == Kind.NUMBER else p[3] for p in points]
        chart = None
        if any(value is not None for value in measure):
            title = question.text + (" — " + _("total") if question.kind == Kind.NUMBER else " — " + _("mean"))
            chart = charts.trend(title, [p[0] for p in points], [v or 0 for v in measure])
        trends.append(Trend(question.key, question.text, points, chart))
    return trends


def wave_label(survey: Survey) -> str:
    if survey.wave is None:
        return survey.opens_at.date().isoformat()
    if survey.series is not None and survey.series.cadence == "quarterly":
        return f"{survey.wave.year}-Q{(survey.wave.month - 1) // 3 + 1}"
    return survey.wave.strftime("%Y-%m")


def export_rows(survey: Survey, responses: Iterable[Response]) -> tuple[list[str], list[list[Any]]]:
    """One row per answer sheet, one column per question (a grid: one per row)."""
    questions = list(survey.questions.all())
    header = [_("Organisation"), _("Sector"), _("Region"), _("Sent at")]
    for question in questions:
        if question.kind == Kind.GRID:
            header += [f"{question.key} · {label}" for _value, label in question.row_labels()]
        else:
            header.append(f"{question.key} · {question.text}")
    rows = []
    for response in responses:
        row: list[Any] = [
            str(response.organisation) if response.organisation_id else "",
            response.get_sector_display() if response.sector else "",
            response.get_region_display() if response.region else "",
            response.submitted_at,
        ]
        for question in questions:
            answer = response.answers.get(question.key)
            if question.kind == Kind.GRID:
                labels = dict(question.choice_labels())
                row += [labels.get(str((answer or {}).get(value)), "") for value, _label in question.row_labels()]
            elif question.kind in (Kind.SINGLE, Kind.MULTIPLE):
                labels = dict(question.choice_labels())
                items = answer if isinstance(answer, list) else ([answer] if answer is not None else [])
                row.append(", ".join(labels.get(str(item), str(item)) for item in items))
            else:
                row.append(answer if answer is not None else "")
        rows.append(row)
    return header, rows
