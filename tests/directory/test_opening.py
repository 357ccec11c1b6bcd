from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from maillage.directory.models import CrisisStatus, Frequency, Schedule, ScheduleException
from maillage.directory.opening import BRUSSELS, is_open, next_opening, slots_between, validate_recurrence
from tests.directory.factories import LocationFactory, ServiceFactory

pytestmark = pytest.mark.django_db

WEEKDAYS = "MO,TU,WE,TH,FR"


def at(day: int, hour: int, minute: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    service = ServiceFactory()
    Schedule.objects.create(service=service, byday=WEEKDAYS, opens_at=time(9), closes_at=time(12, 30))
    Schedule.objects.create(service=service, byday=WEEKDAYS, opens_at=time(13, 30), closes_at=time(17))
    return service


def test_is_open_inside_a_weekday_slot(service) -> None:  # type: ignore[no-untyped-def]
    # 23 November 2026 is a Monday.
    assert is_open(service, at(23, 10)) is True
    assert is_open(service, at(23, 9)) is True


def test_is_open_false_at_lunch_closing_time_and_weekend(service) -> None:  # type: ignore[no-untyped-def]
    assert is_open(service, at(23, 12, 30)) is False
    assert is_open(service, at(23, 13)) is False
    assert is_open(service, at(23, 17)) is False
    assert is_open(service, at(28, 10)) is False


def test_next_opening_same_day_after_lunch(service) -> None:  # type: ignore[no-untyped-def]
    assert next_opening(service, at(23, 12, 45)) == at(23, 13, 30)


def test_next_opening_over_the_weekend(service) -> None:  # type: ignore[no-untyped-def]
    assert next_opening(service, at(27, 18)) == at(30, 9)


def test_next_opening_accepts_utc_input(service) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC

    assert next_opening(service, datetime(2026, 11, 27, 17, 0, tzinfo=UTC)) == at(30, 9)


def test_naive_datetime_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="timezone-aware"):
        is_open(service, datetime(2026, 11, 23, 10))


def test_wall_clock_hours_survive_daylight_saving_change() -> None:
    service = ServiceFactory()
    Schedule.objects.create(service=service, byday="MO", opens_at=time(9), closes_at=time(17))
    # Summer time starts on Sunday 29 March 2026.
    before = next_opening(service, at(22, 0, month=3))
    after = next_opening(service, at(29, 0, month=3))
    assert before == at(23, 9, month=3)
    assert after == at(30, 9, month=3)
    assert before.utcoffset().total_seconds() == 3600  # type: ignore[union-attr]
    assert after.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


def test_closure_exception_closes_and_moves_next_opening(service) -> None:  # type: ignore[no-untyped-def]
    ScheduleException.objects.create(service=service, start_date=date(2026, 11, 23), end_date=date(2026, 11, 24))
    assert is_open(service, at(23, 10)) is False
    assert next_opening(service, at(23, 8)) == at(25, 9)


def test_special_hours_replace_regular_slots(service) -> None:  # type: ignore[no-untyped-def]
    ScheduleException.objects.create(
        service=service,
        start_date=date(2026, 11, 28),
        end_date=date(2026, 11, 28),
        closed=False,
        opens_at=time(10),
        closes_at=time(12),
    )
    assert is_open(service, at(28, 11)) is True
    assert next_opening(service, at(27, 18)) == at(28, 10)


def test_crisis_closed_until_a_date(service) -> None:  # type: ignore[no-untyped-def]
    service.crisis_status = CrisisStatus.CLOSED
    service.crisis_until = date(2026, 11, 25)
    service.save()
    assert is_open(service, at(23, 10)) is False
    assert next_opening(service, at(23, 10)) == at(26, 9)


def test_crisis_closed_without_end_date_never_opens(service) -> None:  # type: ignore[no-untyped-def]
    service.crisis_status = CrisisStatus.CLOSED
    service.save()
    assert is_open(service, at(23, 10)) is False
    assert next_opening(service, at(23, 10)) is None


def test_validity_period_limits_the_schedule() -> None:
    service = ServiceFactory()
    Schedule.objects.create(
        service=service,
        byday="MO",
        opens_at=time(9),
        closes_at=time(11),
        valid_from=date(2026, 12, 1),
        valid_to=date(2026, 12, 31),
    )
    assert is_open(service, at(23, 10)) is False
    assert next_opening(service, at(23, 10)) == at(7, 9, month=12)
    assert next_opening(service, at(29, 12, month=12)) is None


def test_every_other_week_from_valid_from() -> None:
    service = ServiceFactory()
    Schedule.objects.create(
        service=service, byday="TU", interval=2, opens_at=time(14), closes_at=time(16), valid_from=date(2026, 11, 3)
    )
    assert next_opening(service, at(4, 0)) == at(17, 14)


def test_monthly_first_wednesday() -> None:
    service = ServiceFactory()
    Schedule.objects.create(service=service, freq=Frequency.MONTHLY, byday="1WE", opens_at=time(18), closes_at=time(20))
    assert next_opening(service, at(23, 10)) == at(2, 18, month=12)


def test_overnight_slot_is_open_after_midnight() -> None:
    service = ServiceFactory()
    Schedule.objects.create(service=service, byday="FR", opens_at=time(22), closes_at=time(6))
    assert is_open(service, at(28, 2)) is True
    assert is_open(service, at(28, 7)) is False


def test_location_schedules() -> None:
    location = LocationFactory()
    Schedule.objects.create(location=location, byday="SA", opens_at=time(10), closes_at=time(12))
    assert is_open(location, at(28, 10, 30)) is True
    assert next_opening(location, at(23, 10)) == at(28, 10)


def test_slots_between_are_sorted(service) -> None:  # type: ignore[no-untyped-def]
    slots = slots_between(service, date(2026, 11, 23), date(2026, 11, 23))
    assert [(s.start, s.end) for s in slots] == [(at(23, 9), at(23, 12, 30)), (at(23, 13, 30), at(23, 17))]


def test_validate_recurrence_accepts_rfc5545() -> None:
    validate_recurrence("FREQ=WEEKLY;BYDAY=MO,TU")


@pytest.mark.parametrize("rule", ["FREQ=WEEKLY;BYDAY=XX", "FREQ=SOMETIMES", "FREQ=WEEKLY;INTERVAL=zero"])
def test_validate_recurrence_refuses_garbage(rule: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_recurrence(rule)
    assert error.value.code == "invalid_recurrence"


def test_days_display_in_french() -> None:
    weekly = Schedule(byday="MO,TU", opens_at=time(9), closes_at=time(12))
    monthly = Schedule(freq=Frequency.MONTHLY, byday="1WE", opens_at=time(9), closes_at=time(12))
    fortnightly = Schedule(byday="TU", interval=2, opens_at=time(9), closes_at=time(12))
    assert (weekly.days_display, monthly.days_display, fortnightly.days_display) == (
        "lun., mar.",
        "1. mer. du mois",
        "mar., toutes les 2 périodes",
    )
