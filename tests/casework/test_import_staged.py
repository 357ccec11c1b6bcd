"""The follow-ups import staged in SQL (`imports.staged`, PostgreSQL) reports every kind of bad line in the
words and order of the row-by-row path (`imports.one_by_one` with `checking.RowChecker`), and writes the same."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from maillage.casework.models import ImportKind
from tests.casework.test_import_bulk_writes import (  # noqa: F401 - fixtures
    FOLLOW_UPS,
    PERSONS,
    _both_ways,
    centre,
    import_storage,
)

pytestmark = pytest.mark.django_db


def test_every_kind_of_bad_line_is_reported_as_the_row_by_row_path_does(centre, monkeypatch):  # noqa: F811
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    bad = (
        FOLLOW_UPS
        + ",P1,2024-03-09,phone,,FOOD.PARCEL,,,,\n"  # no identifier
        + "F10,Ptheme,2024-03-09,phone,,,,,,\n"  # unknown person whose identifier says "theme", no theme
        + "F11,P404,2024-03-09,,,,,,,\n"  # unknown person, no mode, no theme
        + f"F12,P1,{tomorrow},phone,0,FOOD.PARCEL,NOT.AN.INSTITUTION,,NOT.A.THEME,\n"  # future, duration, codes
        + "F13,P1,2022-12-31,bus,abc,FOOD.PARCEL,,,,\n"  # before P1's case file, unknown mode, not a number
        + "F14,P3,1890-01-01,phone,,HOUSING.SEARCH,,,,\n"  # a year without partition (PostgreSQL)
        + "F3,P3,2024-03-06,phone,,FOOD.PARCEL,,,,\n"  # F3 already on line 4
        + "F15,P3,31/02/2024,phone,,,,,HOUSING.SEARCH,\n"  # not a date, first theme missing
    )
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, bad)]
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, files)
    assert fast_reports == slow_reports
    assert fast == slow
    errors = slow_reports[1][3]
    assert [line for line, _message in errors] == list(range(7, 15))


def test_a_re_import_updates_and_creates_as_the_row_by_row_path_does(centre, monkeypatch):  # noqa: F811
    again = FOLLOW_UPS.replace("F2,P1,2024-03-02,appointment", "F2,P1,2025-01-02,walk_in")
    files = [(ImportKind.PERSONS, PERSONS), (ImportKind.FOLLOWUPS, FOLLOW_UPS), (ImportKind.FOLLOWUPS, again)]
    (slow_reports, slow), (fast_reports, fast) = _both_ways(centre, monkeypatch, files)
    assert fast_reports == slow_reports
    assert fast == slow
    assert slow_reports[2][1:3] == (0, 5)
