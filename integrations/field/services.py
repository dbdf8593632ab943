"""The field-app protocol's use cases: an upload received once per client UUID (a replay
returns the stored result; the same UUID with another body is refused), applied through the
registry and survey services when the household is still at the version the device saw, or
else kept as a conflict for another officer to resolve.

A `visit` records a case's follow-up (cases.services), compared with the follow-up's version
instead of the household's.

Every write goes through households.services, poverty.services and cases.services, which
check the actor's role, area and the versions; the checks here are the protocol's own: the
uploader's role (Perm.SURVEY_SUBMIT) and area for the household named, the resolver's
(Perm.UPLOAD_RESOLVE) and that the resolver is not the uploader.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError

from cases import services as cases
from cases.api.serializers import RecordSerializer
from cases.models import FollowUp
from core import dates
from core.access import (
    Access,
    Perm,
    access_for,
    covers_household,
    require,
    require_area,
    require_household,
)
from core.errors import Conflict, DomainError, NotAllowed
from geo.models import Commune, Village
from households import services as registry
from households.api import serializers as hs
from households.choices import Source
from households.limits import member_count_problem
from households.models import Household, Member
from poverty import services
from poverty.api import serializers as ps
from poverty.models import FieldUpload, UploadKind, UploadStatus


def _hash(item: dict[str, Any]) -> str:
    canonical = json.dumps(
        [item["kind"], item.get("based_on_version"), item["body"]], sort_keys=True, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _household_of(kind: str, body: Any, access: Access) -> Household:
    """The household the upload is about, if it is in the uploader's area (one outside it is
    "unknown", as it would be to a GET)."""
    if not isinstance(body, dict):
        raise ValidationError({"body": gettext("Must be an object.")})
    field = {UploadKind.MEMBER_EDIT: "body.member", UploadKind.VISIT: "body.follow_up"}.get(
        kind, "body.household"
    )
    try:
        if kind == UploadKind.VISIT:
            household = (
                FollowUp.objects.select_related("case__household__commune")
                .get(pk=body.get("follow_up"))
                .case.household
            )
        elif kind == UploadKind.MEMBER_EDIT:
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
        FollowUp.DoesNotExist,
        DjangoValidationError,
        ValueError,
        TypeError,
    ) as exc:
        raise ValidationError({field: gettext("Unknown or missing.")}) from exc
    if not covers_household(access, household):
        raise ValidationError({field: gettext("Unknown or missing.")})
    return household


def current_version(kind: str, body: dict[str, Any], household: Household) -> int:
    """The version an upload is compared with, the follow-up's for a visit (what the device
    saw of it), the household's for the other kinds: read under the lock the apply takes,
    held to the end of the transaction, so that no change can commit between the comparison
    and the apply (one that did would make the services refuse the apply as stale, and the
    upload would be lost instead of kept as a conflict). A change in progress is waited for,
    and compared with as it committed.

    Locked as the services lock them, with the same rows in one statement (so in the same
    order: the upload and a change through the API never deadlock): a follow-up with its
    case (cases.services.follow_up_record), a member with its household
    (households.services.member_update), else the household (household_update; a survey
    takes it too, so that the household it is checked against stays as compared)."""
    if kind == UploadKind.VISIT:
        return (
            FollowUp.objects.select_related("case")
            .select_for_update(of=("self", "case"), no_key=True)
            .get(pk=body["follow_up"])
            .version
        )
    if kind == UploadKind.MEMBER_EDIT:
        member = (
            Member.objects.select_related("household")
            .select_for_update(of=("self", "household"), no_key=True)
            .get(pk=body["member"])
        )
        if member.household_id == household.pk:
            return member.household.version
        # Moved to another household since the upload looked it up: its old household, the
        # one the upload names, was changed by the move (and only ever grows a version).
        return Household.objects.values_list("version", flat=True).get(pk=household.pk)
    return (
        Household.objects.select_for_update(no_key=True)
        .values_list("version", flat=True)
        .get(pk=household.pk)
    )


def _record_visit(upload: FieldUpload, version: int | None, actor) -> dict[str, Any]:
    """A visit posted from the field: the follow-up recorded as done (what was found, the
    next step, the next visit) through the cases service, under the upload's client UUID."""
    body = upload.body
    serializer = RecordSerializer(data={k: v for k, v in body.items() if k != "follow_up"})
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    values.pop("version", None)
    done, following = cases.follow_up_record(
        follow_up=FollowUp.objects.get(pk=body["follow_up"]),
        expected_version=version,
        actor=actor,
        client_id=upload.id,
        **values,
    )
    return {
        "follow_up": str(done.pk),
        "version": done.version,
        "next": str(following.pk) if following else None,
    }


CLIENT_UUID_VERSIONS = (4, 7)


def _client_uuid(value: Any, field: str) -> uuid.UUID:
    try:
        parsed = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.version not in CLIENT_UUID_VERSIONS:
        raise ValidationError(
            {field: gettext("Required: a UUID generated on the device (v7 or v4).")}
        )
    return parsed


def _check_new_household(body: Any, access: Access) -> None:
    """A registration names the ids the device gave the household and each member (UUIDv7 or
    v4, distinct), and a commune (and village) inside the uploader's area: otherwise it is
    refused and nothing is stored. Everything else is the registry service's to check."""
    if not isinstance(body, dict):
        raise ValidationError({"body": gettext("Must be an object.")})
    _client_uuid(body.get("id"), "body.id")
    members = body.get("members")
    if not isinstance(members, list) or not members:
        raise ValidationError(
            {"body.members": gettext("At least one member, the head, is required.")}
        )
    if problem := member_count_problem(len(members)):
        raise ValidationError({"body.members": problem})
    seen: set[uuid.UUID] = set()
    for index, member in enumerate(members):
        field = f"body.members.{index}.id"
        member_id = _client_uuid(member.get("id") if isinstance(member, dict) else None, field)
        if member_id in seen:
            raise ValidationError({field: gettext("Used twice in this household.")})
        seen.add(member_id)
    commune = Commune.objects.filter(code=str(body.get("commune"))).first()
    if commune is None:
        raise ValidationError({"body.commune": gettext("Unknown or missing.")})
    try:
        village = Village.objects.filter(pk=body.get("village")).first()
    except (DjangoValidationError, ValueError, TypeError):
        village = None
    require_area(access, commune, village)


def _register(body: dict[str, Any], actor) -> Household:
    """A household and its members registered under the ids the device gave them, through
    the registry service (role, area, citizen IDs, one head)."""
    serializer = hs.HouseholdWriteSerializer(
        data={k: v for k, v in body.items() if k != "id"}, context={"access": access_for(actor)}
    )
    serializer.is_valid(raise_exception=True)
    values = dict(serializer.validated_data)
    values.pop("version", None)
    members = values.pop("members", None) or []
    for member in members:
        member.pop("version", None)
    household = registry.household_register(
        actor=actor,
        data=registry.HouseholdInput(
            id=uuid.UUID(body["id"]),
            values=values,
            members=[registry.MemberInput(new_id=m.pop("id"), values=m) for m in members],
        ),
        source=Source.FIELD_SURVEY,
    )
    return household


def field_upload_apply(upload: FieldUpload, *, version: int | None, actor) -> dict[str, Any]:
    """Apply the upload's body to the household as of `version`, as `actor` (the uploader,
    or the officer who resolves a conflict): the services check the actor's role and area,
    for where the household is and for where an edit would move it. A date the device wrote
    on its own day is not in the future (core.dates.device_clock: its clock may run ahead)."""
    with dates.device_clock(upload.captured_at):
        return _apply(upload, version=version, actor=actor)


def _apply(upload: FieldUpload, *, version: int | None, actor) -> dict[str, Any]:
    body = upload.body
    context = {"access": access_for(actor)}
    if upload.kind == UploadKind.HOUSEHOLD_CREATE:
        household = _register(body, actor)
        upload.household = household
        return {
            "household": str(household.pk),
            "code": household.code,
            "version": household.version,
            "members": [str(pk) for pk in household.members.values_list("pk", flat=True)],
        }
    if upload.kind == UploadKind.VISIT:
        return _record_visit(upload, version, actor)
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
        serializer = hs.HouseholdWriteSerializer(
            household, data=body, partial=True, context=context
        )
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


def upload_errors(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, DomainError):
        return {"code": exc.code, "detail": exc.detail, "fields": exc.fields}
    return {"code": "validation_error", "detail": "Invalid upload.", "fields": exc.detail}


def _integrity_refusal() -> DomainError:
    """The answer to an upload whose apply broke a constraint the services do not answer
    themselves (a registry ID or a citizen ID taken at the same moment, they do:
    households.taken.save_checked): a conflict that says nothing of the record that
    holds the value (which may be outside the uploader's area), nor the database's text."""
    return Conflict(
        gettext("The change conflicts with existing data; nothing was written."),
        code="integrity_conflict",
    )


def _apply_or_refuse(upload: FieldUpload, *, version: int | None, actor) -> dict[str, Any]:
    """field_upload_apply in a savepoint of its own, for the upload and for an officer's
    resolution alike: a refusal rolls back all the apply wrote, and a constraint it broke
    that the services do not answer is `_integrity_refusal` (never the database's text)."""
    try:
        with transaction.atomic():
            return field_upload_apply(upload, version=version, actor=actor)
    except IntegrityError as exc:
        raise _integrity_refusal() from exc


def _replay(existing: FieldUpload, digest: str, user) -> tuple[FieldUpload, bool]:
    """An item received before: the stored upload, if it is the same uploader's same body."""
    if existing.body_hash != digest or existing.user_id != user.pk:
        raise Conflict(
            gettext("This client_id was already used for a different upload."),
            fields={"client_id": gettext("Already used with another body.")},
            code="client_id_reused",
        )
    return existing, False


def field_upload_receive(item: dict[str, Any], *, user) -> tuple[FieldUpload, bool]:
    """Store and (when the household has not changed) apply one upload. Returns the upload
    and whether it is new. Replays (same uploader, same body) return the stored upload."""
    access = require(user, Perm.SURVEY_SUBMIT)
    digest = _hash(item)
    existing = FieldUpload.objects.filter(pk=item["client_id"]).first()
    if existing is not None:
        return _replay(existing, digest, user)
    if item["kind"] == UploadKind.HOUSEHOLD_CREATE:
        _check_new_household(item["body"], access)
        household = None
    else:
        household = _household_of(item["kind"], item["body"], access)
    upload = FieldUpload(
        id=item["client_id"],
        kind=item["kind"],
        household=household,
        based_on_version=item.get("based_on_version"),
        body=item["body"],
        body_hash=digest,
        captured_at=item["captured_at"],
        user=user,
    )
    try:
        with transaction.atomic():
            # read under the lock the apply takes (current_version): the household looked up
            # above may have changed since
            current = household and current_version(item["kind"], item["body"], household)
            if household is not None and current != item["based_on_version"]:
                said = (
                    gettext(
                        "The follow-up is at version %(current)s; this upload was based on "
                        "%(based_on)s."
                    )
                    if item["kind"] == UploadKind.VISIT
                    else gettext(
                        "The household is at version %(current)s; this upload was based on "
                        "%(based_on)s."
                    )
                )
                upload.status = UploadStatus.CONFLICT
                upload.result = {
                    "detail": said % {"current": current, "based_on": item["based_on_version"]},
                    "current_version": current,
                }
            else:
                try:
                    upload.result = _apply_or_refuse(upload, version=current, actor=user)
                    upload.status = UploadStatus.APPLIED
                except (DomainError, ValidationError) as exc:
                    upload.household = household  # not one the rolled-back apply created
                    upload.status, upload.result = UploadStatus.REJECTED, upload_errors(exc)
            upload.save(force_insert=True)
    except IntegrityError:
        # The same item arrived twice at the same moment: the other one's upload is stored
        # now, and this one is its replay. Without it, the error was not about this upload's
        # id: raised, never retried (a retry would meet it again).
        existing = FieldUpload.objects.filter(pk=item["client_id"]).first()
        if existing is None:
            raise
        return _replay(existing, digest, user)
    return upload, True


@transaction.atomic
def field_upload_resolve(*, actor, upload: FieldUpload, action: str, note: str) -> FieldUpload:
    """An officer applies a conflicting upload to the current household, or discards it.
    Never the person who uploaded it: a conflict means someone else changed the household
    meanwhile, and that is for another pair of eyes to weigh."""
    access = require(actor, Perm.UPLOAD_RESOLVE)
    upload = (
        FieldUpload.objects.select_for_update(of=("self",))  # the household: current_version
        .select_related("household__commune")
        .get(pk=upload.pk)
    )
    require_household(access, upload.household)
    if upload.user_id == actor.pk:
        raise NotAllowed(
            gettext("You uploaded this; another officer must resolve the conflict."),
            code="own_upload",
        )
    if upload.status != UploadStatus.CONFLICT:
        raise Conflict(
            gettext("The upload is %(status)s, not a conflict.") % {"status": upload.status},
            code="not_conflict",
        )
    if action == "apply":
        # applied to the household as it is under the lock, not as read with the upload
        current = current_version(upload.kind, upload.body, upload.household)
        upload.result = _apply_or_refuse(upload, version=current, actor=actor)
        upload.status = UploadStatus.RESOLVED_APPLIED
    else:
        upload.status = UploadStatus.RESOLVED_DISCARDED
    upload.resolved_by, upload.resolved_at = actor, timezone.now()
    upload.resolution_note = note
    upload.save()
    return upload
