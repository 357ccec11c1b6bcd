"""Case-work fixtures: the three category schemes, a centre's worker with a case file."""

from __future__ import annotations

from typing import Any

import pytest

from maillage.casework.models import CaseFile
from maillage.core.models import Organisation, User
from tests.casework.factories import CaseFileFactory, PersonFactory


@pytest.fixture
def casework_schemes(db: None) -> list:
    """request-themes, institution-concerned and request-stage, published (the CSVs the demo loads)."""
    from maillage.casework.schemes import ensure_casework_schemes

    return ensure_casework_schemes()


@pytest.fixture
def case_file(organisation: Organisation, worker: User, casework_schemes: list) -> CaseFile:
    person = PersonFactory(organisation=organisation, reference="P-000001")
    return CaseFileFactory(person=person, workers=[worker])


@pytest.fixture(autouse=True)
def _english(settings):  # type: ignore[no-untyped-def]
    """Assertions use the English source strings; translation tests switch language themselves."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
    with translation.override("en"):
        yield


@pytest.fixture
def worker(organisation: Organisation) -> User:
    """The centre's worker, reading English (the source strings the assertions use)."""
    from tests.factories import member

    return member("worker", organisation, full_name="Awa Worker", language="en")


@pytest.fixture
def coordinator(organisation: Organisation) -> User:
    from tests.factories import member

    return member("coordinator", organisation, full_name="Cora Coordinator", language="en")


@pytest.fixture
def world(db: None, casework_schemes: list) -> dict[str, Any]:
    """Three centres of random case work over 2023–2025, both versions of the themes in use, roll-ups built
    (the roll-up and the columnar copy tests)."""
    import datetime
    import random

    from maillage.casework import rollups_rebuild
    from maillage.core.models import Role
    from maillage.stats.crosstab import Scope
    from maillage.taxonomy import services as taxonomy
    from maillage.taxonomy.models import Category, Scheme
    from maillage.taxonomy.queries import active_categories
    from tests.casework.factories import FollowUpFactory, RequestFactory, SubsidyFactory
    from tests.factories import OrganisationFactory, member

    rng = random.Random(11)
    v1 = {c.code: c for c in active_categories("request-themes").filter(level=2)}
    draft = taxonomy.create_draft(None, Scheme.objects.get(code="request-themes"), title="v2")
    Category.objects.get(version=draft, code="FOOD.PARCEL").delete()  # merged into the social grocery
    taxonomy.record_mapping(None, v1["FOOD.PARCEL"], Category.objects.get(version=draft, code="FOOD.SOCIALSHOP"))
    taxonomy.publish_version(None, draft)
    v2 = list(active_categories("request-themes").filter(level=2))
    themes = [v1["FOOD.PARCEL"], v1["FOOD.MEALS"], v1["HOUSING.RENT"], *rng.sample(v2, 6)]
    institutions = [None, *rng.sample(list(active_categories("institution-concerned").filter(level=2)), 4)]
    stages = [None, *rng.sample(list(active_categories("request-stage").filter(level=2)), 3)]
    subsidies = [SubsidyFactory(), SubsidyFactory()]
    centres = [OrganisationFactory() for _ in range(3)]
    workers = {centre.pk: [member(Role.WORKER, centre) for _ in range(3)] for centre in centres}
    files = []
    for index in range(30):
        centre = centres[index % 3]
        person = PersonFactory(
            organisation=centre,
            reference=f"P-{index:06d}",
            sex=rng.choice("fmxu"),
            postal_code=rng.choice(["1000", "1030", "1210", ""]),
            household=rng.choice(["single", "couple", "unknown"]),
            income_source=rng.choice(["work", "integration", "unknown"]),
            nationality_group=rng.choice(["be", "eu", "non_eu"]),
        )
        files.extend(CaseFileFactory(person=person) for _ in range(rng.choice([1, 1, 2])))
    for _ in range(260):
        case_file = rng.choice(files)
        follow_up = FollowUpFactory(
            case_file=case_file,
            worker=rng.choice(workers[case_file.organisation_id]),
            mode=rng.choice(["phone", "walk_in", "appointment", "email"]),
            subsidy=rng.choice([None, *subsidies]),
            age_band=rng.choice(["18-24", "25-34", "65+"]),
            date=datetime.date(rng.choice([2023, 2024, 2025]), rng.randint(1, 12), rng.randint(1, 28)),
        )
        for _ in range(rng.choice([0, 1, 1, 2, 3])):  # some follow-ups have no request at all
            RequestFactory(
                follow_up=follow_up,
                theme=rng.choice(themes),
                institution=rng.choice(institutions),
                stage=rng.choice(stages),
            )
    rollups_rebuild.rebuild()
    return {
        "scope": Scope([c.pk for c in centres]),
        "one": Scope([centres[0].pk]),
        "rng": rng,
        "themes": themes,
        "subsidies": subsidies,
        "workers": workers,
        "files": files,
        "v1": v1["FOOD.PARCEL"].version.number,
    }
