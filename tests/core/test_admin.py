from __future__ import annotations

from maillage.core.models import Organisation, User
from tests.conftest import client_for


def test_federation_staff_manage_organisations_in_the_admin(federation_staff: User, organisation: Organisation) -> None:
    client = client_for(federation_staff)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/core/organisation/").status_code == 200
    response = client.post(
        f"/admin/core/organisation/{organisation.pk}/change/",
        {
            "name_fr": "Centre renommé",
            "name_nl": "Hernoemd centrum",
            "short_name": organisation.short_name,
            "sector": "casg",
            "region": "brussels",
            "street": "",
            "postal_code": "1060",
            "commune": "",
            "languages": '["fr"]',
            "is_member": "on",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name_fr == "Centre renommé"


def test_federation_staff_only_look_at_users_and_the_audit_log(federation_staff: User, worker: User) -> None:
    client = client_for(federation_staff)
    assert client.get(f"/admin/core/user/{worker.pk}/change/").status_code == 200
    assert client.post(f"/admin/core/user/{worker.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/core/auditentry/add/").status_code == 403
    assert User.objects.filter(pk=worker.pk).exists()


def test_workers_and_coordinators_are_kept_out_of_the_admin(worker: User, coordinator: User) -> None:
    for person in (worker, coordinator):
        response = client_for(person).get("/admin/")
        assert response.status_code == 302
        assert response["Location"] == "/admin/login/?next=/admin/"
