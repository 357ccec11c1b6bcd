"""One canonical URL per search state: redirects, pushed URL for htmx, removable filters."""

from __future__ import annotations

from datetime import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.directory.factories import make_service

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
MONDAY_10 = "2026-11-23 09:00:00+00:00"


def test_piled_up_parameters_redirect_to_the_canonical_url(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    food, housing = themes["FOOD"].pk, themes["HOUSING"].pk
    # An old search's parameters followed by a new one's: the last value of each wins, empty ones go.
    response = client.get(
        f"/directory/?need={food}&postal_code=1070&open_now=on&need={housing}&postal_code=1000&q=&language="
    )
    assert response.status_code == 302
    assert response["Location"] == f"/directory/?need={housing}&postal_code=1000&open_now=on"
    # The canonical URL itself is answered.
    assert client.get(response["Location"]).status_code == 200


def test_native_form_submission_drops_empty_parameters(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/directory/?need=&postal_code=1070&q=&language=&modality=&at=")
    assert response["Location"] == "/directory/?postal_code=1070"
    assert client.get("/directory/?need=&postal_code=&q=")["Location"] == "/directory/"


def test_professional_page_canonical_too(themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Role
    from tests.conftest import client_for
    from tests.factories import member

    client = client_for(member(Role.WORKER))
    assert client.get("/directory/pro/?postal_code=1070&postal_code=1000")["Location"] == (
        "/directory/pro/?postal_code=1000"
    )


@time_machine.travel(MONDAY_10, tick=False)
def test_htmx_gets_the_canonical_url_pushed_and_removal_links(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    make_service(name_fr="Colis", needs=[themes["FOOD"]], postal_code="1070", hours=[("SA", time(9), time(12))])
    food = themes["FOOD"].pk
    response = client.get(
        reverse("directory:search"),
        {"postal_code": "1070", "need": food, "open_now": "on", "q": ""},
        headers=HTMX,
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/directory/?need={food}&postal_code=1070&open_now=on"
    html = response.content.decode()
    assert "0 service trouvé" in html
    filters = response.context["filters"]
    assert [(f.name, f.remove_url) for f in filters] == [
        ("need", "/directory/?postal_code=1070&open_now=on"),
        ("postal_code", f"/directory/?need={food}&open_now=on"),
        ("open_now", f"/directory/?need={food}&postal_code=1070"),
    ]
    assert [f.value for f in filters] == [themes["FOOD"].label, "1070", "oui"]
    # The empty result's advice is a link that drops "open now".
    assert f'href="/directory/?need={food}&amp;postal_code=1070" class="directory-without-open-now"' in html
    after = client.get(f"/directory/?need={food}&postal_code=1070")
    assert [r.service.name_fr for r in after.context["results"]] == ["Colis"]


def test_form_shows_the_current_state(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    food = themes["FOOD"].pk
    html = client.get(f"/directory/?need={food}&postal_code=1070&free=on").content.decode()
    assert f'<option value="{food}" selected>' in html
    assert 'name="postal_code" value="1070"' in html
    assert 'name="free" id="id_free" checked' in html
    assert 'name="open_now" id="id_open_now"' in html
    assert 'name="open_now" id="id_open_now" checked' not in html
    assert 'action="/directory/"' in html
    assert 'hx-get="/directory/"' in html
