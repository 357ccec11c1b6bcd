"""A sector table (through `disclosure_bridge`, as every sector page and the report read it) against a reader
who knows what every "<5" beside an "x" means, and their own centre's part: no "x" is narrowed within ±5."""

from __future__ import annotations

from maillage.sector.disclosure_bridge import TOTAL, Dimension, protect_family
from maillage.stats.disclosure import Rule
from tests.stats.test_disclosure_labels import reader_interval

# The line of the labels regression (2 · 4 · 5 · 6), by theme and mode, the reader's centre inside it.
CELLS = {("FOOD", "phone"): 2, ("HOUSING", "phone"): 4, ("INCOME", "phone"): 5, ("DEBT", "phone"): 6,
         ("FOOD", "desk"): 7, ("HOUSING", "desk"): 9, ("INCOME", "desk"): 3, ("DEBT", "desk"): 12}  # fmt: skip
OWN = {("INCOME", "phone"): 1, ("DEBT", "desk"): 4}
THEMES, MODES = ["DEBT", "FOOD", "HOUSING", "INCOME"], ["desk", "phone"]


def _members(key: tuple[str, ...]) -> list[tuple[str, str]]:
    themes = THEMES if key[0] == TOTAL else [key[0]]
    return [(t, m) for t in themes for m in (MODES if key[1] == TOTAL else [key[1]])]


def test_a_sector_table_keeps_every_x_out_of_reach_of_the_labels_and_the_readers_own_part() -> None:
    rule = Rule(k=5)
    family = protect_family(
        CELLS, dims=[Dimension("theme"), Dimension("mode")], known=OWN, family="test:labelled-reader"
    )
    assert not family.refused
    printed = [
        (_members(key), value if value is not None else family.state(key)) for key, value in family.values.items()
    ]
    hidden = [(members, state) for members, state in printed if state == "x"]
    assert hidden  # the small cells' partners
    assert any(state == "<5" for _members_, state in printed)
    for members, _state in hidden:
        true = sum(CELLS.get(cell, 0) for cell in members)
        own = sum(OWN.get(cell, 0) for cell in members)
        low, high = reader_interval(printed, members, rule, own=OWN)
        assert low <= max(own, true - 5) + 1e-6, (members, true, low, high)
        assert high >= true + 5 - 1e-6, (members, true, low, high)
