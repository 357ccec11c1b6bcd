"""Issue 16: irreversible one-tap actions ask first; labels translated; an empty waiting list says so once."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from maillage.core.models import Organisation
from maillage.events.forms import BreakoutForm, EventForm, SessionForm
from maillage.events.models import Registration, Status
from tests.events.factories import EventFactory, SessionFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


def test_cancelling_ones_registration_asks_first(client, event, register):
    result = register(event)
    registration = result.registrations[0]
    url = reverse("events:participant_cancel", args=[result.participant.token, registration.pk])
    page = client.get(reverse("events:participant", args=[result.participant.token]))
    assert f'href="{url}"' in page.content.decode()
    question = client.get(url)
    assert (question.status_code, question.context["confirm_label"]) == (200, "Oui, annuler mon inscription")
    assert Registration.objects.get(pk=registration.pk).status == Status.PENDING
    client.post(url, {"confirmed": "yes"})
    assert Registration.objects.get(pk=registration.pk).status == Status.CANCELLED
    assert client.get(url)["Location"] == reverse("events:participant", args=[result.participant.token])


def test_refusing_a_registration_asks_first(organisation, organiser_client, register, outsider_client):
    event = EventFactory(organisation=organisation)
    SessionFactory(event=event)
    registration = register(event, full_name="Rita Refus").registrations[0]
    url = reverse("events:manage_registration", args=[event.pk, registration.pk, "refuse"])
    question = organiser_client.get(url)
    assert (question.status_code, question.context["question"]) == (
        200,
        "Voulez-vous refuser l'inscription de Rita Refus ?",
    )
    assert Registration.objects.get(pk=registration.pk).status == Status.PENDING
    assert organiser_client.get(url.replace("refuse", "approve")).status_code == 404
    assert outsider_client.get(url).status_code == 404
    organiser_client.post(url)
    assert Registration.objects.get(pk=registration.pk).status == Status.REFUSED


def test_an_empty_waiting_list_is_not_numbered(organisation, organiser_client):
    event = EventFactory(organisation=organisation)
    page = organiser_client.get(reverse("events:manage_event", args=[event.pk])).content.decode()
    assert '<p class="empty">Personne n\'attend.</p>' in page
    assert "waiting-list" not in page


@pytest.mark.parametrize(("language", "theme", "group"), [("fr", "Thème", "Groupe"), ("nl", "Thema", "Groep")])
def test_theme_and_group_labels_are_translated(language, theme, group):
    event = EventFactory()
    with translation.override(language):
        session_form = SessionForm(event=event)
        labels = (str(session_form["theme"].label), str(session_form["group"].label))
        breakout_label = str(BreakoutForm(event=event)["theme"].label)
    assert (labels, breakout_label) == ((theme, group), theme)


def test_people_on_the_waiting_list_see_their_position(client, register):
    event = EventFactory(capacity=1, offer_hours=24)
    SessionFactory(event=event)
    register(event)
    second, third = register(event), register(event)
    page = client.get(reverse("events:participant", args=[third.participant.token]))
    assert page.context["registrations"][0].position == 2
    assert (
        "Vous êtes numéro 2 sur la liste d'attente. Quand une place se libère pour vous, nous vous envoyons "
        "un e-mail et vous avez 24 heures pour la prendre ici."
    ) in page.content.decode()
    page = client.get(reverse("events:participant", args=[second.participant.token]))
    assert page.context["registrations"][0].position == 1


def test_the_event_form_says_the_slug_is_a_web_address(organisation):
    form = EventForm(lead_choices=Organisation.objects.filter(pk=organisation.pk))
    assert (str(form["slug"].label), str(form.fields["slug"].help_text)) == (
        "Adresse web de la page de l'événement",
        "Lettres, chiffres et traits d'union, par ex. assises-2026 : la page sera /events/assises-2026/.",
    )


def test_an_event_speaks_english_where_it_has_an_english_text():
    event = EventFactory(title_fr="Assises", title_nl="Staten-Generaal", title_en="General assembly")
    untranslated = EventFactory(title_fr="Atelier", title_en="", description_en="")
    with translation.override("en"):
        assert (event.title, untranslated.title, untranslated.description) == (
            "General assembly",
            "Atelier",
            "Échanger entre acteurs de terrain.",
        )
    with translation.override("nl"):
        assert event.title == "Staten-Generaal"
