"""GET /api/v1/jobs/{id}: state, progress, counts and report of a background job; POST
/jobs/ starts an export, /jobs/{id}/resume/ queues a failed or abandoned job again,
/jobs/{id}/download/ hands out an export's file (410 once expired)."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core import files, jobs, spreadsheet
from core.access import Perm, access_for
from core.errors import Conflict
from core.models import Job, JobStatus

from .fields import CharField, ModelSerializer
from .idempotency import idempotent
from .schema import QUEUE_CONFLICT, RESULT_CONFLICT
from .views import KnownQueryParamsMixin


class JobSerializer(ModelSerializer):
    created_by = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    progress = serializers.SerializerMethodField()
    rights_changed = serializers.SerializerMethodField(
        help_text="True when your role or area changed since the job was started: its result "
        "(`counts`, `report`, the export's file, the what-if run) is withheld (409 "
        "`job_rights_changed`); run it again."
    )

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
            "rights_changed",
            "error",
            "attempts",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        extra_kwargs = {
            "params": {
                "help_text": "What the job was asked to do, and `language`: that of the request "
                "that queued it (Vietnamese for the worker's own jobs). Its report's reasons "
                "and its `error` are written in that language."
            },
            "error": {
                "help_text": "Why the job failed: a refusal in the job's language, or, for an "
                "error its handler did not expect, only the error's kind (the rest is in the "
                "server's log)."
            },
        }

    def get_progress(self, obj) -> float | None:
        return round(obj.done / obj.total, 4) if obj.total else None

    def _withheld(self, obj) -> bool:
        """The reader's rights are not those the result was made under (core.jobs); a job
        shown to its requester as they start it (no request here) is theirs."""
        request = self.context.get("request")
        return request is not None and jobs.rights_changed(obj, request.user)

    def get_rights_changed(self, obj) -> bool:
        return self._withheld(obj)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data["rights_changed"]:
            data["counts"], data["report"] = {}, {}
        return data


class ExportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["export_households"])
    commune = CharField(required=False, help_text="Limit to one commune.")
    filters = serializers.DictField(
        required=False,
        help_text="The household list's filters, as its query parameters "
        '(`GET /households/`), e.g. `{"village": "<id>", "status": ["active"]}`.',
    )
    format = serializers.ChoiceField(
        choices=["csv", "xlsx"], default="csv", help_text="The file: CSV (UTF-8, BOM) or XLSX."
    )


class JobViewSet(KnownQueryParamsMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Your background jobs (all jobs for national administrators). POST starts an export
    (`export_households`: CSV of the area's present members with their household); what-if
    and registry sync start theirs from their own endpoints."""

    serializer_class = JobSerializer
    ordering = "id"
    write_perm = Perm.VIEW
    action_perms = {"resume": Perm.VIEW, "download": Perm.VIEW}
    extra_problem_statuses = {"download": ("409", "410")}
    problems = {
        "create": {"409": QUEUE_CONFLICT},
        "resume": {"409": QUEUE_CONFLICT},
        "download": {
            "409": (
                f"{RESULT_CONFLICT[0]} Or the job has no file (yet): it has not succeeded.",
                [*RESULT_CONFLICT[1], "no_file"],
            )
        },
    }
    area_rule = (
        "You see your own jobs (national administrators see all). A job works on your area "
        "as it was when the job ran; its result (counts, report, file) is handed out only "
        "while your role and area are still those (`rights_changed`; the file: 409)."
    )

    @extend_schema(request=ExportRequestSerializer, responses={202: JobSerializer})
    @idempotent
    def create(self, request, *args, **kwargs):
        """Start an export as a background job: 202 with the queued job; when it has
        finished, `GET /jobs/{id}/download/` gives the file."""
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        params = {"commune": d.get("commune")}
        if d.get("filters"):
            params["filters"] = d["filters"]
        if d["format"] != "csv":
            params["format"] = d["format"]
        params = jobs.clean_params(d["kind"], params, request.user)
        job = jobs.enqueue(d["kind"], params, user=request.user)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, spreadsheet.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """Download the file a finished export produced (410 once it expired: FILE_RETENTION_HOURS
        after the job finished; 409 `job_rights_changed` once your role or area changed since
        it ran: export again)."""
        job = self.get_object()
        jobs.require_same_rights(
            request.user, owner_id=job.created_by_id, digest=job.access, again="POST /api/v1/jobs/"
        )
        name = (job.report or {}).get("file")
        if job.status != JobStatus.SUCCEEDED or not name:
            raise Conflict(gettext("This job has no file to download (yet)."), code="no_file")
        path = files.job_file(job, files.media_path(name))
        return FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=path.name,
            content_type=spreadsheet.XLSX_CONTENT_TYPE
            if path.suffix == ".xlsx"
            else spreadsheet.CONTENT_TYPE,
        )

    queryset = Job.objects.none()  # for the schema; rows come from get_queryset

    def get_queryset(self):
        qs = Job.objects.select_related("created_by")
        if access_for(self.request.user).everywhere or getattr(self, "swagger_fake_view", False):
            return qs
        return qs.filter(created_by=self.request.user)

    @extend_schema(request=None, responses={202: JobSerializer})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Queue a failed job, or one whose worker stopped answering (its lease expired),
        again: it continues from its last checkpoint. 409 while a worker holds it or once it
        succeeded; 410 when its files expired."""
        job = self.get_object()
        if job.status == JobStatus.SUCCEEDED:
            raise Conflict(gettext("The job has already succeeded."), code="job_done")
        files.require_kept(job)
        if job.status == JobStatus.FAILED:
            jobs.require_room(request.user)
        if not jobs.requeue(job):
            raise Conflict(
                gettext("A worker is running this job; follow it at GET /jobs/{id}/."),
                code="job_running",
            )
        return Response(
            JobSerializer(job, context=self.get_serializer_context()).data,
            status=status.HTTP_202_ACCEPTED,
        )
