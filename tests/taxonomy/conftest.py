"""Fixtures for taxonomy: a small scheme in versions, and a signed-in federation staff member."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from django.utils import translation

from maillage.core.models import Organisation, Role, User
from maillage.taxonomy import services
from maillage.taxonomy.models import Scheme, SchemeVersion
from tests.conftest import client_for
from tests.factories import SchemeFactory, member

V1_CSV = """code,parent_code,label_fr,label_nl,label_en,description,active
FOOD,,Aide alimentaire,Voedselhulp,Food aid,,yes
FOOD.PARCEL,FOOD,Colis alimentaire,Voedselpakket,Food parcel,,yes
FOOD.SHOP,FOOD,Épicerie sociale,Sociale kruidenier,Social grocery,,yes
HOUSING,,Logement,Huisvesting,Housing,,yes
HOUSING.RENT,HOUSING,Loyer impayé,Onbetaalde huur,Unpaid rent,,yes
"""

# v2: FOOD.PARCEL and FOOD.SHOP merged into FOOD.AID; HOUSING.RENT unchanged.
V2_CSV = """code,parent_code,label_fr,label_nl,label_en,description,active
FOOD,,Aide alimentaire,Voedselhulp,Food aid,,yes
FOOD.AID,FOOD,Colis et épicerie,Pakketten en kruidenier,Parcels and grocery,,yes
HOUSING,,Logement,Huisvesting,Housing,,yes
HOUSING.RENT,HOUSING,Loyer impayé,Onbetaalde huur,Unpaid rent,,yes
"""


@pytest.fixture
def scheme(db: None) -> Scheme:
    return SchemeFactory(code="themes", label_fr="Thèmes", label_nl="Thema's", label_en="Themes")


@pytest.fixture
def v1(scheme: Scheme) -> SchemeVersion:
    """Version 1, published, with two level-1 and three level-2 categories."""
    version = services.create_draft(None, scheme, title="2025")
    assert services.import_categories_csv(None, version, V1_CSV).errors == []
    return services.publish_version(None, version)


@pytest.fixture
def v2_draft(v1: SchemeVersion) -> SchemeVersion:
    """Version 2, a draft whose categories are V2_CSV (FOOD.PARCEL and FOOD.SHOP not mapped yet)."""
    version = services.create_draft(None, v1.scheme)
    assert services.import_categories_csv(None, version, V2_CSV).errors == []
    return version


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # type: ignore[no-untyped-def]
    """Argon2 is slow on purpose; these tests sign in with force_login and never check a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are asserted in English, the source language."""
    with translation.override("en"):
        yield


@pytest.fixture
def staff(federation: Organisation) -> User:
    """Federation staff reading the app in English."""
    return member(Role.FEDERATION_STAFF, federation, full_name="Fede Staff", language="en")


@pytest.fixture
def staff_client(staff: User) -> Client:
    return client_for(staff)


@pytest.fixture
def administrator(db: None) -> User:
    return member(Role.ADMINISTRATOR, full_name="Ada Admin", language="en")
