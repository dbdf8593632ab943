from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.access import Perm
from core.api.idempotency import IdempotentCreateMixin, idempotent
from core.api.jobs import JobSerializer
from core.api.schema import IF_MATCH, QUEUE_CONFLICT
from core.api.views import (
    HOUSEHOLD_ORDER,
    AreaScopedMixin,
    ServiceWritesMixin,
    VersionedResponsesMixin,
    expected_version,
)
from households.models import Household
from support import reports, selectors, services
from support.filtersets import (
    AllocationFilter,
    AssignmentFilter,
    DisbursementFilter,
    LivelihoodModelFilter,
    PackageFilter,
    ProgramFilter,
    TargetFilter,
)
from support.models import Assignment, Disbursement, LivelihoodModel, Program, Target

from . import serializers as s


class ProgramViewSet(
    IdempotentCreateMixin,
    ServiceWritesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The program tree: programs, component projects, sub-projects."""

    area_paths = None
    area_rule = "Not area data: every caller reads the whole program tree."

    queryset = Program.objects.all()
    serializer_class = s.ProgramSerializer
    filterset_class = ProgramFilter
    ordering = "code"
    write_perm = Perm.SUPPORT_MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    save_service = staticmethod(services.program_save)
    instance_kwarg = "program"


class AllocationViewSet(
    IdempotentCreateMixin,
    ServiceWritesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Budget per sub-project, capital source, year and area, in integer VND. `committed`
    and `disbursed` come from the ledger; `available` = allocated − committed."""

    area_paths = None  # scoped in get_queryset (selectors.allocations_in_area)
    area_rule = (
        "The allocations of your communes and provinces, and the province-wide ones that cover "
        "your communes. An allocation is written only by an officer of its province."
    )

    serializer_class = s.AllocationSerializer
    filterset_class = AllocationFilter
    ordering = "id"
    write_perm = Perm.SUPPORT_MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.allocations_in_area(self.access)

    save_service = staticmethod(services.allocation_save)
    instance_kwarg = "allocation"


class PackageViewSet(
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The support catalog: eligibility per standard and classification, extra criteria,
    central base amounts with validity, provincial multipliers, funding split, limit."""

    area_paths = None
    area_rule = "Not area data: every caller reads the whole catalog."

    serializer_class = s.PackageSerializer
    filterset_class = PackageFilter
    query_params = {"coverage_gap": s.PeriodParams}
    ordering = "code"
    write_perm = Perm.SUPPORT_MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.packages()

    @idempotent
    def create(self, request, *args, **kwargs):
        return self._save(None, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        return self._save(self.get_object(), status.HTTP_200_OK)

    def _save(self, package, code):
        """The package with its eligibility, rates and funding (nested lists in the body)
        through its service; the answer is the package as stored."""
        partial = package is not None  # PATCH changes what it names
        serializer = self.get_serializer(package, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        related = {k: values.pop(k, None) for k in services.PACKAGE_LISTS}
        package = services.package_save(
            actor=self.request.user, package=package, values=values, **related
        )
        return Response(
            s.PackageSerializer(self.get_queryset().get(pk=package.pk)).data, status=code
        )

    @extend_schema(
        parameters=[s.PeriodParams],
        responses=s.GapSerializer(many=True),
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="coverage-gap",
        filterset_class=None,
        pagination_class=None,
    )
    def coverage_gap(self, request, pk=None):
        """Qualifying households not yet reached by this package. The households in your area
        that qualify for this package but have not received it in the period. At most
        5,000 candidate households are checked at a time: more is a 400 naming `commune`
        (name one)."""
        package = self.get_object()
        params = s.PeriodParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        households = selectors.coverage_gap(
            package=package,
            period=params.validated_data["period"],
            area=self.access.area_q("commune", "village"),
            commune=params.validated_data.get("commune"),
        )
        return Response(s.GapSerializer(households, many=True).data)


class AssignmentViewSet(VersionedResponsesMixin, AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Support assignments: proposed → approved (commits budget) → delivered → completed, or
    rejected / cancelled. Every transition is an explicit action."""

    filterset_class = AssignmentFilter
    detail_serializer_class = s.AssignmentDetailSerializer
    step_subject = "assignment"
    ordering = HOUSEHOLD_ORDER
    created_routes = {"disburse": "disbursement-detail"}
    area_paths = ("household__commune", "household__village")
    problems = {"bulk_propose": {"409": QUEUE_CONFLICT}}
    action_perms = {
        "create": Perm.ASSIGNMENT_PROPOSE,
        "bulk_propose": Perm.ASSIGNMENT_PROPOSE,
        # each step as its service checks it; a delivery is recorded by `disburse`
        **{
            {"deliver": "disburse"}.get(name, name): step.perm
            for name, step in services.ASSIGNMENT_STEPS.items()
        },
    }

    def get_queryset(self):
        qs = Assignment.objects.select_related("package", "household")
        if self.action != "list":
            qs = qs.prefetch_related("steps__actor")
        return qs

    def get_serializer_class(self):
        return s.AssignmentSerializer if self.action == "list" else s.AssignmentDetailSerializer

    @extend_schema(request=s.ProposeSerializer, responses={201: s.AssignmentDetailSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """Propose a package for a household (amount computed and explained)."""
        serializer = s.ProposeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        assignment = services.assignment_propose(
            household=d["household"],
            package=d["package"],
            period=d["period"],
            actor=request.user,
            notes=d["notes"],
        )
        return self.respond(assignment, status.HTTP_201_CREATED)

    @extend_schema(request=s.BulkProposeSerializer, responses={202: JobSerializer})
    @idempotent
    @action(detail=False, methods=["post"], url_path="bulk-propose")
    def bulk_propose(self, request):
        """Propose a package to every qualifying household of a commune. A background job:
        202 with the queued job (`GET /jobs/{id}/`). The finished job's report holds one
        row per household (`results`: proposed, skipped because already assigned, or
        rejected, with the reasons and the amount's explanation in English and Vietnamese),
        its counts how many of each. Sending it again proposes nothing twice."""
        serializer = s.BulkProposeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        job = services.bulk_propose_enqueue(actor=request.user, **serializer.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=s.NotesSerializer, responses=s.AssignmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve an assignment: commits the amount against the budget by source, or 409 if the
        budget cannot cover it (nothing is committed then)."""
        return self.run_step(s.NotesSerializer, services.assignment_approve)

    @extend_schema(
        request=s.ReasonSerializer, responses=s.AssignmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Reject a proposed assignment, with the reason; nothing is committed."""
        return self.run_step(s.ReasonSerializer, services.assignment_reject)

    @extend_schema(
        request=s.ReasonSerializer, responses=s.AssignmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel an assignment; what was committed and not disbursed returns to the budget."""
        return self.run_step(s.ReasonSerializer, services.assignment_cancel)

    @extend_schema(
        request=s.NotesSerializer, responses=s.AssignmentDetailSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Close a partly delivered assignment, releasing what was not disbursed."""
        return self.run_step(s.NotesSerializer, services.assignment_complete)

    @extend_schema(
        request=s.DisburseSerializer,
        responses={201: s.DisbursedSerializer},
        parameters=[IF_MATCH],
    )
    @idempotent
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        """Record a delivery (date, amount, evidence reference)."""
        assignment = self.get_object()
        serializer = s.DisburseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        disbursement = services.disbursement_record(
            assignment=assignment,
            expected_version=expected_version(request),
            actor=request.user,
            on=d["date"],
            amount=d["amount"],
            evidence_reference=d["evidence_reference"],
        )
        return Response(
            s.DisbursedSerializer(disbursement).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": f'"{disbursement.assignment.version}"'},
        )


class DisbursementViewSet(AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Deliveries of support (`POST /assignments/{id}/disburse/`): date, amount in integer
    VND, evidence reference. Each is a ledger entry against the assignment's commitment."""

    serializer_class = s.DisbursementSerializer
    filterset_class = DisbursementFilter
    ordering = HOUSEHOLD_ORDER
    area_paths = ("assignment__household__commune", "assignment__household__village")

    def get_queryset(self):
        return Disbursement.objects.select_related("created_by")


class EligiblePackagesView(AreaScopedMixin, generics.GenericAPIView):
    """Support packages a household qualifies for. For one household: every active package, whether
    it qualifies and why, and the amount (central base × the provincial multiplier for this
    household)."""

    serializer_class = s.MatchSerializer
    pagination_class = None
    query_params = s.EligibleParams
    queryset = Household.objects.none()

    @extend_schema(
        parameters=[s.EligibleParams],
        responses=s.MatchSerializer(many=True),
    )
    def get(self, request, pk):
        household = get_object_or_404(
            self.scope(Household.objects.select_related("commune")), pk=pk
        )
        params = s.EligibleParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        matches = selectors.eligible_packages(
            household=household, period=params.validated_data.get("period")
        )
        return Response(s.MatchSerializer(s.match_rows(matches), many=True).data)


class LivelihoodModelViewSet(
    IdempotentCreateMixin,
    ServiceWritesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Production / livelihood models with their participating households and outcomes."""

    serializer_class = s.LivelihoodModelSerializer
    filterset_class = LivelihoodModelFilter
    ordering = "id"
    area_paths = ("commune", None)
    write_perm = Perm.LIVELIHOOD_MANAGE
    action_perms = {"participants": Perm.LIVELIHOOD_MANAGE}
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return LivelihoodModel.objects.select_related("commune").prefetch_related("participants")

    save_service = staticmethod(services.livelihood_model_save)
    instance_kwarg = "model"

    @extend_schema(
        request=s.ParticipationSerializer,
        responses={201: s.ParticipationSerializer, 200: s.ParticipationSerializer},
    )
    @idempotent
    @action(detail=True, methods=["post"])
    def participants(self, request, pk=None):
        """Add a participating household (201), or update its outcome when it is already in
        (200)."""
        model = self.get_object()
        serializer = s.ParticipationSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        participation, new = services.participation_save(
            actor=request.user, model=model, household=values.pop("household", None), values=values
        )
        return Response(
            s.ParticipationSerializer(participation, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if new else status.HTTP_200_OK,
        )


class TargetViewSet(
    IdempotentCreateMixin,
    ServiceWritesMixin,
    AreaScopedMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Targets per commune, or village, and year, with progress computed from official
    statuses. A household's own target is its case's plan (`/cases/`)."""

    serializer_class = s.TargetSerializer
    filterset_class = TargetFilter
    ordering = "id"
    area_paths = ("commune", "village")
    write_perm = Perm.SUPPORT_MANAGE
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return Target.objects.select_related("commune", "village")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        context = {**self.get_serializer_context(), "progress": reports.target_progress(page)}
        return self.get_paginated_response(
            s.TargetSerializer(page, many=True, context=context).data
        )

    def retrieve(self, request, *args, **kwargs):
        target = self.get_object()
        context = {**self.get_serializer_context(), "progress": reports.target_progress([target])}
        return Response(s.TargetSerializer(target, context=context).data)

    save_service = staticmethod(services.target_save)
    instance_kwarg = "target"
