"""The set-up page changes an event's address, themes, groups and sessions through the services, with audit."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from maillage.core.models import AuditEntry, OutboxEmail
from maillage.core.submission import FIELD_NAME, new_key
from maillage.events.models import Event, EventKind, Group, Registration, Session, Status, Theme
from tests.conftest import assert_outsider_gets_404
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory
from tests.events.test_setup import event_form

pytestmark = pytest.mark.django_db


def _audit(event: Event, prefix: str = "events.") -> list[tuple[str, dict]]:
    entries = AuditEntry.objects.filter(target_id=str(event.pk), code__startswith=prefix).order_by("id")
    return [(entry.code, entry.data) for entry in entries]


def test_the_venue_has_a_postal_address_checked_and_completed(organiser_client, organisation):
    new = reverse("events:new_event")
    street_only = organiser_client.post(new, event_form(organisation, place="COOP", street="Quai Fernand Demets 23"))
    assert street_only.context["form"].errors == {"postal_code": ["Indiquez le code postal de l'adresse."]}
    not_brussels = organiser_client.post(new, event_form(organisation, street="Rue X 1", postal_code="1299"))
    assert not_brussels.context["form"].errors == {
        "postal_code": ["1299 n'est pas un code postal de la Région de Bruxelles-Capitale."]
    }
    no_city = organiser_client.post(new, event_form(organisation, street="Rue Y 2", postal_code="4000"))
    assert no_city.context["form"].errors == {"city": ["Indiquez la commune de l'adresse."]}
    assert 'href="#id_city"' in no_city.content.decode()
    assert not Event.objects.exists()

    saved = organiser_client.post(
        new,
        event_form(organisation, place="COOP", street=" Quai Fernand Demets 23 ", postal_code="1070", city=""),
    )
    assert saved.status_code == 302
    event = Event.objects.get()
    assert (event.place, event.street, event.postal_code, event.city) == (
        "COOP",
        "Quai Fernand Demets 23",
        "1070",
        "Anderlecht",
    )
    assert event.location == "COOP, Quai Fernand Demets 23, 1070 Anderlecht"
    page = organiser_client.get(reverse("events:edit_event", args=[event.pk])).content.decode()
    assert "Adresse web de la page de l&#x27;événement" in page
    assert '<label for="id_street">Rue et numéro' in page


def test_the_invitation_carries_the_postal_address(register, django_capture_on_commit_callbacks):
    event = EventFactory(place="COOP", street="Quai Fernand Demets 23", postal_code="1070", city="Anderlecht")
    SessionFactory(event=event)
    result = register(event)
    with django_capture_on_commit_callbacks(execute=True):
        confirm(result.participant)
    invitation = OutboxEmail.objects.get(template="events/emails/invitation")
    assert "Lieu: COOP, Quai Fernand Demets 23, 1070 Anderlecht" in invitation.body
    [attachment] = invitation.attachments
    vevent = Calendar.from_ical(base64.b64decode(attachment["content"])).walk("VEVENT")[0]
    assert str(vevent["LOCATION"]) == "COOP, Quai Fernand Demets 23, 1070 Anderlecht"


def test_a_raised_theme_capacity_offers_the_seat_and_is_audited(organiser_client, organisation, register):
    event = EventFactory(organisation=organisation, kind=EventKind.WORKSHOP_SERIES)
    theme = ThemeFactory(event=event, capacity=1)
    SessionFactory(event=event, theme=theme)
    confirm(register(event, themes=[theme]).participant)
    waiting = register(event, themes=[theme])
    confirm(waiting.participant)
    assert Registration.objects.get(pk=waiting.registrations[0].pk).status == Status.WAITING

    url = reverse("events:edit_part", args=[event.pk, "theme", theme.pk])
    form = {"position": theme.position, "title_fr": "Habitat", "title_nl": "Wonen", "capacity": 2}
    assert organiser_client.post(url, form)["Location"] == reverse("events:edit_event", args=[event.pk])
    # The same change posted again (a double click) changes nothing and writes no second entry.
    organiser_client.post(url, form)
    theme.refresh_from_db()
    assert (theme.title_fr, theme.title_nl, theme.capacity) == ("Habitat", "Wonen", 2)
    assert Registration.objects.get(pk=waiting.registrations[0].pk).status == Status.OFFERED
    assert _audit(event, "events.theme.") == [
        (
            "events.theme.updated",
            {"id": theme.pk, "fields": ["capacity", "title_fr", "title_nl"], "told": 0, "offered": 1},
        )
    ]


def test_an_event_capacity_raised_on_the_set_up_page_offers_seats(organiser_client, organisation, register):
    event = EventFactory(organisation=organisation, capacity=1)
    SessionFactory(event=event)
    confirm(register(event).participant)
    waiting = register(event)
    confirm(waiting.participant)
    organiser_client.post(
        reverse("events:edit_event", args=[event.pk]),
        event_form(organisation, kind=event.kind, slug=event.slug, capacity="2", is_published="on"),
    )
    assert Registration.objects.get(pk=waiting.registrations[0].pk).status == Status.OFFERED
    [(code, data)] = _audit(event, "events.event.")
    assert (code, data["offered"], "capacity" in data["fields"]) == ("events.event.updated", 1, True)


def test_a_session_with_a_new_place_sends_the_updated_invitation(
    organiser_client, organisation, register, django_capture_on_commit_callbacks
):
    event = EventFactory(organisation=organisation, kind=EventKind.WORKSHOP_SERIES)
    theme, other = ThemeFactory(event=event), ThemeFactory(event=event)
    session = SessionFactory(event=event, theme=theme, title="Atelier 1")
    result = register(event, themes=[theme])
    with django_capture_on_commit_callbacks(execute=True):
        confirm(result.participant)
    url = reverse("events:edit_part", args=[event.pk, "session", session.pk])

    moved_theme = organiser_client.post(url, {"title": "Atelier 1", "theme": other.pk, "place": ""})
    assert moved_theme.status_code == 422
    assert moved_theme.context["form"].non_field_errors() == [
        "Des personnes sont inscrites : cette séance garde son thème et son groupe. Annulez-la et ajoutez-en une autre."
    ]
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url, {"title": "Atelier 1", "theme": theme.pk, "place": "Salle 2, COOP"})
    session.refresh_from_db()
    assert (session.theme_id, session.place, session.sequence) == (theme.pk, "Salle 2, COOP", 1)
    update = OutboxEmail.objects.filter(template="events/emails/calendar_change").get()
    assert update.subject == f"Séance modifiée : {event.title_fr}"
    vevent = Calendar.from_ical(base64.b64decode(update.attachments[0]["content"])).walk("VEVENT")[0]
    assert (int(vevent["SEQUENCE"]), str(vevent["LOCATION"])) == (1, "Salle 2, COOP")
    assert _audit(event, "events.session.") == [
        ("events.session.updated", {"id": session.pk, "fields": ["place"], "told": 1, "offered": 0})
    ]


def test_removing_asks_first_and_refuses_what_is_in_use(organiser_client, organisation, register):
    event = EventFactory(organisation=organisation, kind=EventKind.INTERVISION)
    used, spare = GroupFactory(event=event, name="Groupe A"), GroupFactory(event=event, name="Groupe B")
    session = SessionFactory(event=event, group=spare)
    Registration.objects.filter(pk=register(event).registrations[0].pk).update(group=used)

    remove = reverse("events:remove_part", args=[event.pk, "group", spare.pk])
    asked = organiser_client.get(remove)
    assert asked.status_code == 200
    assert "Supprimer « Groupe B » ?" in asked.content.decode()
    assert Group.objects.filter(pk=spare.pk).exists()
    organiser_client.post(remove, {"confirmed": "yes"})
    # A second click on the confirmation finds nothing left to remove: not found, nothing else removed.
    assert organiser_client.post(remove, {"confirmed": "yes"}).status_code == 404
    assert list(event.groups.values_list("name", flat=True)) == ["Groupe A"]
    assert not Session.objects.filter(pk=session.pk).exists()

    refused = organiser_client.post(
        reverse("events:remove_part", args=[event.pk, "group", used.pk]), {"confirmed": "yes"}, follow=True
    )
    assert [str(m) for m in refused.context["messages"]] == [
        "Des personnes sont placées dans ce groupe : déplacez-les d'abord vers un autre groupe."
    ]
    assert Group.objects.filter(pk=used.pk).exists()
    assert _audit(event, "events.group.") == [("events.group.removed", {"id": spare.pk, "label": "Groupe B"})]


def test_a_session_added_twice_with_one_key_is_added_once(organiser_client, organisation):
    event = EventFactory(organisation=organisation)
    url = reverse("events:edit_event", args=[event.pk])
    posted = {
        "part": "session",
        FIELD_NAME: new_key(),
        "session-title": "Matin",
        "session-starts_at": (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT09:00"),
        "session-ends_at": (timezone.localtime() + timedelta(days=9)).strftime("%Y-%m-%dT12:00"),
    }
    organiser_client.post(url, posted)
    again = organiser_client.post(url, posted, follow=True)
    assert [str(m) for m in again.context["messages"]][-1].endswith("était déjà ajouté.")
    assert list(event.sessions.values_list("title", flat=True)) == ["Matin"]
    assert [code for code, _data in _audit(event)] == ["events.session.created"]


def test_parts_of_other_events_and_unknown_kinds_are_not_found(organiser_client, organisation, outsider_client):
    event = EventFactory(organisation=organisation)
    theme = ThemeFactory(event=EventFactory(organisation=organisation, kind=EventKind.WORKSHOP_SERIES))
    assert organiser_client.get(reverse("events:edit_part", args=[event.pk, "theme", theme.pk])).status_code == 404
    assert organiser_client.get(reverse("events:edit_part", args=[event.pk, "question", 1])).status_code == 404
    own = reverse("events:edit_part", args=[theme.event_id, "theme", theme.pk])
    assert organiser_client.get(own).status_code == 200
    assert_outsider_gets_404(outsider_client, own)
    assert_outsider_gets_404(outsider_client, reverse("events:remove_part", args=[theme.event_id, "theme", theme.pk]))
    assert Theme.objects.filter(pk=theme.pk).exists()
