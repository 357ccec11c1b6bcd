"""Filters that read an audit entry in words (see core.audit_words)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

from maillage.core.audit_words import describe_code, describe_data

register = template.Library()


@register.filter
def audit_action(code: str) -> str:
    return describe_code(code)


@register.filter
def audit_details(data: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    return describe_data(data or {})
