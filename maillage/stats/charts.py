"""Server-side SVG charts (matplotlib, Agg), embedded as data-URI images with alt text.

Every chart is shown next to the table of its figures; the alt text says what it shows.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import matplotlib
from django.core.cache import cache
from django.utils.translation import get_language

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

matplotlib.rcParams["svg.hashsalt"] = "maillage"  # same figures, same file
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller, faster, readable by assistive tools
matplotlib.rcParams["font.size"] = 9
CACHE_SECONDS = 24 * 3600

ACCENT = "#0b5e7a"
SECOND = "#b6c8d1"
MAX_ALT_ITEMS = 8


@dataclass(frozen=True)
class Chart:
    data_uri: str
    alt: str


def _to_chart(figure: Figure, alt: str) -> Chart:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)
    encoded = base64.b64encode(out.getvalue()).decode("ascii")
    return Chart(f"data:image/svg+xml;base64,{encoded}", alt)


def _cached(kind: str, draw: Callable[[], Chart], *parts: object) -> Chart:
    """Drawing is the slow part: the same figures give the same image, so it is kept by its figures."""
    key = "maillage-chart:" + hashlib.sha256(repr((kind, get_language(), parts)).encode()).hexdigest()
    chart = cache.get(key)
    if chart is None:
        chart = draw()
        cache.set(key, chart, CACHE_SECONDS)
    return chart


def _number(value: float | int | Decimal) -> str:
    return f"{value:.1f}" if isinstance(value, float | Decimal) and value != int(value) else f"{int(value)}"


def _alt(title: str, labels: Sequence[str], values: Sequence[float | int | Decimal], unit: str) -> str:
    items = [f"{label} {_number(value)}{unit}" for label, value in zip(labels, values, strict=False)][:MAX_ALT_ITEMS]
    more = " …" if len(labels) > MAX_ALT_ITEMS else ""
    return f"{title}: " + "; ".join(items) + more


def horizontal_bars(
    title: str, labels: Sequence[str], values: Sequence[float | int | Decimal], unit: str = ""
) -> Chart:
    """Shares or counts by category, largest at the top."""
    height = max(1.6, 0.32 * len(labels) + 0.8)
    figure, axes = plt.subplots(figsize=(7, height))
    positions = list(range(len(labels)))
    axes.barh(positions, [float(v) for v in values], color=ACCENT)
    axes.set_yticks(positions, [str(label) for label in labels])
    axes.invert_yaxis()
    axes.set_title(title, loc="left")
    for position, value in zip(positions, values, strict=False):
        axes.annotate(
            f"{_number(value)}{unit}", (float(value), position), xytext=(3, 0), textcoords="offset points", va="center"
        )
    axes.spines[["top", "right"]].set_visible(False)
    return _to_chart(figure, _alt(title, labels, values, unit))


def columns(title: str, labels: Sequence[str], values: Sequence[float | int | Decimal]) -> Chart:
    """Counts over an ordered axis (hours of the day, weekdays)."""
    return _cached("columns", lambda: _columns(title, labels, values), title, list(labels), list(values))


def _columns(title: str, labels: Sequence[str], values: Sequence[float | int | Decimal]) -> Chart:
    figure, axes = plt.subplots(figsize=(7, 2.6))
    axes.bar([str(label) for label in labels], [float(v) for v in values], color=ACCENT)
    axes.set_title(title, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_chart(figure, _alt(title, labels, values, ""))


def comparison_bars(
    title: str,
    labels: Sequence[str],
    now: Sequence[float | int | Decimal],
    before: Sequence[float | int | Decimal],
    now_label: str,
    before_label: str,
    unit: str = "%",
) -> Chart:
    """Two periods side by side for each category."""
    return _cached(
        "comparison",
        lambda: _comparison_bars(title, labels, now, before, now_label, before_label, unit),
        title, list(labels), list(now), list(before), now_label, before_label, unit,
    )  # fmt: skip


def _comparison_bars(
    title: str,
    labels: Sequence[str],
    now: Sequence[float | int | Decimal],
    before: Sequence[float | int | Decimal],
    now_label: str,
    before_label: str,
    unit: str,
) -> Chart:
    height = max(1.8, 0.45 * len(labels) + 0.8)
    figure, axes = plt.subplots(figsize=(7, height))
    positions = list(range(len(labels)))
    axes.barh([p - 0.2 for p in positions], [float(v) for v in now], height=0.4, color=ACCENT, label=now_label)
    axes.barh([p + 0.2 for p in positions], [float(v) for v in before], height=0.4, color=SECOND, label=before_label)
    axes.set_yticks(positions, [str(label) for label in labels])
    axes.invert_yaxis()
    axes.legend(loc="lower right", frameon=False)
    axes.set_title(title, loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    items = [
        f"{label} {_number(a)}{unit} ({_number(b)}{unit})" for label, a, b in zip(labels, now, before, strict=False)
    ][:MAX_ALT_ITEMS]
    alt = f"{title} — {now_label} ({before_label}): " + "; ".join(items) + (" …" if len(labels) > MAX_ALT_ITEMS else "")
    return _to_chart(figure, alt)
