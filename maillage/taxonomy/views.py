"""Pages of federation staff for category schemes, and the autocomplete every picker uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from maillage.core.http import AuthenticatedRequest
from maillage.core.parsing import MAX_ID, bad_parameters_answer_400, clean_query_text, parse_int
from maillage.core.spreadsheet import csv_response, separator_from_request
from maillage.core.submission import create_once
from maillage.core.tenancy import is_federation_staff
from maillage.taxonomy import queries, services
from maillage.taxonomy.csv_format import COLUMNS, MAPPING_COLUMN, ParsedCategories, parse_categories
from maillage.taxonomy.forms import CategoryForm, DraftForm, MappingForm, SplitForm, UploadCategoriesForm
from maillage.taxonomy.models import Category, Scheme, SchemeVersion

View = Callable[..., HttpResponseBase]


def federation_staff_required(view: View) -> View:
    """Signed in and federation staff or administrator; anyone else gets 404, as for another tenant's page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_federation_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _version_or_404(scheme_code: str, number: int) -> SchemeVersion:
    try:
        return queries.get_version(scheme_code, number)
    except SchemeVersion.DoesNotExist:
        raise Http404 from None


def _draft_or_redirect(request: AuthenticatedRequest, version: SchemeVersion) -> HttpResponse | None:
    """A frozen version cannot change: say so and go back to it."""
    if version.is_frozen:
        messages.error(request, _("Version %(version)s is published and can no longer change.") % {"version": version})
        return _to_version(version)
    return None


def _version_url(version: SchemeVersion) -> str:
    return reverse("taxonomy:version", kwargs={"scheme_code": version.scheme.code, "number": version.number})


def _to_version(version: SchemeVersion) -> HttpResponse:
    return redirect(_version_url(version))


@require_GET
@federation_staff_required
def scheme_list(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "taxonomy/scheme_list.html", {"schemes": queries.schemes_with_versions()})


@require_GET
@federation_staff_required
def version_detail(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    unmapped = services.unmapped_categories(version) if not version.is_frozen else []
    return render(
        request,
        "taxonomy/version_detail.html",
        {
            "version": version,
            "scheme": version.scheme,
            "tree": queries.version_tree(version),
            "unmapped": unmapped,
        },
    )


@require_POST
@federation_staff_required
def create_draft(request: AuthenticatedRequest, scheme_code: str) -> HttpResponse:
    scheme = get_object_or_404(Scheme, code=scheme_code)
    form = DraftForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(error) for error in form.errors["title"]))
        return redirect("taxonomy:schemes")
    try:
        outcome = create_once(
            request,
            "taxonomy.version",
            lambda: services.create_draft(request.user, scheme, title=form.cleaned_data["title"]),
            lambda version: (
                _version_url(version),
                _("Draft %(version)s was already created.") % {"version": version},
            ),
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("taxonomy:schemes")
    if outcome.repeated:
        return outcome.redirect(request)
    version = outcome.result
    assert version is not None
    if version.previous is None:
        messages.success(request, _("Draft %(version)s created; upload its categories as CSV.") % {"version": version})
    else:
        messages.success(
            request, _("Draft %(version)s created as a copy of the newest version.") % {"version": version}
        )
    return _to_version(version)


@federation_staff_required
def upload(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    """Replace a draft's categories with a CSV file; every bad row is listed with its line number."""
    version = _version_or_404(scheme_code, number)
    if refused := _draft_or_redirect(request, version):
        return refused
    form = UploadCategoriesForm(request.POST, request.FILES) if request.method == "POST" else UploadCategoriesForm()
    row_errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        parsed = parse_categories(form.text)
        services.check_parsed_mapping(version, parsed)
        row_errors = parsed.errors
        if not row_errors:
            outcome = create_once(
                request,
                "taxonomy.upload",
                lambda: services.import_categories(request.user, version, parsed),
                lambda _done: (
                    _version_url(version),
                    _("This file was already imported into %(version)s.") % {"version": version},
                ),
            )
            if outcome.repeated:
                return outcome.redirect(request)
            messages.success(request, _imported(parsed, version))
            return _to_version(version)
    return render(
        request,
        "taxonomy/upload.html",
        {"version": version, "scheme": version.scheme, "form": form, "row_errors": row_errors},
    )


def _imported(parsed: ParsedCategories, version: SchemeVersion) -> str:
    return ngettext(
        "%(count)s category imported into %(version)s.",
        "%(count)s categories imported into %(version)s.",
        len(parsed.rows),
    ) % {"count": len(parsed.rows), "version": version}


@require_GET
@federation_staff_required
def download(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponseBase:
    """The version as CSV through core.spreadsheet (Belgian Excel unless `?sep=comma`); the importer reads both."""
    version = _version_or_404(scheme_code, number)
    with_mapping = request.GET.get("mapping") == "1" and version.previous_id is not None
    columns = [*COLUMNS, MAPPING_COLUMN] if with_mapping else COLUMNS
    rows = ([row[column] for column in columns] for row in services.category_rows(version, with_mapping=with_mapping))
    name = f"{version.scheme.code}-v{version.number}{'-with-mapping' if with_mapping else ''}.csv"
    return csv_response(name, columns, rows, separator=separator_from_request(request))


@federation_staff_required
def edit_category(request: AuthenticatedRequest, scheme_code: str, number: int, category_id: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    category = get_object_or_404(Category.objects.select_related("parent"), version=version, pk=category_id)
    if refused := _draft_or_redirect(request, version):
        return refused
    # The form edits its own copy, so the service sees what changed against the stored category.
    form = CategoryForm(
        request.POST if request.method == "POST" else None, instance=Category.objects.get(pk=category.pk)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_category(request.user, category, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return _to_version(version)
        messages.success(request, _("Category %(code)s saved.") % {"code": category.code})
        return _to_version(version)
    return render(
        request,
        "taxonomy/edit_category.html",
        {"version": version, "scheme": version.scheme, "category": category, "form": form},
    )


@federation_staff_required
def mapping(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    """Where each old category without a counterpart goes: a form on a draft, a table once published."""
    version = _version_or_404(scheme_code, number)
    if request.method == "POST" and (refused := _draft_or_redirect(request, version)):
        return refused
    new_categories = list(version.categories.order_by("position", "code"))
    new_codes = {category.code for category in new_categories}
    current = queries.mapping_targets(version)
    old_categories = (
        [
            category
            for category in version.previous.categories.order_by("position", "code")
            if category.code not in new_codes or category.pk not in current
        ]
        if version.previous
        else []
    )
    splitting = request.method == "POST" and "split-source" in request.POST
    form = MappingForm(
        request.POST if request.method == "POST" and not splitting else None,
        old_categories=old_categories,
        new_categories=new_categories,
        current=current,
    )
    every_old = list(version.previous.categories.order_by("position", "code")) if version.previous else []
    split_form = SplitForm(request.POST if splitting else None, old_categories=every_old, new_categories=new_categories)
    here = reverse("taxonomy:mapping", kwargs={"scheme_code": scheme_code, "number": number})
    if splitting and split_form.is_valid():
        source, targets = split_form.pair()
        split_outcome = create_once(
            request,
            "taxonomy.split",
            lambda: services.set_mapping_targets(request.user, source, targets),
            lambda _mappings: (here, _("This split was already recorded.")),
        )
        if split_outcome.repeated:
            return split_outcome.redirect(request)
        messages.success(
            request,
            _("%(code)s now goes to %(targets)s.")
            % {"code": source.code, "targets": ", ".join(target.code for target in targets)},
        )
        return redirect(here)
    if request.method == "POST" and not splitting and form.is_valid():
        outcome = create_once(
            request,
            "taxonomy.mapping",
            lambda: services.record_mappings(request.user, form.changed_pairs()),
            lambda _count: (here, _("These mappings were already recorded.")),
        )
        if outcome.repeated:
            return outcome.redirect(request)
        count = outcome.result or 0
        messages.success(
            request,
            ngettext("%(count)s mapping recorded.", "%(count)s mappings recorded.", count) % {"count": count},
        )
        return redirect("taxonomy:mapping", scheme_code=scheme_code, number=number)
    rows = [(old, form[f"map_{old.pk}"], current.get(old.pk)) for old in old_categories]
    all_targets = queries.mapping_target_lists(version)
    splits = [(old, all_targets[old.pk]) for old in every_old if len(all_targets.get(old.pk, [])) > 1]
    return render(
        request,
        "taxonomy/mapping.html",
        {
            "version": version,
            "scheme": version.scheme,
            "form": form,
            "rows": rows,
            "frozen": version.is_frozen,
            "split_form": split_form,
            "splits": splits,
        },
    )


@require_POST
@federation_staff_required
def publish(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    try:
        services.publish_version(request.user, version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Version %(version)s is published; it is now the one in force.") % {"version": version}
        )
    return _to_version(version)


@require_POST
@federation_staff_required
def discard(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    try:
        services.discard_draft(request.user, version)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _to_version(version)
    messages.success(request, _("Draft %(version)s discarded.") % {"version": version})
    return redirect("taxonomy:schemes")


@require_GET
@login_required
@bad_parameters_answer_400
def search(request: AuthenticatedRequest, scheme_code: str) -> HttpResponse:
    """Autocomplete over the published version's active categories, for any signed-in person.

    `GET /categories/<scheme_code>/search?q=<text>&limit=<n>` matches the start of the code or
    every word of `q` in the FR/NL/EN labels (accents and case ignored); an empty `q` gives the
    first categories in tree order. `limit` defaults to 15, at most 50. An unknown scheme is 404.

    JSON (default)::

        {"scheme": "request-themes", "version": 2,
         "results": [{"id": 12, "code": "FOOD.AID", "level": 2, "label": "Aide alimentaire",
                      "label_fr": "...", "label_nl": "...", "label_en": "...",
                      "parent_code": "FOOD", "parent_label": "Aide alimentaire"}]}

    `label` and `parent_label` are in the request's language; `version` is null and `results`
    empty while the scheme has no published version.

    With htmx (`HX-Request` header) the answer is the partial `taxonomy/_search_results.html`:
    a `<ul class="category-results">` whose `<li>` carry `data-id`, `data-code` and the label,
    or an empty-state `<p>`; render it into your picker with `hx-get` / `hx-target`.
    """
    scheme = get_object_or_404(Scheme, code=scheme_code)
    limit = parse_int(request.GET.get("limit"), name="limit", minimum=-MAX_ID, default=15)
    assert limit is not None
    limit = max(1, min(limit, 50))
    query = clean_query_text(request.GET.get("q"), name="q", max_length=200)
    results = queries.search_categories(scheme.code, query, limit=limit)
    if getattr(request, "htmx", False):
        return render(request, "taxonomy/_search_results.html", {"results": results, "query": query})
    version = queries.published_version(scheme.code)
    return JsonResponse(
        {
            "scheme": scheme.code,
            "version": version.number if version else None,
            "results": [
                {
                    "id": category.pk,
                    "code": category.code,
                    "level": category.level,
                    "label": category.label,
                    "label_fr": category.label_fr,
                    "label_nl": category.label_nl,
                    "label_en": category.label_en,
                    "parent_code": category.parent.code if category.parent else "",
                    "parent_label": category.parent.label if category.parent else "",
                }
                for category in results
            ],
        }
    )


@require_GET
@federation_staff_required
def changes(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    """What this version changed from the previous one, and how many records each change touches."""
    from maillage.taxonomy.changes import record_kinds, version_changes

    version = _version_or_404(scheme_code, number)
    found = version_changes(version)
    kinds = record_kinds(found)
    rows = [
        (change, [change.before.get(kind, 0) for kind in kinds], [change.after.get(kind, 0) for kind in kinds])
        for change in found
    ]
    return render(
        request,
        "taxonomy/changes.html",
        {"version": version, "scheme": version.scheme, "rows": rows, "kinds": kinds},
    )
