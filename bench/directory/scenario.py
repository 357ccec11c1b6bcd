"""The benchmarked search: need + postal code + open now + language, drawn with a fixed seed."""

from __future__ import annotations

import random
from urllib.parse import urlencode

from maillage.core.models import PostalCode
from maillage.taxonomy.queries import active_categories


def search_urls(path: str, count: int, seed: int = 7) -> list[str]:
    """`count` search URLs under `path`: a random level-1/2 need, Brussels postal code and language."""
    rng = random.Random(seed)
    categories = [c.pk for c in active_categories("request-themes")]
    codes = list(PostalCode.objects.values_list("code", flat=True))
    return [
        path
        + "?"
        + urlencode(
            {
                "need": rng.choice(categories),
                "postal_code": rng.choice(codes),
                "open_now": "on",
                "language": rng.choice(["fr", "fr", "nl", "en"]),
            }
        )
        for _ in range(count)
    ]
