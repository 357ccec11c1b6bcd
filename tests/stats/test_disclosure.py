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
    period_dimension,
    protect,
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
    protected = protect(FOOD, dims=["theme"], rule=Rule(k=5), family="t")
    assert {key[0]: protected.text(key) for key in protected.cells()} == {
        "FOOD": "11",
        "HOUSING": "<5",
        "INCOME": "x",
        "DEBT": "0",
        TOTAL: "20",
    }
    assert (protected.kind("HOUSING"), protected.kind("INCOME"), protected.kind("FOOD")) == (SMALL, SECONDARY, SHOWN)
    assert (protected.value("INCOME"), protected.share("INCOME", of=TOTAL), protected.share("FOOD", of=TOTAL)) == (
        None,
        None,
        55.0,
    )
    assert [(i.cell, i.lower, i.upper) for i in audit(protected)] == [
        (("HOUSING",), 0.0, 9.0),
        (("INCOME",), 0.0, 9.0),
    ]


def test_the_sector_minus_my_centre_is_protected_with_what_the_reader_contributed() -> None:
    # The reader made 8 of the 11 FOOD requests: the others' 3 are a small count, hidden like one.
    protected = protect(FOOD, dims=["theme"], rule=Rule(k=5), known={("FOOD",): 8, ("INCOME",): 6})
    assert protected.hidden("FOOD")
    for interval in protected.intervals:
        assert interval.holds(Rule(k=5))
    assert protected.intervals[0].own == 8.0


def test_a_line_where_every_contributor_is_in_one_category_is_hidden() -> None:
    protected = protect(
        {("a", "x"): 12, ("a", "y"): 0, ("b", "x"): 20, ("b", "y"): 9, ("c", "x"): 15, ("c", "y"): 30},
        dims=["r", "c"],
        rule=Rule(k=5),
    )
    assert protected.hidden(("a", "x"))
    assert all(i.width >= 5 for i in protected.intervals)


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
