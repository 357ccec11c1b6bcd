"""Public pages (event, registration, confirmation, the participant's own page) and the organisers' pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, clean_query_text, parse_int
from maillage.core.spreadsheet import csv_response, separator_from_request
from maillage.core.submission import create_once, previous_result
from maillage.events import queries, services
from maillage.events.forms import (
    BreakoutForm,
    CheckInCodeForm,
    MergeForm,
    MessageForm,
    MoveForm,
    PointsForm,
    RapporteurForm,
    RecommendationForm,
    RegistrationForm,
    SynthesisEditForm,
)
from maillage.events.models import (
    ACTIVE,
    Attendance,
    NotePoint,
    Participant,
    Recommendation,
    Registration,
    Status,
)

# What a participant may take back through their personal link (a refusal is the organisers' decision).
COMES_BACK = (Status.CANCELLED, Status.EXPIRED)

DOOR_SESSION_KEY = "events_door_session"
REGISTERED_KEY = "events_registered"


# -- public ------------------------------------------------------------------------------------------


def event_list(request: HttpRequest) -> HttpResponse:
    return render(request, "events/event_list.html", {"events": queries.public_events()})


def event_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page and its registration form (no account needed; works without JavaScript)."""
    event = queries.public_event_or_404(slug)
    form = RegistrationForm(request.POST or None, event=event)
    status = 200
    if request.method == "POST":
        previous = previous_result(request, "events.registration")
        if previous is not None:
            return previous.redirect(request)
        if form.is_valid():
            data = form.to_data()
            try:
                outcome = create_once(
                    request,
                    "events.registration",
                    lambda: services.register(event, data),
                    lambda _result: (
                        reverse("events:registered", args=[event.slug]),
                        _("Your registration was already received: check your email."),
                    ),
                )
            except services.BusyError:
                form.add_error(None, _("Many people are registering right now. Please send the form again."))
                status = 409
            except ValidationError as error:
                add_service_error(form, error)
                status = 422
            else:
                # New or already registered, the answer is the same (the email says which): only the address typed.
                request.session[REGISTERED_KEY] = {"event": event.pk, "email": data.email}
                if outcome.repeated:
                    return outcome.redirect(request)
                return redirect("events:registered", slug=event.slug)
        else:
            status = 422
    now = timezone.now()
    closed = services.registration_window_problem(event, now)
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "form": form,
            "closed": closed,
            "sessions": event.sessions.select_related("theme", "group"),
            "themes": event.themes.prefetch_related("sessions"),
            "groups": event.groups.all(),
            "organisers": event.organisers.all(),
            "seats": queries.seat_summaries(event),
        },
        status=status,
    )


def registered(request: HttpRequest, slug: str) -> HttpResponse:
    """The same page whether the address was new or already registered: it reveals nothing about anyone."""
    event = queries.public_event_or_404(slug)
    sent = request.session.get(REGISTERED_KEY)
    if not isinstance(sent, dict) or sent.get("event") != event.pk:
        return redirect("events:event", slug=event.slug)
    return render(request, "events/registered.html", {"event": event, "email": sent.get("email", "")})


def _registrations_of(participant: Any) -> list[Registration]:
    return list(participant.registrations.select_related("theme", "group").order_by("theme__position", "pk"))


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners follow links); POST confirms."""
    if request.method == "POST":
        try:
            participant = services.confirm_email(token)
        except ValidationError as error:
            return render(request, "events/link_problem.html", {"reason": error.messages[0]}, status=410)
        messages.success(request, _("Thank you, your email address is confirmed."))
        return redirect("events:participant", token=participant.token)
    return render(request, "events/confirm.html", {"token": token})


def participant_page(request: HttpRequest, token: str) -> HttpResponse:
    participant = queries.participant_by_token_or_404(token)
    registrations = _registrations_of(participant)
    event = participant.event
    for registration in registrations:
        if registration.status == Status.WAITING:
            registration.position = queries.waiting_position(registration)  # type: ignore[attr-defined]
    # Cancelled or expired rows come back only here, through the emailed link (never by typing an address).
    taken_back = {registration.theme_id for registration in registrations if registration.status in COMES_BACK}
    confirmed = [registration for registration in registrations if registration.status == Status.CONFIRMED]
    entries: list[dict[str, Any]] = []
    for registration in confirmed:
        for session in services.sessions_of(registration):
            qr = services.qr_svg_data_uri(services.checkin_url(registration, session)) if event.invitation_only else ""
            entries.append({"registration": registration, "session": session, "qr": qr})
    entries.sort(key=lambda entry: entry["session"].starts_at)
    active_themes = {registration.theme_id for registration in registrations if registration.status in ACTIVE}
    more_themes = (
        [theme for theme in event.themes.all() if theme.pk not in active_themes and theme.pk not in taken_back]
        if event.has_themes
        else []
    )
    others = (
        Participant.objects.filter(email=participant.email)
        .exclude(pk=participant.pk)
        .select_related("event")
        .order_by("-created_at")
    )
    return render(
        request,
        "events/participant.html",
        {
            "participant": participant,
            "event": event,
            "registrations": registrations,
            "confirmed": bool(confirmed),
            "entries": entries,
            "others": others,
            "active": ACTIVE,
            "comes_back": COMES_BACK,
            "more_themes": more_themes,
        },
    )


def _participant_registration(token: str, registration_id: int) -> Registration:
    participant = queries.participant_by_token_or_404(token)
    return get_object_or_404(Registration.objects.select_related("event"), pk=registration_id, participant=participant)


def _confirm_page(
    request: HttpRequest, *, title: str, question: str, consequence: str, confirm_label: str, back: str
) -> HttpResponse:
    """The step before an irreversible action (works without JavaScript): the button on it posts."""
    return render(
        request,
        "events/confirm_action.html",
        {
            "title": title,
            "question": question,
            "consequence": consequence,
            "confirm_label": confirm_label,
            "back": back,
        },
    )


@require_http_methods(["GET", "POST"])
def participant_cancel(request: HttpRequest, token: str, registration_id: int) -> HttpResponse:
    """GET asks first (the seat goes to the next person at once); POST cancels."""
    registration = _participant_registration(token, registration_id)
    if request.method == "GET":
        if registration.status not in ACTIVE:
            return redirect("events:participant", token=token)
        return _confirm_page(
            request,
            title=_("Cancel this registration?"),
            question=_("Do you want to cancel your registration for %(what)s?")
            % {"what": registration.theme.title if registration.theme else registration.event.title},
            consequence=_("Your place goes at once to the next person on the waiting list."),
            confirm_label=_("Yes, cancel my registration"),
            back=reverse("events:participant", args=[token]),
        )
    services.cancel_registration(registration)
    messages.success(request, _("Your registration is cancelled. Thank you for freeing the place."))
    return redirect("events:participant", token=token)


@require_POST
@bad_parameters_answer_400
def participant_register(request: HttpRequest, token: str) -> HttpResponse:
    """Take back a cancelled or expired registration, or add a theme: only with the personal link."""
    participant = queries.participant_by_token_or_404(token)
    theme_id = parse_int(request.POST.get("theme"), name="theme", minimum=1)
    theme = get_object_or_404(participant.event.themes, pk=theme_id) if theme_id is not None else None
    try:
        registration = services.register_again(participant, theme)
    except services.BusyError:
        messages.error(request, _("Many people are registering right now. Please try again."))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("Registered again: %(status)s.") % {"status": registration.get_status_display()},
        )
    return redirect("events:participant", token=token)


@require_POST
def participant_accept(request: HttpRequest, token: str, registration_id: int) -> HttpResponse:
    registration = _participant_registration(token, registration_id)
    try:
        services.accept_offer(registration)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("The place is yours. Your invitation is on its way."))
    return redirect("events:participant", token=token)


def certificate(request: HttpRequest, token: str, registration_id: int) -> HttpResponse:
    registration = _participant_registration(token, registration_id)
    return _certificate(request, registration)


def _certificate(request: HttpRequest, registration: Registration) -> HttpResponse:
    attended = list(
        registration.attendances.select_related("session", "session__theme", "session__group").order_by(
            "session__starts_at"
        )
    )
    if not attended:
        # Said plainly rather than a bare "page not found".
        reason = _("No attendance is recorded for %(person)s yet: the certificate exists once they are checked in.") % {
            "person": registration.participant.full_name
        }
        return render(
            request, "events/link_problem.html", {"reason": reason, "title": _("No certificate yet")}, status=404
        )
    hours = sum((a.session.ends_at - a.session.starts_at).total_seconds() for a in attended) / 3600
    return render(
        request,
        "events/certificate.html",
        {
            "registration": registration,
            "participant": registration.participant,
            "event": registration.event,
            "attended": attended,
            "hours": round(hours, 1),
            "organisers": registration.event.organisers.all(),
        },
    )


# -- organisers --------------------------------------------------------------------------------------


@login_required
def manage_list(request: AuthenticatedRequest) -> HttpResponse:
    events = (
        queries.events_managed_by(request.user)
        .annotate(
            confirmed=Count("registrations", filter=Q(registrations__status=Status.CONFIRMED)),
            waiting=Count("registrations", filter=Q(registrations__status=Status.WAITING)),
        )
        .order_by("-created_at")
    )
    return render(request, "events/manage_list.html", {"events": events})


@login_required
def manage_event(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    registrations = queries.registrations_for(event).order_by("theme__position", "status", "created_at", "pk")
    status = request.GET.get("status", "")
    if status in Status.values:
        registrations = registrations.filter(status=status)
    return render(
        request,
        "events/manage_event.html",
        {
            "event": event,
            "registrations": registrations,
            "waiting": queries.waiting_list(event),
            "calendar_problems": services.calendar_problems(event),
            "checklist": services.publication_checklist(event) if not event.is_published else [],
            "seats": queries.seat_summaries(event),
            "statuses": Status.choices,
            "status": status,
            "sessions": queries.sessions_for_event(event),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def manage_registration(
    request: AuthenticatedRequest, event_id: int, registration_id: int, action: str
) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    registration = get_object_or_404(
        Registration.objects.select_related("participant"), pk=registration_id, event=event
    )
    if request.method == "GET":
        # Refusing and cancelling cannot be undone: a confirmation step first.
        if action not in ("refuse", "cancel"):
            raise Http404
        person = registration.participant.full_name
        return _confirm_page(
            request,
            title=_("Refuse this registration?") if action == "refuse" else _("Cancel this registration?"),
            question=(
                _("Do you want to refuse the registration of %(person)s?")
                if action == "refuse"
                else _("Do you want to cancel the registration of %(person)s?")
            )
            % {"person": person},
            consequence=_("Their place goes at once to the next person on the waiting list."),
            confirm_label=_("Yes, refuse") if action == "refuse" else _("Yes, cancel"),
            back=reverse("events:manage_event", args=[event.pk]),
        )
    try:
        if action == "approve":
            services.approve_registration(request.user, registration)
            messages.success(request, _("%(person)s is confirmed and invited.") % {"person": registration.participant})
        elif action == "refuse":
            services.refuse_registration(request.user, registration)
            messages.success(
                request, _("The registration of %(person)s is refused.") % {"person": registration.participant}
            )
        elif action == "cancel":
            services.cancel_registration(registration, actor=request.user)
            messages.success(
                request, _("The registration of %(person)s is cancelled.") % {"person": registration.participant}
            )
        elif action == "invite":
            services.send_invitation(registration)
            messages.success(request, _("Invitation sent again to %(person)s.") % {"person": registration.participant})
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("events:manage_event", event_id=event.pk)


@login_required
def manage_groups(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    if not event.has_groups:
        raise Http404
    if request.method == "POST":
        result = services.place_in_groups(request.user, event)
        messages.success(
            request,
            _("%(placed)s people placed (%(kept)s in the group they asked for); %(unplaced)s could not be placed.")
            % {"placed": result.placed, "kept": result.preferences_kept, "unplaced": len(result.unplaced)},
        )
        return redirect("events:manage_groups", event_id=event.pk)
    registrations = list(
        queries.registrations_for(event)
        .filter(status=Status.CONFIRMED)
        .order_by("group__position", "participant__full_name")
    )
    groups = list(event.groups.all())
    members: dict[int | None, list[Registration]] = {group.pk: [] for group in groups}
    members[None] = []
    for registration in registrations:
        members.setdefault(registration.group_id, []).append(registration)
    return render(
        request,
        "events/manage_groups.html",
        {
            "event": event,
            "groups": [(group, members[group.pk]) for group in groups],
            "unplaced": members[None],
            "move_form": MoveForm(event=event),
        },
    )


@login_required
@require_POST
def move_registration(request: AuthenticatedRequest, event_id: int, registration_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    registration = get_object_or_404(Registration, pk=registration_id, event=event)
    form = MoveForm(request.POST, event=event)
    if form.is_valid():
        try:
            services.move_to_group(request.user, registration, form.cleaned_data["group"])
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            messages.success(request, _("Moved."))
    else:
        messages.error(request, _("Choose a group of this event."))
    return redirect("events:manage_groups", event_id=event.pk)


@login_required
@bad_parameters_answer_400
def door(request: AuthenticatedRequest, event_id: int, session_id: int) -> HttpResponse:
    """Check-in at the door of one session: scan (or type) the invitation code, or tick a name on a tablet."""
    event = queries.managed_event_or_404(request.user, event_id)
    session = get_object_or_404(event.sessions.select_related("theme", "group"), pk=session_id)
    request.session[DOOR_SESSION_KEY] = session.pk
    search = clean_query_text(request.GET.get("q"), max_length=150)
    back = f"{request.path}?{urlencode({'q': search})}"
    form = CheckInCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        previous = previous_result(request, "events.checkin")
        if previous is not None:
            return previous.redirect(request)
        try:
            if "registration" in request.POST:
                registration = _expected_registration(event, request.POST["registration"])
                outcome = create_once(
                    request,
                    "events.checkin",
                    lambda: services.check_in_by_name(request.user, session, registration),
                    lambda result: (back, _checked_in_text(result, repeated=True)),
                )
            elif form.is_valid():
                code = form.cleaned_data["code"]
                outcome = create_once(
                    request,
                    "events.checkin",
                    lambda: services.check_in_by_code(request.user, session, code),
                    lambda result: (back, _checked_in_text(result, repeated=True)),
                )
            else:
                raise ValidationError(_("Scan or type the invitation code."))
        except ValidationError as error:
            messages.error(request, error.messages[0])
            status = 422
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            assert outcome.result is not None
            _checked_in_message(request, outcome.result)
            return redirect(back)
    expected = list(services.confirmed_registrations(event, session=session))
    query = search.casefold()
    if query:
        expected = [r for r in expected if query in r.participant.full_name.casefold()]
    present = dict(Attendance.objects.filter(session=session).values_list("registration_id", "checked_in_at"))
    expected.sort(key=lambda r: r.participant.full_name.casefold())
    return render(
        request,
        "events/door.html",
        {
            "event": event,
            "session": session,
            "form": CheckInCodeForm() if status == 200 else form,
            "expected": [(r, present.get(r.pk)) for r in expected],
            "present_count": len(present),
            "query": search,
        },
        status=status,
    )


def _expected_registration(event: Any, raw: str) -> Registration:
    """The person ticked on the door list; a tampered or stale value is a clear refusal, not a server error."""
    try:
        registration_id = parse_int(raw, name="registration", minimum=1)
    except BadParameter:
        registration_id = None
    registration = (
        Registration.objects.select_related("participant").filter(pk=registration_id, event=event).first()
        if registration_id is not None
        else None
    )
    if registration is None:
        raise ValidationError(_("This person is not on the list of this event: search the name again."))
    return registration


def _checked_in_text(result: services.CheckIn, *, repeated: bool = False) -> str:
    if result.created and not repeated:
        return _("Welcome, %(person)s: checked in.") % {"person": result.registration.participant}
    return _("%(person)s was already checked in at %(time)s.") % {
        "person": result.registration.participant,
        "time": timezone.localtime(result.attendance.checked_in_at).strftime("%H:%M"),
    }


def _checked_in_message(request: HttpRequest, result: services.CheckIn) -> None:
    if result.created:
        messages.success(request, _checked_in_text(result))
    else:
        messages.info(request, _checked_in_text(result))


@login_required
def checkin_scan(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The URL inside the QR code, opened by an organiser's phone camera at the door they have open."""
    try:
        value = services.read_checkin_code(token)
    except ValidationError as error:
        return render(request, "events/link_problem.html", {"reason": error.messages[0]}, status=400)
    registration = Registration.objects.select_related("event").filter(pk=value["r"]).first()
    if registration is None:
        raise Http404
    event = queries.managed_event_or_404(request.user, registration.event_id)
    session_id = request.session.get(DOOR_SESSION_KEY) or value["s"]
    session = event.sessions.filter(pk=session_id).first() or get_object_or_404(event.sessions, pk=value["s"])
    if request.method == "POST":
        door_url = reverse("events:door", args=[event.pk, session.pk])
        try:
            outcome = create_once(
                request,
                "events.checkin",
                lambda: services.check_in_by_code(request.user, session, token),
                lambda result: (door_url, _checked_in_text(result, repeated=True)),
            )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            assert outcome.result is not None
            _checked_in_message(request, outcome.result)
        return redirect(door_url)
    return render(
        request,
        "events/checkin_scan.html",
        {"event": event, "session": session, "registration": registration, "token": token},
    )


@login_required
def attendance_csv(request: AuthenticatedRequest, event_id: int) -> HttpResponseBase:
    event = queries.managed_event_or_404(request.user, event_id)
    sessions = list(event.sessions.select_related("theme", "group"))
    registrations = list(
        queries.registrations_for(event).filter(status=Status.CONFIRMED).order_by("participant__full_name")
    )
    present = set(Attendance.objects.filter(session__event=event).values_list("registration_id", "session_id"))
    header = [_("Name"), _("Email"), _("Organisation"), _("Theme"), _("Group")] + [str(s) for s in sessions]
    rows = []
    for registration in registrations:
        row = [
            registration.participant.full_name,
            registration.participant.email,
            registration.participant.organisation_label,
            registration.theme.title if registration.theme else "",
            registration.group.name if registration.group else "",
        ]
        for session in sessions:
            if not services.covers(registration, session):
                row.append("")
            else:
                row.append(_("present") if (registration.pk, session.pk) in present else _("absent"))
        rows.append(row)
    # Names typed by the public: the one writer neutralises formulas (issue 20).
    return csv_response(f"attendance-{event.slug}.csv", header, rows, separator=separator_from_request(request))


@login_required
def manage_certificate(request: AuthenticatedRequest, event_id: int, registration_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    registration = get_object_or_404(
        Registration.objects.select_related("participant", "event"), pk=registration_id, event=event
    )
    return _certificate(request, registration)


@login_required
def send_message(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    form = MessageForm(request.POST or None, event=event)
    if request.method == "POST":
        # A double click must not send the message to everyone twice.
        previous = previous_result(request, "events.message")
        if previous is not None:
            return previous.redirect(request)
    if request.method == "POST" and form.is_valid() and form.cleaned_data.get("send_at"):
        subject, body, target = form.cleaned_data["subject"], form.cleaned_data["body"], form.target()
        send_at = form.cleaned_data["send_at"]
        try:
            scheduled = create_once(
                request,
                "events.message",
                lambda: services.schedule_message(request.user, event, subject, body, send_at, **target),
                lambda _message: (reverse("events:message", args=[event.pk]), _("This message was already scheduled.")),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if scheduled.repeated:
                return scheduled.redirect(request)
            messages.success(
                request,
                _("Message scheduled for %(date)s.") % {"date": timezone.localtime(send_at).strftime("%d/%m/%Y %H:%M")},
            )
            return redirect("events:message", event_id=event.pk)
    elif request.method == "POST" and form.is_valid():
        subject, body, target = form.cleaned_data["subject"], form.cleaned_data["body"], form.target()
        outcome = create_once(
            request,
            "events.message",
            lambda: services.send_message(request.user, event, subject, body, **target),
            lambda count: (
                reverse("events:manage_event", args=[event.pk]),
                _("This message was already sent to %(count)s people.") % {"count": count},
            ),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("Message sent to %(count)s people.") % {"count": outcome.result})
        return redirect("events:manage_event", event_id=event.pk)
    return render(
        request,
        "events/message.html",
        {
            "event": event,
            "form": form,
            "scheduled": event.scheduled_messages.select_related("group", "session").order_by("-send_at")[:50],
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def send_invitations(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    count = services.resend_invitations(request.user, event)
    messages.success(request, _("Invitations sent to %(count)s people.") % {"count": count})
    return redirect("events:manage_event", event_id=event.pk)


@login_required
def notes(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """Rapporteurs' notes per breakout group, question by question."""
    event = queries.managed_event_or_404(request.user, event_id)
    breakout_form = BreakoutForm(prefix="breakout", event=event)
    points_form = PointsForm(prefix="points", event=event)
    if request.method == "POST":
        try:
            notes_url = reverse("events:notes", args=[event.pk])
            if "breakout-name" in request.POST:
                breakout_form = BreakoutForm(request.POST, prefix="breakout", event=event)
                previous = previous_result(request, "events.breakout")
                if previous is not None:
                    return previous.redirect(request)
                if breakout_form.is_valid():
                    values = breakout_form.cleaned_data
                    outcome = create_once(
                        request,
                        "events.breakout",
                        lambda: services.add_breakout(request.user, event, **values),
                        lambda breakout: (notes_url, _("The group “%(name)s” was already added.") % {"name": breakout}),
                    )
                    return outcome.redirect(request) if outcome.repeated else redirect(notes_url)
            else:
                points_form = PointsForm(request.POST, prefix="points", event=event)
                previous = previous_result(request, "events.notes")
                if previous is not None:
                    return previous.redirect(request)
                if points_form.is_valid():
                    values = points_form.cleaned_data
                    added = create_once(
                        request,
                        "events.notes",
                        lambda: services.add_points(request.user, **values),
                        lambda points: (notes_url, _("These points were already added.")),
                    )
                    if added.repeated:
                        return added.redirect(request)
                    messages.success(request, _("Points added."))
                    return redirect(notes_url)
        except ValidationError as error:
            add_service_error(breakout_form if "breakout-name" in request.POST else points_form, error)  # type: ignore[arg-type]
    return render(
        request,
        "events/notes.html",
        {
            "event": event,
            "breakouts": [
                (breakout, settings.SITE_URL + reverse("events:rapporteur", args=[services.rapporteur_token(breakout)]))
                for breakout in queries.breakouts_with_points(event)
            ],
            "breakout_form": breakout_form,
            "points_form": points_form,
            "links_end": services.rapporteur_link_ends(event),
        },
    )


def rapporteur(request: HttpRequest, token: str) -> HttpResponse:
    """A rapporteur's page, reached by the link the organisers send: the group's notes, question by question."""
    breakout = services.breakout_for_token(token)
    if breakout is None:
        raise Http404
    ends = services.rapporteur_link_ends(breakout.event)
    if ends is not None and timezone.now() > ends:
        reason = _("This rapporteur link expired on %(date)s, after the event. Ask the organisers for the notes.") % {
            "date": timezone.localtime(ends).strftime("%d/%m/%Y")
        }
        return render(request, "events/link_problem.html", {"reason": reason}, status=410)
    form = RapporteurForm(request.POST or None, event=breakout.event)
    if request.method == "POST":
        previous = previous_result(request, "events.rapporteur_notes")
        if previous is not None:
            return previous.redirect(request)
    if request.method == "POST" and form.is_valid():
        question, text = form.cleaned_data["question"], form.cleaned_data["text"]
        here = reverse("events:rapporteur", args=[token])
        try:
            outcome = create_once(
                request,
                "events.rapporteur_notes",
                lambda: services.add_points(None, breakout, question, text),
                lambda points: (here, _("These points were already added.")),
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if outcome.repeated:
                return outcome.redirect(request)
            messages.success(request, _("Points added."))
            return redirect(here)
    points = breakout.points.select_related("question").order_by("question__position", "position")
    return render(
        request,
        "events/rapporteur.html",
        {"breakout": breakout, "event": breakout.event, "form": form, "points": points},
    )


@login_required
def synthesis(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    if request.method == "POST":
        form = MergeForm(request.POST, event=event)
        if form.is_valid():
            points = form.cleaned_data["points"]
            try:
                services.merge_points(request.user, points[0], points[1:])
            except ValidationError as error:
                messages.error(request, error.messages[0])
            else:
                messages.success(request, _("Points merged."))
        else:
            messages.error(request, _("Tick at least two points of the same question to merge."))
        return redirect("events:synthesis", event_id=event.pk)
    return render(request, "events/synthesis.html", {"event": event, "questions": queries.synthesis(event)})


@login_required
def synthesis_point(request: AuthenticatedRequest, event_id: int, point_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    point = get_object_or_404(
        NotePoint.objects.select_related("breakout", "question"), pk=point_id, breakout__event=event
    )
    form = SynthesisEditForm(request.POST or None, initial={"text": point.shown_text})
    if request.method == "POST":
        if "split" in request.POST:
            services.split_point(request.user, point)
            return redirect("events:synthesis", event_id=event.pk)
        if form.is_valid():
            services.edit_synthesis_point(request.user, point, form.cleaned_data["text"])
            return redirect("events:synthesis", event_id=event.pk)
    return render(request, "events/synthesis_point.html", {"event": event, "point": point, "form": form})


@login_required
def recommendations(request: AuthenticatedRequest, event_id: int, recommendation_id: int | None = None) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    instance = (
        get_object_or_404(Recommendation, pk=recommendation_id, event=event) if recommendation_id is not None else None
    )
    form = RecommendationForm(request.POST or None, instance=instance, event=event)
    if request.method == "POST":
        if "delete" in request.POST and instance is not None:
            services.delete_recommendation(request.user, instance)
            return redirect("events:recommendations", event_id=event.pk)
        if instance is None:
            previous = previous_result(request, "events.recommendation")
            if previous is not None:
                return previous.redirect(request)
        if form.is_valid():
            values = dict(form.cleaned_data)
            try:
                if instance is None:
                    outcome = create_once(
                        request,
                        "events.recommendation",
                        lambda: services.save_recommendation(request.user, event, values),
                        lambda saved: (
                            reverse("events:recommendations", args=[event.pk]),
                            _("This recommendation was already saved."),
                        ),
                    )
                    if outcome.repeated:
                        return outcome.redirect(request)
                else:
                    services.save_recommendation(request.user, event, values, recommendation=instance)
            except ValidationError as error:
                add_service_error(form, error)  # type: ignore[arg-type]
            else:
                messages.success(request, _("Recommendation saved."))
                return redirect("events:recommendations", event_id=event.pk)
    return render(
        request,
        "events/recommendations.html",
        {"event": event, "form": form, "instance": instance, "recommendations": queries.recommendations_book(event)},
    )


@login_required
def book(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """The book of recommendations, ordered by theme, each with its sources; printable, as PDF, publishable."""
    event = queries.managed_event_or_404(request.user, event_id)
    return render(
        request,
        "events/book.html",
        {"event": event, "chapters": services.chapters(event), "organisers": event.organisers.all()},
    )
