"""The case-work half of the national bench: sector cross-tabs over the ten years, through
`maillage.stats.crosstab.build` as the sector pages call it, next to the same counting in raw SQL on the
partitioned journals, on their plain copies and on DuckDB (the SQL of bench/casework/run.py, written so that
PostgreSQL and DuckDB both read it).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from national_child import SCHEMA, load, note, run_sql, same_rows, timed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "casework"))
from duckdb_copy import copy_to_duckdb

TABLES = ["casework_followup", "casework_request"]
TARGET = "< 500 ms"
BENCH_CENTRE = r"^Bench [0-9]{2,}$"  # the centres bench/casework/generate.py makes

TOP = "coalesce(tp.code, tc.code)"  # a theme's level-1 code
THEME = "JOIN taxonomy_category tc ON tc.id = r.theme_id LEFT JOIN taxonomy_category tp ON tp.id = tc.parent_id"
# A request's date is its follow-up's (the composite key): the join says so, as the engine's does.
R_F = "casework_request r JOIN casework_followup f ON f.id = r.follow_up_id AND f.date = r.date"
F_P = "JOIN casework_person pe ON pe.id = f.person_id"
YEAR = "extract(year FROM {}::date)"  # a number in both engines

# (label, measure, dimensions, the table whose rows the raw query reads, SQL with {ids} for the centres)
SCENARIOS = [
    (
        "requests, theme level 1 × year",
        "requests",
        ["theme1", "year"],
        "casework_request",
        (
            f"SELECT {TOP}, {YEAR.format('r.date')}, count(*) FROM casework_request r {THEME}"
            " WHERE r.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
    ),
    (
        "persons, theme level 1 × sex",
        "persons",
        ["theme1", "sex"],
        "casework_request",
        (
            f"SELECT {TOP}, pe.sex, count(DISTINCT f.person_id) FROM {R_F} {F_P} {THEME}"
            " WHERE f.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
    ),
    (
        "follow-ups, age band × mode",
        "followups",
        ["age_band", "mode"],
        "casework_followup",
        "SELECT f.age_band, f.mode, count(*) FROM casework_followup f WHERE f.organisation_id IN ({ids}) GROUP BY 1, 2",
    ),
    (
        "follow-ups, theme level 1 × year",
        "followups",
        ["theme1", "year"],
        "casework_request",
        (
            f"SELECT {TOP}, {YEAR.format('f.date')}, count(DISTINCT f.id) FROM {R_F} {THEME}"
            " WHERE f.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
    ),
    (
        "persons, sex × year",
        "persons",
        ["sex", "year"],
        "casework_followup",
        (
            f"SELECT pe.sex, {YEAR.format('f.date')}, count(DISTINCT f.person_id) FROM casework_followup f {F_P}"
            " WHERE f.organisation_id IN ({ids}) GROUP BY 1, 2"
        ),
    ),
]


def _reads_rollups(params, scope) -> bool:  # type: ignore[no-untyped-def]
    """Whether the engine answers from the roll-up cells (bench/casework/run.py's test)."""
    from maillage.stats import crosstab

    base = crosstab.MEASURES[params.measure].base
    specs = [crosstab._dimension(key, base, params.versions) for key in params.dimensions]
    rows = crosstab._from_rollup(params.measure, base, specs, params, scope, params.date_from, params.date_to)
    return rows is not None


def measurements(repeat: int) -> list[dict]:
    from django.db import connection

    from maillage.core.models import Organisation
    from maillage.stats.crosstab import Params, Scope, build

    centres = list(
        Organisation.objects.filter(short_name__regex=BENCH_CENTRE).order_by("pk").values_list("pk", flat=True)
    )
    assert centres, "no bench centres: a database filled by bench/casework/generate.py"
    scope = Scope(centres)
    ids = ", ".join(str(pk) for pk in centres)
    counts = {}
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table} WHERE organisation_id IN ({ids})")
            counts[table] = cursor.fetchone()[0]
    started = time.perf_counter()
    duck = copy_to_duckdb(
        connection,
        {
            "casework_followup": "id, organisation_id, person_id, date, mode, age_band",
            "casework_request": "follow_up_id, organisation_id, date, theme_id",
            "casework_person": "id, sex",
            "taxonomy_category": "id, code, parent_id",
        },
    )
    notes = [
        (
            f"case work: {len(centres)} centres, {counts['casework_followup']:,} follow-ups,"
            f" {counts['casework_request']:,} requests; the whole sector, every year; DuckDB load"
            f" {time.perf_counter() - started:.1f} s (untimed below)"
        )
    ]
    note(notes[0])
    results = []
    for label, measure, dimensions, table, sql in SCENARIOS:
        params = Params(measure, dimensions)
        query = sql.format(ids=ids)
        at_start = load()
        product, _table = timed(lambda p=params: build(p, scope), repeat)
        partitioned, on_parts = timed(run_sql(query), repeat)
        plain, on_plain = timed(run_sql(query, schema=SCHEMA), repeat)
        in_duck, on_duck = timed(lambda q=query: duck.execute(q).fetchall(), repeat)
        assert same_rows(on_parts, on_plain, on_duck), f"{label}: PostgreSQL and DuckDB disagree"
        source = "roll-ups" if _reads_rollups(params, scope) else "raw rows"
        results.append(
            {
                "label": f"cross-tab {label}, sector, 10 years (engine read {source})",
                "rows": counts[table],
                "product": product,
                "partitioned": partitioned,
                "plain": plain,
                "duckdb": in_duck,
                "target": TARGET,
                "load": at_start,
            }
        )
    results[0]["notes"] = notes
    return results
