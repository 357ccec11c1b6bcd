"""`{{ codes|language_names }}`: language names in the reader's language instead of codes."""

from __future__ import annotations

from collections.abc import Iterable

from django import template

from maillage.core.audit_words import language_name

register = template.Library()


@register.filter
def language_names(codes: Iterable[str] | None) -> str:
    return ", ".join(language_name(str(code)) for code in codes or [])
