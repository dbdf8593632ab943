from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from core.access import Perm
from core.api.idempotency import idempotent
from core.api.schema import IF_MATCH
from core.api.views import (
    HOUSEHOLD_ORDER,
    AreaScopedMixin,
    VersionedResponsesMixin,
    expected_version,
)
from households import services
from households.choices import Source
from households.filtersets import (
    DuplicateFilter,
    HouseholdFilter,
    MemberFilter,
)
from households.models import DuplicateCandidate
from households.selectors import duplicates_in_area, household_history

from . import serializers as s


@extend_schema_view(
    create=extend_schema(
        request=s.HouseholdCreateSerializer, responses={201: s.HouseholdSerializer}
    ),
    update=extend_schema(
        request=s.HouseholdWriteSerializer, responses=s.HouseholdSerializer, parameters=[IF_MATCH]
    ),
    partial_update=extend_schema(
        request=s.HouseholdWriteSerializer, responses=s.HouseholdSerializer, parameters=[IF_MATCH]
    ),
)
class HouseholdViewSet(
    VersionedResponsesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Households with their members. Updates require the version they are based on."""

    serializer_class = s.HouseholdSerializer
    detail_serializer_class = s.HouseholdSerializer
    filterset_class = HouseholdFilter
    ordering = "code"
    write_perm = Perm.REGISTRY_EDIT
    action_perms = {
        "close": Perm.REGISTRY_LIFECYCLE,
        "merge": Perm.REGISTRY_LIFECYCLE,
        "history": Perm.VIEW_PERSONAL,
    }
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return s.household_queryset()

    # The hottest read of the API: the household in the caller's area (else 404, as if it
    # did not exist), by a statement compiled once (issue 15).
    def retrieve(self, request, *args, **kwargs):
        household = s.household_in_area(kwargs[self.lookup_field], self.access)
        if household is None:
            raise NotFound()
        self.check_object_permissions(request, household)
        return self.respond(household, fresh=False)

    def _input(self, serializer) -> services.HouseholdInput:
        values = dict(serializer.validated_data)
        values.pop("version", None)
        members = values.pop("members", None)
        return services.HouseholdInput(
            values=values,
            members=None
            if members is None
            else [
                services.MemberInput(id=m.pop("id", None), version=m.pop("version", None), values=m)
                for m in members
            ],
        )

    @idempotent
    def create(self, request, *args, **kwargs):
        """Register a household with its members. It gets its code (`<commune>-<number>`);
        exactly one present member is the head; a citizen ID already registered is a 409."""
        serializer = s.HouseholdCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        household = services.household_register(
            actor=request.user,
            data=self._input(serializer),
            # The way it entered the register, as the channel of the change: the API, whoever
            # sends it (a field app's offline registration is `field_survey`, the registry
            # sync's `registry_sync`: integrations).
            source=Source.API,
        )
        return self.respond(household, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        household = self.get_object()
        serializer = s.HouseholdWriteSerializer(
            household,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        household = services.household_update(
            actor=request.user,
            household=household,
            expected_version=expected_version(request),
            data=self._input(serializer),
        )
        return self.respond(household)

    @extend_schema(
        request=s.HouseholdCloseSerializer, responses=s.HouseholdSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close an active household: moved out of the area, or dissolved."""
        household = self.get_object()
        serializer = s.HouseholdCloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        household = services.household_close(
            actor=request.user,
            household=household,
            expected_version=expected_version(request),
            status=d["status"],
            reason=d["reason"],
            on=d["date"],
        )
        return self.respond(household)

    @extend_schema(
        request=s.HouseholdMergeSerializer, responses=s.HouseholdSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge this household into another (a duplicate): members move, histories stay."""
        source = self.get_object()
        serializer = s.HouseholdMergeSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        target = services.household_merge(
            actor=request.user,
            source=source,
            target=d["into"],
            expected_version=expected_version(request),
            reason=d["reason"],
            on=d["date"],
        )
        return self.respond(target)

    @extend_schema(responses=s.HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def history(self, request, pk=None):
        """Read the history of a household. Every change to the household, households merged into
        it, and their members: who, when, channel, old → new. Newest first; the whole history of one
        household (not paginated).

        Nothing of a household outside the caller's area shows: its id in a change is null, its
        code in a reason reads `[outside your area]`, and the rows of a household merged in from
        another area, and of its people while they lived there, are left out."""
        household = self.get_object()
        return Response(
            s.HistoryEntrySerializer(household_history(household, self.access), many=True).data
        )


@extend_schema_view(
    create=extend_schema(request=s.MemberCreateSerializer, responses={201: s.MemberSerializer}),
    update=extend_schema(
        request=s.MemberWriteSerializer, responses=s.MemberSerializer, parameters=[IF_MATCH]
    ),
    partial_update=extend_schema(
        request=s.MemberWriteSerializer, responses=s.MemberSerializer, parameters=[IF_MATCH]
    ),
)
class MemberViewSet(
    VersionedResponsesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Members of households: the people, with identity, relationship to the head and the
    facts the poverty rules read. Updates require the version they are based on."""

    serializer_class = s.MemberSerializer
    detail_serializer_class = s.MemberSerializer
    filterset_class = MemberFilter
    ordering = HOUSEHOLD_ORDER
    area_paths = ("household__commune", "household__village")
    write_perm = Perm.REGISTRY_EDIT
    action_perms = {"move": Perm.REGISTRY_LIFECYCLE}
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return s.member_queryset()

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = s.MemberCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        member = services.member_add(
            actor=request.user, household=values.pop("household"), values=values
        )
        return self.respond(member, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        member = self.get_object()
        serializer = s.MemberWriteSerializer(
            member, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("id", None)
        values.pop("version", None)
        member = services.member_update(
            actor=request.user,
            member=member,
            expected_version=expected_version(request),
            values=values,
        )
        return self.respond(member)

    @extend_schema(
        request=s.MemberMoveSerializer, responses=s.MemberSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the member to another household; identity and history are kept."""
        member = self.get_object()
        serializer = s.MemberMoveSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        member = services.member_move(
            actor=request.user,
            member=member,
            expected_version=expected_version(request),
            to=d["household"],
            relationship=d["relationship"],
            reason=d.get("reason", ""),
        )
        return self.respond(member)


class DuplicateViewSet(AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Possible duplicate people: same folded name and date of birth in the same commune.
    (A second registration of a citizen ID is refused at write time with the household that
    already holds it.)"""

    serializer_class = s.DuplicateSerializer
    filterset_class = DuplicateFilter
    ordering = "id"
    area_paths = ("commune", None)
    action_perms = {"dismiss": Perm.DUPLICATES_REVIEW}

    def get_queryset(self):
        return DuplicateCandidate.objects.select_related(
            "member_a__household", "member_b__household", "resolved_by"
        )

    def scope(self, queryset):
        return duplicates_in_area(queryset, self.access)

    @extend_schema(request=s.DuplicateDismissSerializer, responses=s.DuplicateSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Mark as not the same person."""
        candidate = self.get_object()
        serializer = s.DuplicateDismissSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        candidate = services.duplicate_dismiss(
            actor=request.user, candidate=candidate, note=serializer.validated_data["note"]
        )
        return Response(
            s.DuplicateSerializer(candidate, context=self.get_serializer_context()).data
        )
