"""The people side of the directory and what keeps its records true: Brussels quartiers, the
partnerships and local networks services and workers belong to, and public correction suggestions.

Imported at the end of models.py (its models are the directory app's)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Quartier(models.Model):
    """A neighbourhood of the Monitoring des Quartiers (BISA/IBSA): it may cross commune borders,
    so it names every commune it lies in. Loaded by `manage.py import_quartiers <file>`."""

    code = models.CharField(_("code"), max_length=10, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    name_nl = models.CharField(_("name (Dutch)"), max_length=150)
    communes = models.ManyToManyField("core.Commune", related_name="quartiers", verbose_name=_("communes"))

    class Meta:
        ordering: ClassVar = ["name_fr", "code"]
        verbose_name = _("quartier")
        verbose_name_plural = _("quartiers")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_nl if get_language() == "nl" and self.name_nl else self.name_fr


class NetworkKind(models.TextChoices):
    PARTNERSHIP = "partnership", _("Partnership")
    LOCAL_NETWORK = "local_network", _("Local network")
    CONTRACT = "contract", _("Local social-health contract")


class Network(models.Model):
    """A partnership or local network (e.g. a local social-health contract), with its members:
    the "with whom" of a service or a worker."""

    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=NetworkKind.choices, default=NetworkKind.PARTNERSHIP)
    description = models.TextField(_("description"), blank=True)
    communes = models.ManyToManyField("core.Commune", related_name="+", blank=True, verbose_name=_("communes"))
    services = models.ManyToManyField(
        "directory.Service", related_name="networks", blank=True, verbose_name=_("member services")
    )
    workers = models.ManyToManyField(
        "directory.Worker", related_name="networks", blank=True, verbose_name=_("member workers")
    )

    class Meta:
        ordering: ClassVar = ["name_fr"]
        verbose_name = _("network")
        verbose_name_plural = _("networks")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_nl if get_language() == "nl" and self.name_nl else self.name_fr


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    ACCEPTED = "accepted", _("Taken into account")
    REJECTED = "rejected", _("Rejected")


class CorrectionSuggestion(models.Model):
    """A correction suggested by anyone (no account) on a service's public page, moderated by the
    service's organisation or the federation."""

    service = models.ForeignKey(
        "directory.Service", on_delete=models.CASCADE, related_name="suggestions", verbose_name=_("service")
    )
    text = models.TextField(_("what should be corrected"))
    contact = models.CharField(_("your email (optional)"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    created_at = models.DateTimeField(_("received on"), auto_now_add=True)
    moderated_at = models.DateTimeField(_("moderated on"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        verbose_name = _("correction suggestion")
        verbose_name_plural = _("correction suggestions")

    def __str__(self) -> str:
        return f"{self.service_id} {self.created_at:%Y-%m-%d}"
