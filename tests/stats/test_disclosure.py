"""The disclosure engine on small tables worked out by hand."""

from __future__ import annotations

import pytest

from maillage.stats.disclosure import (
    SECONDARY,
    SHOWN,
    SMALL,
    TOTAL,
    Dimension,
    DisclosureRefused,
    Rule,
    audit,
    audit_figures,
    audit_published,
    period_dimension,
    protect,
    protect_figures,
)

FOOD = {("FOOD",): 11, ("HOUSING",): 3, ("INCOME",): 6, ("DEBT",): 0}


def test_the_rule_reads_its_threshold_from_the_settings(settings) -> None:
    settings.MAILLAGE_DISCLOSURE_K = 10
    assert Rule().as_dict() == {"k": 10, "protection": 10, "small_label": "<10", "secondary_label": "x"}
    assert Rule(k=5, protection=3).p == 3
    assert "±5" in Rule(k=5).describe()
    with pytest.raises(ValueError, match="k must be at least 2"):
        Rule(k=1)


def test_a_small_cell_and_its_partner_are_hidden_and_the_total_kept() -> None:
    # INCOME alone as the partner would leave it between 0 and 9 = 6 + 3: its upper side within ±5. Each side
    # must hold, so FOOD is hidden too (and the zero, DEBT, stays shown: hiding it would widen nothing).
    protected = protect(FOOD, dims=["theme"], rule=Rule(k=5), family="t")
    assert {key[0]: protected.text(key) for key in protected.cells()} == {
        "FOOD": "x",
        "HOUSING": "<5",
        "INCOME": "x",
        "DEBT": "0",
        TOTAL: "20",
    }
    assert (protected.kind("HOUSING"), protected.kind("INCOME"), protected.kind(TOTAL)) == (SMALL, SECONDARY, SHOWN)
    assert (protected.value("INCOME"), protected.share("INCOME", of=TOTAL), protected.share("DEBT", of=TOTAL)) == (
        None,
        None,
        0.0,
    )
    # The "x" cells against a reader who knows HOUSING's "<5" holds at least 1: at most 20 − 1 (still ≥ v + 5).
    # HOUSING's own interval is from the sums alone (its levels within the label are checked apart).
    assert [(i.cell, i.lower, i.upper) for i in audit(protected)] == [
        (("FOOD",), 0.0, 19.0),
        (("HOUSING",), 0.0, 20.0),
        (("INCOME",), 0.0, 19.0),
    ]


def test_the_sector_minus_my_centre_is_protected_with_what_the_reader_contributed() -> None:
    # The reader made 8 of the 11 FOOD requests: the others' 3 are a small count, hidden like one.
    protected = protect(FOOD, dims=["theme"], rule=Rule(k=5), known={("FOOD",): 8, ("INCOME",): 6})
    assert protected.hidden("FOOD")
    for interval in protected.intervals:
        assert interval.holds(Rule(k=5))
    food = next(interval for interval in protected.intervals if interval.cell == ("FOOD",))
    # The reader knows FOOD holds their own 8: the others' 3 must stay possibly none and possibly 8.
    assert (food.own, food.value, food.lower) == (8.0, 11.0, 8.0)
    assert food.upper >= 11 + 5


def test_a_line_where_every_contributor_is_in_one_category_is_hidden() -> None:
    protected = protect(
        {("a", "x"): 12, ("a", "y"): 0, ("b", "x"): 20, ("b", "y"): 9, ("c", "x"): 15, ("c", "y"): 30},
        dims=["r", "c"],
        rule=Rule(k=5),
    )
    assert protected.hidden(("a", "x"))
    assert all(i.width >= 5 for i in protected.intervals)


def test_a_small_group_all_in_one_category_hides_its_zeros_too() -> None:
    """Three persons of postal code 1070, all women: "<5" beside two zeros would tell each of them is a
    woman. The zeros are hidden ("x") and a reader who subtracts the other rows from the column totals cannot
    prove them zeros either."""
    cells = {("1000", "f"): 30, ("1000", "m"): 22, ("1000", "x"): 6, ("1030", "f"): 18, ("1030", "m"): 25,
             ("1030", "x"): 7, ("1070", "f"): 3}  # fmt: skip
    protected = protect(cells, dims=["postal", "sex"], rule=Rule(k=5))
    assert [protected.text(("1070", sex)) for sex in ("f", "m", "x", TOTAL)] == ["<5", "x", "x", "<5"]
    assert protected.guards == [(("1070", "f"), (("1070", "m"), ("1070", "x")))]
    columns = {sex: [(p, sex) for p in ("1000", "1030", "1070")] for sex in ("f", "m", "x")}
    rows = {p: [(p, sex) for sex in ("f", "m", "x")] for p in ("1000", "1030", "1070")}
    printed = [([(p, sex)], _printed(protected, (p, sex))) for p in rows for sex in columns]
    printed += [(members, _printed(protected, (TOTAL, sex))) for sex, members in columns.items()]
    printed += [(members, _printed(protected, (p, TOTAL))) for p, members in rows.items()]
    men_or_other_in_1070 = ([("1070", "m"), ("1070", "x")], None)
    *_cells, others = audit_figures([*printed, men_or_other_in_1070], rule=Rule(k=5), refuse=False)
    assert others.upper >= 1  # someone of 1070 may be a man or another sex, as far as the reader can tell
    assert audit(protected) == protected.intervals  # the engine's own audit checks the same (it raises if not)


def _printed(protected, key):  # type: ignore[no-untyped-def]
    return protected.value(key) if not protected.hidden(key) else protected.state(key)


def test_figures_given_one_by_one_hide_a_small_group_s_zeros_too() -> None:
    """The annual report's engine: a sector of three persons, all women, beside a large one."""
    base = {("cpas", "f"): 3, ("cpas", "m"): 0, ("casg", "f"): 40, ("casg", "m"): 35}
    figures = {key: [key] for key in base}
    figures |= {(s, TOTAL): [(s, "f"), (s, "m")] for s in ("cpas", "casg")}
    figures |= {(TOTAL, sex): [("cpas", sex), ("casg", sex)] for sex in ("f", "m")}
    figures[(TOTAL, TOTAL)] = list(base)
    lines = [((s, TOTAL), [(s, "f"), (s, "m")]) for s in ("cpas", "casg")]
    lines += [((TOTAL, sex), [("cpas", sex), ("casg", sex)]) for sex in ("f", "m")]
    lines += [((TOTAL, TOTAL), [(TOTAL, "f"), (TOTAL, "m")]), ((TOTAL, TOTAL), [("cpas", TOTAL), ("casg", TOTAL)])]
    protected = protect_figures(base, figures, rule=Rule(k=5), lines=lines)
    assert [protected.text(("cpas", sex)) for sex in ("f", "m", TOTAL)] == ["<5", "x", "<5"]
    assert protected.guards == [(("cpas", "f"), (("cpas", "m"),))]
    printed = {key: protected.value(key) if not protected.hidden(key) else protected.state(key) for key in figures}
    intervals = audit_published(figures, printed, rule=Rule(k=5), refuse=False)
    hidden = [key for key in figures if protected.hidden(key)]
    men_in_cpas = dict(zip(hidden, intervals, strict=True))[("cpas", "m")]
    assert men_in_cpas.upper >= 1  # the reader cannot tell that the three are all women


def test_a_small_group_along_a_dimension_that_is_no_attribute_keeps_its_zeros() -> None:
    """Sector × region: that the only respondent of Wallonia is a CPAS says nothing of its answers."""
    cells = {("casg", "brussels"): 11, ("caw", "flanders"): 12, ("cpas", "wallonia"): 1}
    dims = [Dimension("sector", attribute=False), Dimension("region", attribute=False)]
    protected = protect(cells, dims=dims, rule=Rule(k=5))
    assert protected.guards == []
    assert protected.text(("cpas", "wallonia")) == "<5"


def test_a_table_that_cannot_be_protected_is_refused() -> None:
    with pytest.raises(DisclosureRefused) as refused:
        protect(
            {("a",): 2, ("b",): 30},
            dims=[Dimension("c", total=True)],
            rule=Rule(k=5),
            fixed={(TOTAL,): SHOWN, ("b",): SHOWN},  # shown by a table this one must agree with
        )
    assert refused.value.message.startswith("Ce tableau n'est pas affiché")  # translated (French by default)
    assert [i.cell for i in refused.value.failures] == [("a",)]


def test_quarters_and_four_month_periods_cannot_be_set_against_each_other() -> None:
    cells = {(f"{m:02d}", theme): n for m in range(1, 13) for theme, n in (("FOOD", m % 2), ("HOUSING", 6))}
    protected = protect(cells, dims=[period_dimension(), "theme"], rule=Rule(k=5))
    assert protected.hidden(("q1", "FOOD"))
    # Published: every period of the grid; January–April minus the first quarter is April, never shown.
    figures = []
    months = {
        key: [f"{m:02d}" for m in range(a, b + 1)]
        for key, (a, b) in __import__("maillage.stats.disclosure", fromlist=["GRID"]).GRID.items()
    }
    for key in protected.cells():
        period = months["year" if key[0] == TOTAL else key[0]]
        themes = ["FOOD", "HOUSING"] if key[1] == TOTAL else [key[1]]
        value = protected.value(key)
        figures.append(([(m, t) for m in period for t in themes], value if value is not None else protected.state(key)))
    intervals = audit_figures(figures, rule=Rule(k=5), refuse=False)
    assert all(i.holds(Rule(k=5)) for i in intervals)
    assert set(protected.view(["theme"], {"period": "q1"})) == {("FOOD",), ("HOUSING",), (TOTAL,)}
