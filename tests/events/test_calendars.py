"""Calendars that follow changes, against a real CalDAV server (Radicale) started for the test.

A confirmed participant's invitation is stored in the organisers' calendar; a moved session updates it
(same UID, higher SEQUENCE) and emails the new version; a cancelled registration or session removes it
and emails METHOD:CANCEL; a server that refuses keeps the copy pending with its answer, nothing lost.
"""

from __future__ import annotations

import base64
import http.server
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from caldav.davclient import DAVClient
from caldav.lib.error import NotFoundError
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from maillage.core.models import OutboxEmail, Role
from maillage.events import services
from maillage.events.models import CalendarCopy, EventKind, Registration, Status, calendar_uid
from tests.conftest import client_for
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory
from tests.factories import member

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m radicale` on a free port, its storage in a temporary folder, no authentication."""
    folder: Path = tmp_path_factory.mktemp("radicale")
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--storage-filesystem-folder",
            str(folder / "collections"),
            "--auth-type",
            "none",
            "--rights-type",
            "owner_write",
            "--server-hosts",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"Radicale did not start: {process.stderr.read() if process.stderr else ''}")  # noqa: B904
            time.sleep(0.1)
    base = f"http://127.0.0.1:{port}"
    client = DAVClient(url=base, username="maillage", password="x")
    client.principal().make_calendar(name="Events", cal_id="events")
    try:
        yield f"{base}/maillage/events/"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def caldav(settings, radicale: str):
    settings.MAILLAGE_CALDAV_URL = radicale
    settings.MAILLAGE_CALDAV_USER = "maillage"
    settings.MAILLAGE_CALDAV_PASSWORD = "x"
    return DAVClient(url=radicale, username="maillage", password="x").calendar(url=radicale)


def _stored(calendar, uid: str):
    """The stored copy's VEVENT, or None when the server has none."""
    try:
        item = calendar.event_by_uid(uid)
    except NotFoundError:
        return None
    return Calendar.from_ical(item.data).walk("VEVENT")[0]


def _attached_calendars(email: OutboxEmail) -> list[Calendar]:
    return [
        Calendar.from_ical(base64.b64decode(attachment["content"]))
        for attachment in email.attachments
        if attachment["mimetype"] == "text/calendar"
    ]


def _confirmed(register, event, on_commit, **fields) -> Registration:
    result = register(event, **fields)
    with on_commit(execute=True):
        confirm(result.participant)
    registration = Registration.objects.get(pk=result.registrations[0].pk)
    assert registration.status == Status.CONFIRMED
    return registration


def test_invitation_stored_updated_and_removed(caldav, register, organiser, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=10, contact_email="events@federation.example")
    session = event.sessions.first() or SessionFactory(event=event)
    registration = _confirmed(register, event, django_capture_on_commit_callbacks)
    uid = calendar_uid(session.pk, registration.pk)

    stored = _stored(caldav, uid)
    assert (str(stored["UID"]), int(stored["SEQUENCE"])) == (uid, 0)
    invitation = OutboxEmail.objects.filter(template="events/emails/invitation").get()
    [sent] = _attached_calendars(invitation)
    assert (str(sent["METHOD"]), str(sent.walk("VEVENT")[0]["UID"])) == ("REQUEST", uid)

    new_start = (session.starts_at + timedelta(days=2)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        services.move_session(organiser, session, new_start, new_start + timedelta(hours=2))
    stored = _stored(caldav, uid)
    assert (int(stored["SEQUENCE"]), stored["DTSTART"].dt) == (1, new_start)
    update = OutboxEmail.objects.filter(template="events/emails/calendar_change").latest("pk")
    [sent] = _attached_calendars(update)
    vevent = sent.walk("VEVENT")[0]
    assert (str(sent["METHOD"]), str(vevent["UID"]), int(vevent["SEQUENCE"])) == ("REQUEST", uid, 1)
    assert update.to == [registration.participant.email]

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(registration)
    assert _stored(caldav, uid) is None
    cancellation = OutboxEmail.objects.filter(template="events/emails/calendar_change").latest("pk")
    [sent] = _attached_calendars(cancellation)
    vevent = sent.walk("VEVENT")[0]
    assert (str(sent["METHOD"]), str(vevent["UID"]), str(vevent["STATUS"])) == ("CANCEL", uid, "CANCELLED")
    assert not CalendarCopy.objects.filter(pending=True).exists()


def test_a_cancelled_session_is_removed_for_its_group_only(
    caldav, register, organiser, django_capture_on_commit_callbacks
):
    event = EventFactory(kind=EventKind.INTERVISION, capacity=10)
    event.sessions.all().delete()
    group = GroupFactory(event=event)
    kept = SessionFactory(event=event, group=group)
    dropped = SessionFactory(event=event, group=group, starts_at=kept.starts_at + timedelta(days=7))
    registration = _confirmed(register, event, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.move_to_group(organiser, registration, group)
        services.send_invitation(registration)
    assert _stored(caldav, calendar_uid(dropped.pk, registration.pk)) is not None

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_session(organiser, dropped)
    assert _stored(caldav, calendar_uid(dropped.pk, registration.pk)) is None
    assert int(_stored(caldav, calendar_uid(kept.pk, registration.pk))["SEQUENCE"]) == 0
    email = OutboxEmail.objects.filter(template="events/emails/calendar_change").latest("pk")
    [sent] = _attached_calendars(email)
    assert (str(sent["METHOD"]), int(sent.walk("VEVENT")[0]["SEQUENCE"])) == ("CANCEL", 1)
    assert email.subject == f"Séance annulée : {event.title_fr}"


class _Refusing(http.server.BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        self.send_response(403)
        self.end_headers()

    do_DELETE = do_PUT  # noqa: N815

    def log_message(self, *args: object) -> None:
        pass


def test_a_refusing_server_loses_nothing(settings, caldav, radicale, register, django_capture_on_commit_callbacks):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.MAILLAGE_CALDAV_URL = f"http://127.0.0.1:{server.server_port}/cal/"
    try:
        event = EventFactory(capacity=10)
        SessionFactory(event=event)
        registration = _confirmed(register, event, django_capture_on_commit_callbacks)
    finally:
        server.shutdown()
        server.server_close()
    copy = CalendarCopy.objects.get(registration=registration)
    assert copy.pending
    assert copy.last_error == "Le serveur d'agenda a refusé l'invitation (réponse 403) ; elle reste en attente."
    # The invitation email left anyway.
    assert OutboxEmail.objects.filter(template="events/emails/invitation", to=[registration.participant.email]).exists()
    assert services.calendar_problems(event) == [copy]
    organiser_client = client_for(member(Role.ORGANISER, event.organisation, full_name="Olga"))
    page = organiser_client.get(reverse("events:manage_event", args=[event.pk])).content.decode()
    assert "Invitations pas encore dans l'agenda partagé" in page

    # An unreachable server: the same, with the reason.
    settings.MAILLAGE_CALDAV_URL = f"http://127.0.0.1:{_free_port()}/cal/"
    assert services.sync_calendars() == {"stored": 0, "removed": 0, "failed": 1}
    copy.refresh_from_db()
    assert copy.last_error.startswith("Le serveur d'agenda est injoignable (")
    assert copy.attempts == 2

    # The server back: the next run stores it.
    settings.MAILLAGE_CALDAV_URL = radicale
    assert services.sync_calendars() == {"stored": 1, "removed": 0, "failed": 0}
    assert _stored(caldav, copy.uid) is not None


def test_a_session_moved_before_registration_opens_is_refused(organiser):
    event = EventFactory(opens_at=timezone.now() + timedelta(days=3))
    session = SessionFactory(event=event, starts_at=timezone.now() + timedelta(days=10))
    with pytest.raises(ValidationError) as refused:
        services.move_session(
            organiser, session, timezone.now() + timedelta(days=1), timezone.now() + timedelta(days=2)
        )
    assert list(refused.value.message_dict) == ["starts_at"]
    session.refresh_from_db()
    assert session.sequence == 0
