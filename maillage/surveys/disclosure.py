"""Results shared back to respondents: the statistics' disclosure rule, in one swappable call.

Until maillage/stats/disclosure.py lands this applies its rule itself: a count from 1 to k−1 is
hidden (k = settings.MAILLAGE_DISCLOSURE_K, 5 by default), and nothing is shown of a question
answered by fewer than k respondents, so no organisation's answer can be singled out.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_K = 5


def threshold() -> int:
    return int(getattr(settings, "MAILLAGE_DISCLOSURE_K", DEFAULT_K))


def protect_count(count: int) -> int | None:
    """The count to show, or None for a count too small to show."""
    k = threshold()
    return None if 0 < count < k else count
