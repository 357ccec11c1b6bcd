"""Registering, the double opt-in, cancelling, the waiting list and offers, approval by the organisers.

A seat is held from the registration on (the first N to register get the N places, as the organisers
announce); an unconfirmed registration expires after the event's `confirmation_hours` and its seat goes
to the waiting list. Every email is queued in the outbox inside the transaction that decides it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import AuditEntry, Organisation, User
from maillage.events.models import (
    ACTIVE,
    HOLDING,
    Audience,
    Event,
    Group,
    Participant,
    Registration,
    Status,
    Theme,
)
from maillage.events.services.calendars import send_calendar_change
from maillage.events.services.identity import identify
from maillage.events.services.links import CONFIRM_SALT, absolute, confirmation_token, personal_url
from maillage.events.services.locking import BusyError, _check_seat, _lock, _over_cap_error, sessions_of
from maillage.events.services.messages import send_invitation

# The personal link goes out at most once in this interval when an address is registered again.
PERSONAL_LINK_INTERVAL = timedelta(minutes=15)


@dataclass
class RegistrationData:
    full_name: str
    email: str
    language: str = "fr"
    organisation: Organisation | None = None
    organisation_name: str = ""
    function: str = ""
    sector: str = ""
    accessibility_needs: str = ""
    themes: Sequence[Theme] = ()
    preferred_group: Group | None = None
    frontline: bool = False


@dataclass
class RegistrationResult:
    participant: Participant
    registrations: list[Registration]
    created: bool


def registration_window_problem(event: Event, now: datetime, theme: Theme | None = None) -> str | None:
    if event.opens_at and now < event.opens_at:
        return _("Registration opens on %(date)s.") % {
            "date": timezone.localtime(event.opens_at).strftime("%d/%m/%Y %H:%M")
        }
    deadline = (theme.closes_at if theme else None) or event.closes_at
    if deadline and now > deadline:
        return _("Registration closed on %(date)s.") % {"date": timezone.localtime(deadline).strftime("%d/%m/%Y %H:%M")}
    return None


def _check_request(event: Event, data: RegistrationData, now: datetime) -> None:
    if not event.is_published:
        raise ValidationError(_("This event is not open for registration."))
    problem = registration_window_problem(event, now)
    if problem:
        raise ValidationError(problem)
    if event.has_themes:
        if not data.themes:
            raise ValidationError({"themes": _("Choose at least one theme.")})
        for theme in data.themes:
            if theme.event_id != event.pk:
                raise ValidationError({"themes": _("Choose themes of this event.")})
            problem = registration_window_problem(event, now, theme)
            if problem:
                raise ValidationError({"themes": f"{theme.title}: {problem}"})
    if data.preferred_group is not None and data.preferred_group.event_id != event.pk:
        raise ValidationError({"preferred_group": _("Choose a group of this event.")})
    if not data.organisation and not data.organisation_name.strip():
        raise ValidationError({"organisation_name": _("Give the name of your organisation.")})
    if event.audience == Audience.MEMBERS and not (data.organisation and data.organisation.is_member):
        raise ValidationError(
            {"organisation": _("This event is for members of the federation: choose your organisation in the list.")}
        )
    if event.audience == Audience.FRONTLINE:
        if not data.frontline:
            raise ValidationError({"frontline": _("This event is for front-line workers.")})
        sector = data.sector or (data.organisation.sector if data.organisation else "")
        if event.audience_sector and sector != event.audience_sector:
            raise ValidationError(
                {
                    "sector": _("This event is for front-line workers of the %(sector)s sector.")
                    % {"sector": event.get_audience_sector_display()}
                }
            )


def register(event: Event, data: RegistrationData, *, now: datetime | None = None) -> RegistrationResult:
    """Register someone without an account.

    An email address already registered for the event changes nothing and is answered exactly like a
    new one: its owner gets their personal link by email (to see, add or take back registrations), and
    whoever typed it learns nothing about that person (issue 11: re-confirming someone else's
    cancelled registration, status shown to anyone who knows an email address).
    """
    now = now or timezone.now()
    data.email = data.email.strip().lower()
    # A typed name of a known organisation counts as that organisation (one key for the caps).
    identity = identify(data.organisation, data.organisation_name)
    if identity.organisation is not None:
        data.organisation = identity.organisation
    _check_request(event, data, now)
    themes: list[Theme | None] = [*sorted(data.themes, key=lambda theme: theme.pk)] if event.has_themes else [None]
    for attempt in range(3):
        try:
            return _register_locked(event, data, themes, now)
        except IntegrityError:
            # A twin request won the race past the lock (cannot happen with it, kept as the last guard).
            if attempt == 2:
                raise
        except BusyError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _register_locked(
    event: Event, data: RegistrationData, themes: Sequence[Theme | None], now: datetime
) -> RegistrationResult:
    with transaction.atomic():
        event = _lock(event.pk, [theme.pk for theme in themes if theme is not None])
        key = identify(data.organisation, data.organisation_name).key
        participant = Participant.objects.filter(event=event, email=data.email).first()
        if participant is not None:
            # The same refusals a newcomer of this organisation would get, so the answer tells nothing more.
            for theme in themes:
                check = _check_seat(event, None, theme, None, key=key)
                if check.over_cap:
                    raise _over_cap_error(check)
            # One email per interval, however often someone types the address (no mail bombing through us).
            # (the key avoids "email": the audit log masks values under such keys)
            emailed = not AuditEntry.objects.filter(
                code="events.registration.repeated",
                target_type="events.participant",
                target_id=str(participant.pk),
                created_at__gte=now - PERSONAL_LINK_INTERVAL,
                data__link_sent=True,
            ).exists()
            if emailed:
                _send_personal_link(participant)
            log_action(
                None,
                "events.registration.repeated",
                participant,
                {"link_sent": emailed},
                organisation=event.organisation,
            )
            return RegistrationResult(participant, [], False)
        participant = Participant.objects.create(
            event=event,
            full_name=data.full_name.strip(),
            email=data.email,
            organisation=data.organisation,
            organisation_name=data.organisation_name.strip()
            or (data.organisation.short_name if data.organisation else ""),
            organisation_key=key,
            function=data.function.strip(),
            sector=data.sector or (data.organisation.sector if data.organisation else ""),
            accessibility_needs=data.accessibility_needs.strip(),
            language=data.language if data.language in {"fr", "nl", "en"} else "fr",
            token=secrets.token_urlsafe(32),
            created_at=now,
        )
        touched = [_take_seat(event, participant, theme, data.preferred_group, now) for theme in themes]
        _announce(participant, touched)
        return RegistrationResult(participant, touched, True)


def _take_seat(
    event: Event,
    participant: Participant,
    theme: Theme | None,
    preferred_group: Group | None,
    now: datetime,
    registration: Registration | None = None,
) -> Registration:
    """Inside the lock: a seat (or a place on the waiting list) in one scope, on a new or a reused row."""
    check = _check_seat(event, participant, theme, None)
    if check.over_cap:
        raise _over_cap_error(check)
    if check.full:
        status = Status.WAITING
    elif participant.email_confirmed_at is None:
        status = Status.PENDING
    else:
        status = Status.AWAITING_APPROVAL if event.requires_approval else Status.CONFIRMED
    fields: dict[str, Any] = {
        "status": status,
        "created_at": now,
        "waiting_since": now if status == Status.WAITING else None,
        "expires_at": now + timedelta(hours=event.confirmation_hours)
        if participant.email_confirmed_at is None
        else None,
        "confirmed_at": now if status == Status.CONFIRMED else None,
        "cancelled_at": None,
        "preferred_group": preferred_group,
        "group": None,
    }
    if registration is None:
        registration = Registration.objects.create(event=event, participant=participant, theme=theme, **fields)
    else:
        for name, value in fields.items():
            setattr(registration, name, value)
        registration.save(update_fields=list(fields))
    log_action(
        None,
        "events.registration.created",
        registration,
        {"status": status, "theme": theme.pk if theme else None},
        organisation=event.organisation,
    )
    return registration


def _announce(participant: Participant, touched: Sequence[Registration]) -> None:
    """Inside the transaction: the confirmation email, or the invitations of confirmed seats."""
    if participant.email_confirmed_at is None:
        _send_confirmation(participant)
        return
    for registration in touched:
        if registration.status == Status.CONFIRMED:
            send_invitation(registration)


def register_again(
    participant: Participant, theme: Theme | None = None, *, now: datetime | None = None
) -> Registration:
    """From the personal link only: take back a cancelled or expired registration, or add a theme of the series."""
    now = now or timezone.now()
    if theme is not None and theme.event_id != participant.event_id:
        raise ValidationError(_("Choose themes of this event."))
    with transaction.atomic():
        # The rules as they are now, read inside the lock (the participant's copy of the event may be old).
        event = _lock(participant.event_id, [theme.pk] if theme else [])
        if not event.is_published:
            raise ValidationError(_("This event is not open for registration."))
        if event.has_themes != (theme is not None):
            raise ValidationError(_("Choose themes of this event."))
        problem = registration_window_problem(event, now, theme)
        if problem:
            raise ValidationError(problem)
        participant = Participant.objects.select_for_update().get(pk=participant.pk)
        same_theme = Q(theme=theme) if theme is not None else Q(theme__isnull=True)
        registration = participant.registrations.select_for_update().filter(same_theme).first()
        if registration is not None and registration.status in ACTIVE:
            return registration
        if registration is not None and registration.status == Status.REFUSED:
            raise ValidationError(_("The organisers refused this registration. Contact them if you wish to come."))
        preferred = registration.preferred_group if registration is not None else None
        registration = _take_seat(event, participant, theme, preferred, now, registration)
        _announce(participant, [registration])
    return registration


def _send_personal_link(participant: Participant) -> None:
    """Someone registered this address again: its owner gets their link; the page shown said nothing."""
    send_templated_mail(
        "events/emails/personal_link",
        [participant.email],
        {"participant": participant, "event": participant.event, "personal_link": personal_url(participant)},
        language=participant.language,
    )


def _send_confirmation(participant: Participant) -> None:
    from maillage.events.queries import waiting_position

    registrations = list(participant.registrations.select_related("theme").filter(status__in=ACTIVE))
    for registration in registrations:
        # The place on the waiting list, told in the email with what happens next.
        registration.position = (  # type: ignore[attr-defined]
            waiting_position(registration) if registration.status == Status.WAITING else None
        )
    send_templated_mail(
        "events/emails/confirm",
        [participant.email],
        {
            "participant": participant,
            "event": participant.event,
            "registrations": registrations,
            "link": absolute("events:confirm", confirmation_token(participant)),
            "personal_link": personal_url(participant),
            "hours": participant.event.confirmation_hours,
            "offer_hours": participant.event.offer_hours,
            "waiting": any(registration.position for registration in registrations),  # type: ignore[attr-defined]
        },
        language=participant.language,
    )


def confirm_email(token: str, *, now: datetime | None = None) -> Participant:
    """The double opt-in: the link from the confirmation email turns held seats into confirmed ones."""
    now = now or timezone.now()
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    invalid = ValidationError(_("This confirmation link is not valid. Copy the whole link from the email."))
    try:
        participant_id = int(signer.unsign(token))
    except (signing.BadSignature, ValueError):
        raise invalid from None
    participant = Participant.objects.select_related("event").filter(pk=participant_id).first()
    if participant is None:
        raise invalid
    event = participant.event
    expired = ValidationError(
        _("This confirmation link has expired: the place was released. You can register again on the event page.")
    )
    if participant.email_confirmed_at is not None:
        return participant
    try:
        signer.unsign(token, max_age=timedelta(hours=event.confirmation_hours))
    except signing.SignatureExpired:
        raise expired from None
    with transaction.atomic():
        _lock(event.pk)
        registrations = list(participant.registrations.select_for_update().filter(status__in=ACTIVE))
        if not registrations:
            raise expired
        participant.email_confirmed_at = now
        participant.save(update_fields=["email_confirmed_at"])
        for registration in registrations:
            registration.expires_at = None
            fields = ["expires_at"]
            if registration.status == Status.PENDING:
                registration.status = Status.AWAITING_APPROVAL if event.requires_approval else Status.CONFIRMED
                fields.append("status")
                if registration.status == Status.CONFIRMED:
                    registration.confirmed_at = now
                    fields.append("confirmed_at")
            registration.save(update_fields=fields)
            log_action(
                None,
                "events.registration.email_confirmed",
                registration,
                {"status": registration.status},
                organisation=event.organisation,
            )
            if "confirmed_at" in fields:
                send_invitation(registration)
    return participant


def _offer_freed_seats(event: Event, theme_ids: Iterable[int | None], now: datetime) -> list[Registration]:
    """Inside the lock: offer every free seat to the next people on the waiting list, in order."""
    offered: list[Registration] = []
    for theme_id in sorted(set(theme_ids), key=lambda t: t or 0):
        same_theme = Q(theme_id=theme_id) if theme_id is not None else Q(theme__isnull=True)
        waiting = (
            Registration.objects.filter(
                same_theme, event=event, status=Status.WAITING, participant__email_confirmed_at__isnull=False
            )
            .select_related("participant", "theme")
            .order_by("waiting_since", "id")
        )
        for candidate in waiting:
            check = _check_seat(event, candidate.participant, candidate.theme, None)
            if check.full:
                break
            if check.over_cap:
                continue
            candidate.status = Status.OFFERED
            candidate.expires_at = now + timedelta(hours=event.offer_hours)
            candidate.save(update_fields=["status", "expires_at"])
            log_action(None, "events.registration.offered", candidate, organisation=event.organisation)
            _send_offer(candidate)
            offered.append(candidate)
    return offered


def _send_offer(registration: Registration) -> None:
    participant = registration.participant
    send_templated_mail(
        "events/emails/offer",
        [participant.email],
        {
            "participant": participant,
            "event": registration.event,
            "registration": registration,
            "link": personal_url(participant),
            "hours": registration.event.offer_hours,
        },
        language=participant.language,
    )


def _send_cancellation(registration: Registration) -> None:
    """The invitation's sessions withdrawn from the person's calendar (METHOD:CANCEL) and the organisers' one."""
    registration = Registration.objects.select_related("participant", "event__organisation").get(pk=registration.pk)
    sessions = sessions_of(registration)
    if sessions:
        send_calendar_change(registration, sessions, change="registration_cancelled", method="CANCEL")


def cancel_registration(registration: Registration, *, actor: User | None = None, now: datetime | None = None) -> None:
    """Cancelled by the person (their link) or an organiser; a held seat goes to the waiting list."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event_id, [registration.theme_id] if registration.theme_id else [])
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE:
            return
        held, invited = registration.holds_seat, registration.status == Status.CONFIRMED and registration.invited_at
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.expires_at = None
        registration.save(update_fields=["status", "cancelled_at", "expires_at"])
        log_action(actor, "events.registration.cancelled", registration, organisation=event.organisation)
        if invited:
            _send_cancellation(registration)
        if held:
            _offer_freed_seats(event, [registration.theme_id], now)


def accept_offer(registration: Registration, *, now: datetime | None = None) -> Registration:
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event_id)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status != Status.OFFERED or (registration.expires_at and registration.expires_at <= now):
            raise ValidationError(_("This offer is no longer open. Contact the organisers if you still wish to come."))
        registration.status = Status.AWAITING_APPROVAL if event.requires_approval else Status.CONFIRMED
        registration.confirmed_at = now if registration.status == Status.CONFIRMED else None
        registration.expires_at = None
        registration.save(update_fields=["status", "confirmed_at", "expires_at"])
        log_action(None, "events.registration.offer_accepted", registration, organisation=event.organisation)
        if registration.status == Status.CONFIRMED:
            send_invitation(registration)
    return registration


def approve_registration(actor: User, registration: Registration, *, now: datetime | None = None) -> Registration:
    """An organiser validates a registration by hand; someone from the waiting list only if a seat is free."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event_id, [registration.theme_id] if registration.theme_id else [])
        registration = (
            Registration.objects.select_for_update(of=("self",))
            .select_related("participant", "theme")
            .get(pk=registration.pk)
        )
        if registration.status not in (Status.AWAITING_APPROVAL, Status.WAITING, Status.PENDING):
            raise ValidationError(_("Only waiting or unconfirmed registrations can be approved."))
        if registration.status == Status.WAITING:
            check = _check_seat(event, registration.participant, registration.theme, None)
            if check.over_cap:
                raise _over_cap_error(check)
            if check.full:
                raise ValidationError(_("There is no free seat left: cancel or refuse someone first."))
        registration.status = Status.CONFIRMED
        registration.confirmed_at = now
        registration.expires_at = None
        registration.save(update_fields=["status", "confirmed_at", "expires_at"])
        log_action(actor, "events.registration.approved", registration, organisation=event.organisation)
        send_invitation(registration)
    return registration


def refuse_registration(actor: User, registration: Registration, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event_id, [registration.theme_id] if registration.theme_id else [])
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE:
            raise ValidationError(_("This registration is no longer active."))
        held, invited = registration.holds_seat, registration.status == Status.CONFIRMED and registration.invited_at
        registration.status = Status.REFUSED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        log_action(actor, "events.registration.refused", registration, organisation=event.organisation)
        if invited:
            _send_cancellation(registration)
        if held:
            _offer_freed_seats(event, [registration.theme_id], now)


def expire_registrations(*, now: datetime | None = None) -> int:
    """Unconfirmed registrations and unanswered offers past their time: expired, their seats offered on."""
    now = now or timezone.now()
    due = Registration.objects.filter(expires_at__lte=now, status__in=(*HOLDING, Status.WAITING)).exclude(
        status=Status.CONFIRMED
    )
    expired = 0
    for event_id in sorted(set(due.values_list("event_id", flat=True))):
        with transaction.atomic():
            event = _lock(event_id)
            rows = list(due.filter(event_id=event_id).select_for_update())
            freed: set[int | None] = set()
            for registration in rows:
                if registration.holds_seat:
                    freed.add(registration.theme_id)
                registration.status = Status.EXPIRED
                registration.save(update_fields=["status"])
                log_action(None, "events.registration.expired", registration, organisation=event.organisation)
            expired += len(rows)
            if freed:
                _offer_freed_seats(event, freed, now)
    return expired
