"""The rota: calendar (weekly hours, holidays, special days), slots, commitments, swaps, reminders, feeds."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from maillage.core.models import OutboxEmail, Role
from maillage.helpline.models import OpeningHours, RotaService, Slot
from maillage.helpline.services import rota
from tests.conftest import client_for
from tests.factories import member

pytestmark = pytest.mark.django_db

MAY = date(2027, 5, 1)  # 1 May a Saturday; Ascension Thu 6, Iris day Sat 8, Whit Monday 17


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def weekdays_9_17(line):  # type: ignore[no-untyped-def]
    """The numéro vert from 30 March 2020: weekdays 9–17."""
    for weekday in range(5):
        OpeningHours.objects.create(
            organisation=line, valid_from=date(2020, 3, 30), weekday=weekday, opens=time(9), closes=time(17)
        )


@pytest.fixture
def services(line, responder, other_responder):  # type: ignore[no-untyped-def]
    made = {}
    for name, person in (("CPAS", responder), ("Infor-Jeunes", other_responder), ("Resto du Coeur", None)):
        service = RotaService.objects.create(organisation=line, name=name)
        if person is not None:
            service.responders.add(person)
        made[name] = service
    return made


def test_the_calendar_closes_on_holidays_and_opens_on_special_days(line, federation_staff, weekdays_9_17):
    rota.set_special_day(federation_staff, line, date(2027, 5, 3), time(8), time(20), "crise")
    rota.set_special_day(federation_staff, line, date(2027, 5, 4), None, None, "formation")
    assert rota.day_hours(line, date(2027, 5, 3)) == [(time(8), time(20))]
    assert rota.day_hours(line, date(2027, 5, 4)) == []
    assert rota.day_hours(line, date(2027, 5, 6)) == []  # Ascension (holidays library)
    assert rota.day_hours(line, date(2027, 5, 17)) == []  # Whit Monday
    assert rota.day_hours(line, date(2027, 5, 7)) == [(time(9), time(17))]
    assert rota.day_hours(line, date(2020, 3, 27)) == []  # before the line opened
    month = rota.generate_month(federation_staff, line, MAY, languages=("fr", "nl"), deadline=date(2027, 4, 20))
    # 21 weekdays, less Ascension, Whit Monday and the closed 4 May = 18 days; 17 of 9–17 (2 slots of 4 hours)
    # and the crisis day 8–20 (3 slots); in French and in Dutch.
    assert Slot.objects.filter(organisation=line).count() == (17 * 2 + 3) * 2 == 74
    assert month.deadline == date(2027, 4, 20)
    rota.generate_month(federation_staff, line, MAY)  # again: the same slots
    assert Slot.objects.filter(organisation=line).count() == 74
    first = Slot.objects.filter(organisation=line, language="fr").first()
    assert (timezone.localtime(first.starts_at), timezone.localtime(first.ends_at)) == (
        _at(date(2027, 5, 3), 8),
        _at(date(2027, 5, 3), 12),
    )


def test_a_slot_outside_the_lines_hours_is_refused(line, federation_staff, weekdays_9_17):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        rota.add_slot(federation_staff, line, _at(date(2027, 5, 7), 17), _at(date(2027, 5, 7), 19), "fr")
    assert refused.value.messages == [
        "La ligne n'est pas ouverte de 17:00 à 19:00 le 07/05/2027 : un créneau doit se situer dans ses heures."
    ]
    with pytest.raises(ValidationError):
        rota.add_slot(federation_staff, line, _at(date(2027, 5, 6), 9), _at(date(2027, 5, 6), 12), "fr")  # holiday
    assert Slot.objects.count() == 0
    slot = rota.add_slot(federation_staff, line, _at(date(2027, 5, 7), 9), _at(date(2027, 5, 7), 12), "nl")
    assert slot.language == "nl"


def test_services_commit_one_per_slot_responders_take_swap_and_cover(
    line, federation_staff, weekdays_9_17, services, responder, other_responder
):
    rota.generate_month(federation_staff, line, MAY, languages=("fr",), slot_hours=8)
    slots = list(Slot.objects.filter(organisation=line).order_by("starts_at"))
    assert len(slots) == 19
    cpas, infor = services["CPAS"], services["Infor-Jeunes"]
    rota.commit_service(responder, slots[0], cpas)
    rota.commit_service(other_responder, slots[1], infor)
    with translation.override("nl"), pytest.raises(ValidationError) as taken:
        rota.commit_service(other_responder, slots[0], infor)
    assert taken.value.messages == ["Dit tijdslot is al genomen door CPAS: één dienst per tijdslot."]
    with pytest.raises(PermissionError):
        rota.commit_service(responder, slots[2], infor)  # not a responder of Infor-Jeunes
    slots[0].refresh_from_db()
    assert slots[0].service == cpas
    rota.take_slot(responder, slots[0])
    rota.take_slot(other_responder, slots[1])
    with translation.override("en"), pytest.raises(ValidationError) as not_theirs:
        rota.take_slot(other_responder, slots[0])
    assert not_theirs.value.messages == ["Only a responder of the service holding this slot can take it."]
    with translation.override("fr"), pytest.raises(ValidationError) as oneself:
        rota.request_change(responder, slots[0], responder)
    assert oneself.value.messages == ["Vous ne pouvez pas échanger ou céder un créneau avec vous-même."]
    swap = rota.request_change(responder, slots[0], other_responder, slots[1])
    with pytest.raises(PermissionError):
        rota.answer_change(responder, swap, accept=True)  # only the one asked answers
    rota.answer_change(other_responder, swap, accept=True)
    slots[0].refresh_from_db()
    slots[1].refresh_from_db()
    assert (slots[0].responder, slots[1].responder, slots[0].swapped, slots[1].swapped) == (
        other_responder,
        responder,
        True,
        True,
    )
    report = rota.coverage(line, MAY)
    assert (report.slots, report.filled, report.committed, report.unfilled, report.swapped) == (19, 2, 0, 17, 2)
    assert report.per_service == {"CPAS": 1, "Infor-Jeunes": 1}
    with time_machine.travel(_at(date(2027, 5, 3), 10), tick=False):
        assert [s.responder for s in rota.on_the_line(line)] == [other_responder]


def test_reminders_the_day_before_and_gaps_two_days_ahead_once(
    line, federation_staff, weekdays_9_17, services, responder
):
    rota.generate_month(federation_staff, line, MAY, languages=("fr",), slot_hours=8)
    monday, tuesday, _wednesday = (
        Slot.objects.get(starts_at=_at(date(2027, 5, day), 9), organisation=line) for day in (10, 11, 12)
    )
    rota.commit_service(responder, tuesday, services["CPAS"])
    rota.take_slot(responder, tuesday)
    with time_machine.travel(_at(date(2027, 5, 10), 7), tick=False):
        assert rota.send_reminders() == (1, 1)  # Tuesday's responder; Wednesday's gap
        assert rota.send_reminders() == (0, 0)
    assert sorted(OutboxEmail.objects.values_list("to", flat=True)) == sorted(
        [[responder.email], [federation_staff.email]]
    )
    assert monday.service is None


def test_ical_feeds_per_responder_and_service_revocable(line, federation_staff, weekdays_9_17, services, responder):
    rota.generate_month(federation_staff, line, MAY, languages=("fr",), slot_hours=8)
    slot = Slot.objects.filter(organisation=line).order_by("starts_at").first()
    rota.commit_service(responder, slot, services["CPAS"])
    rota.take_slot(responder, slot)
    mine = rota.new_feed(responder, line)
    of_service = rota.new_feed(responder, line, service=services["CPAS"])
    anonymous = client_for(member(Role.WORKER))
    anonymous.logout()
    with time_machine.travel(_at(date(2027, 5, 1), 8), tick=False):
        for feed in (mine, of_service):
            answer = anonymous.get(reverse("helpline:rota_feed", args=[feed.token]))
            assert answer["Content-Type"] == "text/calendar; charset=utf-8"
            assert answer.content.count(b"BEGIN:VEVENT") == 1
            assert f"UID:slot-{slot.pk}@maillage".encode() in answer.content
        assert len(mine.token) >= 40
        rota.revoke_feed(responder, mine)
        assert anonymous.get(reverse("helpline:rota_feed", args=[mine.token])).status_code == 404
        assert anonymous.get(reverse("helpline:rota_feed", args=["x" * 43])).status_code == 404


def test_the_grid_and_the_coverage_pages(
    line, federation_staff, weekdays_9_17, services, responder, other_line_responder
):
    rota.generate_month(federation_staff, line, MAY, languages=("fr",), slot_hours=8)
    slot = Slot.objects.filter(organisation=line).order_by("starts_at").first()
    client = client_for(responder)
    answer = client.post(
        reverse("helpline:rota_month", args=["2027-05"]), {"slot": slot.pk, "service": services["CPAS"].pk}
    )
    assert answer.status_code == 302
    slot.refresh_from_db()
    assert slot.service == services["CPAS"]
    again = client.post(
        reverse("helpline:rota_month", args=["2027-05"]), {"slot": slot.pk, "service": services["Infor-Jeunes"].pk}
    )
    assert again.status_code == 302
    slot.refresh_from_db()
    assert slot.service == services["CPAS"]
    page = client.get(reverse("helpline:rota_month", args=["2027-05"]))
    assert page.context["report"].unfilled == 18
    staff = client_for(federation_staff)
    coverage = staff.get(reverse("helpline:rota_coverage", args=["2027-05"]))
    assert coverage.context["report"].per_service == {"CPAS": 1}
    # Another line's responder reaches nothing of ours.
    other = client_for(other_line_responder)
    other.post(reverse("helpline:rota_month", args=["2027-05"]), {"slot": slot.pk, "service": services["CPAS"].pk})
    assert other.get(reverse("helpline:rota_coverage", args=["2027-05"])).context["report"].slots == 0
    assert client.get(reverse("helpline:rota_month", args=["2027-13"])).status_code == 404
    assert timedelta(hours=8) == slot.ends_at - slot.starts_at
