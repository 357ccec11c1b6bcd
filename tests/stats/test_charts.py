from __future__ import annotations

import base64
from decimal import Decimal

from maillage.stats import charts


def _svg(chart: charts.Chart) -> str:
    return base64.b64decode(chart.data_uri.split(",", 1)[1]).decode()


def test_horizontal_bars_svg_and_alt_text():
    chart = charts.horizontal_bars("Themes", ["Food", "Housing"], [Decimal("25.5"), Decimal("11.0")], "%")
    assert chart.alt == "Themes: Food 25.5%; Housing 11%"
    assert _svg(chart).startswith("<?xml")
    # Same figures, same image.
    assert charts.horizontal_bars("Themes", ["Food", "Housing"], [Decimal("25.5"), Decimal("11.0")], "%") == chart


def test_columns_and_comparison_alt_text_is_capped():
    labels = [f"{h:02d}h" for h in range(10)]
    chart = charts.columns("Calls by hour", labels, list(range(10)))
    assert chart.alt == "Calls by hour: 00h 0; 01h 1; 02h 2; 03h 3; 04h 4; 05h 5; 06h 6; 07h 7 …"
    comparison = charts.comparison_bars("Share", ["Housing"], [Decimal("11.6")], [Decimal("7.4")], "now", "before")
    assert comparison.alt == "Share — now (before): Housing 11.6% (7.4%)"
