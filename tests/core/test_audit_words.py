"""The audit log reads in words: translated actions, role and language names, yes/no instead of Python values."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from maillage.core.audit import log_action
from maillage.core.audit_words import describe_code, describe_data
from tests.conftest import client_for


@pytest.mark.parametrize(
    ("language", "code", "words"),
    [
        ("fr", "casework.person.read", "Personne — consultation"),
        ("nl", "casework.person.read", "Persoon — ingezien"),
        ("en", "core.membership.granted", "Role — granted"),
        ("fr", "events.registration.cancelled", "Inscription — annulation"),
        ("en", "future.new_thing.sparkled", "New thing — sparkled"),
    ],
)
def test_codes_read_as_words(language: str, code: str, words: str):
    with translation.override(language):
        assert describe_code(code) == words


def test_values_read_as_words():
    with translation.override("fr"):
        assert describe_data(
            {"role": "coordinator", "languages": ["ar", "fr"], "is_private": True, "user_id": 12, "note": None}
        ) == [
            ("role", "Coordinateur·rice"),
            ("languages", "arabe, français"),
            ("is private", "Oui"),
            ("user id", "12"),
            ("note", "—"),
        ]


@pytest.mark.django_db
def test_the_audit_page_shows_words(coordinator, organisation):
    log_action(coordinator, "core.membership.granted", organisation, {"role": "worker"})
    client = client_for(coordinator)
    client.cookies["django_language"] = "nl"
    body = client.get(reverse("core:audit_log"), HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    assert "Rol — toegekend" in body
    assert "role: Maatschappelijk werker" in body


def test_language_codes_read_as_names_in_the_readers_language():
    from maillage.core.templatetags.languages import language_names

    with translation.override("fr"):
        assert language_names(["ar", "fr", "xx"]) == "arabe, français, xx"
    with translation.override("nl"):
        assert language_names(["ar", "fr"]) == "Arabisch, Frans"
