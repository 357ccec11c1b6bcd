"""Shared fixtures: people in organisations, the outsider who must get 404, a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import importlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.core.cache import cache
from django.test import Client

from maillage.core.models import ROLES_REQUIRING_2FA, Organisation, Role, User
from tests.factories import OrganisationFactory, member


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that commits gets the migrations' data back (communes, postal codes...).

    A transactional test empties every table when it ends; without the serialized rollback the
    next one would run on a database without the geography the migrations loaded, and pass or
    fail with the order of the suite.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker is not None else {}
        commits = kwargs.get("transaction") or "live_server" in getattr(item, "fixturenames", ())
        if not commits or kwargs.get("serialized_rollback"):
            continue
        item.add_marker(
            pytest.mark.django_db(**{**kwargs, "transaction": True, "serialized_rollback": True}), append=False
        )
    items.sort(key=_slow_first_within_its_database_group)


def _slow_first_within_its_database_group(item: pytest.Item) -> tuple[int, float]:
    """pytest-django's order (plain database tests, then those that commit, then those without a database), and
    within each the tests marked slow first, longest first: run on several workers (bin/test's `-n`), a
    minutes-long test that started last would leave the other workers idle while it ends."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    commits = bool(marker and marker.kwargs.get("transaction")) or bool({"transactional_db", "live_server"} & fixtures)
    uses_db = marker is not None or "db" in fixtures
    group = 1 if commits else 0 if uses_db else 2
    slow = item.get_closest_marker("slow")
    return group, -float(slow.kwargs.get("seconds", 1)) if slow else 0.0


@pytest.fixture(autouse=True)
def _reference_geography(request: pytest.FixtureRequest) -> None:
    """Put back the communes and postal codes of the data migration after a transactional test flushed them."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames)
    if not uses_db:
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from maillage.core.models import Commune

    if not Commune.objects.exists():
        from django.apps import apps

        from maillage.core.geography import forget_postal_locations

        migration = importlib.import_module("maillage.core.migrations.0002_load_geography")
        migration.load(apps, None)
        importlib.import_module("maillage.core.migrations.0006_postal_ranges_end_at_codes_in_use").tighten(apps, None)
        forget_postal_locations()  # the reloaded rows have new ids


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, settings) -> None:  # type: ignore[no-untyped-def]
    """Argon2 is deliberately slow; tests hash with MD5 unless marked `argon2`."""
    if not request.node.get_closest_marker("argon2"):
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


TOTP_SECRET = "JBSWY3DPEHPK3PXP"


def give_totp(user: User) -> None:
    """Set up TOTP for the person with a known secret (see totp_code)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, TOTP_SECRET)


def totp_code() -> str:
    """The current code of TOTP_SECRET, as an authenticator app would show it."""
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


def client_for(user: User) -> Client:
    """A test client signed in as `user` (with TOTP set up where their role requires it)."""
    if any(m.role in ROLES_REQUIRING_2FA for m in user.memberships.all()):
        give_totp(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def organisation(db: None) -> Organisation:
    return OrganisationFactory(short_name="CSS Test", postal_code="1060")


@pytest.fixture
def other_organisation(db: None) -> Organisation:
    return OrganisationFactory(short_name="Autre Centre", postal_code="1030")


@pytest.fixture
def worker(organisation: Organisation) -> User:
    return member(Role.WORKER, organisation, full_name="Awa Worker")


@pytest.fixture
def coordinator(organisation: Organisation) -> User:
    return member(Role.COORDINATOR, organisation, full_name="Cora Coordinator")


@pytest.fixture
def federation(db: None) -> Organisation:
    return OrganisationFactory(short_name="FdSS", sector="federation")


@pytest.fixture
def federation_staff(federation: Organisation) -> User:
    return member(Role.FEDERATION_STAFF, federation, full_name="Fede Staff")


@pytest.fixture
def outsider(other_organisation: Organisation) -> User:
    """Someone with every ordinary role, but in another organisation: must get 404 on our objects."""
    user = member(Role.WORKER, other_organisation, full_name="Otto Outsider")
    for role in (Role.COORDINATOR, Role.RESPONDER, Role.ORGANISER):
        user.memberships.create(organisation=other_organisation, role=role)
    return user


@pytest.fixture
def outsider_client(outsider: User) -> Client:
    return client_for(outsider)


def assert_outsider_gets_404(client: Client, *urls: str, method: str = "get") -> None:
    """Each URL answers 404 to this client, for GET or POST."""
    for url in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} gave {response.status_code}, not 404"


@dataclass
class SMTPInbox:
    host: str
    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(content, policy=email.policy.default))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def last_to(self, address: str) -> EmailMessage:
        for message in reversed(self.messages):
            if address in message["To"]:
                return message
        raise AssertionError(f"No email to {address} among {len(self.messages)}")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_inbox(settings: object) -> Iterator[SMTPInbox]:
    """A real SMTP server on loopback; Django sends to it through its SMTP backend."""
    inbox = SMTPInbox("127.0.0.1", _free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"  # type: ignore[attr-defined]
    settings.EMAIL_HOST = inbox.host  # type: ignore[attr-defined]
    settings.EMAIL_PORT = inbox.port  # type: ignore[attr-defined]
    settings.EMAIL_USE_TLS = False  # type: ignore[attr-defined]
    settings.EMAIL_HOST_USER = ""  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def request_themes(db: None):  # type: ignore[no-untyped-def]
    """The starter request-themes scheme, published (the same CSV the demo loads)."""
    from maillage.taxonomy.demo import STARTER_SCHEMES, ensure_scheme

    return ensure_scheme(*STARTER_SCHEMES[0])
