"""Organisations, people and their roles, geography, and the audit log."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    FR = "fr", _("French")
    NL = "nl", _("Dutch")
    EN = "en", _("English")


class Region(models.TextChoices):
    BRUSSELS = "brussels", _("Brussels-Capital")
    WALLONIA = "wallonia", _("Wallonia")
    FLANDERS = "flanders", _("Flanders")


class BilingualName(models.Model):
    """A French and a Dutch name, shown in the reader's language (English readers get French)."""

    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_nl = models.CharField(_("name (Dutch)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        if get_language() == "nl" and self.name_nl:
            return self.name_nl
        return self.name_fr


class Province(BilingualName):
    """A coarse area outside Brussels, found from a postal code by its ranges."""

    code = models.SlugField(unique=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)

    class Meta:
        ordering: ClassVar = ["region", "name_fr"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")


class PostalRange(models.Model):
    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="postal_ranges")
    first = models.PositiveIntegerField()
    last = models.PositiveIntegerField()

    class Meta:
        ordering: ClassVar = ["first"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(first__lte=models.F("last")), name="postal_range_ordered")
        ]

    def __str__(self) -> str:
        return f"{self.first}–{self.last}"


class Commune(BilingualName):
    """One of the 19 municipalities of the Brussels-Capital Region."""

    nis_code = models.CharField(_("NIS code"), max_length=5, unique=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, default=Region.BRUSSELS)
    # Approximate centre, for "nearby" ordering in the directory.
    latitude = models.DecimalField(max_digits=8, decimal_places=5)
    longitude = models.DecimalField(max_digits=8, decimal_places=5)

    class Meta:
        ordering: ClassVar = ["name_fr"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")


class PostalCode(models.Model):
    code = models.CharField(_("postal code"), max_length=4, unique=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="postal_codes")
    locality_fr = models.CharField(max_length=100)
    locality_nl = models.CharField(max_length=100)

    class Meta:
        ordering: ClassVar = ["code"]
        verbose_name = _("postal code")
        verbose_name_plural = _("postal codes")

    def __str__(self) -> str:
        locality = self.locality_nl if get_language() == "nl" else self.locality_fr
        return f"{self.code} {locality}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.FR)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    date_joined = models.DateTimeField(_("joined on"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        ordering: ClassVar = ["full_name"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email


class Sector(models.TextChoices):
    CASG = "casg", "CASG"
    CAP = "cap", "CAP"
    CSS = "css", "CSS"
    SASPP = "saspp", "SASPP"
    ILI = "ili", "ILI"
    SASLS = "sasls", "SASLS"
    CAW = "caw", "CAW"
    CPAS = "cpas", "CPAS / OCMW"
    FEDERATION = "federation", _("Federation")
    OTHER = "other", _("Other")


class Organisation(BilingualName):
    short_name = models.CharField(_("short name"), max_length=40, unique=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices, default=Region.BRUSSELS)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=4, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("commune"))
    languages = models.JSONField(
        _("languages"), default=list, blank=True, help_text=_("Language codes, e.g. fr, nl, en.")
    )
    is_member = models.BooleanField(_("member of the federation"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["short_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.short_name


class Role(models.TextChoices):
    WORKER = "worker", _("Social worker")
    COORDINATOR = "coordinator", _("Coordinator")
    RESPONDER = "responder", _("Helpline responder")
    ORGANISER = "organiser", _("Event organiser")
    FEDERATION_STAFF = "federation_staff", _("Federation staff")
    ADMINISTRATOR = "administrator", _("Administrator")


# Roles that must use two-factor authentication.
ROLES_REQUIRING_2FA = frozenset({Role.COORDINATOR, Role.FEDERATION_STAFF, Role.ADMINISTRATOR})


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Emergency access (services.grant_emergency_access): ends by itself, shown to the coordinators.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    emergency_reason = models.TextField(_("reason for emergency access"), blank=True)

    class Meta:
        ordering: ClassVar = ["organisation__short_name", "role"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["user", "organisation", "role"], name="membership_unique_role"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.get_role_display()}"


class Invitation(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    language = models.CharField(_("language of the email"), max_length=2, choices=Language.choices, default=Language.FR)
    # sha256 of the link's token (services.invitation_token_hash): the table gives no usable link.
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation}"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class AuditEntry(models.Model):
    """One thing that happened: who, what (a dotted code), to what, when, with masked data."""

    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    code = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("object type"), max_length=100, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    target_repr = models.CharField(_("object"), max_length=200, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at", "-id"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "-created_at"], name="audit_org_time"),
            models.Index(fields=["target_type", "target_id"], name="audit_target"),
        ]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.code} {self.target_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class SubmissionKey(models.Model):
    """One per submitted creating form: a repeat of the same key answers with the first result.

    The key is written in the same transaction as the record it creates, so a concurrent
    repeat waits on the unique index and then finds the first result (see core.submission).
    """

    key = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE)
    purpose = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    result_url = models.CharField(max_length=500, blank=True)
    result_message = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.purpose} {self.created_at:%Y-%m-%d %H:%M}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxEmail(models.Model):
    """An email decided by a service, rendered in the recipient's language and sent by the task worker.

    Recorded in the transaction that decides it (so it exists exactly when the change does) and
    sent after commit; a row is claimed before sending, so it is never sent twice.
    """

    template = models.CharField(max_length=120)
    to = models.JSONField(default=list)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    # Extra headers of the message (List-Unsubscribe, ...), name → value.
    headers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes: ClassVar = [models.Index(fields=["status", "next_attempt_at"], name="core_outbox_due")]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)}"
