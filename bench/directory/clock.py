"""The bench's moment: every search is "open now", so a run taken at 05:00 finds nothing open and a
run at 17:20 finds half the services just closed. The benches travel to one fixed Brussels moment
(Monday 10:30 by default) with time-machine, the clock still ticking, so runs compare.

Set by `--at` in the bench scripts; the gunicorn workers read it from MAILLAGE_BENCH_AT through
`gunicorn_clock.py`.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

DEFAULT_AT = "2026-11-30T10:30"  # a Monday, Brussels wall clock
ENV = "MAILLAGE_BENCH_AT"


def moment(text: str) -> datetime:
    """A Brussels wall-clock moment written YYYY-MM-DDTHH:MM."""
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Brussels"))


def travel(text: str | None = None) -> time_machine.travel | None:
    """Starts travelling to `text` (or MAILLAGE_BENCH_AT); "now" keeps the real clock."""
    text = text or os.environ.get(ENV) or DEFAULT_AT
    if text == "now":
        return None
    traveller = time_machine.travel(moment(text), tick=True)
    traveller.start()
    return traveller
