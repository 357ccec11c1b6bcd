"""The line's thermometer: today against the mean of the same weekday over the last eight weeks."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from maillage.helpline.thermometer import thermometer
from tests.conftest import client_for
from tests.helpline.factories import log

pytestmark = pytest.mark.django_db


def test_today_against_the_same_weekday_of_the_last_eight_weeks(responder, federation_staff, line, themes):
    today = timezone.localdate()
    now = timezone.make_aware(datetime.combine(today, time(16)))
    food = {"category": "FOOD.PARCEL", "action": "information"}
    rent = {"category": "HOUSING.RENT", "action": "information"}
    with time_machine.travel(now, tick=False):
        log(responder, food, at=timezone.make_aware(datetime.combine(today, time(10, 5))))
        log(responder, food, rent, at=timezone.make_aware(datetime.combine(today, time(10, 40))))
        for weeks in (1, 2, 8):  # same weekday: counted
            log(responder, rent, at=timezone.make_aware(datetime.combine(today - timedelta(weeks=weeks), time(10))))
        log(responder, rent, at=timezone.make_aware(datetime.combine(today - timedelta(weeks=9), time(10))))  # too old
        log(responder, rent, at=timezone.make_aware(datetime.combine(today - timedelta(days=1), time(11))))  # other day
        hours, themes = thermometer(line.pk)
        assert [(r.label, r.today, r.average) for r in hours] == [("10:00", 2, 0.4)]
        assert [(r.key, r.today, r.average, r.difference) for r in themes] == [
            ("FOOD", 2, 0.0, 2.0),
            ("HOUSING", 1, 0.4, 0.6),
        ]
        page = client_for(federation_staff).get(reverse("helpline:thermometer"))
        assert [r.key for r in page.context["themes"]] == ["FOOD", "HOUSING"]
        assert client_for(responder).get(reverse("helpline:thermometer")).status_code == 404
