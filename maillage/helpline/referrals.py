"""The referral picker: services of the directory for a request, open now or soon.

One function, `picker_choices(values, prefix)`, reads the raw values of a call form (a GET of the
live picker, a POST of the refresh button or of the form without JavaScript, the initial values
of a call being corrected) and answers the options of one request's service picker. Every path
calls it with the form's raw values, so the live suggestions and the refreshed ones never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from maillage.core.parsing import BadParameter, parse_datetime_local, parse_int
from maillage.helpline.models import UnmetReason
from maillage.taxonomy.models import Category

# The service picker also offers "no suitable service" with its reason: its values carry this prefix.
NO_SERVICE_PREFIX = "none:"
CATEGORY_TEXT_MAX = 250


@dataclass(frozen=True)
class ReferralQuery:
    """What the suggestions depend on: the request's category, the caller's postal code and language, the moment."""

    category: Category | None
    postal_code: str
    language: str
    at: datetime


def _text(values: Mapping[str, Any], key: str, max_length: int) -> str:
    value = values.get(key)
    text = "" if value is None else str(value).strip()
    return text[:max_length]


def _moment(value: object) -> datetime:
    """When the proposed services should be open; now when the value is absent or cannot be read."""
    if isinstance(value, datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    try:
        moment = parse_datetime_local(str(value or ""), name="started_at")
    except BadParameter:
        moment = None
    return moment or timezone.now()


def _quiet_category(text: str) -> Category | None:
    from maillage.helpline.services.categories import find_category

    try:
        return find_category(text) if text else None
    except ValidationError:
        return None


def referral_query(values: Mapping[str, Any], prefix: str) -> ReferralQuery:
    """The inputs of one request's suggestions, read from the form's raw values (names as posted)."""
    return ReferralQuery(
        category=_quiet_category(_text(values, f"{prefix}-category", CATEGORY_TEXT_MAX)),
        postal_code=_text(values, "postal_code", 10),
        language=_text(values, "language", 10),
        at=_moment(values.get("started_at")),
    )


def suggestions(query: ReferralQuery) -> list[Any]:
    if query.category is None:
        return []
    from maillage.directory.queries import services_for_referral

    return list(
        services_for_referral(query.category, query.postal_code or None, query.language or None, query.at, limit=10)
    )


def suggestion_label(suggestion: Any, *, area_known: bool = True) -> str:
    """'Name — open now' / 'Name — opens Tue 9:00' / '(does not serve this area)'."""
    parts = [str(getattr(suggestion.service, "name", suggestion.service))]
    if suggestion.is_open:
        parts.append(_("open now"))
    elif suggestion.next_opening is not None:
        when = formats.date_format(timezone.localtime(suggestion.next_opening), "D j M H:i")
        parts.append(_("opens %(when)s") % {"when": when})
    else:
        parts.append(_("no opening known"))
    if area_known and not suggestion.serves_area:  # without a postal code, no service "serves the area"
        parts.append(_("does not serve this area"))
    return " — ".join(parts)


def no_service_choices() -> list[tuple[str, str]]:
    return [
        (NO_SERVICE_PREFIX + value, pgettext("referral picker", "No suitable service: %(reason)s") % {"reason": label})
        for value, label in UnmetReason.choices
    ]


def service_choices(query: ReferralQuery, selected: Any = None) -> list[tuple[str, str]]:
    area_known = bool(query.postal_code)
    choices = [(str(s.service.pk), suggestion_label(s, area_known=area_known)) for s in suggestions(query)]
    selected_value = "" if selected is None else str(getattr(selected, "pk", selected))
    known = {value for value, _label in choices}
    if selected_value and not selected_value.startswith(NO_SERVICE_PREFIX) and selected_value not in known:
        from maillage.directory.models import Service

        try:
            selected_id = parse_int(selected_value, name="service", minimum=1)
        except BadParameter:  # a posted value that cannot be a service: nothing to keep selected
            selected_id = None
        service = Service.objects.filter(pk=selected_id).first() if selected_id else None
        if service is not None:
            choices.insert(0, (str(service.pk), str(getattr(service, "name", service))))
    return [*choices, *no_service_choices()]


def picker_choices(values: Mapping[str, Any], prefix: str) -> list[tuple[str, str]]:
    """The options of the service picker of request `prefix` ("requests-0"), from the form's raw values."""
    selected = values.get(f"{prefix}-service") or None
    return service_choices(referral_query(values, prefix), selected)
