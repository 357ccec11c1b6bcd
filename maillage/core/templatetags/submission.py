"""`{% submission_key_input %}` inside every creating form (see core.submission)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString

from maillage.core.submission import hidden_input

register = template.Library()


@register.simple_tag(takes_context=True)
def submission_key_input(context: dict[str, Any]) -> SafeString:
    return hidden_input(context.get("request"))  # type: ignore[return-value]
