"""Pages that follow an event after its set-up: moved and cancelled sessions, scheduled messages, the
published book and its follow-up (public), and the emails the outbox sent (federation staff)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from maillage.core.audit import log_action
from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.models import OutboxEmail
from maillage.core.parsing import bad_parameters_answer_400, parse_page
from maillage.core.submission import create_once, previous_result
from maillage.core.tenancy import is_federation_staff
from maillage.events import queries, services
from maillage.events.forms import FollowUpForm, MoveSessionForm
from maillage.events.models import Event, FollowStatus, Recommendation, ScheduledMessage
from maillage.events.views import _confirm_page

OUTBOX_PAGE = 50


@login_required
def move_session(request: AuthenticatedRequest, event_id: int, session_id: int) -> HttpResponse:
    """A session's new date (participants get the updated invitation), or the way to cancel it."""
    event = queries.managed_event_or_404(request.user, event_id)
    session = get_object_or_404(event.sessions.select_related("theme", "group"), pk=session_id)
    form = MoveSessionForm(
        request.POST or None,
        initial={
            "starts_at": timezone.localtime(session.starts_at).replace(tzinfo=None),
            "ends_at": timezone.localtime(session.ends_at).replace(tzinfo=None),
        },
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.move_session(
                    request.user, session, form.cleaned_data["starts_at"], form.cleaned_data["ends_at"]
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Session moved: its participants get the updated invitation."))
                return redirect("events:edit_event", event_id=event.pk)
        status = 422
    return render(
        request, "events/move_session.html", {"event": event, "session": session, "form": form}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def cancel_session(request: AuthenticatedRequest, event_id: int, session_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    session = get_object_or_404(event.sessions, pk=session_id)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        services.cancel_session(request.user, session)
        messages.success(request, _("Session cancelled: its participants are told and their calendars updated."))
        return redirect("events:edit_event", event_id=event.pk)
    return _confirm_page(
        request,
        title=_("Cancel this session?"),
        question=str(session),
        consequence=_(
            "Every participant of this session gets a cancellation for their calendar. This cannot be undone."
        ),
        confirm_label=_("Yes, cancel the session"),
        back=reverse("events:move_session", args=[event.pk, session.pk]),
    )


@login_required
@require_POST
def cancel_scheduled(request: AuthenticatedRequest, event_id: int, message_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    message = get_object_or_404(ScheduledMessage, pk=message_id, event=event)
    try:
        services.cancel_scheduled_message(request.user, message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Scheduled message withdrawn."))
    return redirect("events:message", event_id=event.pk)


@login_required
def attendance(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """Attendance rates per group over the sessions held, and absences per participant (identifying: audited)."""
    event = queries.managed_event_or_404(request.user, event_id)
    rates, people = services.attendance_by_group(event)
    log_action(request.user, "events.attendance.read", event, {"people": len(people)})
    return render(request, "events/attendance.html", {"event": event, "rates": rates, "people": people})


# The book ---------------------------------------------------------------------------------------------


@login_required
@require_POST
def publish_book(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    event = queries.managed_event_or_404(request.user, event_id)
    try:
        services.publish_book(request.user, event)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The book is published at its public address."))
    return redirect("events:book", event_id=event.pk)


def _pdf_response(event: Event, request: HttpRequest) -> HttpResponse:
    link = request.build_absolute_uri(reverse("events:public_book", args=[event.slug]))
    response = HttpResponse(services.book_pdf_bytes(event, link), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="book-{event.slug}.pdf"'
    return response


@login_required
def book_pdf(request: AuthenticatedRequest, event_id: int) -> HttpResponse:
    """The book as a PDF for the organisers, published or not."""
    return _pdf_response(queries.managed_event_or_404(request.user, event_id), request)


@login_required
def follow_up(request: AuthenticatedRequest, event_id: int, recommendation_id: int) -> HttpResponse:
    """Add a dated step (status, note, to whom) to a published recommendation."""
    event = queries.managed_event_or_404(request.user, event_id)
    recommendation = get_object_or_404(
        Recommendation.objects.prefetch_related("updates"), pk=recommendation_id, event=event
    )
    form = FollowUpForm(
        request.POST or None,
        initial={
            "status": recommendation.follow_status,
            "on": timezone.localdate(),
            "addressed_to": recommendation.addressed_to,
        },
    )
    status = 200
    if request.method == "POST":
        previous = previous_result(request, "events.follow_up")
        if previous is not None:
            return previous.redirect(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                outcome = create_once(
                    request,
                    "events.follow_up",
                    lambda: services.add_follow_up(
                        request.user,
                        recommendation,
                        data["status"],
                        data["on"],
                        data["note"],
                        addressed_to=data["addressed_to"] or None,
                    ),
                    lambda _update: (
                        reverse("events:follow_up", args=[event.pk, recommendation.pk]),
                        _("This step was already recorded."),
                    ),
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if outcome.repeated:
                    return outcome.redirect(request)
                messages.success(request, _("Step recorded; it shows on the public follow-up page."))
                return redirect("events:follow_up", event_id=event.pk, recommendation_id=recommendation.pk)
        status = 422
    return render(
        request,
        "events/follow_up.html",
        {"event": event, "recommendation": recommendation, "form": form, "updates": recommendation.updates.all()},
        status=status,
    )


def _published_book_or_404(slug: str) -> Event:
    event = Event.objects.filter(slug=slug, book_published_at__isnull=False).select_related("organisation").first()
    if event is None:
        raise Http404
    return event


def public_book(request: HttpRequest, slug: str) -> HttpResponse:
    """The published book at its stable address, for anyone, in French or Dutch (the reader's language)."""
    event = _published_book_or_404(slug)
    return render(
        request,
        "events/public_book.html",
        {"event": event, "chapters": services.chapters(event), "organisers": event.organisers.all()},
    )


def public_book_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    return _pdf_response(_published_book_or_404(slug), request)


def public_follow_up(request: HttpRequest, slug: str) -> HttpResponse:
    """What became of each recommendation: whom it is addressed to, its status, the dated steps."""
    event = _published_book_or_404(slug)
    recommendations = list(services.book_recommendations(event))
    counts = dict.fromkeys(FollowStatus.values, 0)
    for recommendation in recommendations:
        counts[recommendation.follow_status] += 1
    return render(
        request,
        "events/public_follow_up.html",
        {
            "event": event,
            "recommendations": recommendations,
            "counts": [(FollowStatus(status).label, count) for status, count in counts.items()],
        },
    )


# The outbox, for federation staff ----------------------------------------------------------------------


@login_required
@bad_parameters_answer_400
def outbox(request: AuthenticatedRequest) -> HttpResponse:
    """The emails the outbox recorded, newest first: to whom, what, when sent or why not (no bodies)."""
    if not is_federation_staff(request.user):
        raise Http404
    page = parse_page(request.GET.get("page"))
    emails = OutboxEmail.objects.order_by("-created_at", "-pk")
    total = emails.count()
    rows = list(emails[(page - 1) * OUTBOX_PAGE : page * OUTBOX_PAGE])
    return render(
        request,
        "events/outbox.html",
        {
            "emails": rows,
            "page": page,
            "has_next": page * OUTBOX_PAGE < total,
            "total": total,
        },
    )
