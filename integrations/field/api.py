"""The field-app protocol: idempotent uploads keyed by client UUIDs, kept as conflicts when
the household changed meanwhile, and a download of the area's households.

Upload (`POST /field/uploads/`, `POST /field/uploads/batch/`): each item names the version
of the household it was based on (a `household_create` registers a new household and its
members under ids generated on the device, and names none). Posting the same item again
returns the original result; the same UUID with a different body is a 409. If the household
changed since that version, the item is kept with status `conflict` for an officer
(`POST /field/uploads/{id}/resolve/`), never applied over newer data and never dropped.

Download (`GET /field/households/`): the area's households with members, latest survey and open
case (cadre, goals, follow-ups due),
and `changes_after`, the change-feed cursor to follow afterwards with
`GET /changes/?after=…&rights=…&types=household,member,survey` (moves and deletions included).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from cases.api import serializers as cs
from cases.choices import CaseState
from cases.models import Case, FollowUp
from core import audit
from core.access import Perm, access_digest
from core.api.fields import (
    CLOCK_SKEW,
    INT64_MAX,
    CharField,
    DateTimeField,
    IntegerField,
    ModelSerializer,
)
from core.api.idempotency import idempotent
from core.api.pagination import CursorPagination
from core.api.parsers import ItemsJSONParser, check_text
from core.api.serializers import PersonalDataMixin
from core.api.views import HOUSEHOLD_ORDER, AreaScopedMixin
from core.errors import DomainError
from core.text import text_problem
from households.api import serializers as hs
from integrations.api.changes import (
    RIGHTS_CONFLICT,
    RIGHTS_HELP,
    latest_position,
    require_same_rights,
)
from poverty.api import serializers as ps
from poverty.models import FieldUpload, Survey, UploadKind, UploadStatus

from .services import field_upload_receive, field_upload_resolve, upload_errors


class UploadSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="Generated on the device; the idempotency key.")
    kind = serializers.ChoiceField(choices=UploadKind.choices)
    based_on_version = IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Household version the edit saw; required, except for household_create "
        "(omit it or send null: there is no household yet).",
    )
    captured_at = DateTimeField(
        max_ahead=CLOCK_SKEW,
        help_text="When the device captured it (at most a few minutes ahead of the server).",
    )
    body = serializers.JSONField(
        help_text="survey: a survey as for POST /surveys/; "
        "household_edit: {household, ...fields}; member_edit: "
        "{member, version, ...fields}; household_create: a household as for POST /households/ "
        "with `id` and each member's `id` generated on the device (UUIDv7 or v4); "
        "visit: {follow_up, done_on, findings, next_step, next_visit_on} as for "
        "POST /follow-ups/{id}/record/, `based_on_version` being the follow-up's version."
    )

    def validate(self, attrs):
        creates = attrs["kind"] == UploadKind.HOUSEHOLD_CREATE
        if creates and attrs.get("based_on_version") is not None:
            raise ValidationError({"based_on_version": gettext("Omit it for household_create.")})
        if not creates and attrs.get("based_on_version") is None:
            raise ValidationError({"based_on_version": gettext("This field is required.")})
        return attrs


class UploadResultSerializer(PersonalDataMixin, ModelSerializer):
    client_id = serializers.UUIDField(source="id")

    class Meta:
        model = FieldUpload
        fields = [
            "client_id",
            "kind",
            "household",
            "based_on_version",
            "captured_at",
            "received_at",
            "status",
            "result",
            "resolved_at",
            "resolution_note",
        ]


BATCH_LIMIT = 1000


class BatchSerializer(serializers.Serializer):
    # The batch as documented; its items are validated one by one (_BatchEnvelope), so that
    # a bad item is refused on its own.
    items = UploadSerializer(many=True, allow_empty=False, max_length=BATCH_LIMIT)


class _BatchEnvelope(serializers.Serializer):
    items = serializers.ListField(allow_empty=False, max_length=BATCH_LIMIT)


class BatchRowSerializer(UploadResultSerializer):
    """One item of a batch: the upload's result, or `refused` (an invalid item, nothing
    stored: `result` says why; the fields it could not give are null)."""

    client_id = serializers.UUIDField(source="id", allow_null=True)
    kind = CharField(allow_null=True)
    status = CharField(help_text="applied, conflict, rejected or refused.")
    replayed = serializers.BooleanField(help_text="The item had been received before.")

    class Meta(UploadResultSerializer.Meta):
        fields = [*UploadResultSerializer.Meta.fields, "replayed"]
        extra_kwargs = {
            name: {"allow_null": True}
            for name in (
                "household",
                "based_on_version",
                "captured_at",
                "received_at",
                "resolution_note",
            )
        }


class ResolveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["apply", "discard"])
    note = CharField(required=False, allow_blank=True, default="", max_length=300)


def _echo(raw: Any, name: str) -> str | None:
    """A refused item's own value, when it is text that can be answered."""
    value = raw.get(name) if isinstance(raw, dict) else None
    return value if isinstance(value, str) and text_problem(value) is None else None


def _client_id(raw: Any) -> str | None:
    """A refused item's client_id, when it is one."""
    try:
        return str(uuid.UUID(_echo(raw, "client_id") or ""))
    except ValueError:
        return None


HTTP_STATUS = {
    UploadStatus.APPLIED: status.HTTP_201_CREATED,
    UploadStatus.CONFLICT: status.HTTP_202_ACCEPTED,
    UploadStatus.REJECTED: status.HTTP_400_BAD_REQUEST,
}


class FieldUploadViewSet(AreaScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Uploads from field apps (surveys, household and member edits)."""

    serializer_class = UploadResultSerializer
    ordering = HOUSEHOLD_ORDER
    area_paths = ("household__commune", "household__village")
    write_perm = Perm.SURVEY_SUBMIT
    action_perms = {"batch": Perm.SURVEY_SUBMIT, "resolve": Perm.UPLOAD_RESOLVE}
    filterset_fields = ["status", "kind", "household"]
    # Whoever sends it, and for an officer's resolution too: the change is the field app's
    # upload (the history's user says who sent or resolved it).
    audit_channel = audit.Channel.FIELD_APP

    def get_queryset(self):
        return FieldUpload.objects.all()

    @extend_schema(
        request=UploadSerializer,
        responses={
            201: UploadResultSerializer,
            200: UploadResultSerializer,
            202: UploadResultSerializer,
        },
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        """Post one upload from a field app. Kinds: `survey`, `household_edit`, `member_edit`, and
        `household_create` (an offline registration: the household and its members under ids
        generated on the device, through the same rules as POST /households/; `result` names the
        household, its code and members), and `visit` (a case's follow-up recorded as done, based
        on the follow-up's version; the follow-up keeps the client_id). 201 applied; 202 kept as a
        conflict; 200 a replay (the original result); 409 the same client_id with another body; 400
        invalid (also on replay)."""
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload, new = field_upload_receive(serializer.validated_data, user=request.user)
        code = (
            HTTP_STATUS[upload.status]
            if new or upload.status == UploadStatus.REJECTED
            else status.HTTP_200_OK
        )
        return Response(
            UploadResultSerializer(upload, context=self.get_serializer_context()).data,
            status=code,
        )

    @extend_schema(request=BatchSerializer, responses=BatchRowSerializer(many=True))
    @action(detail=False, methods=["post"], parser_classes=[ItemsJSONParser], pagination_class=None)
    def batch(self, request):
        """Many uploads at once (a day's work): one result per item, in order, each on its
        own: an invalid item is `refused` with its errors and the others go on."""
        envelope = _BatchEnvelope(data=request.data)
        envelope.is_valid(raise_exception=True)
        results = []
        for raw in envelope.validated_data["items"]:
            try:
                check_text(raw)
                serializer = UploadSerializer(data=raw)
                serializer.is_valid(raise_exception=True)
                upload, new = field_upload_receive(serializer.validated_data, user=request.user)
                row = UploadResultSerializer(upload, context=self.get_serializer_context()).data
                row["replayed"] = not new
            except (DomainError, ValidationError) as exc:
                row = {
                    **dict.fromkeys(BatchRowSerializer.Meta.fields),
                    "client_id": _client_id(raw),
                    "kind": _echo(raw, "kind"),
                    "status": "refused",
                    "result": upload_errors(exc),
                    "replayed": False,
                }
            results.append(row)
        return Response(results)

    @extend_schema(request=ResolveSerializer, responses=UploadResultSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Resolve a conflicting upload: an officer applies it to the current household, or
        discards it."""
        upload = self.get_object()
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = field_upload_resolve(
            actor=request.user,
            upload=upload,
            action=serializer.validated_data["action"],
            note=serializer.validated_data["note"],
        )
        return Response(UploadResultSerializer(upload, context=self.get_serializer_context()).data)


class FieldFollowUpSerializer(ModelSerializer):
    class Meta:
        model = FollowUp
        fields = ["id", "kind", "scheduled_on", "cadre", "next_step", "version"]
        read_only_fields = fields


class FieldCaseSerializer(PersonalDataMixin, ModelSerializer):
    cadre_username = CharField(source="cadre.username", read_only=True, allow_null=True)
    goals = cs.PlanGoalSerializer(many=True, read_only=True)
    follow_ups_due = FieldFollowUpSerializer(
        many=True, read_only=True, help_text="Follow-ups not yet done, oldest first."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "state",
            "classification",
            "cadre",
            "cadre_username",
            "target_date",
            "commitments",
            "goals",
            "follow_ups_due",
            "version",
        ]
        read_only_fields = fields


class FieldHouseholdSerializer(hs.HouseholdSerializer):
    latest_survey = serializers.SerializerMethodField()
    case = serializers.SerializerMethodField()

    class Meta(hs.HouseholdSerializer.Meta):
        fields = [*hs.HouseholdSerializer.Meta.fields, "latest_survey", "case"]

    @extend_schema_field(FieldCaseSerializer(allow_null=True))
    def get_case(self, obj):
        """The household's open case (active or in monitoring), null when none."""
        case = getattr(obj, "case", None)
        if case is None or case.state == CaseState.CLOSED:
            return None
        return FieldCaseSerializer(case, context=self.context).data

    @extend_schema_field(ps.SurveySerializer(allow_null=True))
    def get_latest_survey(self, obj):
        latest = obj.latest_surveys
        return ps.SurveySerializer(latest[0], context=self.context).data if latest else None


class DownloadParams(serializers.Serializer):
    changes_after = IntegerField(
        min_value=0,
        max_value=INT64_MAX,
        required=False,
        help_text="Set in `next`: the change-feed position when the download started.",
    )
    rights = CharField(
        required=False,
        max_length=64,
        help_text="Set in `next`: your role and area when the download started.",
    )


class DownloadPagination(CursorPagination):
    """A download's page: its households, and where to follow the change feed from."""

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["changes_after"] = {
            "type": "integer",
            "format": "int64",
            "description": "The position of your latest change-feed event when the download "
            "started: follow `/changes/?after=` from there, with `rights`.",
        }
        paginated["properties"]["rights"] = {"type": "string", "description": RIGHTS_HELP}
        paginated["required"] = [*paginated.get("required", []), "changes_after", "rights"]
        return paginated


class FieldHouseholdViewSet(AreaScopedMixin, viewsets.GenericViewSet):
    """Download for field apps: your area's households with members, latest survey and open
    case (its cadre, goals and the follow-ups due)."""

    serializer_class = FieldHouseholdSerializer
    ordering = "code"
    filterset_class = None
    query_params = {"list": DownloadParams}
    pagination_class = DownloadPagination
    audit_channel = audit.Channel.FIELD_APP
    extra_problem_statuses = {"list": ("409",)}
    problems = {"list": {"409": RIGHTS_CONFLICT}}

    def get_queryset(self):
        latest = Survey.objects.filter(is_latest=True).prefetch_related("members", "assessments")
        due = FollowUp.objects.filter(done_on__isnull=True).order_by("scheduled_on", "id")
        return hs.household_queryset().prefetch_related(
            Prefetch("surveys", queryset=latest, to_attr="latest_surveys"),
            Prefetch("case", queryset=Case.objects.select_related("cadre")),
            "case__goals",
            Prefetch("case__follow_ups", queryset=due, to_attr="follow_ups_due"),
        )

    @extend_schema(parameters=[DownloadParams], responses=FieldHouseholdSerializer(many=True))
    def list(self, request):
        """Download your area's households for offline work. Pages of households (cursor
        pagination). `changes_after` is the position of your latest change-feed event when the
        download started: follow `/changes/?after=` from there, with `rights`. A download
        whose pages span a change of your role or area is refused (409
        `feed_rights_changed`): start it again."""
        params = DownloadParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        require_same_rights(request.user, params.validated_data.get("rights"))
        changes_after = params.validated_data.get("changes_after")
        if changes_after is None:
            changes_after = latest_position(self.access)
        rights = access_digest(request.user)
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data.update(changes_after=changes_after, rights=rights)
        if response.data.get("next"):
            link = replace_query_param(response.data["next"], "changes_after", changes_after)
            response.data["next"] = replace_query_param(link, "rights", rights)
        return response
