"""Home Affairs registry sync over HTTP.

`POST /api/v1/registry-sync/?dry_run=true|false` takes registry records (see integrations.sync):

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
from django.utils.translation import gettext, ngettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import BaseParser
from rest_framework.response import Response

from core import audit, files, jobs, spreadsheet
from core.access import Perm, access_for
from core.api.jobs import JobSerializer
from core.api.parsers import ItemsJSONParser, MultiPartParser, decode, loads
from core.api.schema import QUEUE_CONFLICT, RESULT_CONFLICT
from core.api.views import AuditedViewSetMixin
from core.errors import InvalidInput
from core.models import Job
from integrations import sync

from .serializers import (
    RegistryBatchSerializer,
    RegistrySyncParamsSerializer,
    RegistryUploadSerializer,
    SyncReportSerializer,
)

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
                raise ParseError(
                    gettext("Line %(number)s: %(detail)s")
                    % {"number": number, "detail": exc.detail}
                ) from None
        return records


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
    extra_problem_statuses = {"rejected": ("409", "410")}
    problems = {"create": {"409": QUEUE_CONFLICT}, "rejected": {"409": RESULT_CONFLICT}}
    audit_channel = audit.Channel.REGISTRY_SYNC  # as its set-based writes record (sync.writes)
    area_rule = (
        "A record whose commune is outside your area is rejected (`outside_area`); the others "
        "go on. A sync job's rejected records are readable by whoever started it, while "
        "their role and area are those it ran under (409 `job_rights_changed` after)."
    )

    @extend_schema(
        operation_id="registry_sync_create",
        parameters=[RegistrySyncParamsSerializer],
        request={
            "application/json": RegistryBatchSerializer,
            "application/x-ndjson": OpenApiTypes.BINARY,  # raw bytes: one record a line
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
        record never blocks the others. Records outside your area are rejected.

        The body: JSON `{"records": [...]}` (a bare JSON array of records is also taken), NDJSON
        (one record a line), or a file (multipart, field `file`)."""
        params = RegistrySyncParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        dry_run = params.validated_data["dry_run"]
        if (request.content_type or "").startswith("multipart/"):
            return self._upload(request, dry_run)
        records = request.data
        if isinstance(records, dict) and set(records) == {"records"}:
            records = records["records"]
        if not isinstance(records, list):
            raise InvalidInput(
                gettext(
                    'The body is JSON {"records": [...]} (or a bare array of records), or NDJSON '
                    "(one record per line)."
                ),
                fields={"non_field_errors": gettext("Expected a list of records.")},
                code="not_a_list",
            )
        if len(records) > BODY_LIMIT:
            raise InvalidInput(
                (
                    gettext(
                        "%(count)s records: a body holds at most %(limit)s; upload a file "
                        "(multipart/form-data, field `file`)."
                    )
                    % {"count": f"{len(records):,}", "limit": f"{BODY_LIMIT:,}"}
                ),
                fields={
                    "non_field_errors": ngettext(
                        "At most %(limit)s record in a body.",
                        "At most %(limit)s records in a body.",
                        BODY_LIMIT,
                    )
                    % {"limit": BODY_LIMIT}
                },
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
            raise InvalidInput(
                gettext("Upload the registry file as `file`."),
                fields={"file": gettext("Required.")},
            )
        fmt = request.data.get("format") or sync.detect_format(upload.name, upload.content_type)
        if fmt not in sync.FORMATS:
            raise InvalidInput(
                (
                    gettext(
                        "Cannot tell the format of %(name)s: use .json, .ndjson or .csv, or "
                        "send `format`."
                    )
                    % {"name": upload.name}
                ),
                fields={"format": gettext("One of %(join)s.") % {"join": ", ".join(sync.FORMATS)}},
            )
        return self._enqueue(request, upload.chunks(), fmt, dry_run)

    def _enqueue(self, request, content, fmt: str, dry_run: bool) -> Response:
        job = sync.stage_upload(content, fmt, actor=request.user, dry_run=dry_run)
        return Response(JobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        operation_id="registry_sync_rejected_csv",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def rejected(self, request, pk=None):
        """The rejected records of a sync job as CSV: record index, external ID, field, code,
        reason (one row per error). 410 once its files expired; 409 `job_rights_changed` once
        your role or area changed since it ran."""
        job = Job.objects.filter(pk=pk, kind="registry_sync").first()
        if job is None or not (
            access_for(request.user).everywhere or job.created_by_id == request.user.pk
        ):
            raise NotFound(gettext("No such registry sync job."))
        jobs.require_same_rights(
            request.user,
            owner_id=job.created_by_id,
            digest=job.access,
            again="POST /api/v1/registry-sync/",
        )
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
