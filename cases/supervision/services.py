"""Supervision's writes: the scan that records what the rules find, its job (run by the
worker every SUPERVISION_SCAN_HOURS and on demand), and the resolution of a finding."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from simple_history.utils import bulk_create_with_history

from cases.models import Finding
from core import jobs
from core.access import SYSTEM, Access, Perm, access_for, require, require_area, user_of
from core.errors import Conflict, InvalidInput, NotAllowed, check_version
from core.models import Job

from .choices import RESOLVED, FindingStatus
from .rules import RULES, Found

JOB_KIND = "supervision_scan"


def _values(found: Found) -> dict[str, Any]:
    return {
        "rule": found.rule,
        "commune_id": found.commune_id,
        "period": found.period,
        "household_id": found.household_id,
        "assignment_id": found.assignment_id,
        "disbursement_id": found.disbursement_id,
        "cadre_id": found.cadre_id,
        "reason_en": found.reason_en,
        "reason_vi": found.reason_vi,
        "figures": found.figures,
        "evidence": found.evidence,
    }


@transaction.atomic
def scan(*, actor=SYSTEM, rules: list[str] | None = None) -> dict[str, Any]:
    """Run the rules (all, or those named) over the whole register and record what they
    find: a new key becomes an open finding; a known one has `last_seen` (and, while open,
    its reason and figures) refreshed; a finding resolved as corrected that is found again
    is opened again. Nothing is removed. Returns the keys found, new and reopened."""
    require(actor, Perm.FINDINGS_RESOLVE)
    now = timezone.now()
    found: dict[str, Found] = {}
    for name, rule in RULES.items():
        if rules is None or name in rules:
            for item in rule():
                found[item.key] = item
    existing = {f.key: f for f in Finding.objects.filter(key__in=list(found))}
    new = [
        Finding(key=key, first_seen=now, last_seen=now, **_values(item))
        for key, item in found.items()
        if key not in existing
    ]
    bulk_create_with_history(new, Finding, batch_size=500, default_user=user_of(actor))
    Finding.objects.filter(key__in=list(existing)).update(last_seen=now)
    reopened, refreshed = [], []
    for key, finding in existing.items():
        values = _values(found[key])
        if finding.status == FindingStatus.CORRECTED:
            finding.status = FindingStatus.OPEN
            finding.resolution_note = ""
            finding.resolved_by, finding.resolved_at = None, None
            finding._change_reason = "found again after it was corrected"
            reopened.append(key)
        elif finding.status != FindingStatus.OPEN or all(
            getattr(finding, k) == v for k, v in values.items()
        ):
            continue
        else:
            refreshed.append(key)
            finding._change_reason = "figures changed"
        for name, value in values.items():
            setattr(finding, name, value)
        finding.last_seen = now
        finding.version += 1
        finding.save()
    return {"found": list(found), "new": [f.key for f in new], "reopened": reopened}


def scan_report(result: dict[str, Any], access: Access) -> dict[str, Any]:
    """A scan's counts as a job report, counting only findings inside `access`'s area (a
    report tells no one about what they could not read)."""
    visible = Finding.objects.filter(access.area_q("commune", None))
    counts = {}
    for name in ("found", "new", "reopened"):
        counts[name] = visible.filter(key__in=result[name]).count() if result[name] else 0
    counts["open"] = visible.filter(status=FindingStatus.OPEN).count()
    return counts


def run_scan_job(job: Job) -> None:
    """The `supervision_scan` job: a scan as the user who asked for it (SYSTEM when the
    worker started it), its counts for that user's area as the report."""
    actor = job.created_by or SYSTEM
    result = scan(actor=actor)
    report = scan_report(result, access_for(actor))
    jobs.progress(job, total=1, done=1, counts=report, report={"findings": "/api/v1/findings/"})


def scan_request(*, actor) -> Job:
    """Queue a scan on demand (202 with the job)."""
    require(actor, Perm.FINDINGS_RESOLVE)
    return jobs.enqueue(JOB_KIND, {}, user=user_of(actor))


@transaction.atomic
def finding_resolve(
    *, finding: Finding, expected_version: int | None, actor, status: str, note: str
) -> Finding:
    """Resolve a finding: confirmed (a real misuse, being acted on), corrected (put right) or
    dismissed (not a misuse), with a note saying why. Refused for a finding outside the
    actor's area, a stale version, and for the cadre the finding is about (four eyes)."""
    access = require(actor, Perm.FINDINGS_RESOLVE)
    finding = (
        Finding.objects.select_for_update(of=("self",)).select_related("commune").get(pk=finding.pk)
    )
    require_area(access, finding.commune)
    check_version(finding.version, expected_version)
    if status not in RESOLVED:
        raise InvalidInput(
            gettext("Status %(status)s is not a resolution.") % {"status": f"{status!r}"},
            fields={"status": gettext("One of: %(join)s.") % {"join": ", ".join(RESOLVED)}},
        )
    if not (note or "").strip():
        raise InvalidInput(
            gettext("A resolution needs a note."), fields={"note": gettext("Required.")}
        )
    if finding.cadre_id is not None and finding.cadre_id == getattr(actor, "pk", None):
        raise NotAllowed(
            gettext("A finding about you is resolved by someone else."), code="own_finding"
        )
    if finding.status != FindingStatus.OPEN and finding.status == status:
        raise Conflict(
            gettext("The finding is already %(status)s.") % {"status": status},
            code="illegal_transition",
        )
    finding.status = status
    finding.resolution_note = note.strip()
    finding.resolved_by = user_of(actor)
    finding.resolved_at = timezone.now()
    finding.version += 1
    finding._change_reason = f"resolved: {status}"
    finding.save()
    return finding
