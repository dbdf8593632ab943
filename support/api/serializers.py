from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.api.fields import (
    MAX_BIG,
    CharField,
    DateField,
    IntegerField,
    ModelSerializer,
    PrimaryKeyRelatedField,
)
from core.api.relations import InAreaRelatedField
from core.api.serializers import PersonalDataMixin
from core.errors import InvalidInput
from geo.models import Commune, Province, Village
from households.models import Household
from support.models import (
    Assignment,
    AssignmentStep,
    BudgetAllocation,
    Disbursement,
    LivelihoodModel,
    PackageEligibility,
    PackageFunding,
    PackageRate,
    Participation,
    Program,
    SupportPackage,
    Target,
)
from support.reports import GROUP_BY
from support.services.plans import program_tree_check


def period_field(**kwargs) -> IntegerField:
    """A support period: a year."""
    return IntegerField(min_value=2000, max_value=2100, **kwargs)


class ProgramSerializer(ModelSerializer):
    class Meta:
        model = Program
        fields = ["id", "code", "name", "level", "parent", "legal_basis", "description"]
        read_only_fields = ["id"]

    def validate(self, attrs):
        # The tree's rule is the service's (program_save checks it again on save); asked here
        # so that a refusal is answered as the field's validation error, as before.
        try:
            program_tree_check(
                program=self.instance,
                level=attrs.get("level", getattr(self.instance, "level", None)),
                parent=attrs.get("parent", getattr(self.instance, "parent", None)),
            )
        except InvalidInput as exc:
            raise serializers.ValidationError(exc.fields) from exc
        return attrs


class AllocationSerializer(ModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", queryset=Province.objects.all())
    commune = serializers.SlugRelatedField(
        slug_field="code", queryset=Commune.objects.all(), required=False, allow_null=True
    )
    available = serializers.IntegerField(read_only=True)

    class Meta:
        model = BudgetAllocation
        fields = [
            "id",
            "sub_project",
            "source",
            "year",
            "province",
            "commune",
            "amount",
            "committed",
            "disbursed",
            "available",
            "notes",
            "created_at",
        ]
        read_only_fields = ["id", "committed", "disbursed", "created_at"]
        validators = []  # uniqueness answered by the view as a 409


class EligibilitySerializer(ModelSerializer):
    class Meta:
        model = PackageEligibility
        fields = ["standard_code", "classification"]


class RateSerializer(ModelSerializer):
    class Meta:
        model = PackageRate
        fields = ["base_amount", "valid_from", "valid_to", "legal_basis"]


class FundingSerializer(ModelSerializer):
    class Meta:
        model = PackageFunding
        fields = ["source", "share_percent"]


class PackageSerializer(ModelSerializer):
    eligibility = EligibilitySerializer(many=True)
    rates = RateSerializer(many=True)
    funding = FundingSerializer(many=True)

    class Meta:
        model = SupportPackage
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "sub_project",
            "description",
            "criteria",
            "multipliers",
            "default_multiplier",
            "limit_per_period",
            "active",
            "eligibility",
            "rates",
            "funding",
        ]
        read_only_fields = ["id"]


class MatchSerializer(serializers.Serializer):
    package = serializers.UUIDField()
    package_code = CharField()
    package_name = CharField()
    kind = CharField()
    eligible = serializers.BooleanField()
    reasons_en = serializers.ListField(
        child=CharField(), help_text="Why it qualifies or not, in English."
    )
    reasons_vi = serializers.ListField(
        child=CharField(), help_text="The same reasons in Vietnamese."
    )
    reasons = serializers.ListField(
        child=CharField(),
        help_text="= `reasons_en`, kept for existing clients.",
    )
    base_amount = serializers.IntegerField(allow_null=True)
    multiplier = serializers.DecimalField(max_digits=5, decimal_places=3, allow_null=True)
    amount = serializers.IntegerField(allow_null=True)
    explanation_en = CharField(help_text="How the amount is reached, in English.")
    explanation_vi = CharField(help_text="The same in Vietnamese.")
    explanation = CharField(help_text="= `explanation_en`, kept for existing clients.")


def match_rows(matches) -> list[dict]:
    """`MatchSerializer` rows of (package, match) pairs."""
    return [
        {
            "package": p.pk,
            "package_code": p.code,
            "package_name": p.name,
            "kind": p.kind,
            "eligible": m.eligible,
            "reasons_en": m.reasons_en,
            "reasons_vi": m.reasons_vi,
            "reasons": m.reasons_en,
            "base_amount": m.base_amount,
            "multiplier": m.multiplier,
            "amount": m.amount,
            "explanation_en": m.explanation.en,
            "explanation_vi": m.explanation.vi,
            "explanation": m.explanation.en,
        }
        for p, m in matches
    ]


class AssignmentStepSerializer(ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = AssignmentStep
        fields = ["action", "from_state", "to_state", "actor", "at", "notes"]


class SplitSerializer(serializers.Serializer):
    source = CharField()
    amount = serializers.IntegerField()


class AssignmentSerializer(ModelSerializer):
    package_code = CharField(source="package.code", read_only=True)
    household_code = CharField(source="household.code", read_only=True)
    commune = CharField(source="household.commune_id", read_only=True)
    split = SplitSerializer(many=True, read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "household",
            "household_code",
            "commune",
            "package",
            "package_code",
            "period",
            "base_amount",
            "multiplier",
            "amount",
            "explanation",
            "explanation_vi",
            "split",
            "state",
            "reason",
            "disbursed",
            "version",
            "created_at",
            "updated_at",
        ]


class AssignmentDetailSerializer(AssignmentSerializer):
    steps = AssignmentStepSerializer(many=True, read_only=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [*AssignmentSerializer.Meta.fields, "steps"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Housing support for 2026",
            request_only=True,
            value={
                "household": "01a2249a-6b0d-7e11-8c3e-2b4d5f6a7b80",
                "package": "01a2249b-1f2e-7a3b-8c4d-5e6f7a8b9c0d",
                "period": 2026,
                "notes": "Nhà tạm, mái tôn thủng.",
            },
        )
    ]
)
class ProposeSerializer(serializers.Serializer):
    household = InAreaRelatedField(queryset=Household.objects.all())
    package = PrimaryKeyRelatedField(queryset=SupportPackage.objects.all())
    period = period_field()
    notes = CharField(required=False, allow_blank=True, default="")


class BulkProposeSerializer(serializers.Serializer):
    package = PrimaryKeyRelatedField(queryset=SupportPackage.objects.all())
    commune = serializers.SlugRelatedField(slug_field="code", queryset=Commune.objects.all())
    period = period_field()


class _VersionedSerializer(serializers.Serializer):
    version = IntegerField(
        required=False, min_value=1, help_text="Version the step is based on (or If-Match)."
    )


class NotesSerializer(_VersionedSerializer):
    notes = CharField(required=False, allow_blank=True, default="", max_length=500)


class ReasonSerializer(_VersionedSerializer):
    reason = CharField(max_length=500)


class DisbursementSerializer(ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = Disbursement
        fields = [
            "id",
            "assignment",
            "date",
            "amount",
            "evidence_reference",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["id", "assignment", "created_by", "created_at"]


class DisbursedSerializer(DisbursementSerializer):
    """The answer to a disbursement: the record, and the assignment's new version (also its
    `ETag`), which the assignment's next step is based on."""

    assignment_version = serializers.IntegerField(
        source="assignment.version",
        read_only=True,
        help_text="The assignment's version after this delivery (send it as `If-Match`).",
    )

    class Meta(DisbursementSerializer.Meta):
        fields = [*DisbursementSerializer.Meta.fields, "assignment_version"]
        read_only_fields = [*DisbursementSerializer.Meta.read_only_fields, "assignment_version"]


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "The first instalment",
            request_only=True,
            value={"date": "2026-11-02", "amount": 20_000_000, "evidence_reference": "PC-0415"},
        )
    ]
)
class DisburseSerializer(_VersionedSerializer):
    date = DateField(not_future=True)
    amount = IntegerField(min_value=1, max_value=MAX_BIG)
    evidence_reference = CharField(max_length=300)


class ParticipationSerializer(PersonalDataMixin, ModelSerializer):
    household = InAreaRelatedField(queryset=Household.objects.all())

    class Meta:
        model = Participation
        fields = [
            "id",
            "household",
            "joined_on",
            "income_before",
            "income_after",
            "still_active",
            "notes",
        ]
        read_only_fields = ["id"]
        extra_kwargs = {"joined_on": {"not_future": True}}


class LivelihoodModelSerializer(ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", queryset=Commune.objects.all())
    participants = ParticipationSerializer(many=True, read_only=True)

    class Meta:
        model = LivelihoodModel
        fields = [
            "id",
            "name",
            "type",
            "commune",
            "program",
            "start_date",
            "end_date",
            "budget",
            "description",
            "participants",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class TargetSerializer(ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", queryset=Commune.objects.all())
    village = InAreaRelatedField(
        queryset=Village.objects.all(),
        area_paths=("commune", "pk"),
        required=False,
        allow_null=True,
        help_text="A village of the commune: the village's own target; null: the commune's.",
    )
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Target
        fields = [
            "id",
            "commune",
            "village",
            "year",
            "standard_code",
            "households_to_lift",
            "poverty_rate_target",
            "progress",
        ]
        read_only_fields = ["id"]
        validators = []

    def get_progress(self, obj) -> dict:
        return self.context.get("progress", {}).get(obj.pk, {})


class BudgetRowSerializer(serializers.Serializer):
    key = CharField()
    allocated = serializers.IntegerField()
    committed = serializers.IntegerField()
    disbursed = serializers.IntegerField()
    available = serializers.IntegerField()


class CoverageRowSerializer(serializers.Serializer):
    commune = CharField()
    package = CharField()
    eligible_households = serializers.IntegerField(
        help_text="Poor / near-poor households of the package's classifications."
    )
    covered = serializers.IntegerField()
    coverage = serializers.FloatField()


class GapSerializer(serializers.Serializer):  # a household of the coverage gap
    household = serializers.UUIDField(source="pk")
    household_code = CharField(source="code")
    commune = CharField(source="commune_id")


# ---------------------------------------------------------------------------- query parameters


class PeriodParams(serializers.Serializer):
    period = period_field(help_text="Year.")
    commune = CharField(required=False)


class EligibleParams(serializers.Serializer):
    period = period_field(required=False, help_text="Year (default: this year).")


class BudgetExecutionParams(serializers.Serializer):
    year = period_field(required=False)
    group_by = serializers.ChoiceField(choices=list(GROUP_BY), default="program")


class CoverageParams(serializers.Serializer):
    period = period_field(help_text="Year.")
    package = CharField(required=False, help_text="A package code.")
