from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core import personal
from core.audit import AuditedRecords
from core.formatting import format_date
from core.ids import new_id
from core.models import LoadsFast
from geo.models import Province
from households.choices import Sex
from households.models import Household, Member

from .choices import (
    Application,
    Classification,
    ComplaintStatus,
    Dimension,
    EducationLevel,
    Employment,
    Latrine,
    Material,
    Nutrition,
    ReviewKind,
    Rule,
    Schooling,
    Scope,
    StandardStatus,
    StatusEvent,
    WasteTreatment,
    WaterSource,
    WorkflowState,
)
from .fields import INCOME_FIELDS


class PovertyStandard(LoadsFast, models.Model):
    """A poverty standard as versioned data. Published revisions are immutable; a correction
    is a new revision of the same code."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    code = models.CharField(_("code"), max_length=40, help_text=_("e.g. VN-ND07-2021"))
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    name = models.CharField(_("name"), max_length=200)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("province"),
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    rural_line = models.PositiveBigIntegerField(
        _("rural line"), help_text=_("VND per person per month.")
    )
    urban_line = models.PositiveBigIntegerField(
        _("urban line"), help_text=_("VND per person per month.")
    )
    rural_average_max = models.PositiveBigIntegerField(
        _("rural average max"),
        null=True,
        blank=True,
        help_text=_("Top of the average-living-standard band (rural)."),
    )
    urban_average_max = models.PositiveBigIntegerField(
        _("urban average max"), null=True, blank=True
    )
    average_band_unknown = models.BooleanField(
        _("average band unknown"),
        default=False,
        help_text=_(
            "The law sets an average-living-standard band whose figures are not known yet "
            "(both band tops stay empty). Above the line a household is classed not poor, and "
            "its explanation says that whether it is of average living standard cannot be told "
            "yet. Band tops empty without this: the standard has no band."
        ),
    )
    min_deprivations = models.PositiveSmallIntegerField(_("min deprivations"), default=3)
    status = models.CharField(
        _("status"), max_length=10, choices=StandardStatus.choices, default=StandardStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    supersedes = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("supersedes"),
    )
    notes = models.TextField(
        _("notes"), blank=True, help_text=_("Sources, and what is still to be verified.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
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
            models.CheckConstraint(
                condition=Q(average_band_unknown=False)
                | Q(rural_average_max__isnull=True, urban_average_max__isnull=True),
                name="standard_unknown_band_has_no_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} r{self.revision}"


class Indicator(LoadsFast, models.Model):
    standard = models.ForeignKey(
        PovertyStandard,
        on_delete=models.CASCADE,
        related_name="indicators",
        verbose_name=_("standard"),
    )
    code = models.CharField(_("code"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    dimension = models.CharField(_("dimension"), max_length=20, choices=Dimension.choices)
    name_vi = models.CharField(_("name vi"), max_length=200)
    name_en = models.CharField(_("name en"), max_length=200)
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    params = models.JSONField(
        _("params"),
        default=dict,
        blank=True,
        help_text=_(
            "Every parameter the rule reads (poverty.rules.PARAMETERS); a standard is "
            "published only when each indicator's rule compiles with them."
        ),
    )
    sources = models.JSONField(
        _("sources"),
        default=dict,
        blank=True,
        help_text=_('Per parameter: {"source": legal text, "to_confirm": still to be checked}.'),
    )
    to_confirm = models.BooleanField(
        _("to confirm"),
        default=False,
        help_text=_("Wording or threshold still to be verified against the text."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["standard", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "code"], name="indicator_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.standard})"


class ReviewRound(LoadsFast, models.Model):
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="+", verbose_name=_("province")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReviewKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.PositiveSmallIntegerField(_("month"), null=True, blank=True)
    opens = models.DateField(_("opens"))
    closes = models.DateField(_("closes"))
    name = models.CharField(_("name"), max_length=120)

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


class Survey(LoadsFast, models.Model):
    """A household survey, kept as submitted (`submitted`) and normalised (the columns)."""

    PERSONAL_FIELDS = frozenset({*INCOME_FIELDS, "annual_income", "submitted"})

    class Form(models.TextChoices):
        B1 = "b1", _("B1 quick screen")
        B2 = "b2", _("B2 full survey")

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("household")
    )
    survey_date = models.DateField(_("survey date"))
    form = models.CharField(_("form"), max_length=2, choices=Form.choices, default=Form.B2)
    enumerator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("enumerator"),
    )
    enumerator_name = models.CharField(_("enumerator name"), max_length=150, blank=True)
    income_wages = models.PositiveBigIntegerField(_("income wages"), default=0)
    income_agriculture = models.PositiveBigIntegerField(_("income agriculture"), default=0)
    income_business = models.PositiveBigIntegerField(_("income business"), default=0)
    income_allowances = models.PositiveBigIntegerField(_("income allowances"), default=0)
    income_other = models.PositiveBigIntegerField(_("income other"), default=0)
    # A household fact left null was not known to the enumerator: the indicator reading it is
    # unknown, never a deprivation (the survey requires each one a standard reads, as null
    # when not known, as it does the members' facts).
    wall_material = models.CharField(
        _("wall material"), max_length=16, choices=Material.choices, null=True, blank=True
    )
    frame_material = models.CharField(
        _("frame material"), max_length=16, choices=Material.choices, null=True, blank=True
    )
    roof_material = models.CharField(
        _("roof material"), max_length=16, choices=Material.choices, null=True, blank=True
    )
    floor_area_m2 = models.DecimalField(
        _("floor area m2"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        null=True,
        blank=True,
    )
    water_source = models.CharField(
        _("water source"), max_length=20, choices=WaterSource.choices, null=True, blank=True
    )
    latrine = models.CharField(
        _("latrine"), max_length=16, choices=Latrine.choices, null=True, blank=True
    )
    uses_internet = models.BooleanField(_("uses internet"), null=True, blank=True)
    devices = models.JSONField(
        _("devices"),
        null=True,
        blank=True,
        help_text=_("Devices owned; [] none; null not recorded."),
    )
    waste_treatment = models.CharField(
        _("waste treatment"), max_length=20, choices=WasteTreatment.choices, null=True, blank=True
    )
    is_urban = models.BooleanField(
        _("is urban"),
        editable=False,
        help_text=_(
            "Whether the household's commune was urban on the survey date (its income line, "
            "from the commune's recorded changes of kind); a later change to the commune "
            "does not change the survey's assessments."
        ),
    )
    submitted = models.JSONField(
        _("submitted"), default=dict, blank=True, help_text=_("The body as submitted.")
    )
    captured_at = models.DateTimeField(
        _("captured at"),
        null=True,
        blank=True,
        help_text=_("When the device captured it (offline apps send later)."),
    )
    is_latest = models.BooleanField(_("is latest"), default=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
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
            models.CheckConstraint(
                condition=Q(floor_area_m2__isnull=True) | Q(floor_area_m2__gt=0),
                name="survey_area_positive",
            )
        ]

    def __str__(self) -> str:
        return f"{self.household.code} · {format_date(self.survey_date)}"

    @property
    def annual_income(self) -> int:
        return sum(getattr(self, name) for name in INCOME_FIELDS)


class SurveyMember(LoadsFast, models.Model):
    PERSONAL_FIELDS = frozenset({"date_of_birth"})

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="members", verbose_name=_("survey")
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", verbose_name=_("member")
    )
    # The member's birth date and sex as the survey read them from the register (the rules'
    # ages and working age): a later correction of the register does not change the survey's
    # assessments; a new survey reads the corrected values.
    date_of_birth = models.DateField(_("date of birth"), editable=False)
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices, editable=False)
    # A fact left null was not recorded: unknown, never counted as a deprivation. The survey
    # API requires each fact an applicable indicator reads (null allowed, saying "unknown").
    has_health_insurance = models.BooleanField(_("has health insurance"), null=True, blank=True)
    schooling = models.CharField(
        _("schooling"), max_length=16, choices=Schooling.choices, null=True, blank=True
    )
    education_level = models.CharField(
        _("education level"), max_length=16, choices=EducationLevel.choices, null=True, blank=True
    )
    employment = models.CharField(
        _("employment"), max_length=20, choices=Employment.choices, null=True, blank=True
    )
    receives_social_allowance = models.BooleanField(
        _("receives social allowance"), null=True, blank=True
    )
    nutrition = models.CharField(
        _("nutrition"), max_length=12, choices=Nutrition.choices, null=True, blank=True
    )

    class Meta:
        verbose_name = _("survey member")
        verbose_name_plural = _("survey members")
        ordering = ["survey", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "member"], name="survey_member_unique")
        ]

    def __str__(self) -> str:
        return str(self.member)


class Assessment(LoadsFast, models.Model):
    """The classification of one survey under one standard, and its review workflow."""

    PERSONAL_FIELDS = frozenset({"income_per_person_month", "explanation_vi", "explanation_en"})

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("household")
    )
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("survey")
    )
    standard = models.ForeignKey(
        PovertyStandard, on_delete=models.PROTECT, related_name="+", verbose_name=_("standard")
    )
    engine_version = models.CharField(_("engine version"), max_length=20)
    review_round = models.ForeignKey(
        ReviewRound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessments",
        verbose_name=_("review round"),
    )
    application = models.CharField(
        _("application"), max_length=16, choices=Application.choices, default=Application.NONE
    )
    is_urban = models.BooleanField(_("is urban"))
    household_size = models.PositiveSmallIntegerField(_("household size"))
    income_per_person_month = models.BigIntegerField(_("income per person month"))
    line = models.PositiveBigIntegerField(_("line"))
    deprivation_count = models.PositiveSmallIntegerField(_("deprivation count"))
    classification = models.CharField(
        _("classification"), max_length=12, choices=Classification.choices
    )
    indicators = models.JSONField(
        _("indicators"),
        help_text=_(
            "Each indicator: code, deprived (true, false, or null when a fact it needs "
            "was not recorded), reasons."
        ),
    )
    explanation_vi = models.TextField(_("explanation vi"))
    explanation_en = models.TextField(_("explanation en"))
    state = models.CharField(
        _("state"), max_length=16, choices=WorkflowState.choices, default=WorkflowState.SURVEYED
    )
    meeting_date = models.DateField(_("meeting date"), null=True, blank=True)
    meeting_attendees = models.PositiveIntegerField(_("meeting attendees"), null=True, blank=True)
    meeting_agreeing = models.PositiveIntegerField(_("meeting agreeing"), null=True, blank=True)
    posted_from = models.DateField(_("posted from"), null=True, blank=True)
    posted_to = models.DateField(_("posted to"), null=True, blank=True)
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    certificate_number = models.CharField(_("certificate number"), max_length=60, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords(excluded_fields=["indicators", "explanation_vi", "explanation_en"])

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
        return f"{self.household.code} · {self.standard.code} · {self.get_classification_display()}"


class AssessmentStep(LoadsFast, models.Model):
    """One recorded step of the review: who, when, what, notes and attachment references."""

    PERSONAL_FIELDS = frozenset({"notes"})

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="steps", verbose_name=_("assessment")
    )
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from state"), max_length=16, choices=WorkflowState.choices)
    to_state = models.CharField(_("to state"), max_length=16, choices=WorkflowState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    notes = models.TextField(_("notes"), blank=True)
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("assessment step")
        verbose_name_plural = _("assessment steps")
        ordering = ["assessment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"


class Complaint(LoadsFast, models.Model):
    PERSONAL_FIELDS = frozenset({"lodged_by", "text", "resolution"})
    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.CASCADE,
        related_name="complaints",
        verbose_name=_("assessment"),
    )
    lodged_by = models.CharField(_("lodged by"), max_length=150)
    lodged_on = models.DateField(_("lodged on"))
    text = models.TextField(_("text"))
    status = models.CharField(
        _("status"), max_length=10, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["lodged_on", "id"]

    def __str__(self) -> str:
        by = self.lodged_by if personal.shown() else _("a resident")
        said = _("Complaint by %(by)s (%(status)s)")  # lazy: % makes the text now
        return said % {"by": by, "status": self.get_status_display()}


class OfficialStatus(LoadsFast, models.Model):
    """A period of official status of a household under one standard, decided by an
    approved assessment. The current period has no end date."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
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
        _("classification"), max_length=12, choices=Classification.choices
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    assessment = models.OneToOneField(
        Assessment,
        on_delete=models.PROTECT,
        related_name="official_status",
        verbose_name=_("assessment"),
    )
    event = models.CharField(_("event"), max_length=20, choices=StatusEvent.choices)
    # The deciding assessment's indicator results, copied when the status is recorded (an
    # approved assessment never changes) so that the deprivation reports count them from
    # this row alone: no read of the assessment's JSON (reports.poverty_figures).
    deprivation_count = models.PositiveSmallIntegerField(_("deprivation count"))
    indicator_codes = models.TextField(
        _("indicator codes"),
        help_text=_("The assessment's indicator codes in its order, comma-separated."),
    )
    deprived_mask = models.BigIntegerField(
        _("deprived mask"),
        help_text=_(
            "Bit i set: deprived in the i-th of the indicator codes (an indicator whose "
            "facts were not recorded is not a deprivation)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = AuditedRecords(
        excluded_fields=["deprivation_count", "indicator_codes", "deprived_mask"]
    )

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
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.household.code} · {self.standard.code} · "
            f"{self.get_classification_display()} · {format_date(self.valid_from)}"
        )


# Defined in poverty.records; imported here so Django registers them with the app's models,
# and so they (and the upload choices) are imported from poverty.models as before.

from .choices import UploadKind, UploadStatus  # noqa: E402, F401
from .records import FieldUpload, WhatIfChange, WhatIfRun  # noqa: E402, F401
