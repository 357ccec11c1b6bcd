"""A special day set (or removed) after the month's slots were generated re-aligns that day's slots:
open slots outside the new hours go, slots a service took are cancelled and the service is told
through the outbox, begun slots stay; more hours add nothing until the staff add the missing slots.

May 2027: 1 May a Saturday; Ascension Thursday 6, Whit Monday 17: 19 weekdays of 9–17 in French and
in Dutch, cut in slots of 4 hours (9–13, 13–17): 76 slots.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from maillage.core.models import AuditEntry, OutboxEmail, OutboxStatus
from maillage.core.submission import new_key
from maillage.helpline.models import ChangeStatus, OpeningHours, RotaService, Slot, SpecialDay
from maillage.helpline.services import rota
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

MAY = date(2027, 5, 1)
MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (date(2027, 5, day) for day in (10, 11, 12, 13, 14))
TUESDAY_NEXT = date(2027, 5, 18)


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _slot(day: date, hour: int, language: str) -> Slot:
    return Slot.objects.get(starts_at=_at(day, hour), language=language, cancelled_at__isnull=True)


def _hours(spans: list[tuple[datetime, datetime]]) -> list[tuple[int, int]]:
    return [(timezone.localtime(start).hour, timezone.localtime(end).hour) for start, end in spans]


def _active(day: date) -> list[tuple[str, int, int]]:
    """(line, start hour, end hour) of the day's active slots."""
    rows = Slot.objects.filter(
        cancelled_at__isnull=True, starts_at__gte=_at(day, 0), starts_at__lt=_at(day, 23)
    ).order_by("language", "starts_at")
    return [
        (slot.language, timezone.localtime(slot.starts_at).hour, timezone.localtime(slot.ends_at).hour) for slot in rows
    ]


@pytest.fixture
def month(line, federation_staff):  # type: ignore[no-untyped-def]
    for weekday in range(5):
        OpeningHours.objects.create(
            organisation=line, valid_from=date(2020, 3, 30), weekday=weekday, opens=time(9), closes=time(17)
        )
    rota.generate_month(federation_staff, line, MAY, languages=("fr", "nl"), slot_hours=4)
    assert Slot.objects.count() == 76


@pytest.fixture
def services(line, responder, other_responder):  # type: ignore[no-untyped-def]
    """CPAS (Rita), Infor-Jeunes (Rob, who reads Dutch), Resto du Coeur (nobody with an email address)."""
    other_responder.language = "nl"
    other_responder.save(update_fields=["language"])
    made = {}
    for name, person in (("CPAS", responder), ("Infor-Jeunes", other_responder), ("Resto du Coeur", None)):
        made[name] = RotaService.objects.create(organisation=line, name=name)
        if person is not None:
            made[name].responders.add(person)
    return made


@pytest.fixture
def monday_taken(month, services, federation_staff, responder, other_responder):  # type: ignore[no-untyped-def]
    """Monday 10: French 9–13 CPAS (Rita takes it), Dutch 13–17 Infor-Jeunes, French 13–17 Resto du Coeur;
    Dutch 9–13 open. Tuesday 11: French 9–13 CPAS (Rita)."""
    rota.commit_service(responder, _slot(MONDAY, 9, "fr"), services["CPAS"])
    rota.take_slot(responder, _slot(MONDAY, 9, "fr"))
    rota.commit_service(other_responder, _slot(MONDAY, 13, "nl"), services["Infor-Jeunes"])
    rota.commit_service(federation_staff, _slot(MONDAY, 13, "fr"), services["Resto du Coeur"])
    rota.commit_service(responder, _slot(TUESDAY, 9, "fr"), services["CPAS"])
    rota.take_slot(responder, _slot(TUESDAY, 9, "fr"))
    return services


def test_a_closure_removes_the_open_slots_cancels_the_taken_ones_and_tells_their_services(
    line, federation_staff, monday_taken, responder, other_responder
):
    taken = {slot.pk for slot in Slot.objects.filter(service__isnull=False, starts_at__date=MONDAY)}
    change = rota.set_special_day(federation_staff, line, MONDAY, None, None, "Formation")
    assert (change.removed, change.started) == (1, 0)
    assert {slot.pk for slot in change.cancelled} == taken
    assert (change.told, change.untold) == (["CPAS", "Infor-Jeunes"], ["Resto du Coeur"])
    assert change.missing == {}
    assert _active(MONDAY) == []
    # The cancelled slots stay with their service and responder, for the record and the services' feeds.
    kept = Slot.objects.filter(starts_at__date=MONDAY).order_by("language", "starts_at")
    assert [(s.language, s.service.name, s.responder, s.cancelled_at is not None) for s in kept] == [
        ("fr", "CPAS", responder, True),
        ("fr", "Resto du Coeur", None, True),
        ("nl", "Infor-Jeunes", None, True),
    ]
    # One email to each responder of a service told, in their language, recorded in the outbox.
    emails = OutboxEmail.objects.filter(template="helpline/emails/slots_cancelled").order_by("pk")
    assert [(email.to, email.language) for email in emails] == [
        ([responder.email], "fr"),
        ([other_responder.email], "nl"),
    ]
    assert Slot.objects.filter(starts_at__date=TUESDAY, service__isnull=False).count() == 1  # another day: untouched
    assert AuditEntry.objects.get(code="helpline.rota.special_day").data == {
        "day": "2027-05-10",
        "language": "",
        "removed": 1,
        "cancelled": [slot.pk for slot in change.cancelled],
        "told": ["CPAS", "Infor-Jeunes"],
        "untold": ["Resto du Coeur"],
        "missing_hours": 0,
    }
    assert AuditEntry.objects.filter(code="helpline.rota.slot_cancelled").count() == 3
    assert AuditEntry.objects.filter(code="helpline.rota.slots_removed").count() == 1
    # Saved again the same: nothing more to remove, cancel or tell.
    again = rota.set_special_day(federation_staff, line, MONDAY, None, None, "Formation")
    assert (again.removed, again.cancelled, again.told) == (0, [], [])
    assert emails.count() == 2


def test_coverage_counts_the_cancelled_slots_apart(line, federation_staff, monday_taken):
    before = rota.coverage(line, MAY)
    assert (before.slots, before.filled, before.committed, before.unfilled, before.cancelled) == (76, 2, 2, 72, 0)
    assert before.per_service == {"CPAS": 2, "Infor-Jeunes": 1, "Resto du Coeur": 1}
    rota.set_special_day(federation_staff, line, MONDAY, None, None, "Formation")
    after = rota.coverage(line, MAY)
    assert (after.slots, after.filled, after.committed, after.unfilled, after.cancelled) == (72, 1, 0, 71, 3)
    assert after.per_service == {"CPAS": 1}
    assert after.service_rows == [("CPAS", 1, 1), ("Infor-Jeunes", 0, 1), ("Resto du Coeur", 0, 1)]
    assert len(after.gaps) == after.unfilled
    # An independent count from the database.
    in_may = Slot.objects.filter(starts_at__gte=_at(MAY, 0), starts_at__lt=_at(date(2027, 6, 1), 0))
    assert in_may.filter(cancelled_at__isnull=True).count() == after.slots
    assert in_may.filter(cancelled_at__isnull=False).count() == after.cancelled
    assert in_may.filter(cancelled_at__isnull=True, service__isnull=True).count() == after.unfilled


def test_a_cancelled_slot_takes_no_commitment_no_responder_no_swap_no_reminder(
    line, federation_staff, monday_taken, responder, other_responder
):
    cancelled_fr = _slot(MONDAY, 9, "fr")
    gone_nl = _slot(MONDAY, 9, "nl")
    cover = rota.request_change(responder, cancelled_fr, other_responder)  # asked before the closure
    rota.set_special_day(federation_staff, line, MONDAY, None, None, "")
    cancelled_fr.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        rota.commit_service(other_responder, cancelled_fr, monday_taken["Infor-Jeunes"])
    assert refused.value.code == "cancelled"
    with pytest.raises(ValidationError):
        rota.commit_service(other_responder, gone_nl, monday_taken["Infor-Jeunes"])  # deleted meanwhile
    with pytest.raises(ValidationError):
        rota.take_slot(responder, cancelled_fr)
    with pytest.raises(ValidationError):
        rota.request_change(responder, cancelled_fr, other_responder)
    with pytest.raises(ValidationError):
        rota.answer_change(other_responder, cover, accept=True)
    assert not client_for(other_responder).get(reverse("helpline:rota_changes")).context["asked_to_me"]
    assert rota.answer_change(other_responder, cover, accept=False).status == ChangeStatus.REFUSED
    with time_machine.travel(_at(MONDAY, 10), tick=False):
        assert rota.on_the_line(line) == []
    with time_machine.travel(_at(date(2027, 5, 9), 7), tick=False):
        reminded, _gaps = rota.send_reminders()
    assert reminded == 0  # Rita's Monday slot is cancelled: no reminder
    feed = rota.new_feed(responder, line)
    with time_machine.travel(_at(date(2027, 5, 1), 8), tick=False):
        calendar = rota.ical(feed).decode()
    assert calendar.count("BEGIN:VEVENT") == 2
    assert calendar.count("STATUS:CANCELLED") == 1  # calendar apps take Monday out


def test_shorter_hours_keep_the_slots_inside_and_the_missing_ones_are_added_on_request(
    line, federation_staff, month, services, responder, other_responder
):
    rota.commit_service(responder, _slot(WEDNESDAY, 9, "fr"), services["CPAS"])
    rota.commit_service(other_responder, _slot(WEDNESDAY, 13, "fr"), services["Infor-Jeunes"])
    change = rota.set_special_day(federation_staff, line, WEDNESDAY, time(9), time(15), "Assemblée générale")
    assert (change.removed, [s.service.name for s in change.cancelled], change.told) == (
        1,
        ["Infor-Jeunes"],
        ["Infor-Jeunes"],
    )
    assert _active(WEDNESDAY) == [("fr", 9, 13), ("nl", 9, 13)]
    # Nothing created by itself: the staff are told which hours have no slot.
    assert {language: _hours(spans) for language, spans in change.missing.items()} == {
        "fr": [(13, 15)],
        "nl": [(13, 15)],
    }
    assert change.missing_hours == 4
    added = rota.fill_day(federation_staff, line, WEDNESDAY)
    assert len(added) == 2
    assert _active(WEDNESDAY) == [("fr", 9, 13), ("fr", 13, 15), ("nl", 9, 13), ("nl", 13, 15)]
    # The cancelled French 13–17 and the new French 13–15 start at the same time: one active per time.
    assert Slot.objects.filter(starts_at=_at(WEDNESDAY, 13), language="fr").count() == 2
    assert rota.fill_day(federation_staff, line, WEDNESDAY) == []
    rota.generate_month(federation_staff, line, MAY, languages=("fr", "nl"), slot_hours=4)
    assert Slot.objects.filter(cancelled_at__isnull=True).count() == 76 - 2 + 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Slot.objects.create(organisation=line, starts_at=_at(WEDNESDAY, 13), ends_at=_at(WEDNESDAY, 14), language="fr")


def test_a_special_day_of_one_line_re_aligns_that_line_only_and_longer_hours_fill_only_the_gaps(
    line, federation_staff, month, services, responder, other_responder
):
    rota.commit_service(other_responder, _slot(THURSDAY, 9, "nl"), services["Infor-Jeunes"])
    rota.commit_service(responder, _slot(THURSDAY, 9, "fr"), services["CPAS"])
    dutch_closed = rota.set_special_day(federation_staff, line, THURSDAY, None, None, "Formation NL", "nl")
    assert (dutch_closed.removed, [s.language for s in dutch_closed.cancelled], dutch_closed.told) == (
        1,
        ["nl"],
        ["Infor-Jeunes"],
    )
    assert _active(THURSDAY) == [("fr", 9, 13), ("fr", 13, 17)]
    # A crisis day for both lines: the Dutch line's own special day still wins on its line.
    crisis = rota.set_special_day(federation_staff, line, THURSDAY, time(8), time(20), "Crise")
    assert (crisis.removed, crisis.cancelled) == (0, [])
    assert {language: _hours(spans) for language, spans in crisis.missing.items()} == {"fr": [(8, 9), (17, 20)]}
    assert Slot.objects.filter(cancelled_at__isnull=True).count() == 76 - 2  # nothing added by itself
    rota.fill_day(federation_staff, line, THURSDAY)
    assert _active(THURSDAY) == [("fr", 8, 9), ("fr", 9, 13), ("fr", 13, 17), ("fr", 17, 20)]
    rota.generate_month(federation_staff, line, MAY, languages=("fr", "nl"), slot_hours=4)
    assert _active(THURSDAY) == [("fr", 8, 9), ("fr", 9, 13), ("fr", 13, 17), ("fr", 17, 20)]  # no overlap


def test_removing_a_special_day_re_aligns_back_to_the_weekly_hours(line, federation_staff, month, services, responder):
    extended = rota.set_special_day(federation_staff, line, FRIDAY, time(8), time(20), "Crise")
    assert extended.missing_hours == 2 * 4  # 8–9 and 17–20, per line
    rota.fill_day(federation_staff, line, FRIDAY)
    rota.commit_service(responder, _slot(FRIDAY, 17, "fr"), services["CPAS"])
    removed = rota.remove_special_day(federation_staff, extended.special)
    assert removed.removed == 3  # French 8–9, Dutch 8–9 and 17–20
    assert [(s.language, timezone.localtime(s.starts_at).hour) for s in removed.cancelled] == [("fr", 17)]
    assert removed.told == ["CPAS"]
    assert _active(FRIDAY) == [("fr", 9, 13), ("fr", 13, 17), ("nl", 9, 13), ("nl", 13, 17)]
    assert AuditEntry.objects.get(code="helpline.rota.special_day_removed").data["cancelled"] == [
        removed.cancelled[0].pk
    ]
    # A closure removed gives the weekly hours back, without a slot until the staff add them.
    closed = rota.set_special_day(federation_staff, line, TUESDAY_NEXT, None, None, "")
    assert closed.removed == 4
    reopened = rota.remove_special_day(federation_staff, closed.special)
    assert (reopened.removed, reopened.cancelled, reopened.missing_hours) == (0, [], 16)
    assert _active(TUESDAY_NEXT) == []
    assert len(rota.fill_day(federation_staff, line, TUESDAY_NEXT)) == 4


def test_slots_already_begun_are_left_as_they_were(line, federation_staff, month):
    with time_machine.travel(_at(MONDAY, 11), tick=False):
        change = rota.set_special_day(federation_staff, line, MONDAY, None, None, "Panne du central")
    assert (change.started, change.removed) == (2, 2)
    assert _active(MONDAY) == [("fr", 9, 13), ("nl", 9, 13)]


def test_only_the_lines_staff_change_the_calendar_and_fill_needs_a_generated_month(
    line, federation_staff, month, responder
):
    with pytest.raises(PermissionError):
        rota.set_special_day(responder, line, MONDAY, None, None, "")
    with pytest.raises(PermissionError):
        rota.fill_day(responder, line, MONDAY)
    with translation.override("fr"), pytest.raises(ValidationError) as not_generated:
        rota.fill_day(federation_staff, line, date(2027, 6, 7))
    assert not_generated.value.messages == [
        "Les créneaux de 06/2027 ne sont pas encore générés : générez le mois sur la grille de planning."
    ]
    assert _active(MONDAY) == [("fr", 9, 13), ("fr", 13, 17), ("nl", 9, 13), ("nl", 13, 17)]


# ---------------------------------------------------------------------------------------------
# What the services receive, and what the staff read on the calendar, the grid and the coverage pages

CALENDAR = reverse("helpline:calendar")


def _text(message) -> str:  # type: ignore[no-untyped-def]
    """The plain text as the SMTP server received it, with its CRLF line ends read as newlines."""
    return str(message.get_body(("plain",)).get_content()).replace("\r\n", "\n")


def _messages(answer) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(message) for message in answer.context["messages"]]


def test_each_service_gets_the_cancellation_by_email_in_its_language(
    line, federation_staff, monday_taken, responder, other_responder, smtp_inbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rota.set_special_day(federation_staff, line, MONDAY, None, None, "Formation")
    grid = settings.SITE_URL + reverse("helpline:rota_month", args=["2027-05"])
    french = smtp_inbox.last_to(responder.email)
    assert " ".join(french["Subject"].split()) == "Planning de la ligne : créneaux du 10 mai 2027 annulés"
    body = _text(french)
    assert body.startswith("Les heures de la ligne d'écoute ont changé le 10 mai 2027. CPAS avait pris ces")
    assert "\n- 09:00–13:00 (ligne FR) — la ligne est fermée ce jour-là\n" in body
    assert grid in body
    dutch = smtp_inbox.last_to(other_responder.email)
    assert " ".join(dutch["Subject"].split()) == "Planning van de hulplijn: tijdslots van 10 mei 2027 geannuleerd"
    assert "\n- 13:00–17:00 (NL-lijn) — de lijn is die dag gesloten\n" in _text(dutch)
    assert len(smtp_inbox.messages) == 2  # Resto du Coeur has nobody to write to: the staff are warned instead
    assert set(OutboxEmail.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}
    # Shorter hours: the email says the hours the line keeps.
    rota.commit_service(other_responder, _slot(WEDNESDAY, 13, "nl"), monday_taken["Infor-Jeunes"])
    with django_capture_on_commit_callbacks(execute=True):
        rota.set_special_day(federation_staff, line, WEDNESDAY, time(9), time(15), "")
    shorter = _text(smtp_inbox.last_to(other_responder.email))
    assert "\n- 13:00–17:00 (NL-lijn) — de lijn antwoordt nu 09:00–15:00\n" in shorter


def test_the_staff_read_what_a_closure_did_and_a_double_submit_changes_nothing(line, federation_staff, monday_taken):
    staff = client_for(federation_staff)
    data = {"day": "2027-05-10", "language": "", "opens": "", "closes": "", "note": "Formation"}
    data["submission_key"] = new_key()
    answer = staff.post(CALENDAR, data, follow=True)
    assert _messages(answer) == [
        (
            "Jour particulier enregistré. 1 créneau libre hors des nouvelles heures a été supprimé. 3 créneaux que des "
            "services avaient pris sont hors des nouvelles heures : ils sont annulés. Prévenus par e-mail : CPAS, "
            "Infor-Jeunes."
        ),
        (
            "Personne de Resto du Coeur n'a pu être prévenu par e-mail (aucun répondant avec une adresse) : "
            "prévenez-les vous-même."
        ),
    ]
    again = staff.post(CALENDAR, data, follow=True)
    assert _messages(again) == ["Le jour particulier du 10/05/2027 était déjà enregistré."]
    assert OutboxEmail.objects.count() == 2
    assert AuditEntry.objects.filter(code="helpline.rota.special_day").count() == 1
    # The grid shows the cancelled slots, with no button; the coverage report counts them apart.
    html = staff.get(reverse("helpline:rota_month", args=["2027-05"])).content.decode()
    for cancelled in Slot.objects.filter(cancelled_at__isnull=False):
        row = re.search(rf'<tr id="slot-{cancelled.pk}" class="rota-cancelled">(.*?)</tr>', html, re.S)
        assert row is not None
        assert "annulé : les heures de la ligne ont changé" in row.group(1)
        assert "<button" not in row.group(1)
    assert 'id="rota-cancelled">3<' in html
    coverage = staff.get(reverse("helpline:rota_coverage", args=["2027-05"]))
    assert 'id="coverage-cancelled">3<' in coverage.content.decode()
    assert coverage.context["report"].slots == 72


def test_longer_hours_point_the_staff_to_the_missing_slots_added_once(line, federation_staff, month, responder):
    staff = client_for(federation_staff)
    crisis = {"day": "2027-05-13", "language": "", "opens": "08:00", "closes": "20:00", "note": "Crise"}
    answer = staff.post(CALENDAR, {**crisis, "submission_key": new_key()})
    assert answer["Location"] == f"{CALENDAR}?day=2027-05-13#fill-slots"
    page = staff.get(answer["Location"])
    assert _messages(page) == [
        (
            "Jour particulier enregistré. 8 h des heures de la ligne ce jour-là n'ont aucun créneau (FR 08:00–09:00; "
            "FR 17:00–20:00; NL 08:00–09:00; NL 17:00–20:00) : rien n'a été ajouté ; ajoutez-les avec « Ajouter les "
            "créneaux manquants » quand les services doivent pouvoir les prendre."
        )
    ]
    assert 'name="fill-day" value="2027-05-13"' in page.content.decode()
    assert Slot.objects.count() == 76  # nothing added by itself
    key = new_key()
    filled = staff.post(CALENDAR, {"fill-day": "2027-05-13", "submission_key": key}, follow=True)
    assert filled.redirect_chain[-1][0] == reverse("helpline:rota_month", args=["2027-05"])
    assert _messages(filled) == [
        "4 créneaux ajoutés le 13/05/2027 : les services peuvent les prendre sur la grille de planning."
    ]
    again = staff.post(CALENDAR, {"fill-day": "2027-05-13", "submission_key": key}, follow=True)
    assert _messages(again) == ["Les créneaux manquants du 13/05/2027 étaient déjà ajoutés."]
    fresh = staff.post(CALENDAR, {"fill-day": "2027-05-13", "submission_key": new_key()}, follow=True)
    assert _messages(fresh) == ["Chaque heure du 13/05/2027 a déjà son créneau : rien n'a été ajouté."]
    assert Slot.objects.count() == 80
    assert AuditEntry.objects.filter(code="helpline.rota.day_filled").count() == 2
    # Bad input: an error next to the field, nothing added.
    bad = staff.post(CALENDAR, {"fill-day": "13/13/2027", "submission_key": new_key()})
    assert bad.status_code == 200
    assert list(bad.context["fill_form"].errors) == ["day"]
    too_early = staff.post(CALENDAR, {"fill-day": "2027-06-07", "submission_key": new_key()})
    assert too_early.context["fill_form"].non_field_errors() == [
        "Les créneaux de 06/2027 ne sont pas encore générés : générez le mois sur la grille de planning."
    ]
    assert client_for(responder).post(CALENDAR, {"fill-day": "2027-05-13"}).status_code == 404
    assert staff.get(f"{CALENDAR}?day=2027-99-99").status_code == 200  # a mangled link: an empty form
    # Removing the special day, twice with one key: re-aligned once.
    special = SpecialDay.objects.get()
    key = new_key()
    removed = staff.post(CALENDAR, {"remove": special.pk, "submission_key": key}, follow=True)
    assert _messages(removed) == [
        (
            "Le jour particulier du 13/05/2027 a été supprimé. 4 créneaux libres hors des nouvelles heures ont été "
            "supprimés."
        )
    ]
    repeated = staff.post(CALENDAR, {"remove": special.pk, "submission_key": key}, follow=True)
    assert _messages(repeated) == ["Le jour particulier du 13/05/2027 était déjà retiré."]
    assert AuditEntry.objects.filter(code="helpline.rota.special_day_removed").count() == 1
    assert Slot.objects.count() == 76
