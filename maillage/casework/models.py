"""Persons (pseudonymised), case files, follow-ups coded on three axes, collective activities, imports."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maillage.core.models import Commune, Organisation
from maillage.core.runs import CountedRun
from maillage.taxonomy.models import Category

# The three axes each request is coded on (taxonomy scheme codes).
THEME_SCHEME = "request-themes"
INSTITUTION_SCHEME = "institution-concerned"
STAGE_SCHEME = "request-stage"
AXES = {"theme": THEME_SCHEME, "institution": INSTITUTION_SCHEME, "stage": STAGE_SCHEME}


class Sex(models.TextChoices):
    FEMALE = "f", _("Woman")
    MALE = "m", _("Man")
    OTHER = "x", _("Other / non-binary")
    UNKNOWN = "u", _("Not known")


class AgeBand(models.TextChoices):
    UNDER_18 = "0-17", _("Under 18")
    FROM_18 = "18-24", _("18 to 24")
    FROM_25 = "25-34", _("25 to 34")
    FROM_35 = "35-44", _("35 to 44")
    FROM_45 = "45-54", _("45 to 54")
    FROM_55 = "55-64", _("55 to 64")
    FROM_65 = "65+", _("65 and over")
    UNKNOWN = "unknown", _("Not known")


def age_band_for(birth_year: int | None, year: int) -> str:
    """The age band of someone born in `birth_year`, in `year`."""
    if birth_year is None:
        return AgeBand.UNKNOWN
    age = year - birth_year
    for limit, band in (
        (17, AgeBand.UNDER_18),
        (24, AgeBand.FROM_18),
        (34, AgeBand.FROM_25),
        (44, AgeBand.FROM_35),
        (54, AgeBand.FROM_45),
        (64, AgeBand.FROM_55),
    ):
        if age <= limit:
            return band
    return AgeBand.FROM_65


class Household(models.TextChoices):
    SINGLE = "single", _("Single person")
    SINGLE_PARENT = "single_parent", _("Single parent with children")
    COUPLE = "couple", _("Couple without children")
    COUPLE_CHILDREN = "couple_children", _("Couple with children")
    SHARED = "shared", _("Shared housing / other")
    UNKNOWN = "unknown", _("Not known")


class IncomeSource(models.TextChoices):
    WORK = "work", _("Work")
    UNEMPLOYMENT = "unemployment", _("Unemployment benefit")
    INTEGRATION = "integration", _("Social integration income (CPAS)")
    SICKNESS = "sickness", _("Sickness / disability benefit")
    PENSION = "pension", _("Pension")
    NONE = "none", _("No income")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Not known")


class NationalityGroup(models.TextChoices):
    BELGIAN = "be", _("Belgian")
    EU = "eu", _("Other EU")
    NON_EU = "non_eu", _("Outside the EU")
    STATELESS = "stateless", _("Stateless / undetermined")
    UNKNOWN = "unknown", _("Not known")


class Mode(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in")
    APPOINTMENT = "appointment", _("Appointment")
    PHONE = "phone", _("Phone")
    HOME_VISIT = "home_visit", _("Home visit")
    EMAIL = "email", _("Email")
    OUTREACH = "outreach", _("Outreach")


class ActionKind(models.TextChoices):
    INFORMATION = "information", _("Information")
    ADMIN_HELP = "admin_help", _("Administrative help")
    ACCOMPANIMENT = "accompaniment", _("Accompaniment")
    REFERRAL = "referral", _("Referral to another service")
    FINANCIAL_AID = "financial_aid", _("Financial aid granted")
    MEDIATION = "mediation", _("Mediation / contact with the institution")
    LISTENING = "listening", _("Listening and support")


class ClosingReason(models.TextChoices):
    RESOLVED = "resolved", _("Request answered")
    REFERRED = "referred", _("Referred elsewhere")
    NO_CONTACT = "no_contact", _("No more contact")
    MOVED = "moved", _("Moved away")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class CaseworkSettings(models.Model):
    """A centre's choices for case work."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="casework_settings")
    store_identities = models.BooleanField(
        _("store names and contact details"),
        default=False,
        help_text=_(
            "Off: persons are pseudonymised. On: names are visible to the worker in charge and the coordinator."
        ),
    )

    class Meta:
        verbose_name = _("case-work settings")
        verbose_name_plural = _("case-work settings")

    def __str__(self) -> str:
        return str(self.organisation)


class Subsidy(models.Model):
    """A funding programme a centre tags follow-ups or workers with (e.g. COCOF CASG)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("subsidy")
        verbose_name_plural = _("subsidies")

    def __str__(self) -> str:
        return self.name


class WorkerSubsidy(models.Model):
    """The subsidy that funds a worker's post in a centre: their follow-ups are tagged with it by default."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    subsidy = models.ForeignKey(Subsidy, on_delete=models.PROTECT, related_name="+", verbose_name=_("subsidy"))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "worker"], name="casework_worker_subsidy_unique")
        ]
        verbose_name = _("worker's subsidy")
        verbose_name_plural = _("workers' subsidies")

    def __str__(self) -> str:
        return f"{self.worker} · {self.subsidy}"


class Person(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="casework_persons")
    reference = models.CharField(
        _("reference"), max_length=20, help_text=_("Pseudonym used in the centre, e.g. P-000123.")
    )
    source_id = models.CharField(_("identifier in the source system"), max_length=64, blank=True)
    birth_year = models.PositiveSmallIntegerField(_("year of birth"), null=True, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    sex = models.CharField(_("sex / gender"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    postal_code = models.CharField(_("postal code"), max_length=4, blank=True)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("commune"))
    household = models.CharField(
        _("household type"), max_length=20, choices=Household.choices, default=Household.UNKNOWN
    )
    children = models.PositiveSmallIntegerField(_("number of children"), null=True, blank=True)
    income_source = models.CharField(
        _("main income source"), max_length=20, choices=IncomeSource.choices, default=IncomeSource.UNKNOWN
    )
    nationality_group = models.CharField(
        _("nationality group"), max_length=10, choices=NationalityGroup.choices, default=NationalityGroup.UNKNOWN
    )
    language = models.CharField(_("language"), max_length=20, blank=True)
    # Identifying data: only when the centre opts in (CaseworkSettings.store_identities).
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    erased_at = models.DateTimeField(_("identifying data erased on"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["reference"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "reference"], name="casework_person_reference_unique"),
            models.UniqueConstraint(
                fields=["organisation", "source_id"],
                condition=~models.Q(source_id=""),
                name="casework_person_source_unique",
            ),
        ]
        verbose_name = _("person")
        verbose_name_plural = _("persons")

    def __str__(self) -> str:
        return self.reference

    @property
    def has_identity(self) -> bool:
        return bool(self.first_name or self.last_name)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class CaseFile(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="case_files")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="case_files")
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closing_reason = models.CharField(_("closing reason"), max_length=20, choices=ClosingReason.choices, blank=True)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="casework_files", verbose_name=_("workers in charge")
    )

    class Meta:
        ordering: ClassVar = ["-opened_on", "-id"]
        indexes: ClassVar = [models.Index(fields=["organisation", "closed_on"], name="casefile_org_closed")]
        verbose_name = _("case file")
        verbose_name_plural = _("case files")

    def __str__(self) -> str:
        return f"{self.person.reference} · {self.opened_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


class FollowUp(models.Model):
    """One intervention. Organisation, date and age band are copied here so statistics need few joins."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="casework_followups")
    case_file = models.ForeignKey(CaseFile, on_delete=models.PROTECT, related_name="followups")
    # Copied from the case file: counting persons needs no join.
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    date = models.DateField(_("date"))
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    duration = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("worker")
    )
    subsidy = models.ForeignKey(Subsidy, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subsidy"))
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, default=AgeBand.UNKNOWN)
    actions = models.JSONField(_("actions taken"), default=list, blank=True)
    referred_to = models.CharField(_("referred to"), max_length=200, blank=True)
    referred_service = models.ForeignKey(
        "directory.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service referred to"),
    )
    aid_amount = models.DecimalField(_("financial aid (EUR)"), max_digits=8, decimal_places=2, null=True, blank=True)
    note = models.TextField(_("private note"), blank=True, help_text=_("Visible only to you and the coordinator."))
    source_id = models.CharField(_("identifier in the source system"), max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-date", "-id"]
        indexes: ClassVar = [models.Index(fields=["organisation", "date"], name="followup_org_date")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "source_id"],
                condition=~models.Q(source_id=""),
                name="casework_followup_source_unique",
            ),
        ]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_mode_display()}"

    @property
    def action_labels(self) -> list[str]:
        labels = dict(ActionKind.choices)
        return [str(labels.get(code, code)) for code in self.actions]


class Request(models.Model):
    """One request made during a follow-up, coded on the three axes."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="requests")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Copied from the follow-up: statistics by period need no join.
    date = models.DateField(_("date"))
    theme = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+", verbose_name=_("theme"))
    institution = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("institution concerned"),
    )
    stage = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", null=True, blank=True, verbose_name=_("stage")
    )
    is_open = models.BooleanField(_("still open"), default=True)

    class Meta:
        ordering: ClassVar = ["id"]
        indexes: ClassVar = [models.Index(fields=["organisation", "date"], name="request_org_date")]
        verbose_name = _("request")
        verbose_name_plural = _("requests")

    def __str__(self) -> str:
        return self.theme.code


class ActivityKind(models.TextChoices):
    WORKSHOP = "workshop", _("Workshop")
    INFO_SESSION = "info_session", _("Information session")
    COLLECTIVE_ACTION = "collective_action", _("Collective action")
    COMMUNITY_PROJECT = "community_project", _("Community project")


class Activity(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="casework_activities")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    description = models.TextField(_("description"), blank=True)
    themes = models.ManyToManyField(Category, related_name="+", blank=True, verbose_name=_("themes"))
    partners = models.CharField(_("partners"), max_length=300, blank=True)
    workers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("workers involved")
    )
    subsidy = models.ForeignKey(Subsidy, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("subsidy"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        verbose_name = _("collective activity")
        verbose_name_plural = _("collective activities")

    def __str__(self) -> str:
        return self.title


class ActivitySession(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    duration = models.PositiveSmallIntegerField(_("duration (minutes)"), null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["date", "id"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    def __str__(self) -> str:
        return f"{self.activity} · {self.date:%Y-%m-%d}"


class Participation(models.Model):
    """How many took part in a session, per sex and age band (no names)."""

    session = models.ForeignKey(ActivitySession, on_delete=models.CASCADE, related_name="participations")
    sex = models.CharField(_("sex / gender"), max_length=1, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices)
    count = models.PositiveIntegerField(_("participants"))

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["session", "sex", "age_band"], name="casework_participation_unique")
        ]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")

    def __str__(self) -> str:
        return f"{self.sex} {self.age_band}: {self.count}"


class SavedReport(models.Model):
    """A cross-tab's parameters kept under a name (read by stats)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="saved_reports")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    params = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering: ClassVar = ["name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "name"], name="casework_report_name_unique")
        ]
        verbose_name = _("saved report")
        verbose_name_plural = _("saved reports")

    def __str__(self) -> str:
        return self.name


class ImportKind(models.TextChoices):
    PERSONS = "persons", _("Persons")
    FOLLOWUPS = "followups", _("Follow-ups")


class ImportProfile(models.Model):
    """A centre's column mapping for files from its previous program, reused on the next import."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="casework_import_profiles")
    kind = models.CharField(_("what the file holds"), max_length=20, choices=ImportKind.choices)
    columns = models.JSONField(default=dict)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "kind"], name="casework_import_profile_unique")
        ]
        verbose_name = _("import profile")
        verbose_name_plural = _("import profiles")

    def __str__(self) -> str:
        return f"{self.organisation} · {self.kind}"


class ImportRun(CountedRun):
    """One import of a file: queued, running, succeeded or failed with a reason (core.runs), its bad rows listed."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    filename = models.CharField(max_length=200)
    # The uploaded file's name in the storage (core.uploads.store_upload), kept until the run ends.
    stored_file = models.CharField(max_length=200, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list)
    # [line, message] of rows not imported because they look like a person already in the centre.
    warnings = models.JSONField(default=list)

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"


class StatCell(models.Model):
    """A statistics roll-up cell: how many rows (or distinct follow-ups, persons, case files) fall in one
    (centre, period, value of one or two coded dimensions). Written only by `casework.rollups`, in the same
    transaction as the rows it counts; read by the cross-tab engine on PostgreSQL. `gset` says which
    dimensions `a` and `b` hold and the period's grain (see `rollups.SETS`)."""

    kind = models.PositiveSmallIntegerField()
    gset = models.PositiveSmallIntegerField()
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    period = models.DateField()
    a = models.CharField(max_length=40, blank=True)
    b = models.CharField(max_length=40, blank=True)
    n = models.IntegerField()

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["kind", "gset", "organisation", "period", "a", "b"], name="casework_statcell_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.gset} {self.organisation_id} {self.period} {self.a} {self.b}: {self.n}"


class RollupState(models.Model):
    """Present (with the current layout version) once the roll-up cells were built from every row; until
    then the engine reads the raw tables."""

    version = models.PositiveSmallIntegerField()
    built_at = models.DateTimeField(default=timezone.now)
    # Axis → the scheme version whose codes the by-code cells hold.
    axis_versions = models.JSONField(default=dict)
    # The kinds of cells built (`rollups.KINDS`): the others are neither read nor kept until built.
    kinds = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"roll-ups v{self.version} built {self.built_at:%Y-%m-%d %H:%M}"


class RollupRecountPending(models.Model):
    """A centre whose roll-up cells an import left behind (its rows were written without them, in the import's
    transaction): the cross-tab engine reads that centre's rows until `rollups_pending.recount` counts its cells
    again and removes this mark, in one transaction."""

    organisation = models.OneToOneField(Organisation, on_delete=models.CASCADE, primary_key=True, related_name="+")
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"roll-ups of centre {self.organisation_id} to recount since {self.marked_at:%Y-%m-%d %H:%M}"


class RollupPendingChange(models.Model):
    """A change of a marked centre's cells written by a service while its recount counts (`rollups_pending`):
    added to the recounted cells when the recount writes them, then deleted."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.PositiveSmallIntegerField()
    gset = models.PositiveSmallIntegerField()
    period = models.DateField()
    a = models.CharField(max_length=40, blank=True)
    b = models.CharField(max_length=40, blank=True)
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.kind}/{self.gset} {self.organisation_id} {self.period} {self.a} {self.b}: {self.n:+d}"
