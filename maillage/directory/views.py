"""Directory pages: public search for phones, professional search with workers, editing, sheet, changes."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from maillage.core.http import AuthenticatedRequest
from maillage.core.models import Commune, Organisation, Role, User
from maillage.core.submission import create_once
from maillage.core.tenancy import (
    get_object_for_user_or_404,
    is_federation_staff,
    organisations_of,
)
from maillage.directory import hsds, services
from maillage.directory.forms import (
    ChangesFilterForm,
    ClosureForm,
    DirectoryOrganisationForm,
    ImportForm,
    LocationForm,
    PhoneForm,
    ScheduleForm,
    ServiceForm,
    SheetForm,
    StatusForm,
    SubscriptionForm,
    WorkerForm,
)
from maillage.directory.models import (
    HOURS_PREFETCH,
    DirectoryOrganisation,
    Location,
    Service,
    ServiceChange,
)
from maillage.directory.opening import is_open as service_is_open
from maillage.directory.opening import next_opening
from maillage.directory.people import networks_of
from maillage.directory.queries import (
    editable_locations,
    editable_services,
    is_stale,
    organisations_editable_by,
    published_services,
    recent_changes,
    service_history,
    services_visible_to,
    stale_after_days,
    status_board_services,
    subscriptions_of,
    workers_of,
)
from maillage.directory.search.engine import SearchCriteria, search
from maillage.directory.search.page import is_professional
from maillage.directory.search.results import SearchResult
from maillage.taxonomy.models import Category


def _is_professional(request: HttpRequest) -> bool:
    return is_professional(request)


def service_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service = get_object_for_user_or_404(
        services_visible_to(request.user)
        .select_related("organisation", "verified_by")
        .prefetch_related(*HOURS_PREFETCH, "phones", "needs", "service_at_locations__location"),
        pk=pk,
    )
    now = timezone.now()
    can_edit = editable_services(request.user).filter(pk=service.pk).exists()
    return render(
        request,
        "directory/service_detail.html",
        {
            "service": service,
            "is_open": service_is_open(service, now),
            "next_opening": next_opening(service, now),
            "stale": is_stale(service, now),
            "stale_days": stale_after_days(),
            # Editors see every worker (to fix consent); other professionals only the consenting ones.
            "workers": service.workers.all()
            if can_edit
            else workers_of(service)
            if _is_professional(request)
            else None,
            "can_edit": can_edit,
            "can_verify": can_edit,
            "professional": _is_professional(request),
            "quartiers": list(service.quartiers.all()),
            "networks": networks_of(service=service) if _is_professional(request) else [],
        },
    )


def _editable_or_404(request: HttpRequest, pk: int) -> Service:
    return get_object_for_user_or_404(editable_services(request.user), pk=pk)


@login_required
def service_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    service = _editable_or_404(request, pk) if pk is not None else None
    organisations = list(organisations_editable_by(request.user))
    if service is None and not organisations:
        if organisations_of(request.user, [Role.COORDINATOR]).exists():
            # A coordinator whose organisation is not in the directory yet: create it first.
            messages.info(request, _("Add your organisation to the directory first, then its services."))
            return redirect("directory:organisation_new")
        raise Http404
    form = ServiceForm(request.POST or None, instance=service)
    organisation_id = request.POST.get("organisation") if request.method == "POST" else None
    if request.method == "POST" and form.is_valid():
        if service is not None:
            organisation = service.organisation
        else:
            organisation = next((o for o in organisations if str(o.pk) == organisation_id), organisations[0])

        def save() -> Service:
            return services.save_service(
                request.user,  # type: ignore[arg-type]
                organisation,
                form.service_data(),
                service=service,
                needs=form.cleaned_data["needs"],
                communes=form.cleaned_data["area_communes"],
                languages=form.cleaned_data["languages"],
                quartiers=form.cleaned_data["quartiers"],
            )

        if service is not None:
            saved = save()
        else:
            outcome = create_once(
                request,
                "directory.service",
                save,
                lambda new: (
                    reverse("directory:service", args=[new.pk]),
                    _("The service %(name)s was already saved.") % {"name": new.name_fr},
                ),
            )
            if outcome.result is None:
                return outcome.redirect(request)
            saved = outcome.result
        messages.success(request, _("The service is saved."))
        return redirect("directory:service", pk=saved.pk)
    return render(
        request,
        "directory/service_form.html",
        {"form": form, "service": service, "organisations": organisations if service is None else []},
    )


@login_required
def schedule_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_hours(request, _editable_or_404(request, pk), services.add_schedule)


@login_required
@require_POST
def schedule_delete(request: HttpRequest, pk: int, schedule_pk: int) -> HttpResponse:
    service = _editable_or_404(request, pk)
    return _delete_hours(request, service, service.schedules.all(), schedule_pk)


@login_required
def closure_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_closure(request, _editable_or_404(request, pk), services.add_exception)


# The hours pages' URL names, for a service and for a location.
_HOURS_LINKS = {
    Service: {"hours": "directory:hours", "closure": "directory:closure_add", "delete": "directory:schedule_delete"},
    Location: {
        "hours": "directory:location_hours",
        "closure": "directory:location_closure_add",
        "delete": "directory:location_schedule_delete",
    },
}


def _hours_url(owner: Service | Location) -> str:
    return reverse(_HOURS_LINKS[type(owner)]["hours"], args=[owner.pk])


def _add_hours(request: HttpRequest, owner: Any, add: Any) -> HttpResponse:
    """Opening hours for a service or a location (`add` is the services.py function for it)."""
    form = ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = create_once(
            request,
            f"directory.hours.{type(owner).__name__.lower()}",
            lambda: add(request.user, owner, form.schedule_data()),
            lambda _schedule: (_hours_url(owner), _("These opening hours were already added.")),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("The opening hours are added."))
        return redirect(_hours_url(owner))
    return _hours_page(request, owner, form, ClosureForm(prefix="closure"))


def _delete_hours(
    request: HttpRequest, owner: Service | Location, schedules: QuerySet, schedule_pk: int
) -> HttpResponse:
    schedule = get_object_for_user_or_404(schedules, pk=schedule_pk)
    services.delete_schedule(request.user, schedule)  # type: ignore[arg-type]
    messages.success(request, _("The opening hours are removed."))
    return redirect(_hours_url(owner))


def _add_closure(request: HttpRequest, owner: Any, add: Any) -> HttpResponse:
    """A closure or special hours for a service or a location (`add` is the services.py function for it)."""
    closure = ClosureForm(request.POST or None, prefix="closure")
    if request.method == "POST" and closure.is_valid():
        outcome = create_once(
            request,
            f"directory.closure.{type(owner).__name__.lower()}",
            lambda: add(request.user, owner, closure.cleaned_data),
            lambda _closure: (_hours_url(owner), _("This closure was already added.")),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("The closure is added."))
        return redirect(_hours_url(owner))
    return _hours_page(request, owner, ScheduleForm(), closure)


def _hours_page(
    request: HttpRequest, owner: Service | Location, form: ScheduleForm, closure_form: ClosureForm
) -> HttpResponse:
    """The hours of a service or of a location (HSDS lets hours belong to the building: the services
    there that give none of their own take them), with the forms to add hours and closures."""
    if isinstance(owner, Service):
        links = [link.location_id for link in owner.service_at_locations.order_by("pk")]
        # The locations of the service whose hours this person may edit, in one query.
        editable = {location.pk: location for location in editable_locations(request.user).filter(pk__in=links)}
        locations = [editable[pk] for pk in links if pk in editable]
        back = (reverse("directory:service", args=[owner.pk]), owner.name)
    else:
        locations = []
        back = (reverse("directory:organisation_edit", args=[owner.organisation_id]), owner.organisation.name)
    return render(
        request,
        "directory/hours.html",
        {
            "owner": owner,
            "is_location": isinstance(owner, Location),
            "schedules": owner.schedules.filter(service=None) if isinstance(owner, Location) else owner.schedules.all(),
            "closures": owner.schedule_exceptions.filter(service=None)
            if isinstance(owner, Location)
            else owner.schedule_exceptions.all(),
            "links": _HOURS_LINKS[type(owner)],
            "locations": locations,
            "back": back,
            "form": form,
            "closure_form": closure_form,
        },
    )


def _editable_location_or_404(request: HttpRequest, pk: int) -> Location:
    return get_object_for_user_or_404(editable_locations(request.user), pk=pk)


@login_required
def location_hours(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_hours(request, _editable_location_or_404(request, pk), services.add_location_schedule)


@login_required
@require_POST
def location_schedule_delete(request: HttpRequest, pk: int, schedule_pk: int) -> HttpResponse:
    location = _editable_location_or_404(request, pk)
    return _delete_hours(request, location, location.schedules.filter(service=None), schedule_pk)


@login_required
def location_closure_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _add_closure(request, _editable_location_or_404(request, pk), services.add_location_exception)


@login_required
def status_edit(request: HttpRequest, pk: int) -> HttpResponse:
    service = _editable_or_404(request, pk)
    form = StatusForm(
        request.POST or None,
        initial={"status": service.crisis_status, "note": service.crisis_note, "until": service.crisis_until},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.set_crisis_status(request.user, service, data["status"], data["note"], data["until"])  # type: ignore[arg-type]
        messages.success(request, _("The status is updated."))
        return redirect("directory:service", pk=service.pk)
    return render(request, "directory/status_form.html", {"service": service, "form": form})


@login_required
@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    service = _editable_or_404(request, pk)
    services.confirm_still_accurate(request.user, service)  # type: ignore[arg-type]
    messages.success(request, _("Thank you: the information is confirmed as still accurate."))
    return redirect("directory:service", pk=service.pk)


@login_required
def contacts(request: HttpRequest, pk: int) -> HttpResponse:
    """Addresses and phone numbers of a service: add with clear errors, remove."""
    service = _editable_or_404(request, pk)
    location_form = LocationForm(prefix="location")
    phone_form = PhoneForm(prefix="phone")
    contacts_url = reverse("directory:contacts", args=[service.pk])
    if request.method == "POST":
        actor: User = request.user  # type: ignore[assignment]  # login_required
        if "location-address" in request.POST:
            location_form = LocationForm(request.POST, prefix="location")
            if location_form.is_valid():
                commune, city = location_form.place()
                outcome = create_once(
                    request,
                    "directory.location",
                    lambda: services.add_location(
                        actor,
                        service,
                        location_form.cleaned_data["address"],
                        location_form.cleaned_data["postal_code"],
                        commune,
                        city,
                    ),
                    lambda _link: (contacts_url, _("This address was already added.")),
                )
                if outcome.repeated:
                    return outcome.redirect(request)
                messages.success(request, _("The address is added."))
                return redirect("directory:contacts", pk=service.pk)
        elif "phone-number" in request.POST:
            phone_form = PhoneForm(request.POST, prefix="phone")
            if phone_form.is_valid():
                phone_outcome = create_once(
                    request,
                    "directory.phone",
                    lambda: services.add_phone(
                        actor, service, phone_form.cleaned_data["number"], phone_form.cleaned_data["description"]
                    ),
                    lambda _phone: (contacts_url, _("This phone number was already added.")),
                )
                if phone_outcome.repeated:
                    return phone_outcome.redirect(request)
                messages.success(request, _("The phone number is added."))
                return redirect("directory:contacts", pk=service.pk)
        elif "remove_location" in request.POST:
            link = get_object_for_user_or_404(service.service_at_locations.all(), pk=request.POST["remove_location"])
            services.remove_location(actor, link)
            return redirect("directory:contacts", pk=service.pk)
        elif "remove_phone" in request.POST:
            phone = get_object_for_user_or_404(service.phones.all(), pk=request.POST["remove_phone"])
            services.remove_phone(actor, phone)
            return redirect("directory:contacts", pk=service.pk)
    return render(
        request,
        "directory/contacts.html",
        {
            "service": service,
            "links": service.service_at_locations.select_related("location"),
            "phones": service.phones.all(),
            "location_form": location_form,
            "phone_form": phone_form,
        },
    )


@login_required
def worker_edit(request: HttpRequest, pk: int, worker_pk: int | None = None) -> HttpResponse:
    service = _editable_or_404(request, pk)
    worker = get_object_for_user_or_404(service.workers.all(), pk=worker_pk) if worker_pk else None
    form = WorkerForm(request.POST or None, instance=worker)
    if request.method == "POST" and form.is_valid():
        outcome = create_once(
            request,
            "directory.worker" if worker is None else f"directory.worker.{worker.pk}",
            lambda: services.save_worker(request.user, service, form.cleaned_data, worker=worker),  # type: ignore[arg-type]
            lambda saved: (
                reverse("directory:service", args=[service.pk]),
                _("The worker %(name)s was already saved.") % {"name": saved.full_name},
            ),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("The worker is saved."))
        return redirect("directory:service", pk=service.pk)
    return render(request, "directory/worker_form.html", {"service": service, "form": form, "worker": worker})


@login_required
def history(request: HttpRequest, pk: int) -> HttpResponse:
    service = _editable_or_404(request, pk)
    entries = service_history(service)
    return render(request, "directory/history.html", {"service": service, "entries": entries})


def changes(request: HttpRequest) -> HttpResponse:
    form = ChangesFilterForm(request.GET or None)
    commune, need = _change_filters(form)
    feed_query = urlencode({k: v for k, v in (("commune", commune and commune.pk), ("need", need and need.pk)) if v})
    professional = _is_professional(request)
    return render(
        request,
        "directory/changes.html",
        {
            "form": form,
            "changes": recent_changes(commune=commune, category=need),
            "feed_url": reverse("directory:feed") + (f"?{feed_query}" if feed_query else ""),
            "can_follow": professional and (commune is not None or need is not None),
            "subscriptions": subscriptions_of(request.user) if professional else [],
        },
    )


@login_required
@require_POST
def subscribe(request: AuthenticatedRequest) -> HttpResponse:
    """Follow the changes of a commune and/or a need by email (signed-in professionals)."""
    if not _is_professional(request):
        raise Http404
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        outcome = create_once(
            request,
            "directory.subscription",
            lambda: services.subscribe(request.user, form.cleaned_data["commune"], form.cleaned_data["need"]),
            lambda _subscription: (reverse("directory:changes"), _("You already follow these changes.")),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("You will receive these changes by email."))
    else:
        messages.error(request, " ".join(str(error) for errors in form.errors.values() for error in errors))
    return redirect("directory:changes")


@login_required
@require_POST
def unsubscribe(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    subscription = get_object_for_user_or_404(subscriptions_of(request.user), pk=pk)
    services.unsubscribe(request.user, subscription)
    messages.success(request, _("You no longer receive these changes by email."))
    return redirect("directory:changes")


def _members_for(user: User) -> QuerySet[Organisation]:
    """Member organisations an editor may link: any for federation staff, their own for coordinators."""
    if is_federation_staff(user):
        return Organisation.objects.all()
    return organisations_of(user, [Role.COORDINATOR])


@login_required
def organisation_list(request: AuthenticatedRequest) -> HttpResponse:
    """The directory organisations the user may edit, and a way to add their own."""
    if not (is_federation_staff(request.user) or _members_for(request.user).exists()):
        raise Http404
    entries = list(organisations_editable_by(request.user).select_related("organisation").order_by("name_fr", "id"))
    claimable = (
        list(DirectoryOrganisation.objects.filter(organisation__isnull=True).order_by("name_fr", "id")[:100])
        if organisations_of(request.user, [Role.COORDINATOR]).exists()
        else []
    )
    return render(request, "directory/organisation_list.html", {"entries": entries, "claimable": claimable})


@login_required
def organisation_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    entry = get_object_for_user_or_404(organisations_editable_by(request.user), pk=pk) if pk is not None else None
    staff = is_federation_staff(request.user)
    members = _members_for(request.user)
    if not staff and not members.exists():
        raise Http404
    form = DirectoryOrganisationForm(request.POST or None, instance=entry, members=members, member_required=not staff)
    if request.method == "POST" and form.is_valid():
        outcome = create_once(
            request,
            "directory.organisation" if entry is None else f"directory.organisation.{entry.pk}",
            lambda: services.save_directory_organisation(
                request.user,
                form.organisation_data(),
                entry=entry,
                member=form.cleaned_data["organisation"],
                phone=form.cleaned_data["phone"],
            ),
            lambda new: (
                reverse("directory:organisation_edit", args=[new.pk]),
                _("The organisation %(name)s was already saved.") % {"name": new.name_fr},
            ),
        )
        if outcome.result is None:
            return outcome.redirect(request)
        saved = outcome.result
        messages.success(request, _("The organisation is saved."))
        return redirect("directory:organisation_edit", pk=saved.pk)
    return render(request, "directory/organisation_form.html", {"form": form, "entry": entry})


def status_board(request: HttpRequest) -> HttpResponse:
    """Which services are open, reduced or closed right now, and how fresh that information is."""
    form = ChangesFilterForm(request.GET or None)
    commune, need = _change_filters(form)
    now = timezone.now()
    rows = [
        (service, service_is_open(service, now), is_stale(service, now))
        for service in status_board_services(commune=commune, category=need)
    ]
    return render(
        request, "directory/status_board.html", {"form": form, "rows": rows, "stale_days": stale_after_days()}
    )


def _change_filters(form: ChangesFilterForm) -> tuple[Commune | None, Category | None]:
    if form.is_bound and form.is_valid():
        return form.cleaned_data["commune"], form.cleaned_data["need"]
    return None, None


class ChangesFeed(Feed):  # type: ignore[type-arg]
    """Atom feed of directory changes, for those who follow a commune or a need."""

    feed_type = Atom1Feed
    title = gettext_lazy("Directory: recent changes")
    description = gettext_lazy("New services, changed hours and status updates.")

    def get_object(self, request: HttpRequest, *args: Any, **kwargs: Any) -> tuple[Commune | None, Category | None]:
        return _change_filters(ChangesFilterForm(request.GET or None))

    def link(self) -> str:
        return reverse("directory:changes")

    def items(self, obj: tuple[Commune | None, Category | None]) -> Any:
        commune, need = obj
        return recent_changes(commune=commune, category=need)

    def item_title(self, item: ServiceChange) -> str:
        return f"{item.service.name} — {item.get_kind_display()}"

    def item_description(self, item: ServiceChange) -> str:
        return item.text

    def item_link(self, item: ServiceChange) -> str:
        return reverse("directory:service", args=[item.service_id]) + f"#change-{item.pk}"

    def item_pubdate(self, item: ServiceChange) -> Any:
        return item.created_at


@dataclass(frozen=True)
class SheetContent:
    """What the HTML and the PDF sheets show: per need (None: all services) its results, and the online search."""

    commune: Commune
    rows: list[tuple[Category | None, list[SearchResult]]]
    link: str


def _with_hours_lines(
    rows: list[tuple[Category | None, list[SearchResult]]],
) -> list[tuple[Category | None, list[SearchResult]]]:
    """The results with their weekly hours on one line, read from the schedules (the sheet prints them)."""
    ids = {result.service.pk for _need, found in rows for result in found}
    lines = {
        service.pk: service.hours_line()
        for service in Service.objects.filter(pk__in=ids)
        .only("pk", "holiday_calendars")
        .prefetch_related(*HOURS_PREFETCH)
    }
    return [
        (need, [replace(r, service=replace(r.service, hours_line=lines.get(r.service.pk, ""))) for r in found])
        for need, found in rows
    ]


def _sheet_content(request: HttpRequest, form: SheetForm) -> SheetContent:
    commune: Commune = form.cleaned_data["commune"]
    needs = list(form.cleaned_data["needs"])
    postal = commune.postal_codes.order_by("code").first()
    rows: list[tuple[Category | None, list[SearchResult]]] = []
    for need in needs or [None]:
        found = search(
            SearchCriteria(category=need, postal_code=postal.code if postal else None, commune=commune, limit=12)
        )
        rows.append((need, [r for r in found if r.serves_area or r.distance_km == 0.0] or found[:6]))
    rows = _with_hours_lines(rows)
    # The QR code keeps the needs chosen: one need is a search (its canonical URL), several the online sheet.
    if len(needs) > 1:
        query = urlencode([("commune", commune.pk), *(("needs", need.pk) for need in needs)])
        link = request.build_absolute_uri(reverse("directory:sheet")) + "?" + query
    else:
        pairs = [("need", str(needs[0].pk))] if needs else []
        pairs.append(("postal_code", postal.code if postal else ""))
        link = request.build_absolute_uri(reverse("directory:search")) + "?" + urlencode(pairs)
    return SheetContent(commune=commune, rows=rows, link=link)


def sheet(request: HttpRequest) -> HttpResponse:
    """An A4 sheet for a commune and some needs, with a QR code to the online search."""
    form = SheetForm(request.GET or None)
    if form.is_bound and form.is_valid():
        content = _sheet_content(request, form)
        context = {
            "commune": content.commune,
            "rows": content.rows,
            "link": content.link,
            "qr": segno.make(content.link, error="m").svg_data_uri(scale=4, border=2),
            "pdf_url": reverse("directory:sheet_pdf") + "?" + request.GET.urlencode(),
        }
        return render(request, "directory/sheet.html", context)
    return render(request, "directory/sheet_form.html", {"form": form})


def sheet_pdf(request: HttpRequest) -> HttpResponse:
    """The same sheet as a PDF, for printing or sending; an invalid request gets the form, as the HTML sheet does."""
    # Imported here: fpdf2 and its font tools take a second to import, and only this page needs them.
    from maillage.directory.sheet_pdf import sheet_pdf_bytes

    form = SheetForm(request.GET or None)
    if not (form.is_bound and form.is_valid()):
        return render(request, "directory/sheet_form.html", {"form": form})
    content = _sheet_content(request, form)
    pdf = sheet_pdf_bytes(content.commune, content.rows, content.link, timezone.localdate())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="maillage-{slugify(content.commune.name)}.pdf"'
    return response


def export_json(request: HttpRequest) -> HttpResponse:
    """HSDS 3.0 organisation "full" documents of the published directory."""
    payload = hsds.export_organizations(published_services())
    response = HttpResponse(json.dumps(payload, ensure_ascii=False, indent=1), content_type="application/json")
    response["Content-Disposition"] = 'attachment; filename="directory-hsds.json"'
    # The Brussels profile of HSDS the document follows (FR/NL texts, NIS codes, quartiers, holidays).
    response["Link"] = f'<{hsds.profile_url()}>; rel="profile"'
    return response


def export_datapackage(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(hsds.datapackage_zip(published_services()), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="directory-hsds-datapackage.zip"'
    return response


@login_required
def import_view(request: HttpRequest) -> HttpResponse:
    if not is_federation_staff(request.user):
        raise Http404
    form = ImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            report = hsds.import_upload(request.user, upload)  # type: ignore[arg-type]
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(
                request,
                _("Imported %(organisations)d organisations and %(services)d services.")
                % {"organisations": report.organisations, "services": report.services},
            )
            if report.schedules_removed:
                messages.info(
                    request,
                    _("%(count)d opening hours the files no longer give were removed.")
                    % {"count": report.schedules_removed},
                )
            return redirect("directory:import")
    return render(request, "directory/import.html", {"form": form, "errors": errors})
