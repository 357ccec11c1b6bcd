"""The comparison charts (server-side SVG, matplotlib as in stats/charts.py): the centre's share beside the
sector's for each category. A hidden sector figure has no bar: its state ("<5", "x") is written instead."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Sequence

from django.core.cache import cache
from django.utils.translation import get_language

from maillage.stats.charts import (
    ACCENT,
    SECOND,
    Chart,
    plt,  # the Agg backend is chosen there
)

CACHE_SECONDS = 24 * 3600
MAX_BARS = 15


def pair_chart(
    title: str,
    labels: Sequence[str],
    first: Sequence[float | None],
    second: Sequence[float | None],
    second_states: Sequence[str],
    first_label: str,
    second_label: str,
) -> Chart:
    labels = list(labels)[:MAX_BARS]
    first, second = list(first)[:MAX_BARS], list(second)[:MAX_BARS]
    second_states = list(second_states)[:MAX_BARS]
    key = (
        "maillage-sector-chart:"
        + hashlib.sha256(
            repr((get_language(), title, labels, first, second, second_states, first_label, second_label)).encode()
        ).hexdigest()
    )
    chart = cache.get(key)
    if chart is None:
        chart = _draw(title, list(labels), list(first), list(second), list(second_states), first_label, second_label)
        cache.set(key, chart, CACHE_SECONDS)
    return chart  # type: ignore[no-any-return]


def _text(value: float | None, state: str = "") -> str:
    return state if value is None and state else ("—" if value is None else f"{value:.1f}%")


def _draw(
    title: str,
    labels: list[str],
    first: list[float | None],
    second: list[float | None],
    second_states: list[str],
    first_label: str,
    second_label: str,
) -> Chart:
    height = max(1.8, 0.45 * len(labels) + 0.9)
    figure, axes = plt.subplots(figsize=(7, height))
    positions = list(range(len(labels)))
    axes.barh([p - 0.2 for p in positions], [v or 0.0 for v in first], height=0.4, color=ACCENT, label=first_label)
    shown = [(p, v) for p, v in zip(positions, second, strict=True) if v is not None]
    axes.barh([p + 0.2 for p, _v in shown], [v for _p, v in shown], height=0.4, color=SECOND, label=second_label)
    for position, value, state in zip(positions, second, second_states, strict=True):
        if value is None:
            axes.annotate(state or "—", (0, position + 0.2), xytext=(3, 0), textcoords="offset points", va="center")
    axes.set_yticks(positions, [label[:45] for label in labels])
    axes.invert_yaxis()
    axes.legend(loc="lower right", frameon=False)
    axes.set_title(title, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)
    items = [
        f"{label} {_text(a)} ({_text(b, s)})"
        for label, a, b, s in zip(labels, first, second, second_states, strict=True)
    ][:8]
    alt = f"{title} — {first_label} ({second_label}): " + "; ".join(items) + (" …" if len(labels) > 8 else "")
    return Chart("data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii"), alt)
