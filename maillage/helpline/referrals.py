"""The referral picker: services of the directory for a request, open now or soon."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from maillage.core.parsing import BadParameter, parse_int
from maillage.taxonomy.models import Category


def suggestions(category: Category | None, postal_code: str, language: str, at: datetime) -> list[Any]:
    if category is None:
        return []
    from maillage.directory.queries import services_for_referral

    return list(services_for_referral(category, postal_code or None, language or None, at, limit=10))


def suggestion_label(suggestion: Any) -> str:
    """'Name — open now' / 'Name — opens Tue 9:00' / '(does not serve this area)'."""
    parts = [str(getattr(suggestion.service, "name", suggestion.service))]
    if suggestion.is_open:
        parts.append(_("open now"))
    elif suggestion.next_opening is not None:
        when = formats.date_format(timezone.localtime(suggestion.next_opening), "D j M H:i")
        parts.append(_("opens %(when)s") % {"when": when})
    else:
        parts.append(_("no opening known"))
    if not suggestion.serves_area:
        parts.append(_("does not serve this area"))
    return " — ".join(parts)


def service_choices(
    category: Category | None, postal_code: str, language: str, at: datetime, selected: Any = None
) -> list[tuple[str, str]]:
    choices = [(str(s.service.pk), suggestion_label(s)) for s in suggestions(category, postal_code, language, at)]
    if selected is not None and str(getattr(selected, "pk", selected)) not in {value for value, _label in choices}:
        from maillage.directory.models import Service

        try:
            selected_id = parse_int(str(getattr(selected, "pk", selected)), name="service", minimum=1)
        except BadParameter:  # a posted value that cannot be a service: nothing to keep selected
            selected_id = None
        service = Service.objects.filter(pk=selected_id).first() if selected_id else None
        if service is not None:
            choices.insert(0, (str(service.pk), str(getattr(service, "name", service))))
    return choices
