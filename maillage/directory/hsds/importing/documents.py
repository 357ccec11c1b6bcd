"""Import of HSDS 3.0 documents: all or nothing, idempotent on HSDS ids (our `uuid` columns).

Every value is checked as the forms check it (a bad value is an error naming its path in the
document, nothing is written); a document whose shape is not HSDS's at all (a list where an
object belongs...) is refused with one sentence instead of a server error.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from maillage.core.audit import log_action
from maillage.core.models import Commune, PostalCode, User
from maillage.directory.calendars import CALENDARS
from maillage.directory.hsds.export.documents import HOLIDAY_SCHEME, HSDS_STATUSES, SCHEME, _id
from maillage.directory.hsds.importing.values import (
    ValueReader,
    _not_importable,
    _text,
    _uuid_or_none,
)
from maillage.directory.models import (
    CrisisStatus,
    DirectoryOrganisation,
    Frequency,
    Location,
    Phone,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceStatus,
)
from maillage.directory.models_network import Quartier
from maillage.directory.opening import validate_recurrence
from maillage.directory.search.keys import refresh_search_index, refresh_services_at
from maillage.directory.services import refresh_search_text
from maillage.taxonomy.queries import active_categories

logger = logging.getLogger(__name__)
# What a value of the wrong shape raises deep in the importer (a list where an object belongs...).
_SHAPE_ERRORS = (AttributeError, TypeError, KeyError, ValueError, IndexError)


@dataclass
class ImportReport:
    organisations: int = 0
    services: int = 0
    locations: int = 0
    schedules: int = 0
    schedules_removed: int = 0


class _Importer(ValueReader):
    def __init__(self) -> None:
        super().__init__()
        self.report = ImportReport()
        self.postal = {p.code: p for p in PostalCode.objects.select_related("commune")}
        self.communes = {c.name_fr.lower(): c for c in Commune.objects.all()}
        self.categories = {c.code: c for c in active_categories(SCHEME)}
        self.quartiers = {q.code: q for q in Quartier.objects.all()}
        # Locations whose own schedules were imported: the services there may take their hours.
        self.locations_with_hours: set[int] = set()
        # Owners whose document lists their schedules (even none), by level, and every schedule id
        # the import names: afterwards those owners keep only named schedules, so a re-import drops
        # the hours a document no longer gives. Ids, not owners: the official examples share one
        # schedule id between a service, its link and its location.
        self.listed_for: dict[str, set[int]] = {"service": set(), "link": set(), "location": set()}
        self.named_schedules: set[uuid.UUID] = set()

    def organisation(self, data: Mapping[str, Any], path: str) -> DirectoryOrganisation | None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return None
        if not data.get("name"):
            self.error(f"{path}.name", _("a name is required"))
            return None
        organisation, _created = DirectoryOrganisation.objects.update_or_create(
            uuid=key,
            defaults={
                "name_fr": str(data["name"])[:200],
                "name_nl": str(data.get("alternate_name") or "")[:200],
                "description_fr": _text(data.get("description")),
                "email": self.email(data.get("email"), f"{path}.email"),
                "website": self.url(data.get("website"), f"{path}.website"),
            },
        )
        self.report.organisations += 1
        for index, phone in enumerate(data.get("phones") or []):
            self.phone(phone, f"{path}.phones[{index}]", organisation=organisation)
        for index, location in enumerate(data.get("locations") or []):
            self.location(location, organisation, f"{path}.locations[{index}]")
        for index, service in enumerate(data.get("services") or []):
            self.service(service, organisation, f"{path}.services[{index}]")
        return organisation

    def location(self, data: Mapping[str, Any], organisation: DirectoryOrganisation, path: str) -> Location | None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return None
        addresses = data.get("addresses") or [{}]
        address = addresses[0]
        postal_code = str(address.get("postal_code") or "")[:10]
        postal = self.postal.get(postal_code)
        address_key = _uuid_or_none(address.get("id"))
        lat, lon = data.get("latitude"), data.get("longitude")
        valid = (
            isinstance(lat, int | float) and isinstance(lon, int | float) and -90 <= lat <= 90 and -180 <= lon <= 180
        )
        location, _created = Location.objects.update_or_create(
            uuid=key,
            defaults={
                "organisation": organisation,
                "name": str(data.get("name") or "")[:200],
                "address": str(address.get("address_1") or "")[:200],
                "postal_code": postal_code,
                "city": str(address.get("city") or "")[:100],
                "commune": postal.commune if postal else None,
                "latitude": round(float(lat), 6) if valid and lat is not None else None,
                "longitude": round(float(lon), 6) if valid and lon is not None else None,
                "transportation": _text(data.get("transportation")),
                "accessibility": "\n".join(a.get("description") or "" for a in data.get("accessibility") or []),
                "address_uuid": address_key,
            },
        )
        self.report.locations += 1
        for index, phone in enumerate(data.get("phones") or []):
            self.phone(phone, f"{path}.phones[{index}]", location=location)
        if "schedules" in data:
            self.listed_for["location"].add(location.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", location=location)
        return location

    def phone(self, data: Mapping[str, Any], path: str, **owner: Any) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        number = str(data.get("number") or "").strip('"')
        if not number:
            self.error(f"{path}.number", _("a phone number is required"))
            return
        Phone.objects.update_or_create(
            uuid=key,
            defaults={
                "number": number[:30],
                "extension": self.extension(data.get("extension"), f"{path}.extension"),
                "kind": str(data.get("type") or "voice")[:20],
                "description": str(data.get("description") or "")[:200],
                **owner,
            },
        )

    def schedule(self, data: Mapping[str, Any], path: str, **owner: Any) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        self.named_schedules.add(key)
        if not data.get("opens_at") or not data.get("closes_at"):
            return  # a schedule described only in words: nothing to compute with
        opens = self._time(data.get("opens_at"), f"{path}.opens_at")
        closes = self._time(data.get("closes_at"), f"{path}.closes_at")
        freq = str(data.get("freq") or Frequency.WEEKLY).upper()
        if freq not in Frequency.values:
            self.error(f"{path}.freq", _("only WEEKLY and MONTHLY recurrences are supported"))
            return
        fields = {
            "freq": freq,
            "interval": self.interval(data.get("interval"), f"{path}.interval"),
            "byday": str(data.get("byday") or "").upper().replace(" ", ""),
            "bymonthday": str(data.get("bymonthday") or "").replace(" ", ""),
        }
        probe = Schedule(opens_at=time(9), closes_at=time(10), **fields)
        try:
            validate_recurrence(probe.rrule_text)
        except ValidationError as error:
            self.error(f"{path}.byday", error.messages[0])
            return
        if opens is None or closes is None:
            return
        dates = {
            name: self._date(data.get(name), f"{path}.{name}")
            for name in ("valid_from", "valid_to", "dtstart", "until")
        }
        anchor = dates["dtstart"] or dates["valid_from"] or dates["until"] or dates["valid_to"]
        times = self.brussels_times(
            opens, closes, self.offset(data.get("timezone"), f"{path}.timezone"), anchor, f"{path}.timezone"
        )
        if times is None:
            return
        count = self.count(data.get("count"), f"{path}.count")
        if count is not None and dates["dtstart"] is None and dates["valid_from"] is None:
            # COUNT counts occurrences from the first one: without a start it bounds nothing.
            self.error(f"{path}.count", _("a count of occurrences needs the date of the first one (dtstart)"))
            return
        Schedule.objects.update_or_create(
            uuid=key,
            defaults={
                **fields,
                **dates,
                "count": count,
                "opens_at": times[0],
                "closes_at": times[1],
                "description": str(data.get("description") or "")[:200],
                "notes": _text(data.get("notes")),
                **owner,
            },
        )
        self.report.schedules += 1
        if set(owner) == {"location"}:
            self.locations_with_hours.add(owner["location"].pk)

    def languages(self, service: Service, rows: list[Any], path: str) -> set[str]:
        """The service's languages with their HSDS ids, names ("Urdu") and notes kept."""
        codes: set[str] = set()
        for row in rows:
            code = str(row.get("code") or "").lower()[:10]
            if not code:
                continue
            codes.add(code)
            key = _uuid_or_none(row.get("id"))
            language = ServiceLanguage.objects.filter(service=service, code=code).first() or ServiceLanguage(
                service=service, code=code
            )
            if key and not ServiceLanguage.objects.filter(uuid=key).exclude(pk=language.pk).exists():
                language.uuid = key
            language.name = _text(row.get("name"), 100)
            language.note = _text(row.get("note"))
            language.save()
        return codes

    def areas(self, service: Service, rows: list[Any], path: str) -> None:
        """Service areas kept as given (ids, descriptions, areas outside Brussels); the Brussels communes
        and the region they name also feed the search."""
        communes = []
        quartiers: list[Quartier] = []
        named: set[uuid.UUID] = set()
        for index, area in enumerate(rows):
            name = str(area.get("name") or "")
            commune = None
            region = False
            if area.get("extent_type") == "quartier" and str(area.get("extent")) in self.quartiers:
                quartiers.append(self.quartiers[str(area.get("extent"))])
            elif name in self.postal:
                commune = self.postal[name].commune
            elif name.lower() in self.communes:
                commune = self.communes[name.lower()]
            elif area.get("extent_type") == "region" and "brussels" in name.lower():
                region = True
                service.serves_whole_region = True
            if commune is not None:
                communes.append(commune)
            # An area without an id (older files) gets one derived from the service and its name.
            key = (
                self.uuid(area.get("id"), f"{path}[{index}]")
                if area.get("id")
                else uuid.UUID(_id("area", service.uuid, area.get("extent_type") or "", name))
            )
            if key is None:
                continue
            named.add(key)
            ServiceArea.objects.update_or_create(
                uuid=key,
                defaults={
                    "service": service,
                    "name": name[:500],
                    "description": _text(area.get("description")),
                    "extent": _text(area.get("extent"), 100_000),
                    "extent_type": _text(area.get("extent_type"), 50),
                    "uri": _text(area.get("uri"), 500),
                    "commune": commune,
                    "region": region,
                },
            )
        ServiceArea.objects.filter(service=service).exclude(uuid__in=named).delete()
        if communes:
            service.area_communes.add(*communes)
        if quartiers:
            service.quartiers.add(*quartiers)

    def service(self, data: Mapping[str, Any], organisation: DirectoryOrganisation | None, path: str) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        if organisation is None:
            nested = data.get("organization")
            if isinstance(nested, Mapping):
                organisation = self.organisation(nested, f"{path}.organization")
            elif data.get("organization_id"):
                organisation = DirectoryOrganisation.objects.filter(uuid=data["organization_id"]).first()
        if organisation is None:
            self.error(f"{path}.organization_id", _("the service's organisation is unknown"))
            return
        if not data.get("name"):
            self.error(f"{path}.name", _("a name is required"))
            return
        status = data.get("status")
        if status not in HSDS_STATUSES:
            self.error(f"{path}.status", _("must be one of %(values)s") % {"values": ", ".join(HSDS_STATUSES)})
            return
        service, _created = Service.objects.update_or_create(
            uuid=key,
            defaults={
                "organisation": organisation,
                "name_fr": str(data["name"])[:200],
                "name_nl": str(data.get("alternate_name") or "")[:200],
                "description_fr": _text(data.get("description")),
                "status": ServiceStatus.PUBLISHED
                if status in ("active", "temporarily closed")
                else ServiceStatus.DRAFT,
                "crisis_status": CrisisStatus.CLOSED if status == "temporarily closed" else CrisisStatus.USUAL,
                "crisis_note": _text(data.get("alert")),
                "website": self.url(data.get("url"), f"{path}.url"),
                "email": self.email(data.get("email"), f"{path}.email"),
                "fees_fr": _text(data.get("fees_description")),
                "is_free": not data.get("fees_description")
                or str(data.get("fees_description")).lower() in ("free", "gratuit"),
                "eligibility_fr": _text(data.get("eligibility_description")),
                **self.assured(data.get("assured_date"), f"{path}.assured_date"),
            },
        )
        self.report.services += 1
        for index, phone in enumerate(data.get("phones") or []):
            self.phone(phone, f"{path}.phones[{index}]", service=service)
        if "schedules" in data:
            self.listed_for["service"].add(service.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", service=service)
        for index, link in enumerate(data.get("service_at_locations") or []):
            self.service_at_location(link, service, organisation, f"{path}.service_at_locations[{index}]")
        codes = self.languages(service, list(data.get("languages") or []), f"{path}.languages")
        service.languages = sorted(set(service.languages) | codes)
        needs = []
        calendars = []
        for attribute in data.get("attributes") or []:
            term = attribute.get("taxonomy_term") or {}
            if term.get("taxonomy") == HOLIDAY_SCHEME:
                if str(term.get("code")) in CALENDARS:
                    calendars.append(str(term.get("code")))
                else:
                    self.error(
                        f"{path}.attributes",
                        _("unknown holiday calendar: %(code)s") % {"code": str(term.get("code"))[:40]},
                    )
                continue
            category = self.categories.get(str(term.get("code") or ""))
            if category is not None:
                needs.append(category)
        if needs:
            service.needs.add(*needs)
        if calendars:
            service.holiday_calendars = " ".join(code for code in CALENDARS if code in calendars)
        if "service_areas" in data:
            self.areas(service, list(data.get("service_areas") or []), f"{path}.service_areas")
        service.save(update_fields=["languages", "serves_whole_region", "holiday_calendars"])
        refresh_search_text(service)
        refresh_search_index(service)

    def service_at_location(
        self, data: Mapping[str, Any], service: Service, organisation: DirectoryOrganisation, path: str
    ) -> None:
        key = self.uuid(data.get("id"), path)
        if key is None:
            return
        location: Location | None = None
        if isinstance(data.get("location"), Mapping):
            location = self.location(data["location"], organisation, f"{path}.location")
        elif data.get("location_id"):
            location = Location.objects.filter(uuid=data["location_id"]).first()
        if location is None:
            self.error(f"{path}.location_id", _("unknown location"))
            return
        link, _created = ServiceAtLocation.objects.update_or_create(
            uuid=key, defaults={"service": service, "location": location, "description": _text(data.get("description"))}
        )
        if "schedules" in data:
            self.listed_for["link"].add(link.pk)
        for index, schedule in enumerate(data.get("schedules") or []):
            self.schedule(schedule, f"{path}.schedules[{index}]", service=service, service_at_location=link)

    def remove_unnamed_schedules(self) -> None:
        """The schedules of listed owners that the import did not name, deleted; their services reindexed."""
        listed = self.listed_for
        owned = (
            Q(service_id__in=listed["service"], service_at_location=None)
            | Q(service_at_location_id__in=listed["link"])
            | Q(location_id__in=listed["location"], service=None)
        )
        stale = [
            (pk, service_id, location_id)
            for pk, key, service_id, location_id in Schedule.objects.filter(owned).values_list(
                "pk", "uuid", "service_id", "location_id"
            )
            if key not in self.named_schedules
        ]
        for start in range(0, len(stale), 500):
            Schedule.objects.filter(pk__in=[pk for pk, _service, _location in stale[start : start + 500]]).delete()
        self.report.schedules_removed = len(stale)
        for service in Service.objects.filter(pk__in={service for _pk, service, _location in stale if service}):
            refresh_search_index(service)
        self.locations_with_hours.update(location for _pk, service, location in stale if location and not service)


def _documents(payload: Any) -> list[Any]:
    if isinstance(payload, Mapping) and isinstance(payload.get("contents"), list):
        return list(payload["contents"])
    if isinstance(payload, list):
        return payload
    return [payload]


def import_documents(actor: User | None, payload: Any) -> ImportReport:
    """Import HSDS organisation or service documents (one, a list, or a paginated list); all or nothing."""
    importer = _Importer()
    if not _documents(payload):
        raise ValidationError(_("The file holds no HSDS document to import."), code="empty")
    with transaction.atomic():
        for index, document in enumerate(_documents(payload)):
            path = f"[{index}]"
            try:
                with transaction.atomic():  # a savepoint: a refused value leaves the transaction usable
                    if not isinstance(document, Mapping):
                        importer.error(path, _("an HSDS document must be a JSON object"))
                    elif (refusal := _not_importable(document)) is not None:
                        importer.error(path, refusal)
                    elif "status" in document:
                        importer.service(document, None, path)
                    else:
                        importer.organisation(document, path)
            except _SHAPE_ERRORS as error:
                logger.info("HSDS import: document %s has an unexpected shape", path, exc_info=error)
                importer.error(path, _("this document does not have the structure of an HSDS organisation or service"))
            except DatabaseError as error:
                logger.info("HSDS import: document %s holds a value the database refused", path, exc_info=error)
                importer.error(path, _("a value of this document cannot be stored (too long or out of range)"))
        if importer.errors:
            transaction.set_rollback(True)
            raise ValidationError(importer.errors)
        importer.remove_unnamed_schedules()
        # A location's hours may come after a service there was indexed (or in another document).
        refresh_services_at(importer.locations_with_hours)
        log_action(actor, "directory.import.completed", None, importer.report.__dict__)
    return importer.report
