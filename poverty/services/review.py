"""The review workflow of an assessment: village meeting, public posting, complaints, the
commune's approval or rejection.

Which step may follow which state is poverty.workflow.STEPS; "today" is always the server's
(timezone.localdate(), Asia/Ho_Chi_Minh), never a date the client sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Perm, user_of
from core.errors import Conflict, InvalidInput
from core.locking import UNVERSIONED, lock_for_change

from .. import workflow
from ..choices import Classification
from ..models import Assessment, AssessmentStep, Complaint, ComplaintStatus, WorkflowState
from .status import _apply_official_status


def _locked(assessment: Assessment, expected_version: int | None, actor, perm: Perm) -> Assessment:
    """The assessment, locked, once the actor's role and area allow `perm` on it."""
    return lock_for_change(
        Assessment.objects.select_related("household__commune"),
        assessment.pk,
        actor=actor,
        perm=perm,
        expected_version=expected_version,
        of=("self", "household"),
    )


def _require_step(a: Assessment, step: str, today: date) -> None:
    """409 unless the workflow accepts `step` now, naming the steps it accepts."""
    review = workflow.Review(
        state=a.state,
        today=today,
        posted_to=a.posted_to,
        open_complaints=a.state == WorkflowState.POSTED
        and a.complaints.filter(status=ComplaintStatus.OPEN).exists(),
        undetermined=a.classification == Classification.UNDETERMINED,
    )
    refusal = workflow.refusal(step, review)
    if refusal is not None:
        allowed = workflow.allowed(review)
        raise Conflict(
            gettext("%(reason)s Allowed now: %(value)s.")
            % {
                "reason": refusal.text.render(gettext),
                "value": ", ".join(allowed) or gettext("none (the review is over)"),
            },
            code=refusal.code,
            fields={"state": gettext("Is %(state)s.") % {"state": a.state}},
            extra={"allowed": allowed},
        )


def _require_past(today: date, **dates: date) -> None:
    """400 naming each date that lies after `today`: what has happened is not in the future."""
    future = {
        name: gettext("Cannot be in the future.") for name, day in dates.items() if day > today
    }
    if future:
        raise InvalidInput(
            gettext("%(join)s: cannot be after today (%(today)s).")
            % {"join": ", ".join(future), "today": today},
            fields=future,
        )


def _step(
    assessment: Assessment,
    *,
    action: str,
    to_state: str,
    actor,
    notes: str = "",
    attachments: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
) -> Assessment:
    """Record a step (checked by `_require_step` first) and move to `to_state`."""
    AssessmentStep.objects.create(
        assessment=assessment,
        action=action,
        from_state=assessment.state,
        to_state=to_state,
        actor=user_of(actor),
        notes=notes,
        attachments=list(attachments),
        data={k: str(v) if isinstance(v, date) else v for k, v in (data or {}).items()},
    )
    assessment.state = to_state
    assessment.version += 1
    assessment._change_reason = action
    assessment.save()
    return assessment


@transaction.atomic
def assessment_record_meeting(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    meeting_date: date,
    attendees: int,
    agreeing: int,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The village meeting: agreed by at least half of attendees, or sent back to survey."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.VILLAGE_MEETING, today)
    if attendees < 1 or not 0 <= agreeing <= attendees:
        raise InvalidInput(
            gettext("Agreeing votes must be between 0 and the number of attendees."),
            fields={"agreeing": gettext("0 to %(attendees)s.") % {"attendees": attendees}},
        )
    _require_past(today, meeting_date=meeting_date)
    if meeting_date < a.survey.survey_date:
        raise InvalidInput(
            gettext("The meeting cannot be before the survey."),
            fields={"meeting_date": gettext("Before the survey date.")},
        )
    a.meeting_date, a.meeting_attendees, a.meeting_agreeing = meeting_date, attendees, agreeing
    agreed = agreeing * 2 >= attendees  # at least 50% of attendees
    return _step(
        a,
        action="village_meeting",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.VILLAGE_AGREED if agreed else WorkflowState.RETURNED,
        data={
            "meeting_date": meeting_date,
            "attendees": attendees,
            "agreeing": agreeing,
            "share": round(agreeing / attendees, 4),
        },
    )


@transaction.atomic
def assessment_post(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    posted_from: date,
    posted_to: date,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The public posting of the result (complaints are lodged while it is posted). It has
    begun (`posted_from` is not in the future); its end is announced with it, so `posted_to`
    may be. It lasts at least POVERTY_POSTING_MIN_WORKING_DAYS working days."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.POST, today)
    _require_past(today, posted_from=posted_from)
    if a.meeting_date and posted_from < a.meeting_date:
        raise InvalidInput(
            gettext("Posting starts after the village meeting."),
            fields={"posted_from": gettext("Before the meeting.")},
        )
    problem = workflow.posting_problem(
        posted_from,
        posted_to,
        minimum=settings.POVERTY_POSTING_MIN_WORKING_DAYS,
        holidays=settings.POVERTY_PUBLIC_HOLIDAYS,
    )
    if problem:
        text = problem.render(gettext)
        raise InvalidInput(text, fields={"posted_to": text})
    a.posted_from, a.posted_to = posted_from, posted_to
    return _step(
        a,
        action="post",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.POSTED,
        data={"posted_from": posted_from, "posted_to": posted_to},
    )


@transaction.atomic
def complaint_lodge(
    *, assessment: Assessment, lodged_by: str, lodged_on: date, text: str, actor
) -> Complaint:
    """A complaint about a result while it is publicly posted."""
    a = _locked(assessment, UNVERSIONED, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.COMPLAINTS, today)
    _require_past(today, lodged_on=lodged_on)
    complaint = Complaint.objects.create(
        assessment=a, lodged_by=lodged_by, lodged_on=lodged_on, text=text
    )
    AssessmentStep.objects.create(
        assessment=a,
        action="complaint",
        from_state=a.state,
        to_state=a.state,
        actor=user_of(actor),
        data={"complaint": str(complaint.pk)},  # who and what: on the complaint (personal)
    )
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, upheld: bool, resolution: str, actor) -> Complaint:
    """Re-checked by the commune: an upheld complaint sends the assessment back to survey.
    The time of the resolution is the server's (`resolved_at`), never sent by the client."""
    a = _locked(complaint.assessment, UNVERSIONED, actor, Perm.ASSESSMENT_REVIEW)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != ComplaintStatus.OPEN:
        raise Conflict(
            gettext("The complaint is already %(status)s.") % {"status": complaint.status},
            code="not_open",
        )
    if upheld:
        _require_step(a, workflow.COMPLAINTS, timezone.localdate())
    complaint.status = ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED
    complaint.resolution, complaint.resolved_by = resolution, user_of(actor)
    complaint.resolved_at = timezone.now()
    complaint.save()
    if upheld:
        _step(
            a,
            action="complaint_upheld",
            actor=actor,
            notes=resolution,
            to_state=WorkflowState.RETURNED,
            data={"complaint": str(complaint.pk)},
        )
    else:
        AssessmentStep.objects.create(
            assessment=a,
            action="complaint_dismissed",
            from_state=a.state,
            to_state=a.state,
            actor=user_of(actor),
            notes=resolution,
            data={"complaint": str(complaint.pk)},
        )
    return complaint


@transaction.atomic
def assessment_approve(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    decision_number: str,
    decision_date: date,
    certificate_number: str = "",
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The commune's decision, once the posting period is over by the server's clock and
    every complaint is handled; dated after the posting, not in the future. Only now does
    the household's official status change."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_APPROVE)
    today = timezone.localdate()
    _require_step(a, workflow.APPROVE, today)
    _require_past(today, decision_date=decision_date)
    if decision_date <= a.posted_to:
        raise InvalidInput(
            gettext("The result was posted until %(posted_to)s; the decision is dated after it.")
            % {"posted_to": a.posted_to},
            fields={
                "decision_date": gettext("Not after the posting period (until %(posted_to)s).")
                % {"posted_to": a.posted_to}
            },
        )
    a.decision_number, a.decision_date = decision_number, decision_date
    a.certificate_number = certificate_number
    _step(
        a,
        action="approve",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.APPROVED,
        data={
            "decision_number": decision_number,
            "decision_date": decision_date,
            "certificate_number": certificate_number,
        },
    )
    _apply_official_status(a)
    return a


@transaction.atomic
def assessment_reject(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    reason: str,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_APPROVE)
    _require_step(a, workflow.REJECT, timezone.localdate())
    a.rejection_reason = reason
    return _step(
        a,
        action="reject",
        actor=actor,
        notes="\n".join(filter(None, [reason, notes])),
        attachments=attachments,
        to_state=WorkflowState.REJECTED,
    )
