"""A small sector: six member centres with 2025 follow-ups, one request each, our centre "CSS A" among them."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from django.core.cache import cache

from maillage.core.models import Organisation, User
from tests.casework.factories import CaseFileFactory, FollowUpFactory, PersonFactory, RequestFactory, category
from tests.factories import OrganisationFactory, member

# centre → theme code → persons (one follow-up, one request each), in 2025
PLAN = {
    "CSS A": {"FOOD.PARCEL": 10, "HOUSING.RENT": 3},
    "CSS B": {"FOOD.PARCEL": 8, "HOUSING.RENT": 6},
    "CSS C": {"FOOD.PARCEL": 7, "HOUSING.RENT": 2},
    "CSS D": {"FOOD.PARCEL": 12},
    "CSS E": {"FOOD.PARCEL": 5, "HOUSING.RENT": 5},
    "CSS F": {"FOOD.PARCEL": 9, "INCOME.BENEFITS": 1},
}
YEAR = 2025
# Every follow-up of the plan on one day: the periods of the year hold all of it or nothing, so the disclosure
# family (every period of the grid linked through the months) hides only what the year's table needs.
DAY = datetime.date(YEAR, 3, 10)


@dataclass
class World:
    centres: dict[str, Organisation]
    coordinator: User
    worker: User
    outsider: User
    staff: User

    @property
    def ours(self) -> Organisation:
        return self.centres["CSS A"]


def add_persons(centre: Organisation, worker: User, theme: str, n: int, *, day: datetime.date, sex: str = "f") -> None:
    for _ in range(n):
        person = PersonFactory(organisation=centre, sex=sex)
        case_file = CaseFileFactory(person=person)
        followup = FollowUpFactory(case_file=case_file, worker=worker, date=day, actions=["information"])
        RequestFactory(follow_up=followup, theme=category("request-themes", theme))


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    from maillage.casework.schemes import ensure_casework_schemes

    ensure_casework_schemes()
    centres = {}
    coordinator = worker = None
    for name, themes in PLAN.items():
        centre = OrganisationFactory(short_name=name)
        centres[name] = centre
        staff_member = member("worker", centre, language="en")
        if name == "CSS A":
            worker = staff_member
            coordinator = member("coordinator", centre, full_name="Cora Coordinator", language="en")
        for theme, n in themes.items():
            add_persons(centre, staff_member, theme, n, day=DAY)
    federation = OrganisationFactory(short_name="FdSS", sector="federation")
    staff = member("federation_staff", federation, language="en")
    other = OrganisationFactory(short_name="Other", is_member=True)
    outsider = member("coordinator", other, language="en")
    assert coordinator is not None
    assert worker is not None
    return World(centres, coordinator, worker, outsider, staff)
