"""Checks of a generated case-work database (generate.py --check; Django set up by the caller).

The references the foreign keys would have checked (generate.py inserts with their triggers off), the
partitions holding their years only, and roll-up cells against the raw count of the same rows: every
kind's total, and a few cells of each kind that has no category code (sampled with a fixed seed).
"""

from __future__ import annotations

from django.db import connection

from maillage.casework import rollups

# (what, query counting the rows that break it)
REFERENCES = [
    ("follow-up without its person", "SELECT count(*) FROM casework_followup f LEFT JOIN casework_person p ON p.id = f.person_id WHERE p.id IS NULL"),
    ("follow-up without its case file", "SELECT count(*) FROM casework_followup f LEFT JOIN casework_casefile c ON c.id = f.case_file_id WHERE c.id IS NULL"),
    ("follow-up of another centre than its person", "SELECT count(*) FROM casework_followup f JOIN casework_person p ON p.id = f.person_id WHERE p.organisation_id <> f.organisation_id"),
    ("worker not a member of the centre", "SELECT count(*) FROM casework_followup f WHERE NOT EXISTS (SELECT 1 FROM core_membership m WHERE m.user_id = f.worker_id AND m.organisation_id = f.organisation_id)"),
    ("request without its follow-up (id, date)", "SELECT count(*) FROM casework_request r LEFT JOIN casework_followup f ON f.id = r.follow_up_id AND f.date = r.date WHERE f.id IS NULL"),
    ("request of another centre", "SELECT count(*) FROM casework_request r JOIN casework_followup f ON f.id = r.follow_up_id WHERE f.organisation_id <> r.organisation_id"),
    ("category not in its scheme", "SELECT count(*) FROM casework_request r LEFT JOIN taxonomy_category c ON c.id = r.theme_id WHERE c.id IS NULL"),
    ("person without a commune", "SELECT count(*) FROM casework_person WHERE commune_id IS NULL OR postal_code = ''"),
    ("session without participants", "SELECT count(*) FROM casework_activitysession s WHERE NOT EXISTS (SELECT 1 FROM casework_participation p WHERE p.session_id = s.id)"),
    # Every value of a dimension appears (a random() evaluated once per statement would fill only one).
    ("participant sexes missing", "SELECT 4 - count(DISTINCT sex) FROM casework_participation"),
    ("participant age bands missing", "SELECT 8 - count(DISTINCT age_band) FROM casework_participation"),
    ("activities without a second theme (none has two)", "SELECT (count(*) = count(DISTINCT activity_id))::int FROM casework_activity_themes"),
    ("communes missing", "SELECT count(*) FROM core_commune c WHERE NOT EXISTS (SELECT 1 FROM casework_person p WHERE p.commune_id = c.id)"),
    ("modes missing", "SELECT 6 - count(DISTINCT mode) FROM casework_followup"),
    ("activity worker of another centre", "SELECT count(*) FROM casework_activity_workers w JOIN casework_activity a ON a.id = w.activity_id WHERE NOT EXISTS (SELECT 1 FROM core_membership m WHERE m.user_id = w.user_id AND m.organisation_id = a.organisation_id)"),
]  # fmt: skip


def _raw(cursor, kind: rollups.Kind, cells: rollups.CellSet, org: int, period, a: str, b: str) -> int:  # type: ignore[no-untyped-def]
    where = [f"{kind.organisation} = %s"]
    params: list[object] = [org]
    if cells.grain != rollups.ALL:
        where.append(f"date_trunc('{cells.grain}', {kind.date})::date = %s")
        params.append(period)
    for dimension, value in zip(cells.dimensions, (a, b), strict=False):
        where.append(f"{rollups.DIMENSION_SQL[dimension]} = %s")
        params.append(value)
    measure = f"count(DISTINCT {kind.unit})" if kind.unit else "count(*)"
    cursor.execute(f"SELECT {measure} FROM {kind.source} WHERE {' AND '.join(where)}", params)
    return int(cursor.fetchone()[0])


def check() -> None:
    failures = []
    with connection.cursor() as cursor:
        for what, query in REFERENCES:
            cursor.execute(query)
            broken = cursor.fetchone()[0]
            print(f"  {what}: {broken}")
            if broken:
                failures.append(what)
        cursor.execute("SELECT count(*) FROM casework_followup_y2025")  # a year's rows in their own partition
        print(f"  follow-ups in the 2025 partition: {cursor.fetchone()[0]}")
        if rollups.available():
            totals = {
                rollups.REQUESTS: "SELECT count(*) FROM casework_request",
                rollups.FOLLOWUPS: "SELECT count(*) FROM casework_followup",
            }
            for kind_code, query in totals.items():
                cursor.execute(query)
                raw = cursor.fetchone()[0]
                cursor.execute("SELECT sum(n) FROM casework_statcell WHERE kind = %s AND gset = 0", [kind_code])
                cells = cursor.fetchone()[0]
                print(f"  kind {kind_code} total: cells {cells}, rows {raw}")
                if cells != raw:
                    failures.append(f"kind {kind_code} total")
            cursor.execute("SELECT setseed(0.19)")
            for kind in rollups.KINDS.values():
                if kind.by_code:
                    continue
                for cells in rollups.SETS[kind.code][:: max(1, len(rollups.SETS[kind.code]) // 6)]:
                    cursor.execute(
                        "SELECT organisation_id, period, a, b, n FROM casework_statcell WHERE kind = %s AND gset = %s"
                        " ORDER BY random() LIMIT 1",
                        [kind.code, cells.gset],
                    )
                    row = cursor.fetchone()
                    if row is None:
                        failures.append(f"no cell for kind {kind.code} {cells}")
                        continue
                    raw = _raw(cursor, kind, cells, *row[:4])
                    label = f"kind {kind.code} {cells.grain} {'×'.join(cells.dimensions) or '-'} {row[:4]}"
                    print(f"  {label}: cell {row[4]}, rows {raw}")
                    if raw != row[4]:
                        failures.append(label)
    if failures:
        raise SystemExit("check failed: " + "; ".join(failures))
    print("check passed", flush=True)
