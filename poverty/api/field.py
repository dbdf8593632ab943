"""The field-app protocol: idempotent uploads keyed by client UUIDs, kept as conflicts when
the household changed meanwhile, and a download of the area's households.

Upload (`POST /field/uploads/`, `POST /field/uploads/batch/`): each item names the version
of the household it was based on. Posting the same item again returns the original result;
the same UUID with a different body is a 409. If the household changed since that version,
the item is kept with status `conflict` for an officer (`POST /field/uploads/{id}/resolve/`),
never applied over newer data and never dropped.

Download (`GET /field/households/`): the area's households with members and latest survey,
and `changes_after`, the change-feed cursor to follow afterwards with
`GET /changes/?after=…&types=household,member,survey` (moves and deletions included).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from core.access import Access, Perm, access_for, covers_household, require, require_household
from core.api.fields import CLOCK_SKEW, INT64_MAX, DateTimeField, IntegerField, ModelSerializer
from core.api.parsers import ItemsJSONParser, check_text
from core.api.serializers import PersonalDataMixin
from core.api.views import AreaScopedMixin
from core.errors import Conflict, DomainError, NotAllowed
from core.models import ChangeEvent
from core.text import text_problem
from households import services as registry
from households.api import serializers as hs
from households.models import Household, Member
from poverty import services
from poverty.models import FieldUpload, Survey, UploadKind, UploadStatus

from . import serializers as ps


class UploadSerializer(serializers.Serializer):
    client_id = serializers.UUIDField(help_text="Generated on the device; the idempotency key.")
    kind = serializers.ChoiceField(choices=UploadKind.choices)
    based_on_version = IntegerField(min_value=1, help_text="Household version the edit saw.")
    captured_at = DateTimeField(
        max_ahead=CLOCK_SKEW,
        help_text="When the device captured it (at most a few minutes ahead of the server).",
    )
    body = serializers.JSONField(
        help_text="survey: a survey as for POST /surveys/; "
        "household_edit: {household, ...fields}; member_edit: "
        "{member, version, ...fields}."
    )


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
    kind = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="applied, conflict, rejected or refused.")
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
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


def _hash(item: dict[str, Any]) -> str:
    canonical = json.dumps(
        [item["kind"], item["based_on_version"], item["body"]], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _household_of(kind: str, body: Any, access: Access) -> Household:
    """The household the upload is about, if it is in the uploader's area (one outside it is
    "unknown", as it would be to a GET)."""
    if not isinstance(body, dict):
        raise ValidationError({"body": "Must be an object."})
    field = "body.member" if kind == UploadKind.MEMBER_EDIT else "body.household"
    try:
        if kind == UploadKind.MEMBER_EDIT:
            household = (
                Member.objects.select_related("household__commune")
                .get(pk=body.get("member"))
                .household
            )
        else:
            household = Household.objects.select_related("commune").get(pk=body.get("household"))
    except (
        Member.DoesNotExist,
        Household.DoesNotExist,
        DjangoValidationError,
        ValueError,
        TypeError,
    ) as exc:
        raise ValidationError({field: "Unknown or missing."}) from exc
    if not covers_household(access, household):
        raise ValidationError({field: "Unknown or missing."})
    return household


def apply(upload: FieldUpload, *, version: int, actor) -> dict[str, Any]:
    """Apply the upload's body to the household as of `version`, as `actor` (the uploader,
    or the officer who resolves a conflict): the services check the actor's role and area,
    for where the household is and for where an edit would move it."""
    body = upload.body
    context = {"access": access_for(actor)}
    if upload.kind == UploadKind.SURVEY:
        serializer = ps.SurveySerializer(data=body, context=context)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        household = values.pop("household")
        members = values.pop("members")
        review_round = values.pop("review_round", None)
        application = values.pop("application", "none")
        survey = services.survey_submit(
            actor=actor,
            household=household,
            values={**values, "captured_at": upload.captured_at},
            members=members,
            enumerator=upload.user,
            submitted=body,
            review_round=review_round,
            application=application,
        )
        return {
            "survey": str(survey.pk),
            "assessments": [str(a) for a in survey.assessments.values_list("pk", flat=True)],
        }
    if upload.kind == UploadKind.HOUSEHOLD_EDIT:
        household = upload.household
        serializer = hs.HouseholdWriteSerializer(household, data=body, partial=True)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values.pop("version", None)
        members = values.pop("members", None)
        household = registry.household_update(
            actor=actor,
            household=household,
            expected_version=version,
            data=registry.HouseholdInput(
                values=values,
                members=None
                if members is None
                else [
                    registry.MemberInput(
                        id=m.pop("id", None), version=m.pop("version", None), values=m
                    )
                    for m in members
                ],
            ),
        )
        return {"household": str(household.pk), "version": household.version}
    member = Member.objects.get(pk=body["member"])
    serializer = hs.MemberWriteSerializer(member, data=body, partial=True)
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    values.pop("id", None)
    member_version = values.pop("version", member.version)
    member = registry.member_update(
        actor=actor, member=member, expected_version=member_version, values=values
    )
    return {"member": str(member.pk), "version": member.version}


def _errors(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, DomainError):
        return {"code": exc.code, "detail": exc.detail, "fields": exc.fields}
    return {"code": "validation_error", "detail": "Invalid upload.", "fields": exc.detail}


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


def receive(item: dict[str, Any], *, user) -> tuple[FieldUpload, bool]:
    """Store and (when the household has not changed) apply one upload. Returns the upload
    and whether it is new. Replays (same uploader, same body) return the stored upload."""
    access = require(user, Perm.SURVEY_SUBMIT)
    digest = _hash(item)
    existing = FieldUpload.objects.filter(pk=item["client_id"]).first()
    if existing is not None:
        if existing.body_hash != digest or existing.user_id != user.pk:
            raise Conflict(
                "This client_id was already used for a different upload.",
                fields={"client_id": "Already used with another body."},
                code="client_id_reused",
            )
        return existing, False
    household = _household_of(item["kind"], item["body"], access)
    upload = FieldUpload(
        id=item["client_id"],
        kind=item["kind"],
        household=household,
        based_on_version=item["based_on_version"],
        body=item["body"],
        body_hash=digest,
        captured_at=item["captured_at"],
        user=user,
    )
    try:
        with transaction.atomic():
            if household.version != item["based_on_version"]:
                upload.status = UploadStatus.CONFLICT
                upload.result = {
                    "detail": f"The household is at version {household.version}; "
                    f"this upload was based on {item['based_on_version']}.",
                    "current_version": household.version,
                }
            else:
                try:
                    with transaction.atomic():
                        upload.result = apply(upload, version=household.version, actor=user)
                        upload.status = UploadStatus.APPLIED
                except (DomainError, ValidationError) as exc:
                    upload.status, upload.result = UploadStatus.REJECTED, _errors(exc)
            upload.save(force_insert=True)
    except IntegrityError:  # the same item arrived twice at the same moment
        return receive(item, user=user)
    return upload, True


@transaction.atomic
def resolve(*, actor, upload: FieldUpload, action: str, note: str) -> FieldUpload:
    """An officer applies a conflicting upload to the current household, or discards it.
    Never the person who uploaded it: a conflict means someone else changed the household
    meanwhile, and that is for another pair of eyes to weigh."""
    access = require(actor, Perm.UPLOAD_RESOLVE)
    upload = (
        FieldUpload.objects.select_for_update()
        .select_related("household__commune")
        .get(pk=upload.pk)
    )
    require_household(access, upload.household)
    if upload.user_id == actor.pk:
        raise NotAllowed(
            "You uploaded this; another officer must resolve the conflict.",
            code="own_upload",
        )
    if upload.status != UploadStatus.CONFLICT:
        raise Conflict(f"The upload is {upload.status}, not a conflict.", code="not_conflict")
    if action == "apply":
        upload.result = apply(upload, version=upload.household.version, actor=actor)
        upload.status = UploadStatus.RESOLVED_APPLIED
    else:
        upload.status = UploadStatus.RESOLVED_DISCARDED
    upload.resolved_by, upload.resolved_at = actor, timezone.now()
    upload.resolution_note = note
    upload.save()
    return upload


HTTP_STATUS = {
    UploadStatus.APPLIED: status.HTTP_201_CREATED,
    UploadStatus.CONFLICT: status.HTTP_202_ACCEPTED,
    UploadStatus.REJECTED: status.HTTP_400_BAD_REQUEST,
}


class FieldUploadViewSet(AreaScopedMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Uploads from field apps (surveys, household and member edits)."""

    serializer_class = UploadResultSerializer
    ordering = "id"
    area_paths = ("household__commune", "household__village")
    write_perm = Perm.SURVEY_SUBMIT
    action_perms = {"batch": Perm.SURVEY_SUBMIT, "resolve": Perm.UPLOAD_RESOLVE}
    filterset_fields = ["status", "kind", "household"]

    def get_queryset(self):
        return self.scope(FieldUpload.objects.all())

    @extend_schema(
        request=UploadSerializer,
        responses={
            201: UploadResultSerializer,
            200: UploadResultSerializer,
            202: UploadResultSerializer,
        },
    )
    def create(self, request, *args, **kwargs):
        """201 applied; 202 kept as a conflict; 200 a replay (the original result); 409 the
        same client_id with another body; 400 invalid (also on replay)."""
        serializer = UploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload, new = receive(serializer.validated_data, user=request.user)
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
                upload, new = receive(serializer.validated_data, user=request.user)
                row = UploadResultSerializer(upload, context=self.get_serializer_context()).data
                row["replayed"] = not new
            except (DomainError, ValidationError) as exc:
                row = {
                    **dict.fromkeys(BatchRowSerializer.Meta.fields),
                    "client_id": _client_id(raw),
                    "kind": _echo(raw, "kind"),
                    "status": "refused",
                    "result": _errors(exc),
                    "replayed": False,
                }
            results.append(row)
        return Response(results)

    @extend_schema(request=ResolveSerializer, responses=UploadResultSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """An officer applies a conflicting upload to the current household, or discards it."""
        upload = self.get_object()
        serializer = ResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = resolve(
            actor=request.user,
            upload=upload,
            action=serializer.validated_data["action"],
            note=serializer.validated_data["note"],
        )
        return Response(UploadResultSerializer(upload, context=self.get_serializer_context()).data)


class FieldHouseholdSerializer(hs.HouseholdSerializer):
    latest_survey = serializers.SerializerMethodField()

    class Meta(hs.HouseholdSerializer.Meta):
        fields = [*hs.HouseholdSerializer.Meta.fields, "latest_survey"]

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


class FieldHouseholdViewSet(AreaScopedMixin, viewsets.GenericViewSet):
    """Download for field apps: your area's households with members and latest survey."""

    serializer_class = FieldHouseholdSerializer
    ordering = "code"
    filterset_class = None

    def get_queryset(self):
        latest = Survey.objects.filter(is_latest=True).prefetch_related("members", "assessments")
        return self.scope(
            hs.household_queryset().prefetch_related(
                Prefetch("surveys", queryset=latest, to_attr="latest_surveys")
            )
        )

    @extend_schema(parameters=[DownloadParams], responses=FieldHouseholdSerializer(many=True))
    def list(self, request):
        """Pages of households (cursor pagination). `changes_after` is the change-feed
        position when the download started: follow `/changes/?after=` from there."""
        params = DownloadParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        changes_after = params.validated_data.get("changes_after")
        if changes_after is None:
            changes_after = ChangeEvent.objects.aggregate(m=Max("seq"))["m"] or 0
        page = self.paginate_queryset(self.get_queryset())
        response = self.get_paginated_response(self.get_serializer(page, many=True).data)
        response.data["changes_after"] = changes_after
        if response.data.get("next"):
            response.data["next"] = replace_query_param(
                response.data["next"], "changes_after", changes_after
            )
        return response
