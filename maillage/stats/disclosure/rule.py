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
    """Counts from 1 to k−1 are hidden; no hidden count may be worked out within `protection` (default k) on
    either side: a hidden count v must stay possibly as low as v − p (or 0) and as high as v + p."""

    k: int = field(default_factory=_default_k)
    protection: int | None = None
    # Both sides (the default, for counts of persons, case files, follow-ups, requests): a hidden count must
    # stay possibly v − p and v + p. False: only the interval's width (at least p), which is what organisations'
    # survey answers keep — on a survey of some twenty organisations, both sides on every hidden count
    # withheld every figure of every view.
    two_sided: bool = True

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
    def upper_protection(self) -> int:
        """The upper protection level (τ-ARGUS's UPL): a hidden count v must stay possibly as high as v + this,
        for a reader who uses everything published — p."""
        return self.p

    @property
    def lower_protection(self) -> int:
        """The lower protection level (LPL): a hidden count v must stay possibly as low as v − this — p, capped
        where the domain stops (a count is never below 0, nor below what the reader contributed to it)."""
        return self.p

    @property
    def label_protection(self) -> int:
        """The protection level on each side of a "<k" cell for a reader who uses what every "<k" label means:
        the label already tells 1..k−1, so the levels are within it — v ± max(1, (k−3)//2) capped to 1..k−1
        (for k = 5: a 2 must stay possibly 1 and 3, a 1 possibly 2, a 4 possibly 3)."""
        return max(1, (self.k - 3) // 2)

    def protection_interval(self, value: float, own: float = 0.0) -> tuple[float, float]:
        """What a hidden count `value` must stay possibly as low and as high as: [v − LPL, v + UPL], the lower
        end capped at what the reader knows the cell holds at least (0, or their own contribution)."""
        return (max(float(own), value - self.lower_protection), value + self.upper_protection)

    def label_interval(self, value: float, own: float = 0.0) -> tuple[float, float]:
        """The same for a "<k" cell against a reader who uses every label: within 1..k−1 (and own)."""
        low = max(1.0, float(own), value - self.label_protection)
        return (min(low, value), max(value, min(float(self.k - 1), value + self.label_protection)))

    def inside_label_interval(self, value: float, own: float = 0.0) -> tuple[float, float]:
        """An "x" count that is part of a figure shown "<k": every reader knows it is 0..k−1 from that label,
        so its levels are the label's — v ± `label_protection` capped to 0..k−1 (and own)."""
        low = max(0.0, float(own), value - self.label_protection)
        return (min(low, value), max(value, min(float(self.k - 1), value + self.label_protection)))

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
