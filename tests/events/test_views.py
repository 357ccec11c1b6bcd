"""Public pages, the participant's page and the organisers' pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from maillage.core.models import Role
from maillage.events import services
from maillage.events.models import (
    Attendance,
    EventKind,
    NotePoint,
    Participant,
    Recommendation,
    Registration,
    Status,
)
from tests.conftest import assert_outsider_gets_404, client_for
from tests.events.conftest import confirm
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory
from tests.factories import member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


def form_data(**overrides):
    data = {
        "full_name": "Awa Diallo",
        "email": "awa@example.org",
        "organisation_name": "Asbl Quartier",
        "function": "Assistante sociale",
        "accessibility_needs": "",
    }
    data.update(overrides)
    return data


def test_public_list_and_page(client, event, django_assert_max_num_queries):
    EventFactory(is_published=False, title_fr="Brouillon")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("events:list"))
    assert [e.pk for e in response.context["events"]] == [event.pk]
    response = client.get(reverse("events:event", args=[event.slug]))
    assert response.status_code == 200
    content = response.content.decode()
    assert event.title_fr in content
    assert "secret-room" not in content  # the online link is for confirmed participants only
    assert client.get(reverse("events:event", args=["nope"])).status_code == 404


def test_public_list_query_count_does_not_grow(client, django_assert_max_num_queries):
    for _ in range(5):
        SessionFactory(event=EventFactory())
    with django_assert_max_num_queries(6):
        response = client.get(reverse("events:list"))
    assert len(response.context["events"]) == 5


def test_register_through_the_form_then_confirm(client, event, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:event", args=[event.slug]), form_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("events:registered", args=[event.slug])
    page = client.get(response["Location"])
    participant = Participant.objects.get(event=event)
    assert (participant.email, participant.registrations.get().status) == ("awa@example.org", Status.PENDING)
    assert page.context["email"] == "awa@example.org"
    assert participant.token not in page.content.decode()  # the personal link travels by email only
    link = services.confirmation_token(participant)
    assert client.get(reverse("events:confirm", args=[link])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("events:confirm", args=[link]))
    assert response["Location"] == reverse("events:participant", args=[participant.token])
    page = client.get(response["Location"])
    assert "https://meet.example.org/secret-room" in page.content.decode()
    assert [m.subject for m in mail.outbox] == [
        f"Confirmez votre inscription : {event.title_fr}",
        f"Votre invitation : {event.title_fr}",
    ]


def test_double_click_without_a_key_registers_once(client, event):
    url = reverse("events:event", args=[event.slug])
    client.post(url, form_data())
    response = client.post(url, form_data(), follow=True)
    assert response.context["email"] == "awa@example.org"
    assert Registration.objects.filter(event=event).count() == 1


def test_invalid_email_is_answered_clearly(client, event):
    response = client.post(reverse("events:event", args=[event.slug]), form_data(email="awa-at-example"))
    assert response.status_code == 422
    assert response.context["form"].errors == {"email": ["Ceci n'est pas une adresse e-mail, par ex. nom@exemple.org."]}
    assert Registration.objects.count() == 0


def test_missing_organisation_and_third_person(client, register):
    event = EventFactory(per_organisation=2)
    url = reverse("events:event", args=[event.slug])
    response = client.post(url, form_data(organisation_name=""))
    assert response.context["form"].errors == {
        "organisation_name": ["Choisissez votre organisation dans la liste ou tapez son nom."]
    }
    for n in range(2):
        client.post(url, form_data(email=f"p{n}@example.org"))
    response = client.post(url, form_data(email="third@example.org"))
    assert response.status_code == 422
    assert response.context["form"].non_field_errors() == [
        (
            f"{event.title_fr} compte déjà le nombre maximum de personnes de votre organisation. "
            "Demandez à un·e collègue qui ne peut pas venir d'annuler, ou contactez les organisateurs."
        )
    ]


def test_closed_registration_shows_no_form(client):
    event = EventFactory(closes_at=timezone.now() - timedelta(days=1))
    response = client.get(reverse("events:event", args=[event.slug]))
    assert response.context["closed"].startswith("Les inscriptions ont fermé le ")
    assert b'name="email"' not in response.content
    response = client.post(reverse("events:event", args=[event.slug]), form_data())
    assert response.status_code == 422
    assert Registration.objects.count() == 0


def test_registered_page_without_a_registration_goes_back(client, event):
    response = client.get(reverse("events:registered", args=[event.slug]))
    assert response["Location"] == reverse("events:event", args=[event.slug])


def test_workshop_form_with_themes_and_intervision_form_with_groups(client):
    series = EventFactory(kind=EventKind.WORKSHOP_SERIES, ask_sector=True, audience="frontline")
    one, two = ThemeFactory(event=series), ThemeFactory(event=series)
    response = client.post(
        reverse("events:event", args=[series.slug]),
        form_data(themes=[one.pk, two.pk], frontline="on", sector="casg"),
    )
    assert response.status_code == 302
    assert Registration.objects.filter(event=series).count() == 2
    cycle = EventFactory(kind=EventKind.INTERVISION, audience="members", ask_accessibility=False, ask_function=False)
    group = GroupFactory(event=cycle)
    response = client.post(reverse("events:event", args=[cycle.slug]), form_data(preferred_group=group.pk))
    assert set(response.context["form"].errors) == {"commitment", "organisation"}


def test_invalid_and_expired_confirmation_pages(client, event, register):
    response = client.post(reverse("events:confirm", args=["bad"]))
    assert response.status_code == 410
    assert (
        response.context["reason"]
        == "Ce lien de confirmation n'est pas valable. Copiez le lien complet depuis l'e-mail."
    )


def test_participant_cancels_and_the_next_one_is_offered(client, register):
    event = EventFactory(capacity=1)
    holder = register(event)
    waiting = register(event)
    confirm(holder.participant)
    confirm(waiting.participant)
    url = reverse("events:participant_cancel", args=[holder.participant.token, holder.registrations[0].pk])
    assert client.get(url).status_code == 200  # asks first; only the post cancels
    assert Registration.objects.get(pk=holder.registrations[0].pk).status == Status.CONFIRMED
    client.post(url)
    offered = Registration.objects.get(pk=waiting.registrations[0].pk)
    assert offered.status == Status.OFFERED
    page = client.get(reverse("events:participant", args=[waiting.participant.token]))
    assert b"accept/" in page.content
    response = client.post(
        reverse("events:participant_accept", args=[waiting.participant.token, offered.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["La place est à vous. Votre invitation est en route."]
    response = client.post(
        reverse("events:participant_accept", args=[waiting.participant.token, offered.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Cette offre n'est plus ouverte. Contactez les organisateurs si vous souhaitez toujours venir."
    ]
    # Someone else's registration through my link: 404.
    assert (
        client.post(reverse("events:participant_cancel", args=[holder.participant.token, offered.pk])).status_code
        == 404
    )
    assert client.get(reverse("events:participant", args=["unknown"])).status_code == 404


def test_participant_page_shows_qr_codes_for_invitation_only(client, register):
    event = EventFactory(invitation_only=True, place="COOP")
    SessionFactory(event=event)
    result = register(event)
    other = register(EventFactory(), email=result.participant.email)
    confirm(result.participant)
    page = client.get(reverse("events:participant", args=[result.participant.token]))
    assert page.context["entries"][0]["qr"].startswith("data:image/svg+xml")
    assert [p.pk for p in page.context["others"]] == [other.participant.pk]


def test_certificate(client, organiser, register):
    event = EventFactory()
    session = SessionFactory(event=event)
    result = register(event)
    confirm(result.participant)
    registration = Registration.objects.get(pk=result.registrations[0].pk)
    url = reverse("events:certificate", args=[result.participant.token, registration.pk])
    missing = client.get(url)
    assert (missing.status_code, missing.context["reason"]) == (
        404,
        (
            f"Aucune présence n'est encore enregistrée pour {result.participant.full_name} : "
            "l'attestation existe dès que sa présence est enregistrée."
        ),
    )
    services.check_in_by_name(organiser, session, registration)
    response = client.get(url)
    assert (response.status_code, response.context["hours"]) == (200, 2.5)


@pytest.fixture
def busy_event(event, register, organiser):
    """An event with a confirmed, a waiting and an unconfirmed registration."""
    event.capacity = 2
    event.save()
    confirmed = register(event, full_name="Claire Confirmée")
    confirm(confirmed.participant)
    register(event, full_name="Paul Pending")
    register(event, full_name="Wendy Waiting")
    return event


def organiser_urls(event, registration, session, point, recommendation):
    return [
        reverse("events:manage_event", args=[event.pk]),
        reverse("events:manage_registration", args=[event.pk, registration.pk, "approve"]),
        reverse("events:door", args=[event.pk, session.pk]),
        reverse("events:attendance_csv", args=[event.pk]),
        reverse("events:manage_certificate", args=[event.pk, registration.pk]),
        reverse("events:message", args=[event.pk]),
        reverse("events:send_invitations", args=[event.pk]),
        reverse("events:notes", args=[event.pk]),
        reverse("events:synthesis", args=[event.pk]),
        reverse("events:synthesis_point", args=[event.pk, point.pk]),
        reverse("events:recommendations", args=[event.pk]),
        reverse("events:recommendation", args=[event.pk, recommendation.pk]),
        reverse("events:book", args=[event.pk]),
        reverse("events:checkin_scan", args=[services.checkin_token(registration, session)]),
    ]


def test_outsiders_and_workers_get_404(busy_event, outsider_client, organisation, organiser):
    event = busy_event
    registration = event.registrations.first()
    session = event.sessions.first()
    breakout = services.add_breakout(organiser, event, "G1")
    point = services.add_points(organiser, breakout, event.questions.first(), "x")[0]
    recommendation = services.save_recommendation(organiser, event, {"diagnosis": "d", "recommendation": "r"})
    urls = organiser_urls(event, registration, session, point, recommendation)
    post_only = {urls[1], urls[6]}
    assert_outsider_gets_404(outsider_client, *[url for url in urls if url not in post_only])
    assert_outsider_gets_404(outsider_client, *urls, method="post")
    worker = client_for(member(Role.WORKER, organisation))
    assert_outsider_gets_404(worker, *urls, method="post")
    cycle = EventFactory(kind=EventKind.INTERVISION, organisation=organisation)
    assert_outsider_gets_404(outsider_client, reverse("events:manage_groups", args=[cycle.pk]))
    assert_outsider_gets_404(client_for(organiser), reverse("events:manage_groups", args=[event.pk]))


def test_federation_staff_of_a_co_organiser_manages(busy_event, federation_staff, federation):
    busy_event.organisers.add(federation)
    response = client_for(federation_staff).get(reverse("events:manage_event", args=[busy_event.pk]))
    assert (response.status_code, response.context["event"]) == (200, busy_event)


def test_manage_list_query_count(organiser_client, organisation, django_assert_max_num_queries):
    EventFactory(organisation=organisation)
    with django_assert_max_num_queries(12):
        response = organiser_client.get(reverse("events:manage_list"))
    assert len(response.context["events"]) == 1
    for _ in range(4):
        EventFactory(organisation=organisation)
    with django_assert_max_num_queries(12):
        response = organiser_client.get(reverse("events:manage_list"))
    assert len(response.context["events"]) == 5


def test_manage_event_lists_registrations_without_n_plus_one(
    busy_event, organiser_client, register, django_assert_max_num_queries
):
    url = reverse("events:manage_event", args=[busy_event.pk])
    with django_assert_max_num_queries(20):
        response = organiser_client.get(url)
    assert [r.participant.full_name for r in response.context["registrations"]] == [
        "Claire Confirmée",
        "Paul Pending",
        "Wendy Waiting",
    ]
    for _ in range(10):
        register(busy_event)
    with django_assert_max_num_queries(20):
        response = organiser_client.get(url + "?status=waiting")
    assert len(response.context["registrations"]) == 11


def test_organiser_actions(busy_event, organiser_client):
    event = busy_event
    claire, paul, wendy = event.registrations.order_by("pk")
    base = lambda r, action: reverse("events:manage_registration", args=[event.pk, r.pk, action])  # noqa: E731
    response = organiser_client.post(base(claire, "invite"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"Invitation renvoyée à {claire.participant}."]
    organiser_client.post(base(paul, "approve"))
    response = organiser_client.post(base(wendy, "approve"), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Paul Pending est confirmé·e et invité·e.",
        "Il ne reste aucune place libre : annulez ou refusez d'abord quelqu'un.",
    ]
    organiser_client.post(base(paul, "refuse"))
    organiser_client.post(base(claire, "cancel"))
    assert organiser_client.post(base(claire, "explode")).status_code == 404
    assert dict(event.registrations.values_list("participant__full_name", "status")) == {
        "Claire Confirmée": Status.CANCELLED,
        "Paul Pending": Status.REFUSED,
        "Wendy Waiting": Status.WAITING,
    }
    organiser_client.post(reverse("events:send_invitations", args=[event.pk]))


def test_groups_page_places_and_moves(organisation, organiser_client, register):
    event = EventFactory(kind=EventKind.INTERVISION, organisation=organisation)
    first, second = GroupFactory(event=event, capacity=1), GroupFactory(event=event, capacity=1)
    people = []
    for n in range(3):
        result = register(event, organisation_name=f"O{n}")
        confirm(result.participant)
        people.append(result.registrations[0])
    url = reverse("events:manage_groups", args=[event.pk])
    response = organiser_client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "2 personnes placées (0 dans le groupe demandé) ; 1 n'ont pas pu être placées."
    ]
    assert [len(members) for _group, members in response.context["groups"]] == [1, 1]
    move = reverse("events:move_registration", args=[event.pk, people[2].pk])
    response = organiser_client.post(move, {"group": first.pk}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"{first.name} est complet."]
    response = organiser_client.post(move, {"group": "nonsense"}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Choisissez un groupe de cet événement."]
    people[0].refresh_from_db()
    organiser_client.post(reverse("events:move_registration", args=[event.pk, people[0].pk]), {"group": ""})
    response = organiser_client.post(move, {"group": first.pk if people[0].group == first else second.pk}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Déplacé·e.", "Déplacé·e."]


def test_door_checks_in_by_code_and_name_and_refuses_other_sessions(organisation, organiser_client, register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES, organisation=organisation, invitation_only=True)
    theme, other = ThemeFactory(event=event), ThemeFactory(event=event)
    session, other_session = SessionFactory(event=event, theme=theme), SessionFactory(event=event, theme=other)
    people = []
    for name in ("Bea", "Alex"):
        result = register(event, full_name=name, themes=[theme])
        confirm(result.participant)
        people.append(Registration.objects.get(pk=result.registrations[0].pk))
    url = reverse("events:door", args=[event.pk, session.pk])
    response = organiser_client.get(url)
    assert [r.participant.full_name for r, _present in response.context["expected"]] == ["Alex", "Bea"]
    response = organiser_client.post(url, {"code": services.checkin_url(people[0], session)}, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Bienvenue, Bea : présence enregistrée."]
    response = organiser_client.post(url, {"code": services.checkin_url(people[0], session)}, follow=True)
    assert str(next(iter(response.context["messages"]))).startswith("Bea était déjà enregistré·e à ")
    wrong = organiser_client.post(url, {"code": services.checkin_token(people[1], other_session)})
    assert wrong.status_code == 422
    assert [str(m) for m in wrong.context["messages"]] == [
        f"Cette invitation est pour une autre séance ({other_session}), pas pour celle-ci."
    ]
    assert organiser_client.post(url, {"code": ""}).status_code == 422
    organiser_client.post(url, {"registration": people[1].pk})
    response = organiser_client.get(url + "?q=ale")
    assert [(r.participant.full_name, bool(present)) for r, present in response.context["expected"]] == [("Alex", True)]
    assert Attendance.objects.filter(session=session).count() == 2


def test_scanned_url_checks_in_at_the_open_door(organisation, organiser_client, register):
    event = EventFactory(organisation=organisation)
    first, second = SessionFactory(event=event), SessionFactory(event=event)
    result = register(event)
    confirm(result.participant)
    registration = Registration.objects.get(pk=result.registrations[0].pk)
    token = services.checkin_token(registration, first)
    url = reverse("events:checkin_scan", args=[token])
    response = organiser_client.get(url)
    assert (response.status_code, response.context["session"]) == (200, first)
    organiser_client.post(url)
    assert Attendance.objects.get().session == first
    organiser_client.get(reverse("events:door", args=[event.pk, second.pk]))  # the door now open: the second session
    response = organiser_client.post(url, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Cette invitation est pour une autre séance ({first}), pas pour celle-ci."
    ]
    assert organiser_client.get(reverse("events:checkin_scan", args=["junk"])).status_code == 400
    registration_gone = services.checkin_token(Registration(pk=999999, event=event), first)
    assert organiser_client.get(reverse("events:checkin_scan", args=[registration_gone])).status_code == 404


def test_attendance_csv(organisation, organiser_client, register, organiser):
    event = EventFactory(organisation=organisation, slug="webinaire-covid")
    first, second = SessionFactory(event=event, title="Matin"), SessionFactory(event=event, title="Après-midi")
    result = register(event, full_name="Awa Diallo", email="awa@example.org", organisation_name="Asbl Quartier")
    confirm(result.participant)
    services.check_in_by_name(organiser, first, Registration.objects.get(pk=result.registrations[0].pk))
    response = organiser_client.get(reverse("events:attendance_csv", args=[event.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"attendance-webinaire-covid.csv\"; filename*=UTF-8''attendance-webinaire-covid.csv"
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[1:] == ["Awa Diallo;awa@example.org;Asbl Quartier;;;présent·e;absent·e"]
    assert lines[0] == f"\ufeffNom;Courriel;Organisation;Thème;Groupe;{first};{second}"
    plain = organiser_client.get(reverse("events:attendance_csv", args=[event.pk]) + "?sep=comma")
    assert b"".join(plain.streaming_content).decode().splitlines()[1] == (
        "Awa Diallo,awa@example.org,Asbl Quartier,,,présent·e,absent·e"
    )


def test_message_form(busy_event, organiser_client, django_capture_on_commit_callbacks):
    url = reverse("events:message", args=[busy_event.pk])
    assert organiser_client.get(url).status_code == 200
    session = busy_event.sessions.first()
    response = organiser_client.post(
        url, {"audience": f"session-{session.pk}", "subject": "Salle", "body": "Salle 2"}, follow=True
    )
    assert [str(m) for m in response.context["messages"]] == ["Message envoyé à 1 personnes."]
    with django_capture_on_commit_callbacks(execute=True):
        organiser_client.post(url, {"audience": "event", "subject": "Tous", "body": "Bonjour"}, follow=True)
    assert mail.outbox[-1].subject == f"{busy_event.title_fr}: Tous"


def test_message_to_a_group(organisation, organiser_client):
    event = EventFactory(kind=EventKind.INTERVISION, organisation=organisation)
    group = GroupFactory(event=event)
    response = organiser_client.post(
        reverse("events:message", args=[event.pk]),
        {"audience": f"group-{group.pk}", "subject": "s", "body": "b"},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Message envoyé à 0 personnes."]


def test_notes_synthesis_and_book_pages(organisation, organiser_client):
    event = EventFactory(organisation=organisation, kind=EventKind.WORKSHOP_SERIES)
    theme = ThemeFactory(event=event)
    url = reverse("events:notes", args=[event.pk])
    organiser_client.post(url, {"breakout-name": "Groupe A", "breakout-rapporteur": "Rita"})
    organiser_client.post(url, {"breakout-name": "Groupe B", "breakout-rapporteur": ""})
    response = organiser_client.post(url, {"breakout-name": "Groupe A"})
    assert response.context["breakout_form"].errors == {"name": ["Un groupe de cet événement porte déjà ce nom."]}
    a, b = event.breakouts.order_by("name")
    question = event.questions.first()
    organiser_client.post(
        url, {"points-breakout": a.pk, "points-question": question.pk, "points-text": "- Plus de demandes\n- Isolement"}
    )
    organiser_client.post(
        url, {"points-breakout": b.pk, "points-question": question.pk, "points-text": "- Hausse des demandes"}
    )
    response = organiser_client.post(
        url, {"points-breakout": b.pk, "points-question": question.pk, "points-text": " - "}
    )
    assert response.context["points_form"].errors == {"text": ["Écrivez au moins un point."]}
    first, _isolement, third = NotePoint.objects.order_by("pk")
    synthesis_url = reverse("events:synthesis", args=[event.pk])
    response = organiser_client.post(synthesis_url, {"points": [first.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Cochez au moins deux points de la même question pour les fusionner."
    ]
    organiser_client.post(synthesis_url, {"points": [first.pk, third.pk]})
    point_url = reverse("events:synthesis_point", args=[event.pk, first.pk])
    assert organiser_client.get(point_url).status_code == 200
    organiser_client.post(point_url, {"text": "Hausse des demandes d'aide"})
    response = organiser_client.get(synthesis_url)
    first_question = response.context["questions"][0]
    assert [(p.point.shown_text, p.sources) for p in first_question.points] == [
        ("Hausse des demandes d'aide", ["Groupe A", "Groupe B"]),
        ("Isolement", ["Groupe A"]),
    ]
    organiser_client.post(reverse("events:synthesis_point", args=[event.pk, third.pk]), {"split": "1"})
    third.refresh_from_db()
    assert third.merged_into is None
    other_question = event.questions.last()
    foreign = services.add_points(None, a, other_question, "autre")[0]
    response = organiser_client.post(synthesis_url, {"points": [first.pk, foreign.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Seuls des points de la même question d'un événement peuvent être fusionnés."
    ]

    rec_url = reverse("events:recommendations", args=[event.pk])
    values = {
        "theme": theme.pk,
        "position": 1,
        "diagnosis": "Silos",
        "recommendation": "Financer la coordination",
        "implementation": "Par quartier",
        "addressed_to": "Région",
        "sources": [first.pk],
    }
    response = organiser_client.post(rec_url, values, follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Recommandation enregistrée."]
    recommendation = Recommendation.objects.get()
    edit_url = reverse("events:recommendation", args=[event.pk, recommendation.pk])
    organiser_client.post(edit_url, dict(values, addressed_to="Communes"))
    recommendation.refresh_from_db()
    assert recommendation.addressed_to == "Communes"
    response = organiser_client.get(reverse("events:book", args=[event.pk]))
    assert [(t, [r.pk for r, _sources in items]) for t, items in response.context["chapters"]] == [
        (theme, [recommendation.pk])
    ]
    assert b"events/print.css" in response.content
    organiser_client.post(edit_url, {"delete": "1"})
    assert Recommendation.objects.count() == 0
