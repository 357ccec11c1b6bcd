"""Case-work fixtures: the three category schemes, a centre's worker with a case file."""

from __future__ import annotations

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
