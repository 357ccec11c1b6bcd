"""Every change of state in events: one named function each, owning its transaction, audit entry and emails.

Scarce places follow one rule (ARCHITECTURE.md, "Scarce places"): lock the capacity rows (the event,
then its themes, then its groups, each by id) with a short lock timeout, re-count inside the lock,
then write, all in one transaction. A seat is held from the registration on (the first N to register
get the N places, as the organisers announce); an unconfirmed registration expires after the
event's `confirmation_hours` and its seat goes to the waiting list.
"""

from __future__ import annotations

import io
import re
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import segno
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from maillage.core.audit import log_action
from maillage.core.mail import send_templated_mail
from maillage.core.models import Organisation, User
from maillage.env import env_int
from maillage.events.models import (
    ACTIVE,
    HOLDING,
    Attendance,
    Audience,
    Breakout,
    Event,
    Group,
    NotePoint,
    Participant,
    Question,
    Recommendation,
    Registration,
    Reminder,
    Session,
    Status,
    Theme,
)

PartT = TypeVar("PartT", Theme, Group, Session)
CONFIRM_SALT = "maillage.events.confirm"
CHECKIN_SALT = "maillage.events.checkin"
LOCK_TIMEOUT = "5s"
DEFAULT_QUESTIONS = [
    ("D'accord à 100 %", "Volledig akkoord"),
    ("D'accord, mais", "Akkoord, maar"),
    ("Ce qui a bien fonctionné", "Wat goed werkte"),
    ("Ce qui a moins bien fonctionné", "Wat minder goed werkte"),
    ("Actions prioritaires", "Prioritaire acties"),
]


class BusyError(Exception):
    """The capacity rows stayed locked longer than the lock timeout: ask the person to try again."""


# -- helpers -----------------------------------------------------------------------------------------


def organisation_key(organisation: Organisation | None, organisation_name: str) -> str:
    """Who counts as one organisation: the chosen one, else the typed name without case or spacing."""
    if organisation is not None:
        return f"org:{organisation.pk}"
    return "name:" + re.sub(r"[^\w]+", " ", organisation_name.casefold()).strip()


def absolute(url_name: str, *args: Any) -> str:
    return settings.SITE_URL + reverse(url_name, args=args)


def confirmation_token(participant: Participant) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(str(participant.pk))


def checkin_token(registration: Registration, session: Session) -> str:
    return signing.dumps({"r": registration.pk, "s": session.pk}, salt=CHECKIN_SALT)


def personal_url(participant: Participant) -> str:
    return absolute("events:participant", participant.token)


def checkin_url(registration: Registration, session: Session) -> str:
    return absolute("events:checkin_scan", checkin_token(registration, session))


def sessions_of(registration: Registration) -> list[Session]:
    """The sessions a registration gives a seat at: the event's own, its theme's and its group's."""
    scope = Q(theme__isnull=True, group__isnull=True)
    if registration.theme_id:
        scope |= Q(theme_id=registration.theme_id)
    if registration.group_id:
        scope |= Q(group_id=registration.group_id)
    return list(Session.objects.filter(scope, event_id=registration.event_id).select_related("theme", "group"))


def covers(registration: Registration, session: Session) -> bool:
    if session.event_id != registration.event_id:
        return False
    if session.theme_id is not None:
        return session.theme_id == registration.theme_id
    if session.group_id is not None:
        return session.group_id == registration.group_id
    return True


def _lock(event_id: int, theme_ids: Iterable[int] = (), group_ids: Iterable[int] = ()) -> Event:
    """Lock the capacity rows in one fixed order; the caller re-counts after this."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
    try:
        event = Event.objects.select_for_update().get(pk=event_id)
        theme_ids, group_ids = sorted(set(theme_ids)), sorted(set(group_ids))
        if theme_ids:
            list(Theme.objects.select_for_update().filter(pk__in=theme_ids).order_by("pk").values("pk"))
        if group_ids:
            list(Group.objects.select_for_update().filter(pk__in=group_ids).order_by("pk").values("pk"))
    except OperationalError as error:
        raise BusyError from error
    return event


@dataclass
class SeatCheck:
    full: list[str] = field(default_factory=list)
    over_cap: list[str] = field(default_factory=list)


def _check_seat(
    event: Event,
    participant: Participant | None,
    theme: Theme | None,
    group: Group | None,
    *,
    exclude: int | None = None,
    key: str = "",
) -> SeatCheck:
    """Re-count, inside the lock, whether this participant (or a newcomer of `key`) may take one more seat."""
    result = SeatCheck()
    holding = Registration.objects.filter(event=event, status__in=HOLDING)
    if exclude is not None:
        holding = holding.exclude(pk=exclude)
    same_org = Q(participant__organisation_key=participant.organisation_key if participant else key)
    scopes: list[tuple[Any, Any, str]] = []
    if event.capacity is not None or event.per_organisation is not None:
        # Event-wide limits count people, not their themes.
        already = participant is not None and holding.filter(participant=participant).exists()
        if not already:
            scopes.append((event, holding, event.title))
    if theme is not None:
        scopes.append((theme, holding.filter(theme=theme), theme.title))
    if group is not None:
        scopes.append((group, holding.filter(group=group), group.name))
    for rules, queryset, label in scopes:
        if rules.per_organisation is not None:
            taken = queryset.filter(same_org).values("participant").distinct().count()
            if taken >= rules.per_organisation:
                result.over_cap.append(label)
        if rules.capacity is not None:
            taken = queryset.values("participant").distinct().count()
            if taken >= rules.capacity:
                result.full.append(label)
    return result


def _over_cap_error(check: SeatCheck) -> ValidationError:
    return ValidationError(
        _(
            "%(scope)s already has the maximum number of people of your organisation. "
            "Ask a colleague who cannot come to cancel, or contact the organisers."
        )
        % {"scope": ", ".join(check.over_cap)}
    )


# -- registering -------------------------------------------------------------------------------------


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
        key = organisation_key(data.organisation, data.organisation_name)
        participant = Participant.objects.filter(event=event, email=data.email).first()
        if participant is not None:
            # The same refusals a newcomer of this organisation would get, so the answer tells nothing more.
            for theme in themes:
                check = _check_seat(event, None, theme, None, key=key)
                if check.over_cap:
                    raise _over_cap_error(check)
            _send_personal_link(participant)
            log_action(None, "events.registration.repeated", participant, organisation=event.organisation)
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
    registrations = list(participant.registrations.select_related("theme").filter(status__in=ACTIVE))
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


# -- freeing and offering seats ---------------------------------------------------------------------


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


def cancel_registration(registration: Registration, *, actor: User | None = None, now: datetime | None = None) -> None:
    """Cancelled by the person (their link) or an organiser; a held seat goes to the waiting list."""
    now = now or timezone.now()
    with transaction.atomic():
        event = _lock(registration.event_id, [registration.theme_id] if registration.theme_id else [])
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        if registration.status not in ACTIVE:
            return
        held = registration.holds_seat
        registration.status = Status.CANCELLED
        registration.cancelled_at = now
        registration.expires_at = None
        registration.save(update_fields=["status", "cancelled_at", "expires_at"])
        log_action(actor, "events.registration.cancelled", registration, organisation=event.organisation)
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
        held = registration.holds_seat
        registration.status = Status.REFUSED
        registration.cancelled_at = now
        registration.save(update_fields=["status", "cancelled_at"])
        log_action(actor, "events.registration.refused", registration, organisation=event.organisation)
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


# -- intervision groups -----------------------------------------------------------------------------


@dataclass
class Placement:
    placed: int = 0
    preferences_kept: int = 0
    unplaced: list[Registration] = field(default_factory=list)


def place_in_groups(actor: User, event: Event) -> Placement:
    """Place confirmed, unplaced participants: preferences first where capacity and the cap allow, then the emptiest group."""
    result = Placement()
    with transaction.atomic():
        groups = list(event.groups.order_by("pk"))
        event = _lock(event.pk, group_ids=[group.pk for group in groups])
        placed = Registration.objects.filter(event=event, status__in=HOLDING, group__isnull=False).select_related(
            "participant"
        )
        size: Counter[int] = Counter()
        per_org: Counter[tuple[int, str]] = Counter()
        for registration in placed:
            assert registration.group_id is not None
            size[registration.group_id] += 1
            per_org[(registration.group_id, registration.participant.organisation_key)] += 1
        todo = list(
            Registration.objects.filter(event=event, status=Status.CONFIRMED, group__isnull=True)
            .select_related("participant")
            .order_by("confirmed_at", "id")
        )

        def fits(group: Group, key: str) -> bool:
            if group.capacity is not None and size[group.pk] >= group.capacity:
                return False
            return group.per_organisation is None or per_org[(group.pk, key)] < group.per_organisation

        by_position = sorted(groups, key=lambda group: (group.position, group.pk))
        for registration in todo:
            key = registration.participant.organisation_key
            preferred = next((g for g in groups if g.pk == registration.preferred_group_id), None)
            if preferred is not None and fits(preferred, key):
                chosen: Group | None = preferred
                result.preferences_kept += 1
            else:
                candidates = [group for group in by_position if fits(group, key)]
                chosen = min(candidates, key=lambda group: size[group.pk]) if candidates else None
            if chosen is None:
                result.unplaced.append(registration)
                continue
            registration.group = chosen
            registration.save(update_fields=["group"])
            size[chosen.pk] += 1
            per_org[(chosen.pk, key)] += 1
            result.placed += 1
        log_action(
            actor,
            "events.groups.placed",
            event,
            {"placed": result.placed, "preferences_kept": result.preferences_kept, "unplaced": len(result.unplaced)},
        )
    return result


def move_to_group(actor: User, registration: Registration, group: Group | None) -> Registration:
    """A move by hand, re-checked against the new group's capacity and per-organisation cap."""
    with transaction.atomic():
        if group is not None and group.event_id != registration.event_id:
            raise ValidationError(_("Choose a group of this event."))
        event = _lock(registration.event_id, group_ids=[group.pk] if group else [])
        registration = Registration.objects.select_for_update().select_related("participant").get(pk=registration.pk)
        if group is not None:
            check = _check_seat(event, registration.participant, None, group, exclude=registration.pk)
            if check.over_cap:
                raise ValidationError(
                    _("%(group)s already has the maximum number of people of this organisation.") % {"group": group}
                )
            if check.full:
                raise ValidationError(_("%(group)s is full.") % {"group": group})
        previous = registration.group_id
        registration.group = group
        registration.save(update_fields=["group"])
        log_action(
            actor,
            "events.registration.moved",
            registration,
            {"from": previous, "to": group.pk if group else None},
            organisation=event.organisation,
        )
    return registration


# -- invitations, reminders, messages ---------------------------------------------------------------


def session_calendar(session: Session, event: Event, registration: Registration) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//maillage//events//")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    item = CalendarEvent()
    item.add("uid", f"session-{session.pk}-registration-{registration.pk}@maillage")
    item.add("dtstamp", timezone.now())
    item.add("dtstart", session.starts_at)
    item.add("dtend", session.ends_at)
    item.add("summary", f"{event.title} · {session.title or session}")
    item.add("location", session.place or event.place or event.online_link)
    item.add(
        "description",
        "\n".join(filter(None, [event.online_link, event.practical_details, personal_url(registration.participant)])),
    )
    calendar.add_component(item)
    return calendar.to_ical()


def qr_png(data: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(data, error="m").save(buffer, kind="png", scale=5)
    return buffer.getvalue()


def qr_svg_data_uri(data: str) -> str:
    return segno.make(data, error="m").svg_data_uri(scale=4)  # type: ignore[no-any-return]


def send_invitation(registration: Registration) -> None:
    """The invitation: every session as .ics, the practical details, the personal link, QR codes for the door.

    Recorded in the outbox in the caller's transaction (or its own), so it leaves exactly when the
    confirmation that decided it is committed.
    """
    with transaction.atomic():
        registration = Registration.objects.select_related("participant", "event", "theme", "group").get(
            pk=registration.pk
        )
        if registration.status != Status.CONFIRMED:
            return
        participant, event = registration.participant, registration.event
        sessions = sessions_of(registration)
        attachments: list[tuple[str, bytes | str, str]] = []
        for number, session in enumerate(sessions, start=1):
            attachments.append(
                (f"session-{number}.ics", session_calendar(session, event, registration), "text/calendar")
            )
            if event.invitation_only:
                png = qr_png(checkin_url(registration, session))
                attachments.append((f"entry-session-{number}.png", png, "image/png"))
        send_templated_mail(
            "events/emails/invitation",
            [participant.email],
            {
                "participant": participant,
                "event": event,
                "registration": registration,
                "sessions": sessions,
                "personal_link": personal_url(participant),
            },
            language=participant.language,
            attachments=attachments,
        )
        Registration.objects.filter(pk=registration.pk).update(invited_at=timezone.now())
        log_action(None, "events.registration.invited", registration, organisation=event.organisation)


def resend_invitations(actor: User, event: Event) -> int:
    """Every confirmed participant's invitation again, queued in one transaction with its audit entry."""
    with transaction.atomic():
        registrations = list(event.registrations.filter(status=Status.CONFIRMED))
        for registration in registrations:
            send_invitation(registration)
        log_action(actor, "events.invitations.sent", event, {"count": len(registrations)})
    return len(registrations)


def confirmed_registrations(
    event: Event, *, group: Group | None = None, session: Session | None = None
) -> list[Registration]:
    registrations = event.registrations.filter(status=Status.CONFIRMED).select_related("participant")
    if group is not None:
        registrations = registrations.filter(group=group)
    if session is not None:
        if session.theme_id:
            registrations = registrations.filter(theme_id=session.theme_id)
        if session.group_id:
            registrations = registrations.filter(group_id=session.group_id)
    return list(registrations)


def send_message(
    actor: User,
    event: Event,
    subject: str,
    body: str,
    *,
    group: Group | None = None,
    session: Session | None = None,
) -> int:
    """One email to every confirmed participant of the event, a group or a session (each person once)."""
    with transaction.atomic():
        participants = {
            r.participant_id: r.participant for r in confirmed_registrations(event, group=group, session=session)
        }
        for participant in participants.values():
            # Queued, not sent: the worker sends them after commit, so the request never loops over SMTP.
            send_templated_mail(
                "events/emails/message",
                [participant.email],
                {
                    "participant": participant,
                    "event": event,
                    "subject": subject,
                    "body": body,
                    "personal_link": personal_url(participant),
                },
                language=participant.language,
            )
        log_action(
            actor,
            "events.message.sent",
            event,
            {
                "recipients": len(participants),
                "group": group.pk if group else None,
                "session": session.pk if session else None,
            },
        )
    return len(participants)


def send_reminders(*, now: datetime | None = None) -> int:
    """The day before each session, one reminder per confirmed participant; run twice, sent once."""
    now = now or timezone.now()
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    sent = 0
    sessions = Session.objects.filter(starts_at__date=tomorrow).select_related("event", "theme", "group")
    for session in sessions:
        for registration in confirmed_registrations(session.event, session=session):
            with transaction.atomic():
                _reminder, created = Reminder.objects.get_or_create(session=session, registration=registration)
                if not created:
                    continue
                log_action(
                    None,
                    "events.reminder.sent",
                    registration,
                    {"session": session.pk},
                    organisation=session.event.organisation,
                )
                _send_reminder(registration.participant, session)
            sent += 1
    return sent


def _send_reminder(participant: Participant, session: Session) -> None:
    send_templated_mail(
        "events/emails/reminder",
        [participant.email],
        {
            "participant": participant,
            "event": session.event,
            "session": session,
            "personal_link": personal_url(participant),
        },
        language=participant.language,
    )


# -- attendance -------------------------------------------------------------------------------------


@dataclass
class CheckIn:
    registration: Registration
    attendance: Attendance
    created: bool


def _record_attendance(actor: User, session: Session, registration: Registration, method: str) -> CheckIn:
    if registration.status != Status.CONFIRMED or not covers(registration, session):
        raise ValidationError(
            _("%(person)s is not expected at this session.") % {"person": registration.participant.full_name}
        )
    with transaction.atomic():
        attendance, created = Attendance.objects.get_or_create(
            session=session, registration=registration, defaults={"method": method, "checked_in_by": actor}
        )
        if created:
            log_action(
                actor,
                "events.attendance.checked_in",
                registration,
                {"session": session.pk, "method": method},
                organisation=session.event.organisation,
            )
    return CheckIn(registration, attendance, created)


def read_checkin_code(code: str) -> dict[str, int]:
    token = code.strip().rstrip("/").rsplit("/", 1)[-1]
    try:
        value = signing.loads(token, salt=CHECKIN_SALT)
        return {"r": int(value["r"]), "s": int(value["s"])}
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(_("This code is not a valid invitation code.")) from None


def check_in_by_code(actor: User, session: Session, code: str) -> CheckIn:
    """The QR code of the invitation, scanned at the door of `session`."""
    value = read_checkin_code(code)
    if value["s"] != session.pk:
        other = Session.objects.filter(pk=value["s"]).select_related("theme", "group").first()
        raise ValidationError(
            _("This invitation is for another session (%(other)s), not for this one.")
            % {"other": other if other else _("unknown")}
        )
    registration = Registration.objects.select_related("participant").filter(pk=value["r"], event=session.event).first()
    if registration is None:
        raise ValidationError(_("This code is not a valid invitation code."))
    return _record_attendance(actor, session, registration, Attendance.Method.QR)


def check_in_by_name(actor: User, session: Session, registration: Registration) -> CheckIn:
    return _record_attendance(actor, session, registration, Attendance.Method.NAME)


# -- notes, synthesis, recommendations --------------------------------------------------------------


def ensure_questions(event: Event) -> list[Question]:
    """The rapporteurs' questions; an event without its own gets the five of the seeds."""
    if not event.questions.exists():
        with transaction.atomic():
            for position, (label_fr, label_nl) in enumerate(DEFAULT_QUESTIONS):
                Question.objects.create(event=event, position=position, label_fr=label_fr, label_nl=label_nl)
            log_action(None, "events.questions.created", event, {"questions": len(DEFAULT_QUESTIONS)})
    return list(event.questions.all())


RAPPORTEUR_SALT = "maillage.events.rapporteur"


def rapporteur_token(breakout: Breakout) -> str:
    """The link a rapporteur without an account uses to write their group's notes."""
    return signing.dumps(breakout.pk, salt=RAPPORTEUR_SALT)


def rapporteur_link_days() -> int:
    """Days a rapporteur link stays valid after the event's last session: MAILLAGE_RAPPORTEUR_LINK_DAYS, 30 by default."""
    configured = getattr(settings, "MAILLAGE_RAPPORTEUR_LINK_DAYS", None)
    if configured is not None:
        return int(configured)
    return env_int("MAILLAGE_RAPPORTEUR_LINK_DAYS", 30, minimum=1)


def rapporteur_link_ends(event: Event) -> datetime | None:
    """When the event's rapporteur links stop working; None while it has no session (nothing has ended)."""
    last = event.sessions.aggregate(last=Max("ends_at"))["last"]
    return last + timedelta(days=rapporteur_link_days()) if last is not None else None


def breakout_for_token(token: str) -> Breakout | None:
    try:
        breakout_id = int(signing.loads(token, salt=RAPPORTEUR_SALT))
    except (signing.BadSignature, TypeError, ValueError):
        return None
    return Breakout.objects.select_related("event").filter(pk=breakout_id).first()


def add_breakout(actor: User, event: Event, name: str, rapporteur: str = "", theme: Theme | None = None) -> Breakout:
    with transaction.atomic():
        if Breakout.objects.filter(event=event, name=name.strip()).exists():
            raise ValidationError({"name": _("A group of this event already has this name.")})
        breakout = Breakout.objects.create(event=event, name=name.strip(), rapporteur=rapporteur.strip(), theme=theme)
        ensure_questions(event)
        log_action(actor, "events.breakout.created", breakout, organisation=event.organisation)
    return breakout


def split_points(text: str) -> list[str]:
    """Bullet points from a textarea: one per line, leading dashes, stars and bullets removed."""
    points = []
    for line in text.splitlines():
        cleaned = re.sub(r"^\s*([-*•>]+|\d+[.)])\s*", "", line).strip()
        if cleaned:
            points.append(cleaned)
    return points


def add_points(actor: User | None, breakout: Breakout, question: Question, text: str) -> list[NotePoint]:
    if question.event_id != breakout.event_id:
        raise ValidationError(_("Choose a question of this event."))
    points = split_points(text)
    if not points:
        raise ValidationError({"text": _("Write at least one point.")})
    with transaction.atomic():
        start = breakout.points.filter(question=question).count()
        created = [
            NotePoint.objects.create(breakout=breakout, question=question, text=point, position=start + index)
            for index, point in enumerate(points)
        ]
        log_action(
            actor,
            "events.notes.added",
            breakout,
            {"question": question.pk, "points": len(created)},
            organisation=breakout.event.organisation,
        )
    return created


def merge_points(actor: User, keep: NotePoint, others: Sequence[NotePoint]) -> NotePoint:
    """Duplicates of the same idea become one point of the synthesis; each keeps its group as a source."""
    others = [point for point in others if point.pk != keep.pk]
    event_id = keep.breakout.event_id
    if any(point.breakout.event_id != event_id or point.question_id != keep.question_id for point in others):
        raise ValidationError(_("Only points of the same question of one event can be merged."))
    with transaction.atomic():
        ids = [point.pk for point in others]
        NotePoint.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids)).update(merged_into=keep)
        if keep.merged_into_id is not None:
            keep.merged_into = None
            keep.save(update_fields=["merged_into"])
        log_action(
            actor, "events.synthesis.merged", keep, {"merged": ids}, organisation=keep.breakout.event.organisation
        )
    return keep


def split_point(actor: User, point: NotePoint) -> None:
    with transaction.atomic():
        point.merged_into = None
        point.save(update_fields=["merged_into"])
        log_action(actor, "events.synthesis.split", point, organisation=point.breakout.event.organisation)


def edit_synthesis_point(actor: User, point: NotePoint, text: str) -> NotePoint:
    with transaction.atomic():
        point.synthesis_text = text.strip()
        point.save(update_fields=["synthesis_text"])
        log_action(actor, "events.synthesis.edited", point, organisation=point.breakout.event.organisation)
    return point


def save_recommendation(
    actor: User, event: Event, values: dict[str, Any], *, recommendation: Recommendation | None = None
) -> Recommendation:
    sources = list(values.pop("sources", []) or [])
    if any(point.breakout.event_id != event.pk for point in sources):
        raise ValidationError(_("Choose points of this event."))
    theme = values.get("theme")
    if theme is not None and theme.event_id != event.pk:
        raise ValidationError({"theme": _("Choose a theme of this event.")})
    with transaction.atomic():
        if recommendation is None:
            recommendation = Recommendation.objects.create(event=event, **values)
            code = "events.recommendation.created"
        else:
            for name, value in values.items():
                setattr(recommendation, name, value)
            recommendation.save(update_fields=list(values))
            code = "events.recommendation.updated"
        recommendation.sources.set(sources)
        log_action(actor, code, recommendation, organisation=event.organisation)
    return recommendation


def delete_recommendation(actor: User, recommendation: Recommendation) -> None:
    with transaction.atomic():
        log_action(
            actor, "events.recommendation.deleted", recommendation, organisation=recommendation.event.organisation
        )
        recommendation.delete()


# -- setting events up ------------------------------------------------------------------------------


def save_event(
    actor: User, values: dict[str, Any], organisers: Iterable[Organisation], *, event: Event | None = None
) -> Event:
    """Create or change an event; its lead organisation is always one of its organisers."""
    with transaction.atomic():
        if event is None:
            event = Event.objects.create(**values)
            code = "events.event.created"
        else:
            for name, value in values.items():
                setattr(event, name, value)
            event.save(update_fields=list(values))
            code = "events.event.updated"
        event.organisers.set({*organisers, event.organisation})
        ensure_questions(event)
        log_action(actor, code, event, {"kind": event.kind, "published": event.is_published})
    return event


def add_part(actor: User, event: Event, part: PartT) -> PartT:
    """Add a theme, a group or a session to an event."""
    with transaction.atomic():
        part.event = event
        part.save()
        log_action(actor, f"events.{part._meta.model_name}.created", event, {"id": part.pk})
    return part
