"""Reading records coded in any version of a scheme in one chosen version.

Every category id of a scheme (any published or retired version, and the version read) gets the code it
counts under in the version read, at level 1 (its top category) or 2 (itself), by following the
mappings version by version, forwards (old records read in a newer version) and backwards (new records
read in an older version).

Splits are honest. When an old code maps to several new codes (INCOME → INCOME and DEBT), nobody knows
which of them its old records were about, so they count under a joined key, "INCOME+DEBT", labelled
"Income or Debt — before version 2", and never under one of the targets. Likewise, read backwards, a
new code coming from several old ones (HEALTH ← HEALTH and MENTAL, a merge) counts under
"HEALTH+MENTAL", labelled "… — from version 2"; a new code coming from one old code (DEBT ← INCOME)
counts under that code. At level 1 the members are first read at level 1, so a split inside one top
category is no split there. Codes without any equivalent count under `UNMAPPED`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from maillage.taxonomy.models import Category, CategoryMapping, Scheme, SchemeVersion, VersionStatus

UNMAPPED = "?"
JOIN = "+"


class UnknownVersion(ValidationError):  # noqa: N818 - the name the reports know it by
    """A report asked in a version of a scheme that does not exist (or is still a draft)."""


def version_to_read(scheme_code: str, number: int | None) -> SchemeVersion:
    """Version `number` of the scheme (published or retired), or the version in force when None."""
    versions = (
        SchemeVersion.objects.select_related("scheme", "previous")
        .filter(scheme__code=scheme_code)
        .exclude(status=VersionStatus.DRAFT)
    )
    if number is not None:
        found = versions.filter(number=number).first()
    else:
        found = versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
    if found is None:
        scheme = Scheme.objects.filter(code=scheme_code).first()
        name = scheme.label if scheme is not None else scheme_code
        if number is None:
            raise UnknownVersion(
                _("No version of %(scheme)s is in force yet.") % {"scheme": name}, code="unknown_version"
            )
        raise UnknownVersion(
            _("There is no version %(number)s of %(scheme)s.") % {"number": number, "scheme": name},
            code="unknown_version",
        )
    return found


@dataclass(frozen=True)
class Reading:
    version: SchemeVersion
    level: int
    code_of: dict[int, str]  # category id (any version) → code or joined key in `version` at `level`
    labels: dict[str, str]  # every key of code_of's values (and UNMAPPED) → label in the active language
    order: list[str]  # the version's codes in tree order, each joined key right after its first member
    splits: dict[str, tuple[str, ...]]  # joined key → its member codes, in tree order


@dataclass
class _Node:
    pk: int
    code: str
    version_id: int
    parent_id: int | None
    level: int
    position: int
    label: str


def _chain(version: SchemeVersion) -> tuple[list[int], list[int]]:
    """The versions before `version` (nearest first) and after it (nearest first), by `previous` links."""
    versions = list(
        SchemeVersion.objects.filter(scheme_id=version.scheme_id).values_list("pk", "previous_id", "status")
    )
    previous_of = {pk: previous for pk, previous, _status in versions}
    usable = {pk for pk, _previous, status in versions if status != VersionStatus.DRAFT} | {version.pk}
    older: list[int] = []
    current = previous_of.get(version.pk)
    while current is not None and current in usable and current not in older:
        older.append(current)
        current = previous_of.get(current)
    next_of = {previous: pk for pk, previous, _status in versions if previous is not None and pk in usable}
    newer: list[int] = []
    current = next_of.get(version.pk)
    while current is not None and current not in newer:
        newer.append(current)
        current = next_of.get(current)
    return older, newer


def _join_label(labels: list[str], number: int, forwards: bool) -> str:
    if len(labels) == 2:
        joined = _("%(first)s or %(second)s") % {"first": labels[0], "second": labels[1]}
    else:
        joined = _("%(list)s or %(last)s") % {"list": ", ".join(labels[:-1]), "last": labels[-1]}
    if forwards:
        return _("%(labels)s — before version %(number)s") % {"labels": joined, "number": number}
    return _("%(labels)s — from version %(number)s") % {"labels": joined, "number": number}


@dataclass
class _Walk:
    nodes: dict[int, _Node]
    reach: dict[int, frozenset[int]]
    since: dict[int, int]
    older: list[int]
    numbers: dict[int, int]
    in_version: list[_Node]


def _walk(version: SchemeVersion) -> _Walk:
    """Every category of the chain of versions → the categories of `version` it stands for."""
    older, newer = _chain(version)
    version_ids = [version.pk, *older, *newer]
    numbers = dict(SchemeVersion.objects.filter(pk__in=version_ids).values_list("pk", "number"))
    nodes: dict[int, _Node] = {}
    for category in Category.objects.filter(version_id__in=version_ids).order_by("position", "code"):
        nodes[category.pk] = _Node(
            category.pk,
            category.code,
            category.version_id,
            category.parent_id,
            category.level,
            category.position,
            category.label,
        )
    by_version_code = {(node.version_id, node.code): node.pk for node in nodes.values()}
    targets: dict[int, set[int]] = defaultdict(set)
    sources: dict[int, set[int]] = defaultdict(set)
    for source_id, target_id in CategoryMapping.objects.filter(
        source__version_id__in=version_ids, target__version_id__in=version_ids
    ).values_list("source_id", "target_id"):
        targets[source_id].add(target_id)
        sources[target_id].add(source_id)

    # Each category → the set of categories of `version` it stands for, with the version number where it
    # first stood for several (the split or merge the joined key's label names).
    reach: dict[int, frozenset[int]] = {}
    since: dict[int, int] = {}
    in_version = [node for node in nodes.values() if node.version_id == version.pk]
    for node in in_version:
        reach[node.pk] = frozenset({node.pk})

    def walk(steps: list[int], links: dict[int, set[int]], neighbour_of: dict[int, int], forwards: bool) -> None:
        for version_id in steps:
            neighbour = neighbour_of[version_id]
            for node in (n for n in nodes.values() if n.version_id == version_id):
                linked = links.get(node.pk)
                if not linked:  # nothing recorded: the same code, if the neighbour version has it
                    same = by_version_code.get((neighbour, node.code))
                    linked = {same} if same is not None else set()
                result: set[int] = set()
                origins = []
                for other in linked:
                    result |= reach.get(other, frozenset())
                    if other in since:
                        origins.append(since[other])
                reach[node.pk] = frozenset(result)
                if len(linked) > 1 and len(result) > 1:
                    # This step splits it (forwards: records before the neighbour version) or merges
                    # several into it (backwards: records from this version on).
                    since[node.pk] = numbers[neighbour] if forwards else numbers[version_id]
                elif origins:
                    since[node.pk] = min(origins) if forwards else max(origins)

    # Older versions, nearest first: their neighbour is the next version towards `version`.
    walk(older, targets, {vid: ([version.pk, *older])[i] for i, vid in enumerate(older)}, True)
    walk(newer, sources, {vid: ([version.pk, *newer])[i] for i, vid in enumerate(newer)}, False)
    return _Walk(nodes, reach, since, older, numbers, in_version)


def successors(version: SchemeVersion) -> dict[int, tuple[int, ...]]:
    """Every category of the versions before `version` → the categories of `version` it goes to (several
    for a split, none when it has no equivalent), in tree order: what live references move to."""
    walked = _walk(version)
    position = {node.pk: index for index, node in enumerate(walked.in_version)}
    return {
        pk: tuple(sorted(walked.reach[pk], key=lambda member: position[member]))
        for pk, node in walked.nodes.items()
        if node.version_id in walked.older
    }


def reading_in(version: SchemeVersion, level: int) -> Reading:
    """How every category of the scheme reads in `version` at `level` (1 or 2); see the module's doc."""
    walked = _walk(version)
    nodes, reach, since, older, numbers, in_version = (
        walked.nodes,
        walked.reach,
        walked.since,
        walked.older,
        walked.numbers,
        walked.in_version,
    )

    version_nodes = {node.pk: node for node in in_version}
    position = {node.pk: index for index, node in enumerate(in_version)}  # already in tree order

    def top(pk: int) -> int:
        node = version_nodes[pk]
        return node.parent_id if level == 1 and node.parent_id is not None else pk

    code_of: dict[int, str] = {}
    labels: dict[str, str] = {}
    splits: dict[str, tuple[str, ...]] = {}
    first_member: dict[str, str] = {}
    for pk, members in reach.items():
        at_level = sorted({top(member) for member in members}, key=lambda m: position[m])
        if not at_level:
            code_of[pk] = UNMAPPED
        elif len(at_level) == 1:
            code_of[pk] = version_nodes[at_level[0]].code
        else:
            codes = tuple(version_nodes[m].code for m in at_level)
            key = JOIN.join(codes)
            code_of[pk] = key
            if key not in splits:
                splits[key] = codes
                first_member[key] = codes[0]
                forwards = nodes[pk].version_id in older
                number = since.get(pk) or numbers[nodes[pk].version_id if not forwards else version.pk]
                labels[key] = _join_label([version_nodes[m].label for m in at_level], number, forwards)
    order: list[str] = []
    joined_after: dict[str, list[str]] = defaultdict(list)
    for key in sorted(splits):
        joined_after[first_member[key]].append(key)
    for node in in_version:
        if level == 1 and node.level != 1:
            continue
        order.append(node.code)
        labels.setdefault(node.code, node.label)
        order.extend(joined_after.get(node.code, []))
    labels[UNMAPPED] = _("No equivalent in this version")
    return Reading(version, level, code_of, labels, order, splits)


def keys_holding(reading: Reading, codes: Iterable[str]) -> set[str]:
    """The keys of a reading whose records may be about any of these codes (themselves and joined keys)."""
    wanted = set(codes)
    return wanted | {key for key, members in reading.splits.items() if wanted & set(members)}
