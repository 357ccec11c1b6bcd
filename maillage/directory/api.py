"""Read-only JSON API following the HSDS 3.0 API reference, with its OpenAPI document at api/openapi.json."""

from __future__ import annotations

import math
import re
import uuid
from datetime import datetime
from typing import Annotated, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Path, Query, Schema
from pydantic import field_validator

from maillage.core.parsing import MAX_YEAR, MIN_YEAR
from maillage.directory.hsds import (
    SCHEME,
    _id,
    _organisation_core,
    export_organizations,
    service_document,
    taxonomy_document,
)
from maillage.directory.hsds import _prefetched as prefetched_services
from maillage.directory.models import DirectoryOrganisation, Service
from maillage.directory.queries import published_services
from maillage.directory.textsearch import words
from maillage.taxonomy.models import Category
from maillage.taxonomy.queries import active_categories, published_version

api = NinjaAPI(
    title="maillage directory — HSDS 3.0 API",
    version="3.0",
    description=(
        "Read-only Open Referral HSDS 3.0 API of the published Brussels social services directory. "
        "Its Brussels profile (French and Dutch texts, communes, quartiers, holidays): GET /profile."
    ),
    urls_namespace="directory:api",
    docs_url=None,
)

MAX_PER_PAGE = 100
# Paging is bounded in the schema: a page beyond this, or a size beyond MAX_PER_PAGE, is a 422
# naming the parameter (a huge ?page= used to overflow the database's OFFSET).
MAX_PAGE = 10_000


# Free text in a query: no control characters (the edge answers them with a 400 anyway).
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
# An ISO 8601 date-time whose year the database and the time zone conversion can hold.
MOMENT_PATTERN = r"^(19\d\d|20\d\d|2100)-\d\d-\d\d[T ]\d\d:\d\d"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"


class NotFound(Schema):
    """What an unknown id answers."""

    detail: str


class InvalidParameters(Schema):
    """A 422: one entry per refused parameter, `loc` naming it (e.g. ["query", "page"])."""

    detail: list[dict[str, Any]]


HsdsId = Annotated[str, Field(pattern=UUID_PATTERN)]
# A control character anywhere in the request is answered by the site's edge (core middleware) with its 400 page.
EDGE_400 = {
    "responses": {
        "400": {
            "description": "A control character in the path or the query: refused before the API reads it.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    }
}
LIST_ANSWERS = {422: InvalidParameters}
ONE_ANSWERS = {404: NotFound, 422: InvalidParameters}


class Page(Schema):
    """The HSDS paginated envelope."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool
    contents: list[dict[str, Any]]


class PageParams(Schema):
    page: int = Field(1, ge=1, le=MAX_PAGE)
    per_page: int = Field(50, ge=1, le=MAX_PER_PAGE)


class ServiceFilters(PageParams):
    search: str | None = Field(None, max_length=200, pattern=PRINTABLE)
    taxonomy_term_id: str | None = Field(None, max_length=100, pattern=PRINTABLE)
    taxonomy_id: str | None = Field(None, max_length=100, pattern=PRINTABLE)
    organization_id: str | None = Field(None, max_length=100, pattern=PRINTABLE)
    postcode: str | None = Field(None, max_length=10, pattern=PRINTABLE)
    modified_after: datetime | None = Field(None, json_schema_extra={"pattern": MOMENT_PATTERN})

    @field_validator("modified_after", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        """Only an ISO 8601 date-time as documented (pydantic alone also takes numbers as Unix times)."""
        if isinstance(value, str) and not re.match(MOMENT_PATTERN, value):
            raise ValueError("expected an ISO 8601 date-time with a year from 1900 to 2100")
        return value

    @field_validator("modified_after")
    @classmethod
    def _bounded_moment(cls, value: datetime | None) -> datetime | None:
        """A year the database and the time zone conversion can hold; a naive time is Brussels time."""
        if value is None:
            return None
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
        return value if timezone.is_aware(value) else timezone.make_aware(value)


def _page(items: list[Any] | QuerySet[Any], params: PageParams, render: Any) -> dict[str, Any]:
    per_page = params.per_page
    total = items.count() if isinstance(items, QuerySet) else len(items)
    pages = max(1, math.ceil(total / per_page))
    number = params.page
    chunk = list(items[(number - 1) * per_page : number * per_page])
    return {
        "total_items": total,
        "total_pages": pages,
        "page_number": number,
        "size": len(chunk),
        "first_page": number == 1,
        "last_page": number >= pages,
        "empty": not chunk,
        "contents": render(chunk),
    }


def _category_for_term(term_id: str) -> list[int]:
    return [c.pk for c in active_categories(SCHEME) if _id("term", c.version_id, c.code) == term_id]


@api.get("/services", response={200: Page, **LIST_ANSWERS}, summary="List services", openapi_extra=EDGE_400)
def list_services(request: HttpRequest, filters: Query[ServiceFilters]) -> dict[str, Any]:
    services = published_services().order_by("name_fr", "id")
    if filters.search:
        for term in words(filters.search):
            services = services.filter(search_text__contains=term)
    if filters.taxonomy_term_id:
        ids = _category_for_term(filters.taxonomy_term_id)
        services = services.filter(
            Exists(Service.needs.through.objects.filter(service_id=OuterRef("pk"), category_id__in=ids))
        )
    if filters.organization_id:
        key = _uuid_or_none(filters.organization_id)
        services = services.filter(organisation__uuid=key) if key else services.none()
    if filters.postcode:
        services = services.filter(service_at_locations__location__postal_code=filters.postcode).distinct()
    if filters.modified_after:
        services = services.filter(updated_at__gte=filters.modified_after)
    return _page(
        services,
        filters,
        lambda chunk: [
            service_document(s)
            for s in prefetched_services(Service.objects.filter(pk__in=[s.pk for s in chunk]).order_by("name_fr", "id"))
        ],
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@api.get(
    "/services/{service_id}",
    response={200: dict[str, Any], **ONE_ANSWERS},
    summary="One service, full",
    openapi_extra=EDGE_400,
)
def get_service(request: HttpRequest, service_id: Path[HsdsId]) -> dict[str, Any]:
    key = _uuid_or_none(service_id)
    service = prefetched_services(published_services().filter(uuid=key)).first() if key else None
    if service is None:
        raise Http404
    return service_document(service)


@api.get("/organizations", response={200: Page, **LIST_ANSWERS}, summary="List organizations", openapi_extra=EDGE_400)
def list_organizations(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    organisations = (
        DirectoryOrganisation.objects.filter(Exists(published_services().filter(organisation=OuterRef("pk"))))
        .prefetch_related("phones")
        .order_by("name_fr", "id")
    )
    return _page(organisations, params, lambda chunk: [_organisation_core(o) for o in chunk])


@api.get(
    "/organizations/{organization_id}",
    response={200: dict[str, Any], **ONE_ANSWERS},
    summary="One organization, full",
    openapi_extra=EDGE_400,
)
def get_organization(request: HttpRequest, organization_id: Path[HsdsId]) -> dict[str, Any]:
    key = _uuid_or_none(organization_id)
    documents = export_organizations(published_services().filter(organisation__uuid=key)) if key else []
    if not documents:
        raise Http404
    return documents[0]


@api.get("/taxonomies", response={200: Page, **LIST_ANSWERS}, summary="List taxonomies", openapi_extra=EDGE_400)
def list_taxonomies(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    version = published_version(SCHEME)
    items = []
    if version is not None:
        items = [
            {
                "id": _id("taxonomy", version.pk),
                "name": version.scheme.label_en or version.scheme.code,
                "description": version.scheme.label_fr,
                "version": str(version.number),
            }
        ]
    return _page(items, params, lambda chunk: chunk)


@api.get("/taxonomy_terms", response={200: Page, **LIST_ANSWERS}, summary="List taxonomy terms", openapi_extra=EDGE_400)
def list_taxonomy_terms(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    categories: QuerySet[Category] = active_categories(SCHEME).order_by("position", "code")
    return _page(categories, params, lambda chunk: [taxonomy_document(c) for c in chunk])


PROFILE_FILE = settings.BASE_DIR / "docs" / "hsds-brussels-profile.md"


@api.get("/profile", url_name="hsds_profile", include_in_schema=False)
def hsds_profile(request: HttpRequest) -> HttpResponse:
    """The documented Brussels profile, published beside the data it describes (its URL is in the exports)."""
    return HttpResponse(PROFILE_FILE.read_bytes(), content_type="text/markdown; charset=utf-8")
