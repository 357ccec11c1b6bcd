"""What taxonomy tells the rest of the product. Taxonomy imports none of the other apps: they import it
and connect their receivers (their `follow_taxonomy.py`, connected in their `AppConfig.ready`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.dispatch import Signal

from maillage.taxonomy.models import SchemeVersion

# Sent inside the publication's transaction with `version`, `moves` (a `Moves`) and `actor`. Each receiver
# moves its live references to the new codes and answers {what: how many} for the publication's audit
# entry; an exception undoes the whole publication (nothing published, nothing moved).
version_published = Signal()


@dataclass(frozen=True)
class Moves:
    """Where every category of the scheme's earlier versions goes in the version just published."""

    version: SchemeVersion
    targets: dict[int, tuple[int, ...]]  # old category id → new ids (several: a split; none: no equivalent)
    codes: dict[str, tuple[str, ...]]  # code in the previous version → codes in the new one

    def new_ids(self, ids: Iterable[int]) -> list[int]:
        """These ids with every old one replaced by where it goes (all targets of a split), in order, once."""
        result: list[int] = []
        for pk in ids:
            for new in self.targets.get(pk, (pk,)):
                if new not in result:
                    result.append(new)
        return result

    def new_codes(self, codes: Iterable[str]) -> list[str]:
        """Codes of the previous version replaced by their codes in the new one (all targets of a split)."""
        result: list[str] = []
        for code in codes:
            for new in self.codes.get(code, (code,)):
                if new not in result:
                    result.append(new)
        return result

    def touches(self, ids: Iterable[int]) -> bool:
        """Whether any of these ids belongs to an earlier version (and so moves)."""
        return any(pk in self.targets for pk in ids)
