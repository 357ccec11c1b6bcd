"""Networks are kept by federation staff in the admin; quartiers are only looked at there."""

import pytest

from maillage.core.models import Role
from tests.conftest import client_for
from tests.factories import member

pytestmark = pytest.mark.django_db


def test_admin(request_themes):
    from maillage.directory.models import Network

    c = client_for(member(Role.FEDERATION_STAFF))
    assert c.get("/admin/directory/network/").status_code == 200
    assert c.get("/admin/directory/network/add/").status_code == 200
    assert c.get("/admin/directory/quartier/").status_code == 200
    r = c.post("/admin/directory/network/add/", {"name_fr": "CLSS", "kind": "contract", "description": ""})
    assert r.status_code == 302, r.content.decode()[:2000]
    assert Network.objects.get().name_fr == "CLSS"
    assert client_for(member(Role.WORKER)).get("/admin/directory/network/").status_code in (302, 403)
