"""The line's thermometer: today against the mean of the same weekday over the last eight weeks."""

from __future__ import annotations

import base64
import re
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
        # The charts: SVG drawn on the server, their figures in the alt text and in the tables below them.
        hours_chart, themes_chart = page.context["hours_chart"], page.context["themes_chart"]
        assert hours_chart.alt == (
            "Appels par heure — aujourd'hui (moyenne du même jour de la semaine, 8 dernières semaines): 10:00 2 (0.4)"
        )
        assert themes_chart.alt == (
            "Demandes par thème — aujourd'hui (moyenne du même jour de la semaine, 8 dernières semaines): "
            "FOOD Aide alimentaire 2 (0); HOUSING Logement et sans-abrisme 1 (0.4)"
        )
        svg = base64.b64decode(hours_chart.data_uri.removeprefix("data:image/svg+xml;base64,")).decode()
        assert svg.startswith("<?xml")
        assert svg.count(">10:00<") == 1  # the hour's label, as text in the SVG
        html = page.content.decode()
        assert html.count('<figure class="chart"><img src="data:image/svg+xml;base64,') == 2
        hours_table = html.split('id="thermometer-hours"')[1].split("</table>")[0]
        assert re.findall(r'<td class="number">([^<]*)</td>', hours_table) == ["2", "0,4", "1,6"]
        assert client_for(responder).get(reverse("helpline:thermometer")).status_code == 404
