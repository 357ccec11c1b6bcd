"""The line's calendar page: special days of both lines or of the French or Dutch line only, next to
the public and regional holidays (`holidays` library + the Brussels Region's day) the slots leave out."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import AuditEntry
from maillage.core.submission import new_key
from maillage.helpline.models import OpeningHours, Slot, SpecialDay
from maillage.helpline.services import rota
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

CALENDAR = reverse("helpline:calendar")
# May 2026: Friday 1 May (Labour Day), Friday 8 May (Iris day, Brussels Region), Thursday 14 (Ascension),
# Monday 25 (Whit Monday); 21 weekdays, 17 open ones.


@pytest.fixture
def weekdays_9_17(line):  # type: ignore[no-untyped-def]
    for weekday in range(5):
        OpeningHours.objects.create(
            organisation=line, valid_from=date(2020, 3, 30), weekday=weekday, opens=time(9), closes=time(17)
        )


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _local_days(language: str) -> dict[date, list[tuple[int, int]]]:
    days: dict[date, list[tuple[int, int]]] = {}
    for slot in Slot.objects.filter(language=language).order_by("starts_at"):
        start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
        days.setdefault(start.date(), []).append((start.hour, end.hour))
    return days


def test_staff_set_special_days_per_line_and_generation_applies_them_and_the_holidays(
    line, federation_staff, weekdays_9_17
):
    staff = client_for(federation_staff)
    crisis = {"day": "2026-05-04", "language": "", "opens": "08:00", "closes": "20:00", "note": "Crise"}
    assert staff.post(CALENDAR, {**crisis, "submission_key": new_key()}).status_code == 302
    dutch_closed = {"day": "2026-05-05", "language": "nl", "opens": "", "closes": "", "note": "Formation NL"}
    assert staff.post(CALENDAR, {**dutch_closed, "submission_key": new_key()}).status_code == 302
    iris_open = {"day": "2026-05-08", "language": "fr", "opens": "10:00", "closes": "14:00", "note": ""}
    assert staff.post(CALENDAR, {**iris_open, "submission_key": new_key()}).status_code == 302
    assert list(SpecialDay.objects.values_list("day", "language", "opens", "closes")) == [
        (date(2026, 5, 4), "", time(8), time(20)),
        (date(2026, 5, 5), "nl", None, None),
        (date(2026, 5, 8), "fr", time(10), time(14)),
    ]
    rota.generate_month(federation_staff, line, date(2026, 5, 1), languages=("fr", "nl"), slot_hours=4)
    french, dutch = _local_days("fr"), _local_days("nl")
    holidays = {date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14), date(2026, 5, 25)}
    assert holidays & set(dutch) == set()  # Labour Day, Iris day, Ascension, Whit Monday: closed
    assert holidays & set(french) == {date(2026, 5, 8)}  # the French line opens on Iris day
    assert french[date(2026, 5, 8)] == [(10, 14)]
    assert french[date(2026, 5, 4)] == dutch[date(2026, 5, 4)] == [(8, 12), (12, 16), (16, 20)]
    assert french[date(2026, 5, 5)] == [(9, 13), (13, 17)]
    assert date(2026, 5, 5) not in dutch
    assert (len(french), len(dutch)) == (18, 16)
    # French: the crisis day's 3 slots, Iris day's 1, 16 days of 2; Dutch: 3, and 15 days of 2.
    assert (len(Slot.objects.filter(language="fr")), len(Slot.objects.filter(language="nl"))) == (36, 33)
    # A slot added by hand follows the same calendar, per line.
    with pytest.raises(ValidationError):
        rota.add_slot(federation_staff, line, _at(date(2026, 5, 5), 9), _at(date(2026, 5, 5), 12), "nl")
    with pytest.raises(ValidationError):
        rota.add_slot(federation_staff, line, _at(date(2026, 5, 8), 10), _at(date(2026, 5, 8), 12), "nl")
    assert rota.add_slot(federation_staff, line, _at(date(2026, 5, 5), 9), _at(date(2026, 5, 5), 12), "en")


def test_the_page_lists_special_days_and_holidays_in_the_users_language(line, federation_staff, responder):
    rota.set_special_day(federation_staff, line, date(2026, 12, 24), time(9), time(12), "Veille de Noël", "nl")
    with time_machine.travel(_at(date(2026, 12, 4), 10), tick=False):
        page = client_for(responder).get(CALENDAR)
        assert page.status_code == 200
        assert page.context["form"] is None  # a responder reads, the staff edit
        assert [(day, name) for day, name, _reopened in page.context["holidays"]][:3] == [
            (date(2026, 12, 25), "Noël"),
            (date(2027, 1, 1), "Nouvel An"),
            (date(2027, 3, 28), "Pâques"),
        ]
        assert date(2027, 5, 8) in [day for day, _name, _reopened in page.context["holidays"]]  # Iris day
        html = page.content.decode()
        assert "Veille de Noël" in html
        assert client_for(responder).post(CALENDAR, {"day": "2026-12-31"}).status_code == 404
    assert SpecialDay.objects.count() == 1


def test_bad_special_days_are_refused_next_to_the_field_and_nothing_is_saved(line, federation_staff):
    staff = client_for(federation_staff)
    one_time = staff.post(CALENDAR, {"day": "2026-12-24", "opens": "09:00", "closes": "", "submission_key": new_key()})
    assert one_time.status_code == 200
    assert one_time.context["form"].errors == {
        "closes": ["Donnez l'heure d'ouverture et l'heure de fermeture, ou aucune des deux."]
    }
    backwards = staff.post(CALENDAR, {"day": "2026-12-24", "opens": "18:00", "closes": "09:00"})
    assert backwards.context["form"].errors == {"closes": ["La ligne ferme après son ouverture."]}
    no_day = staff.post(CALENDAR, {"day": "24/13/2026", "opens": "", "closes": ""})
    assert list(no_day.context["form"].errors) == ["day"]
    wrong_line = staff.post(CALENDAR, {"day": "2026-12-24", "language": "en"})
    assert list(wrong_line.context["form"].errors) == ["language"]
    assert SpecialDay.objects.count() == 0
    assert staff.post(CALENDAR, {"remove": "x"}).status_code == 400


def test_a_special_day_posted_twice_with_one_key_is_saved_once_and_can_be_removed(
    line, federation_staff, other_line_responder
):
    staff = client_for(federation_staff)
    data = {"day": "2026-12-24", "language": "", "opens": "", "closes": "", "submission_key": new_key()}
    staff.post(CALENDAR, data)
    again = staff.post(CALENDAR, data, follow=True)
    assert [str(message) for message in again.context["messages"]][-1] == (
        "Le jour particulier du 24/12/2026 était déjà enregistré."
    )
    assert AuditEntry.objects.filter(code="helpline.rota.special_day").count() == 1
    special = SpecialDay.objects.get()
    # Another line's staff cannot remove ours (404), ours can.
    assert client_for(other_line_responder).post(CALENDAR, {"remove": special.pk}).status_code == 404
    assert staff.post(CALENDAR, {"remove": special.pk}).status_code == 302
    assert SpecialDay.objects.count() == 0
    assert AuditEntry.objects.filter(code="helpline.rota.special_day_removed").count() == 1
