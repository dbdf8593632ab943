from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import jobs
from core.access import Perm
from core.api.fields import CharField, IntegerField
from core.api.idempotency import IdempotentCreateMixin, idempotent
from core.api.jobs import JobSerializer
from core.api.schema import IF_MATCH, QUEUE_CONFLICT, RESULT_CONFLICT
from core.api.views import (
    HOUSEHOLD_ORDER,
    AreaScopedMixin,
    AuditedViewSetMixin,
    VersionedResponsesMixin,
)
from core.personal import mask
from households.models import Household
from poverty import rules, selectors, services
from poverty.filtersets import (
    AssessmentFilter,
    OfficialStatusFilter,
    ReviewRoundFilter,
    StandardFilter,
    SurveyFilter,
    WhatIfChangeFilter,
)
from poverty.models import (
    Assessment,
    Complaint,
    OfficialStatus,
    PovertyStandard,
    ReviewRound,
    Survey,
    WhatIfRun,
)

from . import serializers as s


@extend_schema_view(create=extend_schema(responses={201: s.StandardSerializer}))
class StandardViewSet(
    IdempotentCreateMixin,
    AuditedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Poverty standards as versioned data. Drafts are editable; published revisions are
    immutable — publish a correction as a new revision."""

    queryset = PovertyStandard.objects.select_related("province").prefetch_related("indicators")
    serializer_class = s.StandardSerializer
    filterset_class = StandardFilter
    ordering = "created_at"
    created_routes = {"new_revision": "poverty-standard-detail"}
    query_params = {"rules": ()}  # the catalogue takes none
    write_perm = Perm.STANDARDS_MANAGE
    action_perms = {"publish": Perm.STANDARDS_MANAGE, "new_revision": Perm.STANDARDS_MANAGE}
    area_rule = (
        "Not area data: every caller reads every standard. A provincial standard is written "
        "only by an officer of its province, a national one only by national administrators."
    )
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _split(self, serializer):
        values = dict(serializer.validated_data)
        return values, values.pop("indicators", None)

    def perform_create(self, serializer):
        values, indicators = self._split(serializer)
        serializer.instance = services.standard_create(
            actor=self.request.user, values=values, indicators=indicators
        )

    def perform_update(self, serializer):
        values, indicators = self._split(serializer)
        serializer.instance = services.standard_update(
            actor=self.request.user,
            standard=serializer.instance,
            values=values,
            indicators=indicators,
        )

    def _respond(self, standard, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=standard.pk)
        return Response(s.StandardSerializer(fresh).data, status=code)

    @extend_schema(responses=s.RuleSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def rules(self, request):
        """The rules an indicator can use, and every parameter each reads: its kind, its
        default (the Decree 07/2021 value), the codes it may list, its legal source, and
        whether that is still to be confirmed against the text."""
        return Response(s.RuleSerializer(rules.parameter_catalogue(), many=True).data)

    @extend_schema(request=None, responses=s.StandardSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish a draft: from now on it is immutable and used for assessments."""
        standard = self.get_object()
        return self._respond(services.standard_publish(actor=request.user, standard=standard))

    @extend_schema(request=None, responses={201: s.StandardSerializer})
    @idempotent
    @action(detail=True, methods=["post"], url_path="new-revision")
    def new_revision(self, request, pk=None):
        """Start the next revision of a standard. A draft copy of this standard to correct and
        publish as the next revision."""
        standard = self.get_object()
        return self._respond(
            services.standard_new_revision(actor=request.user, standard=standard),
            status.HTTP_201_CREATED,
        )


class ReviewRoundViewSet(
    IdempotentCreateMixin,
    AuditedViewSetMixin,
    mixins.CreateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Review rounds: the annual periodic review (1 Sep – 14 Dec) and monthly regular ones."""

    # the province with each round: its code is the row's `province` (a query per row without)
    queryset = ReviewRound.objects.select_related("province")
    serializer_class = s.ReviewRoundSerializer
    filterset_class = ReviewRoundFilter
    ordering = "id"
    write_perm = Perm.ROUNDS_MANAGE
    area_rule = "Every caller reads every round; a round is opened by an officer of its province."

    def perform_create(self, serializer):
        serializer.instance = services.review_round_create(
            actor=self.request.user, values=dict(serializer.validated_data)
        )


class SurveyViewSet(AreaScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Household surveys. Posting one stores it as submitted and assesses the household under
    every standard in force on the survey date."""

    serializer_class = s.SurveySerializer
    filterset_class = SurveyFilter
    ordering = HOUSEHOLD_ORDER
    area_paths = ("household__commune", "household__village")
    write_perm = Perm.SURVEY_SUBMIT

    def get_queryset(self):
        return Survey.objects.prefetch_related(
            "members", Prefetch("assessments", queryset=Assessment.objects.only("id", "survey"))
        )

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        household = values.pop("household")
        members = values.pop("members")
        survey = services.survey_submit(
            actor=request.user,
            household=household,
            values=values,
            members=members,
            submitted=request.data,
            review_round=values.pop("review_round", None),
            application=values.pop("application", "none"),
        )
        data = s.SurveySerializer(
            self.get_queryset().get(pk=survey.pk), context=self.get_serializer_context()
        ).data
        return Response(data, status=status.HTTP_201_CREATED)


class AssessmentViewSet(VersionedResponsesMixin, AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Assessments of surveys under standards, with the reasons for each decision, and the
    review workflow as explicit actions. A step the workflow does not accept now answers 409
    with the steps it does accept (`allowed`)."""

    filterset_class = AssessmentFilter
    detail_serializer_class = s.AssessmentDetailSerializer
    step_subject = "assessment"
    ordering = HOUSEHOLD_ORDER
    created_routes = {"complaints": "complaint-detail"}
    area_paths = ("household__commune", "household__village")
    action_perms = {
        "village_meeting": Perm.ASSESSMENT_REVIEW,
        "post": Perm.ASSESSMENT_REVIEW,
        "complaints": Perm.ASSESSMENT_REVIEW,
        "approve": Perm.ASSESSMENT_APPROVE,
        "reject": Perm.ASSESSMENT_APPROVE,
    }

    def get_queryset(self):
        qs = Assessment.objects.select_related("standard", "household", "survey")
        if self.action != "list":
            qs = qs.prefetch_related("steps__actor", "complaints__resolved_by")
        return qs

    def get_serializer_class(self):
        return s.AssessmentSerializer if self.action == "list" else s.AssessmentDetailSerializer

    @extend_schema(
        request=s.MeetingSerializer, responses=s.AssessmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"], url_path="village-meeting")
    def village_meeting(self, request, pk=None):
        """Record the village meeting; below 50% agreeing sends the assessment back to survey."""
        return self.run_step(s.MeetingSerializer, services.assessment_record_meeting)

    @extend_schema(
        request=s.PostingSerializer, responses=s.AssessmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def post(self, request, pk=None):
        """Record the public posting of the result and its period: it has begun (not in the
        future), its end may be announced ahead, and it lasts at least the configured number
        of working days (Monday–Friday, public holidays excepted; 3 by default)."""
        return self.run_step(s.PostingSerializer, services.assessment_post)

    @extend_schema(
        request=s.ApproveSerializer, responses=s.AssessmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the assessment. The commune's decision (commune chairperson of the area): sets
        official status. Accepted once the posting period has ended by the server's clock (from the
        day after `posted_to`) and every complaint is handled; dated after the posting, not in the
        future."""
        return self.run_step(s.ApproveSerializer, services.assessment_approve)

    @extend_schema(
        request=s.RejectSerializer, responses=s.AssessmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject the assessment (commune chairperson of the area), with the reason: the
        household's official status does not change."""
        return self.run_step(s.RejectSerializer, services.assessment_reject)

    @extend_schema(request=s.ComplaintSerializer, responses={201: s.ComplaintSerializer})
    @idempotent
    @action(detail=True, methods=["post"])
    def complaints(self, request, pk=None):
        """Lodge a complaint while the result is posted."""
        assessment = self.get_object()
        serializer = s.ComplaintSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = services.complaint_lodge(
            assessment=assessment, actor=request.user, **serializer.validated_data
        )
        return Response(
            s.ComplaintSerializer(complaint, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=s.ReproduceSerializer)
    @action(detail=True, methods=["get"], filterset_class=None)
    def reproduce(self, request, pk=None):
        """Re-run the engine on the stored survey and standard: the same inputs give the same
        answer (`identical`), or the difference is shown."""
        data = services.assessment_reproduce(assessment=self.get_object())
        return Response(data if self.access.can(Perm.VIEW_PERSONAL) else mask(Assessment, data))


class ComplaintViewSet(AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Complaints lodged against a posted review result (`POST /assessments/{id}/complaints/`)
    and the commune's re-check of each: upheld (back to survey) or dismissed."""

    serializer_class = s.ComplaintSerializer
    ordering = HOUSEHOLD_ORDER
    area_paths = ("assessment__household__commune", "assessment__household__village")
    action_perms = {"resolve": Perm.ASSESSMENT_REVIEW}
    filterset_fields = ["assessment", "status"]

    def get_queryset(self):
        return Complaint.objects.select_related("resolved_by")

    @extend_schema(request=s.ComplaintResolveSerializer, responses=s.ComplaintResolvedSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Record the commune's re-check: upheld (back to survey) or dismissed."""
        complaint = self.get_object()
        serializer = s.ComplaintResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = services.complaint_resolve(
            complaint=complaint, actor=request.user, **serializer.validated_data
        )
        return Response(
            s.ComplaintResolvedSerializer(complaint, context=self.get_serializer_context()).data
        )


class PovertyStatusView(AreaScopedMixin, generics.ListAPIView):
    """A household's official status periods, per standard, oldest first; the current period
    has no `valid_to`. Each names the approved assessment that decided it and its event."""

    serializer_class = s.OfficialStatusSerializer
    filterset_class = OfficialStatusFilter
    ordering = ("standard_id", "valid_from")
    pagination_class = None
    area_paths = ("household__commune", "household__village")

    queryset = OfficialStatus.objects.none()  # for the schema; rows come from get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        household = get_object_or_404(self.scope_household(), pk=self.kwargs["pk"])
        return selectors.status_periods(household)

    def scope_household(self):
        return Household.objects.filter(self.access.area_q("commune", "village"))


class WatchlistParams(serializers.Serializer):
    years = IntegerField(min_value=1, max_value=20, default=3)
    income_margin = serializers.FloatField(min_value=0, max_value=2, default=0.2)
    deprivation_margin = IntegerField(min_value=0, max_value=5, default=1)
    standard = serializers.UUIDField(required=False)
    commune = CharField(required=False)


class RelapseWatchlistView(AreaScopedMixin, generics.ListAPIView):
    """The relapse watchlist. Households that escaped poverty in the last `years` whose latest facts
    are close to the line: income within `income_margin` above it, or deprivations within
    `deprivation_margin` of the poverty threshold."""

    serializer_class = s.WatchlistEntrySerializer
    ordering = "id"  # the current statuses that escaped: a few of the register's
    query_params = WatchlistParams
    area_paths = ("household__commune", "household__village")

    @extend_schema(parameters=[WatchlistParams])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = WatchlistParams(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        p = params.validated_data
        self._params = p
        return selectors.relapse_watchlist(
            area=self.access.area_q(*self.area_paths),
            on=timezone.localdate(),
            years=p["years"],
            income_margin=p["income_margin"],
            deprivation_margin=p["deprivation_margin"],
            standard_id=p.get("standard"),
            commune=p.get("commune"),
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [
            selectors.watchlist_entry(
                st,
                income_margin=self._params["income_margin"],
                deprivation_margin=self._params["deprivation_margin"],
            )
            for st in page
        ]
        return self.get_paginated_response(
            s.WatchlistEntrySerializer(rows, many=True, context=self.get_serializer_context()).data
        )


class WhatIfViewSet(AreaScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """What-if re-assessment: the latest survey of every household in your area (or one
    commune) under another standard, official statuses untouched."""

    serializer_class = s.WhatIfRunSerializer
    filterset_class = None
    query_params = {"changes": WhatIfChangeFilter}
    ordering = "id"
    write_perm = Perm.WHAT_IF
    area_paths = None  # a user's own runs (selectors.whatif_runs_visible)
    extra_problem_statuses = {"retrieve": ("409",), "changes": ("409",)}
    problems = {
        "create": {"409": QUEUE_CONFLICT},
        "retrieve": {"409": RESULT_CONFLICT},
        "changes": {"409": RESULT_CONFLICT},
    }
    area_rule = (
        "You see your own runs (national administrators see all). A run covers the households "
        "of your area, or of one commune in it, and is read only while your role and area "
        "are those it was made under: the list leaves out the others, and reading one gives "
        "409 `job_rights_changed` (run it again)."
    )

    queryset = WhatIfRun.objects.none()  # for the schema; rows come from get_queryset

    def get_queryset(self):
        runs = WhatIfRun.objects.select_related("requested_by")
        if getattr(self, "swagger_fake_view", False):
            return runs
        if self.action == "list":
            return selectors.whatif_runs_readable(runs, access=self.access, user=self.request.user)
        return selectors.whatif_runs_visible(runs, access=self.access, user=self.request.user)

    def _readable(self, run: WhatIfRun) -> WhatIfRun:
        """The run, unless the user's rights changed since it was made (409)."""
        jobs.require_same_rights(
            self.request.user,
            owner_id=run.requested_by_id,
            digest=run.access,
            again="POST /api/v1/what-if/",
        )
        return run

    def retrieve(self, request, *args, **kwargs):
        # (No docstring: the schema keeps the viewset's; the 409 is told by `area_rule`.)
        run = self._readable(self.get_object())
        return Response(self.get_serializer(run).data)

    @extend_schema(request=s.WhatIfRequestSerializer, responses={202: JobSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """Start a what-if as a background job: 202 with the queued job (`GET /jobs/{id}/`);
        the finished job's report names the run (`what_if_run`)."""
        serializer = s.WhatIfRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.whatif_enqueue(actor=request.user, **serializer.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses=s.WhatIfChangeSerializer(many=True),
        parameters=[
            OpenApiParameter(name, str, description=f"Filter by {name}.")
            for name in WhatIfChangeFilter.Meta.fields
        ],
    )
    @action(detail=True, methods=["get"])
    def changes(self, request, pk=None):
        """The households that would change class, filterable by commune and transition (409
        `job_rights_changed` once your role or area changed since the run)."""
        run = self._readable(get_object_or_404(self.get_queryset(), pk=pk))
        changes = WhatIfChangeFilter(
            request.query_params, request=request, queryset=run.changes.select_related("household")
        )
        if not changes.is_valid():
            raise serializers.ValidationError(changes.errors)
        page = self.paginate_queryset(changes.qs)
        return self.get_paginated_response(s.WhatIfChangeSerializer(page, many=True).data)
