"""Public pages (subscribe, confirm, preferences, unsubscribe, archive) and the federation's pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from maillage.core.submission import create_once
from maillage.core.tenancy import is_federation_staff
from maillage.newsletters import rendering, sending, services
from maillage.newsletters.forms import (
    EditionForm,
    ImportForm,
    ListForm,
    PreferencesForm,
    ScheduleForm,
    SubscribeForm,
    TestSendForm,
)
from maillage.newsletters.models import Edition, EditionStatus, NewsletterList, Subscriber

View = Callable[..., HttpResponse]


def federation_only(view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_federation_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    language = (get_language() or "fr")[:2]
    form = SubscribeForm(request.POST or None, initial={"language": language if language in ("fr", "nl") else "fr"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.subscribe(data["email"], data["language"], data["lists"])
        return render(request, "newsletters/check_your_email.html", {"email": data["email"]})
    return render(request, "newsletters/subscribe.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The GET shows a button (mail scanners follow links); the POST confirms."""
    subscriber = get_object_or_404(Subscriber, token=token)
    if request.method == "POST":
        services.confirm(subscriber)
        messages.success(request, _("Your subscription is confirmed. Thank you."))
        return redirect("newsletters:preferences", token)
    return _no_store(render(request, "newsletters/confirm.html", {"subscriber": subscriber}))


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = get_object_or_404(Subscriber, token=token)
    form = PreferencesForm(
        request.POST or None, initial={"language": subscriber.language, "lists": list(subscriber.lists.all())}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.update_preferences(subscriber, data["language"], data["lists"], unsubscribe_all=data["unsubscribe"])
        subscriber.refresh_from_db()
        if subscriber.unsubscribed_at:
            messages.success(request, _("You are unsubscribed: you will receive no more newsletters."))
        else:
            messages.success(request, _("Your preferences are saved."))
        return redirect("newsletters:preferences", token)
    return _no_store(render(request, "newsletters/preferences.html", {"subscriber": subscriber, "form": form}))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058: a mail program POSTs "List-Unsubscribe=One-Click" here (no cookie, no CSRF token): done.

    A person following the link gets a page with a button (the GET changes nothing).
    """
    subscriber = get_object_or_404(Subscriber, token=token)
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        services.unsubscribe(subscriber, one_click=one_click)
        if one_click:
            return HttpResponse(_("Unsubscribed."), content_type="text/plain; charset=utf-8")
        messages.success(request, _("You are unsubscribed: you will receive no more newsletters."))
        return redirect("newsletters:preferences", token)
    return _no_store(render(request, "newsletters/unsubscribe.html", {"subscriber": subscriber}))


def archive(request: HttpRequest) -> HttpResponse:
    editions = (
        Edition.objects.filter(status=EditionStatus.SENT).select_related("newsletter").order_by("-finished_at")[:200]
    )
    return render(request, "newsletters/archive.html", {"editions": editions})


def archived_edition(request: HttpRequest, edition_id: int) -> HttpResponse:
    edition = get_object_or_404(Edition, pk=edition_id, status=EditionStatus.SENT)
    language = (get_language() or "fr")[:2]
    language = language if language in edition.newsletter.languages() else edition.newsletter.languages()[0]
    context = {
        "edition": edition,
        "subject": edition.subject_in(language),
        "html": rendering.to_html(edition.body_in(language)),
    }
    return render(request, "newsletters/archived_edition.html", context)


# Federation staff


@federation_only
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    form = ListForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = create_once(
            request, "newsletters.list", form.save,
            lambda item: (reverse("newsletters:manage"), _("This list was already created.")),
        )  # fmt: skip
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("List created."))
        return redirect("newsletters:manage")
    lists = NewsletterList.objects.all()
    editions = Edition.objects.select_related("newsletter")[:100]
    counts = {item.pk: sending.recipients_count(item) for item in lists}
    return render(
        request,
        "newsletters/manage.html",
        {"form": form, "lists": [(item, counts[item.pk]) for item in lists], "editions": editions},
    )


@federation_only
@require_http_methods(["GET", "POST"])
def import_subscribers(request: HttpRequest, list_id: int) -> HttpResponse:
    newsletter = get_object_or_404(NewsletterList, pk=list_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    bad: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        good, bad = form.check_rows()
        if not bad and good:
            new, updated = services.import_subscribers(request.user, newsletter, good)  # type: ignore[arg-type]
            messages.success(
                request, _("%(new)s subscribers added, %(updated)s already known.") % {"new": new, "updated": updated}
            )
            return redirect("newsletters:manage")
        if not bad:
            form.add_error("file", _("The file has no subscriber."))
    return render(request, "newsletters/import.html", {"newsletter": newsletter, "form": form, "bad": bad})


@federation_only
@require_http_methods(["GET", "POST"])
def new_edition(request: HttpRequest) -> HttpResponse:
    form = EditionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = create_once(
            request, "newsletters.edition",
            lambda: services.save_edition(request.user, None, form.cleaned_data),  # type: ignore[arg-type]
            lambda edition: (reverse("newsletters:edition", args=[edition.pk]), _("This edition was already created.")),
        )  # fmt: skip
        if outcome.repeated:
            return outcome.redirect(request)
        assert outcome.result is not None
        return redirect("newsletters:edition", outcome.result.pk)
    return render(request, "newsletters/edition_form.html", {"form": form})


@federation_only
@require_http_methods(["GET", "POST"])
def edition(request: HttpRequest, edition_id: int) -> HttpResponse:
    item = get_object_or_404(Edition.objects.select_related("newsletter"), pk=edition_id)
    part = request.POST.get("part")
    form = EditionForm(request.POST if part == "edit" else None, instance=item)
    schedule_form = ScheduleForm(request.POST if part == "schedule" else None)
    test_form = TestSendForm(request.POST if part == "test" else None)
    try:
        if part == "edit" and form.is_valid():
            services.save_edition(request.user, item, form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("Edition saved."))
            return redirect("newsletters:edition", item.pk)
        if part == "schedule" and schedule_form.is_valid():
            services.schedule(request.user, item, schedule_form.cleaned_data["when"])  # type: ignore[arg-type]
            messages.success(request, _("The edition will be sent."))
            return redirect("newsletters:edition", item.pk)
        if part == "unschedule":
            services.unschedule(request.user, item)  # type: ignore[arg-type]
            messages.success(request, _("Sending cancelled: the edition is a draft again."))
            return redirect("newsletters:edition", item.pk)
        if part == "test" and test_form.is_valid():
            services.test_send(request.user, item, test_form.cleaned_data["email"], test_form.cleaned_data["language"])  # type: ignore[arg-type]
            messages.success(request, _("Test sent."))
            return redirect("newsletters:edition", item.pk)
    except ValidationError as error:
        target = {"edit": form, "schedule": schedule_form}.get(part or "", schedule_form)
        for message in error.messages:
            target.add_error(None, message)
    context = {
        "edition": item,
        "form": form,
        "schedule_form": schedule_form,
        "test_form": test_form,
        "progress": sending.progress(item),
        "recipients": sending.recipients_count(item.newsletter),
    }
    return render(request, "newsletters/edition.html", context)


@federation_only
def preview(request: HttpRequest, edition_id: int, language: str) -> HttpResponse:
    if language not in ("fr", "nl"):
        raise Http404
    item = get_object_or_404(Edition, pk=edition_id)
    subject, text, _html = rendering.render_parts(item, language, None)
    return render(
        request, "newsletters/preview.html",
        {"edition": item, "subject": subject, "text": text, "html": rendering.to_html(item.body_in(language)), "language": language},
    )  # fmt: skip
