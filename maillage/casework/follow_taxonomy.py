"""Case work follows a new version of the categories (taxonomy's `version_published`).

- Saved reports read "in the version in force" (no version chosen for an axis) have their filters on
  that axis moved to the new codes: a merged code to its target, a split code to every target and to
  the joined key its old records count under (e.g. INCOME → INCOME, DEBT, INCOME+DEBT), so the report
  keeps selecting the same records. Reports pinned to a version are left as they are.
- Import profiles hold column names only: a file's old codes are read through the mappings on import
  (`services.current_category`), nothing to move.
- Recently used categories are worked out from the requests: `current_category_ids` turns the ids of
  earlier versions into the version in force (every target of a split), for the encoding form.
- Requests (open or closed) keep the code they were recorded with — what the worker chose at the
  time. Reports read them in any version through `maillage.taxonomy.reading`; a split old code counts
  under its joined key ("Income or Debt — before version 2"), never under one of the targets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from maillage.casework.models import AXES, SavedReport
from maillage.taxonomy.models import SchemeVersion
from maillage.taxonomy.queries import published_version
from maillage.taxonomy.reading import JOIN, successors
from maillage.taxonomy.signals import Moves


def _moved_codes(codes: Iterable[str], moves: Moves) -> list[str]:
    result: list[str] = []
    for code in codes:
        targets = moves.codes.get(code, (code,)) or (code,)
        with_joined = [*targets, JOIN.join(targets)] if len(targets) > 1 else list(targets)
        for new in with_joined:
            if new not in result:
                result.append(new)
    return result


def _move_saved_reports(axis: str, moves: Moves) -> int:
    moved = 0
    for report in SavedReport.objects.select_for_update().order_by("pk"):
        params: dict[str, Any] = dict(report.params or {})
        if (params.get("versions") or {}).get(axis):
            continue  # read in a chosen version: its codes stay right
        filters = dict(params.get("filters") or {})
        changed = False
        for key in (f"{axis}1", f"{axis}2"):
            if filters.get(key):
                new = _moved_codes(filters[key], moves)
                if new != list(filters[key]):
                    filters[key] = new
                    changed = True
        if changed:
            params["filters"] = filters
            SavedReport.objects.filter(pk=report.pk).update(params=params)
            moved += 1
    return moved


def follow(sender: Any, *, version: SchemeVersion, moves: Moves, **kwargs: Any) -> dict[str, int]:
    """Receiver of `taxonomy.signals.version_published`."""
    axes = [axis for axis, scheme in AXES.items() if scheme == version.scheme.code]
    return {"casework saved reports": sum(_move_saved_reports(axis, moves) for axis in axes)}


def current_category_ids(axis: str, ids: list[int]) -> list[int]:
    """These category ids with those of earlier versions replaced by the version in force's (in order, once)."""
    version = published_version(AXES[axis])
    if version is None:
        return ids
    targets = successors(version)
    result: list[int] = []
    for pk in ids:
        for new in targets.get(pk, (pk,)):
            if new not in result:
                result.append(new)
    return result
