"""The helpline follows a new version of the categories (taxonomy's `version_published`).

Calls keep the category they were logged with; reports read them in any version through
`maillage.taxonomy.reading`. The referral picker asks the directory for services serving the request's
category (`directory.queries.services_for_referral`, i.e. the services' needs), which the directory
moves to the new codes in the same transaction: nothing of the helpline's own to move. The process's
category index (used to log a call) is dropped so the new version is offered at once.
"""

from __future__ import annotations

from typing import Any

from maillage.helpline.services import forget_category_index


def follow(sender: Any, **kwargs: Any) -> dict[str, int]:
    """Receiver of `taxonomy.signals.version_published`."""
    forget_category_index()
    return {}
