"""The organisers' set-up pages: an event's settings, then its themes, groups and sessions.

Every change goes through the services (`services.save_event`, `add_part`, `change_part`, `remove_part`),
which check what publishing needs, tell participants when a session changes and write the audit entries;
forms that create a record carry a one-time submission key, so a double click saves it once.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from maillage.core.forms import add_service_error
from maillage.core.http import AuthenticatedRequest
from maillage.core.submission import create_once, previous_result
from maillage.core.tenancy import organisations_of
from maillage.events import queries, services
from maillage.events.forms import EventForm, GroupForm, SessionDetailsForm, SessionForm, ThemeForm
from maillage.events.models import Event, Group, Session, Theme
from maillage.events.views import _confirm_page

# The parts of an event set up one by one, by the name they have in URLs and audit codes.
PART_MODELS: dict[str, type[Theme | Group | Session]] = {"theme": Theme, "group": Group, "session": Session}


@login_required
def edit_event(request: AuthenticatedRequest, event_id: int | None = None) -> HttpResponse:
    """Create or set up an event: its settings, then its themes, groups and sessions."""
    leads = organisations_of(request.user, queries.ORGANISER_ROLES)
    if not leads.exists():
        raise Http404
    event = queries.managed_event_or_404(request.user, event_id) if event_id is not None else None
    form = EventForm(
        request.POST if request.POST.get("part") == "event" else None,
        instance=event,
        lead_choices=leads,
        initial={"organisation": leads.first()},
    )
    parts = {
        "theme": ThemeForm(prefix="theme"),
        "group": GroupForm(prefix="group"),
        "session": SessionForm(prefix="session", event=event) if event else None,
    }
    if request.method == "POST":
        part = request.POST.get("part", "")
        if part == "event" and event is None:
            previous = previous_result(request, "events.event")
            if previous is not None:
                return previous.redirect(request)
        if part == "event" and form.is_valid():
            values = {name: value for name, value in form.cleaned_data.items() if name != "organisers"}
            organisers = form.cleaned_data["organisers"]
            try:
                if event is None:
                    outcome = create_once(
                        request,
                        "events.event",
                        lambda: services.save_event(request.user, values, organisers),
                        lambda saved: (
                            reverse("events:edit_event", args=[saved.pk]),
                            _("The event “%(title)s” was already saved.") % {"title": saved.title},
                        ),
                    )
                    if outcome.repeated:
                        return outcome.redirect(request)
                    assert outcome.result is not None
                    saved = outcome.result
                else:
                    saved = services.save_event(request.user, values, organisers, event=event)
            except ValidationError as error:
                add_service_error(form, error)  # type: ignore[arg-type]
                if event is not None:
                    event.refresh_from_db()
            else:
                messages.success(request, _("Event saved."))
                return redirect("events:edit_event", event_id=saved.pk)
        if event is not None and part in parts:
            purpose = f"events.{part}"
            previous = previous_result(request, purpose)
            if previous is not None:
                return previous.redirect(request)
            part_form: Any = (
                SessionForm(request.POST, prefix="session", event=event)
                if part == "session"
                else {"theme": ThemeForm, "group": GroupForm}[part](request.POST, prefix=part)
            )
            if part_form.is_valid():
                outcome = create_once(
                    request,
                    purpose,
                    lambda: services.add_part(request.user, event, part_form.save(commit=False)),
                    lambda added: (
                        reverse("events:edit_event", args=[event.pk]),
                        _("“%(part)s” was already added.") % {"part": added},
                    ),
                )
                if outcome.repeated:
                    return outcome.redirect(request)
                messages.success(request, _("Added."))
                return redirect("events:edit_event", event_id=event.pk)
            parts[part] = part_form
    return render(
        request,
        "events/edit_event.html",
        {
            "event": event,
            "form": form,
            "parts": parts,
            "sessions": event.sessions.select_related("theme", "group") if event else [],
            "checklist": services.publication_checklist(event),
            "themes": event.themes.all() if event else [],
            "groups": event.groups.all() if event else [],
        },
    )


def _part_or_404(event: Event, kind: str, part_id: int) -> Theme | Group | Session:
    model = PART_MODELS.get(kind)
    if model is None:
        raise Http404
    return cast(Theme | Group | Session, get_object_or_404(model.objects.filter(event=event), pk=part_id))


def _part_form(kind: str, event: Event, part: Any, data: Any = None) -> Any:
    if kind == "session":
        return SessionDetailsForm(data, instance=part, event=event)
    return {"theme": ThemeForm, "group": GroupForm}[kind](data, instance=part)


@login_required
@require_http_methods(["GET", "POST"])
def edit_part(request: AuthenticatedRequest, event_id: int, kind: str, part_id: int) -> HttpResponse:
    """Change one theme, group or session (a session's date: the move page, which tells its participants)."""
    event = queries.managed_event_or_404(request.user, event_id)
    part = _part_or_404(event, kind, part_id)
    # The form fills the instance it is given; the page keeps showing the saved part if the service refuses.
    form = _part_form(kind, event, type(part).objects.get(pk=part.pk), request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.change_part(request.user, part, form.cleaned_data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect("events:edit_event", event_id=event.pk)
        status = 422
    return render(
        request,
        "events/edit_part.html",
        {"event": event, "part": part, "kind": kind, "form": form, "in_use": services.part_in_use(part)},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def remove_part(request: AuthenticatedRequest, event_id: int, kind: str, part_id: int) -> HttpResponse:
    """Remove a theme, group or session set up by mistake, after a confirmation step (works without JavaScript)."""
    event = queries.managed_event_or_404(request.user, event_id)
    part = _part_or_404(event, kind, part_id)
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.remove_part(request.user, part)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("events:edit_part", event_id=event.pk, kind=kind, part_id=part.pk)
        messages.success(request, _("“%(part)s” was removed.") % {"part": part})
        return redirect("events:edit_event", event_id=event.pk)
    reason = services.part_in_use(part)
    if reason:
        messages.error(request, reason)
        return redirect("events:edit_part", event_id=event.pk, kind=kind, part_id=part.pk)
    return _confirm_page(
        request,
        title=_("Remove “%(part)s”?") % {"part": part},
        question=_("No one is registered for it yet; it disappears from the event."),
        consequence=_("This cannot be undone."),
        confirm_label=_("Yes, remove it"),
        back=reverse("events:edit_part", args=[event.pk, kind, part.pk]),
    )
