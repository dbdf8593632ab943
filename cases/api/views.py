from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import Perm
from core.api.idempotency import idempotent
from core.api.schema import IF_MATCH
from core.api.views import (
    HOUSEHOLD_ORDER,
    AreaScopedMixin,
    VersionedResponsesMixin,
    expected_version,
)

from .. import selectors, services
from ..filtersets import CaseFilter, FollowUpFilter
from ..models import PlanGoal
from . import serializers as s

CASE_AREA = ("household__commune", "household__village")
CHILD_AREA = ("case__household__commune", "case__household__village")


class _Today:
    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}


@extend_schema_view(
    partial_update=extend_schema(
        request=s.CaseUpdateSerializer, responses=s.CaseDetailSerializer, parameters=[IF_MATCH]
    ),
)
class CaseViewSet(
    _Today,
    VersionedResponsesMixin,
    AreaScopedMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Households' cases: opened when an approved assessment makes a household poor or
    near-poor, monitored after it escapes, closed when monitoring ends, reopened on relapse.
    A case carries its responsible cadre, its plan (target date, commitments, goals) and its
    follow-ups."""

    filterset_class = CaseFilter
    detail_serializer_class = s.CaseDetailSerializer
    ordering = HOUSEHOLD_ORDER
    area_paths = CASE_AREA
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_perms = {
        "partial_update": Perm.CASES_MANAGE,
        "assign_cadre": Perm.CASES_MANAGE,
        "goals": Perm.CASES_MANAGE,
        "follow_ups": Perm.FOLLOW_UP_RECORD,
    }
    created_routes = {"goals": "plan-goal-detail", "follow_ups": "follow-up-detail"}

    def get_queryset(self):
        qs = selectors.cases(timezone.localdate())
        if self.action != "list":
            qs = qs.prefetch_related(
                "goals", Prefetch("follow_ups", queryset=selectors.follow_ups())
            )
        return qs

    def get_serializer_class(self):
        return s.CaseSerializer if self.action == "list" else s.CaseDetailSerializer

    def partial_update(self, request, *args, **kwargs):
        """Change the plan's target date or the household's commitments."""
        case = self.get_object()
        body = s.CaseUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        values.pop("version", None)
        case = services.case_update(
            case=case, values=values, expected_version=expected_version(request), actor=request.user
        )
        return self.respond(case)

    @extend_schema(
        request=s.AssignCadreSerializer, responses=s.CaseDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"], url_path="assign-cadre")
    def assign_cadre(self, request, pk=None):
        """Make a user the case's responsible cadre. The cadre must be an active user whose
        role records follow-ups and whose area covers the household; the case's unassigned
        open follow-ups go to them."""
        case = self.get_object()
        body = s.AssignCadreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = services.case_assign_cadre(
            case=case,
            cadre_id=body.validated_data["cadre"],
            expected_version=expected_version(request),
            actor=request.user,
        )
        return self.respond(case)

    @extend_schema(request=s.PlanGoalSerializer, responses={201: s.PlanGoalSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def goals(self, request, pk=None):
        """Add a goal to the case's plan. Its due date defaults to the plan's target date; an
        assignment must be one of this household's."""
        case = self.get_object()
        body = s.PlanGoalSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        goal = services.goal_add(case=case, values=dict(body.validated_data), actor=request.user)
        return Response(
            s.PlanGoalSerializer(goal, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{goal.version}"'},
        )

    @extend_schema(request=s.ScheduleSerializer, responses={201: s.FollowUpSerializer})
    @idempotent
    @action(detail=True, methods=["post"], url_path="follow-ups")
    def follow_ups(self, request, pk=None):
        """Schedule a follow-up of the case: a visit, call or meeting on a date, by the case's
        cadre unless another is named."""
        case = self.get_object()
        body = s.ScheduleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = body.validated_data
        follow_up = services.follow_up_schedule(
            case=case,
            scheduled_on=d["scheduled_on"],
            kind=d["kind"],
            cadre_id=d.get("cadre"),
            next_step=d["next_step"],
            actor=request.user,
        )
        follow_up = selectors.follow_ups().get(pk=follow_up.pk)
        return Response(
            s.FollowUpSerializer(follow_up, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{follow_up.version}"'},
        )


@extend_schema_view(
    partial_update=extend_schema(
        request=s.PlanGoalUpdateSerializer, responses=s.PlanGoalSerializer, parameters=[IF_MATCH]
    ),
)
class PlanGoalViewSet(
    VersionedResponsesMixin,
    AreaScopedMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Goals of cases' plans: one per deprivation of the household (an indicator code) or its
    income gap (`income`), with a due date, the support planned for it, and progress."""

    serializer_class = s.PlanGoalSerializer
    detail_serializer_class = s.PlanGoalSerializer
    area_paths = CHILD_AREA
    http_method_names = ["get", "patch", "head", "options"]
    action_perms = {"partial_update": Perm.CASES_MANAGE}

    def get_queryset(self):
        return PlanGoal.objects.select_related("case")

    def partial_update(self, request, *args, **kwargs):
        """Record a goal's progress, or change its text, due date, package or assignment."""
        goal = self.get_object()
        body = s.PlanGoalUpdateSerializer(
            goal, data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        goal = services.goal_update(
            goal=goal,
            values=dict(body.validated_data),
            expected_version=expected_version(request),
            actor=request.user,
        )
        return self.respond(goal)


class FollowUpViewSet(
    _Today, VersionedResponsesMixin, AreaScopedMixin, viewsets.ReadOnlyModelViewSet
):
    """Follow-ups of cases: scheduled contacts with households and, once done, what was
    found and the next step. Overdue: scheduled before today and not done."""

    serializer_class = s.FollowUpSerializer
    detail_serializer_class = s.FollowUpSerializer
    filterset_class = FollowUpFilter
    ordering = ["scheduled_on", "id"]
    area_paths = CHILD_AREA
    action_perms = {"record": Perm.FOLLOW_UP_RECORD}

    def get_queryset(self):
        return selectors.follow_ups()

    @extend_schema(
        request=s.RecordSerializer, responses=s.RecordedSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def record(self, request, pk=None):
        """Record a follow-up as done. When, what was found and the next step; with
        `next_visit_on` the next follow-up is scheduled."""
        follow_up = self.get_object()
        body = s.RecordSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        d = dict(body.validated_data)
        d.pop("version", None)
        done, following = services.follow_up_record(
            follow_up=follow_up,
            expected_version=expected_version(request),
            actor=request.user,
            **d,
        )
        qs = self.get_queryset()
        context = self.get_serializer_context()
        data = {
            "follow_up": s.FollowUpSerializer(qs.get(pk=done.pk), context=context).data,
            "next": s.FollowUpSerializer(qs.get(pk=following.pk), context=context).data
            if following
            else None,
        }
        return Response(data, headers={"ETag": f'"{done.version}"'})


class OverdueFollowUpsView(AreaScopedMixin, APIView):
    """Overdue follow-ups by cadre or commune. How many follow-ups were scheduled before today
    and are not done, of how many cases, and the oldest date among them."""

    area_paths = None  # the report scopes its rows
    area_rule = "The figures cover your area only (the whole country for national administrators)."
    query_params = s.OverdueParams

    @extend_schema(parameters=[s.OverdueParams], responses=s.OverdueRowSerializer(many=True))
    def get(self, request):
        params = s.OverdueParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = selectors.overdue_summary(
            access=self.access,
            group_by=params.validated_data["group_by"],
            today=timezone.localdate(),
        )
        return Response(s.OverdueRowSerializer(rows, many=True).data)


class CaseProgressView(AreaScopedMixin, APIView):
    """Cases' progress against their targets by village, commune or cadre. Active cases on
    track and late (target date or a goal's due date passed, goal not achieved), escaped (in
    monitoring), relapsed (reopened and active) and closed."""

    area_paths = None  # the report scopes its rows
    area_rule = "The figures cover your area only (the whole country for national administrators)."
    query_params = s.ProgressParams

    @extend_schema(parameters=[s.ProgressParams], responses=s.ProgressRowSerializer(many=True))
    def get(self, request):
        params = s.ProgressParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = selectors.case_progress(
            access=self.access,
            group_by=params.validated_data["group_by"],
            today=timezone.localdate(),
        )
        return Response(s.ProgressRowSerializer(rows, many=True).data)
