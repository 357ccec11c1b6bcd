"""Kept figures in the reader's language.

A page's figures are numbers and states, the same in every language: they are computed and kept once per
centre and period (`page_figures`), and only what is read in words — the categories' labels, where the centre
stands, why quartiles are missing, why a table is withheld — is put in the active language when they are
shown. The labels are those the counts give (`counts`, `monthly`), read here without counting anything.
"""

from __future__ import annotations

import dataclasses

from django.core.cache import cache
from django.utils.translation import get_language

from maillage.sector.comparison import MIN_CENTRES, Comparison, Line, position_of, quartiles_reason
from maillage.sector.indicators import ACTION_LABELS, ACTIONS, INDICATORS, REFERRAL, REFERRAL_LABELS
from maillage.sector.monthly import AXES, level1_of, version_in_force
from maillage.stats import crosstab
from maillage.stats.crosstab import MEASURES, UNMAPPED
from maillage.stats.disclosure import DisclosureRefused

CACHE_SECONDS = 600


def line_labels(code: str) -> tuple[dict[str, str], list[str]]:
    """Each category of the indicator → its line's label in the active language, and the categories' order
    (what `Counts.labels` and `Counts.order` hold: communes, for one, are in the order of their names)."""
    indicator = INDICATORS[code]
    variable = indicator.variable
    if variable is None:
        return {}, []
    if variable == ACTIONS:
        return {key: str(label) for key, label in ACTION_LABELS.items()}, list(ACTION_LABELS)
    if variable == REFERRAL:
        return {key: str(label) for key, label in REFERRAL_LABELS.items()}, ["yes", "no"]
    axis = variable[:-1] if variable[:-1] in AXES else None
    try:  # an axis's lines are counted at level 2 (`monthly.base_code`)
        spec = crosstab.dimension(f"{axis}2" if axis else variable, MEASURES[indicator.measure].base, {})
    except crosstab.CrossTabError:  # no version of the axis in force: no line to label
        return {}, []
    labels: dict[str, str] = {}
    for key, label in spec.labels.items():
        text = str(label or key)
        labels[key] = f"{key} — {text}" if axis and key not in ("", UNMAPPED) else text
    labels.setdefault("", "—")
    order = list(spec.order)
    if axis and variable.endswith("1"):
        _top, top_labels, order = level1_of(axis, set())
        labels = {**{key: labels.get(key, key) for key in ("", UNMAPPED)}, **top_labels}
    return labels, order


def _all_labels() -> dict[str, tuple[dict[str, str], list[str]]]:
    versions = "-".join(str(getattr(version_in_force(axis), "pk", None)) for axis in AXES)
    key = f"maillage-sector-line-words:{get_language()}:{versions}"
    found = cache.get(key)
    if found is None:
        found = {code: line_labels(code) for code in INDICATORS}
        cache.set(key, found, CACHE_SECONDS)
    return found  # type: ignore[no-any-return]


def localised(items: list[Comparison]) -> list[Comparison]:
    """Copies of a centre's kept comparisons with their words in the active language."""
    labels = _all_labels()
    out = []
    for comparison in items:
        own, order = labels.get(comparison.indicator.code, ({}, []))
        lines = []
        for line in _in_order(comparison.lines, order):
            label = str(comparison.indicator.label) if comparison.indicator.is_total else own.get(line.key)
            position = line.position
            if line.q1 is not None and line.median is not None and line.q3 is not None:
                value = float(line.own) if comparison.indicator.is_total else line.own_share
                position = position_of(value, line.q1, line.median, line.q3)
            lines.append(dataclasses.replace(line, label=label or line.label, position=position))
        out.append(
            dataclasses.replace(
                comparison,
                lines=lines,
                quartiles_reason=quartiles_reason(comparison.centres) if comparison.centres < MIN_CENTRES else "",
                refused=str(DisclosureRefused().message) if comparison.refused else "",
            )
        )
    return out


def _in_order(lines: list[Line], order: list[str]) -> list[Line]:
    """The counted lines in the categories' order of the active language (`Counts.categories`), then the
    appended ones as they were."""
    if not order:
        return lines
    position = {key: index for index, key in enumerate(order)}
    counted = sorted(
        (line for line in lines if not line.appended),
        key=lambda line: (position.get(line.key, len(position)), line.key),
    )
    return counted + [line for line in lines if line.appended]
