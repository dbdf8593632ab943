from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Finding
from core.access import Perm
from core.api.idempotency import idempotent
from core.api.jobs import JobSerializer
from core.api.schema import IF_MATCH, QUEUE_CONFLICT
from core.api.views import AreaScopedMixin, VersionedResponsesMixin, expected_version

from .. import services
from . import serializers as s
from .filtersets import FindingFilter


class FindingViewSet(VersionedResponsesMixin, AreaScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Supervision findings: what the supervision rules found in the register and the
    support records (support for a household not eligible on the decision date, above the
    entitlement or the package's limit, disbursed after the household closed, approved by
    its proposer; cadres with overdue follow-ups; communes spending well ahead of their poor
    households), each with its reason in Vietnamese and English, its figures and the API
    paths of the records that show it. Open until resolved: confirmed, corrected or
    dismissed, with a note."""

    serializer_class = s.FindingSerializer
    detail_serializer_class = s.FindingSerializer
    filterset_class = FindingFilter
    ordering = "id"
    step_subject = "finding"
    area_paths = ("commune", None)
    area_rule = (
        "Only findings of communes in your area (the provinces or communes of your grant) are "
        "visible; an id outside it answers 404 as if it did not exist."
    )
    action_perms = {
        "list": Perm.FINDINGS_VIEW,
        "retrieve": Perm.FINDINGS_VIEW,
        "resolve": Perm.FINDINGS_RESOLVE,
    }

    def get_queryset(self):
        return Finding.objects.select_related("cadre", "resolved_by")

    @extend_schema(
        request=s.FindingResolveSerializer, responses=s.FindingSerializer, parameters=[IF_MATCH]
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve a finding. Confirmed (a real misuse, being acted on), corrected (put
        right) or dismissed (not a misuse), with a note; not by the cadre it is about."""
        finding = self.get_object()
        serializer = s.FindingResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        resolved = services.finding_resolve(
            finding=finding,
            expected_version=expected_version(request),
            actor=request.user,
            status=d["status"],
            note=d["note"],
        )
        return self.respond(resolved)


class ScanView(AreaScopedMixin, APIView):
    """Supervision scan: runs every supervision rule over the register as a background job
    and records what they find as findings (a finding already known is not added twice).
    The worker also runs it every SUPERVISION_SCAN_HOURS."""

    area_paths = None
    area_rule = (
        "The scan covers the whole register; the job's counts cover the findings of your area "
        "only, and you read the findings of your area only."
    )
    write_perm = Perm.FINDINGS_RESOLVE
    problems = {None: {"409": QUEUE_CONFLICT}}  # an APIView has no action

    @extend_schema(request=None, responses={202: JobSerializer})
    @idempotent
    def post(self, request):
        """Start a supervision scan. 202 with the queued job (`GET /jobs/{id}/`); its
        counts say how many findings of your area it found, how many are new."""
        job = services.scan_request(actor=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)
