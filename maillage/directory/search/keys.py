"""What the search reads instead of joins and rrule: search keys on the service row and weekly opening slots.

Both are derived data, rebuilt by `refresh_search_index()` whenever services.py, the HSDS
import or the demo change a service's needs, areas, languages or schedules (and by the
`directory_reindex` command for everything at once). The schedules stay the source of
truth: rrule computes the weekly slots, and a service with any schedule that is not a
plain weekly one (monthly, every other week, ordinals) keeps `hours_in_slots=False`,
so the search asks rrule for it. A service with no schedule of its own takes its locations'
(Service.location_hours()): their slots are its slots, and the slots of the services at a
location are rebuilt when its schedules or links change (refresh_services_at()).

Search keys are space-separated tokens in `Service.search_keys` (" n12 n3 d3 lfr c5 p1090 r "):
  n<id>  serves this need or one of its level-2 needs (a level-1 search matches it),
  d<id>  tagged with this level-1 need itself (a level-2 search under it matches it),
  l<code> language spoken, c<id> commune served, p<code> extra postal code served,
  r      serves the whole region.
Each process reads them into its in-memory search index (search/index.py), which filters by
them; the GIN index migration 0005 put on them is dropped by migration 0008 (nothing queries
them in SQL any more, and it cost every write).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime, time, timedelta

from django.db import transaction

from maillage.directory.models import HOURS_PREFETCH, Frequency, OpeningSlot, Schedule, Service
from maillage.directory.opening import _rule, schedule_days
from maillage.directory.search.generation import bump_generation
from maillage.taxonomy.models import Category

WEEK_MINUTES = 7 * 1440
# Any Monday: a plain weekly rule gives the same weekdays every week.
_MONDAY = date(2024, 1, 1)
_PLAIN_DAYS = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"}


def need_tokens(category: Category) -> list[str]:
    """The tokens a search for this need matches (any of them)."""
    if category.level == 1 or category.parent_id is None:
        return [f"n{category.pk}"]
    return [f"n{category.pk}", f"d{category.parent_id}"]


def area_tokens(commune_id: int | None, postal_code: str | None) -> list[str]:
    """Serving this area: the commune, an extra postal code, or the whole region (any of them)."""
    tokens = ["r"]
    if commune_id is not None:
        tokens.append(f"c{commune_id}")
    if postal_code:
        tokens.append(f"p{postal_code.strip()}")
    return tokens


def language_token(code: str) -> str:
    return f"l{code.strip().lower()}"


# Tokens only the in-memory index adds (search/index.py), from the modalities and is_free columns.
FREE_TOKEN = "free"


def modality_token(modality: str) -> str:
    return f"m{modality}"


def search_keys(
    needs: Iterable[tuple[int, int | None]],
    commune_ids: Iterable[int],
    postal_codes: Iterable[str],
    languages: Iterable[str],
    whole_region: bool,
) -> str:
    """The padded token text for one service; `needs` as (category id, parent id or None)."""
    tokens: set[str] = set()
    for pk, parent_id in needs:
        tokens.add(f"n{pk}")
        if parent_id is None:
            tokens.add(f"d{pk}")
        else:
            tokens.add(f"n{parent_id}")
    tokens.update(f"c{pk}" for pk in commune_ids)
    tokens.update(f"p{code}" for code in postal_codes if code)
    tokens.update(language_token(code) for code in languages if code.strip())
    if whole_region:
        tokens.add("r")
    return " " + " ".join(sorted(tokens)) + " " if tokens else ""


def is_plain_weekly(schedule: Schedule) -> bool:
    """Every week on fixed weekdays, between two dates at most: what a weekly slot represents exactly
    (a COUNT of occurrences is not: rrule decides)."""
    days = [part for part in schedule.byday.split(",") if part]
    whole_minutes = all(moment.second == moment.microsecond == 0 for moment in (schedule.opens_at, schedule.closes_at))
    return (
        whole_minutes
        and schedule.count is None
        and schedule.freq == Frequency.WEEKLY
        and schedule.interval == 1
        and not schedule.bymonthday
        and bool(days)
        and all(day in _PLAIN_DAYS for day in days)
    )


def weekly_slots(schedule: Schedule) -> list[tuple[int, int]]:
    """(start, end) in minutes of the week, Brussels wall clock, computed by rrule over one week.

    The end is start + duration: past midnight (closes at or before it opens) it runs into
    the next day, and Sunday's late slots run past 10080.
    """
    opens = schedule.opens_at.hour * 60 + schedule.opens_at.minute
    closes = schedule.closes_at.hour * 60 + schedule.closes_at.minute
    duration = closes - opens if closes > opens else closes - opens + 1440
    rule = _rule(schedule.rrule_text, datetime.combine(_MONDAY, schedule.opens_at))
    week = rule.between(
        datetime.combine(_MONDAY, time.min), datetime.combine(_MONDAY + timedelta(days=6), time.max), inc=True
    )
    return [
        (occurrence.weekday() * 1440 + opens, occurrence.weekday() * 1440 + opens + duration) for occurrence in week
    ]


def hours_for_slots(service: Service) -> tuple[list[Schedule], bool]:
    """The schedules the service's weekly slots come from (its own, else its locations'), and whether
    the slots say it all: every schedule plain weekly, and no location closure (the in-memory search
    copies only the service's own closures, so rrule decides for those)."""
    borrowed = service.location_hours()
    if not borrowed:
        schedules = list(service.schedules.all())
        return schedules, all(is_plain_weekly(schedule) for schedule in schedules)
    schedules = [schedule for hours in borrowed for schedule in hours.schedules]
    closures = any(hours.exceptions or hours.location.holiday_calendars for hours in borrowed)
    return schedules, not closures and all(is_plain_weekly(schedule) for schedule in schedules)


def _slot_rows(service: Service, schedules: Iterable[Schedule]) -> list[OpeningSlot]:
    """The weekly slots, valid on the schedule's days (its validity narrowed by dtstart and until)."""
    rows = []
    for schedule in schedules:
        first, last = schedule_days(schedule)
        rows += [
            OpeningSlot(service=service, start=start, end=end, valid_from=first, valid_to=last)
            for start, end in weekly_slots(schedule)
        ]
    return rows


def refresh_opening_slots(service: Service) -> None:
    """Rebuild the service's weekly slots from its schedules, or its locations' (inside the caller's transaction)."""
    # Read afresh: the caller's service may hold prefetched rows from before the change.
    schedules, plain = hours_for_slots(Service.objects.prefetch_related(*HOURS_PREFETCH).get(pk=service.pk))
    OpeningSlot.objects.filter(service=service).delete()
    if plain:
        OpeningSlot.objects.bulk_create(_slot_rows(service, schedules))
    if service.hours_in_slots != plain:
        service.hours_in_slots = plain
        Service.objects.filter(pk=service.pk).update(hours_in_slots=plain)


def refresh_services_at(location_ids: Collection[int]) -> None:
    """The slots of every service at these locations, after the locations' schedules, closures or links
    changed (the services without hours of their own take them); inside the caller's transaction."""
    if not location_ids:
        return
    services = list(
        Service.objects.filter(service_at_locations__location_id__in=list(location_ids)).distinct().order_by("pk")
    )
    for service in services:
        refresh_opening_slots(service)
    bump_generation([service.pk for service in services])  # slots and flags written in bulk: no signal


def refresh_search_keys(service: Service) -> None:
    needs = service.needs.values_list("pk", "parent_id")
    keys = search_keys(
        needs,
        service.area_communes.values_list("pk", flat=True),
        service.postal_code_list,
        service.language_rows.values_list("code", flat=True),
        service.serves_whole_region,
    )
    service.search_keys = keys
    Service.objects.filter(pk=service.pk).update(search_keys=keys)


def refresh_search_index(service: Service) -> None:
    """Keys and weekly slots of one service, in step with its needs, areas, languages and schedules."""
    with transaction.atomic():
        refresh_search_keys(service)
        refresh_opening_slots(service)
        bump_generation([service.pk])  # the keys and flags were written with update(), which sends no signal


def reindex_all(batch: int = 2000) -> int:
    """Rebuild keys and slots of every service in bulk (the reindex command, the bench generator)."""
    count = 0
    pks = list(Service.objects.order_by("pk").values_list("pk", flat=True))
    for offset in range(0, len(pks), batch):
        chunk = pks[offset : offset + batch]
        with transaction.atomic():
            services = list(
                Service.objects.filter(pk__in=chunk).prefetch_related(
                    "needs", "area_communes", "language_rows", *HOURS_PREFETCH
                )
            )
            OpeningSlot.objects.filter(service_id__in=chunk).delete()
            slots: list[OpeningSlot] = []
            for service in services:
                service.search_keys = search_keys(
                    [(need.pk, need.parent_id) for need in service.needs.all()],
                    [commune.pk for commune in service.area_communes.all()],
                    service.postal_code_list,
                    [row.code for row in service.language_rows.all()],
                    service.serves_whole_region,
                )
                schedules, service.hours_in_slots = hours_for_slots(service)
                if service.hours_in_slots:
                    slots += _slot_rows(service, schedules)
            Service.objects.bulk_update(services, ["search_keys", "hours_in_slots"])
            OpeningSlot.objects.bulk_create(slots, batch_size=5000)
            count += len(services)
    bump_generation(None)  # everything
    return count
