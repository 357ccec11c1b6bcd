"""Newsletters: lists, subscribers (with their consent), editions and one delivery row per recipient.

The delivery row is what makes sending safe: one per (edition, subscriber), unique; a sender claims
it (committed) before talking to the SMTP server and marks it sent before the message's last line
goes out, so a sender killed at any point leaves each row either sent (the server has it) or to be
sent again (the server dropped the unfinished message).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Organisation


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ListLanguage(models.TextChoices):
    FR = "fr", _("French")
    NL = "nl", _("Dutch")
    BOTH = "both", _("French and Dutch")


class SubscriberLanguage(models.TextChoices):
    FR = "fr", _("French")
    NL = "nl", _("Dutch")


class NewsletterList(models.Model):
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=4, choices=ListLanguage.choices, default=ListLanguage.BOTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("newsletter")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if (get_language() or "fr").startswith("nl") and self.name_nl:
            return self.name_nl
        return self.name_fr

    def languages(self) -> list[str]:
        return ["fr", "nl"] if self.language == ListLanguage.BOTH else [self.language]


class Subscriber(models.Model):
    email = models.EmailField(_("email address"), unique=True)
    language = models.CharField(_("language"), max_length=2, choices=SubscriberLanguage.choices, default="fr")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("organisation")
    )
    lists = models.ManyToManyField(NewsletterList, related_name="subscribers", blank=True)
    # The key of the links in every email (confirmation, preferences, unsubscribe).
    token = models.CharField(max_length=64, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed on"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed on"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended on"), null=True, blank=True)
    hard_bounces = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def receives(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None and self.suspended_at is None


class ConsentHow(models.TextChoices):
    FORM = "form", _("subscription form, confirmed by email")
    IMPORT = "import", _("imported with its consent date")
    PREFERENCES = "preferences", _("preference page")
    UNSUBSCRIBE = "unsubscribe", _("unsubscribed")
    ONE_CLICK = "one_click", _("one-click unsubscribe from the mail program")


class Consent(models.Model):
    """When and how a subscriber said yes (or no): kept as proof, never edited."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="consents")
    at = models.DateTimeField(_("when"), default=timezone.now)
    how = models.CharField(_("how"), max_length=20, choices=ConsentHow.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.subscriber} · {self.get_how_display()} · {self.at:%Y-%m-%d}"


class EditionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")


class Edition(models.Model):
    newsletter = models.ForeignKey(NewsletterList, on_delete=models.PROTECT, related_name="editions")
    subject_fr = models.CharField(_("subject (French)"), max_length=200, blank=True)
    subject_nl = models.CharField(_("subject (Dutch)"), max_length=200, blank=True)
    body_fr = models.TextField(
        _("text (French)"), blank=True, help_text=_("Markdown: **bold**, *italic*, [link](https://…), lists.")
    )
    body_nl = models.TextField(
        _("text (Dutch)"), blank=True, help_text=_("Markdown: **bold**, *italic*, [link](https://…), lists.")
    )
    status = models.CharField(max_length=10, choices=EditionStatus.choices, default=EditionStatus.DRAFT)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    recipients_ready = models.BooleanField(default=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "scheduled_at"], name="newsletters_edition_due")]

    def __str__(self) -> str:
        return self.subject

    @property
    def subject(self) -> str:
        if (get_language() or "fr").startswith("nl") and self.subject_nl:
            return self.subject_nl
        return self.subject_fr or self.subject_nl

    def subject_in(self, language: str) -> str:
        return (self.subject_nl if language == "nl" else self.subject_fr) or self.subject_fr or self.subject_nl

    def body_in(self, language: str) -> str:
        return (self.body_nl if language == "nl" else self.body_fr) or self.body_fr or self.body_nl


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("waiting")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    REFUSED = "refused", _("refused by the server")
    FAILED = "failed", _("failed")
    SKIPPED = "skipped", _("skipped (unsubscribed or suspended)")


class Delivery(models.Model):
    edition = models.ForeignKey(Edition, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["edition", "subscriber"], name="newsletters_one_delivery")]
        indexes = [models.Index(fields=["edition", "status"], name="newsletters_delivery_status")]

    def __str__(self) -> str:
        return f"{self.edition_id} → {self.subscriber_id}: {self.status}"
