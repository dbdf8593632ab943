from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core import personal
from core.audit import AuditedRecords
from core.formatting import format_date
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

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.CharField(max_length=40, help_text="e.g. VN-ND07-2021")
    revision = models.PositiveSmallIntegerField(default=1)
    name = models.CharField(max_length=200)
    legal_basis = models.CharField(max_length=300)
    scope = models.CharField(max_length=12, choices=Scope.choices)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    rural_line = models.PositiveBigIntegerField(help_text="VND per person per month.")
    urban_line = models.PositiveBigIntegerField(help_text="VND per person per month.")
    rural_average_max = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Top of the average-living-standard band (rural)."
    )
    urban_average_max = models.PositiveBigIntegerField(null=True, blank=True)
    min_deprivations = models.PositiveSmallIntegerField(default=3)
    status = models.CharField(
        max_length=10, choices=StandardStatus.choices, default=StandardStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    supersedes = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notes = models.TextField(blank=True, help_text="Sources, and what is still to be verified.")
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedRecords()

    class Meta:
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
        PovertyStandard, on_delete=models.CASCADE, related_name="indicators"
    )
    code = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    name_vi = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    rule = models.CharField(max_length=20, choices=Rule.choices)
    params = models.JSONField(
        default=dict,
        blank=True,
        help_text="Every parameter the rule reads (poverty.rules.PARAMETERS); a standard is "
        "published only when each indicator's rule compiles with them.",
    )
    sources = models.JSONField(
        default=dict,
        blank=True,
        help_text='Per parameter: {"source": legal text, "to_confirm": still to be checked}.',
    )
    to_confirm = models.BooleanField(
        default=False, help_text="Wording or threshold still to be verified against the text."
    )
    notes = models.TextField(blank=True)

    class Meta:
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
    PERIODIC = "periodic", "Annual periodic review (1 Sep – 14 Dec)"
    REGULAR = "regular", "Monthly regular review (on application)"


class ReviewRound(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    year = models.PositiveSmallIntegerField()
    month = models.PositiveSmallIntegerField(null=True, blank=True)
    opens = models.DateField()
    closes = models.DateField()
    name = models.CharField(max_length=120)

    class Meta:
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
        B1 = "b1", "B1 quick screen"
        B2 = "b2", "B2 full survey"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="surveys")
    survey_date = models.DateField()
    form = models.CharField(max_length=2, choices=Form.choices, default=Form.B2)
    enumerator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    enumerator_name = models.CharField(max_length=150, blank=True)
    income_wages = models.PositiveBigIntegerField(default=0)
    income_agriculture = models.PositiveBigIntegerField(default=0)
    income_business = models.PositiveBigIntegerField(default=0)
    income_allowances = models.PositiveBigIntegerField(default=0)
    income_other = models.PositiveBigIntegerField(default=0)
    wall_material = models.CharField(max_length=16, choices=Material.choices)
    frame_material = models.CharField(max_length=16, choices=Material.choices)
    roof_material = models.CharField(max_length=16, choices=Material.choices)
    floor_area_m2 = models.DecimalField(
        max_digits=8, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    water_source = models.CharField(max_length=20, choices=WaterSource.choices)
    latrine = models.CharField(max_length=16, choices=Latrine.choices)
    uses_internet = models.BooleanField()
    devices = models.JSONField(
        null=True, blank=True, help_text="Devices owned; [] none; null not recorded."
    )
    waste_treatment = models.CharField(
        max_length=20, choices=WasteTreatment.choices, null=True, blank=True
    )
    submitted = models.JSONField(default=dict, blank=True, help_text="The body as submitted.")
    captured_at = models.DateTimeField(
        null=True, blank=True, help_text="When the device captured it (offline apps send later)."
    )
    is_latest = models.BooleanField(default=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedRecords()

    class Meta:
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
        return f"{self.household.code} · {format_date(self.survey_date)}"

    @property
    def annual_income(self) -> int:
        return sum(getattr(self, name) for name in INCOME_FIELDS)


class SurveyMember(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="members")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    # A fact left null was not recorded: unknown, never counted as a deprivation. The survey
    # API requires each fact an applicable indicator reads (null allowed, saying "unknown").
    has_health_insurance = models.BooleanField(null=True, blank=True)
    schooling = models.CharField(max_length=16, choices=Schooling.choices, null=True, blank=True)
    education_level = models.CharField(
        max_length=16, choices=EducationLevel.choices, null=True, blank=True
    )
    employment = models.CharField(max_length=20, choices=Employment.choices, null=True, blank=True)
    receives_social_allowance = models.BooleanField(null=True, blank=True)
    nutrition = models.CharField(max_length=12, choices=Nutrition.choices, null=True, blank=True)

    class Meta:
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="survey_member_unique"),
        ]

    def __str__(self) -> str:
        return str(self.member)


class Application(models.TextChoices):
    NONE = "none", "Periodic review (no application)"
    ENTER = "enter", "Application to be recognised poor / near-poor"
    EXIT = "exit", "Application to be recognised as having escaped"
    VOLUNTARY_EXIT = "voluntary_exit", "Voluntary exit"


class WorkflowState(models.TextChoices):
    SURVEYED = "surveyed", "Surveyed and classified"
    VILLAGE_AGREED = "village_agreed", "Agreed at the village meeting"
    POSTED = "posted", "Publicly posted"
    APPROVED = "approved", "Approved by the commune"
    REJECTED = "rejected", "Rejected"
    RETURNED = "returned", "Returned to survey"


class Assessment(models.Model):
    """The classification of one survey under one standard, and its review workflow."""

    PERSONAL_FIELDS = frozenset({"income_per_person_month", "explanation_vi", "explanation_en"})

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="assessments")
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="assessments")
    standard = models.ForeignKey(PovertyStandard, on_delete=models.PROTECT, related_name="+")
    engine_version = models.CharField(max_length=20)
    review_round = models.ForeignKey(
        ReviewRound, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    application = models.CharField(
        max_length=16, choices=Application.choices, default=Application.NONE
    )
    is_urban = models.BooleanField()
    household_size = models.PositiveSmallIntegerField()
    income_per_person_month = models.BigIntegerField()
    line = models.PositiveBigIntegerField()
    deprivation_count = models.PositiveSmallIntegerField()
    classification = models.CharField(max_length=12, choices=Classification.choices)
    indicators = models.JSONField(
        help_text="Each indicator: code, deprived (true, false, or null when a fact it needs "
        "was not recorded), reasons."
    )
    explanation_vi = models.TextField()
    explanation_en = models.TextField()
    state = models.CharField(
        max_length=16, choices=WorkflowState.choices, default=WorkflowState.SURVEYED
    )
    meeting_date = models.DateField(null=True, blank=True)
    meeting_attendees = models.PositiveIntegerField(null=True, blank=True)
    meeting_agreeing = models.PositiveIntegerField(null=True, blank=True)
    posted_from = models.DateField(null=True, blank=True)
    posted_to = models.DateField(null=True, blank=True)
    decision_number = models.CharField(max_length=60, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    certificate_number = models.CharField(max_length=60, blank=True)
    rejection_reason = models.CharField(max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedRecords(
        excluded_fields=["indicators", "explanation_vi", "explanation_en"],
    )

    class Meta:
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
        return f"{self.household.code} · {self.standard.code} · {self.get_classification_display()}"


class AssessmentStep(models.Model):
    """One recorded step of the review: who, when, what, notes and attachment references."""

    PERSONAL_FIELDS = frozenset({"notes"})

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=30)
    from_state = models.CharField(max_length=16, choices=WorkflowState.choices)
    to_state = models.CharField(max_length=16, choices=WorkflowState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    notes = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["assessment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class ComplaintStatus(models.TextChoices):
    OPEN = "open", "Open"
    UPHELD = "upheld", "Upheld (assessment returned to survey)"
    DISMISSED = "dismissed", "Dismissed"


class Complaint(models.Model):
    PERSONAL_FIELDS = frozenset({"lodged_by", "text", "resolution"})
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="complaints")
    lodged_by = models.CharField(max_length=150)
    lodged_on = models.DateField()
    text = models.TextField()
    status = models.CharField(
        max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["lodged_on", "id"]

    def __str__(self) -> str:
        by = self.lodged_by if personal.shown() else "a resident"
        return f"Complaint by {by} ({self.status})"


class StatusEvent(models.TextChoices):
    FIRST = "first_recognised", "First recognised"
    NEWLY_POOR = "newly_poor", "Newly poor"
    ESCAPED = "escaped", "Escaped poverty"
    RELAPSED = "relapsed", "Relapsed into poverty"
    VOLUNTARY_EXIT = "voluntary_exit", "Voluntarily exited"
    RECLASSIFIED = "reclassified", "Reclassified"
    CONFIRMED = "confirmed", "Confirmed (unchanged)"


class OfficialStatus(models.Model):
    """A period of official status of a household under one standard, decided by an
    approved assessment. The current period has no end date."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="official_statuses"
    )
    standard = models.ForeignKey(PovertyStandard, on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(max_length=12, choices=Classification.choices)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="official_status"
    )
    event = models.CharField(max_length=20, choices=StatusEvent.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedRecords()

    class Meta:
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
        return (
            f"{self.household.code} · {self.standard.code} · "
            f"{self.get_classification_display()} · {format_date(self.valid_from)}"
        )


class WhatIfRun(models.Model):
    """Re-assessment of the latest surveys under another standard, official statuses
    untouched: who would change class."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    standard = models.ForeignKey(PovertyStandard, on_delete=models.PROTECT, related_name="+")
    baseline = models.ForeignKey(PovertyStandard, on_delete=models.PROTECT, related_name="+")
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    households = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0)
    summary = models.JSONField(default=list, help_text="Counts by commune and transition.")
    lacking = models.PositiveIntegerField(
        default=0,
        help_text="Households whose class under the standard depends on a fact their latest "
        "survey did not record (to_class undetermined among the changes).",
    )

    class Meta:
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.standard} / {self.baseline} · {format_date(self.created_at)}"


class WhatIfChange(models.Model):
    run = models.ForeignKey(WhatIfRun, on_delete=models.CASCADE, related_name="changes")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    commune = models.ForeignKey("geo.Commune", on_delete=models.PROTECT, related_name="+")
    from_class = models.CharField(max_length=12, choices=Classification.choices)
    to_class = models.CharField(max_length=12, choices=Classification.choices)

    class Meta:
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["run", "commune", "from_class", "to_class"])]

    def __str__(self) -> str:
        return (
            f"{self.household.code}: {self.get_from_class_display()} → "
            f"{self.get_to_class_display()}"
        )


class UploadKind(models.TextChoices):
    SURVEY = "survey", "Household survey"
    HOUSEHOLD_EDIT = "household_edit", "Household edit"
    MEMBER_EDIT = "member_edit", "Member edit"
    HOUSEHOLD_CREATE = "household_create", "Household registration"
    VISIT = "visit", "Visit record (a case's follow-up)"


class UploadStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    CONFLICT = "conflict", "Kept: the household changed meanwhile (an officer resolves it)"
    REJECTED = "rejected", "Rejected (invalid)"
    RESOLVED_APPLIED = "resolved_applied", "Conflict resolved: applied"
    RESOLVED_DISCARDED = "resolved_discarded", "Conflict resolved: discarded"


class FieldUpload(models.Model):
    """One item sent by a field app, keyed by the UUID the device generated: posting it again
    returns the original result; the same UUID with another body is refused."""

    PERSONAL_FIELDS = frozenset({"body", "result"})

    id = models.UUIDField(primary_key=True, help_text="Client-generated UUID.")
    kind = models.CharField(max_length=16, choices=UploadKind.choices)
    # None: a household registration that was rejected (nothing was created)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # None: a household registration (there was no version to base it on)
    based_on_version = models.PositiveIntegerField(null=True, blank=True)
    body = models.JSONField()
    body_hash = models.CharField(max_length=64)
    captured_at = models.DateTimeField(help_text="Device capture time.")
    received_at = models.DateTimeField(auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=UploadStatus.choices)
    result = models.JSONField(default=dict)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["captured_at", "id"]
        indexes = [models.Index(fields=["status", "captured_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {format_date(self.captured_at)} ({self.status})"
