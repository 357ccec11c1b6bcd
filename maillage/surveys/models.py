"""Surveys of the network: a questionnaire, its questions, who is asked, and the answers.

A survey belongs to the federation (its staff build and read it). Its audience is the member
organisations (one answer each, through a personal link sent to the coordinator), anyone with the
public link, or signed-in workers. A repeated survey is a series of waves, each a Survey with the
same question keys, so the waves can be compared.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Organisation, Region, Sector


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Audience(models.TextChoices):
    ORGANISATIONS = "organisations", _("Member organisations (one answer each)")
    PUBLIC = "public", _("Anyone with the public link (anonymous)")
    WORKERS = "workers", _("Signed-in workers")


class Cadence(models.TextChoices):
    MONTHLY = "monthly", _("Every month")
    QUARTERLY = "quarterly", _("Every quarter")


def _in_language(obj: object, field: str) -> str:
    language = (get_language() or "fr")[:2]
    for code in (language, "fr", "nl", "en"):
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return str(value)
    return ""


class Series(models.Model):
    """The same questionnaire asked again each month or quarter: its waves are surveys."""

    title = models.CharField(_("title"), max_length=200)
    cadence = models.CharField(_("cadence"), max_length=10, choices=Cadence.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("repeated survey")

    def __str__(self) -> str:
        return self.title


class Survey(models.Model):
    title_fr = models.CharField(_("title (French)"), max_length=200)
    title_nl = models.CharField(_("title (Dutch)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_fr = models.TextField(_("introduction (French)"), blank=True)
    intro_nl = models.TextField(_("introduction (Dutch)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    audience = models.CharField(_("who answers"), max_length=20, choices=Audience.choices)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    series = models.ForeignKey(Series, on_delete=models.PROTECT, null=True, blank=True, related_name="waves")
    wave = models.DateField(_("period of the wave"), null=True, blank=True)
    public_token = models.CharField(max_length=64, unique=True, default=new_token)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_at", "-pk"]
        verbose_name = _("survey")
        constraints = [
            models.UniqueConstraint(fields=["series", "wave"], name="surveys_one_wave_per_period"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="surveys_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return _in_language(self, "title")

    @property
    def intro(self) -> str:
        return _in_language(self, "intro")

    def is_open(self, now: object = None) -> bool:
        moment = now or timezone.now()
        return bool(self.opens_at <= moment < self.closes_at)  # type: ignore[operator]


class Kind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    NUMBER = "number", _("Number")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    SCALE = "scale", _("Scale")
    DATE = "date", _("Date")
    GRID = "grid", _("Grid (rows × choices)")


CHOICE_KINDS = {Kind.SINGLE, Kind.MULTIPLE, Kind.GRID}
TEXT_KINDS = {Kind.SHORT_TEXT, Kind.LONG_TEXT}


class Question(models.Model):
    """One question. Choices and grid rows are lists of {"value", "fr", "nl", "en"}."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveIntegerField(default=0)
    # The same key in every wave of a series: the trend compares answers of one key.
    key = models.SlugField(_("key"), max_length=50)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text_fr = models.CharField(_("question (French)"), max_length=500)
    text_nl = models.CharField(_("question (Dutch)"), max_length=500, blank=True)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(default=list, blank=True)
    rows = models.JSONField(default=list, blank=True)
    minimum = models.IntegerField(_("minimum"), null=True, blank=True)
    maximum = models.IntegerField(_("maximum"), null=True, blank=True)
    condition_question = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("shown when")
    )
    condition_value = models.CharField(_("has the answer"), max_length=50, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["survey", "key"], name="surveys_question_key_unique")]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return _in_language(self, "text")

    @staticmethod
    def label_of(item: dict[str, str]) -> str:
        language = (get_language() or "fr")[:2]
        return str(item.get(language) or item.get("fr") or item.get("value") or "")

    def choice_labels(self) -> list[tuple[str, str]]:
        return [(str(item["value"]), self.label_of(item)) for item in self.choices]

    def row_labels(self) -> list[tuple[str, str]]:
        return [(str(item["value"]), self.label_of(item)) for item in self.rows]


class Invitation(models.Model):
    """A member organisation asked to answer: its personal link (sent to the coordinator)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="survey_invitations")
    token = models.CharField(max_length=64, unique=True, default=new_token)
    sent_to = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    reminders = models.PositiveSmallIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "organisation"], name="surveys_one_invitation_per_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.survey} · {self.organisation}"


class Response(models.Model):
    """One questionnaire being filled: a draft until submitted. One per organisation, per worker."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What the filters read: the organisation's sector and region when it answered.
    sector = models.CharField(max_length=20, choices=Sector.choices, blank=True)
    region = models.CharField(max_length=20, choices=Region.choices, blank=True)
    # A public answer's key to continue later.
    resume_token = models.CharField(max_length=64, unique=True, default=new_token)
    answers = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "organisation"],
                condition=Q(organisation__isnull=False, user__isnull=True),
                name="surveys_one_response_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["survey", "user"], condition=Q(user__isnull=False), name="surveys_one_response_per_worker"
            ),
        ]
        indexes = [models.Index(fields=["survey", "submitted_at"], name="surveys_response_submitted")]

    def __str__(self) -> str:
        return f"{self.survey} #{self.pk}"
