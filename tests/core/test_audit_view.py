from __future__ import annotations

from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.audit import log_action
from maillage.core.models import AuditEntry, Organisation, User
from tests.conftest import client_for

URL = "/audit/"


def test_coordinator_reads_only_their_organisations_log(
    coordinator: User, worker: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    log_action(worker, "casework.casefile.viewed", organisation)
    log_action(worker, "helpline.call.created", other_organisation)
    response = client_for(coordinator).get(URL)
    assert response.status_code == 200
    assert [entry.code for entry in response.context["page"].object_list] == ["casework.casefile.viewed"]


def test_federation_staff_read_everything(
    federation_staff: User, worker: User, organisation: Organisation, other_organisation: Organisation
) -> None:
    log_action(worker, "casework.casefile.viewed", organisation)
    log_action(worker, "helpline.call.created", other_organisation)
    response = client_for(federation_staff).get(URL)
    assert sorted(entry.code for entry in response.context["page"].object_list) == [
        "casework.casefile.viewed",
        "helpline.call.created",
    ]


def test_filters_by_person_action_object_and_period(
    coordinator: User, worker: User, organisation: Organisation
) -> None:
    log_action(worker, "casework.casefile.viewed", organisation)
    log_action(coordinator, "casework.casefile.exported", organisation)
    log_action(worker, "casework.casefile.viewed", organisation)
    # The log cannot be edited, so an old entry is created with its time in the past.
    AuditEntry.objects.create(
        actor=worker, organisation=organisation, code="core.old.thing", created_at=timezone.now() - timedelta(days=40)
    )
    client = client_for(coordinator)
    by_person = client.get(URL, {"actor": worker.pk})
    assert [e.code for e in by_person.context["page"].object_list] == [
        "casework.casefile.viewed",
        "casework.casefile.viewed",
        "core.old.thing",
    ]
    by_code = client.get(URL, {"code": "casework.casefile.exp"})
    assert [e.actor for e in by_code.context["page"].object_list] == [coordinator]
    by_object = client.get(URL, {"target": str(organisation.pk)})
    assert len(by_object.context["page"].object_list) == 3
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    by_period = client.get(URL, {"date_from": since, "date_to": timezone.localdate().isoformat()})
    assert "core.old.thing" not in [e.code for e in by_period.context["page"].object_list]
    assert len(by_period.context["page"].object_list) == 3


def test_a_period_ending_before_it_starts_is_refused(coordinator: User) -> None:
    coordinator.language = "en"
    coordinator.save(update_fields=["language"])
    response = client_for(coordinator).get(URL, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert response.context["form"].errors == {"date_to": ["The end of the period comes before its start."]}


def test_workers_and_anonymous_cannot_read_the_log(worker: User) -> None:
    assert client_for(worker).get(URL).status_code == 404
    assert Client().get(URL).status_code == 302


def test_url_name_is_stable() -> None:
    assert reverse("core:audit_log") == URL
