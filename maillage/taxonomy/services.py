"""Every change to category schemes: drafts, CSV import, publication, mappings."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.taxonomy.csv_format import ParsedCategories, parse_categories, write_categories
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus


def _require_draft(version: SchemeVersion) -> None:
    if version.is_frozen:
        raise ValidationError(_("Version %(version)s is published and can no longer change.") % {"version": version})


def create_draft(actor: User | None, scheme: Scheme, title: str = "") -> SchemeVersion:
    """A new draft, starting as a copy of the newest version so only the changes need editing."""
    with transaction.atomic():
        latest = scheme.versions.order_by("-number").first()
        version = SchemeVersion.objects.create(
            scheme=scheme, number=(latest.number + 1) if latest else 1, title=title, previous=latest
        )
        if latest is not None:
            _copy_categories(latest, version)
        log_action(actor, "taxonomy.version.created", version)
    return version


def _copy_categories(source: SchemeVersion, target: SchemeVersion) -> None:
    parents: dict[int, Category] = {}
    for category in source.categories.order_by("level", "position", "code"):
        copy = Category.objects.create(
            version=target, code=category.code, level=category.level,
            parent=parents.get(category.parent_id) if category.parent_id else None,
            label_fr=category.label_fr, label_nl=category.label_nl, label_en=category.label_en,
            description=category.description, is_active=category.is_active, position=category.position,
        )
        parents[category.pk] = copy
        CategoryMapping.objects.create(source=category, target=copy)


def import_categories_csv(actor: User | None, version: SchemeVersion, text: str) -> ParsedCategories:
    """Replace a draft's categories with the file's; nothing changes if any row is bad."""
    _require_draft(version)
    parsed = parse_categories(text)
    if parsed.errors:
        return parsed
    with transaction.atomic():
        CategoryMapping.objects.filter(target__version=version).delete()
        version.categories.filter(level=2).delete()
        version.categories.all().delete()
        created: dict[str, Category] = {}
        for position, row in enumerate(sorted(parsed.rows, key=lambda r: bool(r.parent_code))):
            created[row.code] = Category.objects.create(
                version=version, code=row.code, level=2 if row.parent_code else 1,
                parent=created[row.parent_code] if row.parent_code else None,
                label_fr=row.label_fr, label_nl=row.label_nl, label_en=row.label_en,
                description=row.description, is_active=row.active, position=position,
            )
        if version.previous is not None:
            _map_same_codes(version.previous, version)
        log_action(actor, "taxonomy.version.imported", version, {"categories": len(parsed.rows)})
    return parsed


def _map_same_codes(previous: SchemeVersion, version: SchemeVersion) -> None:
    """Codes that survive map to themselves; the rest wait for an explicit mapping."""
    new_by_code = {category.code: category for category in version.categories.all()}
    for old in previous.categories.all():
        if old.code in new_by_code:
            CategoryMapping.objects.update_or_create(source=old, defaults={"target": new_by_code[old.code]})


def export_categories_csv(version: SchemeVersion) -> str:
    rows = [
        {
            "code": category.code,
            "parent_code": category.parent.code if category.parent else "",
            "label_fr": category.label_fr,
            "label_nl": category.label_nl,
            "label_en": category.label_en,
            "description": category.description,
            "active": "yes" if category.is_active else "no",
        }
        for category in version.categories.select_related("parent").order_by("position", "code")
    ]
    return write_categories(rows)


def record_mapping(actor: User | None, source: Category, target: Category) -> CategoryMapping:
    """Say where an old category goes in the next version."""
    if target.version.previous_id != source.version_id:
        raise ValidationError(_("A mapping goes from one version to the next one of the same scheme."))
    _require_draft(target.version)
    with transaction.atomic():
        mapping, _created = CategoryMapping.objects.update_or_create(source=source, defaults={"target": target})
        log_action(actor, "taxonomy.mapping.recorded", target.version, {"from": source.code, "to": target.code})
    return mapping


def unmapped_categories(version: SchemeVersion) -> list[Category]:
    if version.previous is None:
        return []
    return list(version.previous.categories.filter(mapped_to__isnull=True).order_by("position", "code"))


def publish_version(actor: User | None, version: SchemeVersion) -> SchemeVersion:
    """Freeze a draft and make it the version in force; the previous one is retired."""
    _require_draft(version)
    if not version.categories.exists():
        raise ValidationError(_("An empty version cannot be published."))
    missing = unmapped_categories(version)
    if missing:
        codes = ", ".join(category.code for category in missing[:10])
        raise ValidationError(
            _("Say where these old categories go before publishing: %(codes)s.") % {"codes": codes}
        )
    with transaction.atomic():
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        SchemeVersion.objects.filter(scheme=version.scheme, status=VersionStatus.PUBLISHED).exclude(pk=version.pk).update(
            status=VersionStatus.RETIRED
        )
        log_action(actor, "taxonomy.version.published", version)
    return version
