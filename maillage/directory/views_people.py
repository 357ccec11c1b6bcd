"""The people of the network (signed-in professionals only): search, cards, own card, networks,
who is present in a quartier. Every page naming workers writes one `directory.worker.read` entry."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from maillage.core.http import AuthenticatedRequest
from maillage.core.submission import create_once
from maillage.core.tenancy import get_object_for_user_or_404, organisation_ids
from maillage.directory import services_people
from maillage.directory.forms_people import PeopleSearchForm, QuartierForm, WorkerCardForm
from maillage.directory.models import Network, Service, Worker
from maillage.directory.people import (
    card_is_stale,
    card_months,
    listed_workers,
    network_members,
    networks_of,
    present_in,
    search_people,
    stale_cards,
)
from maillage.directory.search.cards import people_lines
from maillage.directory.search.page import is_professional, options_html
from maillage.directory.search.state import canonical_pairs, url_of

PEOPLE_ORDER = ("q", "need", "organisation", "commune", "quartier", "language")


def _professional_or_404(request: HttpRequest) -> None:
    if not is_professional(request):
        raise Http404


@never_cache
@login_required
def people_search(request: AuthenticatedRequest) -> HttpResponse:
    _professional_or_404(request)
    form = PeopleSearchForm(request.GET or None)
    workers = None
    if form.is_bound and form.is_valid():
        canonical = url_of(request.path, canonical_pairs(form.cleaned_data, PEOPLE_ORDER))
        if request.get_full_path() != canonical:
            return redirect(canonical)
        criteria = form.criteria()
        if not criteria.is_empty:
            workers = search_people(criteria)
            services_people.record_people_read(
                request.user, "people_search", {"query": request.GET.urlencode(), "results": len(workers)}
            )
    return render(
        request,
        "directory/people_search.html",
        {
            "form": form,
            # Options written in Python: Django's select widget renders a template per option (~150 quartiers);
            # the communes' and quartiers' are kept per process (forms_people.places()).
            "fields": {
                "q": form.field_html("q"),
                "need": form.field_html("need", options_html(form, "need")),
                "organisation": form.field_html("organisation"),
                "commune": form.field_html("commune", form.place_options("commune")),
                "quartier": form.field_html("quartier", form.place_options("quartier")),
                "language": form.field_html("language", options_html(form, "language")),
            },
            "workers": workers,
            "lines": people_lines(workers or [], {worker.pk for worker in workers or [] if card_is_stale(worker)}),
            "my_card": Worker.objects.filter(user=request.user).exists(),  # the page only says "my card" or "create"
        },
    )


@never_cache
@login_required
def worker_card(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _professional_or_404(request)
    worker = get_object_for_user_or_404(
        listed_workers()
        .select_related("service__organisation")
        .prefetch_related("needs", "area_communes", "quartiers"),
        pk=pk,
    )
    services_people.record_people_read(request.user, "card", {}, worker)
    return render(
        request,
        "directory/worker_card.html",
        {
            "worker": worker,
            "stale": card_is_stale(worker),
            "months": card_months(),
            "networks": networks_of(worker=worker),
            "own": worker.user_id == request.user.pk,
        },
    )


@never_cache
@login_required
def my_card(request: AuthenticatedRequest) -> HttpResponse:
    """A worker keeps their own card: create it in a service of their organisation, update, confirm."""
    _professional_or_404(request)
    worker = Worker.objects.filter(user=request.user).select_related("service__organisation").first()
    services = Service.objects.filter(organisation__organisation_id__in=organisation_ids(request.user))
    if worker is not None:
        services = services | Service.objects.filter(pk=worker.service_id)
    if worker is None and not services.exists():
        return render(request, "directory/my_card.html", {"form": None, "worker": None, "no_service": True})
    initial = {} if worker else {"full_name": request.user.full_name, "email": request.user.email}
    form = WorkerCardForm(request.POST or None, instance=worker, services=services, initial=initial)
    if request.method == "POST" and "confirm" in request.POST and worker is not None:
        services_people.confirm_card(request.user, worker)
        messages.success(request, _("Thank you: your card is confirmed."))
        return redirect("directory:my_card")
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def save() -> Worker:
            return services_people.save_card(
                request.user,
                data["service"],
                form.card_data(),
                worker=worker,
                needs=data["needs"],
                communes=data["area_communes"],
                quartiers=data["quartiers"],
            )

        outcome = create_once(
            request,
            "directory.card" if worker is None else f"directory.card.{worker.pk}",
            save,
            lambda saved: (reverse("directory:my_card"), _("Your card was already saved.")),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        messages.success(request, _("Your card is saved."))
        return redirect("directory:my_card")
    return render(
        request,
        "directory/my_card.html",
        {
            "form": form,
            "worker": worker,
            "stale": worker is not None and card_is_stale(worker),
            "months": card_months(),
        },
    )


@never_cache
@login_required
def network_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _professional_or_404(request)
    network = get_object_for_user_or_404(Network.objects.all(), pk=pk)
    services, workers = network_members(network)
    services_people.record_people_read(request.user, "network", {"network": network.pk, "results": len(workers)})
    return render(request, "directory/network.html", {"network": network, "services": services, "workers": workers})


@never_cache
@login_required
def quartier_presence(request: AuthenticatedRequest) -> HttpResponse:
    """Who is present in my quartier: services serving it and workers covering it."""
    _professional_or_404(request)
    mine = Worker.objects.filter(user=request.user).prefetch_related("quartiers").first()
    default = next(iter(mine.quartiers.all()), None) if mine else None
    form = QuartierForm(request.GET or ({"quartier": default.pk} if default else None))
    services = workers = None
    if form.is_bound and form.is_valid():
        quartier = form.cleaned_data["quartier"]
        services, workers = present_in(quartier)
        services_people.record_people_read(
            request.user, "quartier", {"quartier": quartier.code, "results": len(workers)}
        )
    return render(request, "directory/quartier.html", {"form": form, "services": services, "workers": workers})


@never_cache
@login_required
def stale_card_list(request: AuthenticatedRequest) -> HttpResponse:
    """Cards not confirmed for months, for the federation to follow up."""
    from maillage.core.tenancy import is_federation_staff

    if not is_federation_staff(request.user):
        raise Http404
    workers = list(stale_cards()[:500])
    services_people.record_people_read(request.user, "stale_cards", {"results": len(workers)})
    return render(request, "directory/stale_cards.html", {"workers": workers, "months": card_months()})
