"""What a version changed from the previous one, and how many records each change touches.

The records are found through the relations other apps declare to `Category` (service needs, helpline and
case-work requests, subscriptions…), read from the model metadata: taxonomy imports none of those apps.
"Before" counts the records coded in the old categories (of the previous version, or of an earlier one that
leads to them); "after" the records pointing at the new categories — after publication, the live references
moved there (service needs, subscriptions) and what was recorded since.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from maillage.taxonomy.models import Category, CategoryMapping, SchemeVersion
from maillage.taxonomy.reading import successors

ADDED, RENAMED, RECODED, MERGED, SPLIT, RETIRED = "added", "renamed", "recoded", "merged", "split", "retired"
KIND_LABELS = {
    ADDED: _("Added"),
    RENAMED: _("Renamed"),
    RECODED: _("New code or place"),
    MERGED: _("Merged"),
    SPLIT: _("Split"),
    RETIRED: _("Retired"),
}


@dataclass
class Change:
    kind: str
    old: list[Category]
    new: list[Category]
    before: dict[str, int] = field(default_factory=dict)  # kind of record → how many
    after: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> Any:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class _Reference:
    key: str
    label: str
    model: type[models.Model]
    fields: tuple[str, ...]  # FKs of `model` to Category (a row counts once, whichever field)
    owner: str = ""  # for a many-to-many: the through model's field to the owner


def references() -> list[_Reference]:
    """Every relation of another app's model to `Category`, one entry per model."""
    by_model: dict[type[models.Model], list[str]] = defaultdict(list)
    result: list[_Reference] = []
    for relation in Category._meta.get_fields(include_hidden=True):
        if not relation.auto_created or relation.concrete or relation.related_model is None:
            continue
        model = relation.related_model
        if not isinstance(model, type) or not issubclass(model, models.Model) or model._meta.app_label == "taxonomy":
            continue
        if model._meta.auto_created:  # the through table of a many-to-many: counted with it below
            continue
        if isinstance(relation, models.ManyToManyRel):
            through = relation.through
            assert through is not None
            owner = relation.field.m2m_field_name()
            to_category = relation.field.m2m_reverse_field_name()
            label = f"{model._meta.app_config.verbose_name} · {model._meta.verbose_name_plural}"
            key = f"{model._meta.label_lower}.{relation.field.name}"
            result.append(_Reference(key, str(label), through, (to_category,), owner))  # type: ignore[arg-type]
        elif isinstance(relation, models.ManyToOneRel):
            by_model[model].append(relation.field.name)
    for model, names in by_model.items():
        label = f"{model._meta.app_config.verbose_name} · {model._meta.verbose_name_plural}"
        result.append(_Reference(model._meta.label_lower, str(label), model, tuple(sorted(names))))
    return sorted(result, key=lambda reference: reference.label)


def _rows(reference: _Reference, ids: set[int]) -> list[tuple[tuple[int | None, ...], Any]]:
    """(category ids of the row's fields, the row's identity) for every row pointing at one of `ids`."""
    if not ids:
        return []
    condition = Q()
    for name in reference.fields:
        condition |= Q(**{f"{name}_id__in": ids})
    columns = [f"{name}_id" for name in reference.fields]
    manager = reference.model._base_manager
    if reference.owner:
        return [
            ((category,), owner)
            for category, owner in manager.filter(condition).values_list(*columns, f"{reference.owner}_id")
        ]
    # Rows grouped by their category values: one row per combination, with how many rows share it.
    grouped = manager.filter(condition).values(*columns).annotate(rows=Count("pk"))
    return [(tuple(row[column] for column in columns), row["rows"]) for row in grouped]


def _count(rows: list[tuple[tuple[int | None, ...], Any]], ids: set[int], distinct: bool) -> int:
    matching = [(values, item) for values, item in rows if any(value in ids for value in values)]
    if distinct:
        return len({item for _values, item in matching})
    return sum(item for _values, item in matching)


def version_changes(version: SchemeVersion) -> list[Change]:
    """Added, renamed, re-coded, merged, split and retired categories, in the new version's tree order."""
    previous = version.previous
    new_categories = list(version.categories.select_related("parent").order_by("position", "code"))
    if previous is None:
        changes = [Change(ADDED, [], [category]) for category in new_categories]
    else:
        changes = _changes_between(previous, version, new_categories)
    _count_records(version, changes)
    return changes


def _changes_between(previous: SchemeVersion, version: SchemeVersion, new_categories: list[Category]) -> list[Change]:
    old_categories = {c.pk: c for c in previous.categories.select_related("parent")}
    targets: dict[int, list[Category]] = defaultdict(list)
    sources: dict[int, list[Category]] = defaultdict(list)
    for mapping in CategoryMapping.objects.filter(target__version=version, source__version=previous).select_related(
        "target__parent"
    ):
        targets[mapping.source_id].append(mapping.target)
        sources[mapping.target_id].append(old_categories[mapping.source_id])
    changes: list[Change] = []
    split_sources: set[int] = set()
    for new in new_categories:
        came_from = sorted(sources.get(new.pk, []), key=lambda c: (c.position, c.code))
        if not came_from:
            changes.append(Change(ADDED, [], [new]))
            continue
        if len(came_from) > 1:
            changes.append(Change(MERGED, came_from, [new]))
        for old in came_from:
            went_to = targets[old.pk]
            if len(went_to) > 1:
                if old.pk not in split_sources:
                    split_sources.add(old.pk)
                    ordered = sorted(went_to, key=lambda c: (c.position, c.code))
                    changes.append(Change(SPLIT, [old], ordered))
                continue
            if len(came_from) > 1:
                continue
            if old.is_active and not new.is_active:
                changes.append(Change(RETIRED, [old], [new]))
            elif old.code != new.code or (old.parent.code if old.parent else "") != (
                new.parent.code if new.parent else ""
            ):
                changes.append(Change(RECODED, [old], [new]))
            elif (old.label_fr, old.label_nl, old.label_en) != (new.label_fr, new.label_nl, new.label_en):
                changes.append(Change(RENAMED, [old], [new]))
    for old in old_categories.values():
        if old.pk not in targets:
            changes.append(Change(RETIRED, [old], []))  # no equivalent (a draft not mapped yet)
    return changes


def _count_records(version: SchemeVersion, changes: list[Change]) -> None:
    """Fill each change's `before` and `after`: the records coded in its old and in its new categories."""
    if not changes:
        return
    previous = version.previous
    # Categories of earlier versions count with the previous version's category they lead to.
    leads_to: dict[int, set[int]] = defaultdict(set)
    if previous is not None:
        for pk in previous.categories.values_list("pk", flat=True):
            leads_to[pk].add(pk)
        for older, goes in successors(previous).items():
            for pk in goes:
                leads_to[pk].add(older)
    old_ids = {id(change): {pk for c in change.old for pk in leads_to.get(c.pk, {c.pk})} for change in changes}
    new_ids = {id(change): {c.pk for c in change.new} for change in changes}
    every = set().union(*old_ids.values(), *new_ids.values())
    for reference in references():
        rows = _rows(reference, every)
        distinct = bool(reference.owner)
        for change in changes:
            before = _count(rows, old_ids[id(change)], distinct)
            after = _count(rows, new_ids[id(change)], distinct)
            if before:
                change.before[reference.label] = before
            if after:
                change.after[reference.label] = after


def record_kinds(changes: list[Change]) -> list[str]:
    """The kinds of record any change touches, for the columns of the page."""
    return sorted({label for change in changes for label in (*change.before, *change.after)})
