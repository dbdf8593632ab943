"""GET /api/v1/jobs/{id}: state, progress, counts and report of a background job."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config import jobs
from config.access import Perm, access_for
from config.errors import Conflict
from config.models import Job, JobStatus


class JobSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "params",
            "total",
            "done",
            "progress",
            "counts",
            "report",
            "error",
            "attempts",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_progress(self, obj) -> float | None:
        return round(obj.done / obj.total, 4) if obj.total else None


class JobViewSet(viewsets.ReadOnlyModelViewSet):
    """Your background jobs (all jobs for national administrators)."""

    serializer_class = JobSerializer
    ordering = "id"
    action_perms = {"resume": Perm.VIEW}

    queryset = Job.objects.none()  # for the schema; rows come from get_queryset

    def get_queryset(self):
        qs = Job.objects.select_related("created_by")
        if access_for(self.request.user).everywhere or getattr(self, "swagger_fake_view", False):
            return qs
        return qs.filter(created_by=self.request.user)

    @extend_schema(request=None, responses=JobSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Run a failed or interrupted job again from its last checkpoint."""
        job = self.get_object()
        if job.status == JobStatus.SUCCEEDED:
            raise Conflict("The job has already succeeded.", code="job_done")
        jobs.start(job)
        job.refresh_from_db()
        return Response(JobSerializer(job).data)
