from __future__ import annotations

from datetime import time

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from maillage.core.models import Role
from maillage.directory.models import ServiceStatus, Worker
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db

WEEKDAYS = "MO,TU,WE,TH,FR"
# Monday 23 November 2026, 10:00 in Brussels.
MONDAY_10 = "2026-11-23 09:00:00+00:00"


@pytest.fixture
def food_service(themes):  # type: ignore[no-untyped-def]
    service = make_service(
        name_fr="Colis du Midi",
        needs=[themes["FOOD.PARCEL"]],
        postal_code="1070",
        serves=["1070"],
        hours=[(WEEKDAYS, time(9), time(17))],
        phone="02 555 12 34",
    )
    Worker.objects.create(service=service, full_name="Karim Visible", function_fr="Assistant social", consent=True)
    Worker.objects.create(service=service, full_name="Nina Hidden", function_fr="Stagiaire", consent=False)
    return service


@time_machine.travel(MONDAY_10, tick=False)
def test_public_search_finds_open_food_service_without_workers(client: Client, themes, food_service) -> None:  # type: ignore[no-untyped-def]
    make_service(name_fr="Brouillon", needs=[themes["FOOD"]], status=ServiceStatus.DRAFT)
    response = client.get(
        reverse("directory:search"), {"need": themes["FOOD"].pk, "postal_code": "1070", "open_now": "on"}
    )
    assert response.status_code == 200
    assert [r.service.pk for r in response.context["results"]] == [food_service.pk]
    content = response.content.decode()
    assert "Colis du Midi" in content
    assert "02 555 12 34" in content
    assert "Karim Visible" not in content
    assert "Brouillon" not in content


def test_public_search_unknown_postal_code_error(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:search"), {"postal_code": "1299"})
    assert response.context["form"].errors == {
        "postal_code": ["1299 n'est pas un code postal de la Région de Bruxelles-Capitale."]
    }
    assert response.context["results"] is None


def test_public_search_htmx_returns_results_fragment(client: Client, themes, food_service) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:search"), {"postal_code": "1070"}, headers={"HX-Request": "true"})
    assert response.templates[0].name == "directory/_results.html"


def test_public_detail_hides_workers_and_drafts(client: Client, themes, food_service) -> None:  # type: ignore[no-untyped-def]
    draft = make_service(status=ServiceStatus.DRAFT)
    response = client.get(reverse("directory:service", args=[food_service.pk]))
    assert response.status_code == 200
    assert response.context["workers"] is None
    assert "Karim Visible" not in response.content.decode()
    assert client.get(reverse("directory:service", args=[draft.pk])).status_code == 404


def test_professional_detail_shows_consenting_workers_only(themes, food_service) -> None:  # type: ignore[no-untyped-def]
    client = client_for(member(Role.WORKER))
    response = client.get(reverse("directory:service", args=[food_service.pk]))
    assert [w.full_name for w in response.context["workers"]] == ["Karim Visible"]
    assert "Nina Hidden" not in response.content.decode()


@time_machine.travel(MONDAY_10, tick=False)
def test_professional_search_lists_workers(themes, food_service) -> None:  # type: ignore[no-untyped-def]
    client = client_for(member(Role.WORKER))
    response = client.get(reverse("directory:pro"), {"postal_code": "1070"})
    assert [(r.service.pk, [w.full_name for w in ws]) for r, ws in response.context["rows"]] == [
        (food_service.pk, ["Karim Visible"])
    ]


def test_professional_search_requires_membership(client: Client) -> None:
    from tests.factories import UserFactory

    assert client.get(reverse("directory:pro")).status_code == 302
    loner = Client()
    loner.force_login(UserFactory())
    assert loner.get(reverse("directory:pro")).status_code == 404


def test_public_search_query_count_is_flat(client: Client, themes, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    make_service(
        needs=[themes["FOOD"]], postal_code="1070", hours=[(WEEKDAYS, time(9), time(17))], phone="02 555 00 01"
    )
    params = {"need": themes["FOOD"].pk, "postal_code": "1070"}
    with django_assert_max_num_queries(14) as one:
        client.get(reverse("directory:search"), params)
    for index in range(6):
        make_service(
            needs=[themes["FOOD"]],
            postal_code="1070",
            hours=[(WEEKDAYS, time(9), time(17))],
            phone=f"02 555 00 1{index}",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(reverse("directory:search"), params)
    assert len(response.context["results"]) == 7


def test_sheet_has_inline_qr_code(client: Client, themes, food_service) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune

    anderlecht = Commune.objects.get(postal_codes__code="1070")
    response = client.get(reverse("directory:sheet"), {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk]})
    assert response.status_code == 200
    assert response.context["qr"].startswith("data:image/svg+xml")
    assert [r.service.pk for need, results in response.context["rows"] for r in results] == [food_service.pk]
    assert response.context["link"] == f"http://testserver/directory/?need={themes['FOOD'].pk}&postal_code=1070"
    # Address and phone from the search's plain rows, hours from the schedules.
    line = " ".join(response.content.decode().split("<strong>Colis du Midi</strong>")[1].split("</li>")[0].split())
    assert (
        line
        == '— Rue Wayez 1, 1070 — ☎ 02 555 12 34 <br><span class="meta">lun., mar., mer., jeu., ven. 09:00–17:00</span>'
    )


def test_sheet_form_without_parameters(client: Client, themes) -> None:  # type: ignore[no-untyped-def]
    response = client.get(reverse("directory:sheet"))
    assert response.templates[0].name == "directory/sheet_form.html"


@time_machine.travel(MONDAY_10, tick=False)
def test_status_board_by_need_with_flat_queries(client: Client, themes, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.services import confirm_still_accurate, set_crisis_status

    staff = member(Role.FEDERATION_STAFF)
    closed = make_service(name_fr="Fermé", needs=[themes["FOOD.PARCEL"]], hours=[(WEEKDAYS, time(9), time(17))])
    set_crisis_status(staff, closed, "closed", "Travaux")
    usual = make_service(name_fr="Ouvert", needs=[themes["FOOD"]], hours=[(WEEKDAYS, time(9), time(17))])
    confirm_still_accurate(staff, usual)
    make_service(name_fr="Logement", needs=[themes["HOUSING"]])
    url = reverse("directory:status_board")
    with django_assert_max_num_queries(12) as few:
        response = client.get(url, {"need": themes["FOOD"].pk})
    assert [(s.name_fr, is_open, stale) for s, is_open, stale in response.context["rows"]] == [
        ("Fermé", False, False),
        ("Ouvert", True, False),
    ]
    for index in range(5):
        make_service(name_fr=f"Colis {index}", needs=[themes["FOOD"]], hours=[(WEEKDAYS, time(9), time(17))])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url, {"need": themes["FOOD"].pk})
    assert len(response.context["rows"]) == 7
    from maillage.core.models import Commune

    anderlecht = Commune.objects.get(postal_codes__code="1070")
    assert client.get(url, {"commune": anderlecht.pk}).context["rows"] == []


def test_changes_page_query_count_is_flat(client: Client, themes, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from maillage.directory.services import confirm_still_accurate

    staff = member(Role.FEDERATION_STAFF)
    confirm_still_accurate(staff, make_service(needs=[themes["FOOD"]]))
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("directory:changes"))
    for _index in range(5):
        confirm_still_accurate(staff, make_service(needs=[themes["FOOD"]]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("directory:changes"))
    assert len(response.context["changes"]) == 6
