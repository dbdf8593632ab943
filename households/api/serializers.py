from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, F, Manager, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from core.access import Access
from core.api.fields import (
    CharField,
    DateField,
    IntegerField,
    ModelSerializer,
)
from core.api.relations import InAreaRelatedField
from core.api.serializers import PersonalDataMixin
from core.lookups import InValues
from core.statements import Param, Statement
from geo.models import Commune, EthnicGroup, Village
from households.choices import DuplicateStatus, HouseholdStatus
from households.identity import CITIZEN_ID, EXTERNAL_ID, PHONE, api_pattern
from households.limits import member_count_problem
from households.models import DuplicateCandidate, Household, Member
from households.selectors import outside_area


def mark_possible_duplicates(members: Iterable[Member]) -> None:
    """Set `has_possible_duplicates` (an open duplicate candidate on either side) on each
    member that lacks it, with one query for all of them. (A household's members carry it
    already: `load_households` reads them `with_duplicate_flags`.)

    Asked of the page's rows after they are read, not as EXISTS columns of the page's query:
    PostgreSQL hashes such subqueries over every open candidate of the register before the
    first row (1 s for a household page at 4,000,000 households and 43,000 open
    candidates), where these lookups by member are served by the two member indexes. Each
    side is its own branch of a UNION ALL: asked as one condition (`member_a` among the ids
    OR `member_b` among them), PostgreSQL scanned all 43,000 candidates (9 ms a page against
    0.4 ms; with parallel query on, it ran the branches on two workers that take 8 ms to
    start: config/settings.py PG_PARALLEL_WORKERS)."""
    pending = [m for m in members if "has_possible_duplicates" not in m.__dict__]
    if not pending:
        return
    flagged: set = set()
    for pair in _OPEN_PAIRS.run(members=[m.pk for m in pending]):
        flagged.update(pair)
    for member in pending:
        member.has_possible_duplicates = member.pk in flagged


def load_households(households: Iterable[Household], access: Access | None) -> None:
    """Set `nested_members` (the household's members in the nested order) and the duplicate
    flags (`has_possible_duplicates`: any of its members, whatever their status, in an open
    candidate) on each household and its members, with one query for the lot: the members,
    each with its flag (`_NESTED_MEMBERS_OF`). A merged household's `merged_into` reads null
    to a reader whose area does not hold the household it went into (`outside_area`: one
    more query, only for a page that holds a merged household).

    Asked of a page's rows after they are read, as the duplicate flags are, rather than as
    Django's prefetch: that builds a filter from the page's instances and a queryset per
    household to hold its members, about a sixth of a page of 50 households (issue 15)."""
    households = [h for h in households if "has_possible_duplicates" not in h.__dict__]
    if not households:
        return
    pending = [h.pk for h in households if "nested_members" not in h.__dict__]
    if pending:
        found: dict = defaultdict(list)
        for member in _NESTED_MEMBERS_OF.run(households=pending):
            found[member.household_id].append(member)
        for household in households:
            if "nested_members" not in household.__dict__:
                household.nested_members = found.get(household.pk, [])
    mark_possible_duplicates(m for h in households for m in h.nested_members)
    for household in households:
        household.has_possible_duplicates = any(
            m.has_possible_duplicates for m in household.nested_members
        )
    hidden = outside_area(access, {h.merged_into_id for h in households})
    for household in households:
        if household.merged_into_id in hidden:
            household.merged_into_id = None  # read for this reader only: never saved


# Built once: cloning costs less of a household detail's Python time than building them on
# every request. Never evaluated themselves: each caller gets a clone.
# The columns no response shows are not read: the registry's snapshot (JSON that the
# database would send and psycopg parse for every synced row) and the folded search texts.
# The services lock and read the row again before they change it.
_MEMBERS = Member.objects.defer("name_folded", "registry_snapshot")
_NESTED_MEMBERS = _MEMBERS.order_by("relationship", "date_of_birth", "id")
_HOUSEHOLDS = Household.objects.select_related("commune").defer("search_text", "registry_snapshot")
_OPEN = DuplicateCandidate.objects.filter(status=DuplicateStatus.OPEN).order_by()


def _open_on(side: str) -> Subquery:
    """True if the member (the outer row) is on this side of an open candidate, else null."""
    return Subquery(_OPEN.filter(**{side: OuterRef("pk")}).values(flag=Value(True))[:1])


def with_duplicate_flags(members: QuerySet) -> QuerySet:
    """The members, each with `has_possible_duplicates` read in the same query (for a
    statement compiled once: `_NESTED_MEMBERS_OF`).

    The flag is two scalar subqueries with LIMIT 1, one per side, run for each member
    returned: two probes of a member index apiece (0.4 ms for a page's ~175 members at
    400,000 households), whatever the number of open candidates. Written as EXISTS, it
    hashed every open candidate of the register instead (see `mark_possible_duplicates`)."""
    return members.annotate(
        has_possible_duplicates=Coalesce(
            _open_on("member_a"), _open_on("member_b"), Value(False), output_field=BooleanField()
        )
    )


# Compiled once (core.statements): a page's members, each with its duplicate flag; and
# members' open duplicate pairs.
_NESTED_MEMBERS_OF = Statement(
    with_duplicate_flags(
        _NESTED_MEMBERS.filter(
            InValues(F("household"), Param("households", Member._meta.get_field("household")))
        )
    )
)
_MEMBER_IDS = Param("members", Member._meta.pk)
_OPEN_PAIRS = Statement(
    _OPEN.filter(InValues(F("member_a"), _MEMBER_IDS))
    .values_list("member_a_id", "member_b_id")
    .union(
        _OPEN.filter(InValues(F("member_b"), _MEMBER_IDS)).values_list(
            "member_a_id", "member_b_id"
        ),
        all=True,
    )
)


# A household's detail, by the shape of the reader's area (core.access.Access.area_params).
_IN_AREA: dict[tuple, Statement] = {}


def household_in_area(pk: object, access: Access) -> Household | None:
    """The household with this id, with its commune, if it lies in the area; else None (an
    id that is not a UUID too). The same read as `household_queryset()` scoped to the area,
    compiled once for each shape of area."""
    area = access.area_params()
    if area is None:
        return None
    shape, q, values = area
    statement = _IN_AREA.get(shape)
    if statement is None:
        pk_param = Param("pk", Household._meta.pk)
        statement = _IN_AREA.setdefault(shape, Statement(_HOUSEHOLDS.filter(q, pk=pk_param)))
    try:
        found = statement.run(pk=pk, **values)
    except ValidationError:  # not a UUID: no such household, as Django's lookup would say
        return None
    return found[0] if found else None


def member_queryset() -> QuerySet:
    """Members, for nesting and listing (their duplicate flags: `mark_possible_duplicates`).

    A member list's page reads its flags in a query of their own rather than
    `with_duplicate_flags`: building and compiling the two subqueries on every request cost
    more (0.5 ms a page) than the query saved."""
    return _MEMBERS.all()


def household_queryset() -> QuerySet:
    """Households with their commune (their members, when serialised: `load_households`)."""
    return _HOUSEHOLDS.all()


class MemberListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        mark_possible_duplicates(rows)
        return super().to_representation(rows)


class NestedMemberListSerializer(MemberListSerializer):
    """A household's members in the nested order: by relationship, then date of birth
    (`_NESTED_MEMBERS`). For a reader not shown dates of birth (core.personal), by birth year
    within a relationship, then id: the order of two children born the same year would
    otherwise tell which was born first."""

    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        if not self.context.get("show_personal", False):
            rank: dict[str, int] = {}
            for m in rows:  # the relationships in the order they were read
                rank.setdefault(m.relationship, len(rank))
            rows.sort(key=lambda m: (rank[m.relationship], m.date_of_birth.year, m.pk))
        return super().to_representation(rows)


class HouseholdListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        rows = list(data.all() if isinstance(data, Manager) else data)
        load_households(rows, self.context.get("access"))
        return super().to_representation(rows)


class MemberSerializer(PersonalDataMixin, ModelSerializer):
    """A member as read. `household` is the household's id."""

    birth_year = serializers.SerializerMethodField()
    has_possible_duplicates = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Member
        list_serializer_class = MemberListSerializer
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

    def get_birth_year(self, obj) -> int:
        return obj.date_of_birth.year

    def to_representation(self, instance):
        if isinstance(instance, Member):
            mark_possible_duplicates([instance])
        return super().to_representation(instance)


class MemberWriteSerializer(ModelSerializer):
    """A member as written. Nested in a household, `id` (and `version`) select an existing
    member to change; without `id` a new member is added."""

    id = serializers.UUIDField(required=False)
    version = IntegerField(required=False, min_value=1)
    ethnicity = serializers.SlugRelatedField(slug_field="code", queryset=EthnicGroup.objects.all())
    citizen_id = serializers.RegexField(
        api_pattern(CITIZEN_ID),
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="12 ASCII digits (0-9): province of birth registration (3), century and sex "
        "(1), birth year (2), serial (6); must agree with sex and date of birth. Optional.",
        error_messages={"invalid": "A citizen ID is exactly 12 ASCII digits (0-9)."},
    )

    class Meta:
        model = Member
        fields = ["id", "version", *Member.EDITABLE]
        extra_kwargs = {"date_of_birth": {"not_future": True}, "status_date": {"not_future": True}}


class MemberNewSerializer(MemberWriteSerializer):
    """A new member, registered with its household."""

    class Meta(MemberWriteSerializer.Meta):
        fields = [f for f in MemberWriteSerializer.Meta.fields if f not in ("id", "version")]


class MemberCreateSerializer(MemberNewSerializer):
    household = InAreaRelatedField(queryset=Household.objects.all())

    class Meta(MemberNewSerializer.Meta):
        fields = ["household", *MemberNewSerializer.Meta.fields]


class MemberMoveSerializer(serializers.Serializer):
    household = InAreaRelatedField(queryset=Household.objects.all())
    relationship = serializers.ChoiceField(choices=Member._meta.get_field("relationship").choices)
    reason = CharField(required=False, allow_blank=True, max_length=255)
    version = IntegerField(required=False, min_value=1)


class HouseholdSerializer(PersonalDataMixin, ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="code", read_only=True)
    is_urban = serializers.BooleanField(source="commune.is_urban", read_only=True)
    members = NestedMemberListSerializer(
        child=MemberSerializer(), read_only=True, source="nested_members"
    )
    has_possible_duplicates = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Household
        list_serializer_class = HouseholdListSerializer
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
        extra_kwargs = {
            "merged_into": {
                "help_text": "The household this one was merged into; null when it was not "
                "merged, or when that household is outside your area."
            }
        }

    def to_representation(self, instance):
        if isinstance(instance, Household):
            load_households([instance], self.context.get("access"))
        return super().to_representation(instance)


class MemberCountLimited:
    """A write serializer of a `members` list: a list longer than the registry's limit
    (households.limits) is refused before any member in it is checked or looked up."""

    def to_internal_value(self, data):
        members = data.get("members") if isinstance(data, Mapping) else None
        if isinstance(members, list) and (problem := member_count_problem(len(members))):
            raise serializers.ValidationError({"members": [problem]}, code="too_many_members")
        return super().to_internal_value(data)


class HouseholdWriteSerializer(MemberCountLimited, ModelSerializer):
    """Register a household with its members, or change it. On update, listed members are
    changed (with `id`) or added (without); to end a membership set its `status`."""

    commune = serializers.SlugRelatedField(
        slug_field="code", queryset=Commune.objects.all(), help_text="Commune code (5 digits)."
    )
    village = InAreaRelatedField(
        queryset=Village.objects.all(),
        area_paths=("commune", "pk"),
        required=False,
        allow_null=True,
    )
    members = MemberWriteSerializer(many=True, required=False)
    version = IntegerField(
        required=False, min_value=1, help_text="Version the update is based on (or If-Match)."
    )
    external_id = serializers.RegexField(
        api_pattern(EXTERNAL_ID),
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The Home Affairs registry's household ID (visible ASCII, up to 64).",
        error_messages={"invalid": _("Visible ASCII characters only (no spaces), up to 64.")},
    )
    phone = serializers.RegexField(
        api_pattern(PHONE),
        required=False,
        allow_blank=True,
        help_text="8 to 15 ASCII digits (0-9), no spaces or signs, e.g. 0912345678.",
        error_messages={"invalid": "8 to 15 ASCII digits (0-9), no spaces or signs."},
    )

    class Meta:
        model = Household
        fields = [*Household.EDITABLE, "members", "version"]

    def validate_external_id(self, value):
        return value or None


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A household of three",
            request_only=True,
            value={
                "commune": "06652",
                "address": "Số 7, tổ 3, khu 4",
                "phone": "0912345678",
                "members": [
                    {
                        "full_name": "Hoàng Văn Thắng",
                        "date_of_birth": "1979-03-14",
                        "sex": "male",
                        "ethnicity": "02",
                        "relationship": "head",
                        "citizen_id": "022079001234",
                    },
                    {
                        "full_name": "Lý Thị Mai",
                        "date_of_birth": "1983-07-02",
                        "sex": "female",
                        "ethnicity": "02",
                        "relationship": "spouse",
                    },
                    {
                        "full_name": "Hoàng Minh Đức",
                        "date_of_birth": "2012-09-20",
                        "sex": "male",
                        "ethnicity": "02",
                        "relationship": "child",
                    },
                ],
            },
        )
    ]
)
class HouseholdCreateSerializer(HouseholdWriteSerializer):
    """Register a household with its members (the first of them usually the head)."""

    members = MemberNewSerializer(many=True, required=False)

    class Meta(HouseholdWriteSerializer.Meta):
        fields = [*Household.EDITABLE, "members"]


class HouseholdCloseSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[HouseholdStatus.MOVED_OUT, HouseholdStatus.DISSOLVED])
    reason = CharField(max_length=255)
    date = DateField(not_future=True)
    version = IntegerField(required=False, min_value=1)


class HouseholdMergeSerializer(serializers.Serializer):
    into = InAreaRelatedField(
        queryset=Household.objects.all(), help_text="The household that remains."
    )
    reason = CharField(max_length=255)
    date = DateField(not_future=True)
    version = IntegerField(
        required=False, min_value=1, help_text="Version of the household being merged away."
    )


class FieldChangeSerializer(serializers.Serializer):
    field = CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    object_type = serializers.ChoiceField(choices=["household", "member"])
    object_id = serializers.UUIDField()
    change = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    user = CharField(allow_null=True)
    channel = CharField()
    reason = CharField(allow_null=True)
    changes = FieldChangeSerializer(many=True)


class DuplicateMemberSerializer(PersonalDataMixin, ModelSerializer):
    household_code = CharField(source="household.code", read_only=True)

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
    note = CharField(max_length=255)
