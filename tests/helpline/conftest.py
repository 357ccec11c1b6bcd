"""Fixtures of the helpline: the line (run by the federation), responders, categories, a service."""

from __future__ import annotations

from datetime import time
from typing import Any

import pytest
from django.test import Client

from maillage.core.models import Organisation, Role, User
from maillage.taxonomy.models import Category
from tests.conftest import client_for
from tests.factories import OrganisationFactory, member


@pytest.fixture
def line(federation: Organisation) -> Organisation:
    """The organisation running the helpline."""
    return federation


@pytest.fixture
def responder(line: Organisation) -> User:
    return member(Role.RESPONDER, line, full_name="Rita Responder")


@pytest.fixture
def other_responder(line: Organisation) -> User:
    return member(Role.RESPONDER, line, full_name="Rob Responder")


@pytest.fixture
def responder_client(responder: User) -> Client:
    return client_for(responder)


@pytest.fixture
def staff_client(federation_staff: User) -> Client:
    return client_for(federation_staff)


@pytest.fixture
def other_line_responder(db: None) -> User:
    """A responder of another helpline: must see nothing of ours."""
    other = OrganisationFactory(short_name="Autre Ligne", sector="federation")
    user = member(Role.RESPONDER, other, full_name="Olga Otherline")
    user.memberships.create(organisation=other, role=Role.FEDERATION_STAFF)
    return user


@pytest.fixture
def no_role_user(line: Organisation) -> User:
    """Someone of the federation itself, but without a helpline role."""
    return member(Role.ORGANISER, line, full_name="Nora Norole")


@pytest.fixture
def themes(request_themes: Any) -> dict[str, Category]:
    version = request_themes.versions.get(status="published")
    return {category.code: category for category in Category.objects.filter(version=version)}


@pytest.fixture
def food_service(themes: dict[str, Category]) -> Any:
    from tests.directory.factories import make_service

    everyday = "MO,TU,WE,TH,FR,SA,SU"
    return make_service(
        name_fr="Épicerie sociale du Midi",
        needs=[themes["FOOD"]],
        postal_code="1060",
        serves=["1060", "1070"],
        languages=["fr", "nl"],
        hours=[(everyday, time(0, 0), time(23, 59))],
    )
