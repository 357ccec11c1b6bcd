from __future__ import annotations

from datetime import date, time

import pytest
from django.urls import reverse

from maillage.core.models import AuditEntry, Organisation, User
from maillage.directory.models import (
    ChangeKind,
    CrisisStatus,
    DirectoryOrganisation,
    Schedule,
    ScheduleException,
    Service,
    ServiceChange,
    Worker,
)
from tests.conftest import assert_outsider_gets_404, client_for
from tests.directory.factories import DirectoryOrganisationFactory, make_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def service(organisation: Organisation, themes) -> Service:  # type: ignore[no-untyped-def]
    entry = DirectoryOrganisationFactory(organisation=organisation)
    return make_service(organisation=entry, name_fr="Permanence sociale", needs=[themes["INCOME"]])


def _urls(service: Service) -> list[str]:
    return [
        reverse("directory:service_edit", args=[service.pk]),
        reverse("directory:hours", args=[service.pk]),
        reverse("directory:closure_add", args=[service.pk]),
        reverse("directory:status", args=[service.pk]),
        reverse("directory:worker_new", args=[service.pk]),
        reverse("directory:history", args=[service.pk]),
    ]


def test_outsider_gets_404_on_every_editing_page(outsider_client, service: Service) -> None:  # type: ignore[no-untyped-def]
    assert_outsider_gets_404(outsider_client, *_urls(service))
    assert_outsider_gets_404(outsider_client, *_urls(service), method="post")
    assert_outsider_gets_404(outsider_client, reverse("directory:verify", args=[service.pk]), method="post")


def test_worker_of_the_organisation_cannot_edit(worker: User, service: Service) -> None:
    assert_outsider_gets_404(client_for(worker), *_urls(service))


def test_coordinator_edits_their_service_and_it_is_audited(coordinator: User, service: Service, themes) -> None:  # type: ignore[no-untyped-def]
    client = client_for(coordinator)
    response = client.post(
        reverse("directory:service_edit", args=[service.pk]),
        {
            "name_fr": "Permanence sociale du soir",
            "name_nl": "Avondpermanentie",
            "status": "published",
            "is_free": "on",
            "needs": [themes["INCOME.DEBT"].pk],
            "languages": ["fr", "nl"],
            "modality_choices": ["walk_in", "phone"],
            "extra_postal_codes": "1500",
        },
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name_fr, service.languages, service.modalities, service.extra_postal_codes) == (
        "Permanence sociale du soir",
        ["fr", "nl"],
        "walk_in phone",
        "1500",
    )
    assert list(service.needs.all()) == [themes["INCOME.DEBT"]]
    entry = AuditEntry.objects.get(code="directory.service.updated")
    assert entry.data == {"fields": ["name_fr", "name_nl", "modalities", "extra_postal_codes"]}
    assert (entry.actor, entry.organisation, entry.target_id) == (
        coordinator,
        service.organisation.organisation,
        str(service.pk),
    )
    history = client.get(reverse("directory:history", args=[service.pk]))
    assert [e.code for e in history.context["entries"]] == ["directory.service.updated"]


def test_service_form_refuses_unknown_postal_code(coordinator: User, service: Service) -> None:
    response = client_for(coordinator).post(
        reverse("directory:service_edit", args=[service.pk]),
        {"name_fr": "X", "status": "published", "extra_postal_codes": "1299 abcd"},
    )
    assert response.context["form"].errors == {
        "extra_postal_codes": [
            "1299 n'est pas un code postal de la Région de Bruxelles-Capitale.",
            "Un code postal belge a quatre chiffres, par exemple 1070.",
        ]
    }


def test_federation_staff_creates_a_service_for_any_organisation(federation_staff: User) -> None:
    target = DirectoryOrganisationFactory()
    client = client_for(federation_staff)
    response = client.post(
        reverse("directory:service_new"), {"name_fr": "Nouveau", "status": "draft", "organisation": target.pk}
    )
    created = Service.objects.get(name_fr="Nouveau")
    assert response.url == reverse("directory:service", args=[created.pk])
    assert created.organisation == target
    assert ServiceChange.objects.get(service=created).kind == ChangeKind.CREATED


def test_creation_needs_an_organisation_to_coordinate(worker: User) -> None:
    assert client_for(worker).get(reverse("directory:service_new")).status_code == 404


def test_schedule_form_errors(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:hours", args=[service.pk])
    response = client.post(url, {"opens_at": "17:00", "closes_at": "09:00", "days": ["MO"]})
    assert response.context["form"].errors == {"closes_at": ["L'heure de fermeture doit suivre l'heure d'ouverture."]}
    response = client.post(url, {"opens_at": "09:00", "closes_at": "12:00", "rule": "FREQ=WEEKLY;BYDAY=XX"})
    assert response.context["form"].errors == {"rule": ["Cette récurrence n'est pas valide (FREQ=WEEKLY;BYDAY=XX)."]}
    response = client.post(url, {"opens_at": "09:00", "closes_at": "12:00"})
    assert response.context["form"].errors == {"days": ["Choisissez au moins un jour, ou donnez une récurrence."]}
    assert Schedule.objects.count() == 0


def test_schedule_add_by_days_and_by_rule_then_delete(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:hours", args=[service.pk])
    client.post(url, {"opens_at": "09:00", "closes_at": "12:00", "days": ["MO", "TU"]})
    client.post(url, {"opens_at": "18:00", "closes_at": "20:00", "rule": "RRULE:FREQ=MONTHLY;BYDAY=1WE"})
    assert [s.rrule_text for s in Schedule.objects.order_by("id")] == [
        "FREQ=WEEKLY;BYDAY=MO,TU",
        "FREQ=MONTHLY;BYDAY=1WE",
    ]
    first = Schedule.objects.order_by("id").first()
    client.post(reverse("directory:schedule_delete", args=[service.pk, first.pk]))  # type: ignore[union-attr]
    assert Schedule.objects.count() == 1
    assert list(
        AuditEntry.objects.filter(code__startswith="directory.").order_by("id").values_list("code", flat=True)
    ) == [
        "directory.schedule.created",
        "directory.schedule.created",
        "directory.schedule.deleted",
    ]


def test_closure_form(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:closure_add", args=[service.pk])
    response = client.post(
        url, {"closure-start_date": "2026-12-24", "closure-end_date": "2026-12-20", "closure-closed": "on"}
    )
    assert response.context["closure_form"].errors == {
        "end_date": ["Le dernier jour doit suivre ou égaler le premier."]
    }
    response = client.post(url, {"closure-start_date": "2026-12-24", "closure-end_date": "2026-12-24"})
    assert response.context["closure_form"].errors == {
        "opens_at": ["Donnez les heures d'ouverture exceptionnelles, ou cochez fermé toute la journée."]
    }
    client.post(
        url,
        {
            "closure-start_date": "2026-12-24",
            "closure-end_date": "2026-12-26",
            "closure-closed": "on",
            "closure-reason": "Noël",
        },
    )
    assert list(ScheduleException.objects.values_list("start_date", "end_date", "closed")) == [
        (date(2026, 12, 24), date(2026, 12, 26), True)
    ]


def test_status_change_and_still_accurate(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    client.post(
        reverse("directory:status", args=[service.pk]), {"status": "closed", "note": "Travaux", "until": "2026-12-31"}
    )
    service.refresh_from_db()
    assert (service.crisis_status, service.crisis_note, service.crisis_until, service.verified_by) == (
        CrisisStatus.CLOSED,
        "Travaux",
        date(2026, 12, 31),
        coordinator,
    )
    client.post(reverse("directory:verify", args=[service.pk]))
    assert (
        list(ServiceChange.objects.filter(service=service).values_list("kind", flat=True))
        == [
            ChangeKind.VERIFIED,
            ChangeKind.STATUS,
            ChangeKind.CREATED,
        ][:2]
    )
    detail = client.get(reverse("directory:service", args=[service.pk]))
    assert (detail.context["stale"], detail.context["can_verify"]) == (False, True)


def test_worker_add_with_bad_phone_and_email(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:worker_new", args=[service.pk])
    response = client.post(url, {"full_name": "Léa", "function_fr": "AS", "phone": "12", "email": "nope"})
    assert response.context["form"].errors == {
        "email": ["Saisissez une adresse de courriel valide."],
        "phone": ["Saisissez un numéro de téléphone belge, par ex. 02 512 34 56 ou +32 470 12 34 56."],
    }
    client.post(
        url, {"full_name": "Léa", "function_fr": "AS", "phone": "02 512 34 56", "consent": "on", "is_active": "on"}
    )
    worker = Worker.objects.get()
    assert (worker.phone, worker.consent, worker.consent_at is not None) == ("02 512 34 56", True, True)
    client.post(
        reverse("directory:worker_edit", args=[service.pk, worker.pk]),
        {"full_name": "Léa", "function_fr": "AS", "phone": "", "is_active": "on"},
    )
    worker.refresh_from_db()
    assert (worker.consent, worker.consent_at) == (False, None)


def test_coordinator_cannot_edit_another_organisations_service(coordinator: User) -> None:
    other = make_service(organisation=DirectoryOrganisation.objects.create(name_fr="Ailleurs"))
    assert_outsider_gets_404(client_for(coordinator), *_urls(other))


def test_changes_page_and_feed_filtered_by_commune(client, themes, service: Service) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune

    anderlecht = Commune.objects.get(postal_codes__code="1070")
    elsewhere = make_service(name_fr="Ailleurs", serves=["1030"])
    service.area_communes.set([anderlecht])
    ServiceChange.objects.create(
        service=service, kind=ChangeKind.STATUS, summary="Fermé", created_at=service.created_at
    )
    ServiceChange.objects.create(
        service=elsewhere, kind=ChangeKind.STATUS, summary="Ouvert", created_at=service.created_at
    )
    response = client.get(reverse("directory:changes"), {"commune": anderlecht.pk})
    assert [c.service for c in response.context["changes"]] == [service]
    assert response.context["feed_url"] == f"/directory/changes/feed/?commune={anderlecht.pk}"
    feed = client.get(response.context["feed_url"])
    assert feed["Content-Type"] == "application/atom+xml; charset=utf-8"
    body = feed.content.decode()
    assert body.count("<entry>") == 1
    assert "Permanence sociale" in body
    by_need = client.get(reverse("directory:changes"), {"need": themes["INCOME.DEBT"].pk})
    assert [c.service for c in by_need.context["changes"]] == [service]


def test_history_lists_worker_changes_too(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    client.post(
        reverse("directory:worker_new", args=[service.pk]), {"full_name": "Léa", "function_fr": "AS", "is_active": "on"}
    )
    response = client.get(reverse("directory:history", args=[service.pk]))
    assert [e.code for e in response.context["entries"]] == ["directory.worker.created"]
    assert time(0) == time(0)


def test_home_panel_lists_stale_services_for_coordinators(coordinator: User, worker: User, service: Service) -> None:
    response = client_for(coordinator).get(reverse("core:home"))
    assert response.status_code == 200
    assert "Permanence sociale" in response.content.decode()
    from django.test import RequestFactory

    from maillage.directory.home import panels

    request = RequestFactory().get("/")
    request.user = worker
    assert panels(request, {"worker"}) == []


def test_contacts_add_and_remove_address_and_phone(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:contacts", args=[service.pk])
    bad = client.post(url, {"location-address": "Rue Wayez 1", "location-postal_code": "1299"})
    assert bad.context["location_form"].errors == {
        "postal_code": ["1299 n'est pas un code postal de la Région de Bruxelles-Capitale."]
    }
    client.post(url, {"location-address": "Rue Wayez 1", "location-postal_code": "1070"})
    link = service.service_at_locations.select_related("location__commune").get()
    assert (link.location.address, link.location.city, link.location.commune.name_fr) == (  # type: ignore[union-attr]
        "Rue Wayez 1",
        "Anderlecht",
        "Anderlecht",
    )
    bad_phone = client.post(url, {"phone-number": "123"})
    assert bad_phone.context["phone_form"].errors == {
        "number": ["Saisissez un numéro de téléphone belge, par ex. 02 512 34 56 ou +32 470 12 34 56."]
    }
    client.post(url, {"phone-number": "+32 470 12 34 56", "phone-description": "Accueil"})
    phone = service.phones.get()
    assert (phone.number, phone.description) == ("+32 470 12 34 56", "Accueil")
    page = client.get(url)
    assert [p.number for p in page.context["phones"]] == ["+32 470 12 34 56"]
    client.post(url, {"remove_phone": phone.pk})
    client.post(url, {"remove_location": link.pk})
    assert (service.phones.count(), service.service_at_locations.count()) == (0, 0)
    assert list(
        AuditEntry.objects.filter(code__startswith="directory.").order_by("id").values_list("code", flat=True)
    ) == ["directory.location.added", "directory.phone.added", "directory.phone.removed", "directory.location.removed"]


def test_outsider_gets_404_on_contacts(outsider_client, service: Service) -> None:  # type: ignore[no-untyped-def]
    url = reverse("directory:contacts", args=[service.pk])
    assert_outsider_gets_404(outsider_client, url)
    assert_outsider_gets_404(outsider_client, url, method="post")


def test_stale_after_configurable_days(settings, service: Service) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from django.utils import timezone

    from maillage.directory.queries import is_stale

    now = timezone.now()
    service.verified_at = now - timedelta(days=5)
    assert is_stale(service, now) is False
    settings.MAILLAGE_DIRECTORY_STALE_DAYS = 3
    assert is_stale(service, now) is True
    service.verified_at = None
    assert is_stale(service, now) is True


def test_editor_sees_unlisted_workers_on_the_detail_page(coordinator: User, worker: User, service: Service) -> None:
    Worker.objects.create(service=service, full_name="Non Listé", function_fr="AS", consent=False)
    Worker.objects.create(service=service, full_name="Listé", function_fr="AS", consent=True)
    url = reverse("directory:service", args=[service.pk])
    assert [w.full_name for w in client_for(coordinator).get(url).context["workers"]] == ["Listé", "Non Listé"]
    assert [w.full_name for w in client_for(worker).get(url).context["workers"]] == ["Listé"]


def test_garbage_ids_in_posts_give_404(coordinator: User, service: Service) -> None:
    client = client_for(coordinator)
    url = reverse("directory:contacts", args=[service.pk])
    assert client.post(url, {"remove_phone": "abc"}).status_code == 404
    assert client.post(url, {"remove_location": "999"}).status_code == 404
