"""The map: the same filters as the search, a JSON data endpoint (no person on the public one),
Leaflet and our script from our own static files, the tile server from the settings."""

from __future__ import annotations

import re
from datetime import time

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse

from maillage.core.models import AuditEntry, Role
from maillage.directory.models import Worker
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db
MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.fixture
def two_services(themes):  # type: ignore[no-untyped-def]
    open_one = make_service(name_fr="Colis ouvert", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"],
                            hours=[("MO", time(9), time(17))])  # fmt: skip
    closed = make_service(name_fr="Colis du samedi", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"],
                          hours=[("SA", time(9), time(12))])  # fmt: skip
    make_service(name_fr="Logement", needs=[themes["HOUSING"]], postal_code="1000")
    Worker.objects.create(service=open_one, full_name="Karim Visible", function_fr="Assistant social", consent=True)
    return open_one, closed


@time_machine.travel(MONDAY_10, tick=False)
def test_public_data_has_the_search_results_and_no_person(client: Client, themes, two_services) -> None:  # type: ignore[no-untyped-def]
    open_one, closed = two_services
    data = client.get(reverse("directory:map_data"), {"need": themes["FOOD"].pk, "postal_code": "1070"}).json()
    assert data["count"] == 2
    assert [(s["id"], s["name"], s["open"]) for s in data["services"]] == [
        (open_one.pk, "Colis ouvert", True),
        (closed.pk, "Colis du samedi", False),
    ]
    assert set(data["services"][0]) == {"id", "name", "url", "address", "lat", "lon", "open"}
    assert "Karim" not in str(data)
    only_open = client.get(
        reverse("directory:map_data"), {"need": themes["FOOD"].pk, "postal_code": "1070", "open_now": "on"}
    ).json()
    assert [s["name"] for s in only_open["services"]] == ["Colis ouvert"]
    assert client.get(reverse("directory:map_data"), {"postal_code": "99999"}).json() == {"count": 0, "services": []}


@time_machine.travel(MONDAY_10, tick=False)
def test_professional_data_adds_workers_and_is_audited(themes, two_services) -> None:  # type: ignore[no-untyped-def]
    user = member(Role.WORKER)
    data = client_for(user).get(reverse("directory:map_pro_data"), {"need": themes["FOOD"].pk}).json()
    workers = {s["name"]: [w["name"] for w in s["workers"]] for s in data["services"]}
    assert workers == {"Colis ouvert": ["Karim Visible"], "Colis du samedi": []}
    assert AuditEntry.objects.filter(code="directory.worker.read", actor=user).count() == 1
    assert Client().get(reverse("directory:map_pro_data")).status_code == 302


@override_settings(MAILLAGE_MAP_TILES_URL="https://tiles.example.org/{z}/{x}/{y}.png")
def test_map_page_references_only_our_static_files(client: Client, themes, two_services) -> None:  # type: ignore[no-untyped-def]
    html = client.get(reverse("directory:map"), {"need": themes["FOOD"].pk}).content.decode()
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', html)
    styles = re.findall(r'<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"', html)
    assert all(src.startswith("/static/") for src in scripts + styles), scripts + styles
    assert "/static/leaflet/leaflet.js" in scripts
    assert "/static/directory/map.js" in scripts
    assert f'data-url="/directory/map/data.json?need={themes["FOOD"].pk}"' in html
    assert 'data-tiles="https://tiles.example.org/{z}/{x}/{y}.png"' in html
    assert "<script>" not in html
    # The list stays on the page, without JavaScript.
    assert re.findall(r'<ol class="directory-map-list">(.*?)</ol>', html, re.S)[0].count("<li>") == 2


def test_default_tiles_are_openstreetmap_and_allowed_by_the_csp(client: Client) -> None:
    from django.conf import settings

    assert settings.MAILLAGE_MAP_TILES_URL == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert "https://tile.openstreetmap.org" in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"]
    assert client.get("/static/leaflet/leaflet.js").status_code == 200
