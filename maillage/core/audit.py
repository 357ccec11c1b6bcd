"""The audit log's only writer: `log_action(actor, code, target, data)`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import models

from maillage.core.models import AuditEntry, Organisation, User

MASK = "***"
# Keys whose values never reach the log: secrets and anything that identifies a person.
_SENSITIVE_KEY = re.compile(
    r"(password|passwd|secret|token|otp|totp|recovery|key|name|phone|email|address|street|birth|note|comment|iban|national)",
    re.IGNORECASE,
)
_CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


def mask_sensitive(data: Any) -> Any:
    """Return a copy of data with the values of sensitive keys replaced, at any depth."""
    if isinstance(data, Mapping):
        return {
            str(key): MASK if _SENSITIVE_KEY.search(str(key)) and value not in (None, "") else mask_sensitive(value)
            for key, value in data.items()
        }
    if isinstance(data, list | tuple):
        return [mask_sensitive(item) for item in data]
    if isinstance(data, str | int | float | bool) or data is None:
        return data
    return str(data)


def _organisation_of(target: models.Model | None) -> Organisation | None:
    if isinstance(target, Organisation):
        return target
    organisation = getattr(target, "organisation", None)
    return organisation if isinstance(organisation, Organisation) else None


def log_action(
    actor: User | None,
    code: str,
    target: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
    *,
    organisation: Organisation | None = None,
) -> AuditEntry:
    """Append one entry. `code` is dotted, e.g. `helpline.call.created`.

    The organisation is the target's own unless given; call this inside the
    service's transaction so the entry and the change land together.
    """
    if not _CODE.match(code):
        raise ValueError(f"Audit codes are dotted lower-case words, not {code!r}.")
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation or _organisation_of(target),
        code=code,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        target_repr=str(target)[:200] if target is not None else "",
        data=mask_sensitive(dict(data or {})),
    )
