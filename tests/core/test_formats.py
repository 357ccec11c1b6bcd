"""English dates read day before month, as everyone in Belgium writes them."""

from __future__ import annotations

import datetime as dt

from django.utils import formats, translation


def test_english_dates_are_day_month_year():
    day = dt.date(2026, 12, 4)
    moment = dt.datetime(2026, 12, 4, 15, 30)
    with translation.override("en"):
        assert formats.date_format(day) == "4 December 2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "04/12/2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "4 December 2026, 15:30"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


def test_english_forms_read_day_month_year():
    from django import forms

    with translation.override("en"):
        assert forms.DateField().clean("04/12/2026") == dt.date(2026, 12, 4)
        assert forms.DateField().clean("2026-12-04") == dt.date(2026, 12, 4)
