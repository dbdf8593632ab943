"""Home Affairs registry sync over HTTP.

`POST /api/v1/registry-sync/?dry_run=true|false` takes registry records (see households.sync):

- `application/json` (an array of records) or `application/x-ndjson` (one record per line): up
  to INLINE_LIMIT records are synced during the request and answered 200 with one outcome per
  record; larger bodies (up to BODY_LIMIT records) become a background job (202);
- `multipart/form-data` with a `file` (JSON array, NDJSON or CSV, by extension or content type,
  or the `format` field): always a background job (202). `GET /api/v1/jobs/{id}/` follows it.

`GET /api/v1/registry-sync/{job id}/rejected.csv` lists a job's rejected records.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from core import files, jobs, spreadsheet
from core.access import Perm, access_for
from core.api.jobs import JobSerializer
from core.api.parsers import ItemsJSONParser, MultiPartParser, decode, loads
from core.api.views import AuditedViewSetMixin
from core.errors import InvalidInput
from core.ids import new_id
from core.models import Job
from households import sync
from households.choices import Relationship, Sex

INLINE_LIMIT = 1000  # records synced during the request
BODY_LIMIT = 50_000  # records accepted in a JSON/NDJSON body (send a file beyond)
REJECTED_CSV_COLUMNS = ("record_index", "external_id", "field", "code", "reason")


class NDJSONParser(BaseParser):
    """`application/x-ndjson`: one JSON record per line (blank lines ignored). Text that is
    not valid UTF-8 is kept (as lone surrogates) for the record's validation to name."""

    media_type = "application/x-ndjson"

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return []
        records = []
        for number, line in enumerate(decode(stream.read()).split("\n"), 1):
            if not line.strip():
                continue
            try:
                records.append(loads(line))
            except ParseError as exc:
                raise ParseError(f"Line {number}: {exc.detail}") from None
        return records


# ---------------------------------------------------------------------------- schema


class RegistryMemberSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="The registry's person ID.")
    full_name = serializers.CharField(max_length=150)
    date_of_birth = serializers.DateField()
    sex = serializers.ChoiceField(choices=Sex.choices)
    ethnicity = serializers.CharField(help_text="Ethnic group code, e.g. `01` (Kinh).")
    relationship = serializers.ChoiceField(choices=Relationship.choices)
    citizen_id = serializers.CharField(
        allow_null=True, required=False, help_text="12-digit citizen ID, or null."
    )


class RegistryRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=64, help_text="The registry's household ID.")
    commune = serializers.CharField(help_text="Commune-level unit code (5 digits).")
    address = serializers.CharField(max_length=255)
    members = RegistryMemberSerializer(many=True, help_text="Every resident, the head included.")


class RegistryUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="JSON array of records, NDJSON (one record per line) or CSV (one row per "
        "member: household_external_id, commune, address, member_external_id, full_name, "
        "date_of_birth, sex, ethnicity, relationship, citizen_id; a household's rows together)."
    )
    format = serializers.ChoiceField(
        choices=sync.FORMATS,
        required=False,
        help_text="Default: from the file's extension (.json, .ndjson/.jsonl, .csv) or type.",
    )


class RegistrySyncParamsSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(
        default=False, help_text="Validate and report what would change; write nothing."
    )


class SyncFieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path, e.g. `members.1.citizen_id`.")
    code = serializers.CharField()
    reason = serializers.CharField()


class SyncConflictSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path of the registry-owned field.")
    local = serializers.JSONField(help_text="Our value before the sync (edited locally).")
    registry = serializers.JSONField(help_text="The registry's value, now applied.")
    previous_registry = serializers.JSONField(
        allow_null=True, help_text="What the registry had sent before (null: never)."
    )


class SyncOutcomeSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the record in the input (from 0).")
    external_id = serializers.CharField(allow_null=True)
    outcome = serializers.CharField(help_text="`created`, `updated`, `unchanged` or `rejected`.")
    household = serializers.UUIDField(allow_null=True)
    code = serializers.CharField(allow_null=True)
    errors = SyncFieldErrorSerializer(many=True, help_text="Why the record was rejected.")
    conflicts = SyncConflictSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField())


class SyncCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()


class SyncReportSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = SyncCountsSerializer()
    records = SyncOutcomeSerializer(many=True)


# ---------------------------------------------------------------------------- view


class RegistrySyncViewSet(AuditedViewSetMixin, viewsets.ViewSet):
    """Home Affairs registry sync: the registry owns identity and residence fields; local
    edits of them are reported as conflicts; everything else is never touched."""

    # Records are checked one by one (a bad one is rejected, the others go on).
    parser_classes = [ItemsJSONParser, NDJSONParser, MultiPartParser]
    body_limits = {
        "application/json": "REGISTRY_SYNC_MAX_BODY_BYTES",
        "application/x-ndjson": "REGISTRY_SYNC_MAX_BODY_BYTES",
        "multipart/form-data": "REGISTRY_SYNC_MAX_FILE_BYTES",
    }
    write_perm = Perm.REGISTRY_EDIT
    action_perms = {"rejected": Perm.REGISTRY_EDIT}

    @extend_schema(
        operation_id="registry_sync_create",
        parameters=[RegistrySyncParamsSerializer],
        request={
            "application/json": RegistryRecordSerializer(many=True),
            "application/x-ndjson": OpenApiTypes.STR,
            "multipart/form-data": RegistryUploadSerializer,
        },
        responses={
            200: OpenApiResponse(
                SyncReportSerializer, description=f"Up to {INLINE_LIMIT} records, synced now."
            ),
            202: OpenApiResponse(JobSerializer, description="A file or a larger body: a job."),
        },
    )
    def create(self, request):
        """Sync Home Affairs registry records: one outcome per record (created, updated,
        unchanged, rejected with field and reason, conflicts with local edits). A rejected
        record never blocks the others. Records outside your area are rejected."""
        params = RegistrySyncParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        dry_run = params.validated_data["dry_run"]
        if (request.content_type or "").startswith("multipart/"):
            return self._upload(request, dry_run)
        records = request.data
        if not isinstance(records, list):
            raise InvalidInput(
                "The body is a JSON array of registry records, or NDJSON (one record per line).",
                fields={"non_field_errors": "Expected a list of records."},
                code="not_a_list",
            )
        if len(records) > BODY_LIMIT:
            raise InvalidInput(
                f"{len(records):,} records: a body holds at most {BODY_LIMIT:,}; upload a file "
                "(multipart/form-data, field `file`).",
                fields={"non_field_errors": f"At most {BODY_LIMIT} records in a body."},
                code="too_many_records",
            )
        if len(records) > INLINE_LIMIT:
            content = "".join(json.dumps(r) + "\n" for r in records)  # ASCII: bad text kept
            return self._enqueue(request, content.encode(), "ndjson", dry_run)
        report = sync.sync_records(records, actor=request.user, dry_run=dry_run)
        return Response(SyncReportSerializer(report.as_dict()).data)

    def _upload(self, request, dry_run: bool) -> Response:
        upload = request.FILES.get("file")
        if upload is None:
            raise InvalidInput("Upload the registry file as `file`.", fields={"file": "Required."})
        fmt = request.data.get("format") or sync.detect_format(upload.name, upload.content_type)
        if fmt not in sync.FORMATS:
            raise InvalidInput(
                f"Cannot tell the format of {upload.name}: use .json, .ndjson or .csv, or send "
                "`format`.",
                fields={"format": f"One of {', '.join(sync.FORMATS)}."},
            )
        return self._enqueue(request, upload.chunks(), fmt, dry_run)

    def _enqueue(self, request, content, fmt: str, dry_run: bool) -> Response:
        job_id = new_id()  # the file is named after its job (core.files)
        relative = sync.upload_path(job_id, fmt)
        with files.open_private(files.media_path(relative), "wb") as stream:
            for part in [content] if isinstance(content, bytes) else content:
                stream.write(part)
        job = jobs.enqueue(
            "registry_sync",
            {"path": relative, "format": fmt, "dry_run": dry_run},
            request.user,
            job_id=job_id,
        )
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="registry_sync_rejected_csv",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def rejected(self, request, pk=None):
        """The rejected records of a sync job as CSV: record index, external ID, field, code,
        reason (one row per error)."""
        job = Job.objects.filter(pk=pk, kind="registry_sync").first()
        if job is None or not (
            access_for(request.user).everywhere or job.created_by_id == request.user.pk
        ):
            raise NotFound("No such registry sync job.")
        files.job_file(job, sync.report_path(job))  # 410 once expired
        response = HttpResponse(content_type=spreadsheet.CONTENT_TYPE)
        response["Content-Disposition"] = (
            f'attachment; filename="registry-sync-{job.pk}-rejected.csv"'
        )
        writer = spreadsheet.writer(response)
        writer.writerow(REJECTED_CSV_COLUMNS)
        for outcome in sync.read_report(job):
            if outcome["outcome"] != sync.REJECTED:
                continue
            for error in outcome["errors"]:
                writer.writerow(
                    [
                        outcome["index"],
                        outcome["external_id"],
                        error["field"],
                        error["code"],
                        error["reason"],
                    ]
                )
        return response
