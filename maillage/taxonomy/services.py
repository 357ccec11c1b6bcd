"""Every change to category schemes: drafts, CSV import, edits, mappings, publication."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import User
from maillage.core.spreadsheet import Separator
from maillage.taxonomy.csv_format import ParsedCategories, category_lines, parse_categories
from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus

# What a draft's category form may change; the code and the place in the tree come from the CSV.
EDITABLE_FIELDS = ("label_fr", "label_nl", "label_en", "description", "is_active")


def _require_draft(version: SchemeVersion) -> None:
    if version.is_frozen:
        raise ValidationError(_("Version %(version)s is published and can no longer change.") % {"version": version})


def _locked(version: SchemeVersion) -> SchemeVersion:
    """Re-read the version under a row lock (inside a transaction) and check it is still a draft."""
    locked = SchemeVersion.objects.select_for_update().select_related("scheme").get(pk=version.pk)
    _require_draft(locked)
    return locked


def create_draft(actor: User | None, scheme: Scheme, title: str = "") -> SchemeVersion:
    """A new draft, starting as a copy of the newest version so only the changes need editing."""
    with transaction.atomic():
        Scheme.objects.select_for_update().filter(pk=scheme.pk).first()
        latest = scheme.versions.order_by("-number").first()
        if latest is not None and latest.status == VersionStatus.DRAFT:
            raise ValidationError(
                _("Version %(version)s is still a draft: publish it before starting another one.") % {"version": latest}
            )
        version = SchemeVersion.objects.create(
            scheme=scheme, number=(latest.number + 1) if latest else 1, title=title, previous=latest
        )
        if latest is not None:
            _copy_categories(latest, version)
        log_action(actor, "taxonomy.version.created", version, {"copied_from": latest.number if latest else None})
    return version


def _copy_categories(source: SchemeVersion, target: SchemeVersion) -> None:
    """Copy the tree; each old category maps to its copy until the draft says otherwise."""
    old_categories = list(source.categories.order_by("level", "position", "code"))
    copies = _create_tree(
        [
            (
                category.pk,
                category.parent_id,
                Category(
                    version=target,
                    code=category.code,
                    label_fr=category.label_fr,
                    label_nl=category.label_nl,
                    label_en=category.label_en,
                    description=category.description,
                    is_active=category.is_active,
                    position=category.position,
                ),
            )
            for category in old_categories
        ],
    )
    CategoryMapping.objects.bulk_create(
        CategoryMapping(source=category, target=copies[category.pk]) for category in old_categories
    )


def _create_tree(items: list[tuple[object, object, Category]]) -> dict[object, Category]:
    """Insert (key, parent key, unsaved category) items in two statements: level 1, then level 2.

    bulk_create fills in primary keys on PostgreSQL and on SQLite ≥ 3.35, so children can point at them.
    """
    created: dict[object, Category] = {}
    top = [(key, category) for key, parent_key, category in items if parent_key is None]
    for _key, category in top:
        category.level = 1
        category.parent = None
    Category.objects.bulk_create([category for _key, category in top])
    created.update(top)
    children = [(key, parent_key, category) for key, parent_key, category in items if parent_key is not None]
    for _key, parent_key, category in children:
        category.level = 2
        category.parent = created[parent_key]
    Category.objects.bulk_create([category for _key, _parent, category in children])
    created.update((key, category) for key, _parent, category in children)
    return created


def import_categories_csv(actor: User | None, version: SchemeVersion, text: str) -> ParsedCategories:
    """Replace a draft's categories with the file's; nothing changes if any row is bad."""
    _require_draft(version)
    parsed = parse_categories(text)
    if parsed.errors:
        return parsed
    return import_categories(actor, version, parsed)


def import_categories(actor: User | None, version: SchemeVersion, parsed: ParsedCategories) -> ParsedCategories:
    """Write categories already checked by `parse_categories` (no errors) into a draft, replacing its own."""
    if parsed.errors:
        raise ValueError("Only a file without errors is imported.")
    with transaction.atomic():
        version = _locked(version)
        # Mappings already recorded survive a new upload when their target's code is still there.
        recorded = dict(
            CategoryMapping.objects.filter(target__version=version).values_list("source_id", "target__code")
        )
        CategoryMapping.objects.filter(target__version=version).delete()
        # Children first: a parent is protected while it has any.
        version.categories.filter(level=2).delete()
        version.categories.all().delete()
        # The position keeps the file's order, which export gives back.
        _create_tree(
            [
                (
                    row.code,
                    row.parent_code or None,
                    Category(
                        version=version,
                        code=row.code,
                        label_fr=row.label_fr,
                        label_nl=row.label_nl,
                        label_en=row.label_en,
                        description=row.description,
                        is_active=row.active,
                        position=position,
                    ),
                )
                for position, row in enumerate(parsed.rows)
            ],
        )
        if version.previous is not None:
            _map_after_import(version.previous, version, recorded)
        log_action(actor, "taxonomy.version.imported", version, {"categories": len(parsed.rows)})
    return parsed


def _map_after_import(previous: SchemeVersion, version: SchemeVersion, recorded: dict[int, str]) -> None:
    """Codes that survive map to themselves; others keep a recorded target if its code is still there."""
    new_by_code = {category.code: category for category in version.categories.all()}
    mappings = []
    for old in previous.categories.all():
        target = new_by_code.get(old.code) or new_by_code.get(recorded.get(old.pk, ""))
        if target is not None:
            mappings.append(CategoryMapping(source=old, target=target))
    CategoryMapping.objects.bulk_create(mappings)


def category_rows(version: SchemeVersion) -> list[dict[str, str]]:
    """The version's categories in tree order, as the columns of the CSV format."""
    return [
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


def export_categories_csv(version: SchemeVersion, *, separator: Separator = "comma") -> str:
    """The version as CSV, in tree order, in the format import_categories_csv reads."""
    return "".join(category_lines(category_rows(version), separator=separator))


def update_category(actor: User | None, category: Category, **changes: Any) -> Category:
    """Change a draft's category: labels, description, active or retired."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable here: {sorted(unknown)}")
    with transaction.atomic():
        _locked(category.version)
        changed = {name: value for name, value in changes.items() if getattr(category, name) != value}
        if not changed:
            return category
        before = {name: getattr(category, name) for name in changed}
        for name, value in changed.items():
            setattr(category, name, value)
        category.clean_fields(exclude=[f.name for f in Category._meta.fields if f.name not in EDITABLE_FIELDS])
        category.save(update_fields=list(changed))
        log_action(
            actor,
            "taxonomy.category.updated",
            category,
            {"version": category.version.number, "before": before, "after": changed},
        )
    return category


def record_mapping(actor: User | None, source: Category, target: Category) -> CategoryMapping:
    """Say where an old category goes in the next version."""
    if target.version.previous_id != source.version_id:
        raise ValidationError(_("A mapping goes from one version to the next one of the same scheme."))
    with transaction.atomic():
        _locked(target.version)
        mapping, _created = CategoryMapping.objects.update_or_create(source=source, defaults={"target": target})
        log_action(actor, "taxonomy.mapping.recorded", target.version, {"from": source.code, "to": target.code})
    return mapping


def record_mappings(actor: User | None, pairs: Iterable[tuple[Category, Category]]) -> int:
    """Several mappings at once, all or none; returns how many were recorded."""
    count = 0
    with transaction.atomic():
        for source, target in pairs:
            record_mapping(actor, source, target)
            count += 1
    return count


def unmapped_categories(version: SchemeVersion) -> list[Category]:
    """The previous version's categories that do not yet say where they go in this one."""
    if version.previous is None:
        return []
    return list(version.previous.categories.exclude(mapped_to__target__version=version).order_by("position", "code"))


def discard_draft(actor: User | None, version: SchemeVersion) -> None:
    """Throw a draft away, its categories and mappings with it; published versions stay forever."""
    with transaction.atomic():
        version = _locked(version)
        log_action(actor, "taxonomy.version.discarded", version, {"categories": version.categories.count()})
        CategoryMapping.objects.filter(target__version=version).delete()
        version.categories.filter(level=2).delete()
        version.categories.all().delete()
        version.delete()


def publish_version(actor: User | None, version: SchemeVersion) -> SchemeVersion:
    """Freeze a draft and make it the version in force; the previous one is retired."""
    with transaction.atomic():
        version = _locked(version)
        if not version.categories.exists():
            raise ValidationError(_("An empty version cannot be published."))
        missing = unmapped_categories(version)
        if missing:
            codes = ", ".join(category.code for category in missing[:10])
            if len(missing) > 10:
                codes += ", …"
            raise ValidationError(
                _("Say where these old categories go before publishing: %(codes)s.") % {"codes": codes}
            )
        SchemeVersion.objects.filter(scheme=version.scheme, status=VersionStatus.PUBLISHED).update(
            status=VersionStatus.RETIRED
        )
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        log_action(actor, "taxonomy.version.published", version)
    return version
