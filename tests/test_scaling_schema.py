"""What sharding by organisation needs: the tenant tables that reach their organisation only through
a parent, listed in docs/scaling.md (between the tenant-tables-without-organisation markers).

A tenant table is a model of ours with a chain of foreign keys to core.Organisation. One without
its own organisation column cannot be distributed by it: a new one must be listed (and should
rather carry its organisation, which is the house style).
"""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.db import models

DOC = Path(__file__).resolve().parents[1] / "docs" / "scaling.md"
MARKERS = re.compile(
    r"<!-- tenant-tables-without-organisation:start -->(.*?)<!-- tenant-tables-without-organisation:end -->", re.S
)


def _ours() -> list[type[models.Model]]:
    return [model for model in apps.get_models() if model.__module__.startswith("maillage.")]


def _has_organisation(model: type[models.Model]) -> bool:
    return any(
        isinstance(field, models.ForeignKey) and field.related_model._meta.label == "core.Organisation"
        for field in model._meta.fields
    )


def tenant_tables_without_organisation() -> list[str]:
    """Models with a chain of foreign keys to an organisation but no organisation column of their own."""
    reaches: dict[str, bool] = {}

    def reaches_organisation(model: type[models.Model], seen: frozenset[str]) -> bool:
        label = model._meta.label
        if label in reaches:
            return reaches[label]
        if label == "core.Organisation" or _has_organisation(model):
            return True
        result = any(
            isinstance(field, models.ForeignKey)
            and field.related_model._meta.label not in seen
            and field.related_model.__module__.startswith("maillage.")
            and field.related_model._meta.label != "core.User"
            and reaches_organisation(field.related_model, seen | {label})
            for field in model._meta.fields
        )
        reaches[label] = result
        return result

    return sorted(
        model._meta.db_table
        for model in _ours()
        if model._meta.label != "core.Organisation"
        and not _has_organisation(model)
        and reaches_organisation(model, frozenset())
    )


def listed_in_the_doc() -> list[str]:
    match = MARKERS.search(DOC.read_text())
    assert match is not None, "docs/scaling.md lost its markers"
    return sorted(re.findall(r"^- `([a-z0-9_]+)`", match.group(1), re.M))


def test_docs_list_every_tenant_table_without_its_organisation() -> None:
    computed = tenant_tables_without_organisation()
    assert listed_in_the_doc() == computed, "update docs/scaling.md:\n" + "\n".join(f"- `{t}`" for t in computed)
