"""The helpline: opening hours, shifts, calls with their requests and actions, callbacks, debriefings.

The line is run by an organisation (the federation): every row carries that `organisation`,
and the people who answer hold the "responder" role there. No caller name or phone number
is ever stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Commune, Organisation
from maillage.core.runs import BackgroundRun
from maillage.taxonomy.models import Category

REQUEST_SCHEME = "request-themes"
# How long responders may correct their own calls.
OWN_EDIT_WINDOW = timedelta(hours=24)


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class LineLanguage(models.TextChoices):
    FR = "fr", _("French")
    NL = "nl", _("Dutch")
    EN = "en", _("English")
    OTHER = "other", _("Other language")


class CallerSex(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class CallerArea(models.TextChoices):
    BRUSSELS = "brussels", _("Brussels")
    OUTSIDE = "outside", _("Outside Brussels")
    UNKNOWN = "unknown", _("Unknown")


class CallerType(models.TextChoices):
    CONCERNED = "concerned", _("Person concerned")
    RELATIVE = "relative", _("Relative")
    PROFESSIONAL = "professional", _("Professional")
    OTHER = "other", _("Other")


class HeardVia(models.TextChoices):
    MEDIA = "media", _("Press, radio, TV")
    SOCIAL_MEDIA = "social_media", _("Social media")
    POSTER = "poster", _("Poster or leaflet")
    SERVICE = "service", _("A social service")
    RELATIVE = "relative", _("Family or friends")
    INTERNET = "internet", _("Internet search")
    OTHER = "other", _("Other")


class Urgency(models.TextChoices):
    LOW = "low", _("Not urgent")
    MEDIUM = "medium", _("Urgent (days)")
    HIGH = "high", _("Very urgent (today)")


class Action(models.TextChoices):
    INFORMATION = "information", _("Information given")
    REFERRAL = "referral", _("Referral to a service")
    WARM_TRANSFER = "warm_transfer", _("Warm transfer")
    CALLBACK = "callback", _("Callback scheduled")
    NOTHING = "nothing", _("Nothing possible")
    NO_SERVICE = "no_service", _("No suitable service")
    OTHER = "other", _("Other")


# Actions that point at a service of the directory.
ACTIONS_WITH_SERVICE = frozenset({Action.REFERRAL, Action.WARM_TRANSFER})


class UnmetReason(models.TextChoices):
    """Why no service of the directory suited a request (an unanswered need)."""

    NONE_OPEN = "none_open", _("none open")
    NONE_IN_AREA = "none_in_area", _("none serving the area")
    NONE_IN_LANGUAGE = "none_in_language", _("none in the caller's language")
    NONE_AT_ALL = "none_at_all", _("none at all")


class OpeningHours(models.Model):
    """When the line answers: one row per weekday and time range, in force from `valid_from`."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    valid_from = models.DateField(_("in force from"))
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"))

    class Meta:
        ordering: ClassVar = ["organisation", "-valid_from", "weekday", "opens"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(opens__lt=models.F("closes")), name="helpline_hours_ordered"),
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "valid_from"], name="helpline_hours_from")]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Shift(models.Model):
    """A permanence: who answers the line, when, in which languages."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    languages = models.JSONField(_("languages of the line"), default=list)
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="helpline_shifts", blank=True, verbose_name=_("responders")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["starts_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=models.F("ends_at")), name="helpline_shift_ordered"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "starts_at"], name="helpline_shift_start")]
        verbose_name = _("shift")
        verbose_name_plural = _("shifts")

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        end = timezone.localtime(self.ends_at)
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"

    def language_labels(self) -> list[str]:
        labels = dict(LineLanguage.choices)
        return [str(labels.get(code, code)) for code in self.languages]


class Call(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responder"),
    )
    shift = models.ForeignKey(Shift, on_delete=models.SET_NULL, null=True, blank=True, related_name="calls")
    started_at = models.DateTimeField(_("start of the call"), db_index=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    language = models.CharField(_("language of the call"), max_length=5, choices=LineLanguage.choices)
    caller_sex = models.CharField(_("caller sex"), max_length=10, choices=CallerSex.choices)
    caller_area = models.CharField(_("caller area"), max_length=10, choices=CallerArea.choices)
    postal_code = models.CharField(_("caller postal code"), max_length=4, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    caller_type = models.CharField(_("caller type"), max_length=15, choices=CallerType.choices)
    heard_via = models.CharField(_("heard of the line through"), max_length=15, choices=HeardVia.choices, blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.LOW)
    comment = models.TextField(_("comment"), blank=True)
    comment_erased_at = models.DateTimeField(null=True, blank=True)
    # The reference a returning caller quoted (or was given): links calls without any identity.
    reference = models.ForeignKey(
        "helpline.CallerReference", on_delete=models.SET_NULL, null=True, blank=True, related_name="calls"
    )
    # The call identifier of an imported journal, so the same file is not imported twice.
    external_ref = models.CharField(_("identifier in the imported journal"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-started_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "started_at"], name="helpline_call_org_start"),
            models.Index(fields=["organisation", "external_ref"], name="helpline_call_ext_ref"),
        ]
        verbose_name = _("call")
        verbose_name_plural = _("calls")

    def __str__(self) -> str:
        return f"#{self.pk} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(minutes=self.duration_minutes)


class Request(models.Model):
    """One need expressed during a call, and what the responder did about it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="requests")
    position = models.PositiveSmallIntegerField(default=0)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("category"))
    # The level-1 category, kept with the row so shares by theme need no join.
    theme = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("theme"))
    note = models.CharField(_("short note"), max_length=300, blank=True)
    action = models.CharField(_("action taken"), max_length=15, choices=Action.choices)
    service = models.ForeignKey(
        "directory.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service referred to"),
    )
    # Set when no service suited ("no suitable service"): an unanswered need, counted by need and commune.
    unmet_reason = models.CharField(_("why no service suited"), max_length=20, choices=UnmetReason.choices, blank=True)
    # Copied from the call so the reports filter requests by time without a join.
    started_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["call", "position", "id"]
        # The reports read only these columns for a period: an index-only scan on PostgreSQL.
        indexes: ClassVar = [
            models.Index(
                fields=["organisation", "started_at", "theme", "category", "call", "position"],
                name="helpline_req_report_pos",
            ),
            # "No suitable service" is a rare ending: the bilan's unmet needs read them alone, not every
            # request of the period (a full scan of a million requests took half the page).
            models.Index(
                fields=["organisation", "started_at"],
                condition=models.Q(action="no_service"),
                name="helpline_req_unmet",
            ),
        ]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self) -> str:
        return f"{self.category.code} ({self.get_action_display()})"


class CallerReference(models.Model):
    """A short code given to a caller so a later call can be linked to the earlier ones; no identity kept."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(_("reference"), max_length=6, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("caller reference")
        verbose_name_plural = _("caller references")

    def __str__(self) -> str:
        return self.code


class CallbackOutcome(models.TextChoices):
    REACHED = "reached", _("Reached, done")
    NO_ANSWER = "no_answer", _("No answer")
    WRONG_NUMBER = "wrong_number", _("Could not call back")
    OTHER = "other", _("Other")


class Callback(models.Model):
    """A callback promised during a call, for the next shifts to do."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="callback")
    due_at = models.DateTimeField(_("call back on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(_("outcome"), max_length=15, choices=CallbackOutcome.choices, blank=True)
    outcome_note = models.CharField(_("outcome note"), max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["due_at", "id"]
        indexes: ClassVar = [models.Index(fields=["organisation", "done_at", "due_at"], name="helpline_cb_open")]
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")

    def __str__(self) -> str:
        return f"{_('Callback')} {timezone.localtime(self.due_at):%Y-%m-%d %H:%M}"


class ShiftDebriefing(models.Model):
    """What a responder passes on at the end of a shift."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="debriefings")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    stood_out = models.TextField(_("what stood out"), blank=True)
    difficult_situations = models.TextField(_("difficult situations"), blank=True)
    signals = models.TextField(_("signals to pass on"), blank=True)
    calls_felt_heavy = models.BooleanField(_("a heavy shift"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["shift", "author"], name="helpline_debriefing_once_per_shift"),
        ]
        verbose_name = _("shift debriefing")
        verbose_name_plural = _("shift debriefings")

    def __str__(self) -> str:
        return f"{self.shift} · {self.author}"


class WeeklyNote(models.Model):
    """The note of the weekly collective debriefing (Monday noon)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    week_start = models.DateField(_("week of"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-week_start"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "week_start"], name="helpline_weekly_note_unique"),
        ]
        verbose_name = _("weekly debriefing note")
        verbose_name_plural = _("weekly debriefing notes")

    def __str__(self) -> str:
        return f"{self.week_start:%Y-%m-%d}"


class JournalImport(BackgroundRun):
    """One upload of a past call journal: its stored file, progress and the report of bad rows.

    The file is kept in the storage (a 60 MB journal once sat in a database column); the run's
    status, heartbeat and failure reason come from core.runs, so an import always ends.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(max_length=200)
    file = models.FileField(_("stored file"), max_length=255, blank=True)
    skip_bad_rows = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    calls_created = models.PositiveIntegerField(default=0)
    requests_created = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("journal import")
        verbose_name_plural = _("journal imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 100 if self.is_finished else 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


# ---------------------------------------------------------------------------------------------
# The rota: the line's calendar, its slots, the member services that commit to them


class SpecialDay(models.Model):
    """A day with other hours than the weekly ones (a crisis: extended hours) or closed (no hours),
    for both lines (language "") or for the French or the Dutch line only (that one wins on its line)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    language = models.CharField(
        _("line"),
        max_length=5,
        blank=True,
        default="",
        choices=[(LineLanguage.FR, LineLanguage.FR.label), (LineLanguage.NL, LineLanguage.NL.label)],
    )
    opens = models.TimeField(_("opens at"), null=True, blank=True)
    closes = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("why"), max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["day", "language"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "day", "language"], name="helpline_special_day_once"),
        ]
        verbose_name = _("special day")
        verbose_name_plural = _("special days")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"


class RotaService(models.Model):
    """A member service taking turns on the line, with the responders it sends."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    responders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="helpline_rota_services", blank=True, verbose_name=_("responders")
    )

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="helpline_rota_service_name"),
        ]
        verbose_name = _("service of the rota")
        verbose_name_plural = _("services of the rota")

    def __str__(self) -> str:
        return self.name


class RotaMonth(models.Model):
    """A month of the rota, generated from the calendar, with the deadline to fill it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(_("month"))  # its first day
    deadline = models.DateField(_("to be filled by"))
    # How it was last generated: adding a day's missing slots later cuts them the same way.
    languages = models.JSONField(_("lines"), default=list)
    slot_hours = models.PositiveSmallIntegerField(_("hours per slot"), default=4)

    class Meta:
        ordering: ClassVar = ["-month"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "month"], name="helpline_rota_month_once"),
        ]
        verbose_name = _("month of the rota")
        verbose_name_plural = _("months of the rota")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class Slot(models.Model):
    """One turn on the line in one language, taken by one service and one of its responders."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    language = models.CharField(_("language of the line"), max_length=5, choices=LineLanguage.choices)
    service = models.ForeignKey(
        RotaService, on_delete=models.SET_NULL, null=True, blank=True, related_name="slots", verbose_name=_("service")
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    swapped = models.BooleanField(_("swapped or covered"), default=False)
    reminded_at = models.DateTimeField(null=True, blank=True)
    gap_alerted_at = models.DateTimeField(null=True, blank=True)
    # Set when the line's hours changed after a service took the slot: kept (and shown) so the service
    # knows, never served, not counted as a turn; its time can get a new slot.
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["starts_at", "language"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "starts_at", "language"],
                condition=models.Q(cancelled_at__isnull=True),
                name="helpline_slot_once",
            ),
            models.CheckConstraint(condition=models.Q(starts_at__lt=models.F("ends_at")), name="helpline_slot_ordered"),
        ]
        indexes: ClassVar = [models.Index(fields=["organisation", "starts_at"], name="helpline_slot_start")]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at)
        return f"{start:%Y-%m-%d %H:%M}–{timezone.localtime(self.ends_at):%H:%M} {self.language.upper()}"


class ChangeKind(models.TextChoices):
    SWAP = "swap", _("Swap")
    COVER = "cover", _("Cover")


class ChangeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for an answer")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")


class SlotChange(models.Model):
    """A responder asks another to cover their slot, or to swap it with one of theirs."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="changes")
    other_slot = models.ForeignKey(Slot, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    offered_to = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("swap or cover request")
        verbose_name_plural = _("swap or cover requests")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.slot}"


class FeedToken(models.Model):
    """The unguessable key of an iCalendar feed of a responder's or a service's slots; revocable."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    service = models.ForeignKey(RotaService, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"feed {self.pk}"
