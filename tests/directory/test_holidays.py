"""Holiday calendars: opening state, next opening, the search index and the sheet respect them;
an unknown calendar and a crisis end date in the past are refused."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from maillage.core.models import Role
from maillage.directory import services
from maillage.directory.calendars import holiday_days, parse_calendars
from maillage.directory.forms import ServiceForm, StatusForm
from maillage.directory.models import CrisisStatus, Service
from maillage.directory.opening import BRUSSELS, is_open, next_opening
from maillage.directory.search.engine import SearchCriteria, search, services_for_referral
from tests.conftest import client_for
from tests.directory.factories import make_service
from tests.factories import member

pytestmark = pytest.mark.django_db
WEEKDAYS = "MO,TU,WE,TH,FR"


def test_calendars() -> None:
    may = [date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 24), date(2026, 5, 25)]  # Pentecost Sunday too
    assert holiday_days("be", date(2026, 5, 1), date(2026, 5, 31)) == may
    assert holiday_days("brussels", date(2026, 1, 1), date(2026, 12, 31)) == [date(2026, 5, 8)]
    assert holiday_days("fr_community nl_community", date(2026, 1, 1), date(2026, 12, 31)) == [
        date(2026, 7, 11),
        date(2026, 9, 27),
    ]
    assert parse_calendars("brussels be") == ("be", "brussels")
    with pytest.raises(ValidationError):
        parse_calendars("be mars")


def test_closed_on_a_public_holiday_and_next_opening_after_it(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(needs=[themes["FOOD"]], postal_code="1070", serves=["1070"], hours=[(WEEKDAYS, time(9), time(17))])  # fmt: skip
    service.holiday_calendars = "be"
    service.save()
    # Wednesday 11 November 2026 (Armistice), 10:00.
    armistice = datetime(2026, 11, 11, 10, 0, tzinfo=BRUSSELS)
    fresh = Service.objects.get(pk=service.pk)
    assert is_open(fresh, armistice) is False
    assert next_opening(fresh, armistice) == datetime(2026, 11, 12, 9, 0, tzinfo=BRUSSELS)
    assert is_open(fresh, datetime(2026, 11, 10, 10, 0, tzinfo=BRUSSELS)) is True
    # The search (in-memory index) agrees.
    with time_machine.travel(armistice, tick=False):
        found = search(SearchCriteria(category=themes["FOOD"], postal_code="1070", at=armistice))
        assert [(r.service.pk, r.is_open, r.next_opening) for r in found] == [
            (service.pk, False, datetime(2026, 11, 12, 9, 0, tzinfo=BRUSSELS))
        ]
        assert search(SearchCriteria(category=themes["FOOD"], postal_code="1070", open_now=True, at=armistice)) == []
        # The helpline's referral picker too: closed today, opens the day after.
        [suggested] = services_for_referral(themes["FOOD"], "1070", None, armistice)
        assert (suggested.service.pk, suggested.is_open, suggested.next_opening) == (
            service.pk,
            False,
            datetime(2026, 11, 12, 9, 0, tzinfo=BRUSSELS),
        )


def test_service_without_calendar_stays_open_and_location_calendar_counts(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(needs=[themes["FOOD"]], postal_code="1070", hours=[(WEEKDAYS, time(9), time(17))])
    armistice = datetime(2026, 11, 11, 10, 0, tzinfo=BRUSSELS)
    assert is_open(Service.objects.get(pk=service.pk), armistice) is True
    # A service with no hours of its own takes its location's, and the location's calendar.
    borrowing = make_service(needs=[themes["FOOD"]], postal_code="1070")
    location = borrowing.service_at_locations.get().location
    location.holiday_calendars = "be"
    location.save()
    services.add_location_schedule(
        None, location, {"byday": WEEKDAYS, "opens_at": time(9), "closes_at": time(17), "freq": "WEEKLY"}
    )
    fresh = Service.objects.get(pk=borrowing.pk)
    assert is_open(fresh, armistice) is False
    assert is_open(fresh, datetime(2026, 11, 10, 10, 0, tzinfo=BRUSSELS)) is True
    with time_machine.travel(armistice, tick=False):
        found = {r.service.pk: r.is_open for r in search(SearchCriteria(category=themes["FOOD"], at=armistice))}
        assert found == {service.pk: True, borrowing.pk: False}


def test_service_form_refuses_an_unknown_calendar_and_saves_known_ones(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(name_fr="Colis")
    data = {"name_fr": "Colis", "status": "published", "is_free": "on", "calendars": ["be", "mars"]}
    form = ServiceForm(data, instance=service)
    assert form.is_valid() is False
    assert form.errors["calendars"] == ["Calendrier de congés inconnu : mars."]
    form = ServiceForm({**data, "calendars": ["brussels", "be"]}, instance=service)
    assert form.is_valid(), form.errors
    saved = services.save_service(None, service.organisation, form.service_data(), service=service)
    assert saved.holiday_calendars == "be brussels"
    with pytest.raises(ValidationError):
        services.save_service(None, service.organisation, {"holiday_calendars": "be mars"}, service=service)
    assert Service.objects.get(pk=service.pk).holiday_calendars == "be brussels"


@time_machine.travel("2026-11-23 09:00:00+00:00", tick=False)
def test_crisis_end_date_in_the_past_refused(themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(name_fr="Colis")
    form = StatusForm({"status": "closed", "note": "", "until": "2026-11-20"})
    assert form.is_valid() is False
    assert form.errors["until"] == ["La date de fin d’un statut ne peut pas être passée (20/11/2026)."]
    assert StatusForm({"status": "closed", "until": "2026-11-23"}).is_valid()
    with pytest.raises(ValidationError):
        services.set_crisis_status(None, service, CrisisStatus.CLOSED, "", date(2026, 11, 1))
    assert Service.objects.get(pk=service.pk).crisis_status == CrisisStatus.USUAL
    # A status whose end date has passed since is no longer shown.
    Service.objects.filter(pk=service.pk).update(crisis_status=CrisisStatus.REDUCED, crisis_until=date(2026, 11, 1))
    assert Service.objects.get(pk=service.pk).crisis_in_force is False
    coordinator = member(Role.FEDERATION_STAFF)
    page = client_for(coordinator).get(reverse("directory:service", args=[service.pk])).content.decode()
    assert "Service réduit" not in page


def test_detail_page_says_which_holidays_close_the_service(client, themes) -> None:  # type: ignore[no-untyped-def]
    service = make_service(name_fr="Colis")
    Service.objects.filter(pk=service.pk).update(holiday_calendars="be brussels")
    html = client.get(reverse("directory:service", args=[service.pk])).content.decode()
    assert '<dd class="directory-holidays">' in html


def test_sheet_line_says_closed_on_holidays_and_qr_keeps_needs(client, themes) -> None:  # type: ignore[no-untyped-def]
    from maillage.core.models import Commune

    service = make_service(name_fr="Colis", needs=[themes["FOOD"]], postal_code="1070", serves=["1070"],
                           hours=[("MO", time(9), time(17))])  # fmt: skip
    service.holiday_calendars = "be"
    service.save()  # saved as the services do: the search index follows
    anderlecht = Commune.objects.get(nis_code="21001")
    response = client.get(reverse("directory:sheet"), {"commune": anderlecht.pk, "needs": [themes["FOOD"].pk, themes["HOUSING"].pk]})  # fmt: skip
    assert "lun. 09:00–17:00 — fermé les jours fériés belges" in response.content.decode()
    link = response.context["link"]
    assert link == (
        f"http://testserver/directory/sheet/?commune={anderlecht.pk}"
        f"&needs={themes['FOOD'].pk}&needs={themes['HOUSING'].pk}"
    )
    again = client.get(link.removeprefix("http://testserver"))
    assert [need.pk for need, _results in again.context["rows"]] == [themes["FOOD"].pk, themes["HOUSING"].pk]


def test_index_agrees_with_rrule_around_holidays(themes) -> None:  # type: ignore[no-untyped-def]
    """Every hour from 9 to 13 November 2026 (Armistice on Wednesday 11): the in-memory index's
    answer equals opening.is_open() for overnight hours, day hours, and special hours on the holiday."""
    from datetime import timedelta

    from maillage.directory.models import ScheduleException
    from maillage.directory.search.generation import current_generation
    from maillage.directory.search.index import Moment, SearchIndex

    night = make_service(name_fr="Nuit", hours=[("MO,TU,WE,TH,FR", time(20), time(2))])
    day = make_service(name_fr="Jour", hours=[("MO,TU,WE,TH,FR", time(9), time(17))])
    special = make_service(name_fr="Spécial", hours=[("MO,TU,WE,TH,FR", time(9), time(17))])
    ScheduleException.objects.create(
        service=special, start_date=date(2026, 11, 11), end_date=date(2026, 11, 11), closed=False,
        opens_at=time(10), closes_at=time(12),
    )  # fmt: skip
    for service in (night, day, special):
        service.holiday_calendars = "be"
        service.save()
    index = SearchIndex.build(current_generation())
    moment = datetime(2026, 11, 9, 0, 30, tzinfo=BRUSSELS)
    checked = 0
    while moment < datetime(2026, 11, 14, tzinfo=BRUSSELS):
        for service in (night, day, special):
            fresh = Service.objects.prefetch_related("schedules", "schedule_exceptions").get(pk=service.pk)
            expected = is_open(fresh, moment)
            assert index.entries[service.pk].is_open(Moment.of(moment)) is expected, (service.name_fr, moment)
            checked += 1
        moment += timedelta(hours=1)
    assert checked == 3 * 5 * 24
    armistice_night = datetime(2026, 11, 11, 1, 0, tzinfo=BRUSSELS)  # Tuesday's night slot runs into the holiday
    assert index.entries[night.pk].is_open(Moment.of(armistice_night)) is True
    assert index.entries[special.pk].is_open(Moment.of(datetime(2026, 11, 11, 11, 0, tzinfo=BRUSSELS))) is True
    assert index.entries[day.pk].is_open(Moment.of(datetime(2026, 11, 11, 11, 0, tzinfo=BRUSSELS))) is False
