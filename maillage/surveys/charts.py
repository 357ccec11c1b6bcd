"""Server-side SVG charts of survey results (matplotlib, Agg), kept by their figures like stats' charts."""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib
from django.core.cache import cache
from django.utils.translation import get_language

matplotlib.use("Agg")
from matplotlib import pyplot as plt
from matplotlib.figure import Figure

ACCENT = "#0b5e7a"
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Chart:
    data_uri: str
    alt: str


def _to_chart(figure: Figure, alt: str) -> Chart:
    out = io.BytesIO()
    figure.tight_layout()
    figure.savefig(out, format="svg", metadata={"Date": None})
    plt.close(figure)
    return Chart("data:image/svg+xml;base64," + base64.b64encode(out.getvalue()).decode("ascii"), alt)


def _cached(kind: str, draw: Callable[[], Chart], *parts: object) -> Chart:
    key = "maillage-survey-chart:" + hashlib.sha256(repr((kind, get_language(), parts)).encode()).hexdigest()
    chart = cache.get(key)
    if chart is None:
        chart = draw()
        cache.set(key, chart, CACHE_SECONDS)
    return chart


def _alt(title: str, labels: Sequence[str], values: Sequence[float]) -> str:
    return f"{title}: " + "; ".join(f"{label} {value:g}" for label, value in zip(labels, values, strict=False))


def bars(title: str, labels: Sequence[str], values: Sequence[float]) -> Chart:
    """Counts of each answer, in the questionnaire's order."""
    return _cached("bars", lambda: _bars(title, labels, values), title, list(labels), list(values))


def _bars(title: str, labels: Sequence[str], values: Sequence[float]) -> Chart:
    figure, axes = plt.subplots(figsize=(7, max(1.6, 0.32 * len(labels) + 0.8)))
    positions = list(range(len(labels)))
    axes.barh(positions, [float(v) for v in values], color=ACCENT)
    axes.set_yticks(positions, [str(label)[:40] for label in labels])
    axes.invert_yaxis()
    axes.set_title(title[:80], loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_chart(figure, _alt(title, labels, values))


def trend(title: str, labels: Sequence[str], values: Sequence[float]) -> Chart:
    """One figure per wave, joined by a line."""
    return _cached("trend", lambda: _trend(title, labels, values), title, list(labels), list(values))


def _trend(title: str, labels: Sequence[str], values: Sequence[float]) -> Chart:
    figure, axes = plt.subplots(figsize=(7, 2.8))
    axes.plot([str(label) for label in labels], [float(v) for v in values], marker="o", color=ACCENT)
    for label, value in zip(labels, values, strict=False):
        axes.annotate(f"{value:g}", (str(label), float(value)), xytext=(0, 6), textcoords="offset points", ha="center")
    axes.set_title(title[:80], loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    return _to_chart(figure, _alt(title, labels, values))
