"""schemathesis against the directory's OpenAPI document, in-process through WSGI: no server errors, answers as documented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from maillage.wsgi import application
from tests.directory.factories import make_service

schema = schemathesis.openapi.from_wsgi("/directory/api/openapi.json", application)


@pytest.fixture
def published_services(db: None) -> Iterator[None]:
    """Two services, and the test's database connection kept open across requests (as Django's test client does)."""
    make_service(postal_code="1060", phone="02 512 34 56")
    make_service(postal_code="1000", serves=["1070"])
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("published_services")
@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_directory_api_answers_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate()
