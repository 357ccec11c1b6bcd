from __future__ import annotations

import datetime
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from maillage.casework import services
from maillage.casework.models import CaseFile, CaseworkSettings, FollowUp, Person
from maillage.core.models import AuditEntry, Role
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory
from tests.conftest import assert_outsider_gets_404, client_for
from tests.factories import member

CODED = {
    "birth_year": 1990,
    "sex": "f",
    "postal_code": "1060",
    "household": "single_parent",
    "children": 2,
    "income_source": "integration",
    "nationality_group": "non_eu",
    "language": "ar",
    "age_band": "unknown",
}


def test_person_is_pseudonymised_unless_the_centre_opts_in(organisation, worker, casework_schemes):
    client = client_for(worker)
    response = client.post(reverse("casework:person_create"), {**CODED, "last_name": "Secret"})
    case_file = CaseFile.objects.get()
    assert response["Location"] == reverse("casework:followup_create", args=[case_file.pk])
    person = case_file.person
    assert (person.reference, person.last_name, person.age_band, person.commune.nis_code) == (
        "P-000001",
        "",
        "35-44",
        "21013",
    )
    assert list(case_file.workers.all()) == [worker]


def test_identity_visible_to_worker_in_charge_and_coordinator_only(organisation, worker, coordinator, casework_schemes):
    CaseworkSettings.objects.create(organisation=organisation, store_identities=True)
    case_file = services.create_person(worker, organisation, {**CODED, "first_name": "Leila", "last_name": "Haddad"})
    colleague = member(Role.WORKER, organisation)
    url = reverse("casework:case_file", args=[case_file.pk])
    assert "Leila Haddad" in client_for(worker).get(url).content.decode()
    assert "Leila Haddad" in client_for(coordinator).get(url).content.decode()
    page = client_for(colleague).get(url)
    assert page.status_code == 200
    assert "Leila Haddad" not in page.content.decode()
    assert client_for(colleague).get(reverse("casework:person_export", args=[case_file.pk])).status_code == 404


def test_duplicate_warning_then_create_anyway(organisation, worker, casework_schemes):
    PersonFactory(organisation=organisation, birth_year=1990, sex="f", postal_code="1060", reference="P-000001")
    client = client_for(worker)
    response = client.post(reverse("casework:person_create"), CODED)
    assert response.status_code == 200
    assert [p.reference for p in response.context["duplicates"]] == ["P-000001"]
    assert response.context["form"].non_field_errors() == [
        "A similar person already exists in your centre. Open their case file, or tick the box to create a new person."
    ]
    assert client.post(reverse("casework:person_create"), {**CODED, "confirm_new": "on"}).status_code == 302
    assert Person.objects.count() == 2


def test_bad_birth_year_and_postal_code_are_reported_at_their_field(organisation, worker, casework_schemes):
    future = timezone.localdate().year + 1
    response = client_for(worker).post(
        reverse("casework:person_create"), {**CODED, "birth_year": future, "postal_code": "1299"}
    )
    errors = response.context["form"].errors
    assert errors["birth_year"] == [f"The year of birth {future} is in the future."]
    assert Person.objects.count() == 0
    response = client_for(worker).post(reverse("casework:person_create"), {**CODED, "postal_code": "1299"})
    assert response.context["form"].errors["postal_code"] == [
        "1299 is not a postal code of the Brussels-Capital Region."
    ]


def test_bad_birth_year_in_french(organisation, casework_schemes):
    french = member(Role.WORKER, organisation, language="fr")
    response = client_for(french).post(reverse("casework:person_create"), {**CODED, "birth_year": 3000})
    assert response.context["form"].errors["birth_year"] == ["L'année de naissance 3000 est dans le futur."]


def test_note_is_visible_to_author_and_coordinator_only(case_file, worker, coordinator, organisation):
    FollowUpFactory(case_file=case_file, worker=worker, note="Confidentiel: dettes de jeu")
    colleague = member(Role.WORKER, organisation)
    url = reverse("casework:case_file", args=[case_file.pk])
    assert "Confidentiel" in client_for(worker).get(url).content.decode()
    assert "Confidentiel" in client_for(coordinator).get(url).content.decode()
    assert "Confidentiel" not in client_for(colleague).get(url).content.decode()


def test_export_erase_and_audit(case_file, worker, coordinator, outsider_client):
    RequestFactory(follow_up=FollowUpFactory(case_file=case_file, worker=worker, note="n"))
    response = client_for(worker).get(reverse("casework:person_export", args=[case_file.pk]))
    data = json.loads(response.content)
    assert response["Content-Disposition"] == 'attachment; filename="P-000001.json"'
    assert data["person"]["reference"] == "P-000001"
    assert data["case_files"][0]["follow_ups"][0]["requests"] == [
        {"theme": "request-themes:FOOD.PARCEL", "institution": None, "stage": None, "open": True}
    ]
    erase_url = reverse("casework:person_erase", args=[case_file.pk])
    assert_outsider_gets_404(outsider_client, erase_url)
    assert client_for(worker).get(erase_url).status_code == 404
    assert client_for(coordinator).get(erase_url).status_code == 200
    assert client_for(coordinator).post(erase_url).status_code == 302
    person = Person.objects.get()
    assert (person.birth_year, person.age_band, person.erased_at is not None) == (None, "35-44", True)
    assert FollowUp.objects.get().note == ""
    assert FollowUp.objects.get().requests.count() == 1
    assert list(
        AuditEntry.objects.filter(code__startswith="casework.person.").values_list("code", flat=True).order_by("id")
    ) == ["casework.person.read", "casework.person.read", "casework.person.erased"]


def test_retention_erases_files_closed_long_ago(organisation, casework_schemes):
    old = CaseFileFactory(
        person=PersonFactory(organisation=organisation, reference="P-1"), closed_on=datetime.date(2018, 1, 1)
    )
    recent = CaseFileFactory(
        person=PersonFactory(organisation=organisation, reference="P-2"), closed_on=datetime.date(2024, 1, 1)
    )
    still_open = CaseFileFactory(person=old.person)
    call_command("casework_retention", "--years", "5")
    assert Person.objects.get(pk=old.person_id).erased_at is None  # another file is still open
    still_open.delete()
    assert services.erase_expired(5, datetime.date(2025, 6, 1)) == 1
    assert (
        Person.objects.get(pk=old.person_id).erased_at is not None,
        Person.objects.get(pk=recent.person_id).erased_at,
    ) == (True, None)


def test_close_and_reopen_case_file(case_file, worker):
    client = client_for(worker)
    url = reverse("casework:case_file_close", args=[case_file.pk])
    client.post(url, {"closed_on": "2023-01-01", "reason": "resolved", "confirmed": "1"})
    case_file.refresh_from_db()
    assert case_file.closed_on is None
    client.post(url, {"closed_on": "2024-02-01", "reason": "resolved", "confirmed": "1"})
    case_file.refresh_from_db()
    assert (case_file.closed_on, case_file.closing_reason) == (datetime.date(2024, 2, 1), "resolved")
    client.post(reverse("casework:case_file_reopen", args=[case_file.pk]))
    case_file.refresh_from_db()
    assert case_file.closed_on is None


@pytest.mark.parametrize("count", [1, 6])
def test_case_file_list_queries_do_not_grow(
    organisation, worker, casework_schemes, django_assert_max_num_queries, count
):
    for index in range(count):
        CaseFileFactory(person=PersonFactory(organisation=organisation, reference=f"P-{index}"), workers=[worker])
    client = client_for(worker)
    with django_assert_max_num_queries(13):
        response = client.get(reverse("casework:case_files"))
    assert len(response.context["files"]) == count


def test_settings_page_for_coordinator_only(organisation, worker, coordinator, outsider_client):
    url = reverse("casework:settings", args=[organisation.pk])
    assert_outsider_gets_404(outsider_client, url)
    assert client_for(worker).get(url).status_code == 404
    client_for(coordinator).post(url, {"store_identities": "on", "store": "1"})
    assert CaseworkSettings.objects.get(organisation=organisation).store_identities is True


def test_edit_person(case_file, worker):
    response = client_for(worker).post(reverse("casework:person_edit", args=[case_file.pk]), {**CODED, "sex": "m"})
    assert response.status_code == 302
    assert Person.objects.get().sex == "m"


def test_closing_a_case_file_asks_for_confirmation_first(case_file, worker):
    """Regression: one click on "Close the case file" closed it; now a confirmation page comes first."""
    url = reverse("casework:case_file_close", args=[case_file.pk])
    page = client_for(worker).post(url, {"closed_on": "2024-02-01", "reason": "moved"})
    case_file.refresh_from_db()
    assert (page.status_code, page.templates[0].name, case_file.closed_on) == (
        200,
        "casework/case_file_close.html",
        None,
    )
    html = page.content.decode()
    assert '<input type="hidden" name="closed_on" value="2024-02-01">' in html
    assert '<input type="hidden" name="reason" value="moved">' in html
    assert '<input type="hidden" name="confirmed" value="1">' in html
    client_for(worker).post(url, {"closed_on": "2024-02-01", "reason": "moved", "confirmed": "1"})
    case_file.refresh_from_db()
    assert (case_file.closed_on, case_file.closing_reason) == (datetime.date(2024, 2, 1), "moved")
