from django.db.models import Exists, OuterRef, Prefetch
from rest_framework import serializers

from config.api.fields import DateField, IntegerField, ModelSerializer
from households.choices import DuplicateStatus, HouseholdStatus
from households.models import (
    Commune,
    DuplicateCandidate,
    EthnicGroup,
    Household,
    Member,
    Province,
    Village,
)

# Fields hidden from roles without personal-data rights (config.access.Perm.VIEW_PERSONAL).
PERSONAL_FIELDS = {
    "full_name",
    "date_of_birth",
    "citizen_id",
    "address",
    "phone",
    "latitude",
    "longitude",
}


class PersonalDataMixin:
    """Blanks personal fields for users whose role does not need them."""

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not self.context.get("show_personal", False):
            for name in PERSONAL_FIELDS & data.keys():
                data[name] = None
        return data


class ProvinceSerializer(ModelSerializer):
    class Meta:
        model = Province
        fields = ["code", "name", "codename"]


class CommuneSerializer(ModelSerializer):
    class Meta:
        model = Commune
        fields = ["code", "name", "codename", "kind", "is_urban", "province"]


class EthnicGroupSerializer(ModelSerializer):
    is_minority = serializers.BooleanField(read_only=True)

    class Meta:
        model = EthnicGroup
        fields = ["code", "name", "is_minority"]


class VillageSerializer(ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", queryset=Commune.objects.all())

    class Meta:
        model = Village
        fields = ["id", "commune", "name", "kind", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


def _open_duplicate(side_lookup: str) -> Exists:
    """An open duplicate candidate with this row on one side. One EXISTS per side (not one
    with an OR) so PostgreSQL can hash each subquery once for the whole page."""
    return Exists(
        DuplicateCandidate.objects.filter(
            status=DuplicateStatus.OPEN, **{side_lookup: OuterRef("pk")}
        )
    )


def member_queryset():
    """Members with their open-duplicate flag, for nesting and listing."""
    return Member.objects.annotate(
        has_possible_duplicates=_open_duplicate("member_a") | _open_duplicate("member_b")
    )


def household_queryset():
    return (
        Household.objects.select_related("commune")
        .annotate(
            has_possible_duplicates=_open_duplicate("member_a__household")
            | _open_duplicate("member_b__household")
        )
        .prefetch_related(
            Prefetch(
                "members",
                queryset=member_queryset().order_by("relationship", "date_of_birth", "id"),
            )
        )
    )


class MemberSerializer(PersonalDataMixin, ModelSerializer):
    """A member as read. `household` is the household's id."""

    birth_year = serializers.SerializerMethodField()
    has_possible_duplicates = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Member
        fields = [
            "id",
            "household",
            "full_name",
            "date_of_birth",
            "birth_year",
            "sex",
            "ethnicity",
            "relationship",
            "citizen_id",
            "status",
            "status_date",
            "has_possible_duplicates",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {name: {"allow_null": True} for name in PERSONAL_FIELDS}

    def get_birth_year(self, obj) -> int:
        return obj.date_of_birth.year


class MemberWriteSerializer(ModelSerializer):
    """A member as written. Nested in a household, `id` (and `version`) select an existing
    member to change; without `id` a new member is added."""

    id = serializers.UUIDField(required=False)
    version = IntegerField(required=False, min_value=1)
    ethnicity = serializers.SlugRelatedField(slug_field="code", queryset=EthnicGroup.objects.all())
    citizen_id = serializers.RegexField(
        r"^\d{12}$",
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages={"invalid": "A citizen ID has exactly 12 digits."},
    )

    class Meta:
        model = Member
        fields = [
            "id",
            "version",
            "full_name",
            "date_of_birth",
            "sex",
            "ethnicity",
            "relationship",
            "citizen_id",
            "status",
            "status_date",
        ]
        extra_kwargs = {"date_of_birth": {"not_future": True}, "status_date": {"not_future": True}}


class MemberCreateSerializer(MemberWriteSerializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all())

    class Meta(MemberWriteSerializer.Meta):
        fields = [
            "household",
            *[f for f in MemberWriteSerializer.Meta.fields if f not in ("id", "version")],
        ]


class MemberMoveSerializer(serializers.Serializer):
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.all())
    relationship = serializers.ChoiceField(choices=Member._meta.get_field("relationship").choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    version = IntegerField(required=False, min_value=1)


class HouseholdSerializer(PersonalDataMixin, ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_urban = serializers.BooleanField(source="commune.is_urban", read_only=True)
    members = MemberSerializer(many=True, read_only=True)
    has_possible_duplicates = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Household
        fields = [
            "id",
            "code",
            "external_id",
            "commune",
            "is_urban",
            "village",
            "address",
            "phone",
            "latitude",
            "longitude",
            "source",
            "status",
            "status_reason",
            "status_date",
            "merged_into",
            "has_possible_duplicates",
            "members",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {name: {"allow_null": True} for name in PERSONAL_FIELDS}


class HouseholdWriteSerializer(ModelSerializer):
    """Register a household with its members, or change it. On update, listed members are
    changed (with `id`) or added (without); to end a membership set its `status`."""

    commune = serializers.SlugRelatedField(
        slug_field="code", queryset=Commune.objects.all(), help_text="Commune code (5 digits)."
    )
    village = serializers.PrimaryKeyRelatedField(
        queryset=Village.objects.all(), required=False, allow_null=True
    )
    members = MemberWriteSerializer(many=True, required=False)
    version = IntegerField(
        required=False, min_value=1, help_text="Version the update is based on (or If-Match)."
    )

    class Meta:
        model = Household
        fields = [
            "external_id",
            "commune",
            "village",
            "address",
            "phone",
            "latitude",
            "longitude",
            "members",
            "version",
        ]

    def validate_external_id(self, value):
        return value or None


class HouseholdCloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[HouseholdStatus.MOVED_OUT, HouseholdStatus.DISSOLVED])
    reason = serializers.CharField(max_length=255)
    date = DateField(not_future=True)
    version = IntegerField(required=False, min_value=1)


class HouseholdMergeSerializer(serializers.Serializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Household.objects.all(), help_text="The household that remains."
    )
    reason = serializers.CharField(max_length=255)
    date = DateField(not_future=True)
    version = IntegerField(
        required=False, min_value=1, help_text="Version of the household being merged away."
    )


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    object_type = serializers.ChoiceField(choices=["household", "member"])
    object_id = serializers.UUIDField()
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = serializers.CharField(allow_null=True)
    channel = serializers.CharField()
    reason = serializers.CharField(allow_null=True)
    changes = FieldChangeSerializer(many=True)


class DuplicateMemberSerializer(PersonalDataMixin, ModelSerializer):
    household_code = serializers.CharField(source="household.code", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "household",
            "household_code",
            "full_name",
            "date_of_birth",
            "sex",
            "citizen_id",
            "status",
        ]
        extra_kwargs = {name: {"allow_null": True} for name in PERSONAL_FIELDS}


class DuplicateSerializer(ModelSerializer):
    member_a = DuplicateMemberSerializer(read_only=True)
    member_b = DuplicateMemberSerializer(read_only=True)
    resolved_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = DuplicateCandidate
        fields = [
            "id",
            "commune",
            "reason",
            "status",
            "member_a",
            "member_b",
            "detected_at",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ]


class DuplicateDismissSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255)
