"""Edges: busy locks on the page, unknown links, waiting-list cancellations, theme pages and exports."""

from __future__ import annotations

import pytest
import time_machine
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import OutboxEmail, OutboxStatus
from maillage.events import services
from maillage.events.models import EventKind, Registration, Status
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


def test_busy_lock_asks_to_send_again(client, event, monkeypatch):
    def locked(*args, **kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(services.Event.objects, "select_for_update", locked)
    response = client.post(
        reverse("events:event", args=[event.slug]),
        {"full_name": "A", "email": "a@example.org", "organisation_name": "X"},
    )
    assert response.status_code == 409
    assert response.context["form"].non_field_errors() == [
        "Beaucoup de personnes s'inscrivent en ce moment. Merci de renvoyer le formulaire."
    ]


def test_confirmation_link_of_a_deleted_participant_is_invalid():
    token = signing.TimestampSigner(salt=services.CONFIRM_SALT).sign("999999")
    with pytest.raises(ValidationError):
        services.confirm_email(token)


def test_cancelling_or_refusing_a_waiting_person_offers_nothing(organiser, register):
    event = EventFactory(capacity=1)
    holder = register(event)
    first, second = register(event), register(event)
    confirm(second.participant)
    services.cancel_registration(first.registrations[0])
    services.refuse_registration(organiser, Registration.objects.get(pk=second.registrations[0].pk))
    assert dict(Registration.objects.values_list("pk", "status")) == {
        holder.registrations[0].pk: Status.PENDING,
        first.registrations[0].pk: Status.CANCELLED,
        second.registrations[0].pk: Status.REFUSED,
    }


def test_group_sessions_in_a_registration(organiser, register):
    event = EventFactory(kind=EventKind.INTERVISION)
    group = GroupFactory(event=event)
    session = SessionFactory(event=event, group=group)
    result = register(event)
    confirm(result.participant)
    registration = services.move_to_group(organiser, result.registrations[0], group)
    assert [s.pk for s in services.sessions_of(registration)] == [session.pk]


def test_series_page_shows_places_per_theme(client):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES, per_organisation=2)
    theme = ThemeFactory(event=event, capacity=40)
    SessionFactory(event=event, theme=theme)
    response = client.get(reverse("events:event", args=[event.slug]))
    assert [(s.label, s.capacity, s.taken, s.free) for s in response.context["seats"]] == [
        (event.title_fr, None, 0, None),
        (theme.title_fr, 40, 0, 40),
    ]


def test_csv_leaves_sessions_of_other_themes_blank(organisation, organiser_client, register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES, organisation=organisation)
    one, two = ThemeFactory(event=event), ThemeFactory(event=event)
    SessionFactory(event=event, theme=one)
    SessionFactory(event=event, theme=two)
    result = register(event, full_name="Bo", email="bo@example.org", organisation_name="X", themes=[one])
    confirm(result.participant)
    response = organiser_client.get(reverse("events:attendance_csv", args=[event.pk]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[1] == f"Bo;bo@example.org;X;{one.title_fr};;absent·e;"


def test_organiser_certificate_and_invalid_forms(organisation, organiser, organiser_client, register):
    event = EventFactory(organisation=organisation)
    session = SessionFactory(event=event)
    result = register(event)
    confirm(result.participant)
    registration = Registration.objects.get(pk=result.registrations[0].pk)
    services.check_in_by_name(organiser, session, registration)
    response = organiser_client.get(reverse("events:manage_certificate", args=[event.pk, registration.pk]))
    assert [a.session for a in response.context["attended"]] == [session]
    response = organiser_client.post(reverse("events:notes", args=[event.pk]), {"breakout-name": ""})
    assert response.context["breakout_form"].errors == {"name": ["Ce champ est obligatoire."]}
    response = organiser_client.post(reverse("events:recommendations", args=[event.pk]), {"diagnosis": ""})
    assert sorted(response.context["form"].errors) == ["diagnosis", "position", "recommendation"]
    response = organiser_client.post(reverse("events:message", args=[event.pk]), {"audience": "event"})
    assert sorted(response.context["form"].errors) == ["body", "subject"]


def test_rapporteur_link_writes_notes_without_an_account(client, organisation, organiser, organiser_client):
    event = EventFactory(organisation=organisation)
    breakout = services.add_breakout(organiser, event, "Sous-groupe 3", rapporteur="Rita")
    # The token carries a timestamp: freeze the clock so the page's link and ours are signed at the same second.
    with time_machine.travel(timezone.now(), tick=False):
        notes = organiser_client.get(reverse("events:notes", args=[event.pk]))
        link = notes.context["breakouts"][0][1]
        assert link == "http://testserver" + reverse("events:rapporteur", args=[services.rapporteur_token(breakout)])
    path = link.removeprefix("http://testserver")
    assert client.get(path).status_code == 200
    question = event.questions.get(position=4)
    response = client.post(
        path, {"question": question.pk, "text": "- Simplifier l'accès aux aides\n- Numéro vert"}, follow=True
    )
    assert [p.text for p in response.context["points"]] == ["Simplifier l'accès aux aides", "Numéro vert"]
    response = client.post(path, {"question": question.pk, "text": " - "})
    assert response.context["form"].errors == {"text": ["Écrivez au moins un point."]}
    assert client.get(reverse("events:rapporteur", args=["forged"])).status_code == 404


def test_a_mail_server_down_never_loses_the_registration(event, register, settings, django_capture_on_commit_callbacks):
    from tests.conftest import _free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    with django_capture_on_commit_callbacks(execute=True):
        result = register(event)
    assert Registration.objects.get().pk == result.registrations[0].pk
    # The confirmation waits in the outbox, to be retried, with the reason visible.
    email = OutboxEmail.objects.get()
    assert (email.template, email.to, email.status, email.attempts) == (
        "events/emails/confirm",
        [result.participant.email],
        OutboxStatus.PENDING,
        1,
    )
    assert email.last_error.startswith("ConnectionRefusedError")
