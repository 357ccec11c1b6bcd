"""Events, their sessions, themes and groups, registrations, attendance, rapporteur notes and recommendations."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Language, Organisation, Sector, User


def _in_language(french: str, dutch: str, english: str = "") -> str:
    """The text in the current language where it was written, else the French one."""
    language = get_language()
    if language == "nl" and dutch:
        return dutch
    if language == "en" and english:
        return english
    return french


class EventKind(models.TextChoices):
    WEBINAR = "webinar", _("Webinar")
    INTERVISION = "intervision", _("Intervision cycle")
    WORKSHOP_SERIES = "workshop_series", _("Workshop series")
    DAY_EVENT = "day_event", _("Day event")


class Audience(models.TextChoices):
    ANYONE = "anyone", _("Anyone")
    MEMBERS = "members", _("Members of the federation only")
    FRONTLINE = "frontline", _("Front-line workers")


class CapacityRules(models.Model):
    """What an event, a theme and a group each may limit: seats and people of one organisation."""

    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True, help_text=_("Empty: no limit."))
    per_organisation = models.PositiveIntegerField(
        _("at most this many people of one organisation"), null=True, blank=True, help_text=_("Empty: no limit.")
    )

    class Meta:
        abstract = True


class Event(CapacityRules):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="events_led", verbose_name=_("lead organiser")
    )
    organisers = models.ManyToManyField(Organisation, related_name="events_organised", verbose_name=_("organisers"))
    # The end of the event page's web address; the postal address is `street`, `postal_code` and `city`.
    slug = models.SlugField(_("web address"), unique=True, max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    place = models.CharField(
        _("venue"),
        max_length=300,
        blank=True,
        help_text=_("The name of the place, e.g. COOP. Shown to confirmed participants."),
    )
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=4, blank=True)
    city = models.CharField(_("municipality"), max_length=100, blank=True)
    online_link = models.URLField(_("online link"), blank=True, help_text=_("Shown to confirmed participants."))
    practical_details = models.TextField(_("practical details"), blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("registration deadline"), null=True, blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.ANYONE)
    audience_sector = models.CharField(_("sector of the audience"), max_length=20, choices=Sector.choices, blank=True)
    ask_function = models.BooleanField(_("ask the function"), default=True)
    ask_sector = models.BooleanField(_("ask the sector"), default=False)
    ask_accessibility = models.BooleanField(_("ask about accessibility needs"), default=True)
    requires_approval = models.BooleanField(
        _("organisers approve each registration"), default=False, help_text=_("Validated by an invitation.")
    )
    invitation_only = models.BooleanField(_("entry by invitation only"), default=False)
    confirmation_hours = models.PositiveIntegerField(_("hours to confirm the email address"), default=48)
    offer_hours = models.PositiveIntegerField(_("hours to take up a freed place"), default=48)
    is_published = models.BooleanField(_("published"), default=False)
    # The book of recommendations, public at /events/<slug>/book/ from then on.
    book_published_at = models.DateTimeField(_("book published"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_fr, self.title_nl, self.title_en)

    @property
    def description(self) -> str:
        return _in_language(self.description_fr, self.description_nl, self.description_en)

    @property
    def address(self) -> str:
        """The postal address on one line: "Quai Fernand Demets 23, 1070 Anderlecht"."""
        return ", ".join(part for part in (self.street, f"{self.postal_code} {self.city}".strip()) if part)

    @property
    def location(self) -> str:
        """Where it happens, as told to confirmed participants: the venue and its address."""
        return ", ".join(part for part in (self.place, self.address) if part)

    @property
    def has_themes(self) -> bool:
        return self.kind == EventKind.WORKSHOP_SERIES

    @property
    def has_groups(self) -> bool:
        return self.kind == EventKind.INTERVISION


class Theme(CapacityRules):
    """A theme of a workshop series: its own sessions, registered for one by one."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="themes")
    position = models.PositiveSmallIntegerField(default=0)
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_nl = models.TextField(_("description (Dutch)"), blank=True)
    closes_at = models.DateTimeField(
        _("registration deadline"), null=True, blank=True, help_text=_("Empty: the event's deadline.")
    )

    class Meta:
        ordering: ClassVar = ["event", "position", "id"]
        verbose_name = _("theme")
        verbose_name_plural = _("themes")

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self.title_fr, self.title_nl)

    @property
    def description(self) -> str:
        return _in_language(self.description_fr, self.description_nl)


class Group(CapacityRules):
    """A closed group of an intervision cycle, with its own sessions and two facilitators."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="groups")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=100)
    facilitators = models.CharField(_("facilitators"), max_length=300, blank=True)

    class Meta:
        ordering: ClassVar = ["event", "position", "id"]
        verbose_name = _("group")
        verbose_name_plural = _("groups")

    def __str__(self) -> str:
        return self.name


class Session(models.Model):
    """One dated meeting: of the whole event, of a theme, or of a group."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    theme = models.ForeignKey(
        Theme, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions", verbose_name=_("theme")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions", verbose_name=_("group")
    )
    title = models.CharField(_("title"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    place = models.CharField(_("place"), max_length=300, blank=True, help_text=_("Empty: the event's place."))
    # Raised at each move or cancellation: calendars replace their copy when it grows (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["starts_at", "id"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="events_session_ends_after"),
        ]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at).strftime("%d/%m/%Y %H:%M")
        label = self.title or (self.theme.title if self.theme else self.group.name if self.group else "")
        return f"{label} · {when}" if label else when


class Participant(models.Model):
    """A person who registered for an event, without an account: reached by their personal link."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="participants")
    full_name = models.CharField(_("full name"), max_length=150)
    email = models.EmailField(_("email address"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="event_participants"
    )
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    # Who counts as "the same organisation" for the per-organisation caps.
    organisation_key = models.CharField(max_length=220, db_index=True)
    function = models.CharField(_("function"), max_length=150, blank=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    token = models.CharField(max_length=64, unique=True)
    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["full_name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "email"], name="events_participant_once_per_event"),
        ]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return self.full_name

    @property
    def organisation_label(self) -> str:
        return self.organisation.short_name if self.organisation else self.organisation_name


class Status(models.TextChoices):
    PENDING = "pending", _("Awaiting email confirmation")
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting the organisers' approval")
    CONFIRMED = "confirmed", _("Confirmed")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    REFUSED = "refused", _("Refused")


# Registrations that hold a seat: counted against every capacity and per-organisation cap.
HOLDING = (Status.PENDING, Status.AWAITING_APPROVAL, Status.CONFIRMED, Status.OFFERED)
ACTIVE = (*HOLDING, Status.WAITING)


class Registration(models.Model):
    """A participant's place in an event, or in one theme of a workshop series."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="registrations")
    theme = models.ForeignKey(
        Theme, on_delete=models.PROTECT, null=True, blank=True, related_name="registrations", verbose_name=_("theme")
    )
    preferred_group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("preferred group")
    )
    group = models.ForeignKey(
        Group, on_delete=models.PROTECT, null=True, blank=True, related_name="registrations", verbose_name=_("group")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The waiting list's order.
    waiting_since = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "id"]
        constraints: ClassVar = [
            # A double click lands on the same row, never a second one.
            models.UniqueConstraint(
                fields=["participant", "theme"],
                name="events_registration_once_per_theme",
                condition=Q(theme__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["participant"], name="events_registration_once_per_event", condition=Q(theme__isnull=True)
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["event", "status"], name="events_reg_event_status")]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")

    def __str__(self) -> str:
        return f"{self.participant} · {self.theme or self.event}"

    @property
    def holds_seat(self) -> bool:
        return self.status in HOLDING


class Attendance(models.Model):
    class Method(models.TextChoices):
        QR = "qr", _("QR code")
        NAME = "name", _("By name")

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="attendances")
    method = models.CharField(max_length=10, choices=Method.choices)
    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering: ClassVar = ["checked_in_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "registration"], name="events_attendance_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}"


class Reminder(models.Model):
    """The day-before reminder sent for one session to one registration (sent once)."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="reminders")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="reminders")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "registration"], name="events_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}"


class Question(models.Model):
    """A question rapporteurs answer for their group, e.g. "agree, but"."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    label_fr = models.CharField(_("question (French)"), max_length=200)
    label_nl = models.CharField(_("question (Dutch)"), max_length=200, blank=True)

    class Meta:
        ordering: ClassVar = ["event", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return _in_language(self.label_fr, self.label_nl)


class Breakout(models.Model):
    """A workshop or breakout group whose rapporteur writes notes."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="breakouts")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="breakouts", verbose_name=_("theme")
    )
    name = models.CharField(_("name"), max_length=100)
    rapporteur = models.CharField(_("rapporteur"), max_length=150, blank=True)

    class Meta:
        ordering: ClassVar = ["event", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["event", "name"], name="events_breakout_unique_name"),
        ]
        verbose_name = _("breakout group")
        verbose_name_plural = _("breakout groups")

    def __str__(self) -> str:
        return self.name


class NotePoint(models.Model):
    """One bullet point of a rapporteur's notes; merged points point at the one that keeps them."""

    breakout = models.ForeignKey(Breakout, on_delete=models.CASCADE, related_name="points")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="points")
    text = models.TextField(_("point"))
    position = models.PositiveIntegerField(default=0)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_points"
    )
    # The organisers' wording in the synthesis; the rapporteur's text stays as it was written.
    synthesis_text = models.TextField(_("wording in the synthesis"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["question", "breakout", "position", "id"]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def shown_text(self) -> str:
        return self.synthesis_text or self.text


class Recommendation(models.Model):
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="recommendations")
    theme = models.ForeignKey(
        Theme, on_delete=models.SET_NULL, null=True, blank=True, related_name="recommendations", verbose_name=_("theme")
    )
    position = models.PositiveIntegerField(_("order"), default=0)
    diagnosis = models.TextField(_("diagnosis"))
    recommendation = models.TextField(_("recommendation"))
    implementation = models.TextField(_("how to implement it"), blank=True)
    addressed_to = models.CharField(_("addressed to"), max_length=200, blank=True)
    sources = models.ManyToManyField(NotePoint, blank=True, related_name="recommendations", verbose_name=_("points"))

    class Meta:
        ordering: ClassVar = ["event", "theme__position", "position", "id"]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return self.recommendation[:80]

    @property
    def follow_status(self) -> str:
        """The latest dated status (updates prefetched or not); proposed before any."""
        updates = sorted(self.updates.all(), key=lambda update: (update.on, update.pk))
        return updates[-1].status if updates else FollowStatus.PROPOSED

    def get_follow_status_display(self) -> str:
        return str(FollowStatus(self.follow_status).label)


class CalendarCopy(models.Model):
    """One invitation (a registration at a session) as it should stand in the organisers' CalDAV calendar.

    Marked pending whenever it changes; the `sync_calendars` task makes the server match (store, update or
    remove) and clears the mark, or keeps it with the server's answer so nothing is lost when it refuses.
    """

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="calendar_copies")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="calendar_copies")
    pending = models.BooleanField(default=True, db_index=True)
    stored_sequence = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["registration", "session"], name="events_calendar_copy_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}"

    @property
    def uid(self) -> str:
        return calendar_uid(self.session_id, self.registration_id)


def calendar_uid(session_id: int, registration_id: int) -> str:
    """The invitation's UID, the same in every email and calendar copy of it."""
    return f"session-{session_id}-registration-{registration_id}@maillage"


class FollowStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    TAKEN_UP = "taken_up", _("Taken up")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class RecommendationUpdate(models.Model):
    """What became of a recommendation after the book was published: a dated status and a note."""

    recommendation = models.ForeignKey(Recommendation, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=FollowStatus.choices)
    on = models.DateField(_("date"))
    note = models.TextField(_("what happened"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["recommendation", "on", "id"]
        verbose_name = _("follow-up of a recommendation")
        verbose_name_plural = _("follow-ups of recommendations")

    def __str__(self) -> str:
        return f"{self.recommendation_id}: {self.status} ({self.on})"


class ScheduledMessage(models.Model):
    """A message to participants that an organiser wrote for a chosen date and time; sent by a task."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scheduled_messages")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    send_at = models.DateTimeField(_("send on"))
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["send_at", "id"]
        indexes: ClassVar = [models.Index(fields=["sent_at", "send_at"], name="events_scheduled_due")]
        verbose_name = _("scheduled message")
        verbose_name_plural = _("scheduled messages")

    def __str__(self) -> str:
        return self.subject


class AbsenceNotice(models.Model):
    """The message sent once to a participant missing from a session of their cycle ("we missed you")."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="absence_notices")
    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="absence_notices")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "registration"], name="events_absence_notice_once"),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.session_id}"
