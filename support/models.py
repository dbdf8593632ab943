from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.audit import AuditedRecords
from core.formatting import format_date, format_vnd
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

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    level = models.CharField(max_length=12, choices=ProgramLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    legal_basis = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)

    class Meta:
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

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    sub_project = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="allocations")
    source = models.CharField(max_length=16, choices=CapitalSource.choices)
    year = models.PositiveSmallIntegerField()
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(
        Commune,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: province-wide.",
    )
    amount = models.PositiveBigIntegerField(help_text="Allocated, VND.")
    committed = models.PositiveBigIntegerField(default=0, editable=False)
    disbursed = models.PositiveBigIntegerField(default=0, editable=False)
    notes = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedRecords()

    class Meta:
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
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=300)
    kind = models.CharField(max_length=20, choices=PackageKind.choices)
    sub_project = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="packages")
    description = models.TextField(blank=True)
    criteria = models.JSONField(
        default=dict,
        blank=True,
        help_text="Extra criteria (support.rules): ethnic_minority, commune_kinds, communes, "
        "member_age {min, max}, deprived_in [indicator codes].",
    )
    multipliers = models.JSONField(
        default=list,
        blank=True,
        help_text='Provincial multiplier rules: [{"when": {criteria}, "multiplier": "1.5"}]; '
        "the highest that applies wins.",
    )
    default_multiplier = models.DecimalField(
        max_digits=5,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    limit_per_period = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="Assignments a household may receive per period (year).",
    )
    active = models.BooleanField(default=True)
    history = AuditedRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PackageEligibility(models.Model):
    """Which classification under which standard (by code) a package is for."""

    package = models.ForeignKey(
        SupportPackage, on_delete=models.CASCADE, related_name="eligibility"
    )
    standard_code = models.CharField(max_length=40)
    classification = models.CharField(max_length=10)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["package", "standard_code", "classification"], name="eligibility_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.code}: {self.classification} ({self.standard_code})"


class PackageRate(models.Model):
    """The central base amount of a package, valid for a period (amounts change by decision)."""

    package = models.ForeignKey(SupportPackage, on_delete=models.CASCADE, related_name="rates")
    base_amount = models.PositiveBigIntegerField(help_text="Central base, VND.")
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    legal_basis = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["package", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rate_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.package.code} {format_vnd(self.base_amount)} · {format_date(self.valid_from)}"
        )


class PackageFunding(models.Model):
    """How a package's amount is split across capital sources (shares add up to 100%)."""

    package = models.ForeignKey(SupportPackage, on_delete=models.CASCADE, related_name="funding")
    source = models.CharField(max_length=16, choices=CapitalSource.choices)
    share_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        ordering = ["package", "-share_percent", "source"]
        constraints = [
            models.UniqueConstraint(fields=["package", "source"], name="funding_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.package.code} {self.source} {self.share_percent}%"


class Assignment(models.Model):
    """Household × package × period: the case's support plan line."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="assignments")
    package = models.ForeignKey(
        SupportPackage, on_delete=models.PROTECT, related_name="assignments"
    )
    period = models.PositiveSmallIntegerField(help_text="Year.")
    base_amount = models.PositiveBigIntegerField()
    multiplier = models.DecimalField(max_digits=5, decimal_places=3)
    amount = models.PositiveBigIntegerField(help_text="base × multiplier, VND.")
    explanation = models.TextField()
    split = models.JSONField(default=list, help_text="[{source, amount}] by capital source.")
    state = models.CharField(
        max_length=10, choices=AssignmentState.choices, default=AssignmentState.PROPOSED
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Rejection / cancellation.")
    disbursed = models.PositiveBigIntegerField(default=0)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords()

    class Meta:
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
        return f"{self.package.code} → {self.household.code} ({self.period})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class AssignmentStep(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, choices=AssignmentState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=AssignmentState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    notes = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["assignment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class LedgerEntry(models.Model):
    """One movement of money against an allocation. Never updated or deleted."""

    allocation = models.ForeignKey(
        BudgetAllocation, on_delete=models.PROTECT, related_name="entries"
    )
    assignment = models.ForeignKey(Assignment, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=10, choices=LedgerKind.choices)
    amount = models.PositiveBigIntegerField(validators=[MinValueValidator(1)])
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["allocation", "kind"])]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_vnd(self.amount)} · {format_date(self.at)}"


class Disbursement(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    assignment = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="disbursements"
    )
    date = models.DateField()
    amount = models.PositiveBigIntegerField(validators=[MinValueValidator(1)])
    evidence_reference = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedRecords()

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        household = self.assignment.household.code
        return f"{household} · {format_vnd(self.amount)} · {format_date(self.date)}"


class LivelihoodModel(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=ModelType.choices)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(
        Program, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    budget = models.PositiveBigIntegerField(default=0, help_text="VND.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords()

    class Meta:
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
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    model = models.ForeignKey(
        LivelihoodModel, on_delete=models.CASCADE, related_name="participants"
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="livelihood_participations"
    )
    joined_on = models.DateField()
    income_before = models.PositiveBigIntegerField(help_text="Annual household income, VND.")
    income_after = models.PositiveBigIntegerField(null=True, blank=True)
    still_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True)
    history = AuditedRecords()

    class Meta:
        ordering = ["model", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "household"], name="participation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.household.code} · {self.model.name}"


class Target(models.Model):
    """A commune's (or one of its villages') target for a year, measured against official
    statuses under a standard. A household's own target is its case's plan (cases)."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    village = models.ForeignKey(
        Village,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="A village of the commune: the village's target; empty: the commune's.",
    )
    year = models.PositiveSmallIntegerField()
    standard_code = models.CharField(max_length=40, default="VN-ND07-2021")
    households_to_lift = models.PositiveIntegerField()
    poverty_rate_target = models.DecimalField(
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Poverty rate (%) to reach by the end of the year.",
    )

    class Meta:
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
