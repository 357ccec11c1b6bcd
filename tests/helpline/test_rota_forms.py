"""Each rota form carries a one-time submission key: posted twice (double click, back and resubmit),
it writes once and the repeat reads the first answer."""

from __future__ import annotations

from datetime import date, time

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from maillage.core.models import AuditEntry
from maillage.core.submission import new_key
from maillage.helpline.models import ChangeStatus, FeedToken, OpeningHours, RotaMonth, RotaService, Slot, SlotChange
from maillage.helpline.services import rota
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MAY = date(2027, 5, 1)
GRID = reverse("helpline:rota_month", args=["2027-05"])


@pytest.fixture
def planned(line, federation_staff, responder, other_responder):  # type: ignore[no-untyped-def]
    """May 2027 generated (weekdays 9–17, one 8-hour French slot a day); CPAS sends Rita, Infor-Jeunes Rob."""
    for weekday in range(5):
        OpeningHours.objects.create(
            organisation=line, valid_from=date(2020, 3, 30), weekday=weekday, opens=time(9), closes=time(17)
        )
    rota.generate_month(federation_staff, line, MAY, languages=("fr",), slot_hours=8)
    cpas = RotaService.objects.create(organisation=line, name="CPAS")
    cpas.responders.add(responder)
    infor = RotaService.objects.create(organisation=line, name="Infor-Jeunes")
    infor.responders.add(other_responder)
    return {"slots": list(Slot.objects.filter(organisation=line).order_by("starts_at")), "cpas": cpas, "infor": infor}


def _twice(client, url: str, data: dict) -> list[str]:  # type: ignore[no-untyped-def]
    """Post the same form twice with one key; the messages the repeat reads."""
    data = {**data, "submission_key": new_key()}
    first = client.post(url, data)
    assert first.status_code == 302
    again = client.post(url, data)
    assert (again.status_code, again["Location"]) == (302, first["Location"])
    return [str(message) for message in get_messages(again.wsgi_request)]


def _audits(code: str) -> int:
    return AuditEntry.objects.filter(code=code).count()


def test_generating_the_month_twice_with_one_key_generates_once(federation_staff, planned):
    staff = client_for(federation_staff)
    data = {"month": "2027-06", "deadline": "2027-05-20", "slot_hours": "8", "languages": ["fr"]}
    before = _audits("helpline.rota.generated")
    said = _twice(staff, reverse("helpline:rota_generate"), data)
    assert _audits("helpline.rota.generated") == before + 1
    assert RotaMonth.objects.filter(month=date(2027, 6, 1)).count() == 1
    assert said[-1] == "Les créneaux du mois étaient déjà générés à partir du calendrier de la ligne."


def test_committing_a_service_twice_with_one_key_commits_once(responder, planned):
    slot = planned["slots"][0]
    said = _twice(client_for(responder), GRID, {"slot": slot.pk, "service": planned["cpas"].pk})
    slot.refresh_from_db()
    assert slot.service == planned["cpas"]
    assert _audits("helpline.rota.committed") == 1
    assert said[-1] == "CPAS était déjà engagé sur ce créneau."


def test_releasing_twice_with_one_key_releases_once(responder, planned):
    slot = planned["slots"][0]
    rota.commit_service(responder, slot, planned["cpas"])
    said = _twice(client_for(responder), GRID, {"slot": slot.pk, "service": planned["cpas"].pk, "release": "1"})
    assert _audits("helpline.rota.released") == 1
    assert said[-1] == "Ce créneau était déjà libéré."


def test_taking_a_slot_twice_with_one_key_takes_it_once(responder, planned):
    slot = planned["slots"][0]
    rota.commit_service(responder, slot, planned["cpas"])
    said = _twice(client_for(responder), reverse("helpline:rota_take"), {"slot": slot.pk})
    slot.refresh_from_db()
    assert slot.responder == responder
    assert _audits("helpline.rota.taken") == 1
    assert said[-1] == "Vous aviez déjà pris ce créneau."


def _held(responder, other_responder, planned):  # type: ignore[no-untyped-def]
    mine, theirs = planned["slots"][0], planned["slots"][1]
    rota.commit_service(responder, mine, planned["cpas"])
    rota.take_slot(responder, mine)
    rota.commit_service(other_responder, theirs, planned["infor"])
    rota.take_slot(other_responder, theirs)
    return mine, theirs


def test_asking_a_swap_twice_with_one_key_sends_one_request(responder, other_responder, planned):
    mine, theirs = _held(responder, other_responder, planned)
    data = {"slot": mine.pk, "offered_to": other_responder.pk, "other_slot": theirs.pk}
    said = _twice(client_for(responder), reverse("helpline:rota_changes"), data)
    assert list(SlotChange.objects.values_list("slot", "other_slot", "kind")) == [(mine.pk, theirs.pk, "swap")]
    assert said[-1] == "Votre demande était déjà envoyée."
    # Without a key (an old page), a second post is a second request: the key is what makes it once.
    client_for(responder).post(reverse("helpline:rota_changes"), data)
    assert SlotChange.objects.count() == 2


def test_accepting_twice_with_one_key_answers_once_without_an_error(responder, other_responder, planned):
    mine, theirs = _held(responder, other_responder, planned)
    change = rota.request_change(responder, mine, other_responder, theirs)
    said = _twice(client_for(other_responder), reverse("helpline:rota_changes"), {"change": change.pk, "accept": "1"})
    change.refresh_from_db()
    mine.refresh_from_db()
    assert (change.status, mine.responder) == (ChangeStatus.ACCEPTED, other_responder)
    assert _audits("helpline.rota.change_answered") == 1
    assert said[-1] == "Votre réponse était déjà enregistrée."  # not « Cette demande a déjà reçu une réponse. »


def test_asking_a_calendar_address_twice_with_one_key_makes_one(responder, planned):
    said = _twice(client_for(responder), reverse("helpline:rota_feed_new"), {})
    assert FeedToken.objects.filter(user=responder).count() == 1
    assert said[-1] == "Cette adresse de calendrier était déjà créée : elle figure sous Flux d'agenda."


def _main(page: str) -> str:
    return page.split('<main id="main"')[1].split("</main>")[0]


def test_every_rota_form_carries_a_key(federation_staff, responder, other_responder, planned):
    mine, theirs = _held(responder, other_responder, planned)
    rota.request_change(responder, mine, other_responder, theirs)
    grid = _main(client_for(federation_staff).get(GRID).content.decode())
    assert (
        grid.count("<form") == grid.count('name="submission_key"') == 1 + 17 * 2 + 2
    )  # generate; 17 free slots × 2 services; 2 releases
    changes = _main(client_for(other_responder).get(reverse("helpline:rota_changes")).content.decode())
    revoke_forms = changes.count("/revoke/")
    assert changes.count("<form") - revoke_forms == changes.count('name="submission_key"') == 3
