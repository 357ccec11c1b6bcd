"""Who does what, where and when — aligned with HSDS 3.0, with FR/NL texts and Brussels communes.

HSDS is the exchange format, not the whole model: every exported row keeps a stable
`uuid` (HSDS `id`) so imports are idempotent, and translated texts, Europe/Brussels
schedules and communes are mapped on export.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar, NamedTuple

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def translated(fr: str, nl: str, language: str | None) -> str:
    """The Dutch text for Dutch readers when there is one, else the French (else the Dutch)."""
    if language == "nl" and nl:
        return nl
    return fr or nl


def _translated(fr: str, nl: str) -> str:
    return translated(fr, nl, get_language())


class DirectoryOrganisation(models.Model):
    """An HSDS organization: a member of the federation (linked) or any other provider."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        "core.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_entries",
        verbose_name=_("member organisation"),
    )
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # A coordinator of a member organisation claims an entry nobody keeps (an import): the federation confirms.
    claimed_by = models.ForeignKey(
        "core.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claimed_at = models.DateTimeField(_("claimed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name_fr"]
        verbose_name = _("directory organisation")
        verbose_name_plural = _("directory organisations")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _translated(self.name_fr, self.name_nl)

    @property
    def description(self) -> str:
        return _translated(self.description_fr, self.description_nl)


class ServiceStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    DRAFT = "draft", _("Draft")


class CrisisStatus(models.TextChoices):
    USUAL = "usual", _("Open as usual")
    CHANGED = "changed", _("Open with changes")
    REDUCED = "reduced", _("Reduced service")
    CLOSED = "closed", _("Closed")


class Modality(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    APPOINTMENT = "appointment", _("By appointment")
    PHONE = "phone", _("By phone only")
    REFERRAL = "referral", _("By referral only")
    OUTREACH = "outreach", _("Outreach")


class Service(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        DirectoryOrganisation, on_delete=models.CASCADE, related_name="services", verbose_name=_("organisation")
    )
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.DRAFT)
    needs = models.ManyToManyField(
        "taxonomy.Category", related_name="directory_services", blank=True, verbose_name=_("needs served")
    )
    # Language codes (fr, nl, en, ar...), also kept as rows in ServiceLanguage for filtering.
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    # Access modalities, as a space-separated list of Modality values ("walk_in appointment").
    modalities = models.CharField(_("access modalities"), max_length=100, blank=True)
    is_free = models.BooleanField(_("free of charge"), default=True)
    fees_fr = models.TextField(_("cost (French)"), blank=True)
    fees_nl = models.TextField(_("cost (Dutch)"), blank=True)
    eligibility_fr = models.TextField(_("eligibility (French)"), blank=True)
    eligibility_nl = models.TextField(_("eligibility (Dutch)"), blank=True)
    required_documents_fr = models.TextField(_("required documents (French)"), blank=True)
    required_documents_nl = models.TextField(_("required documents (Dutch)"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Areas served: communes, the whole region, or extra postal codes (outside Brussels too).
    area_communes = models.ManyToManyField(
        "core.Commune", related_name="directory_services", blank=True, verbose_name=_("communes served")
    )
    serves_whole_region = models.BooleanField(_("serves the whole region"), default=False)
    quartiers = models.ManyToManyField(
        "directory.Quartier", related_name="services", blank=True, verbose_name=_("quartiers served")
    )
    # Holiday calendars it is closed on (space-separated codes of calendars.CALENDARS, "be brussels").
    holiday_calendars = models.CharField(_("closed on the holidays of"), max_length=100, blank=True)
    extra_postal_codes = models.CharField(
        _("other postal codes served"), max_length=300, blank=True, help_text=_("Separated by spaces.")
    )
    # Crisis status: temporary, with a note, an end date and who last verified it.
    crisis_status = models.CharField(
        _("current status"), max_length=10, choices=CrisisStatus.choices, default=CrisisStatus.USUAL
    )
    crisis_note = models.TextField(_("status note"), blank=True)
    crisis_until = models.DateField(_("status valid until"), null=True, blank=True)
    verified_at = models.DateTimeField(_("last verified on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last verified by"),
    )
    # When the annual re-verification email was last sent (reverification.py).
    reverification_sent_at = models.DateTimeField(_("re-verification asked on"), null=True, blank=True, editable=False)
    # Lower-case, accent-free copy of the FR/NL texts, kept by services.py for full-text search.
    search_text = models.TextField(blank=True, editable=False)
    # Derived by search.keys.refresh_search_index(): need, area and language tokens the in-memory search index reads,
    # and whether every schedule is a plain weekly one, copied into OpeningSlot (else rrule decides).
    search_keys = models.TextField(blank=True, default="", editable=False)
    hours_in_slots = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar = ["name_fr"]
        indexes: ClassVar = [models.Index(fields=["status", "name_fr"], name="directory_service_status")]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _translated(self.name_fr, self.name_nl)

    @property
    def description(self) -> str:
        return _translated(self.description_fr, self.description_nl)

    @property
    def eligibility(self) -> str:
        return _translated(self.eligibility_fr, self.eligibility_nl)

    @property
    def fees(self) -> str:
        return _translated(self.fees_fr, self.fees_nl)

    @property
    def required_documents(self) -> str:
        return _translated(self.required_documents_fr, self.required_documents_nl)

    @property
    def modality_list(self) -> list[str]:
        return [m for m in self.modalities.split() if m in Modality.values]

    @property
    def modality_labels(self) -> list[str]:
        return [str(Modality(m).label) for m in self.modality_list]

    @property
    def postal_code_list(self) -> list[str]:
        return self.extra_postal_codes.split()

    @property
    def is_published(self) -> bool:
        return self.status == ServiceStatus.PUBLISHED

    @property
    def crisis_in_force(self) -> bool:
        """A status other than "as usual" whose end date (if any) has not passed."""
        return self.crisis_status != CrisisStatus.USUAL and (
            self.crisis_until is None or self.crisis_until >= timezone.localdate()
        )

    @property
    def holiday_calendar_labels(self) -> list[str]:
        from maillage.directory.calendars import CALENDARS

        return [str(CALENDARS[code]) for code in self.holiday_calendars.split() if code in CALENDARS]

    def location_hours(self) -> list[LocationHours]:
        """The hours the service takes from its locations: none when it has a schedule of its own, else
        each location's schedules with no service (HSDS lets hours belong to the building only).

        Reads prefetched rows when the caller prefetched HOURS_PREFETCH (one query per level otherwise)."""
        if self.schedules.all():
            return []
        hours = []
        for link in sorted(self.service_at_locations.all(), key=lambda link: link.pk):
            location = link.location
            schedules = [schedule for schedule in location.schedules.all() if schedule.service_id is None]
            if schedules:
                closures = [e for e in location.schedule_exceptions.all() if e.service_id is None]
                hours.append(LocationHours(location, schedules, closures))
        return hours

    def hours_line(self) -> str:
        """Its weekly hours on one line, as the printed sheets (HTML and PDF) show them: its own
        schedules, else its locations'; days in the reader's language."""
        borrowed = [] if self.schedules.all() else self.location_hours()
        schedules = list(self.schedules.all()) or [s for hours in borrowed for s in hours.schedules]
        line = "; ".join(f"{s.days_display} {s.opens_at:%H:%M}–{s.closes_at:%H:%M}" for s in schedules)
        from maillage.directory.calendars import CALENDARS

        codes = set(self.holiday_calendars.split()).union(*(h.location.holiday_calendars.split() for h in borrowed))
        labels = [str(label) for code, label in CALENDARS.items() if code in codes]
        if line and labels:
            line += " — " + _("closed on %(calendars)s") % {"calendars": ", ".join(labels)}
        return line


class ServiceLanguage(models.Model):
    """HSDS `language`: one language a service is offered in (rows make filtering an index lookup)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="language_rows")
    code = models.CharField(max_length=10)
    # HSDS `name` and `note` as the exchange gave them (e.g. "Urdu"), so they come back unchanged.
    name = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["service", "code"], name="directory_service_language_unique")
        ]
        indexes: ClassVar = [models.Index(fields=["code", "service"], name="directory_language_code")]

    def __str__(self) -> str:
        return self.code


class Location(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        DirectoryOrganisation, on_delete=models.CASCADE, related_name="locations", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    address = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    commune = models.ForeignKey(
        "core.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="directory_locations",
        verbose_name=_("commune"),
    )
    latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    accessibility = models.TextField(_("accessibility"), blank=True)
    holiday_calendars = models.CharField(_("closed on the holidays of"), max_length=100, blank=True)
    transportation = models.TextField(_("how to get there"), blank=True)
    # The HSDS id of the location's address, kept from an exchange (none: derived from the location's).
    address_uuid = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering: ClassVar = ["postal_code", "address"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return ", ".join(part for part in (self.name, self.address, f"{self.postal_code} {self.city}".strip()) if part)


class ServiceAtLocation(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_at_locations")
    description = models.TextField(_("description"), blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["service", "location"], name="directory_service_at_location_unique")
        ]
        verbose_name = _("service at location")
        verbose_name_plural = _("services at locations")

    def __str__(self) -> str:
        return f"{self.service} @ {self.location}"


class Phone(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        DirectoryOrganisation, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="phones")
    number = models.CharField(_("phone number"), max_length=30)
    extension = models.CharField(_("extension"), max_length=10, blank=True)
    kind = models.CharField(_("type"), max_length=20, blank=True, default="voice")
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["id"]
        verbose_name = _("phone")
        verbose_name_plural = _("phones")

    def __str__(self) -> str:
        return self.number


class Frequency(models.TextChoices):
    WEEKLY = "WEEKLY", _("Every week")
    MONTHLY = "MONTHLY", _("Every month")


WEEKDAY_ABBREVIATIONS = (
    ("MO", _("Mon")),
    ("TU", _("Tue")),
    ("WE", _("Wed")),
    ("TH", _("Thu")),
    ("FR", _("Fri")),
    ("SA", _("Sat")),
    ("SU", _("Sun")),
)


class Schedule(models.Model):
    """HSDS schedule: an RFC 5545 recurrence with opening and closing times, in Europe/Brussels."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    freq = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(_("interval"), default=1)
    # RFC 5545 BYDAY, e.g. "MO,TU,WE" or "1MO" (first Monday, with MONTHLY).
    byday = models.CharField(_("days"), max_length=60, blank=True)
    bymonthday = models.CharField(_("days of the month"), max_length=60, blank=True)
    opens_at = models.TimeField(_("opens at"))
    closes_at = models.TimeField(_("closes at"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)
    # RFC 5545 DTSTART, UNTIL and COUNT as HSDS carries them (a bounded recurrence stays bounded).
    dtstart = models.DateField(_("first occurrence"), null=True, blank=True)
    until = models.DateField(_("last occurrence"), null=True, blank=True)
    count = models.PositiveIntegerField(_("number of occurrences"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering: ClassVar = ["id"]
        indexes: ClassVar = [models.Index(fields=["service", "opens_at"], name="directory_schedule_service")]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")

    def __str__(self) -> str:
        return f"{self.rrule_text} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    @property
    def days_display(self) -> str:
        """The days in the reader's language, e.g. "Mon, Tue" or "1st Wed of the month"."""
        names = {code: str(label) for code, label in WEEKDAY_ABBREVIATIONS}
        days = []
        for part in filter(None, self.byday.split(",")):
            code, ordinal = part[-2:], part[:-2]
            days.append(f"{ordinal}. {names.get(code, code)}" if ordinal else names.get(code, code))
        text = ", ".join(days) or self.bymonthday
        if self.freq == Frequency.MONTHLY:
            text = _("%(days)s of the month") % {"days": text}
        if self.interval > 1:
            text = _("%(days)s, every %(interval)s periods") % {"days": text, "interval": self.interval}
        return text

    @property
    def first_day(self) -> date | None:
        """The first day it may open: its validity's start or its first occurrence (HSDS dtstart), the later."""
        return max((day for day in (self.valid_from, self.dtstart) if day is not None), default=None)

    @property
    def last_day(self) -> date | None:
        """The last day it may open: its validity's end or its last occurrence (HSDS until), the earlier."""
        return min((day for day in (self.valid_to, self.until) if day is not None), default=None)

    @property
    def rrule_text(self) -> str:
        """The recurrence as an RFC 5545 RRULE value."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append(f"BYDAY={self.byday}")
        if self.bymonthday:
            parts.append(f"BYMONTHDAY={self.bymonthday}")
        return ";".join(parts)


class OpeningSlot(models.Model):
    """A weekly opening slot of a service, derived from its plain weekly schedules (search/keys.py).

    Minutes of the week on the Brussels wall clock (Monday 00:00 = 0); `end` is `start` plus
    the duration, so a slot past midnight runs into the next day (and past 10080 on Sunday).
    The validity dates are the schedule's days (validity narrowed by dtstart and until) and apply
    to the day the slot starts.
    """

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="opening_slots")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["start", "end"]
        indexes: ClassVar = [models.Index(fields=["service", "start", "end"], name="directory_slot_service")]

    def __str__(self) -> str:
        return f"{self.service_id} {self.start}–{self.end}"


class ScheduleException(models.Model):
    """A closure (holidays, strike...) or special hours for some days, overriding the schedules."""

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedule_exceptions"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedule_exceptions"
    )
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["start_date"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")), name="directory_exception_dates_ordered"
            )
        ]
        verbose_name = _("closure or special hours")
        verbose_name_plural = _("closures and special hours")

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date} {self.reason}"


class LocationHours(NamedTuple):
    """A location's own schedules and closures, taken by a service that gives no hours (Service.location_hours)."""

    location: Location
    schedules: list[Schedule]
    exceptions: list[ScheduleException]


# What opening.py and Service.location_hours() read, to prefetch for lists of services.
HOURS_PREFETCH = (
    "schedules",
    "schedule_exceptions",
    "service_at_locations__location__schedules",
    "service_at_locations__location__schedule_exceptions",
)


class Worker(models.Model):
    """A person working in a service, listed with their consent; seen by signed-in professionals only."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="workers")
    full_name = models.CharField(_("full name"), max_length=150)
    function_fr = models.CharField(_("function (French)"), max_length=200)
    function_nl = models.CharField(_("function (Dutch)"), max_length=200, blank=True)
    email = models.EmailField(_("direct email"), blank=True)
    phone = models.CharField(_("direct phone"), max_length=30, blank=True)
    consent = models.BooleanField(_("agrees to be listed"), default=False)
    consent_at = models.DateTimeField(_("consent given on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The account of the worker, who then keeps their own card up to date.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_cards",
        verbose_name=_("account"),
    )
    show_email = models.BooleanField(_("show my professional email"), default=True)
    show_phone = models.BooleanField(_("show my professional phone"), default=True)
    # Language codes, space-separated ("fr ar"): filtered with a plain text match on every database.
    languages = models.CharField(_("languages spoken"), max_length=100, blank=True)
    needs = models.ManyToManyField(
        "taxonomy.Category", related_name="directory_workers", blank=True, verbose_name=_("needs handled")
    )
    area_communes = models.ManyToManyField(
        "core.Commune", related_name="directory_workers", blank=True, verbose_name=_("communes covered")
    )
    quartiers = models.ManyToManyField(
        "directory.Quartier", related_name="workers", blank=True, verbose_name=_("quartiers covered")
    )
    # When the card was last confirmed (by the worker or an editor): unconfirmed for too long, it is flagged.
    confirmed_at = models.DateTimeField(_("card confirmed on"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["full_name"]
        # The people search walks the names in order and stops at a page of matches.
        indexes: ClassVar = [models.Index(fields=["full_name", "id"], name="directory_worker_name")]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")

    def __str__(self) -> str:
        return self.full_name

    @property
    def function(self) -> str:
        return _translated(self.function_fr, self.function_nl)

    @property
    def shown_email(self) -> str:
        """The professional email the worker chose to show ("" otherwise)."""
        return self.email if self.show_email else ""

    @property
    def shown_phone(self) -> str:
        return self.phone if self.show_phone else ""


class ChangeKind(models.TextChoices):
    CREATED = "created", _("New service")
    UPDATED = "updated", _("Information updated")
    STATUS = "status", _("Status changed")
    VERIFIED = "verified", _("Confirmed still accurate")


class ServiceChange(models.Model):
    """A public trace of a change, for the recent-changes page and feed (the audit log keeps the detail)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("change"), max_length=10, choices=ChangeKind.choices)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    # For a status change: the new status and its note, so the summary can be shown in each reader's language.
    new_status = models.CharField(_("new status"), max_length=10, choices=CrisisStatus.choices, blank=True)
    note = models.CharField(_("status note"), max_length=280, blank=True)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("service change")
        verbose_name_plural = _("service changes")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.service} {self.kind}"

    @property
    def text(self) -> str:
        """The summary in the reader's language when the change was recorded with its status."""
        if not self.new_status:
            return self.summary
        label = str(CrisisStatus(self.new_status).label)
        return f"{label} — {self.note}" if self.note else label


class Subscription(models.Model):
    """A professional follows a commune and/or a need and gets the matching changes by email."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_subscriptions")
    commune = models.ForeignKey(
        "core.Commune", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("commune")
    )
    need = models.ForeignKey(
        "taxonomy.Category", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("need")
    )
    # Changes after this moment go into the next digest (set to the creation time at first).
    last_sent_at = models.DateTimeField(_("last digest covers up to"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["id"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "commune", "need"],
                name="directory_subscription_unique",
            )
        ]
        verbose_name = _("subscription to changes")
        verbose_name_plural = _("subscriptions to changes")

    def __str__(self) -> str:
        return " / ".join(str(part) for part in (self.commune, self.need) if part is not None)


class SearchGeneration(models.Model):
    """One row: the number and random token of the latest change to what the search reads. Each
    process compares it with the one its in-memory search index holds (generation.py)."""

    value = models.CharField(max_length=32)
    number = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.number} {self.value}"


class SearchChange(models.Model):
    """A service whose search entry changed at this generation (no service: all of them)."""

    number = models.BigIntegerField()
    token = models.CharField(max_length=32)
    service_id = models.BigIntegerField(null=True)  # not a foreign key: deleted services are named too

    class Meta:
        indexes: ClassVar = [models.Index(fields=["number"], name="directory_searchchange_number")]

    def __str__(self) -> str:
        return f"{self.number} {self.service_id or 'all'}"


from maillage.directory.models_network import (  # noqa: E402  the directory's other models
    CorrectionSuggestion,
    Network,
    NetworkKind,
    Quartier,
    SuggestionStatus,
)

__all__ = [
    "CorrectionSuggestion",
    "Network",
    "NetworkKind",
    "Quartier",
    "SuggestionStatus",
]


class ServiceArea(models.Model):
    """An HSDS `service_area` as an exchange gave it: its id, name, description and extent, kept unchanged.

    The search reads the service's communes (`Service.area_communes`); a row naming a Brussels
    commune points to it, any other area (a municipality outside Brussels, a GeoJSON extent...) is kept as given.
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="hsds_areas")
    name = models.CharField(max_length=500, blank=True)
    description = models.TextField(blank=True)
    extent = models.TextField(blank=True)
    extent_type = models.CharField(max_length=50, blank=True)
    uri = models.CharField(max_length=500, blank=True)
    commune = models.ForeignKey("core.Commune", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    region = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["id"]

    def __str__(self) -> str:
        return self.name
