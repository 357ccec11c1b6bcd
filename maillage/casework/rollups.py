"""Statistics roll-ups kept exactly in step with the follow-ups, requests and persons they count.

A cell holds, for one centre and one period (a month, a quarter, a year, or all time), how many requests or
follow-ups — or how many distinct persons or case files — have a given value of one or two coded
dimensions. The cross-tab engine sums cells instead of scanning millions of rows when the asked
dimensions and filters are covered (see `maillage.stats.crosstab`), and reads the raw tables otherwise.

Exactness: every write that changes a counted row goes through `persons_changing(person_ids)`, which
locks the persons, subtracts everything their rows contributed, lets the write happen and adds the new
contributions back, in the same transaction. Every contribution belongs to one person (a request, a
follow-up, a case file, the person), so this is exact whatever the write. Bulk loads call `rollups_rebuild.rebuild()`; a
follow-ups import marks its centre for a recount after its commit, its rows read meanwhile (`rollups_pending`).
Category axes are kept as category ids, so reading in any scheme version stays possible.
Only on PostgreSQL; on SQLite the engine always reads the raw tables.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from django.db import connection, transaction

from maillage.casework.models import AXES, RollupState, StatCell
from maillage.taxonomy.models import SchemeVersion, VersionStatus
from maillage.taxonomy.reading import UNMAPPED, reading_in  # noqa: F401 - UNMAPPED: importable from here too

# Bump when the layout below changes; cells of another layout are not read (rebuild them).
VERSION = 2

REQUESTS, FOLLOWUPS, PERSONS, CASE_FILES = 1, 2, 3, 4
# Distinct follow-ups, persons, case files per category code (level 1 or 2) in the version in force
# when the cells were built (`RollupState.axis_versions`): a code counts a unit once however many of
# its requests fall under it, so these cells hold codes, not ids.
FOLLOWUPS_BY_CODE, PERSONS_BY_CODE, CASE_FILES_BY_CODE = 5, 6, 7
# Two dimensions per year for requests and follow-ups (the annual sector report); distinct follow-ups,
# persons and case files by a category code and another (not category) dimension, all time.
REQUESTS_YEAR_PAIRS, FOLLOWUPS_YEAR_PAIRS = 8, 9
FOLLOWUPS_BY_CODE_PAIRS, PERSONS_BY_CODE_PAIRS, CASE_FILES_BY_CODE_PAIRS = 10, 11, 12
# Distinct follow-ups, persons, case files by two category codes (any two, same axis or not), all time; and
# distinct persons and case files per quarter (a distinct count per quarter is not a sum of months).
FOLLOWUPS_CODE_CODE, PERSONS_CODE_CODE, CASE_FILES_CODE_CODE = 13, 14, 15
PERSONS_QUARTER, CASE_FILES_QUARTER, PERSONS_BY_CODE_QUARTER, CASE_FILES_BY_CODE_QUARTER = 16, 17, 18, 19
# Any pair per year (issue 19: any cross-tab of one year from cells, for a centre or the sector): distinct persons
# and case files by two of the 10 dimensions; distinct follow-ups, persons, case files by a code and another
# dimension, and by two codes; requests and follow-ups by the pairs kinds 8 and 9 leave out (worker, postal code).
PERSONS_YEAR_PAIRS, CASE_FILES_YEAR_PAIRS = 20, 21
FOLLOWUPS_BY_CODE_YEAR_PAIRS, PERSONS_BY_CODE_YEAR_PAIRS, CASE_FILES_BY_CODE_YEAR_PAIRS = 22, 23, 24
FOLLOWUPS_CODE_CODE_YEAR, PERSONS_CODE_CODE_YEAR, CASE_FILES_CODE_CODE_YEAR = 25, 26, 27
REQUESTS_WORKER_POSTAL_YEAR_PAIRS, FOLLOWUPS_WORKER_POSTAL_YEAR_PAIRS = 28, 29
CODE_DIMENSIONS = ("theme1", "theme2", "institution1", "institution2", "stage1", "stage2")
MONTH, QUARTER, YEAR, ALL = "month", "quarter", "year", "all"
ALL_TIME = datetime.date(1900, 1, 1)  # the period of all-time cells

AXES_SQL = {
    "theme": "coalesce(r.theme_id::text, '')",
    "institution": "coalesce(r.institution_id::text, '')",
    "stage": "coalesce(r.stage_id::text, '')",
}
FOLLOWUP_SQL = {
    "age_band": "f.age_band",
    "mode": "f.mode",
    "worker": "f.worker_id::text",
    "subsidy": "coalesce(f.subsidy_id::text, '')",
}
PERSON_SQL = {
    "sex": "p.sex",
    "postal_code": "p.postal_code",
    "commune": "coalesce(p.commune_id::text, '')",
    "household": "p.household",
    "income_source": "p.income_source",
    "nationality_group": "p.nationality_group",
}
DIMENSION_SQL = {**AXES_SQL, **FOLLOWUP_SQL, **PERSON_SQL}
PERIOD_SQL = {
    MONTH: "date_trunc('month', s.d)::date",
    QUARTER: "date_trunc('quarter', s.d)::date",
    YEAR: "date_trunc('year', s.d)::date",
    ALL: f"DATE '{ALL_TIME.isoformat()}'",
}


@dataclass(frozen=True)
class Kind:
    code: int
    source: str  # FROM ... with aliases f, p (and r)
    organisation: str
    date: str
    unit: str | None  # None: count rows; else count distinct units
    dimensions: tuple[str, ...]
    single_grains: tuple[str, ...]
    pair_grains: tuple[str, ...]
    # The measure these cells count, when a kind of its own (built and rebuilt on its own) adds cells to it.
    measure: int = 0
    # Pairs only of one of these with one of the other dimensions (every pair when empty).
    paired_with: tuple[str, ...] = ()
    # Pairs only with at least one of these (every pair when empty).
    pairs_including: tuple[str, ...] = ()

    @property
    def counts(self) -> int:
        return self.measure or self.code

    @property
    def by_code(self) -> bool:
        return any(dimension in CODE_DIMENSIONS for dimension in self.dimensions)


FOLLOWUP_SOURCE = "casework_followup f JOIN casework_person p ON p.id = f.person_id"
CODE_SOURCE = "casework_followup f LEFT JOIN casework_request r ON r.follow_up_id = f.id"
CODE_PERSON_SOURCE = FOLLOWUP_SOURCE + " LEFT JOIN casework_request r ON r.follow_up_id = f.id"
REQUEST_SOURCE = (
    "casework_request r JOIN casework_followup f ON f.id = r.follow_up_id JOIN casework_person p ON p.id = f.person_id"
)
# Year pairs: the sector's annual report (kinds 8, 9). Their pairs with the worker or the postal code (many values
# per centre) are kinds of their own (28, 29), added later: one centre's year reads cells for every pair too.
_YEAR_PAIR_EXCLUDED = ("worker", "postal_code")
# Distinct follow-ups, persons, case files (these three kind codes, in that order) at one grain.
_BY_CODE_UNITS = ((FOLLOWUPS_BY_CODE, "f.id"), (PERSONS_BY_CODE, "f.person_id"), (CASE_FILES_BY_CODE, "f.case_file_id"))


def _by_code_pairs(grain: str, *codes: int) -> list[Kind]:
    """A category code × one other (not category) dimension."""
    return [
        Kind(
            code,
            CODE_PERSON_SOURCE,
            "f.organisation_id",
            "f.date",
            unit,
            (*CODE_DIMENSIONS, *FOLLOWUP_SQL, *PERSON_SQL),
            (),
            (grain,),
            measure=measure,
            paired_with=CODE_DIMENSIONS,
        )
        for code, (measure, unit) in zip(codes, _BY_CODE_UNITS, strict=True)
    ]


def _code_code_pairs(grain: str, *codes: int) -> list[Kind]:
    """Two category codes, any two of the six."""
    return [
        Kind(code, CODE_SOURCE, "f.organisation_id", "f.date", unit, CODE_DIMENSIONS, (), (grain,), measure=measure)
        for code, (measure, unit) in zip(codes, _BY_CODE_UNITS, strict=True)
    ]


KINDS = {
    kind.code: kind
    for kind in [
        Kind(
            REQUESTS,
            REQUEST_SOURCE,
            "r.organisation_id",
            "r.date",
            None,
            tuple(DIMENSION_SQL),
            (MONTH,),
            (ALL,),
        ),
        # Follow-ups by their own and their person's codes (by a request axis they are distinct counts: raw).
        Kind(
            FOLLOWUPS,
            FOLLOWUP_SOURCE,
            "f.organisation_id",
            "f.date",
            None,
            (*FOLLOWUP_SQL, *PERSON_SQL),
            (MONTH,),
            (ALL,),
        ),
        # Distinct counts do not add up across periods: one grain per way of asking.
        Kind(
            PERSONS,
            FOLLOWUP_SOURCE,
            "f.organisation_id",
            "f.date",
            "f.person_id",
            (*FOLLOWUP_SQL, *PERSON_SQL),
            (MONTH, YEAR, ALL),
            (ALL,),
        ),
        Kind(
            CASE_FILES,
            FOLLOWUP_SOURCE,
            "f.organisation_id",
            "f.date",
            "f.case_file_id",
            (*FOLLOWUP_SQL, *PERSON_SQL),
            (MONTH, YEAR, ALL),
            (ALL,),
        ),
        Kind(FOLLOWUPS_BY_CODE, CODE_SOURCE, "f.organisation_id", "f.date", "f.id", CODE_DIMENSIONS, (MONTH,), ()),
        Kind(
            PERSONS_BY_CODE,
            CODE_SOURCE,
            "f.organisation_id",
            "f.date",
            "f.person_id",
            CODE_DIMENSIONS,
            (MONTH, YEAR, ALL),
            (),
        ),
        Kind(
            CASE_FILES_BY_CODE,
            CODE_SOURCE,
            "f.organisation_id",
            "f.date",
            "f.case_file_id",
            CODE_DIMENSIONS,
            (MONTH, YEAR, ALL),
            (),
        ),
        # Kinds added later, so that they can be built without recounting the others.
        Kind(
            REQUESTS_YEAR_PAIRS,
            REQUEST_SOURCE,
            "r.organisation_id",
            "r.date",
            None,
            tuple(d for d in DIMENSION_SQL if d not in _YEAR_PAIR_EXCLUDED),
            (),
            (YEAR,),
            measure=REQUESTS,
        ),
        Kind(
            FOLLOWUPS_YEAR_PAIRS,
            FOLLOWUP_SOURCE,
            "f.organisation_id",
            "f.date",
            None,
            tuple(d for d in (*FOLLOWUP_SQL, *PERSON_SQL) if d not in _YEAR_PAIR_EXCLUDED),
            (),
            (YEAR,),
            measure=FOLLOWUPS,
        ),
        *_by_code_pairs(ALL, FOLLOWUPS_BY_CODE_PAIRS, PERSONS_BY_CODE_PAIRS, CASE_FILES_BY_CODE_PAIRS),
        *_code_code_pairs(ALL, FOLLOWUPS_CODE_CODE, PERSONS_CODE_CODE, CASE_FILES_CODE_CODE),
        *(
            Kind(code, source, "f.organisation_id", "f.date", unit, dimensions, (QUARTER,), (), measure=measure)
            for code, measure, source, unit, dimensions in [
                (PERSONS_QUARTER, PERSONS, FOLLOWUP_SOURCE, "f.person_id", (*FOLLOWUP_SQL, *PERSON_SQL)),
                (CASE_FILES_QUARTER, CASE_FILES, FOLLOWUP_SOURCE, "f.case_file_id", (*FOLLOWUP_SQL, *PERSON_SQL)),
                (PERSONS_BY_CODE_QUARTER, PERSONS_BY_CODE, CODE_SOURCE, "f.person_id", CODE_DIMENSIONS),
                (CASE_FILES_BY_CODE_QUARTER, CASE_FILES_BY_CODE, CODE_SOURCE, "f.case_file_id", CODE_DIMENSIONS),
            ]
        ),
        # Every pair per year, worker and postal code included (the pairs of kinds 3, 4, 10–15, per year).
        *(
            Kind(
                code,
                FOLLOWUP_SOURCE,
                "f.organisation_id",
                "f.date",
                unit,
                (*FOLLOWUP_SQL, *PERSON_SQL),
                (),
                (YEAR,),
                measure=measure,
            )
            for code, measure, unit in [
                (PERSONS_YEAR_PAIRS, PERSONS, "f.person_id"),
                (CASE_FILES_YEAR_PAIRS, CASE_FILES, "f.case_file_id"),
            ]
        ),
        *_by_code_pairs(YEAR, FOLLOWUPS_BY_CODE_YEAR_PAIRS, PERSONS_BY_CODE_YEAR_PAIRS, CASE_FILES_BY_CODE_YEAR_PAIRS),
        *_code_code_pairs(YEAR, FOLLOWUPS_CODE_CODE_YEAR, PERSONS_CODE_CODE_YEAR, CASE_FILES_CODE_CODE_YEAR),
        # The year pairs kinds 8 and 9 leave out: one centre's year then never reads the rows for a pair.
        Kind(
            REQUESTS_WORKER_POSTAL_YEAR_PAIRS,
            REQUEST_SOURCE,
            "r.organisation_id",
            "r.date",
            None,
            tuple(DIMENSION_SQL),
            (),
            (YEAR,),
            measure=REQUESTS,
            pairs_including=_YEAR_PAIR_EXCLUDED,
        ),
        Kind(
            FOLLOWUPS_WORKER_POSTAL_YEAR_PAIRS,
            FOLLOWUP_SOURCE,
            "f.organisation_id",
            "f.date",
            None,
            (*FOLLOWUP_SQL, *PERSON_SQL),
            (),
            (YEAR,),
            measure=FOLLOWUPS,
            pairs_including=_YEAR_PAIR_EXCLUDED,
        ),
    ]
}
BY_CODE = {FOLLOWUPS: FOLLOWUPS_BY_CODE, PERSONS: PERSONS_BY_CODE, CASE_FILES: CASE_FILES_BY_CODE}


# Category codes in a version --------------------------------------------------------------------------


def target_version(axis: str, number: int | None) -> SchemeVersion | None:
    """The version `number` of the axis's scheme, or the latest published one."""
    versions = SchemeVersion.objects.filter(scheme__code=AXES[axis]).exclude(status=VersionStatus.DRAFT)
    if number:
        return versions.filter(number=number).first()
    return versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()


def codes_by_id(level: int, version: SchemeVersion) -> dict[int, str]:
    """Every category id of the scheme (any version) → its code at `level` in `version`, through the mappings
    (an old code split in several counts under a joined key: see `maillage.taxonomy.reading`)."""
    return reading_in(version, level).code_of


def _quoted_array(codes: dict[int, str]) -> tuple[str, int]:
    """A text[] literal indexed by id - offset, and the offset."""
    low, high = min(codes), max(codes)
    elements = []
    for pk in range(low, high + 1):
        code = codes.get(pk)
        elements.append("NULL" if code is None else '"' + code.replace("\\", "\\\\").replace('"', '\\"') + '"')
    literal = "{" + ",".join(elements) + "}"
    return "'" + literal.replace("'", "''") + "'::text[]", low - 1


def current_axis_versions(axes: Iterable[str] | None = None) -> dict[str, int]:
    versions = {axis: target_version(axis, None) for axis in (axes or AXES)}
    return {axis: version.pk for axis, version in versions.items() if version is not None}


# Everything `codes_by_id` reads, in one query: the code arrays are rebuilt only when it changes.
_TAXONOMY_FINGERPRINT = """SELECT md5(concat_ws('|',
  (SELECT string_agg(concat_ws(':', id, code, parent_id, version_id), ',' ORDER BY id) FROM taxonomy_category),
  (SELECT string_agg(concat_ws(':', id, source_id, target_id), ',' ORDER BY id) FROM taxonomy_categorymapping),
  (SELECT string_agg(concat_ws(':', id, scheme_id, number, status, previous_id), ',' ORDER BY id)
   FROM taxonomy_schemeversion)))"""
_code_sql_cache: dict[tuple[str, tuple[tuple[str, int], ...]], dict[str, str]] = {}


def code_sql_for(axis_versions: dict[str, int]) -> dict[str, str]:
    """SQL giving each request's code per axis and level in the recorded versions ('' without one).

    Kept per process while the categories, mappings and versions stay the same (reading them again took
    about 100 ms of every recorded follow-up)."""
    with connection.cursor() as cursor:
        cursor.execute(_TAXONOMY_FINGERPRINT)
        key = (cursor.fetchone()[0], tuple(sorted(axis_versions.items())))
    if key not in _code_sql_cache:
        if len(_code_sql_cache) > 16:
            _code_sql_cache.clear()
        _code_sql_cache[key] = _read_code_sql(axis_versions)
    return dict(_code_sql_cache[key])


def _read_code_sql(axis_versions: dict[str, int]) -> dict[str, str]:
    result = {}
    for axis in AXES:
        pk = axis_versions.get(axis)
        version = SchemeVersion.objects.filter(pk=pk).first() if pk is not None else None
        for level in (1, 2):
            codes = codes_by_id(level, version) if version is not None else {}
            if not codes:
                result[f"{axis}{level}"] = "''::text"
                continue
            array, offset = _quoted_array(codes)
            result[f"{axis}{level}"] = f"coalesce(({array})[r.{axis}_id - {offset}], '')"
    return result


@dataclass(frozen=True)
class CellSet:
    kind: int
    gset: int
    dimensions: tuple[str, ...]  # zero, one or two, stored in a, b in this order
    grain: str


def _sets(kind: Kind) -> list[CellSet]:
    layout: list[tuple[tuple[str, ...], str]] = []
    for grain in kind.single_grains:
        layout.append(((), grain))
        layout.extend(((dimension,), grain) for dimension in kind.dimensions)
    pairs = [
        pair
        for pair in combinations(kind.dimensions, 2)
        if not kind.paired_with or (pair[0] in kind.paired_with) != (pair[1] in kind.paired_with)
        if not kind.pairs_including or set(pair) & set(kind.pairs_including)
    ]
    for grain in kind.pair_grains:
        layout.extend((pair, grain) for pair in pairs)
    return [CellSet(kind.code, index, dims, grain) for index, (dims, grain) in enumerate(layout)]


SETS: dict[int, list[CellSet]] = {code: _sets(kind) for code, kind in KINDS.items()}
# Keyed by the measure counted (a kind's cells may be kept under a kind of its own).
_BY_KEY = {(KINDS[s.kind].counts, frozenset(s.dimensions), s.grain): s for sets in SETS.values() for s in sets}
assert len(_BY_KEY) == sum(map(len, SETS.values())), "two cell sets count the same measure, dimensions and grain"


def find(kind: int, dimensions: Iterable[str], grain: str) -> CellSet | None:
    """The cell set counting measure `kind` by exactly these dimensions at this grain, if any (its own
    `kind` says where its cells are kept)."""
    return _BY_KEY.get((kind, frozenset(dimensions), grain))


def built_state() -> RollupState | None:
    """Roll-ups are read (and kept) only on PostgreSQL once built with the current layout."""
    if connection.vendor != "postgresql":
        return None
    return RollupState.objects.filter(version=VERSION).first()


def available(kind: int | None = None, organisation_ids: Iterable[int] | None = None) -> bool:
    """Whether the cells are complete (those kept under `kind`, if given; of these centres, if given: not while
    one of them waits for the recount an import left, `rollups_pending`; of every centre if None)."""
    from maillage.casework import rollups_pending  # it reads this module's kinds

    state = built_state()
    if state is None or (kind is not None and kind not in state.kinds):
        return False
    return not rollups_pending.any_pending(organisation_ids)


def dimension_columns(kind: Kind, code_sql: dict[str, str]) -> str:
    return ", ".join(f"{DIMENSION_SQL.get(name) or code_sql[name]} AS {name}" for name in kind.dimensions)


# Sources over the same rows (a follow-up's person always exists): their kinds are counted by one statement.
_SAME_ROWS = {CODE_SOURCE: CODE_PERSON_SOURCE}


def contributions_sql(groups: list[list[Kind]], where: str, code_sql: dict[str, str]) -> str:
    """Cells contributed by the rows matching `where`: (group index, gset, organisation, period, a, b, n per
    kind of the group, padded with NULL). Groups of kinds over the same rows (`contribution_statements`): the
    rows are read once — joining the partitioned follow-ups and requests for one person costs more than
    counting its cells (~13 ms a statement) — then one unpivot per group, one distinct count per unit."""
    first = groups[0][0]
    dimensions = list(dict.fromkeys(d for group in groups for d in group[0].dimensions))
    columns = ", ".join(f"{DIMENSION_SQL.get(name) or code_sql[name]} AS {name}" for name in dimensions)
    source = _SAME_ROWS.get(first.source, first.source)
    rows = (
        f"SELECT {first.organisation} AS org, {first.date} AS d, f.id AS u_id, f.person_id AS u_person_id,"  # noqa: S608
        f" f.case_file_id AS u_case_file_id, {columns} FROM {source} WHERE {where}"
    )
    width = max(len(group) for group in groups)
    branches = []
    for index, group in enumerate(groups):
        values = ", ".join(
            f"({cells.gset}, {PERIOD_SQL[cells.grain]}, "
            + ", ".join([f"s.{d}" for d in cells.dimensions] + ["''::text"] * (2 - len(cells.dimensions)))
            + ")"
            for cells in SETS[group[0].code]
        )
        # One person's rows: a few hundred, sorting them for COUNT(DISTINCT) costs nothing.
        counts = [f"count(DISTINCT s.u_{kind.unit.removeprefix('f.')})" if kind.unit else "count(*)" for kind in group]
        counts += ["NULL::bigint"] * (width - len(group))
        branches.append(
            f"SELECT {index}, v.g, s.org, v.p, v.a, v.b, {', '.join(counts)} FROM s"  # noqa: S608
            f" CROSS JOIN LATERAL (VALUES {values}) AS v(g, p, a, b) GROUP BY v.g, s.org, v.p, v.a, v.b"
        )
    return f"WITH s AS MATERIALIZED ({rows}) {' UNION ALL '.join(branches)}"


Cell = tuple[int, int, int, datetime.date, str, str]


def _same_cells(kind: Kind) -> tuple[Any, ...]:
    """Kinds with the same key have the same cell sets over the same rows, and differ by the unit counted."""
    return (
        kind.source,
        kind.dimensions,
        kind.single_grains,
        kind.pair_grains,
        kind.paired_with,
        kind.pairs_including,
        kind.unit is None,
    )


def contribution_groups(by_code: bool, kinds: Iterable[int]) -> list[list[Kind]]:
    """The kinds counted together by one unpivot of `contributions_sql` (those differing by their unit only)."""
    groups: dict[tuple[Any, ...], list[Kind]] = {}
    for kind in (KINDS[code] for code in sorted(kinds) if code in KINDS):
        if kind.by_code and not by_code:
            continue
        key = _same_cells(kind) if kind.unit is not None else (kind.code,)
        groups.setdefault(key, []).append(kind)
    return list(groups.values())


def contribution_statements(by_code: bool, kinds: Iterable[int]) -> list[list[list[Kind]]]:
    """The groups of kinds counted by each `contributions_sql` statement: those reading the same rows."""
    statements: dict[tuple[str, str, str], list[list[Kind]]] = {}
    for group in contribution_groups(by_code, kinds):
        kind = group[0]
        statements.setdefault((_SAME_ROWS.get(kind.source, kind.source), kind.organisation, kind.date), []).append(
            group
        )
    return list(statements.values())


def _contributions(
    where: str, params: list[Any], code_sql: dict[str, str], by_code: bool, kinds: Iterable[int]
) -> dict[Cell, int]:
    """What the rows matching `where` put in each cell of these kinds, read without writing anything."""
    counts: dict[Cell, int] = {}
    with connection.cursor() as cursor:
        # A few persons' rows: no parallel workers (launching them took 20–50 ms of each read, more than the
        # counting), the caller's setting restored after (the read runs inside `persons_changing`'s transaction).
        cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
        parallel = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('max_parallel_workers_per_gather', '0', true)")
        try:
            for groups in contribution_statements(by_code, kinds):
                cursor.execute(contributions_sql(groups, where, code_sql), params)
                for index, gset, organisation, period, a, b, *amounts in cursor.fetchall():
                    for kind, n in zip(groups[index], amounts, strict=False):
                        counts[(kind.code, gset, organisation, period, a, b)] = n
        finally:
            cursor.execute("SELECT set_config('max_parallel_workers_per_gather', %s, true)", [parallel])
    return counts


def _add(changes: dict[Cell, int]) -> None:
    """Add these (positive or negative) amounts to the cells, creating the missing ones."""
    rows = [(*cell, n) for cell, n in sorted(changes.items()) if n]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            placeholders = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                "INSERT INTO casework_statcell (kind, gset, organisation_id, period, a, b, n)"  # noqa: S608
                f" VALUES {placeholders} ON CONFLICT (kind, gset, organisation_id, period, a, b)"
                " DO UPDATE SET n = casework_statcell.n + EXCLUDED.n",
                [value for row in chunk for value in row],
            )


@contextmanager
def persons_changing(person_ids: Iterable[int]) -> Iterator[None]:
    """Wrap a write that changes these persons' counted rows (their follow-ups, requests or coded data).

    Opens (or joins) a transaction; a no-op where roll-ups are not kept. Only the cells whose count
    changes are written (a new follow-up touches a few hundred, not every cell of the person).
    """
    ids = sorted({int(pk) for pk in person_ids if pk is not None})
    with transaction.atomic():
        state = built_state() if ids else None
        if state is None:
            yield
            return
        code_sql = code_sql_for(state.axis_versions)
        from maillage.casework import rollups_pending

        with connection.cursor() as cursor:
            # A person's centre never changes: read unlocked, to take the centre's lock before the persons'.
            cursor.execute("SELECT DISTINCT organisation_id FROM casework_person WHERE id = ANY(%s)", [ids])
            centres = {row[0] for row in cursor.fetchall()}
            # Not while a recount of their centre counts its rows (it would miss this change or count it twice);
            # first, as every writer (`services.lock_persons_of`): no deadlock with an import queued behind it.
            rollups_pending.lock_for_writing(centres)
            # One writer per person at a time: what is subtracted is what the addition replaces.
            cursor.execute("SELECT id FROM casework_person WHERE id = ANY(%s) ORDER BY id FOR UPDATE", [ids])
        where = "f.person_id = ANY(%s)"
        by_code = bool(state.axis_versions)
        # Only the kinds that are built: a kind being built for the first time is counted whole by its rebuild.
        before = _contributions(where, [ids], code_sql, by_code, state.kinds)
        yield
        after = _contributions(where, [ids], code_sql, by_code, state.kinds)
        changes = {cell: n - before.get(cell, 0) for cell, n in after.items()}
        changes.update({cell: -n for cell, n in before.items() if cell not in after})
        # A centre whose recount is counting: its changes kept aside, added to the cells it writes.
        _add(rollups_pending.keep_changes(changes, centres))


def cells_total() -> int:
    return StatCell.objects.count()
