from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.ids import new_id
from geo.models import Commune, Province, Village
from households.models import Household

from .choices import (
    ACTIVE_STATES,
    AssignmentState,
    CapitalSource,
    LedgerKind,
    ModelType,
    PackageKind,
    ProgramLevel,
)


class Program(models.Model):
    """A node of the program tree: program → component project → sub-project."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    code = models.CharField(max_length=40, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=300, verbose_name=_("name"))
    level = models.CharField(max_length=12, choices=ProgramLevel.choices, verbose_name=_("level"))
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    legal_basis = models.CharField(max_length=300, blank=True, verbose_name=_("legal basis"))
    description = models.TextField(blank=True, verbose_name=_("description"))

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=ProgramLevel.PROGRAM, parent__isnull=True)
                | (~Q(level=ProgramLevel.PROGRAM) & Q(parent__isnull=False)),
                name="program_parent_iff_not_root",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BudgetAllocation(models.Model):
    """Money for one sub-project from one source in one year, province-wide or for a commune.

    `committed` and `disbursed` are running totals of the ledger, kept in the same
    transaction as each ledger entry; the database refuses any state where more is committed
    than allocated, or more disbursed than committed.
    """

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    sub_project = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("sub project")
    )
    source = models.CharField(
        max_length=16, choices=CapitalSource.choices, verbose_name=_("source")
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: province-wide."),
        verbose_name=_("commune"),
    )
    amount = models.PositiveBigIntegerField(
        help_text=_("Allocated, VND."), verbose_name=_("amount")
    )
    committed = models.PositiveBigIntegerField(
        default=0, editable=False, verbose_name=_("committed")
    )
    disbursed = models.PositiveBigIntegerField(
        default=0, editable=False, verbose_name=_("disbursed")
    )
    notes = models.CharField(max_length=300, blank=True, verbose_name=_("notes"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("budget allocation")
        verbose_name_plural = _("budget allocations")
        ordering = ["year", "sub_project", "source", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sub_project", "source", "year", "province", "commune"],
                name="allocation_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(committed__lte=F("amount")), name="allocation_not_overcommitted"
            ),
            models.CheckConstraint(
                condition=Q(disbursed__lte=F("committed")),
                name="allocation_disbursed_within_committed",
            ),
        ]

    def __str__(self) -> str:
        where = self.commune_id or f"province {self.province_id}"
        return f"{self.sub_project.code} {self.source} {self.year} {where}"

    @property
    def available(self) -> int:
        return self.amount - self.committed


class SupportPackage(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    code = models.CharField(max_length=40, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=300, verbose_name=_("name"))
    kind = models.CharField(max_length=20, choices=PackageKind.choices, verbose_name=_("kind"))
    sub_project = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="packages", verbose_name=_("sub project")
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    criteria = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Extra criteria (support.rules): ethnic_minority, commune_kinds, communes, "
            "member_age {min, max}, deprived_in [indicator codes]."
        ),
        verbose_name=_("criteria"),
    )
    multipliers = models.JSONField(
        default=list,
        blank=True,
        help_text=_(
            'Provincial multiplier rules: [{"when": {criteria}, "multiplier": "1.5"}]; '
            "the highest that applies wins."
        ),
        verbose_name=_("multipliers"),
    )
    default_multiplier = models.DecimalField(
        max_digits=5,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0.001"))],
        verbose_name=_("default multiplier"),
    )
    limit_per_period = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Assignments a household may receive per period (year)."),
        verbose_name=_("limit per period"),
    )
    active = models.BooleanField(default=True, verbose_name=_("active"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("support package")
        verbose_name_plural = _("support packages")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PackageEligibility(models.Model):
    """Which classification under which standard (by code) a package is for."""

    package = models.ForeignKey(
        SupportPackage,
        on_delete=models.CASCADE,
        related_name="eligibility",
        verbose_name=_("package"),
    )
    standard_code = models.CharField(max_length=40, verbose_name=_("standard code"))
    classification = models.CharField(max_length=10, verbose_name=_("classification"))

    class Meta:
        verbose_name = _("package eligibility")
        verbose_name_plural = _("package eligibilities")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "standard_code", "classification"], name="eligibility_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code}: {self.classification} ({self.standard_code})"


class PackageRate(models.Model):
    """The central base amount of a package, valid for a period (amounts change by decision)."""

    package = models.ForeignKey(
        SupportPackage, on_delete=models.CASCADE, related_name="rates", verbose_name=_("package")
    )
    base_amount = models.PositiveBigIntegerField(
        help_text=_("Central base, VND."), verbose_name=_("base amount")
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    legal_basis = models.CharField(max_length=300, blank=True, verbose_name=_("legal basis"))

    class Meta:
        verbose_name = _("package rate")
        verbose_name_plural = _("package rates")
        ordering = ["package", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rate_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} {self.base_amount} from {self.valid_from}"


class PackageFunding(models.Model):
    """How a package's amount is split across capital sources (shares add up to 100%)."""

    package = models.ForeignKey(
        SupportPackage, on_delete=models.CASCADE, related_name="funding", verbose_name=_("package")
    )
    source = models.CharField(
        max_length=16, choices=CapitalSource.choices, verbose_name=_("source")
    )
    share_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        verbose_name=_("share percent"),
    )

    class Meta:
        verbose_name = _("package funding share")
        verbose_name_plural = _("package funding shares")
        ordering = ["package", "-share_percent", "source"]
        constraints = [
            models.UniqueConstraint(fields=["package", "source"], name="funding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} {self.source} {self.share_percent}%"


class Assignment(models.Model):
    """Household × package × period: the case's support plan line."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("household")
    )
    package = models.ForeignKey(
        SupportPackage,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("package"),
    )
    period = models.PositiveSmallIntegerField(help_text=_("Year."), verbose_name=_("period"))
    base_amount = models.PositiveBigIntegerField(verbose_name=_("base amount"))
    multiplier = models.DecimalField(max_digits=5, decimal_places=3, verbose_name=_("multiplier"))
    amount = models.PositiveBigIntegerField(
        help_text=_("base × multiplier, VND."), verbose_name=_("amount")
    )
    explanation = models.TextField(verbose_name=_("explanation"))
    split = models.JSONField(
        default=list, help_text=_("[{source, amount}] by capital source."), verbose_name=_("split")
    )
    state = models.CharField(
        max_length=10,
        choices=AssignmentState.choices,
        default=AssignmentState.PROPOSED,
        verbose_name=_("state"),
    )
    reason = models.CharField(
        max_length=500,
        blank=True,
        help_text=_("Rejection / cancellation."),
        verbose_name=_("reason"),
    )
    disbursed = models.PositiveBigIntegerField(default=0, verbose_name=_("disbursed"))
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("support assignment")
        verbose_name_plural = _("support assignments")
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["package", "period", "state"]),
            models.Index(fields=["household", "period"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(disbursed__lte=F("amount")), name="assignment_disbursed_within_amount"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} → {self.household_id} ({self.period})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class AssignmentStep(models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="steps", verbose_name=_("assignment")
    )
    action = models.CharField(max_length=20, verbose_name=_("action"))
    from_state = models.CharField(
        max_length=10, choices=AssignmentState.choices, blank=True, verbose_name=_("from state")
    )
    to_state = models.CharField(
        max_length=10, choices=AssignmentState.choices, verbose_name=_("to state")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    notes = models.CharField(max_length=500, blank=True, verbose_name=_("notes"))

    class Meta:
        verbose_name = _("assignment step")
        verbose_name_plural = _("assignment steps")
        ordering = ["assignment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class LedgerEntry(models.Model):
    """One movement of money against an allocation. Never updated or deleted."""

    allocation = models.ForeignKey(
        BudgetAllocation,
        on_delete=models.PROTECT,
        related_name="entries",
        verbose_name=_("allocation"),
    )
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="entries", verbose_name=_("assignment")
    )
    kind = models.CharField(max_length=10, choices=LedgerKind.choices, verbose_name=_("kind"))
    amount = models.PositiveBigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        indexes = [models.Index(fields=["allocation", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} on {self.allocation_id}"


class Disbursement(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("assignment"),
    )
    date = models.DateField(verbose_name=_("date"))
    amount = models.PositiveBigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    evidence_reference = models.CharField(max_length=300, verbose_name=_("evidence reference"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"{self.amount} on {self.date}"


class LivelihoodModel(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    type = models.CharField(max_length=20, choices=ModelType.choices, verbose_name=_("type"))
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    program = models.ForeignKey(
        Program,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("program"),
    )
    start_date = models.DateField(verbose_name=_("start date"))
    end_date = models.DateField(null=True, blank=True, verbose_name=_("end date"))
    budget = models.PositiveBigIntegerField(
        default=0, help_text=_("VND."), verbose_name=_("budget")
    )
    description = models.TextField(blank=True, verbose_name=_("description"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("livelihood model")
        verbose_name_plural = _("livelihood models")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="livelihood_model_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Participation(models.Model):
    PERSONAL_FIELDS = frozenset({"income_before", "income_after"})
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    model = models.ForeignKey(
        LivelihoodModel,
        on_delete=models.CASCADE,
        related_name="participants",
        verbose_name=_("model"),
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="livelihood_participations",
        verbose_name=_("household"),
    )
    joined_on = models.DateField(verbose_name=_("joined on"))
    income_before = models.PositiveBigIntegerField(
        help_text=_("Annual household income, VND."), verbose_name=_("income before")
    )
    income_after = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=_("income after")
    )
    still_active = models.BooleanField(default=True, verbose_name=_("still active"))
    notes = models.CharField(max_length=300, blank=True, verbose_name=_("notes"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["model", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "household"], name="participation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} in {self.model_id}"


class Target(models.Model):
    """A commune's (or one of its villages') target for a year, measured against official
    statuses under a standard. A household's own target is its case's plan (cases)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("A village of the commune: the village's target; empty: the commune's."),
        verbose_name=_("village"),
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    standard_code = models.CharField(
        max_length=40, default="VN-ND07-2021", verbose_name=_("standard code")
    )
    households_to_lift = models.PositiveIntegerField(verbose_name=_("households to lift"))
    poverty_rate_target = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Poverty rate (%) to reach by the end of the year."),
        verbose_name=_("poverty rate target"),
    )

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["year", "commune"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "year", "standard_code"],
                condition=Q(village__isnull=True),
                name="target_unique",
            ),
            models.UniqueConstraint(
                fields=["village", "year", "standard_code"],
                condition=Q(village__isnull=False),
                name="target_unique_village",
            ),
        ]

    def __str__(self) -> str:
        where = f"{self.commune_id}/{self.village}" if self.village_id else self.commune_id
        return f"{where} {self.year}"
