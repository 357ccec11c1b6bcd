from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from maillage.core.models import Organisation, Role, Sector
from maillage.surveys import services
from maillage.surveys.models import Audience, Kind, Survey
from tests.factories import OrganisationFactory, member


def items(*labels: str) -> list[dict[str, str]]:
    return [
        {"value": str(n + 1), "fr": label, "nl": label + " (nl)", "en": label + " (en)"}
        for n, label in enumerate(labels)
    ]


@pytest.fixture
def staff(db: None):  # type: ignore[no-untyped-def]
    return member(Role.FEDERATION_STAFF, OrganisationFactory(sector=Sector.FEDERATION))


def make_survey(staff, audience: str = Audience.ORGANISATIONS, **extra) -> Survey:  # type: ignore[no-untyped-def]
    now = timezone.now()
    fields = {"title_fr": "Besoins", "title_nl": "Noden", "audience": audience,
              "opens_at": now - dt.timedelta(days=1), "closes_at": now + dt.timedelta(days=10)}  # fmt: skip
    fields.update(extra)
    return services.create_survey(staff, fields)


def add_questions(staff, survey: Survey) -> None:  # type: ignore[no-untyped-def]
    masks = services.add_question(
        staff, survey, {"kind": Kind.SINGLE, "text_fr": "Masques ?", "required": True, "choices": items("Oui", "Non")}
    )
    services.add_question(staff, survey, {"kind": Kind.NUMBER, "text_fr": "Combien ?", "minimum": 0, "maximum": 10000,
                                           "condition_question": masks, "condition_value": "1", "required": True})  # fmt: skip
    services.add_question(staff, survey, {"kind": Kind.GRID, "text_fr": "Matériel", "choices": items("Assez", "Manque"),
                                           "rows": items("Gants", "Gel")})  # fmt: skip
    services.add_question(staff, survey, {"kind": Kind.LONG_TEXT, "text_fr": "Commentaire"})


@pytest.fixture
def coordinators(db: None) -> list[tuple[Organisation, object]]:
    result = []
    for n, (sector, region) in enumerate([(Sector.CASG, "brussels"), (Sector.CPAS, "wallonia")]):
        organisation = OrganisationFactory(sector=sector, region=region)
        result.append((organisation, member(Role.COORDINATOR, organisation, email=f"coord{n}@example.org")))
    return result
