from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import personal
from core.audit import AuditedRecords
from core.ids import new_id
from geo.models import Province
from households.models import Household, Member

from .choices import (
    Classification,
    Dimension,
    EducationLevel,
    Employment,
    Latrine,
    Material,
    Nutrition,
    Rule,
    Schooling,
    Scope,
    StandardStatus,
    WasteTreatment,
    WaterSource,
)


class PovertyStandard(models.Model):
    """A poverty standard as versioned data. Published revisions are immutable; a correction
    is a new revision of the same code."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    code = models.CharField(max_length=40, help_text=_("e.g. VN-ND07-2021"), verbose_name=_("code"))
    revision = models.PositiveSmallIntegerField(default=1, verbose_name=_("revision"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    legal_basis = models.CharField(max_length=300, verbose_name=_("legal basis"))
    scope = models.CharField(max_length=12, choices=Scope.choices, verbose_name=_("scope"))
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    rural_line = models.PositiveBigIntegerField(
        help_text=_("VND per person per month."), verbose_name=_("rural line")
    )
    urban_line = models.PositiveBigIntegerField(
        help_text=_("VND per person per month."), verbose_name=_("urban line")
    )
    rural_average_max = models.PositiveBigIntegerField(
        null=True,
        blank=True,
        help_text=_("Top of the average-living-standard band (rural)."),
        verbose_name=_("rural average max"),
    )
    urban_average_max = models.PositiveBigIntegerField(
        null=True, blank=True, verbose_name=_("urban average max")
    )
    min_deprivations = models.PositiveSmallIntegerField(
        default=3, verbose_name=_("min deprivations")
    )
    status = models.CharField(
        max_length=10,
        choices=StandardStatus.choices,
        default=StandardStatus.DRAFT,
        verbose_name=_("status"),
    )
    published_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("published at")
    )
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supersedes"),
    )
    notes = models.TextField(
        blank=True,
        help_text=_("Sources, and what is still to be verified."),
        verbose_name=_("notes"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("poverty standard")
        verbose_name_plural = _("poverty standards")
        ordering = ["valid_from", "code", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["code", "revision"], name="standard_code_revision"),
            models.CheckConstraint(
                condition=Q(scope=Scope.NATIONAL, province__isnull=True)
                | Q(scope=Scope.PROVINCIAL, province__isnull=False),
                name="standard_province_iff_provincial",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="standard_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} r{self.revision}"


class Indicator(models.Model):
    standard = models.ForeignKey(
        PovertyStandard,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("standard"),
    )
    code = models.CharField(max_length=40, verbose_name=_("code"))
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    dimension = models.CharField(
        max_length=20, choices=Dimension.choices, verbose_name=_("dimension")
    )
    name_vi = models.CharField(max_length=200, verbose_name=_("name vi"))
    name_en = models.CharField(max_length=200, verbose_name=_("name en"))
    rule = models.CharField(max_length=20, choices=Rule.choices, verbose_name=_("rule"))
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text=_(
            "Every parameter the rule reads (poverty.rules.PARAMETERS); a standard is "
            "published only when each indicator's rule compiles with them."
        ),
        verbose_name=_("params"),
    )
    sources = models.JSONField(
        default=dict,
        blank=True,
        help_text=_('Per parameter: {"source": legal text, "to_confirm": still to be checked}.'),
        verbose_name=_("sources"),
    )
    to_confirm = models.BooleanField(
        default=False,
        help_text=_("Wording or threshold still to be verified against the text."),
        verbose_name=_("to confirm"),
    )
    notes = models.TextField(blank=True, verbose_name=_("notes"))

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["standard", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="indicator_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.standard})"


# What an indicator is, as the API, the admin and a new revision's copy read it.
INDICATOR_FIELDS = (
    "code",
    "position",
    "dimension",
    "name_vi",
    "name_en",
    "rule",
    "params",
    "sources",
    "to_confirm",
    "notes",
)


class ReviewKind(models.TextChoices):
    PERIODIC = "periodic", _("Annual periodic review (1 Sep – 14 Dec)")
    REGULAR = "regular", _("Monthly regular review (on application)")


class ReviewRound(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    kind = models.CharField(max_length=10, choices=ReviewKind.choices, verbose_name=_("kind"))
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    month = models.PositiveSmallIntegerField(null=True, blank=True, verbose_name=_("month"))
    opens = models.DateField(verbose_name=_("opens"))
    closes = models.DateField(verbose_name=_("closes"))
    name = models.CharField(max_length=120, verbose_name=_("name"))

    class Meta:
        verbose_name = _("review round")
        verbose_name_plural = _("review rounds")
        ordering = ["-opens", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "year", "month"],
                name="review_round_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(closes__gte=models.F("opens")), name="review_round_period"
            ),
            models.CheckConstraint(
                condition=Q(kind=ReviewKind.PERIODIC, month__isnull=True)
                | Q(kind=ReviewKind.REGULAR, month__gte=1, month__lte=12),
                name="review_round_month_iff_regular",
            ),
        ]

    def __str__(self) -> str:
        return self.name


# The survey's field lists, each written once: the services, the serializers and the admin
# compose them (poverty.services, poverty.api.serializers, poverty.admin).
INCOME_FIELDS = (  # VND over the last 12 months, by source
    "income_wages",
    "income_agriculture",
    "income_business",
    "income_allowances",
    "income_other",
)
HOUSEHOLD_FACT_FIELDS = (  # what the rules read of the household (poverty.rules.HouseholdFacts)
    "wall_material",
    "frame_material",
    "roof_material",
    "floor_area_m2",
    "water_source",
    "latrine",
    "uses_internet",
    "devices",
    "waste_treatment",
)
SURVEY_FIELDS = ("survey_date", "form", "enumerator_name", *INCOME_FIELDS, *HOUSEHOLD_FACT_FIELDS)
MEMBER_FACT_FIELDS = (  # what the rules read of each member (poverty.rules.MemberFacts)
    "has_health_insurance",
    "schooling",
    "education_level",
    "employment",
    "receives_social_allowance",
    "nutrition",
)
SURVEY_MEMBER_FIELDS = ("member", *MEMBER_FACT_FIELDS)


class Survey(models.Model):
    """A household survey, kept as submitted (`submitted`) and normalised (the columns)."""

    PERSONAL_FIELDS = frozenset({*INCOME_FIELDS, "annual_income", "submitted"})

    class Form(models.TextChoices):
        B1 = "b1", _("B1 quick screen")
        B2 = "b2", _("B2 full survey")

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("household")
    )
    survey_date = models.DateField(verbose_name=_("survey date"))
    form = models.CharField(
        max_length=2, choices=Form.choices, default=Form.B2, verbose_name=_("form")
    )
    enumerator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enumerator"),
    )
    enumerator_name = models.CharField(
        max_length=150, blank=True, verbose_name=_("enumerator name")
    )
    income_wages = models.PositiveBigIntegerField(default=0, verbose_name=_("income wages"))
    income_agriculture = models.PositiveBigIntegerField(
        default=0, verbose_name=_("income agriculture")
    )
    income_business = models.PositiveBigIntegerField(default=0, verbose_name=_("income business"))
    income_allowances = models.PositiveBigIntegerField(
        default=0, verbose_name=_("income allowances")
    )
    income_other = models.PositiveBigIntegerField(default=0, verbose_name=_("income other"))
    wall_material = models.CharField(
        max_length=16, choices=Material.choices, verbose_name=_("wall material")
    )
    frame_material = models.CharField(
        max_length=16, choices=Material.choices, verbose_name=_("frame material")
    )
    roof_material = models.CharField(
        max_length=16, choices=Material.choices, verbose_name=_("roof material")
    )
    floor_area_m2 = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name=_("floor area m2"),
    )
    water_source = models.CharField(
        max_length=20, choices=WaterSource.choices, verbose_name=_("water source")
    )
    latrine = models.CharField(max_length=16, choices=Latrine.choices, verbose_name=_("latrine"))
    uses_internet = models.BooleanField(verbose_name=_("uses internet"))
    devices = models.JSONField(
        null=True,
        blank=True,
        help_text=_("Devices owned; [] none; null not recorded."),
        verbose_name=_("devices"),
    )
    waste_treatment = models.CharField(
        max_length=20,
        choices=WasteTreatment.choices,
        null=True,
        blank=True,
        verbose_name=_("waste treatment"),
    )
    submitted = models.JSONField(
        default=dict, blank=True, help_text=_("The body as submitted."), verbose_name=_("submitted")
    )
    captured_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text=_("When the device captured it (offline apps send later)."),
        verbose_name=_("captured at"),
    )
    is_latest = models.BooleanField(default=True, editable=False, verbose_name=_("is latest"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-survey_date", "id"]
        indexes = [
            models.Index(fields=["household", "survey_date"]),
            models.Index(fields=["survey_date"]),
            models.Index(fields=["household"], condition=Q(is_latest=True), name="survey_latest"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(floor_area_m2__gt=0), name="survey_area_positive"),
        ]

    def __str__(self) -> str:
        return f"Survey {self.survey_date} of {self.household_id}"

    @property
    def annual_income(self) -> int:
        return sum(getattr(self, name) for name in INCOME_FIELDS)


class SurveyMember(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="members", verbose_name=_("survey")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    # A fact left null was not recorded: unknown, never counted as a deprivation. The survey
    # API requires each fact an applicable indicator reads (null allowed, saying "unknown").
    has_health_insurance = models.BooleanField(
        null=True, blank=True, verbose_name=_("has health insurance")
    )
    schooling = models.CharField(
        max_length=16, choices=Schooling.choices, null=True, blank=True, verbose_name=_("schooling")
    )
    education_level = models.CharField(
        max_length=16,
        choices=EducationLevel.choices,
        null=True,
        blank=True,
        verbose_name=_("education level"),
    )
    employment = models.CharField(
        max_length=20,
        choices=Employment.choices,
        null=True,
        blank=True,
        verbose_name=_("employment"),
    )
    receives_social_allowance = models.BooleanField(
        null=True, blank=True, verbose_name=_("receives social allowance")
    )
    nutrition = models.CharField(
        max_length=12, choices=Nutrition.choices, null=True, blank=True, verbose_name=_("nutrition")
    )

    class Meta:
        verbose_name = _("survey member")
        verbose_name_plural = _("survey members")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="survey_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in survey {self.survey_id}"


class Application(models.TextChoices):
    NONE = "none", _("Periodic review (no application)")
    ENTER = "enter", _("Application to be recognised poor / near-poor")
    EXIT = "exit", _("Application to be recognised as having escaped")
    VOLUNTARY_EXIT = "voluntary_exit", _("Voluntary exit")


class WorkflowState(models.TextChoices):
    SURVEYED = "surveyed", _("Surveyed and classified")
    VILLAGE_AGREED = "village_agreed", _("Agreed at the village meeting")
    POSTED = "posted", _("Publicly posted")
    APPROVED = "approved", _("Approved by the commune")
    REJECTED = "rejected", _("Rejected")
    RETURNED = "returned", _("Returned to survey")


class Assessment(models.Model):
    """The classification of one survey under one standard, and its review workflow."""

    PERSONAL_FIELDS = frozenset({"income_per_person_month", "explanation_vi", "explanation_en"})

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("household")
    )
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("survey")
    )
    standard = models.ForeignKey(
        PovertyStandard, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    engine_version = models.CharField(max_length=20, verbose_name=_("engine version"))
    review_round = models.ForeignKey(
        ReviewRound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("review round"),
    )
    application = models.CharField(
        max_length=16,
        choices=Application.choices,
        default=Application.NONE,
        verbose_name=_("application"),
    )
    is_urban = models.BooleanField(verbose_name=_("is urban"))
    household_size = models.PositiveSmallIntegerField(verbose_name=_("household size"))
    income_per_person_month = models.BigIntegerField(verbose_name=_("income per person month"))
    line = models.PositiveBigIntegerField(verbose_name=_("line"))
    deprivation_count = models.PositiveSmallIntegerField(verbose_name=_("deprivation count"))
    classification = models.CharField(
        max_length=12, choices=Classification.choices, verbose_name=_("classification")
    )
    indicators = models.JSONField(
        help_text=_(
            "Each indicator: code, deprived (true, false, or null when a fact it needs "
            "was not recorded), reasons."
        ),
        verbose_name=_("indicators"),
    )
    explanation_vi = models.TextField(verbose_name=_("explanation vi"))
    explanation_en = models.TextField(verbose_name=_("explanation en"))
    state = models.CharField(
        max_length=16,
        choices=WorkflowState.choices,
        default=WorkflowState.SURVEYED,
        verbose_name=_("state"),
    )
    meeting_date = models.DateField(null=True, blank=True, verbose_name=_("meeting date"))
    meeting_attendees = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("meeting attendees")
    )
    meeting_agreeing = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("meeting agreeing")
    )
    posted_from = models.DateField(null=True, blank=True, verbose_name=_("posted from"))
    posted_to = models.DateField(null=True, blank=True, verbose_name=_("posted to"))
    decision_number = models.CharField(max_length=60, blank=True, verbose_name=_("decision number"))
    decision_date = models.DateField(null=True, blank=True, verbose_name=_("decision date"))
    certificate_number = models.CharField(
        max_length=60, blank=True, verbose_name=_("certificate number")
    )
    rejection_reason = models.CharField(
        max_length=500, blank=True, verbose_name=_("rejection reason")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords(
        excluded_fields=["indicators", "explanation_vi", "explanation_en"],
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-created_at", "id"]
        indexes = [
            models.Index(fields=["standard", "classification"]),
            models.Index(fields=["household", "standard"]),
            models.Index(fields=["state"]),
            models.Index(fields=["review_round", "state"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["survey", "standard"], name="assessment_unique"),
            models.CheckConstraint(
                condition=Q(meeting_agreeing__isnull=True)
                | Q(meeting_agreeing__lte=models.F("meeting_attendees")),
                name="assessment_agreeing_le_attendees",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.standard_id} {self.classification}"


class AssessmentStep(models.Model):
    """One recorded step of the review: who, when, what, notes and attachment references."""

    PERSONAL_FIELDS = frozenset({"notes"})

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="steps", verbose_name=_("assessment")
    )
    action = models.CharField(max_length=30, verbose_name=_("action"))
    from_state = models.CharField(
        max_length=16, choices=WorkflowState.choices, verbose_name=_("from state")
    )
    to_state = models.CharField(
        max_length=16, choices=WorkflowState.choices, verbose_name=_("to state")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))
    notes = models.TextField(blank=True, verbose_name=_("notes"))
    attachments = models.JSONField(default=list, blank=True, verbose_name=_("attachments"))
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))

    class Meta:
        verbose_name = _("assessment step")
        verbose_name_plural = _("assessment steps")
        ordering = ["assessment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UPHELD = "upheld", _("Upheld (assessment returned to survey)")
    DISMISSED = "dismissed", _("Dismissed")


class Complaint(models.Model):
    PERSONAL_FIELDS = frozenset({"lodged_by", "text", "resolution"})
    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="complaints",
        verbose_name=_("assessment"),
    )
    lodged_by = models.CharField(max_length=150, verbose_name=_("lodged by"))
    lodged_on = models.DateField(verbose_name=_("lodged on"))
    text = models.TextField(verbose_name=_("text"))
    status = models.CharField(
        max_length=10,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.OPEN,
        verbose_name=_("status"),
    )
    resolution = models.TextField(blank=True, verbose_name=_("resolution"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["lodged_on", "id"]

    def __str__(self) -> str:
        by = self.lodged_by if personal.shown() else "a resident"
        return f"Complaint by {by} ({self.status})"


class StatusEvent(models.TextChoices):
    FIRST = "first_recognised", _("First recognised")
    NEWLY_POOR = "newly_poor", _("Newly poor")
    ESCAPED = "escaped", _("Escaped poverty")
    RELAPSED = "relapsed", _("Relapsed into poverty")
    VOLUNTARY_EXIT = "voluntary_exit", _("Voluntarily exited")
    RECLASSIFIED = "reclassified", _("Reclassified")
    CONFIRMED = "confirmed", _("Confirmed (unchanged)")


class OfficialStatus(models.Model):
    """A period of official status of a household under one standard, decided by an
    approved assessment. The current period has no end date."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        related_name="official_statuses",
        verbose_name=_("household"),
    )
    standard = models.ForeignKey(
        PovertyStandard, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    classification = models.CharField(
        max_length=12, choices=Classification.choices, verbose_name=_("classification")
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))
    assessment = models.OneToOneField(
        Assessment,
        on_delete=models.PROTECT,
        related_name="official_status",
        verbose_name=_("assessment"),
    )
    event = models.CharField(max_length=20, choices=StatusEvent.choices, verbose_name=_("event"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("official status")
        verbose_name_plural = _("official statuses")
        ordering = ["household", "standard", "valid_from"]
        indexes = [
            models.Index(
                fields=["standard", "classification"],
                condition=Q(valid_to__isnull=True),
                name="official_current",
            ),
            models.Index(fields=["event", "valid_from"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["household", "standard"],
                condition=Q(valid_to__isnull=True),
                name="official_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.classification} from {self.valid_from}"


class WhatIfRun(models.Model):
    """Re-assessment of the latest surveys under another standard, official statuses
    untouched: who would change class."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    standard = models.ForeignKey(
        PovertyStandard, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    baseline = models.ForeignKey(
        PovertyStandard, on_delete=models.PROTECT, related_name="+", verbose_name=_("baseline")
    )
    commune = models.ForeignKey(
        "geo.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    households = models.PositiveIntegerField(default=0, verbose_name=_("households"))
    changed = models.PositiveIntegerField(default=0, verbose_name=_("changed"))
    seconds = models.FloatField(default=0, verbose_name=_("seconds"))
    summary = models.JSONField(
        default=list, help_text=_("Counts by commune and transition."), verbose_name=_("summary")
    )
    lacking = models.PositiveIntegerField(
        default=0,
        help_text=_(
            "Households whose class under the standard depends on a fact their latest "
            "survey did not record (to_class undetermined among the changes)."
        ),
        verbose_name=_("lacking"),
    )

    class Meta:
        verbose_name = _("what-if run")
        verbose_name_plural = _("what-if runs")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"What-if {self.standard_id} vs {self.baseline_id} ({self.created_at:%Y-%m-%d})"


class WhatIfChange(models.Model):
    run = models.ForeignKey(
        WhatIfRun, on_delete=models.CASCADE, related_name="changes", verbose_name=_("run")
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    from_class = models.CharField(
        max_length=12, choices=Classification.choices, verbose_name=_("from class")
    )
    to_class = models.CharField(
        max_length=12, choices=Classification.choices, verbose_name=_("to class")
    )

    class Meta:
        verbose_name = _("what-if change")
        verbose_name_plural = _("what-if changes")
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["run", "commune", "from_class", "to_class"])]

    def __str__(self) -> str:
        return f"{self.household_id}: {self.from_class} → {self.to_class}"


class UploadKind(models.TextChoices):
    SURVEY = "survey", _("Household survey")
    HOUSEHOLD_EDIT = "household_edit", _("Household edit")
    MEMBER_EDIT = "member_edit", _("Member edit")
    HOUSEHOLD_CREATE = "household_create", _("Household registration")
    VISIT = "visit", _("Visit record (a case's follow-up)")


class UploadStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    CONFLICT = "conflict", _("Kept: the household changed meanwhile (an officer resolves it)")
    REJECTED = "rejected", _("Rejected (invalid)")
    RESOLVED_APPLIED = "resolved_applied", _("Conflict resolved: applied")
    RESOLVED_DISCARDED = "resolved_discarded", _("Conflict resolved: discarded")


class FieldUpload(models.Model):
    """One item sent by a field app, keyed by the UUID the device generated: posting it again
    returns the original result; the same UUID with another body is refused."""

    PERSONAL_FIELDS = frozenset({"body", "result"})

    id = models.UUIDField(
        primary_key=True, help_text=_("Client-generated UUID."), verbose_name=_("id")
    )
    kind = models.CharField(max_length=16, choices=UploadKind.choices, verbose_name=_("kind"))
    # None: a household registration that was rejected (nothing was created)
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    # None: a household registration (there was no version to base it on)
    based_on_version = models.PositiveIntegerField(
        null=True, blank=True, verbose_name=_("based on version")
    )
    body = models.JSONField(verbose_name=_("body"))
    body_hash = models.CharField(max_length=64, verbose_name=_("body hash"))
    captured_at = models.DateTimeField(
        help_text=_("Device capture time."), verbose_name=_("captured at")
    )
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    status = models.CharField(max_length=20, choices=UploadStatus.choices, verbose_name=_("status"))
    result = models.JSONField(default=dict, verbose_name=_("result"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    resolution_note = models.CharField(
        max_length=300, blank=True, verbose_name=_("resolution note")
    )

    class Meta:
        verbose_name = _("field upload")
        verbose_name_plural = _("field uploads")
        ordering = ["captured_at", "id"]
        indexes = [models.Index(fields=["status", "captured_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"
