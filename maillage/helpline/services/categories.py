"""The categories and directory services a call names, looked up as responders type them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.helpline.models import (
    REQUEST_SCHEME,
)
from maillage.taxonomy.models import Category, SchemeVersion, VersionStatus
from maillage.taxonomy.queries import published_version, published_version_stamp

# ---------------------------------------------------------------------------------------------
# Categories and services named in a call


@dataclass(frozen=True)
class _CategoryIndex:
    """The categories of one published version by code and by label, as find_category looks them up."""

    key: tuple[int, datetime | None]
    by_code: dict[str, Category]
    by_code_upper: dict[str, Category]
    by_label_upper: tuple[dict[str, Category], ...]  # FR, NL, EN: the order find_category tries them


# One per process. A published version never changes (taxonomy services refuse to edit a frozen
# version), so the index is good for as long as that version is the one in force; the key names
# the version, and the version in force is read from the database on every call (one query), so a
# newly published version is seen by every process at once. Saving or deleting a version or a
# category in this process also drops it (tests, shell edits): see HelplineConfig.ready.
_category_index: _CategoryIndex | None = None
# The version in force, kept the same way: which one is in force is read on every call (one plain
# statement: building the ORM query cost more than running it), its row only when that changes.
_version_in_force: tuple[tuple[int, str, str], SchemeVersion] | None = None


def forget_category_index(**_signal: Any) -> None:
    global _category_index, _version_in_force
    _category_index = None
    _version_in_force = None


def version_in_force() -> SchemeVersion | None:
    """The request themes' version in force, as published_version(REQUEST_SCHEME) answers."""
    global _version_in_force
    stamp = published_version_stamp(REQUEST_SCHEME)
    if stamp is None:
        return None
    kept = _version_in_force
    if kept is not None and kept[0] == stamp:
        return kept[1]
    version = published_version(REQUEST_SCHEME)
    if version is not None and version.pk == stamp[0]:
        _version_in_force = (stamp, version)
    return version


def _categories_of(version: SchemeVersion) -> _CategoryIndex:
    global _category_index
    key = (version.pk, version.published_at)
    index = _category_index
    if index is not None and index.key == key:
        return index
    by_code: dict[str, Category] = {}
    by_code_upper: dict[str, Category] = {}
    by_label_upper: tuple[dict[str, Category], ...] = ({}, {}, {})
    for category in Category.objects.select_related("parent").filter(version=version).order_by("position", "code"):
        category.version = version
        by_code[category.code] = category
        by_code_upper.setdefault(category.code.upper(), category)
        for labels, label in zip(
            by_label_upper, (category.label_fr, category.label_nl, category.label_en), strict=True
        ):
            labels.setdefault(label.upper(), category)
    index = _CategoryIndex(key, by_code, by_code_upper, by_label_upper)
    _category_index = index
    return index


def _lookup_category(version: SchemeVersion, text: str, code: str) -> Category | None:
    """By exact code, then code in any case, then a label (FR, NL, EN) in any case."""
    if version.status == VersionStatus.PUBLISHED:
        index = _categories_of(version)
        found = index.by_code.get(code) or index.by_code_upper.get(code.upper())
        if found is None:
            wanted = text.upper()
            found = next((labels[wanted] for labels in index.by_label_upper if wanted in labels), None)
        return found
    return (
        Category.objects.select_related("parent").filter(version=version, code=code).first()
        or Category.objects.select_related("parent").filter(version=version, code__iexact=code).first()
        or Category.objects.filter(version=version).filter(label_fr__iexact=text).first()
        or Category.objects.filter(version=version, label_nl__iexact=text).first()
        or Category.objects.filter(version=version, label_en__iexact=text).first()
    )


def find_category(value: object, version: SchemeVersion | None = None) -> Category:
    """The category in force for a code, a label (FR/NL/EN), an id or a Category; refuses retired ones."""
    version = version or published_version(REQUEST_SCHEME)
    if version is None:
        raise ValidationError(_("No version of the request themes is published yet."), code="no_scheme")
    category: Category | None
    if isinstance(value, Category):
        category = value
    elif isinstance(value, int):
        category = Category.objects.select_related("version").filter(pk=value).first()
    else:
        text = str(value or "").strip()
        if not text:
            raise ValidationError(_("Choose the category of the request."), code="required")
        if len(text) > 500:  # no code or label is that long; a huge text was a LIKE pattern too complex for SQLite
            raise ValidationError(_("This category does not exist."), code="unknown_category")
        # The autocomplete fills "CODE — label"; the code alone is enough.
        code = text.split(" — ")[0].split()[0]
        category = _lookup_category(version, text, code)
        if category is None:
            old = Category.objects.filter(version__scheme__code=REQUEST_SCHEME, code__iexact=code).exists()
            if old:
                raise ValidationError(
                    _("%(value)s belongs to a retired version of the request themes; choose a current category.")
                    % {"value": text},
                    code="retired_category",
                )
            raise ValidationError(
                _("%(value)s is not a category of the request themes.") % {"value": text}, code="unknown_category"
            )
    if category is None:
        raise ValidationError(_("This category does not exist."), code="unknown_category")
    if category.version_id != version.pk or not category.is_active:
        if category.version.scheme_id != version.scheme_id:
            raise ValidationError(
                _("%(code)s is not a category of the request themes.") % {"code": category.code},
                code="unknown_category",
            )
        if category.version.status == VersionStatus.RETIRED or category.version_id != version.pk:
            raise ValidationError(
                _("%(code)s belongs to a retired version of the request themes; choose a current category.")
                % {"code": category.code},
                code="retired_category",
            )
        raise ValidationError(
            _("%(code)s is no longer in use; choose a current category.") % {"code": category.code},
            code="retired_category",
        )
    return category


def find_service(value: object) -> Any:
    """The directory service a referral points at (an id or a Service)."""
    from maillage.directory.models import Service, ServiceStatus

    if isinstance(value, Service):
        return value
    try:
        service_id = int(str(value).strip())
    except (TypeError, ValueError):
        service_id = None
    service = None
    if service_id and 0 < service_id < 2**63:  # beyond a bigint: no such row (the database would refuse it)
        # A referral keeps only the service's id; its names suffice to show it (a full row is wide).
        # One plain statement, as .only("id", "name_fr", "name_nl").first() reads it (the ORM query cost more).
        published = Service.objects.raw(
            'SELECT "id", "name_fr", "name_nl" FROM "directory_service" WHERE "id" = %s AND "status" = %s LIMIT 1',
            [service_id, ServiceStatus.PUBLISHED],
        )
        service = next(iter(published), None)
    if service is None:
        raise ValidationError(_("This service does not exist in the directory."), code="unknown_service")
    return service
