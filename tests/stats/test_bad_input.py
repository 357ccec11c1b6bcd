"""Bad values in the statistics' query strings and forms: a clear answer, never a server error."""

# ruff: noqa: F811
from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from maillage.casework.models import SavedReport
from maillage.core.models import Organisation, Role, User
from tests.conftest import client_for
from tests.factories import member
from tests.helpline.conftest import line, staff_client  # noqa: F401

pytestmark = pytest.mark.django_db

HUGE = "9" * 25


def _in(language: str, message: str, **values: object) -> str:
    with translation.override(language):
        text = _(message)
    return text % values if values else text


@pytest.fixture
def staff_en(line: Organisation) -> Client:
    return client_for(member(Role.FEDERATION_STAFF, line, full_name="Fiona Figures", language="en"))


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ("9999-12-31", "The year must be between 1900 and 2100."),
        ("0000-00-00", "The year must be between 1900 and 2100."),
        ("2026-02-30", "This date does not exist."),
        ("2026-W60", "This week does not exist in that year."),
        ("hier", "Enter a date as YYYY-MM-DD."),
        ("2026-W", "Enter a week as YYYY-Www, for example 2026-W05."),
    ],
)
def test_weekly_synthesis_answers_400_to_a_bad_week(staff_en: Client, week: str, message: str) -> None:
    response = staff_en.get(reverse("stats:helpline_weekly"), {"week": week})
    assert (response.status_code, response.context["error"].message) == (400, message)
    assert message in response.content.decode()


@pytest.mark.parametrize(("week", "monday"), [("2026-W05", date(2026, 1, 26)), ("2026-02-04", date(2026, 2, 2))])
def test_weekly_synthesis_reads_an_iso_week_or_a_day(staff_en: Client, week: str, monday: date) -> None:
    response = staff_en.get(reverse("stats:helpline_weekly"), {"week": week})
    assert (response.status_code, response.context["monday"]) == (200, monday)


@pytest.mark.parametrize(
    ("start", "end", "errors"),
    [
        ("9999-12-31", "", {"start": "The year must be between 1900 and 2100."}),
        ("0000-00-00", "2026-01-31", {"start": "The year must be between 1900 and 2100."}),
        ("2026-02-30", "2026-03-31", {"start": "This date does not exist."}),
        ("2026-01-01", "9999-12-31", {"end": "The year must be between 1900 and 2100."}),
        ("2026-03-01", "2026-02-01", {"end": "The end date must not be before the start date."}),
        ("1900-01-01", "2100-12-31", {"end": "The period may not be longer than 3660 days."}),
    ],
)
def test_bilan_explains_a_bad_period_next_to_its_field(
    staff_en: Client, start: str, end: str, errors: dict[str, str]
) -> None:
    for export in ("", "csv"):  # an export of a bad period is not made: the page says why
        response = staff_en.get(reverse("stats:helpline_bilan"), {"start": start, "end": end, "format": export})
        assert (response.status_code, response.context["errors"]) == (200, errors)
    field, message = next(iter(errors.items()))
    assert f'<ul class="errorlist" id="{field}-error" role="alert"><li>{message}</li></ul>' in response.content.decode()


def test_bilan_in_french_says_it_in_french(staff_client: Client) -> None:
    response = staff_client.get(reverse("stats:helpline_bilan"), {"start": "2026-02-30"})
    assert response.context["errors"] == {"start": _in("fr", "This date does not exist.")}


def test_research_export_of_a_bad_period_is_a_400(staff_en: Client) -> None:
    response = staff_en.get(reverse("stats:helpline_research_export"), {"start": "9999-12-31", "end": "9999-12-31"})
    assert (response.status_code, response.context["error"].message) == (400, "The year must be between 1900 and 2100.")


def test_a_huge_or_strange_line_is_a_404(staff_en: Client) -> None:
    for value in (HUGE, "-1", "1e3", "\u0661"):
        assert staff_en.get(reverse("stats:helpline_bilan"), {"line": value}).status_code == 404


@pytest.fixture
def worker_en(organisation: Organisation) -> User:
    return member(Role.WORKER, organisation, full_name="Awa Worker", language="en")


@pytest.fixture
def casework_schemes(db: None) -> object:
    from maillage.casework.schemes import ensure_casework_schemes

    return ensure_casework_schemes()


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "9999-12-31", "date_to": "2026-01-31"}, "date_from", "year"),
        ({"date_from": "0000-00-00"}, "date_from", "Enter a valid date."),
        ({"date_to": "2026-02-30"}, "date_to", "Enter a valid date."),
        ({"f_subsidy": HUGE}, "f_subsidy", "choice"),
        ({"f_theme1": "x" * 3000}, "f_theme1", "choice"),
        ({"theme_version": HUGE}, "theme_version", "Ensure this value is less than or equal to 2147483647."),
        ({"stage_version": "9"}, "stage_version", "There is no version 9 of Stage of the request."),
        ({"f_mode": ["in_person", HUGE]}, "f_mode", "choice"),
    ],
)
def test_crosstab_explains_bad_parameters_next_to_the_field(
    casework_schemes: object, worker_en: User, params: dict[str, object], field: str, message: str
) -> None:
    query = {"run": "1", "measure": "requests", "rows": "theme1", **params}
    for export in ("", "csv"):
        response = client_for(worker_en).get(reverse("stats:casework_crosstab"), {**query, "export": export})
        assert (response.status_code, list(response.context["form"].errors)) == (200, [field])
    expected = {
        "year": "The year must be between 1900 and 2100.",
        "choice": response.context["form"].errors[field][0] if message == "choice" else "",
    }.get(message, message)
    assert response.context["form"].errors[field] == [expected]
    if message == "choice":
        assert expected.startswith("Select a valid choice.")


def test_crosstab_with_a_100000_character_value_is_a_400(casework_schemes: object, worker_en: User) -> None:
    query = {"run": "1", "measure": "requests", "rows": "theme1", "f_theme1": "x" * 100_000}
    assert client_for(worker_en).get(reverse("stats:casework_crosstab"), query).status_code == 400


def test_crosstab_report_of_a_huge_or_strange_id_is_a_404(casework_schemes: object, worker_en: User) -> None:
    client = client_for(worker_en)
    for value in (HUGE, "abc", "-3"):
        assert client.get(reverse("stats:casework_crosstab"), {"report": value}).status_code == 404


def test_sector_extraction_refuses_a_huge_subsidy(casework_schemes: object, federation_staff: User) -> None:
    response = client_for(federation_staff).get(
        reverse("stats:casework_sector"), {"run": "1", "measure": "followups", "rows": "centre", "subsidy": HUGE}
    )
    assert (response.status_code, list(response.context["form"].errors)) == (200, ["subsidy"])


def test_a_saved_report_name_is_bounded_and_without_control_characters(
    casework_schemes: object, worker_en: User
) -> None:
    client = client_for(worker_en)
    url = reverse("stats:casework_report_save")
    response = client.post(url, {"measure": "followups", "rows": "mode", "name": "x" * 100_000}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The report could not be saved: give it a name and valid settings."
    ]
    for name in ("Rapport\x00nul", "Rapport\x1b[31m"):
        assert client.post(url, {"measure": "followups", "rows": "mode", "name": name}).status_code == 400
    assert SavedReport.objects.count() == 0


def test_the_report_name_field_itself_refuses_control_characters() -> None:
    from django.utils.translation import override

    from maillage.stats.crosstab_forms import SaveReportForm

    # The language named: the active one is whatever the worker's previous test left (French by default).
    with override("en"):
        form = SaveReportForm({"name": "Rapport\x1b[31m"})
        assert (form.is_valid(), form.errors["name"]) == (False, ["The text contains characters that are not allowed."])
