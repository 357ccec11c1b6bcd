"""One canonical URL per search state.

A search is the form's cleaned values. Its URL holds each parameter once, in the form's order,
without the empty ones: the page redirects any other spelling of the same search there (and an
htmx request is told to push it), so a filter taken off never lingers in the address bar.
Each active filter also gets a link to the same search without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

# The form's parameters in the order of the page's form (a native submission minus its empty values).
ORDER = ("need", "postal_code", "quartier", "open_now", "free", "q", "language", "modality", "at")


def _text(name: str, value: Any) -> str:
    """A cleaned value as its parameter text ("" for an empty one)."""
    if value is None or value is False or value == "":
        return ""
    if value is True:
        return "on"
    if isinstance(value, Model):
        return str(value.pk)
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
            if timezone.is_aware(value)
            else (value.strftime("%Y-%m-%dT%H:%M"))
        )
    return str(value).strip()


def canonical_pairs(cleaned: dict[str, Any], fields: tuple[str, ...] = ORDER) -> list[tuple[str, str]]:
    return [(name, text) for name in fields if name in cleaned and (text := _text(name, cleaned[name]))]


def canonical_query(cleaned: dict[str, Any]) -> str:
    """The query string of this search state ("" for the empty search)."""
    return urlencode(canonical_pairs(cleaned))


def url_of(path: str, pairs: list[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


@dataclass(frozen=True)
class ActiveFilter:
    """A filter of the current search, and the URL of the same search without it."""

    name: str
    label: str
    value: str
    remove_url: str


def active_filters(path: str, form: Any) -> list[ActiveFilter]:
    """The current search's filters, each with the link that drops it (in the form's order)."""
    pairs = canonical_pairs(form.cleaned_data)
    filters = []
    for name, text in pairs:
        field = form.fields[name]
        value = form.cleaned_data[name]
        if value is True:
            shown = _("yes")
        elif isinstance(value, Model):
            shown = str(getattr(value, "label", None) or value)
        elif hasattr(field, "choices") and name in ("language", "modality"):
            shown = str(dict(field.choices).get(text, text))
        elif isinstance(value, datetime):
            shown = timezone.localtime(value).strftime("%d/%m/%Y %H:%M") if timezone.is_aware(value) else text
        else:
            shown = text
        rest = [pair for pair in pairs if pair[0] != name]
        filters.append(ActiveFilter(name=name, label=str(field.label), value=shown, remove_url=url_of(path, rest)))
    return filters
