from __future__ import annotations

import pytest

from maillage.taxonomy.models import Category


@pytest.fixture
def themes(request_themes):  # type: ignore[no-untyped-def]
    """Request-themes categories by code (FOOD, FOOD.PARCEL, HOUSING...)."""
    version = request_themes.versions.get()
    return {category.code: category for category in Category.objects.filter(version=version)}
