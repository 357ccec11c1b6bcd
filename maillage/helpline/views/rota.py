"""The rota: the month's planning grid (service × slot), taking slots, swaps and covers, the coverage
report, who is on the line now, and the iCalendar feeds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import User
from maillage.core.parsing import BadParameter, bad_parameters_answer_400, parse_date, parse_int
from maillage.core.submission import create_once
from maillage.helpline import queries
from maillage.helpline.models import ChangeStatus, FeedToken, RotaMonth, RotaService, Slot, SlotChange
from maillage.helpline.services import rota
from maillage.helpline.views._common import line_or_404, staff_line_or_404

T = TypeVar("T")


def _month(raw: str) -> date:
    try:
        day = parse_date(f"{raw}-01", name="month")
    except BadParameter:
        raise Http404 from None
    assert day is not None
    return day


def _line_slot(request: AuthenticatedRequest, line_ids: set[int]) -> Slot:
    pk = parse_int(request.POST.get("slot"), name="slot", minimum=1)
    return get_object_or_404(Slot.objects.select_related("service"), pk=pk, organisation_id__in=line_ids)


def _grid_url(slot: Slot) -> str:
    return f"{reverse('helpline:rota_month', args=[f'{timezone.localtime(slot.starts_at):%Y-%m}'])}#slot-{slot.pk}"


def _once(request: AuthenticatedRequest, purpose: str, write: Callable[[], T], url: str, repeat: str) -> T | None:
    """Run a rota form's write once per submission key; a repeat (double click, back and resubmit)
    writes nothing more and reads `repeat` (the first answer), None is then returned."""
    outcome = create_once(request, purpose, write, lambda _record: (url, repeat))
    if outcome.repeated:
        if outcome.message:
            messages.info(request, outcome.message)
        return None
    return outcome.result


@login_required
@bad_parameters_answer_400
def rota_month(request: AuthenticatedRequest, month: str) -> HttpResponse:
    """The planning grid: one row per slot, one column per service; a service commits by its cell."""
    line = line_or_404(request)
    first = _month(month)
    if request.method == "POST":
        slot = _line_slot(request, {line.pk})
        service = get_object_or_404(
            RotaService, pk=parse_int(request.POST.get("service"), name="service", minimum=1), organisation=line
        )
        url = f"{reverse('helpline:rota_month', args=[month])}#slot-{slot.pk}"
        try:
            if request.POST.get("release"):
                _once(
                    request,
                    "helpline.rota.release",
                    lambda: rota.release_service(request.user, slot),
                    url,
                    _("This slot was already released."),
                )
            else:
                _once(
                    request,
                    "helpline.rota.commit",
                    lambda: rota.commit_service(request.user, slot, service),
                    url,
                    _("%(service)s was already committed to this slot.") % {"service": service},
                )
        except ValidationError as error:
            messages.error(request, error.messages[0])
        except PermissionError:
            messages.error(request, _("Only the responders of %(service)s commit it to slots.") % {"service": service})
        return redirect(url)
    start, last = rota.month_bounds(first)
    slots = list(
        Slot.objects.filter(organisation=line, starts_at__date__gte=start, starts_at__date__lte=last)
        .select_related("service", "responder")
        .order_by("starts_at", "language")
    )
    services = list(RotaService.objects.filter(organisation=line))
    mine = {s.pk for s in services if rota.can_commit(request.user, s)}
    report = rota.coverage(line, first)
    return render(
        request,
        "helpline/rota_month.html",
        {
            "line": line,
            "month": first,
            "month_value": month,
            "rota_month": RotaMonth.objects.filter(organisation=line, month=first).first(),
            "slots": slots,
            "services": services,
            "mine": mine,
            "report": report,
            "is_staff": line.pk in queries.staff_line_ids(request.user),
        },
    )


@login_required
@require_POST
@bad_parameters_answer_400
def rota_generate(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    month = _month(str(request.POST.get("month", ""))[:7])
    deadline = parse_date(request.POST.get("deadline"), name="deadline")
    hours = parse_int(request.POST.get("slot_hours"), name="slot_hours", minimum=1, maximum=12, default=4) or 4
    languages = tuple(code for code in ("fr", "nl") if code in request.POST.getlist("languages")) or ("fr", "nl")
    url = reverse("helpline:rota_month", args=[f"{month:%Y-%m}"])
    generated = _once(
        request,
        "helpline.rota.generate",
        lambda: rota.generate_month(
            request.user, line, month, languages=languages, slot_hours=hours, deadline=deadline
        ),
        url,
        _("The slots of the month were already generated from the line's calendar."),
    )
    if generated is not None:
        messages.success(request, _("The slots of the month were generated from the line's calendar."))
    return redirect(url)


@login_required
@require_POST
@bad_parameters_answer_400
def rota_take(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    slot = _line_slot(request, {line.pk})
    try:
        _once(
            request,
            "helpline.rota.take",
            lambda: rota.take_slot(request.user, slot),
            _grid_url(slot),
            _("You already took this slot."),
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect(_grid_url(slot))


@login_required
@bad_parameters_answer_400
def rota_changes(request: AuthenticatedRequest) -> HttpResponse:
    """Ask a colleague to cover or swap one of my slots; answer what colleagues asked me."""
    line = line_or_404(request)
    if request.method == "POST":
        try:
            if request.POST.get("change"):
                change = get_object_or_404(
                    SlotChange, pk=parse_int(request.POST.get("change"), name="change", minimum=1), organisation=line
                )
                accept = request.POST.get("accept") == "1"
                if _once(
                    request,
                    "helpline.rota.answer",
                    lambda: rota.answer_change(request.user, change, accept=accept),
                    reverse("helpline:rota_changes"),
                    _("Your answer was already recorded."),
                ):
                    messages.success(request, _("Your answer was recorded."))
            else:
                slot = _line_slot(request, {line.pk})
                offered_to = get_object_or_404(
                    User, pk=parse_int(request.POST.get("offered_to"), name="offered_to", minimum=1)
                )
                other_id = parse_int(request.POST.get("other_slot"), name="other_slot", minimum=1)
                other = get_object_or_404(Slot, pk=other_id, organisation=line) if other_id else None
                if _once(
                    request,
                    "helpline.rota.change",
                    lambda: rota.request_change(request.user, slot, offered_to, other),
                    reverse("helpline:rota_changes"),
                    _("Your request was already sent."),
                ):
                    messages.success(request, _("Your request was sent."))
        except ValidationError as error:
            messages.error(request, error.messages[0])
        except PermissionError:
            raise Http404 from None
        return redirect("helpline:rota_changes")
    now = timezone.now()
    return render(
        request,
        "helpline/rota_changes.html",
        {
            "my_slots": Slot.objects.filter(
                organisation=line, responder=request.user, starts_at__gte=now, cancelled_at__isnull=True
            ).select_related("service"),
            "colleagues": User.objects.filter(helpline_rota_services__organisation=line)
            .exclude(pk=request.user.pk)
            .distinct()
            .order_by("full_name"),
            # A swap asked for a slot cancelled since (the line's hours changed) can no longer be accepted.
            "asked_to_me": SlotChange.objects.filter(
                organisation=line, offered_to=request.user, status=ChangeStatus.PENDING, slot__cancelled_at__isnull=True
            ).select_related("slot", "other_slot", "requested_by"),
            "my_requests": SlotChange.objects.filter(organisation=line, requested_by=request.user).select_related(
                "slot", "offered_to"
            )[:20],
            "feeds": FeedToken.objects.filter(organisation=line, user=request.user, revoked_at__isnull=True),
        },
    )


@login_required
@bad_parameters_answer_400
def rota_coverage(request: AuthenticatedRequest, month: str) -> HttpResponse:
    line = staff_line_or_404(request)
    first = _month(month)
    return render(
        request,
        "helpline/rota_coverage.html",
        {"line": line, "month": first, "month_value": month, "report": rota.coverage(line, first)},
    )


@login_required
@require_GET
def rota_now(request: AuthenticatedRequest) -> HttpResponse:
    line = staff_line_or_404(request)
    return render(request, "helpline/rota_now.html", {"line": line, "slots": rota.on_the_line(line)})


@login_required
@require_POST
@bad_parameters_answer_400
def rota_feed_new(request: AuthenticatedRequest) -> HttpResponse:
    line = line_or_404(request)
    service_id = parse_int(request.POST.get("service"), name="service", minimum=1)
    service = get_object_or_404(RotaService, pk=service_id, organisation=line) if service_id else None
    try:
        feed = _once(
            request,
            "helpline.rota.feed",
            lambda: rota.new_feed(request.user, line, service=service),
            reverse("helpline:rota_changes"),
            _("This calendar address was already made: it is listed under Calendar feed."),
        )
    except PermissionError:
        raise Http404 from None
    if feed is not None:
        url = request.build_absolute_uri(reverse("helpline:rota_feed", args=[feed.token]))
        messages.success(request, _("Your calendar address (keep it private): %(url)s") % {"url": url})
    return redirect("helpline:rota_changes")


@login_required
@require_POST
@bad_parameters_answer_400
def rota_feed_revoke(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    line = line_or_404(request)
    feed = get_object_or_404(FeedToken, pk=pk, organisation=line)
    try:
        rota.revoke_feed(request.user, feed)
    except PermissionError:
        raise Http404 from None
    messages.success(request, _("The calendar address no longer works."))
    return redirect("helpline:rota_changes")


@require_GET
def rota_feed(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The iCalendar feed: the unguessable token is the key; a revoked or unknown one answers 404."""
    feed = FeedToken.objects.filter(token=token[:64], revoked_at__isnull=True).select_related("service").first()
    if feed is None:
        raise Http404
    return HttpResponse(rota.ical(feed), content_type="text/calendar; charset=utf-8")
