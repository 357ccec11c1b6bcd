"""The year's cycle: staff open and close a year, centres see their completeness and declare it complete."""

from __future__ import annotations

import datetime

from django.urls import reverse

from maillage.core.models import AuditEntry
from maillage.sector.completeness import completeness
from maillage.sector.models import CompletionDeclaration, DataYear
from tests.conftest import client_for
from tests.sector.conftest import YEAR, World, add_persons


def test_staff_open_and_close_a_year(world: World) -> None:
    client = client_for(world.staff)
    assert client.post(reverse("sector:open_year"), {"year": YEAR}).status_code == 302
    data_year = DataYear.objects.get(year=YEAR)
    assert data_year.status == "open"
    assert client.post(reverse("sector:close_year"), {"year": YEAR}).status_code == 302
    data_year.refresh_from_db()
    assert data_year.status == "closed"
    assert list(
        AuditEntry.objects.filter(code__startswith="sector.year").order_by("pk").values_list("code", flat=True)
    ) == [
        "sector.year.opened",
        "sector.year.closed",
    ]


def test_a_coordinator_declares_the_year_and_staff_see_who_has(world: World) -> None:
    DataYear.objects.create(year=YEAR)
    client = client_for(world.coordinator)
    url = reverse("sector:declare_complete")
    assert client.post(url, {"year": YEAR, "centre": world.ours.pk}).status_code == 302
    assert client.post(url, {"year": YEAR, "centre": world.ours.pk}).status_code == 302  # a second click
    assert list(CompletionDeclaration.objects.values_list("organisation__short_name", flat=True)) == ["CSS A"]
    page = client_for(world.staff).get(reverse("sector:cycle"))
    assert page.status_code == 200
    assert "1 of 7 centres declared their year complete." in page.content.decode()


def test_a_closed_year_cannot_be_declared(world: World) -> None:
    DataYear.objects.create(year=YEAR, status="closed")
    response = client_for(world.coordinator).post(
        reverse("sector:declare_complete"), {"year": YEAR, "centre": world.ours.pk}, follow=True
    )
    assert CompletionDeclaration.objects.count() == 0
    assert [str(m) for m in response.context["messages"]] == ["The year 2025 is closed."]


def test_a_worker_or_another_centre_cannot_declare(world: World) -> None:
    DataYear.objects.create(year=YEAR)
    url = reverse("sector:declare_complete")
    assert client_for(world.worker).post(url, {"year": YEAR, "centre": world.ours.pk}).status_code == 404
    assert client_for(world.outsider).post(url, {"year": YEAR, "centre": world.ours.pk}).status_code == 404
    assert CompletionDeclaration.objects.count() == 0


def test_completeness_of_a_year(world: World) -> None:
    # CSS A's follow-ups are all in March 2025; 2024 had 40.
    add_persons(world.ours, world.worker, "FOOD.PARCEL", 40, day=datetime.date(YEAR - 1, 5, 5), sex="u")
    result = completeness(world.ours.pk, YEAR)
    assert len(result.months_without) == 11
    assert result.months_without[:3] == ["January 2025", "February 2025", "April 2025"]
    sex = next(u for u in result.unknowns if u.label == "Persons by sex / gender")
    assert (sex.unknown, sex.total) == (0, 13)
    persons = next(d for d in result.deviations if d.label == "Persons")
    assert (persons.value, persons.previous_mean, persons.change, persons.is_far) == (13, 40.0, -67.5, True)
    previous = completeness(world.ours.pk, YEAR - 1)
    sex_before = next(u for u in previous.unknowns if u.label == "Persons by sex / gender")
    assert (sex_before.unknown, sex_before.total, sex_before.share) == (40, 40, 100.0)


def test_my_year_page(world: World) -> None:
    DataYear.objects.create(year=YEAR)
    response = client_for(world.coordinator).get(reverse("sector:my_year"), {"centre": world.ours.pk})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Declare our year 2025 complete" in content
    assert client_for(world.outsider).get(reverse("sector:my_year"), {"centre": world.ours.pk}).status_code == 404
