"""The directory map: the same search as the list, its results as points. The list stays the primary,
accessible view; the map (static/directory/map.js on Leaflet from django-leaflet's static files)
reads the data endpoint with the page's own query. Tiles come from settings.MAILLAGE_MAP_TILES_URL.

The public data holds services only (names, places, open now): no person. The professional data adds
the listed workers of each service, and its reads are audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache

from maillage.core.parsing import bad_parameters_answer_400
from maillage.directory.forms import SearchForm
from maillage.directory.models import Worker
from maillage.directory.search.engine import search
from maillage.directory.search.page import criteria_of, is_professional, options_html
from maillage.directory.search.results import SearchResult
from maillage.directory.search.state import canonical_pairs, url_of
from maillage.directory.services_people import record_people_read

MAP_LIMIT = 200


def _results(form: SearchForm) -> list[SearchResult] | None:
    if not (form.is_bound and form.is_valid()):
        return None
    criteria = criteria_of(form)
    criteria.limit = MAP_LIMIT
    return search(criteria)


def _point(result: SearchResult, services_url: str) -> dict[str, Any] | None:
    service = result.service
    place = next((p for p in service.places if p.latitude is not None and p.longitude is not None), None)
    if place is None or place.latitude is None or place.longitude is None:
        return None
    return {
        "id": service.pk,
        "name": service.name,
        "url": f"{services_url}{service.pk}/",
        "address": f"{place.address}, {place.postal_code} {place.city}",
        "lat": round(place.latitude, 6),
        "lon": round(place.longitude, 6),
        "open": result.is_open,
    }


def _services_url() -> str:
    """The services' page URL without the id ('.../services/'): one reverse() per answer, not per point."""
    return reverse("directory:service", args=[0])[:-2]


def map_page(request: HttpRequest) -> HttpResponse:
    """The search's results as a list, and a map of them for those whose browser runs it."""
    people = request.GET.get("people") == "1" and is_professional(request)
    query = request.GET.copy()
    query.pop("people", None)
    form = SearchForm(query or None)
    results = _results(form)
    pairs = canonical_pairs(form.cleaned_data) if results is not None else []
    data_url = url_of(reverse("directory:map_pro_data" if people else "directory:map_data"), pairs)
    return render(
        request,
        "directory/map.html",
        {
            "form": form,
            "need_options": options_html(form, "need"),
            "results": results,
            "data_url": data_url,
            "list_url": url_of(reverse("directory:search"), pairs),
            "tiles_url": settings.MAILLAGE_MAP_TILES_URL,
            "attribution": settings.MAILLAGE_MAP_ATTRIBUTION,
            "people": people,
        },
    )


@bad_parameters_answer_400
def map_data(request: HttpRequest) -> JsonResponse:
    """The services of the search as points (public: no personal data)."""
    results = _results(SearchForm(request.GET or {}))
    url = _services_url()
    points = [point for result in results or [] if (point := _point(result, url)) is not None]
    return JsonResponse({"count": len(points), "services": points})


@never_cache
@login_required
def map_pro_data(request: HttpRequest) -> JsonResponse:
    """The same points with each service's listed workers, for signed-in professionals (audited)."""
    if not is_professional(request):
        raise Http404
    results = _results(SearchForm(request.GET or {})) or []
    url = _services_url()
    points = [point for result in results if (point := _point(result, url)) is not None]
    workers: dict[int, list[dict[str, str]]] = {}
    for worker in Worker.objects.filter(service__in=[p["id"] for p in points], consent=True, is_active=True).order_by(
        "full_name", "pk"
    ):
        workers.setdefault(worker.service_id, []).append(
            {
                "name": worker.full_name,
                "function": worker.function,
                "url": reverse("directory:worker_card", args=[worker.pk]),
            }
        )
    for point in points:
        point["workers"] = workers.get(point["id"], [])
    record_people_read(request.user, "map", {"results": sum(len(w) for w in workers.values())})  # type: ignore[arg-type]
    return JsonResponse({"count": len(points), "services": points})
