"""The disclosure rule: the threshold k and the protection interval, written with every shared output."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

SHOWN = "shown"
SMALL = "small"
SECONDARY = "secondary"
SECONDARY_LABEL = "x"


def _default_k() -> int:
    return int(getattr(settings, "MAILLAGE_DISCLOSURE_K", 5))


@dataclass(frozen=True)
class Rule:
    """Counts from 1 to k−1 are hidden; no hidden count may be worked out within `protection` (default k)."""

    k: int = field(default_factory=_default_k)
    protection: int | None = None

    def __post_init__(self) -> None:
        if self.k < 2:
            raise ValueError("k must be at least 2")
        if self.protection is not None and self.protection < 1:
            raise ValueError("protection must be at least 1")

    @property
    def p(self) -> int:
        """The protection interval: a hidden cell's feasible interval must be at least this wide."""
        return self.k if self.protection is None else self.protection

    @property
    def label_width(self) -> int:
        """How wide a "<k" cell's interval must stay to a reader who uses every label: k−3 (three possible
        counts out of 1..4 for k = 5), at least 1 (never exact)."""
        return max(1, self.k - 3)

    @property
    def small_label(self) -> str:
        return f"<{self.k}"

    def is_small(self, value: int) -> bool:
        return 0 < value < self.k

    def label(self, kind: str) -> str:
        return self.small_label if kind == SMALL else SECONDARY_LABEL

    def describe(self) -> str:
        return _(
            "Counts from 1 to %(last)d are shown as “<%(k)d”; other cells shown as “x” are hidden so that no "
            "hidden count can be worked out, from the totals, other tables of the same figures or other periods, "
            "closer than ±%(p)d (checked by linear programming before the table is shown). A hidden count is "
            "never a zero, and a percentage computed from a hidden count is hidden."
        ) % {"last": self.k - 1, "k": self.k, "p": self.p}

    def as_dict(self) -> dict[str, Any]:
        return {"k": self.k, "protection": self.p, "small_label": self.small_label, "secondary_label": "x"}
