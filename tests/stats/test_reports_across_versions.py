# ruff: noqa: F811
"""Reports across a published version: version 2 of the request themes merges MENTAL's categories into
HEALTH.MENTAL and splits INCOME.DEBT into INCOME.DEBT and DEBT.OVER (a new theme DEBT). The helpline bilan,
the weekly synthesis and the case-work cross-tab, read in version 1 and in version 2, give the figures
counted again here from the raw rows and the mapping this test declares.

A split is honest: a request coded INCOME.DEBT before version 2 counts under the joined key of both new
codes (and of both new themes), never under one of them by guess; read back in version 1, a merged code
counts under the joined key of the codes it merged.
"""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from maillage.casework.models import FollowUp
from maillage.casework.models import Request as CaseRequest
from maillage.helpline.models import Request as CallRequest
from maillage.stats import helpline_reports
from maillage.stats.crosstab import TOTAL, Params, Scope, build
from maillage.stats.helpline_reading import themes_read_in
from maillage.stats.shares import Period
from maillage.stats.versions import reading_in
from maillage.taxonomy import services as taxonomy
from maillage.taxonomy.models import Category, Scheme
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member
from tests.helpline.conftest import line, responder, themes  # noqa: F401
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db
# Splits need the taxonomy services that record several targets for one old code (issue #12, taxonomy half).
needs_splits = pytest.mark.skipif(
    not hasattr(taxonomy, "set_mapping_targets"), reason="the taxonomy services cannot record a split yet"
)

V1_CODES = [
    "FOOD.PARCEL",
    "HOUSING.RENT",
    "INCOME.DEBT",
    "INCOME.JOB",
    "MENTAL.DISTRESS",
    "MENTAL.ADDICTION",
    "HEALTH.ACCESS",
]
V2_CODES = ["FOOD.PARCEL", "HOUSING.RENT", "INCOME.DEBT", "DEBT.OVER", "HEALTH.MENTAL", "HEALTH.ACCESS"]
# Where each retired or split version-1 code goes in version 2 (every other code stays itself).
FORWARD = {
    "MENTAL.DISTRESS": ("HEALTH.MENTAL",),
    "MENTAL.ADDICTION": ("HEALTH.MENTAL",),
    "MENTAL": ("HEALTH",),
    "INCOME.DEBT": ("INCOME.DEBT", "DEBT.OVER"),
}
WEEK = Period(date(2025, 6, 2), date(2025, 6, 8))


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with translation.override("en"):
        yield


def _publish_version_2() -> None:
    """Through the taxonomy services: a draft copied from version 1, its file changed, mappings, publication."""
    scheme = Scheme.objects.get(code="request-themes")
    draft = taxonomy.create_draft(None, scheme, title="v2")
    rows = [
        row
        for row in taxonomy.category_rows(draft)
        if row["code"] not in {"MENTAL", "MENTAL.DISTRESS", "MENTAL.ADDICTION"}
    ]
    health = next(index for index, row in enumerate(rows) if row["code"] == "HEALTH.INSURANCE")
    new = dict(
        rows[health],
        code="HEALTH.MENTAL",
        label_fr="Santé mentale",
        label_nl="Geestelijke gezondheid",
        label_en="Mental health",
    )
    rows.insert(health + 1, new)
    debt = dict(rows[0], code="DEBT", parent_code="", label_fr="Dettes", label_nl="Schulden", label_en="Debt")
    over = dict(
        rows[0],
        code="DEBT.OVER",
        parent_code="DEBT",
        label_fr="Surendettement",
        label_nl="Schuldoverlast",
        label_en="Over-indebtedness",
    )
    rows += [debt, over]
    from maillage.taxonomy.csv_format import category_lines

    parsed = taxonomy.import_categories_csv(None, draft, "".join(category_lines(rows, separator="comma")))
    assert parsed.errors == []
    old = {c.code: c for c in Category.objects.filter(version=draft.previous)}
    new_codes = {c.code: c for c in Category.objects.filter(version=draft)}
    # A source given with several targets is split.
    taxonomy.record_mappings(
        None, [(old[source], new_codes[target]) for source, targets in FORWARD.items() for target in targets]
    )
    taxonomy.publish_version(None, draft)


def _parent(code: str) -> str:
    return code.split(".")[0]


def _key(version_number: int, level: int, code: str, coded_in: int) -> str:
    """The key a category `code` of version `coded_in` counts under in `version_number`, from this test's mapping."""
    if coded_in == version_number:
        targets: tuple[str, ...] = (code,)
    elif version_number == 2:
        targets = FORWARD.get(code, (code,))
    else:  # read back: every version-1 code that goes to it
        targets = tuple(source for source, goes in FORWARD.items() if code in goes and "." in source)
        targets = targets or (code,)
    wanted = sorted({_parent(t) for t in targets} if level == 1 else set(targets))
    if len(wanted) == 1:
        return wanted[0]
    version = themes_read_in(version_number).version
    assert version is not None
    splits = reading_in(version, level).splits
    joined = [key for key, parts in splits.items() if sorted(parts) == wanted]
    assert len(joined) == 1, (wanted, splits)
    return joined[0]


@pytest.fixture
def world(responder, themes, line):  # type: ignore[no-untyped-def]
    """Helpline calls and case-work requests coded in version 1 before the publication, in version 2 after."""
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    rng = random.Random(12)
    centre = OrganisationFactory(short_name="Sud-Est")
    worker = member("worker", centre, full_name="Awa Worker", language="en")
    person_files = [
        CaseFileFactory(person=PersonFactory(organisation=centre, reference=f"P-{i:06d}")) for i in range(6)
    ]

    def moment(first: date, days: int) -> datetime:
        return timezone.make_aware(
            datetime.combine(first + timedelta(days=rng.randint(0, days)), time(rng.randint(8, 18)))
        )

    def casework(codes: list[str], first: date, days: int, count: int) -> None:
        by_code = {
            c.code: c
            for c in Category.objects.filter(version__scheme__code="request-themes", version__status="published")
        }
        for _ in range(count):
            follow_up = FollowUpFactory(
                case_file=rng.choice(person_files), worker=worker, date=first + timedelta(days=rng.randint(0, days))
            )
            for code in rng.sample(codes, rng.choice([1, 2])):
                RequestFactory(follow_up=follow_up, theme=by_code[code])

    def calls(codes: list[str], first: date, days: int, count: int) -> None:
        for _ in range(count):
            picked = [{"category": rng.choice(codes), "action": "information"} for _ in range(rng.choice([1, 1, 2]))]
            log(responder, *picked, at=moment(first, days))

    # Version 1: January–August 2025, the week of WEEK included.
    calls(V1_CODES, date(2025, 1, 1), 119, 25)
    calls(V1_CODES, date(2025, 5, 1), 30, 10)
    calls(V1_CODES, WEEK.first, 6, 6)
    casework(V1_CODES, date(2025, 1, 1), 150, 30)
    _publish_version_2()
    calls(V2_CODES, date(2025, 6, 10), 80, 15)
    calls(V2_CODES, WEEK.first, 6, 5)
    casework(V2_CODES, date(2025, 6, 1), 90, 25)
    return {"centre": centre, "worker": worker, "line": line}


def _coded_in(category: Category) -> int:
    return category.version.number


def _call_rows(period: Period) -> list[tuple[str, int]]:
    start = timezone.make_aware(datetime.combine(period.first, time.min))
    end = timezone.make_aware(datetime.combine(period.last + timedelta(days=1), time.min))
    return [
        (r.category.code, _coded_in(r.category))
        for r in CallRequest.objects.select_related("category__version", "call")
        if start <= r.call.started_at < end
    ]


@needs_splits
@pytest.mark.parametrize("number", [1, 2])
def test_bilan_and_weekly_synthesis_read_in_one_version(world, number):
    reading = themes_read_in(number)
    assert reading.version is not None
    assert reading.version.number == number
    period = Period(date(2025, 5, 1), date(2025, 8, 31))
    report = helpline_reports.bilan([world["line"].pk], period, reading=reading)
    now, before = _call_rows(period), _call_rows(Period(date(2025, 1, 1), date(2025, 4, 30)))
    for level, rows in ((1, report.themes), (2, report.categories)):
        expected_now = Counter(_key(number, level, code, coded) for code, coded in now)
        expected_before = Counter(_key(number, level, code, coded) for code, coded in before)
        got = {row.key: (row.count_now, row.count_before) for row in rows}
        assert got == {
            key: (expected_now[key], expected_before[key]) for key in set(expected_now) | set(expected_before)
        }
    assert report.totals_now.requests == len(now)
    # Each key of the table is a key of the version read in: no code of the other version slips in.
    keys2 = set(reading_in(reading.version, 2).order) | set(reading_in(reading.version, 2).splits)
    assert {row.key for row in report.categories} <= keys2
    synthesis = helpline_reports.synthesis([world["line"].pk], WEEK, reading)
    week = _call_rows(WEEK)
    assert {row.key: row.count for row in synthesis.themes.rows} == dict(
        Counter(_key(number, 1, c, v) for c, v in week)
    )
    detail = Counter((_key(number, 1, c, v), _key(number, 2, c, v)) for c, v in week)
    assert {
        (theme, row.key): row.count for theme, section in synthesis.subthemes.items() for row in section.rows
    } == dict(detail)


@needs_splits
@pytest.mark.parametrize("number", [1, 2])
def test_crosstab_reads_in_one_version(world, number):
    centre = world["centre"]
    requests = [
        (r.theme.code, _coded_in(r.theme), r.follow_up_id)
        for r in CaseRequest.objects.filter(organisation=centre).select_related("theme__version")
    ]
    for level in (1, 2):
        result = build(
            Params(measure="requests", dimensions=[f"theme{level}"], versions={"theme": number}), Scope([centre.pk])
        )
        table = result.tables[0]
        expected = Counter(_key(number, level, code, coded) for code, coded, _f in requests)
        assert {row: table.value(row, TOTAL) for row in table.row_keys if table.value(row, TOTAL)} == dict(expected)
        assert table.total == len(requests)
        assert result.versions["theme"].number == number
        followups = build(
            Params(measure="followups", dimensions=[f"theme{level}"], versions={"theme": number}), Scope([centre.pk])
        )
        distinct: dict[str, set[int]] = {}
        for code, coded, follow_up in requests:
            distinct.setdefault(_key(number, level, code, coded), set()).add(follow_up)
        table = followups.tables[0]
        assert {row: table.value(row, TOTAL) for row in table.row_keys if table.value(row, TOTAL)} == {
            key: len(ids) for key, ids in distinct.items()
        }
    assert FollowUp.objects.filter(organisation=centre).count() == 55


def test_the_pages_and_exports_name_the_version_they_read_in(world, federation_staff):
    staff = client_for(federation_staff)
    page = staff.get(reverse("stats:helpline_bilan"), {"line": world["line"].pk, "period": "2025-2", "version": "1"})
    assert page.status_code == 200
    assert page.context["version_line"][1].startswith(
        "Thèmes des demandes : version 1 (publiée le "
    )  # staff reads French
    exported = staff.get(
        reverse("stats:helpline_bilan"), {"line": world["line"].pk, "period": "2025-2", "format": "csv", "sep": "comma"}
    )
    lines = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode("utf-8"))))
    version_line = next(line for line in lines if line and line[0] == "Catégories lues dans")
    assert version_line[1].startswith("Thèmes des demandes : version 2 (en vigueur, publiée le ")
    missing = staff.get(reverse("stats:helpline_bilan"), {"line": world["line"].pk, "version": "3"})
    assert missing.status_code == 400
    assert missing.context["error"].name == "version"
    weekly = staff.get(
        reverse("stats:helpline_weekly"), {"line": world["line"].pk, "week": "2025-06-02", "version": "4"}
    )
    assert weekly.status_code == 400
    worker = client_for(world["worker"])
    response = worker.get(
        reverse("stats:casework_crosstab"),
        {"run": "1", "measure": "requests", "rows": "theme1", "columns": "institution1", "theme_version": "1"},
    )
    read_in = [text for label, text in response.context["description"] if label == "Categories read in"]
    assert len(read_in) == 2
    assert read_in[0].startswith("Request themes: version 1 (published ")
    assert read_in[1].startswith("Institution concerned: version 1 (in force, published ")


def _publish(scheme_code: str, change: Any, mapping: dict[str, str]) -> None:
    """A new version of `scheme_code` whose rows `change` alters, with `mapping` for the codes it retires."""
    from maillage.taxonomy.csv_format import category_lines

    draft = taxonomy.create_draft(None, Scheme.objects.get(code=scheme_code), title="v2")
    rows = change(taxonomy.category_rows(draft))
    assert taxonomy.import_categories_csv(None, draft, "".join(category_lines(rows, separator="comma"))).errors == []
    old = {c.code: c for c in Category.objects.filter(version=draft.previous)}
    new = {c.code: c for c in Category.objects.filter(version=draft)}
    for source, target in mapping.items():
        taxonomy.record_mapping(None, old[source], new[target])
    taxonomy.publish_version(None, draft)


def test_institutions_and_stages_are_each_read_in_a_chosen_version(db):
    """Version 2 of the institutions merges ONEM and the tax office into PUBLIC.FEDERAL; version 2 of the stages
    moves STEPS.LETTER under INFO. Requests coded before read in either version, on both levels."""
    from maillage.casework.schemes import ensure_casework_schemes
    from maillage.taxonomy.queries import active_categories

    ensure_casework_schemes()
    rng = random.Random(3)
    centre = OrganisationFactory(short_name="Nord")
    files = [CaseFileFactory(person=PersonFactory(organisation=centre, reference=f"P-{i:06d}")) for i in range(4)]
    institutions = list(
        active_categories("institution-concerned").filter(
            code__in=["PUBLIC.ONEM", "PUBLIC.TAX", "PUBLIC.CPAS", "HOUSING.SOCIAL"]
        )
    )
    stages = list(active_categories("request-stage").filter(code__in=["STEPS.LETTER", "STEPS.FILE", "INFO.GENERAL"]))
    coded = []
    for _ in range(40):
        request = RequestFactory(
            follow_up=FollowUpFactory(case_file=rng.choice(files), date=date(2025, 3, rng.randint(1, 28))),
            institution=rng.choice(institutions),
            stage=rng.choice(stages),
        )
        coded.append((request.institution.code, request.stage.code))

    def merge(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [row for row in rows if row["code"] not in {"PUBLIC.ONEM", "PUBLIC.TAX"}]
        federal = dict(
            next(row for row in rows if row["code"] == "PUBLIC.CPAS"),
            code="PUBLIC.FEDERAL",
            label_en="Federal services",
        )
        return [*kept, federal]

    def move(rows: list[dict[str, str]]) -> list[dict[str, str]]:
        kept = [row for row in rows if row["code"] != "STEPS.LETTER"]
        letter = dict(
            next(row for row in rows if row["code"] == "STEPS.LETTER"), code="INFO.LETTER", parent_code="INFO"
        )
        return [*kept, letter]

    _publish("institution-concerned", merge, {"PUBLIC.ONEM": "PUBLIC.FEDERAL", "PUBLIC.TAX": "PUBLIC.FEDERAL"})
    _publish("request-stage", move, {"STEPS.LETTER": "INFO.LETTER"})
    in_v2 = {"PUBLIC.ONEM": "PUBLIC.FEDERAL", "PUBLIC.TAX": "PUBLIC.FEDERAL", "STEPS.LETTER": "INFO.LETTER"}
    for number in (1, 2):
        for level in (1, 2):
            for axis, position in (("institution", 0), ("stage", 1)):
                result = build(
                    Params(measure="requests", dimensions=[f"{axis}{level}"], versions={axis: number}),
                    Scope([centre.pk]),
                )
                codes = [row[position] for row in coded]
                if number == 2:
                    codes = [in_v2.get(code, code) for code in codes]
                expected = Counter(_parent(code) if level == 1 else code for code in codes)
                table = result.tables[0]
                assert {row: table.value(row, TOTAL) for row in table.row_keys} == dict(expected), (axis, number, level)
                assert result.versions[axis].number == number
