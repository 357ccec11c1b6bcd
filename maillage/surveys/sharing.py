"""Results shared back to the organisations asked: every count goes through the statistics' disclosure engine.

The figures a respondent may set against each other form one family per question, protected once
(`maillage.stats.disclosure.protect`) with the dimensions answer × sector × region: the filters of the page
are slices of that family and "all" is its total, so a count hidden in one view cannot be worked out by
subtracting views (all − the other sectors), and the family carries the reader's own answer (`known`), so
"everyone minus my organisation" is protected too.

Families that share figures agree with each other through `fixed`: the respondents (sector × region) are
protected first and every question's total over its answers is those respondents; the answers of a
question include "no answer" (a category like the others, shown on the page), and the rows of a grid and
the choices of a multiple choice (each chosen / not chosen / no answer) share the "no answer" cells of the
first one. Sums and means of a number question are shown exactly where its count of answers is shown (a
sum's subtraction then needs a hidden count, which no view gives). Free-text answers, the smallest and the
largest numbers are never shared. A family the engine cannot protect (e.g. every organisation but one chose
the same answer, so the complement is that one) is not shown: the page gives the engine's refusal instead.

A view of fewer than k organisations that all gave one answer hides that answer and the zeros beside it
(the engine's small-group rule along the answer dimension): "Oui 0 · Non <5" would tell that its few
organisations all answered "Non". Sector and region are not attributes (that the only respondent of a region
is a CPAS says nothing of its answers), so their zeros stay shown.
"""

from __future__ import annotations

import hashlib
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.utils.translation import gettext as _

from maillage.stats.disclosure import SHOWN, TOTAL, Dimension, DisclosureRefused, Protected, Rule, protect
from maillage.surveys.answering import scale_bounds
from maillage.surveys.models import TEXT_KINDS, Kind, Question, Response, Survey

BLANK = "__blank__"
CHOSEN, NOT_CHOSEN = "chosen", "not_chosen"
ANSWERED = "answered"
CACHE_SECONDS = 600


def survey_rule() -> Rule:
    """Organisations' answers keep the width of the protection interval, not both sides (see `Rule.two_sided`):
    the small-group rule and the LP audit still hold for every hidden count."""
    return Rule(two_sided=False)


Key = tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """What the page may show of one protected family: each published cell's text and count (None: hidden)."""

    texts: Mapping[Key, str]
    values: Mapping[Key, int | None]
    kinds: Mapping[Key, str]
    refused: str = ""

    def text(self, cell: Key) -> str:
        return self.texts.get(cell, "0")

    def value(self, cell: Key) -> int | None:
        return self.values.get(cell, 0)

    def share(self, cell: Key, of: Key) -> float | None:
        count, total = self.value(cell), self.value(of)
        return None if count is None or not total else round(100.0 * count / total, 1)


def _family(cells: Mapping[Any, int], dims: Sequence[Dimension], *, name: str, known: Mapping[Any, int],
            fixed: Mapping[Key, str], rule: Rule) -> Family:  # fmt: skip
    parts = (name, sorted(cells.items()), sorted(known.items()), sorted(fixed.items()), rule.k, rule.p,
             [(d.name, d.values) for d in dims])  # fmt: skip
    key = "maillage-survey-family:" + hashlib.sha256(repr(parts).encode()).hexdigest()
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    try:
        protected: Protected = protect(
            dict(cells), dims=list(dims), rule=rule, known=dict(known) or None, family=name, fixed=dict(fixed) or None
        )
        result = Family(
            {cell: protected.text(cell) for cell in protected.cells()},
            protected.published(),
            {cell: protected.kind(cell) for cell in protected.cells()},
        )
    except DisclosureRefused as error:
        result = Family({}, {}, {}, refused=str(error.message))
    cache.set(key, result, CACHE_SECONDS)
    return result


@dataclass
class SharedResult:
    question: Question
    respondents: str = ""
    # (label, count as shown: "12", "<5" or "x", percent of the respondents or None)
    rows: list[tuple[str, str, float | None]] = field(default_factory=list)
    grid_header: list[str] = field(default_factory=list)
    grid: list[tuple[str, list[str]]] = field(default_factory=list)
    figures: list[tuple[str, Any]] = field(default_factory=list)
    refused: str = ""
    not_shared: bool = False


@dataclass
class Shared:
    respondents: str
    results: list[SharedResult]
    rule: Rule
    refused: str = ""


class Protection:
    """The protected families of one survey's shared results for one reader (their organisation's answers)."""

    def __init__(self, survey: Survey, responses: Sequence[Response], own: Response | None, rule: Rule | None = None):
        self.survey = survey
        self.rule = rule or survey_rule()
        self.responses = list(responses)
        self.own = own if own is not None and own.submitted_at is not None else None
        where = {(r.sector, r.region) for r in self.responses}
        self.dims = [
            Dimension("sector", values=tuple(sorted({s for s, _r in where})), attribute=False),
            Dimension("region", values=tuple(sorted({r for _s, r in where})), attribute=False),
        ]
        self.slices = [(s, r) for s in (*self.dims[0].values, TOTAL) for r in (*self.dims[1].values, TOTAL)]
        cells = Counter((r.sector, r.region) for r in self.responses)
        known = {(self.own.sector, self.own.region): 1} if self.own else {}
        self.people = _family(cells, self.dims, name=f"survey:{survey.pk}:respondents", known=known, fixed={},
                              rule=self.rule)  # fmt: skip

    def _totals(self) -> dict[Key, str]:
        return {(TOTAL, s, r): self.people.kinds.get((s, r), SHOWN) for s, r in self.slices}

    def family(self, name: str, categories: Sequence[str], category_of: Any, *, agree: Mapping[Key, str]) -> Family:
        """One question's family: `category_of(response)` puts each respondent in one of `categories` (BLANK
        included); `agree`: states of cells another family already published."""
        cells = Counter((category_of(r), r.sector, r.region) for r in self.responses)
        known = {(category_of(self.own), self.own.sector, self.own.region): 1} if self.own else {}
        dims = [Dimension("answer", values=tuple(categories)), *self.dims]
        fixed = {**self._totals(), **agree}
        return _family(cells, dims, name=f"survey:{self.survey.pk}:{name}", known=known, fixed=fixed,
                       rule=self.rule)  # fmt: skip

    @staticmethod
    def blanks(family: Family) -> dict[Key, str]:
        return {cell: kind for cell, kind in family.kinds.items() if cell[0] == BLANK}


def _answer(response: Response, question: Question) -> Any:
    value = response.answers.get(question.key)
    return None if value in (None, "", [], {}) else value


def _rows(
    family: Family, labels: Sequence[tuple[str, str]], where: tuple[str, str]
) -> list[tuple[str, str, float | None]]:
    total = (TOTAL, *where)
    return [(label, family.text((value, *where)), family.share((value, *where), total)) for value, label in labels]


def _single(protection: Protection, question: Question, where: tuple[str, str]) -> SharedResult:
    result = SharedResult(question)
    if question.kind == Kind.SCALE:
        low, high = scale_bounds(question)
        labels = [(str(n), str(n)) for n in range(low, high + 1)]
    elif question.kind == Kind.DATE:
        months = sorted({str(_answer(r, question))[:7] for r in protection.responses if _answer(r, question)})
        labels = [(month, month) for month in months]
    else:
        labels = question.choice_labels()

    def category(response: Response) -> str:
        value = _answer(response, question)
        return BLANK if value is None else (str(value)[:7] if question.kind == Kind.DATE else str(value))

    family = protection.family(question.key, [v for v, _l in labels] + [BLANK], category, agree={})
    result.refused = family.refused
    if not family.refused:
        result.rows = _rows(family, [*labels, (BLANK, _("No answer"))], where)
    return result


def _grid(protection: Protection, question: Question, where: tuple[str, str]) -> SharedResult:
    result = SharedResult(question, grid_header=[label for _v, label in question.choice_labels()] + [_("No answer")])
    values = [v for v, _l in question.choice_labels()] + [BLANK]
    agree: dict[Key, str] = {}
    for row, row_label in question.row_labels():

        def category(response: Response, row: str = row) -> str:
            answer = _answer(response, question)
            return str(answer.get(row)) if isinstance(answer, dict) and answer.get(row) is not None else BLANK

        family = protection.family(f"{question.key}:{row}", values, category, agree=agree)
        if family.refused:
            return SharedResult(question, refused=family.refused)
        agree = agree or Protection.blanks(family)
        result.grid.append((row_label, [family.text((value, *where)) for value in values]))
    return result


def _multiple(protection: Protection, question: Question, where: tuple[str, str]) -> SharedResult:
    result = SharedResult(question)
    agree: dict[Key, str] = {}
    for value, label in question.choice_labels():

        def category(response: Response, value: str = value) -> str:
            answer = _answer(response, question)
            if answer is None:
                return BLANK
            return CHOSEN if value in [str(item) for item in answer] else NOT_CHOSEN

        family = protection.family(f"{question.key}:{value}", [CHOSEN, NOT_CHOSEN, BLANK], category, agree=agree)
        if family.refused:
            return SharedResult(question, refused=family.refused)
        if not agree:
            agree = Protection.blanks(family)
            blank_row = (_("No answer"), family.text((BLANK, *where)), family.share((BLANK, *where), (TOTAL, *where)))
        result.rows.append((label, family.text((CHOSEN, *where)), family.share((CHOSEN, *where), (TOTAL, *where))))
    if agree:
        result.rows.append(blank_row)
    return result


def _number(protection: Protection, question: Question, where: tuple[str, str]) -> SharedResult:
    result = SharedResult(question)

    def category(response: Response) -> str:
        return BLANK if _answer(response, question) is None else ANSWERED

    family = protection.family(question.key, [ANSWERED, BLANK], category, agree={})
    result.refused = family.refused
    if family.refused:
        return result
    result.rows = _rows(family, [(ANSWERED, _("Answers")), (BLANK, _("No answer"))], where)
    if family.value((ANSWERED, *where)):
        sector, region = where
        numbers = [
            float(_answer(r, question))
            for r in protection.responses
            if _answer(r, question) is not None and sector in (TOTAL, r.sector) and region in (TOTAL, r.region)
        ]
        result.figures = [(_("Total"), _plain(sum(numbers))), (_("Mean"), round(statistics.fmean(numbers), 2))]
    return result


def _plain(value: float) -> float | int:
    return int(value) if value == int(value) else round(value, 2)


def shared_results(survey: Survey, responses: Sequence[Response], *, own: Response | None, sector: str = "",
                   region: str = "", rule: Rule | None = None) -> Shared:  # fmt: skip
    """The shared results of `survey` as the organisation whose answer is `own` reads them, for one slice of
    the filters ("" = all)."""
    if not responses:
        return Shared("0", [], rule or survey_rule())
    protection = Protection(survey, responses, own, rule)
    where = (sector or TOTAL, region or TOTAL)
    if protection.people.refused:
        return Shared("", [], protection.rule, refused=protection.people.refused)
    results = []
    for question in survey.questions.all():
        if question.kind in TEXT_KINDS:
            results.append(SharedResult(question, not_shared=True))
        elif question.kind == Kind.GRID:
            results.append(_grid(protection, question, where))
        elif question.kind == Kind.MULTIPLE:
            results.append(_multiple(protection, question, where))
        elif question.kind == Kind.NUMBER:
            results.append(_number(protection, question, where))
        else:
            results.append(_single(protection, question, where))
    return Shared(protection.people.text(where), results, protection.rule)
