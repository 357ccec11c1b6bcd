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
from maillage.taxonomy.reading import successors
from maillage.taxonomy.signals import Moves, version_published

# What a draft's category form may change; the code and the place in the tree come from the CSV.
EDITABLE_FIELDS = ("label_fr", "label_nl", "label_en", "description", "is_active")


def _require_draft(version: SchemeVersion) -> None:
    if version.is_frozen:
        raise ValidationError(_("Version %(version)s is published and can no longer change.") % {"version": version})


def _locked(version: SchemeVersion) -> SchemeVersion:
    """Re-read the version under a row lock (inside a transaction) and check it is still a draft.

    Every write to a scheme's versions locks the scheme first, then the version (and only its own row: a
    lock taken through the join on the scheme deadlocked with a new draft written during a publication)."""
    Scheme.objects.select_for_update().filter(pk=version.scheme_id).first()
    locked = SchemeVersion.objects.select_for_update(of=("self",)).select_related("scheme").get(pk=version.pk)
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
    check_parsed_mapping(version, parsed)
    if parsed.errors:
        return parsed
    return import_categories(actor, version, parsed)


def check_parsed_mapping(version: SchemeVersion, parsed: ParsedCategories) -> None:
    """A file's `previous_codes` against the previous version: unknown codes, a code sent to a retired
    category, a split onto a category and its own sub-category, cycles. Adds line-numbered errors."""
    if not parsed.has_mapping or parsed.errors:
        return
    previous = version.previous
    problems: dict[int, list[str]] = {}
    if previous is None:
        lines = [row.line for row in parsed.rows if row.previous_codes]
        if lines:
            problems[lines[0]] = [_("this is the first version: there is no previous version to map from")]
    else:
        old_codes = set(previous.categories.values_list("code", flat=True))
        parent_of = {row.code: row.parent_code for row in parsed.rows}
        targets: dict[str, list[str]] = {}
        for row in parsed.rows:
            row_problems = problems.setdefault(row.line, [])
            unknown = [code for code in row.previous_codes or () if code not in old_codes]
            if unknown:
                row_problems.append(
                    _("%(codes)s: not a code of version %(number)s")
                    % {"codes": ", ".join(unknown)[:200], "number": previous.number}
                )
            retired = not row.active or (row.parent_code and not _active_in(parsed, row.parent_code))
            others = [code for code in row.previous_codes or () if code != row.code]
            if retired and others:
                row_problems.append(
                    _("%(code)s is retired in this version: %(codes)s cannot go there")
                    % {"code": row.code, "codes": ", ".join(others)[:200]}
                )
            for code in row.previous_codes or ():
                targets.setdefault(code, []).append(row.code)
        first_line = {row.code: row.line for row in parsed.rows}
        for old, new_codes in targets.items():
            for code in new_codes:
                if parent_of.get(code) in new_codes:
                    problems.setdefault(first_line[code], []).append(
                        _("%(source)s goes both to %(parent)s and to its sub-category %(code)s")
                        % {"source": old, "parent": parent_of[code], "code": code}
                    )
        try:
            check_no_cycle((old, new) for old, new_codes in targets.items() for new in new_codes)
        except ValidationError as error:
            problems.setdefault(min(first_line.values(), default=1), []).append(error.messages[0].rstrip("."))
    for line, row_problems in sorted(problems.items()):
        if row_problems:
            parsed.errors.append((line, "; ".join(row_problems) + "."))
    parsed.errors.sort(key=lambda error: error[0])


def _active_in(parsed: ParsedCategories, code: str) -> bool:
    return next((row.active for row in parsed.rows if row.code == code), True)


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
        if version.previous is not None and parsed.has_mapping:
            _map_from_file(version.previous, version, parsed)
        elif version.previous is not None:
            _map_after_import(version.previous, version, recorded)
        log_action(
            actor,
            "taxonomy.version.imported",
            version,
            {"categories": len(parsed.rows), "with_mapping": parsed.has_mapping}
            if parsed.has_mapping
            else {"categories": len(parsed.rows)},
        )
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


def _map_from_file(previous: SchemeVersion, version: SchemeVersion, parsed: ParsedCategories) -> None:
    """The file's `previous_codes` are the mapping: exactly what it says (checked by check_parsed_mapping)."""
    old_by_code = {category.code: category for category in previous.categories.all()}
    new_by_code = {category.code: category for category in version.categories.all()}
    CategoryMapping.objects.bulk_create(
        CategoryMapping(source=old_by_code[code], target=new_by_code[row.code])
        for row in parsed.rows
        for code in row.previous_codes or ()
    )


def _previous_codes(version: SchemeVersion) -> dict[int, str]:
    """Category id → the codes of the previous version that go to it, "|"-separated (the CSV column)."""
    found: dict[int, list[str]] = {}
    for target, code in (
        CategoryMapping.objects.filter(target__version=version, source__version_id=version.previous_id)
        .order_by("source__position", "source__code")
        .values_list("target_id", "source__code")
    ):
        found.setdefault(target, []).append(code)
    return {pk: "|".join(codes) for pk, codes in found.items()}


def category_rows(version: SchemeVersion, *, with_mapping: bool = False) -> list[dict[str, str]]:
    """The version's categories in tree order, as the columns of the CSV format (`with_mapping`: and
    `previous_codes`, where each old code goes)."""
    previous_codes = _previous_codes(version) if with_mapping else {}
    return [
        {
            "code": category.code,
            "parent_code": category.parent.code if category.parent else "",
            "label_fr": category.label_fr,
            "label_nl": category.label_nl,
            "label_en": category.label_en,
            "description": category.description,
            "active": "yes" if category.is_active else "no",
            **({"previous_codes": previous_codes.get(category.pk, "")} if with_mapping else {}),
        }
        for category in version.categories.select_related("parent").order_by("position", "code")
    ]


def export_categories_csv(version: SchemeVersion, *, separator: Separator = "comma", with_mapping: bool = False) -> str:
    """The version as CSV, in tree order, in the format import_categories_csv reads (`with_mapping`: with
    the column `previous_codes`, so another network can import the version and its mapping)."""
    rows = category_rows(version, with_mapping=with_mapping)
    return "".join(category_lines(rows, separator=separator, with_mapping=with_mapping))


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


def _retired(category: Category) -> bool:
    return not category.is_active or (category.parent is not None and not category.parent.is_active)


def check_mapping(source: Category, targets: Iterable[Category]) -> None:
    """Whether an old category may go to these categories of the next version (raises ValidationError).

    Several targets are a split. A target must be a category of the next version in use, except the
    retired continuation of the same code (retiring a code keeps it for its own past records; no other
    code may be sent there); targets may not overlap (a category and its own sub-category).
    """
    targets = list(targets)
    if not targets:
        raise ValidationError(_("Say where %(code)s goes in the new version.") % {"code": source.code}, code="empty")
    problems = []
    for target in targets:
        if target.version.previous_id != source.version_id:
            problems.append(_("A mapping goes from one version to the next one of the same scheme."))
        elif _retired(target) and target.code != source.code:
            problems.append(
                _("%(code)s is retired in version %(number)s: %(source)s cannot go there.")
                % {"code": target.code, "number": target.version.number, "source": source.code}
            )
    codes = {target.pk: target.code for target in targets}
    for target in targets:
        if target.parent_id in codes:
            problems.append(
                _("%(source)s goes both to %(parent)s and to its sub-category %(code)s: choose one of them.")
                % {"source": source.code, "parent": codes[target.parent_id], "code": target.code}
            )
    if problems:
        raise ValidationError(list(dict.fromkeys(problems)), code="bad_mapping")


def check_no_cycle(pairs: Iterable[tuple[str, str]]) -> None:
    """Mappings of one step by code (old → new): refuse a cycle such as A → B and B → A (codes swapped).

    A code keeps meaning the same thing across versions for the people and reports that know it; a
    swap would read every old A record as B and every B as A, so give new codes instead."""
    edges: dict[str, set[str]] = {}
    for old, new in pairs:
        if old != new:
            edges.setdefault(old, set()).add(new)
    for start in sorted(edges):
        path = [start]
        seen = {start}
        stack = [(start, iter(sorted(edges[start])))]
        while stack:
            _code, following = stack[-1]
            step = next(following, None)
            if step is None:
                stack.pop()
                path.pop()
                continue
            if step == start:
                raise ValidationError(
                    _("These mappings go round in a circle: %(cycle)s. Give new codes instead of swapping them.")
                    % {"cycle": " → ".join([*path, start])},
                    code="cycle",
                )
            if step in edges and step not in seen:
                seen.add(step)
                path.append(step)
                stack.append((step, iter(sorted(edges[step]))))


def check_version_mappings(version: SchemeVersion) -> None:
    """Every recorded mapping into a draft, checked together (what publication requires)."""
    by_source: dict[Category, list[Category]] = {}
    mappings = CategoryMapping.objects.filter(target__version=version).select_related(
        "source__version", "target__version", "target__parent"
    )
    for mapping in mappings:
        by_source.setdefault(mapping.source, []).append(mapping.target)
    problems: list[str] = []
    for source, targets in by_source.items():
        try:
            check_mapping(source, targets)
        except ValidationError as error:
            problems.extend(error.messages)
    try:
        check_no_cycle((source.code, target.code) for source, targets in by_source.items() for target in targets)
    except ValidationError as error:
        problems.extend(error.messages)
    if problems:
        raise ValidationError(problems, code="bad_mapping")


def set_mapping_targets(actor: User | None, source: Category, targets: list[Category]) -> list[CategoryMapping]:
    """Say where an old category goes in the next version: one target, or several for a split."""
    check_mapping(source, targets)
    version = targets[0].version
    with transaction.atomic():
        _locked(version)
        CategoryMapping.objects.filter(source=source, target__version=version).exclude(target__in=targets).delete()
        mappings = [CategoryMapping.objects.get_or_create(source=source, target=target)[0] for target in targets]
        log_action(
            actor,
            "taxonomy.mapping.recorded",
            version,
            {"from": source.code, "to": targets[0].code if len(targets) == 1 else [t.code for t in targets]},
        )
    return mappings


def record_mapping(actor: User | None, source: Category, target: Category) -> CategoryMapping:
    """Say where an old category goes in the next version (replacing what was recorded)."""
    return set_mapping_targets(actor, source, [target])[0]


def record_mappings(actor: User | None, pairs: Iterable[tuple[Category, Category]]) -> int:
    """Several mappings at once (a source given several times is split), all or none; returns how many."""
    by_source: dict[Category, list[Category]] = {}
    for source, target in pairs:
        by_source.setdefault(source, []).append(target)
    with transaction.atomic():
        for source, targets in by_source.items():
            set_mapping_targets(actor, source, targets)
    return sum(len(targets) for targets in by_source.values())


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
    """Freeze a draft and make it the version in force; the previous one is retired.

    A product-wide change in one transaction: the scheme is locked (two publications of one scheme never
    interleave), the mappings are checked, and `version_published` lets every module move its live
    references (service needs, subscriptions, saved reports…) to the new codes; one audit entry records
    how many moved in each. Any failure leaves nothing published and nothing moved.
    """
    with transaction.atomic():
        Scheme.objects.select_for_update().get(pk=version.scheme_id)
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
        check_version_mappings(version)
        version.status = VersionStatus.PUBLISHED
        version.published_at = timezone.now()
        version.save(update_fields=["status", "published_at"])
        moves = publication_moves(version)
        moved: dict[str, int] = {}
        for _receiver, answer in version_published.send(
            sender=SchemeVersion, version=version, moves=moves, actor=actor
        ):
            if isinstance(answer, dict):
                moved.update(answer)
        log_action(actor, "taxonomy.version.published", version, {"moved": moved} if moved else None)
    return version


def publication_moves(version: SchemeVersion) -> Moves:
    """Where the earlier versions' categories go in `version` (ids), and the previous version's codes."""
    targets = successors(version)
    codes: dict[str, tuple[str, ...]] = {}
    if version.previous_id is not None:
        code_of = dict(Category.objects.filter(version__in=[version.previous_id, version.pk]).values_list("pk", "code"))
        for pk, code in Category.objects.filter(version_id=version.previous_id).values_list("pk", "code"):
            codes[code] = tuple(code_of[new] for new in targets.get(pk, ()))
    return Moves(version, targets, codes)
