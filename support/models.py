from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.formatting import format_date, format_vnd
from core.ids import new_id
from core.models import LoadsFast
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


class Program(LoadsFast, models.Model):
    """A node of the program tree: program → component project → sub-project."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    level = models.CharField(_("level"), max_length=12, choices=ProgramLevel.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent"),
    )
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level=ProgramLevel.PROGRAM, parent__isnull=True)
                | (~Q(level=ProgramLevel.PROGRAM) & Q(parent__isnull=False)),
                name="program_parent_iff_not_root",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class BudgetAllocation(LoadsFast, models.Model):
    """Money for one sub-project from one source in one year, province-wide or for a commune.

    `committed` and `disbursed` are running totals of the ledger, kept in the same
    transaction as each ledger entry; the database refuses any state where more is committed
    than allocated, or more disbursed than committed.
    """

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    sub_project = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("sub-project")
    )
    source = models.CharField(_("source"), max_length=16, choices=CapitalSource.choices)
    year = models.PositiveSmallIntegerField(_("year"))
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
    amount = models.PositiveBigIntegerField(_("amount"), help_text=_("Allocated, VND."))
    committed = models.PositiveBigIntegerField(_("committed"), default=0, editable=False)
    disbursed = models.PositiveBigIntegerField(_("disbursed"), default=0, editable=False)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
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


class SupportPackage(LoadsFast, models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=PackageKind.choices)
    sub_project = models.ForeignKey(
        Program, on_delete=models.PROTECT, related_name="packages", verbose_name=_("sub-project")
    )
    description = models.TextField(_("description"), blank=True)
    criteria = models.JSONField(
        _("criteria"),
        default=dict,
        blank=True,
        help_text=_(
            "Extra criteria (support.rules): ethnic_minority, commune_kinds, communes, "
            "member_age {min, max}, deprived_in [indicator codes]."
        ),
    )
    multipliers = models.JSONField(
        _("multipliers"),
        default=list,
        blank=True,
        help_text=_(
            'Provincial multiplier rules: [{"when": {criteria}, "multiplier": "1.5"}]; '
            "the highest that applies wins."
        ),
    )
    default_multiplier = models.DecimalField(
        _("default multiplier"),
        max_digits=5,
        decimal_places=3,
        default=Decimal("1.000"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    limit_per_period = models.PositiveSmallIntegerField(
        _("limit per period"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("Assignments a household may receive per period (year)."),
    )
    active = models.BooleanField(_("active"), default=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("support package")
        verbose_name_plural = _("support packages")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PackageEligibility(LoadsFast, models.Model):
    """Which classification under which standard (by code) a package is for."""

    package = models.ForeignKey(
        SupportPackage,
        on_delete=models.CASCADE,
        related_name="eligibility",
        verbose_name=_("package"),
    )
    standard_code = models.CharField(_("standard code"), max_length=40)
    classification = models.CharField(_("classification"), max_length=10)

    class Meta:
        verbose_name = _("package eligibility")
        verbose_name_plural = _("package eligibilities")
        constraints = [
            models.UniqueConstraint(
                fields=["package", "standard_code", "classification"], name="eligibility_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.package.code}: {self.classification} ({self.standard_code})"


class PackageRate(LoadsFast, models.Model):
    """The central base amount of a package, valid for a period (amounts change by decision)."""

    package = models.ForeignKey(
        SupportPackage, on_delete=models.CASCADE, related_name="rates", verbose_name=_("package")
    )
    base_amount = models.PositiveBigIntegerField(
        _("base amount"), help_text=_("Central base, VND.")
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("package rate")
        verbose_name_plural = _("package rates")
        ordering = ["package", "valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rate_valid_period",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.package.code} {format_vnd(self.base_amount)} · {format_date(self.valid_from)}"
        )


class PackageFunding(LoadsFast, models.Model):
    """How a package's amount is split across capital sources (shares add up to 100%)."""

    package = models.ForeignKey(
        SupportPackage, on_delete=models.CASCADE, related_name="funding", verbose_name=_("package")
    )
    source = models.CharField(_("source"), max_length=16, choices=CapitalSource.choices)
    share_percent = models.DecimalField(
        _("share percent"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("package funding share")
        verbose_name_plural = _("package funding shares")
        ordering = ["package", "-share_percent", "source"]
        constraints = [models.UniqueConstraint(fields=["package", "source"], name="funding_unique")]

    def __str__(self) -> str:
        return f"{self.package.code} {self.source} {self.share_percent}%"


class Assignment(LoadsFast, models.Model):
    """Household × package × period: the case's support plan line."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("household")
    )
    package = models.ForeignKey(
        SupportPackage,
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("package"),
    )
    period = models.PositiveSmallIntegerField(_("period"), help_text=_("Year."))
    base_amount = models.PositiveBigIntegerField(_("base amount"))
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=3)
    amount = models.PositiveBigIntegerField(_("amount"), help_text=_("base × multiplier, VND."))
    explanation = models.TextField(_("explanation"))
    explanation_vi = models.TextField(
        _("explanation in Vietnamese"),
        blank=True,
        help_text=_("The explanation in Vietnamese (empty when proposed before it was kept)."),
    )
    split = models.JSONField(
        _("split"), default=list, help_text=_("[{source, amount}] by capital source.")
    )
    state = models.CharField(
        _("state"), max_length=10, choices=AssignmentState.choices, default=AssignmentState.PROPOSED
    )
    reason = models.CharField(
        _("reason"), max_length=500, blank=True, help_text=_("Rejection / cancellation.")
    )
    disbursed = models.PositiveBigIntegerField(_("disbursed"), default=0)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
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
            )
        ]

    def __str__(self) -> str:
        return f"{self.package.code} → {self.household.code} ({self.period})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class AssignmentStep(LoadsFast, models.Model):
    assignment = models.ForeignKey(
        Assignment, on_delete=models.CASCADE, related_name="steps", verbose_name=_("assignment")
    )
    action = models.CharField(_("action"), max_length=20)
    from_state = models.CharField(
        _("from state"), max_length=10, choices=AssignmentState.choices, blank=True
    )
    to_state = models.CharField(_("to state"), max_length=10, choices=AssignmentState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("assignment step")
        verbose_name_plural = _("assignment steps")
        ordering = ["assignment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class LedgerEntry(LoadsFast, models.Model):
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
    kind = models.CharField(_("kind"), max_length=10, choices=LedgerKind.choices)
    amount = models.PositiveBigIntegerField(_("amount"), validators=[MinValueValidator(1)])
    at = models.DateTimeField(_("at"), auto_now_add=True)
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
            models.CheckConstraint(condition=Q(amount__gt=0), name="ledger_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_vnd(self.amount)} · {format_date(self.at)}"


class Disbursement(LoadsFast, models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        related_name="disbursements",
        verbose_name=_("assignment"),
    )
    date = models.DateField(_("date"))
    amount = models.PositiveBigIntegerField(_("amount"), validators=[MinValueValidator(1)])
    evidence_reference = models.CharField(_("evidence reference"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("disbursement")
        verbose_name_plural = _("disbursements")
        ordering = ["date", "id"]

    def __str__(self) -> str:
        household = self.assignment.household.code
        return f"{household} · {format_vnd(self.amount)} · {format_date(self.date)}"


class LivelihoodModel(LoadsFast, models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    name = models.CharField(_("name"), max_length=200)
    type = models.CharField(_("type"), max_length=20, choices=ModelType.choices)
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
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    budget = models.PositiveBigIntegerField(_("budget"), default=0, help_text=_("VND."))
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("livelihood model")
        verbose_name_plural = _("livelihood models")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="livelihood_model_period",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Participation(LoadsFast, models.Model):
    PERSONAL_FIELDS = frozenset({"income_before", "income_after"})
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
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
    joined_on = models.DateField(_("joined on"))
    income_before = models.PositiveBigIntegerField(
        _("income before"), help_text=_("Annual household income, VND.")
    )
    income_after = models.PositiveBigIntegerField(_("income after"), null=True, blank=True)
    still_active = models.BooleanField(_("still active"), default=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        ordering = ["model", "joined_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["model", "household"], name="participation_unique")
        ]

    def __str__(self) -> str:
        return f"{self.household.code} · {self.model.name}"


class Target(LoadsFast, models.Model):
    """A commune's (or one of its villages') target for a year, measured against official
    statuses under a standard. A household's own target is its case's plan (cases)."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
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
    year = models.PositiveSmallIntegerField(_("year"))
    standard_code = models.CharField(_("standard code"), max_length=40, default="VN-ND07-2021")
    households_to_lift = models.PositiveIntegerField(_("households to lift"))
    poverty_rate_target = models.DecimalField(
        _("poverty rate target"),
        max_digits=6,
        decimal_places=3,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text=_("Poverty rate (%) to reach by the end of the year."),
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
