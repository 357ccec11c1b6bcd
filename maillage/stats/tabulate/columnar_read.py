"""Counting a cross-tab on the columnar copy of the rows (`maillage.casework.columnar`) when the roll-up cells do
not answer: the same rows, dimensions, filters and measures as the PostgreSQL GROUP BY of `query.grouped`
(tests/stats/test_crosstab_columnar.py compares them), counted by DuckDB. None when there is no copy to read."""

from __future__ import annotations

# Only the specs' SQL and integer ids are spliced into the SQL; the filter values and codes are parameters.
# ruff: noqa: S608
import datetime
import threading
from itertools import combinations
from typing import Any

from maillage.casework import columnar
from maillage.stats.tabulate.dimensions import CHOICES, DimensionSpec, dimension
from maillage.stats.tabulate.params import FOLLOWUPS, REQUESTS, Params, Scope, axis_of
from maillage.stats.versions import UNMAPPED

# A dimension's column in the copy: on the follow-up (with its person's codes) or, for the axes, on the request.
_FOLLOWUP_FIELDS = {
    "age_band": "age_band",
    "mode": "mode",
    "worker": "worker",
    "subsidy": "subsidy",
    "sex": "sex",
    "postal_code": "postal_code",
    "commune": "commune",
    "household": "household",
    "income_source": "income_source",
    "nationality_group": "nationality_group",
}
_INTEGERS = {"worker", "subsidy", "commune", "centre"}
# The dimensions a unit has one value of in the rows it is counted on: a person's (and so a case file's) own codes;
# everything but the category axes for a follow-up (its date, centre, worker… and its person's codes).
_PERSON_CODES = {"sex", "postal_code", "commune", "household", "income_source", "nationality_group"}
_ONE_VALUE_PER_UNIT = {
    "persons": _PERSON_CODES,
    "case_files": _PERSON_CODES,
    "followups": {*_FOLLOWUP_FIELDS, "month", "quarter", "year", "centre"},
}
UNITS = {"persons": "f.person_id", "case_files": "f.case_file_id", "followups": "f.id"}


class UnanswerableError(Exception):
    """A question this reader leaves to PostgreSQL (its own error message, e.g. a value of the wrong type)."""


class _Sql:
    def __init__(self, base: str) -> None:
        self.base = base
        self.dated = "r" if base == REQUESTS else "f"  # whose date the period and the time dimensions read
        self.args: list[Any] = []
        self.axes = "r"  # whose columns the category axes are: the request's, or the pre-joined row's (`coded`)

    def expression(self, spec: DimensionSpec, *, raw: bool, ordinal: bool = False) -> str:
        """`raw`: a category axis by its id; `ordinal`: by its code's number in `_code_list` (integers hash
        faster than strings in the distinct counts); else by its code."""
        key = spec.key
        if key == "month":
            return f"CAST(date_trunc('month', {self.dated}.date) AS DATE)"
        if key == "quarter":
            return f"CAST(date_trunc('quarter', {self.dated}.date) AS DATE)"
        if key == "year":
            return f"year({self.dated}.date)"
        if key == "centre":
            return f"{self.dated if self.base == REQUESTS else 'f'}.org"
        axis = axis_of(key)
        if axis is not None:
            column = f"{self.axes}.{axis}"
            if raw or not spec.codes:
                return column if raw else "CAST(NULL AS VARCHAR)"
            low, high = min(spec.codes), max(spec.codes)
            # the code of the category id in the chosen version (NULL for an id outside it, as PostgreSQL's array)
            if ordinal:
                number = {code: index + 1 for index, code in enumerate(_code_list(spec))}
                self.args.append([number.get(spec.codes.get(pk)) for pk in range(low, high + 1)])  # type: ignore[arg-type]
                return f"CASE WHEN {column} BETWEEN {low} AND {high} THEN (?::INTEGER[])[{column} - {low - 1}] END"
            self.args.append([spec.codes.get(pk) for pk in range(low, high + 1)])
            return f"CASE WHEN {column} BETWEEN {low} AND {high} THEN (?::VARCHAR[])[{column} - {low - 1}] END"
        return f"f.{_FOLLOWUP_FIELDS[key]}"

    def condition(self, spec: DimensionSpec, values: list[str]) -> str:
        at = len(self.args)  # the values' placeholder comes before the expression's own
        expression = self.expression(spec, raw=False)
        if spec.key in _INTEGERS:
            try:
                self.args.insert(at, [int(v) for v in values])
            except ValueError:
                raise UnanswerableError from None
            return f"list_contains(?::BIGINT[], {expression})"
        self.args.insert(at, [str(v) for v in values])
        return f"list_contains(?::VARCHAR[], {expression})"


def centres_sql(scope: Scope) -> str:
    """The scope's centres as an SQL list of integers."""
    return ", ".join(str(int(pk)) for pk in scope.organisation_ids) or "NULL"


def assembled(
    base: str,
    specs: list[DimensionSpec],
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    filters: list[tuple[DimensionSpec, list[str]]],
    uses_requests: bool,
    additive: bool,
    coded: bool,
    every_centre: bool = False,
) -> tuple[_Sql, list[str], str] | None:
    """The SQL's parts: its parameters, the selected dimensions, FROM … WHERE …; None for a question left to
    PostgreSQL. `coded`: follow-ups read by a category from their pre-joined rows (module `columnar`);
    `every_centre`: the scope holds every centre of the follow-ups read, which need no filter on it."""
    sql = _Sql(base)
    centres = centres_sql(scope)
    try:
        if base == FOLLOWUPS and uses_requests and coded:
            sql.axes = "f"
        selected = [
            sql.expression(spec, raw=additive and spec.codes is not None, ordinal=not additive) + f" AS d{index}"
            for index, spec in enumerate(specs)
        ]
        # the whole sector: no filter (the sector's 7-year DISTINCT at 5M, 477 → 418 ms)
        every = every_centre and base == FOLLOWUPS
        where = ["true" if every else f"{'r' if base == REQUESTS else 'f'}.org IN ({centres})"]
        if scope.subsidy_id is not None:
            where.append(f"f.subsidy = {int(scope.subsidy_id)}")
        for column in {"f", sql.dated}:
            if date_from is not None:
                where.append(f"{column}.date >= DATE '{date_from.isoformat()}'")
            if date_to is not None:
                where.append(f"{column}.date <= DATE '{date_to.isoformat()}'")
        if base == REQUESTS:
            source = "requests r JOIN followups f ON f.id = r.follow_up_id"
        elif uses_requests and coded:
            # Each follow-up with each of its requests (or alone): a request's date and centre are its follow-up's,
            # so the period's and centres' bounds on the requests below are the follow-up's own.
            source = "coded f"
        elif uses_requests:
            # As the engine's FilteredRelation: over a period, only the requests of that period and those centres.
            on = ["r.follow_up_id = f.id"]
            if date_from is not None or date_to is not None:
                on += [w.replace("f.", "r.", 1) for w in where if w.startswith("f.date")]
                on.append(f"r.org IN ({centres})")
            source = f"followups f LEFT JOIN requests r ON {' AND '.join(on)}"
        else:
            source = "followups f"
        where += [sql.condition(spec, [str(v) for v in values]) for spec, values in filters]
    except UnanswerableError:
        return None
    return sql, selected, f"FROM {source} WHERE {' AND '.join(where)}"


def from_columnar(
    measure: str,
    base: str,
    specs: list[DimensionSpec],
    params: Params,
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
    *,
    margin: bool = False,
) -> list[dict[str, Any]] | None:
    """The grouped rows (`d0`… and `value`, as `query.grouped`) counted on the columnar copy, or None.
    `margin`: a total of the table just counted (its distinct counts' margins are counted with its cells)."""
    if base not in {FOLLOWUPS, REQUESTS} or measure not in {*UNITS, "requests"} or not columnar.kept():
        return None
    filters, uses_requests, additive = question_parts(measure, base, specs, params)
    asked = asked_key(specs)
    context = question_key(measure, base, filters, scope, date_from, date_to)
    if margin:  # a distinct count's margin, counted with its cells just before (the same rows): read once
        waiting = margins_memo().pop((context, asked), None)
        if waiting is not None:
            return waiting
    from maillage.stats.tabulate import spans_read  # it reads this module's SQL parts

    with columnar.reading() as reading:
        if reading is None:
            return None
        memo = margins_memo()
        every = reading.centres <= set(scope.organisation_ids)
        parts_of = assembled(
            base, specs, scope, date_from, date_to, filters, uses_requests, additive, reading.coded, every
        )
        if parts_of is None:
            return None
        sql, selected, body = parts_of
        parts_args = (base, scope, date_from, date_to, filters, reading.coded)
        if additive:
            groups = ", ".join(str(i + 1) for i in range(len(selected)))
            query = f"SELECT {', '.join([*selected, 'count(*)'])} {body}" + (f" GROUP BY {groups}" if selected else "")
            return merged(reading.db.execute(query, sql.args).fetchall(), specs, additive)
        # Distinct units per group: the groups with their units once (the join and the period's rows read once),
        # then counted for the asked dimensions and for every part of them — the margins the table asks next.
        unit = UNITS[measure]
        inner = f"SELECT DISTINCT {', '.join([*selected, f'{unit} AS unit'])} {body}"
        outer = [f"d{i}" for i in range(len(selected))]
        parts = [subset for size in range(len(outer), -1, -1) for subset in combinations(range(len(outer)), size)]

        def answered_apart(subset: tuple[int, ...]) -> bool:
            """A total counted without hashing the period's (groups, unit) pairs, when the table asks it: from the
            spans, or distinct follow-ups by no category (a count of rows)."""
            part = [specs[i] for i in subset]
            if measure == "followups" and not filters and not any(axis_of(spec.key) for spec in part):
                return True
            return spans_read.answers(reading, measure, part, params, scope, date_from, date_to)

        if all(answered_apart(subset) for subset in parts[1:]):  # only the cells: counted straight, nothing kept
            return merged(_distinct_cells(reading.db, specs, sql.args, selected, body, unit), specs, additive)
        reading.db.execute(f"CREATE OR REPLACE TEMPORARY TABLE units AS {inner}", sql.args)
        fetched: dict[tuple[int, ...], list[Any]] = {}
        unjoined = uses_requests and not any(axis_of(spec.key) for spec, _values in filters)
        one_value = _ONE_VALUE_PER_UNIT[measure]
        for subset in parts:
            columns = [outer[i] for i in subset]
            if len(subset) < len(outer) and answered_apart(subset):
                continue
            # A part one dimension short of a part counted, that dimension one value per unit: the sum of its counts.
            wider = next(
                (
                    counted
                    for counted in fetched
                    if len(counted) == len(subset) + 1
                    and set(subset) < set(counted)
                    and specs[next(iter(set(counted) - set(subset)))].key in one_value
                ),
                None,
            )
            if wider is not None:
                fetched[subset] = _summed(fetched[wider], [wider.index(i) for i in subset])
                continue
            if unjoined and len(subset) < len(outer) and not any(axis_of(specs[i].key) for i in subset):
                # A margin by no category of a table by a category: the same follow-ups (and persons, case files)
                # without joining their requests (every follow-up has its row in the join); distinct follow-ups
                # counted rather than hashed (sector, 2.5 years: ~0.6 s → see bench/casework/RESULTS.md).
                fetched[subset] = _unjoined_count(reading.db, measure, [specs[i] for i in subset], parts_args)
                continue
            # hashed twice rather than count(DISTINCT …) per group, several times faster in DuckDB too
            units = (
                "units"
                if len(subset) == len(outer)
                else f"(SELECT DISTINCT {', '.join([*columns, 'unit'])} FROM units)"
            )
            fetched[subset] = reading.db.execute(
                f"SELECT {', '.join([*columns, 'count(*)'])} FROM {units} u"
                + (f" GROUP BY {', '.join(columns)}" if columns else "")
            ).fetchall()
        reading.db.execute("DROP TABLE units")
        answers = {
            tuple(asked[i] for i in subset): merged(rows, [specs[i] for i in subset], additive)
            for subset, rows in fetched.items()
        }
        # The margins wait for the table's next reads (the same question again is counted again).
        memo.update({(context, part): rows for part, rows in answers.items() if part != asked})
        return answers[asked]


def _distinct_cells(
    db: Any, specs: list[DimensionSpec], args: list[Any], selected: list[str], body: str, unit: str
) -> list[Any]:
    """Distinct units per cell: (cell, unit) packed into one integer when every dimension numbers its values below
    2**16 (`numbered_dimensions`), else hashed as they are. Persons by theme2 × subsidy over 7 years at 5M: 489 → 336 ms."""
    counted = ", ".join([*(f"d{i}" for i in range(len(selected))), "count(*)"])
    numbered = numbered_dimensions(db, specs, args, selected, unit) if 1 <= len(specs) <= 2 else None
    if numbered is not None:
        expressions, numbered_args, decoders = numbered
        key, parts = packed(unit, expressions)
        fetched = db.execute(
            f"SELECT {parts}, count(*) FROM (SELECT DISTINCT {key} AS k {body}) u GROUP BY ALL", numbered_args
        ).fetchall()
        try:
            return decoded(fetched, decoders)
        except UnanswerableError:
            pass  # a text outside its choices (an old import's): counted as text
    inner = f"SELECT DISTINCT {', '.join([*selected, f'{unit} AS unit'])} {body}"
    return db.execute(f"SELECT {counted} FROM ({inner}) u GROUP BY ALL", args).fetchall()  # type: ignore[no-any-return]


_NUMBERED_LIMIT = 65535  # a dimension's numbers, 1..65534 for its values and 0 for none, fit in 16 bits


def packed(unit: str, expressions: list[str]) -> tuple[str, str]:
    """A (cell, unit) as one integer — the unit in the high 32 bits, each numbered dimension in 16 below — and the
    columns `d0`… read back from it (`k`)."""
    shifts = [16 * (len(expressions) - 1 - index) for index in range(len(expressions))]
    key = " | ".join(
        [f"({unit}::UBIGINT << 32)", *(f"(({e})::UBIGINT << {s})" for e, s in zip(expressions, shifts, strict=True))]
    )
    return key, ", ".join(f"(k >> {s}) & 65535 AS d{i}" for i, s in enumerate(shifts))


def decoded(fetched: list[Any], decoders: list[Any]) -> list[Any]:
    """Rows of numbered dimensions (and a count) read back as `merged` reads them (UnanswerableError: a text
    outside its choices)."""
    return [(*(decode(v) for decode, v in zip(decoders, row[:-1], strict=True)), row[-1]) for row in fetched]


def numbered_dimensions(
    db: Any, specs: list[DimensionSpec], args: list[Any], selected: list[str], unit: str
) -> tuple[list[str], list[Any], list[Any]] | None:
    """Each dimension as a number below 2**16 (a code's number in `_code_list`, a choice's in its choices, an id less
    the lowest), the SQL's parameters for them and how to read each number back; None when one does not fit."""
    integers = [spec for spec in specs if spec.key in _INTEGERS]
    columns = [f"max({unit})", *(f"min({_column(s)}), max({_column(s)})" for s in integers)]
    bounds = list(db.execute(f"SELECT {', '.join(columns)} FROM followups f").fetchone())
    if (bounds[0] or 0) >= 2**32:
        return None
    lows = {spec.key: (bounds[1 + 2 * i], bounds[2 + 2 * i]) for i, spec in enumerate(integers)}
    expressions: list[str] = []
    numbered_args: list[Any] = []
    decoders: list[Any] = []
    consumed = 0
    for spec, expression in zip(specs, selected, strict=True):
        column = expression.rsplit(" AS ", 1)[0]
        own = column.count("?")
        if axis_of(spec.key) and spec.codes is not None:  # already its code's number (`ordinal`)
            if len(_code_list(spec)) >= _NUMBERED_LIMIT:
                return None
            expressions.append(f"coalesce({column}, 0)")
            decoders.append(lambda v: v or None)
        elif spec.key in CHOICES:
            values = [str(value) for value in CHOICES[spec.key].values]
            numbered_args.append(values)
            expressions.append(
                f"CASE WHEN {column} IS NULL THEN 0 ELSE coalesce(list_position(?::VARCHAR[], {column}),"
                f" {_NUMBERED_LIMIT}) END"
            )
            decoders.append(lambda v, values=values: _choice(values, v))
        elif spec.key in lows:
            low, high = lows[spec.key]
            if low is not None and high - low + 1 >= _NUMBERED_LIMIT:
                return None
            start = (low or 0) - 1
            expressions.append(f"coalesce({column} - {start}, 0)")
            decoders.append(lambda v, start=start: v + start if v else None)
        else:  # a postal code, a period: hashed as they are
            return None
        numbered_args.extend(args[consumed : consumed + own])
        consumed += own
    return expressions, [*numbered_args, *args[consumed:]], decoders


def _column(spec: DimensionSpec) -> str:
    return "org" if spec.key == "centre" else _FOLLOWUP_FIELDS[spec.key]


def _choice(values: list[str], number: int) -> str | None:
    if number == _NUMBERED_LIMIT:
        raise UnanswerableError
    return values[number - 1] if number else None


def _summed(rows: list[Any], kept: list[int]) -> list[Any]:
    """Counts (the last column) summed over the columns not `kept`."""
    sums: dict[tuple[Any, ...], int] = {}
    for row in rows:
        key = tuple(row[i] for i in kept)
        sums[key] = sums.get(key, 0) + row[-1]
    return [(*key, n) for key, n in sums.items()]


def question_parts(
    measure: str, base: str, specs: list[DimensionSpec], params: Params
) -> tuple[list[tuple[DimensionSpec, list[str]]], bool, bool]:
    """The filters (spec, values); whether follow-ups are read with their requests (a category is asked or
    filtered); whether the measure adds up (a count of rows, not of distinct units)."""
    filters = [(dimension(key, base, params.versions), values) for key, values in params.filters.items() if values]
    uses_requests = base == FOLLOWUPS and any(axis_of(spec.key) for spec in [*specs, *(s for s, _v in filters)])
    return filters, uses_requests, measure == "requests" or (measure == "followups" and not uses_requests)


def _unjoined_count(db: Any, measure: str, specs: list[DimensionSpec], parts_args: tuple[Any, ...]) -> list[Any]:
    base, scope, date_from, date_to, filters, coded = parts_args
    plain = measure == "followups"  # one row per follow-up: its distinct count is a count
    parts_of = assembled(base, specs, scope, date_from, date_to, filters, False, plain, coded)
    assert parts_of is not None  # the same parts were assembled for the table itself
    sql, selected, body = parts_of
    columns = [f"d{i}" for i in range(len(selected))]
    grouped = f" GROUP BY {', '.join(columns)}" if columns else ""
    if plain:
        query = f"SELECT {', '.join([*selected, 'count(*)'])} {body}" + (
            f" GROUP BY {', '.join(str(i + 1) for i in range(len(selected)))}" if selected else ""
        )
    else:
        inner = f"SELECT DISTINCT {', '.join([*selected, f'{UNITS[measure]} AS unit'])} {body}"
        query = f"SELECT {', '.join([*columns, 'count(*)'])} FROM ({inner}) u{grouped}"
    return db.execute(query, sql.args).fetchall()  # type: ignore[no-any-return]


def _code_list(spec: DimensionSpec) -> list[str]:
    """An axis's codes in a fixed order: code number n is the n-th."""
    return sorted({code for code in (spec.codes or {}).values() if code is not None})


def asked_key(specs: list[DimensionSpec]) -> tuple[Any, ...]:
    """The asked dimensions, as a key of the margins kept for them."""
    return tuple((spec.key, codes_key(spec)) for spec in specs)


def question_key(
    measure: str,
    base: str,
    filters: list[tuple[DimensionSpec, list[str]]],
    scope: Scope,
    date_from: datetime.date | None,
    date_to: datetime.date | None,
) -> tuple[Any, ...]:
    """What a table and its margins share: the margins kept for it are read for this question only."""
    return (
        measure,
        base,
        tuple(sorted((spec.key, codes_key(spec), tuple(values)) for spec, values in filters)),
        tuple(scope.organisation_ids),
        scope.subsidy_id,
        date_from,
        date_to,
    )


def codes_key(spec: DimensionSpec) -> int:
    return hash(frozenset(spec.codes.items())) if spec.codes is not None else 0


_memos = threading.local()


def forget_margins() -> None:
    """A new table is asked: margins kept for an earlier one are not its own (they may be older than a write)."""
    margins_memo().clear()


def margins_memo() -> dict[Any, list[dict[str, Any]]]:
    """This thread's margins of the last distinct count, waiting for the table's next reads."""
    if not hasattr(_memos, "margins"):
        _memos.margins = {}
    return _memos.margins  # type: ignore[no-any-return]


def merged(fetched: list[Any], specs: list[DimensionSpec], additive: bool) -> list[dict[str, Any]]:
    merged: dict[tuple[str, ...], int] = {}
    for row in fetched:
        parts = []
        for index, spec in enumerate(specs):
            value = row[index]
            if spec.codes is not None and value is not None:
                value = spec.codes.get(value, UNMAPPED) if additive else _code_list(spec)[value - 1]
            parts.append("" if value is None else str(value))
        merged[tuple(parts)] = merged.get(tuple(parts), 0) + int(row[-1] or 0)
    return [
        {**{f"d{index}": part for index, part in enumerate(cell)}, "value": value} for cell, value in merged.items()
    ]
