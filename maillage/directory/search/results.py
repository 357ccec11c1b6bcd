"""What the search returns: typed results read from the in-memory index, never half-built model rows.

A result carries what a result card, the map, the printed sheet and the helpline's referral picker
print about a service; whoever needs more reads the service by its `pk`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import get_language

from maillage.directory.models import CrisisStatus, translated
from maillage.directory.search.index import Place


@dataclass(frozen=True, slots=True)
class ResultOrganisation:
    pk: int
    name_fr: str
    name_nl: str

    @property
    def name(self) -> str:
        return translated(self.name_fr, self.name_nl, get_language())


@dataclass(frozen=True, slots=True)
class ResultService:
    """A published service as a result shows it (names in both languages, the reader's one by `name`)."""

    pk: int
    name_fr: str
    name_nl: str
    organisation: ResultOrganisation
    crisis_status: str
    crisis_until: date | None
    modalities: str
    holiday_calendars: str
    places: tuple[Place, ...]
    phone_numbers: tuple[str, ...]
    # Its weekly hours on one line: only the printed sheet asks for them (read from the schedules).
    hours_line: str = ""

    @property
    def name(self) -> str:
        return translated(self.name_fr, self.name_nl, get_language())

    def get_crisis_status_display(self) -> str:
        return str(CrisisStatus(self.crisis_status).label)


@dataclass(frozen=True, slots=True)
class SearchResult:
    """One service found, with its opening state at the search's moment and how it relates to the area."""

    service: ResultService
    is_open: bool
    next_opening: datetime | None
    serves_area: bool
    distance_km: float | None = None
    open_until: datetime | None = None
