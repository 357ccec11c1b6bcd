"""Pages of federation staff for category schemes, and the autocomplete every picker uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from maillage.core.http import AuthenticatedRequest
from maillage.core.tenancy import is_federation_staff
from maillage.taxonomy import queries, services
from maillage.taxonomy.csv_format import decode
from maillage.taxonomy.forms import CategoryForm, MappingForm, UploadCategoriesForm
from maillage.taxonomy.models import Category, Scheme, SchemeVersion

View = Callable[..., HttpResponse]


def federation_staff_required(view: View) -> View:
    """Signed in and federation staff or administrator; anyone else gets 404, as for another tenant's page."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
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


def _to_version(version: SchemeVersion) -> HttpResponse:
    return redirect("taxonomy:version", scheme_code=version.scheme.code, number=version.number)


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
    title = request.POST.get("title", "").strip()[: SchemeVersion._meta.get_field("title").max_length]
    try:
        version = services.create_draft(request.user, scheme, title=title)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("taxonomy:schemes")
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
        try:
            text = decode(form.cleaned_data["file"].read())
        except ValueError as error:
            form.add_error("file", str(error))
        else:
            parsed = services.import_categories_csv(request.user, version, text)
            if not parsed.errors:
                messages.success(
                    request,
                    ngettext(
                        "%(count)s category imported into %(version)s.",
                        "%(count)s categories imported into %(version)s.",
                        len(parsed.rows),
                    )
                    % {"count": len(parsed.rows), "version": version},
                )
                return _to_version(version)
            row_errors = parsed.errors
    return render(
        request,
        "taxonomy/upload.html",
        {"version": version, "scheme": version.scheme, "form": form, "row_errors": row_errors},
    )


@require_GET
@federation_staff_required
def download(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    # With a BOM, spreadsheet programs open the accents right; the importer accepts it.
    content = services.export_categories_csv(version).encode("utf-8-sig")
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{version.scheme.code}-v{version.number}.csv"'
    return response


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
    form = MappingForm(
        request.POST if request.method == "POST" else None,
        old_categories=old_categories,
        new_categories=new_categories,
        current=current,
    )
    if request.method == "POST" and form.is_valid():
        count = services.record_mappings(request.user, form.changed_pairs())
        messages.success(
            request,
            ngettext("%(count)s mapping recorded.", "%(count)s mappings recorded.", count) % {"count": count},
        )
        return redirect("taxonomy:mapping", scheme_code=scheme_code, number=number)
    rows = [(old, form[f"map_{old.pk}"], current.get(old.pk)) for old in old_categories]
    return render(
        request,
        "taxonomy/mapping.html",
        {"version": version, "scheme": version.scheme, "form": form, "rows": rows, "frozen": version.is_frozen},
    )


@require_POST
@federation_staff_required
def publish(request: AuthenticatedRequest, scheme_code: str, number: int) -> HttpResponse:
    version = _version_or_404(scheme_code, number)
    try:
        services.publish_version(request.user, version)
    except ValidationError as error:
        messages.error(request, error.messages[0])
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
    try:
        limit = max(1, min(int(request.GET.get("limit", 15)), 50))
    except ValueError:
        limit = 15
    query = request.GET.get("q", "")
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
