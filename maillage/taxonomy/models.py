"""Versioned category trees: schemes, versions, categories (two levels) and mappings between versions."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TranslatedLabel(models.Model):
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_nl = models.CharField(_("label (Dutch)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def label(self) -> str:
        language = get_language()
        if language == "nl":
            return self.label_nl or self.label_fr
        if language == "en":
            return self.label_en or self.label_fr
        return self.label_fr


class Scheme(TranslatedLabel):
    """A kind of classification, e.g. request themes, institution concerned, stage of the request."""

    code = models.SlugField(_("code"), max_length=50, unique=True)

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name = _("category scheme")
        verbose_name_plural = _("category schemes")

    def __str__(self) -> str:
        return self.label


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class SchemeVersion(models.Model):
    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    previous = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["scheme__code", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["scheme", "number"], name="scheme_version_unique"),
            # One draft at a time: each version has at most one successor, so mappings stay a chain.
            models.UniqueConstraint(
                fields=["scheme"], condition=models.Q(status="draft"), name="scheme_version_one_draft"
            ),
        ]
        verbose_name = _("scheme version")
        verbose_name_plural = _("scheme versions")

    def __str__(self) -> str:
        return f"{self.scheme.code} v{self.number}"

    @property
    def is_frozen(self) -> bool:
        """Published and retired versions never change: past records point at them."""
        return self.status != VersionStatus.DRAFT


class Category(TranslatedLabel):
    version = models.ForeignKey(SchemeVersion, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=30)
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="children")
    level = models.PositiveSmallIntegerField(_("level"), choices=[(1, "1"), (2, "2")])
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True, help_text=_("Retired categories stay for past records."))
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["version", "position", "code"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["version", "code"], name="category_code_unique_in_version"),
            models.CheckConstraint(
                condition=(models.Q(level=1, parent__isnull=True) | models.Q(level=2, parent__isnull=False)),
                name="category_level_matches_parent",
            ),
        ]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def top(self) -> Category:
        """The level-1 category this one belongs to (itself at level 1)."""
        return self.parent if self.parent_id and self.parent else self


class CategoryMapping(models.Model):
    """Where an old version's category goes in the next version, so old counts read in new categories.

    Several mappings from one source are a split (INCOME → INCOME and DEBT); several to one target a merge."""

    source = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="mapped_to")
    target = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="mapped_from")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["source", "target"], name="category_mapping_unique_pair")
        ]
        verbose_name = _("category mapping")
        verbose_name_plural = _("category mappings")

    def __str__(self) -> str:
        return f"{self.source.code} → {self.target.code}"
