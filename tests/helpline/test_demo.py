from __future__ import annotations

import pytest

from maillage.core import demo as core_demo
from maillage.core.demo_context import DemoContext
from maillage.helpline import demo
from maillage.helpline.models import Call, Request, Shift, ShiftDebriefing
from maillage.taxonomy import demo as taxonomy_demo

pytestmark = pytest.mark.django_db


def _load() -> DemoContext:
    context = DemoContext()
    core_demo.load(context)
    taxonomy_demo.load(context)
    demo.load(context)
    return context


def test_demo_is_realistic_and_loads_once():
    context = _load()
    calls, requests = Call.objects.count(), Request.objects.count()
    assert 400 <= calls <= 1200
    assert 1.15 <= requests / calls <= 1.45
    food_calls = Call.objects.filter(requests__theme__code="FOOD").distinct().count()
    assert 0.18 <= food_calls / calls <= 0.32
    assert Shift.objects.filter(responders=context.accounts["responder"]).exists()
    assert ShiftDebriefing.objects.exists()
    assert context.notes[-1].startswith(f"Helpline: {calls} calls / {requests} requests")
    demo.load(context)
    assert Call.objects.count() == calls
