from drf_spectacular.utils import OpenApiExample, extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import (
    CharField,
    DateField,
    IntegerField,
    ModelSerializer,
    PrimaryKeyRelatedField,
)
from core.api.relations import InAreaRelatedField
from core.api.serializers import PersonalDataMixin
from geo.models import Commune, Province
from households.api.serializers import MemberCountLimited
from households.models import Household, Member
from poverty.choices import Device
from poverty.fields import (
    HOUSEHOLD_FACT_FIELDS,
    INCOME_FIELDS,
    INDICATOR_FIELDS,
    SURVEY_MEMBER_FIELDS,
)
from poverty.models import (
    Application,
    Assessment,
    AssessmentStep,
    Complaint,
    Indicator,
    OfficialStatus,
    PovertyStandard,
    ReviewRound,
    Survey,
    SurveyMember,
    WhatIfChange,
    WhatIfRun,
)


class IndicatorSerializer(ModelSerializer):
    class Meta:
        model = Indicator
        fields = list(INDICATOR_FIELDS)
        extra_kwargs = {
            "position": {"required": False},
            "params": {
                "help_text": "Every parameter the rule reads, no other (GET "
                "/poverty-standards/rules/ lists them with their defaults and sources); "
                "publishing refuses a standard whose rules do not compile."
            },
        }


class RuleParameterSerializer(serializers.Serializer):
    name = CharField()
    kind = serializers.ChoiceField(
        choices=["int", "number", "share", "codes", "retirement"],
        help_text='int: whole number; number/share: a number ("8.5", "1/2"); codes: a list '
        "of `codes`; retirement: the retirement-age schedule (ages in months).",
    )
    default = serializers.JSONField(help_text="The Decree 07/2021 value.")
    codes = serializers.ListField(
        child=CharField(), allow_null=True, help_text="Allowed codes (kind codes)."
    )
    source = CharField()
    to_confirm = serializers.BooleanField()


class RuleSerializer(serializers.Serializer):
    rule = CharField()
    parameters = RuleParameterSerializer(many=True)


class StandardSerializer(ModelSerializer):
    province = serializers.SlugRelatedField(
        slug_field="code", queryset=Province.objects.all(), required=False, allow_null=True
    )
    indicators = IndicatorSerializer(many=True)

    class Meta:
        model = PovertyStandard
        fields = [
            "id",
            "code",
            "revision",
            "name",
            "legal_basis",
            "scope",
            "province",
            "valid_from",
            "valid_to",
            "rural_line",
            "urban_line",
            "rural_average_max",
            "urban_average_max",
            "average_band_unknown",
            "min_deprivations",
            "status",
            "published_at",
            "supersedes",
            "notes",
            "indicators",
            "created_at",
        ]
        read_only_fields = ["id", "revision", "status", "published_at", "supersedes", "created_at"]
        validators = []  # a code in use is answered by the service (409 standard_exists)


class ReviewRoundSerializer(ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())

    class Meta:
        model = ReviewRound
        fields = ["id", "province", "kind", "year", "month", "opens", "closes", "name"]
        read_only_fields = ["id"]
        extra_kwargs = {
            "opens": {"required": False},
            "closes": {"required": False},
            "name": {"required": False},
        }
        validators = []  # uniqueness is reported by the service as a 409


class SurveyMemberSerializer(ModelSerializer):
    """One present member's facts. Each fact an indicator of the standards in force on the
    survey date reads for a member of that age is required (a 400 names the member and the
    field); send null for a fact that is not known: it is then never counted as a
    deprivation, and a household whose class depends on it is "undetermined", to be surveyed
    again. Working age (employment) runs from 15 to the statutory retirement age by sex and
    birth date; schooling applies from 3 to 30, nutrition under 16, health insurance from 6,
    the monthly social allowance from 16, education level from 16 to 30."""

    member = InAreaRelatedField(
        queryset=Member.objects.all(), area_paths=("household__commune", "household__village")
    )

    class Meta:
        model = SurveyMember
        fields = list(SURVEY_MEMBER_FIELDS)


_MEMBER = "01a2249a-7c1e-7b2a-9d4f-3c5e6a7b8c90"
_SPOUSE = "01a2249a-7c1e-7b2a-9d4f-3c5e6a7b8c91"


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A household survey (form B2)",
            request_only=True,
            value={
                "household": "01a2249a-6b0d-7e11-8c3e-2b4d5f6a7b80",
                "survey_date": "2026-09-15",
                "form": "b2",
                "enumerator_name": "Nguyễn Thu Hà",
                "income_wages": 24_000_000,
                "income_agriculture": 6_000_000,
                "income_allowances": 0,
                "wall_material": "bamboo",
                "frame_material": "timber",
                "roof_material": "metal_sheet",
                "floor_area_m2": "24.50",
                "water_source": "unprotected_well",
                "latrine": "simple_pit",
                "uses_internet": False,
                "devices": ["radio"],
                "waste_treatment": "burned",
                "members": [
                    {
                        "member": _MEMBER,
                        "has_health_insurance": True,
                        "education_level": "lower_secondary",
                        "employment": "self_employed",
                    },
                    {
                        "member": _SPOUSE,
                        "has_health_insurance": True,
                        "education_level": "primary",
                        "employment": "self_employed",
                    },
                ],
            },
        )
    ]
)
class SurveySerializer(MemberCountLimited, PersonalDataMixin, ModelSerializer):
    """A household survey (Form B2 facts). Posting one assesses the household under every
    standard in force on the survey date. Each household fact an indicator of those standards
    reads is required; send null for one that is not known (the indicator is then unknown,
    never a deprivation)."""

    household = InAreaRelatedField(queryset=Household.objects.all())
    members = SurveyMemberSerializer(many=True)
    devices = serializers.ListField(
        child=serializers.ChoiceField(choices=Device.choices),
        required=False,
        allow_empty=True,
        allow_null=True,
        max_length=len(Device.choices),
        help_text="Means of accessing information owned, each once; [] none; null not known. "
        "Required when a standard in force has the information-devices indicator.",
    )
    review_round = PrimaryKeyRelatedField(
        queryset=ReviewRound.objects.all(), required=False, allow_null=True, write_only=True
    )
    application = serializers.ChoiceField(
        choices=Application.choices, required=False, write_only=True
    )
    annual_income = serializers.IntegerField(read_only=True)
    assessments = serializers.SerializerMethodField()

    class Meta:
        model = Survey
        fields = [
            "id",
            "household",
            "survey_date",
            "form",
            "enumerator",
            "enumerator_name",
            *INCOME_FIELDS,
            "annual_income",
            *HOUSEHOLD_FACT_FIELDS,
            "members",
            "review_round",
            "application",
            "is_latest",
            "assessments",
            "created_at",
        ]
        read_only_fields = ["id", "enumerator", "is_latest", "created_at"]
        extra_kwargs = {"survey_date": {"not_future": True}}

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_assessments(self, obj) -> list[str]:
        """The ids of the survey's assessments, one per standard in force on its date."""
        return [str(a.pk) for a in obj.assessments.all()]


class StepSerializer(PersonalDataMixin, ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AssessmentStep
        fields = ["action", "from_state", "to_state", "actor", "at", "notes", "attachments", "data"]


class ComplaintSerializer(PersonalDataMixin, ModelSerializer):
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "assessment",
            "lodged_by",
            "lodged_on",
            "text",
            "status",
            "resolution",
            "resolved_by",
            "resolved_at",
        ]
        read_only_fields = [
            "id",
            "assessment",
            "status",
            "resolution",
            "resolved_by",
            "resolved_at",
        ]
        extra_kwargs = {"lodged_on": {"not_future": True}}


class IndicatorResultSerializer(serializers.Serializer):
    code = CharField()
    deprived = serializers.BooleanField(
        allow_null=True,
        help_text="true deprived, false not deprived, null unknown (a fact it reads was not "
        "recorded): never a deprivation.",
    )
    reason_vi = CharField()
    reason_en = CharField()


class AssessmentSerializer(PersonalDataMixin, ModelSerializer):
    standard_code = CharField(source="standard.code", read_only=True)
    standard_revision = serializers.IntegerField(
        source="standard.revision",
        read_only=True,
        help_text="The revision of the standard it used (`standard` is that revision's id).",
    )
    commune = CharField(source="household.commune_id", read_only=True)
    survey_date = serializers.DateField(source="survey.survey_date", read_only=True)
    indicators = IndicatorResultSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "household",
            "commune",
            "survey",
            "survey_date",
            "standard",
            "standard_code",
            "standard_revision",
            "engine_version",
            "review_round",
            "application",
            "is_urban",
            "household_size",
            "income_per_person_month",
            "line",
            "deprivation_count",
            "classification",
            "indicators",
            "explanation_vi",
            "explanation_en",
            "state",
            "meeting_date",
            "meeting_attendees",
            "meeting_agreeing",
            "posted_from",
            "posted_to",
            "decision_number",
            "decision_date",
            "certificate_number",
            "rejection_reason",
            "version",
            "created_at",
            "updated_at",
        ]


class ReproduceSerializer(serializers.Serializer):
    identical = serializers.BooleanField(
        help_text="The engine gives the stored answer again: class, income, line, area, each "
        "indicator's decision and reason, and the explanation."
    )
    differences = serializers.ListField(
        child=CharField(),
        help_text="What the re-run gives otherwise (stored field names; empty when identical).",
    )
    stored_engine_version = CharField()
    engine_version = CharField()
    classification = CharField()
    deprivation_count = serializers.IntegerField()
    income_per_person_month = serializers.IntegerField()
    line = serializers.IntegerField()
    indicators = IndicatorResultSerializer(many=True)
    explanation_vi = CharField()
    explanation_en = CharField()


class AssessmentDetailSerializer(AssessmentSerializer):
    steps = StepSerializer(many=True, read_only=True)
    complaints = ComplaintSerializer(many=True, read_only=True)

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "steps", "complaints"]


class _ActionSerializer(serializers.Serializer):
    version = IntegerField(
        required=False, min_value=1, help_text="Version the step is based on (or If-Match)."
    )
    notes = CharField(required=False, allow_blank=True, default="")
    attachments = serializers.ListField(
        child=CharField(max_length=500),
        required=False,
        default=list,
        help_text="References to minutes, photos or documents kept elsewhere.",
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Most of the meeting agreed",
            request_only=True,
            value={
                "meeting_date": "2026-10-02",
                "attendees": 42,
                "agreeing": 37,
                "attachments": ["BB-HOP-THON-2026-10-02.pdf"],
            },
        )
    ]
)
class MeetingSerializer(_ActionSerializer):
    meeting_date = DateField(not_future=True)
    attendees = IntegerField(min_value=1)
    agreeing = IntegerField(min_value=0)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Posted for three working days",
            request_only=True,
            value={"posted_from": "2026-10-05", "posted_to": "2026-10-07"},
        )
    ]
)
class PostingSerializer(_ActionSerializer):
    posted_from = DateField()
    posted_to = DateField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The chairperson's decision",
            request_only=True,
            value={
                "decision_number": "215/QĐ-UBND",
                "decision_date": "2026-10-12",
                "certificate_number": "GCN-06652-0007",
            },
        )
    ]
)
class ApproveSerializer(_ActionSerializer):
    decision_number = CharField(max_length=60)
    decision_date = DateField(not_future=True)
    certificate_number = CharField(max_length=60, required=False, default="", allow_blank=True)


class RejectSerializer(_ActionSerializer):
    reason = CharField(max_length=500)


class ComplaintResolvedSerializer(ComplaintSerializer):
    """A complaint with the assessment's version after it: an upheld complaint sends the
    assessment back to survey, and its next step is based on that version."""

    assessment_version = serializers.IntegerField(
        source="assessment.version",
        read_only=True,
        help_text="The assessment's version now (send it as `If-Match` on its next step).",
    )

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "assessment_version"]
        read_only_fields = [*ComplaintSerializer.Meta.read_only_fields, "assessment_version"]


class ComplaintResolveSerializer(serializers.Serializer):
    upheld = serializers.BooleanField(help_text="Upheld: the assessment returns to survey.")
    resolution = CharField()


class OfficialStatusSerializer(ModelSerializer):
    standard_code = CharField(source="standard.code", read_only=True)

    class Meta:
        model = OfficialStatus
        fields = [
            "id",
            "standard",
            "standard_code",
            "classification",
            "valid_from",
            "valid_to",
            "event",
            "assessment",
        ]


class WatchlistEntrySerializer(PersonalDataMixin, serializers.Serializer):
    personal_model = Assessment

    household = serializers.UUIDField()
    household_code = CharField()
    commune = CharField()
    escaped_on = serializers.DateField()
    standard_code = CharField()
    income_per_person_month = serializers.IntegerField()
    line = serializers.IntegerField()
    income_margin = serializers.FloatField(help_text="Income above the line, as a share of it.")
    deprivation_count = serializers.IntegerField()
    min_deprivations = serializers.IntegerField()
    reasons = serializers.ListField(child=CharField())


class WhatIfRequestSerializer(serializers.Serializer):
    standard = PrimaryKeyRelatedField(queryset=PovertyStandard.objects.all())
    baseline = PrimaryKeyRelatedField(
        queryset=PovertyStandard.objects.all(),
        required=False,
        help_text="Compare with (default: the national standard in force today).",
    )
    commune = serializers.SlugRelatedField(
        slug_field="code", queryset=Commune.objects.all(), required=False, allow_null=True
    )


class TransitionSerializer(serializers.Serializer):
    commune = CharField()
    from_class = CharField()
    to_class = CharField()
    households = serializers.IntegerField()


class WhatIfRunSerializer(ModelSerializer):
    summary = TransitionSerializer(many=True, read_only=True)
    requested_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = WhatIfRun
        fields = [
            "id",
            "standard",
            "baseline",
            "commune",
            "requested_by",
            "created_at",
            "households",
            "changed",
            "lacking",
            "seconds",
            "summary",
        ]


class WhatIfChangeSerializer(ModelSerializer):
    household_code = CharField(source="household.code", read_only=True)

    class Meta:
        model = WhatIfChange
        fields = ["household", "household_code", "commune", "from_class", "to_class"]
