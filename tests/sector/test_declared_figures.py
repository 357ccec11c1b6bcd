"""Figures from another tool: the template, line-by-line checks, all or nothing, counted in the sector."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from maillage.sector.models import DataYear, DeclaredFigure, FigureSubmission, ReportRun
from tests.conftest import client_for
from tests.sector.conftest import YEAR, World

GOOD = [
    "centre;year;indicator;category;value",
    "CSS A;2025;persons;;120",
    "CSS A;2025;persons.sex;total;120",
    "CSS A;2025;persons.sex;f;70",
    "CSS A;2025;persons.sex;m;50",
    "CSS A;2025;requests.theme1;FOOD;90",
]


def _upload(client, lines: list[str], *, year: int = YEAR, name: str = "figures.csv"):  # type: ignore[no-untyped-def]
    data = ("\n".join(lines) + "\n").encode()
    return client.post(
        reverse("sector:submit_figures"),
        {"year": year, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


@pytest.fixture
def coordinator_client(world: World):  # type: ignore[no-untyped-def]
    DataYear.objects.create(year=YEAR)
    return client_for(world.coordinator)


def test_good_figures_are_saved_and_enter_the_sector(world: World, coordinator_client) -> None:  # type: ignore[no-untyped-def]
    response = _upload(coordinator_client, GOOD)
    assert response.status_code == 302
    figures = {(f.indicator, f.category): f.value for f in DeclaredFigure.objects.all()}
    assert figures == {
        ("persons", ""): 120,
        ("persons.sex", "f"): 70,
        ("persons.sex", "m"): 50,
        ("requests.theme1", "FOOD"): 90,
    }
    # They enter the federation's annual report, marked as declared: CSS A's 120 stand for its 13 counted
    # persons, the network 68 - 13 + 120.
    client_for(world.staff).post(reverse("sector:reports"), {"year": YEAR})
    html = ReportRun.objects.get().html
    assert '<th scope="row">Persons</th><td class="number">175</td>' in html
    # The centres' pages, where periods of the year are set against each other, count the encoded follow-ups
    # only (a year holding declared figures its quarters lack would give them by subtraction).
    page = coordinator_client.get(reverse("sector:centre"), {"centre": world.ours.pk, "year": YEAR})
    totals = next(group for group in page.context["groups"] if group["totals"])["totals"]
    persons = next(c for c in totals if c.indicator.code == "persons")
    assert (persons.lines[0].own, persons.lines[0].sector, persons.declared_centres) == (13, 68, 0)
    assert "Including the figures declared by 1 centre using another tool." in html
    assert "yes (declared)" in html


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("CSS A;2025;persons;;-3", "Line 2: a figure cannot be below zero (-3)."),
        ("CSS B;2025;persons;;3", "Line 2: figures of another centre (CSS B); submit only CSS A&#x27;s figures."),
        ("CSS A;2024;persons;;3", "Line 2: the year is 2024, this submission is for 2025."),
        ("CSS A;2025;persons.shoe_size;;3", "Line 2: unknown indicator persons.shoe_size."),
        ("CSS A;2025;persons.sex;q;3", "Line 2: q is not a category of persons.sex."),
        ("CSS A;2025;persons;;many", "Line 2: the value many is not a whole number."),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_saved(coordinator_client, line: str, message: str) -> None:  # type: ignore[no-untyped-def]
    response = _upload(coordinator_client, [GOOD[0], line, *GOOD[2:]])
    assert response.status_code == 400
    assert message in response.content.decode()
    assert DeclaredFigure.objects.count() == 0
    assert FigureSubmission.objects.count() == 0


def test_a_total_that_does_not_add_up(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    lines = [*GOOD[:3], "CSS A;2025;persons.sex;f;60", GOOD[4]]
    response = _upload(coordinator_client, lines)
    assert response.status_code == 400
    assert "Line 3: the total of persons.sex (120) is not the sum of its categories (110)." in response.content.decode()
    assert DeclaredFigure.objects.count() == 0


def test_a_closed_year_is_refused_at_the_field(coordinator_client) -> None:  # type: ignore[no-untyped-def]
    DataYear.objects.filter(year=YEAR).update(status="closed")
    response = _upload(coordinator_client, GOOD)
    assert response.status_code == 400
    assert response.context["form"].errors["year"] == ["The year 2025 is closed."]
    assert DeclaredFigure.objects.count() == 0


def test_an_xlsx_template_round_trip(world: World, coordinator_client) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import Workbook, load_workbook

    template = coordinator_client.get(
        reverse("sector:figures_template"), {"centre": world.ours.pk, "year": YEAR, "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(b"".join(template.streaming_content))).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("centre", "year", "indicator", "category", "value")
    assert rows[1] == ("CSS A", YEAR, "persons", None, None)
    workbook = Workbook()
    for line in GOOD:
        workbook.active.append(line.split(";"))
    out = io.BytesIO()
    workbook.save(out)
    response = coordinator_client.post(
        reverse("sector:submit_figures"),
        {"year": YEAR, "file": SimpleUploadedFile("f.xlsx", out.getvalue()), "centre": world.ours.pk},
    )
    assert response.status_code == 302
    assert DeclaredFigure.objects.count() == 4


def test_a_worker_cannot_submit(world: World) -> None:
    DataYear.objects.create(year=YEAR)
    assert client_for(world.worker).get(reverse("sector:submit_figures")).status_code == 404
