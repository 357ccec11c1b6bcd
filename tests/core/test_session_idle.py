"""The session's idle timeout moves forward while its owner works, with at most one write a minute."""

from __future__ import annotations

import datetime

import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from maillage.core.models import User
from tests.conftest import client_for

START = datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC)


def _expiry(client: Client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_expiry_moves_forward_once_a_minute_while_the_person_works(worker: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = client_for(worker)
        client.get("/")
        first = _expiry(client)
        assert first == START + datetime.timedelta(seconds=settings.SESSION_COOKIE_AGE)

        clock.shift(30)  # within the minute: no write
        client.get("/")
        assert _expiry(client) == first

        clock.shift(31)  # a minute after the last touch: the idle clock restarts
        client.get("/")
        assert _expiry(client) == START + datetime.timedelta(seconds=61 + settings.SESSION_COOKIE_AGE)


def test_an_idle_session_expires_and_the_person_must_sign_in_again(worker: User) -> None:
    with time_machine.travel(START, tick=False) as clock:
        client = client_for(worker)
        assert client.get("/").context["user"].is_authenticated
        clock.shift(settings.SESSION_COOKIE_AGE + 1)
        assert not client.get("/").context["user"].is_authenticated


def test_anonymous_visits_create_no_session_row(db: None) -> None:
    Client().get("/")
    assert not Session.objects.filter(expire_date__gt=timezone.now()).exists()
