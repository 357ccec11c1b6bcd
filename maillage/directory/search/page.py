"""The search pages, public (`/directory/`) and professional (`/directory/pro/`).

Each search state has one URL (state.py): a request spelled otherwise is redirected there, and an
htmx request gets its canonical URL pushed into the address bar (HX-Push-Url), so unticking a box
or changing a filter is never undone by parameters left over from the previous search.
"""

from __future__ import annotations

from html import escape
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.translation import get_language

from maillage.core.models import Role
from maillage.core.tenancy import active_memberships, is_federation_staff, organisations_of
from maillage.directory.forms import LoadedCategoryField, SearchForm
from maillage.directory.models import Worker
from maillage.directory.search.cards import build_cards
from maillage.directory.search.engine import SearchCriteria, search
from maillage.directory.search.state import active_filters, canonical_pairs, url_of


def is_professional(request: HttpRequest) -> bool:
    return request.user.is_authenticated and active_memberships(request.user).exists()


def options_html(form: Any, name: str) -> SafeString:
    """The <option> elements of a choice field, written here: a template loop over ~80 options cost
    more than the search (Django's widget, one template per option, even more)."""
    current = form[name].value()
    selected = "" if current is None else str(current)
    field = form.fields[name]
    if isinstance(field, LoadedCategoryField):
        # The needs' options, none selected, are the same for every page of a published version and language.
        key = (id(field.categories), get_language() or "", str(field.empty_label))
        cached = _NEED_OPTIONS.get(key)
        if cached is None or cached[0] is not field.categories:
            if len(_NEED_OPTIONS) > 32:
                _NEED_OPTIONS.clear()
            cached = _NEED_OPTIONS[key] = (field.categories, _options(field.choices, None))
        # Values are unique and escaped alike: marking the one chosen is the same HTML as writing it so.
        target = f'<option value="{escape(selected)}">'
        return SafeString(cached[1].replace(target, f'<option value="{escape(selected)}" selected>', 1))
    return SafeString(_options(field.choices, selected))


# (the categories the options were written from — kept so their id is not reused —, the options)
_NEED_OPTIONS: dict[tuple[int, str, str], tuple[dict[str, Any], str]] = {}


def _options(choices: Any, selected: str | None) -> str:
    return "".join(
        f'<option value="{escape(str(value))}"{" selected" if str(value) == selected else ""}>'
        f"{escape(str(label))}</option>"
        for value, label in choices
    )


def criteria_of(form: SearchForm) -> SearchCriteria:
    """The search a valid form asks for."""
    data = form.cleaned_data
    return SearchCriteria(
        category=data["need"],
        postal_code=data["postal_code"] or None,
        commune=form.commune,
        language=data["language"] or None,
        modality=data["modality"] or None,
        text=data["q"],
        free_only=data["free"],
        open_now=data["open_now"] or data["at"] is not None,
        at=form.moment(),
    )


def _search_page(request: HttpRequest, *, professional: bool) -> HttpResponse:
    form = SearchForm(request.GET or None)
    htmx = bool(getattr(request, "htmx", False))
    results = None
    canonical = request.path
    filters = []
    if form.is_bound and form.is_valid():
        pairs = canonical_pairs(form.cleaned_data)
        canonical = url_of(request.path, pairs)
        if not htmx and request.get_full_path() != canonical:
            return redirect(canonical)
        filters = active_filters(request.path, form)
        results = search(criteria_of(form))
    workers: dict[int, list[Worker]] = {}
    if professional and results:
        for worker in Worker.objects.filter(
            service__in=[r.service.pk for r in results], consent=True, is_active=True
        ).order_by("full_name"):
            workers.setdefault(worker.service_id, []).append(worker)
    rows = [(r, workers.get(r.service.pk, [])) for r in results or []]
    without_open_now = next((f.remove_url for f in filters if f.name == "open_now"), "")
    context: dict[str, Any] = {
        "form": form,
        "results": results,
        "rows": rows,
        "cards": SafeString("".join(card.html for card in build_cards(rows, professional=professional))),
        "professional": professional,
        "filters": filters,
        "without_open_now": without_open_now,
        "search_path": request.path,
    }
    if htmx:
        # htmx asks for the results only: no form, no layout, so no context processors (navigation,
        # roles, messages) and nothing read about the session or the user on the public page.
        response = HttpResponse(render_to_string("directory/_results.html", context))
        if form.is_bound and form.is_valid():
            response["HX-Push-Url"] = canonical
        return response
    context["selects"] = {name: options_html(form, name) for name in ("need", "language", "modality")}
    context["can_manage_organisations"] = professional and (
        is_federation_staff(request.user) or organisations_of(request.user, [Role.COORDINATOR]).exists()
    )
    return render(request, "directory/search.html", context)


def public_search(request: HttpRequest) -> HttpResponse:
    """Anonymous and phone-sized: published services only, never workers."""
    return _search_page(request, professional=False)


@login_required
def professional_search(request: HttpRequest) -> HttpResponse:
    if not is_professional(request):
        raise Http404
    return _search_page(request, professional=True)
