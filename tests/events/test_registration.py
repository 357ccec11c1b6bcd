"""Registering, double opt-in, capacity, per-organisation caps, waiting list and offers."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from maillage.core.models import AuditEntry
from maillage.events import services
from maillage.events.models import Audience, EventKind, Participant, Registration, Status
from tests.events.conftest import confirm, link_in, statuses
from tests.events.factories import EventFactory, GroupFactory, SessionFactory, ThemeFactory
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_site_url")]


def test_register_holds_a_seat_until_the_email_is_confirmed(event, register, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = register(event, full_name="Awa Diallo", email="Awa@Example.org")
    registration = result.registrations[0]
    assert (result.created, registration.status, result.participant.email) == (True, Status.PENDING, "awa@example.org")
    assert registration.expires_at == registration.created_at + timedelta(hours=48)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == f"Confirmez votre inscription : {event.title_fr}"
    link = link_in(mail.outbox[0].body, "/events/confirm/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert link == f"http://testserver/events/confirm/{token}/"
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(token)
    registration.refresh_from_db()
    assert (registration.status, registration.expires_at) == (Status.CONFIRMED, None)
    invitation = mail.outbox[1]
    assert invitation.subject == f"Votre invitation : {event.title_fr}"
    assert [name for name, _content, _type in invitation.attachments] == ["session-1.ics"]
    assert "BEGIN:VEVENT" in invitation.attachments[0][1]
    assert "https://meet.example.org/secret-room" in invitation.body
    assert list(AuditEntry.objects.filter(target_id=str(registration.pk)).values_list("code", flat=True)) == [
        "events.registration.invited",
        "events.registration.email_confirmed",
        "events.registration.created",
    ]


def test_double_submit_never_duplicates(event, register):
    first = register(event, email="same@example.org")
    second = register(event, email="SAME@example.org ")
    assert (second.created, second.participant.pk) == (False, first.participant.pk)
    assert (Participant.objects.filter(event=event).count(), Registration.objects.filter(event=event).count()) == (1, 1)


def test_confirming_twice_is_harmless(event, register):
    participant = register(event).participant
    confirm(participant)
    again = confirm(participant)
    assert again.registrations.get().status == Status.CONFIRMED


def test_full_event_puts_people_on_the_waiting_list_in_order(register):
    event = EventFactory(capacity=2)
    results = [register(event) for _ in range(4)]
    assert [r.registrations[0].status for r in results] == [
        Status.PENDING,
        Status.PENDING,
        Status.WAITING,
        Status.WAITING,
    ]
    waiting = [r.registrations[0] for r in results[2:]]
    assert waiting[0].waiting_since <= waiting[1].waiting_since


def test_third_person_of_the_same_organisation_is_refused(register):
    event = EventFactory(capacity=40, per_organisation=2)
    register(event, organisation_name="Asbl Les Amis")
    register(event, organisation_name="ASBL  les amis")
    with pytest.raises(ValidationError) as error:
        register(event, organisation_name="asbl les Amis!")
    assert error.value.messages == [
        (
            f"{event.title_fr} compte déjà le nombre maximum de personnes de votre organisation. "
            "Demandez à un·e collègue qui ne peut pas venir d'annuler, ou contactez les organisateurs."
        )
    ]
    assert Registration.objects.filter(event=event).count() == 2


def test_per_organisation_cap_uses_the_chosen_organisation(register):
    organisation = OrganisationFactory()
    event = EventFactory(per_organisation=1)
    register(event, organisation=organisation, organisation_name="")
    with pytest.raises(ValidationError):
        register(event, organisation=organisation, organisation_name="")


def test_registration_after_the_deadline_is_refused(register):
    event = EventFactory(closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError) as error:
        register(event)
    deadline = timezone.localtime(event.closes_at).strftime("%d/%m/%Y %H:%M")
    assert error.value.messages == [f"Les inscriptions ont fermé le {deadline}."]
    assert Registration.objects.count() == 0


def test_registration_before_opening_is_refused(register):
    event = EventFactory(opens_at=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        register(event)


def test_unpublished_event_refuses(register):
    with pytest.raises(ValidationError):
        register(EventFactory(is_published=False))


def test_members_only_audience(register):
    event = EventFactory(audience=Audience.MEMBERS)
    with pytest.raises(ValidationError) as error:
        register(event, organisation=OrganisationFactory(is_member=False), organisation_name="")
    assert list(error.value.error_dict) == ["organisation"]
    assert register(event, organisation=OrganisationFactory(is_member=True), organisation_name="").created


def test_frontline_audience_of_a_sector(register):
    event = EventFactory(audience=Audience.FRONTLINE, audience_sector="casg")
    with pytest.raises(ValidationError) as error:
        register(event, frontline=False)
    assert list(error.value.error_dict) == ["frontline"]
    with pytest.raises(ValidationError) as error:
        register(event, frontline=True, sector="cpas")
    assert list(error.value.error_dict) == ["sector"]
    assert register(event, frontline=True, sector="casg").created


def test_missing_organisation_is_refused(register):
    with pytest.raises(ValidationError):
        register(EventFactory(), organisation_name=" ")


def test_workshop_series_registers_per_theme_with_its_own_caps(register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    one, two = ThemeFactory(event=event, capacity=1, per_organisation=2), ThemeFactory(event=event, capacity=40)
    SessionFactory(event=event, theme=one)
    first = register(event, themes=[one, two])
    assert sorted((r.theme.pk, r.status) for r in first.registrations) == [
        (one.pk, Status.PENDING),
        (two.pk, Status.PENDING),
    ]
    second = register(event, themes=[one])
    assert second.registrations[0].status == Status.WAITING
    with pytest.raises(ValidationError) as error:
        register(event, themes=[])
    assert list(error.value.error_dict) == ["themes"]
    other = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    with pytest.raises(ValidationError):
        register(event, themes=[ThemeFactory(event=other)])


def test_theme_deadline(register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    theme = ThemeFactory(event=event, closes_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ValidationError) as error:
        register(event, themes=[theme])
    assert list(error.value.error_dict) == ["themes"]


def test_event_capacity_counts_people_not_themes(register):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES, capacity=1)
    one, two = ThemeFactory(event=event), ThemeFactory(event=event)
    first = register(event, themes=[one, two])
    assert [r.status for r in first.registrations] == [Status.PENDING, Status.PENDING]
    assert register(event, themes=[one]).registrations[0].status == Status.WAITING


def test_intervision_preferred_group_must_belong_to_the_event(register):
    event = EventFactory(kind=EventKind.INTERVISION)
    with pytest.raises(ValidationError):
        register(event, preferred_group=GroupFactory())


def test_invalid_and_expired_confirmation_links(event, register):
    participant = register(event).participant
    with pytest.raises(ValidationError) as error:
        services.confirm_email("nonsense")
    assert error.value.messages == [
        "Ce lien de confirmation n'est pas valable. Copiez le lien complet depuis l'e-mail."
    ]
    token = services.confirmation_token(participant)
    with time_machine.travel(timezone.now() + timedelta(hours=49)), pytest.raises(ValidationError) as error:
        services.confirm_email(token)
    assert error.value.messages == [
        "Ce lien de confirmation a expiré : la place a été libérée. Vous pouvez vous réinscrire sur la page de l'événement."
    ]
    assert participant.registrations.get().status == Status.PENDING


def test_expiry_releases_the_seat_to_the_confirmed_waiting_person(register, django_capture_on_commit_callbacks):
    event = EventFactory(capacity=1)
    first = register(event).registrations[0]
    waiting = register(event)
    confirm(waiting.participant)
    later = timezone.now() + timedelta(hours=49)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_registrations(now=later) == 1
    first.refresh_from_db()
    offered = waiting.registrations[0]
    offered.refresh_from_db()
    assert (first.status, offered.status) == (Status.EXPIRED, Status.OFFERED)
    assert offered.expires_at == later + timedelta(hours=48)
    assert mail.outbox[-1].subject == f"Une place s'est libérée pour vous : {event.title_fr}"
    # An expired confirmation link now says so.
    with pytest.raises(ValidationError):
        confirm(first.participant)
    # The offer lapses in its turn.
    assert services.expire_registrations(now=later + timedelta(hours=49)) == 1
    offered.refresh_from_db()
    assert offered.status == Status.EXPIRED


def test_expire_command_runs_twice_safely(register):
    event = EventFactory(capacity=5)
    register(event)
    with time_machine.travel(timezone.now() + timedelta(hours=50)):
        call_command("events_expire")
        call_command("events_expire")
    assert statuses(event) == {Status.EXPIRED: 1}


def test_unconfirmed_waiting_person_is_skipped_and_expires(register):
    event = EventFactory(capacity=1)
    holder = register(event)
    confirm(holder.participant)
    register(event)  # waiting, never confirms
    services.cancel_registration(holder.registrations[0])
    assert statuses(event) == {Status.CANCELLED: 1, Status.WAITING: 1}
    services.expire_registrations(now=timezone.now() + timedelta(hours=49))
    assert statuses(event) == {Status.CANCELLED: 1, Status.EXPIRED: 1}


def test_cancel_offers_to_next_and_skips_people_over_the_cap(register):
    event = EventFactory(capacity=2, per_organisation=1)
    holders = [register(event, organisation_name=name) for name in ("A", "C")]
    waiting = [register(event, organisation_name=name) for name in ("B", "B", "D")]
    for result in holders + waiting:
        confirm(result.participant)
    services.cancel_registration(holders[0].registrations[0])
    services.cancel_registration(holders[1].registrations[0])
    b1, b2, d = (Registration.objects.get(pk=r.registrations[0].pk) for r in waiting)
    # B's first person takes one freed seat; B's second is over the cap, so D gets the other.
    assert (b1.status, b2.status, d.status) == (Status.OFFERED, Status.WAITING, Status.OFFERED)
    registration = services.accept_offer(d)
    assert registration.status == Status.CONFIRMED
    with pytest.raises(ValidationError):
        services.accept_offer(d)
    services.cancel_registration(registration)
    services.cancel_registration(registration)  # a second cancel changes nothing
    assert Registration.objects.get(pk=registration.pk).status == Status.CANCELLED


def test_registering_again_after_cancelling_reuses_the_row(event, register):
    first = register(event, email="back@example.org")
    services.cancel_registration(first.registrations[0])
    again = services.register_again(first.participant)
    assert (again.pk, again.status) == (first.registrations[0].pk, Status.PENDING)
    assert services.register_again(first.participant) == again  # already active: nothing changes


def test_typing_a_registered_address_changes_nothing_and_emails_its_owner(
    event, register, django_capture_on_commit_callbacks
):
    """Issue 11: knowing someone's email address brought their cancelled registration back."""
    first = register(event, email="victim@example.org", full_name="Victor Victime")
    confirm(first.participant)
    services.cancel_registration(first.registrations[0])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = register(event, email="Victim@example.org", full_name="Mallory")
    assert (again.created, again.registrations) == (False, [])
    registration = Registration.objects.get(event=event)
    assert (registration.status, registration.participant.full_name) == (Status.CANCELLED, "Victor Victime")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["victim@example.org"], f"Votre inscription : {event.title_fr}")
    ]
    assert link_in(mail.outbox[0].body, "/events/me/") == f"http://testserver/events/me/{first.participant.token}/"


def test_a_registered_address_is_refused_like_a_newcomer_over_the_cap(register):
    event = EventFactory(per_organisation=1)
    register(event, "Asbl Pleine", email="one@example.org")
    known = register(event, "Asbl Autre", email="known@example.org")
    for email in ("new@example.org", "known@example.org"):
        with pytest.raises(ValidationError) as caught:
            register(event, "Asbl Pleine", email=email)
        assert caught.value.messages == [
            (
                f"{event.title_fr} compte déjà le nombre maximum de personnes de votre organisation. "
                "Demandez à un·e collègue qui ne peut pas venir d'annuler, ou contactez les organisateurs."
            )
        ]
    assert Registration.objects.get(participant=known.participant).status == Status.PENDING


def test_register_again_keeps_the_rules(register):
    event = EventFactory(capacity=1)
    first = register(event)
    services.cancel_registration(first.registrations[0])
    register(event)
    assert services.register_again(first.participant).status == Status.WAITING
    event.closes_at = timezone.now() - timedelta(hours=1)
    event.save(update_fields=["closes_at"])
    services.cancel_registration(Registration.objects.get(participant=first.participant))
    with pytest.raises(ValidationError) as caught:
        services.register_again(first.participant)
    assert caught.value.messages[0].startswith("Les inscriptions ont fermé le ")


def test_confirmed_person_registering_for_another_theme_is_confirmed_at_once(
    register, django_capture_on_commit_callbacks
):
    event = EventFactory(kind=EventKind.WORKSHOP_SERIES)
    one, two = ThemeFactory(event=event), ThemeFactory(event=event)
    first = register(event, email="x@example.org", themes=[one])
    confirm(first.participant)
    with django_capture_on_commit_callbacks(execute=True):
        second = services.register_again(first.participant, two)
    assert (second.theme, second.status) == (two, Status.CONFIRMED)
    with pytest.raises(ValidationError):
        services.register_again(first.participant)  # a series needs a theme
    assert mail.outbox[-1].subject == f"Votre invitation : {event.title_fr}"


def test_organisers_approve_by_hand(organiser, register):
    event = EventFactory(requires_approval=True, capacity=1)
    result = register(event)
    confirm(result.participant)
    registration = result.registrations[0]
    registration.refresh_from_db()
    assert registration.status == Status.AWAITING_APPROVAL
    waiting = register(event)
    confirm(waiting.participant)
    with pytest.raises(ValidationError) as error:
        services.approve_registration(organiser, waiting.registrations[0])
    assert error.value.messages == ["Il ne reste aucune place libre : annulez ou refusez d'abord quelqu'un."]
    assert services.approve_registration(organiser, registration).status == Status.CONFIRMED
    with pytest.raises(ValidationError):
        services.approve_registration(organiser, registration)
    services.refuse_registration(organiser, registration)
    waiting.registrations[0].refresh_from_db()
    assert waiting.registrations[0].status == Status.OFFERED
    services.accept_offer(waiting.registrations[0])
    waiting.registrations[0].refresh_from_db()
    assert waiting.registrations[0].status == Status.AWAITING_APPROVAL
    with pytest.raises(ValidationError):
        services.refuse_registration(organiser, registration)


def test_approving_a_waiting_person_rechecks_the_cap(organiser, register):
    event = EventFactory(per_organisation=1, capacity=1)
    first = register(event, organisation_name="Same")
    services.cancel_registration(first.registrations[0])
    other = register(event, organisation_name="Other")
    waiting = register(event, organisation_name="Other 2")
    services.cancel_registration(other.registrations[0])
    waiting.registrations[0].refresh_from_db()
    assert waiting.registrations[0].status == Status.WAITING  # unconfirmed email: no offer
    assert services.approve_registration(organiser, waiting.registrations[0]).status == Status.CONFIRMED
    same = EventFactory(per_organisation=1)
    register(same, organisation_name="Same")
    late = register(EventFactory(per_organisation=1), organisation_name="Same")
    Registration.objects.filter(pk=late.registrations[0].pk).update(event=same, status=Status.WAITING)
    late.registrations[0].refresh_from_db()
    with pytest.raises(ValidationError):
        services.approve_registration(organiser, late.registrations[0])


def test_lock_timeout_surfaces_as_busy(event, register, monkeypatch):
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("canceling statement due to lock timeout")

    monkeypatch.setattr(services.Event.objects, "select_for_update", locked)
    with pytest.raises(services.BusyError):
        register(event)


def test_typing_a_registered_address_again_and_again_sends_one_email_per_quarter_hour(
    event, register, django_capture_on_commit_callbacks
):
    register(event, email="target@example.org")
    mail.outbox.clear()
    start = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            register(event, email="target@example.org")
    with time_machine.travel(start + timedelta(minutes=16)), django_capture_on_commit_callbacks(execute=True):
        register(event, email="target@example.org")
    assert [m.subject for m in mail.outbox] == [f"Votre inscription : {event.title_fr}"] * 2
    assert AuditEntry.objects.filter(code="events.registration.repeated").count() == 4
