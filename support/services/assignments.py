"""Assignments through their states — proposed → approved (commits budget) → delivered →
completed, or rejected / cancelled — and the disbursements that deliver them. Every step
locks the assignment, checks the actor's role and area and the version the step was based
on, and records itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from core import jobs
from core.access import Perm, require, require_area, require_household, user_of
from core.errors import Conflict, InvalidInput, NotAllowed
from core.languages import in_language
from core.locking import lock_for_change, require_state
from core.models import Job
from geo.models import Commune
from households.choices import HouseholdStatus
from households.models import Household

from .. import rules
from ..choices import AssignmentState, LedgerKind
from ..models import Assignment, AssignmentStep, BudgetAllocation, Disbursement, SupportPackage
from ..selectors import (
    coverage_gap,
    holds_package,
    household_profile,
    package_terms,
    packages_with_terms,
    received_in_period,
)
from . import ledger

# ---------------------------------------------------------------------------- steps

S = AssignmentState


class Step(NamedTuple):
    perm: Perm  # who may take the step (in the assignment's area)
    allowed_from: tuple[str, ...]  # the states it may be taken from


# The assignment's state machine after the proposal; the step names are also the actions
# recorded in its history.
STEPS: dict[str, Step] = {
    "approve": Step(Perm.ASSIGNMENT_APPROVE, (S.PROPOSED,)),
    "reject": Step(Perm.ASSIGNMENT_APPROVE, (S.PROPOSED,)),
    "cancel": Step(Perm.ASSIGNMENT_APPROVE, (S.PROPOSED, S.APPROVED, S.DELIVERED)),
    "deliver": Step(Perm.ASSIGNMENT_PROPOSE, (S.APPROVED, S.DELIVERED)),
    "complete": Step(Perm.ASSIGNMENT_PROPOSE, (S.DELIVERED,)),
}


# The steps as a message names them ("Cannot approve an assignment that is cancelled").
_ACTIONS = {
    "approve": gettext_lazy("approve"),
    "reject": gettext_lazy("reject"),
    "cancel": gettext_lazy("cancel"),
    "deliver": gettext_lazy("deliver"),
    "complete": gettext_lazy("complete"),
}


def _step(assignment: Assignment, action: str, to_state: str, actor, notes: str = "") -> None:
    AssignmentStep.objects.create(
        assignment=assignment,
        action=action,
        from_state=assignment.state if action != "propose" else "",
        to_state=to_state,
        actor=user_of(actor),
        notes=notes,
    )
    assignment.state = to_state


def _begin(
    assignment: Assignment, action: str, *, expected_version: int | None, actor
) -> Assignment:
    """The assignment, locked, once the actor's role and area allow the step on it, the
    version it was based on is current (428/409) and its state allows the step (409)."""
    step = STEPS[action]
    locked = lock_for_change(
        Assignment.objects.select_related("package", "household__commune"),
        assignment.pk,
        actor=actor,
        perm=step.perm,
        expected_version=expected_version,
        of=("self", "household"),  # not the package: its other assignments go on
    )
    require_state(locked, _ACTIONS[action], gettext("an assignment"), step.allowed_from)
    return locked


def _end(assignment: Assignment, action: str, to_state: str, actor, notes: str) -> Assignment:
    """Record the step, move to its state and save the next version."""
    _step(assignment, action, to_state, actor, notes)
    assignment.version += 1
    assignment._change_reason = action
    assignment.save()
    return assignment


# ---------------------------------------------------------------------------- proposal


def assignment_propose(
    *, household: Household, package: SupportPackage, period: int, actor, notes: str = ""
) -> Assignment:
    """Propose a package for a household. Refused when the household does not qualify (400
    `not_eligible`, with the reasons in English and Vietnamese) or already has as many as the
    package allows in the period (a repeated request too)."""
    assignment, _ = _propose(
        household=household, package=package, period=period, actor=actor, notes=notes
    )
    return assignment


@transaction.atomic
def _propose(
    *, household: Household, package: SupportPackage, period: int, actor, notes: str = ""
) -> tuple[Assignment, rules.Match]:
    """The proposal, and the match that allowed it."""
    access = require(actor, Perm.ASSIGNMENT_PROPOSE)
    household = (
        Household.objects.select_for_update(of=("self",))
        .select_related("commune")
        .get(pk=household.pk)
    )  # one proposer per household at a time
    require_household(access, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(
            gettext("Household %(code)s is %(status)s.")
            % {"code": household.code, "status": household.status},
            code="not_active",
        )
    package = packages_with_terms().get(pk=package.pk)
    received = received_in_period(household, period).get(package.pk, 0)
    if received >= package.limit_per_period:
        raise Conflict(
            ngettext(
                "Household %(code)s already has %(received)s assignment of %(package)s in "
                "%(period)s (limit %(limit)s).",
                "Household %(code)s already has %(received)s assignments of %(package)s in "
                "%(period)s (limit %(limit)s).",
                received,
            )
            % {
                "code": household.code,
                "received": received,
                "package": package.code,
                "period": period,
                "limit": package.limit_per_period,
            },
            code="duplicate_assignment",
            fields={"package": gettext("Already assigned in the period.")},
        )
    on = timezone.localdate()
    result = rules.match(
        household_profile(household, on=on, received=received), package_terms(package, on)
    )
    if not result.eligible:
        reasons = [in_language(r.vi, r.en) for r in result.reasons]
        raise InvalidInput(
            gettext("Household %(code)s does not qualify for %(package)s: %(reasons)s")
            % {"code": household.code, "package": package.code, "reasons": "; ".join(reasons)},
            fields={"household": reasons},
            code="not_eligible",
            extra={"reasons_en": result.reasons_en, "reasons_vi": result.reasons_vi},
        )
    if not result.split:
        raise InvalidInput(
            gettext("Package %(code)s has no funding split.") % {"code": package.code},
            fields={"package": gettext("No funding split.")},
        )
    assignment = Assignment(
        household=household,
        package=package,
        period=period,
        base_amount=result.base_amount,
        multiplier=result.multiplier,
        amount=result.amount,
        explanation=result.explanation.en,
        explanation_vi=result.explanation.vi,
        split=[{"source": s, "amount": a} for s, a in result.split],
        state=AssignmentState.PROPOSED,
    )
    assignment.save()
    _step(assignment, "propose", AssignmentState.PROPOSED, actor, notes)
    return assignment, result


# ---------------------------------------------------------------------------- bulk proposals

# A bulk proposal profiles and proposes each qualifying household of a commune (about 17
# queries each: a commune's hundreds take seconds), so it runs as a background job
# (support.jobs.run_bulk_propose), in chunks committed with their results.
BULK_PROPOSE = "bulk_propose"


def bulk_propose_enqueue(*, actor, package: SupportPackage, commune: Commune, period: int) -> Job:
    """Queue a bulk proposal of the package to the commune's qualifying households. The
    actor's right and area are checked now (a commune outside the area is refused here, not
    when the job runs) and again when it runs; messages in the actor's language."""
    access = require(actor, Perm.ASSIGNMENT_PROPOSE)
    require_area(access, commune)
    params = {
        "package": str(package.pk),
        "commune": commune.code,
        "period": period,
    }
    return jobs.enqueue(BULK_PROPOSE, params, user=user_of(actor))


def _bulk_row(household: Household, outcome: str, detail: str, **more: Any) -> dict[str, Any]:
    return {
        "household": str(household.pk),
        "household_code": household.code,
        "outcome": outcome,
        "assignment": None,
        "detail": str(detail),
        "reasons_en": [],
        "reasons_vi": [],
        "explanation_en": None,
        "explanation_vi": None,
        **more,
    }


def bulk_already(
    *, actor, package: SupportPackage, commune: Commune, period: int
) -> list[dict[str, Any]]:
    """The result rows (skipped) of the commune's households in the actor's area that hold
    the package in the period already: read before the job proposes anything, so that its
    own proposals are not counted twice."""
    access = require(actor, Perm.ASSIGNMENT_PROPOSE)
    require_area(access, commune)
    holders = (
        Household.objects.filter(
            access.area_q("commune", "village"),
            commune=commune,
            **holds_package(package, period, prefix="assignments__"),
        )
        .distinct()
        .order_by("code")
    )
    return [_bulk_row(h, "skipped", gettext("Already assigned in the period.")) for h in holders]


def bulk_candidates(
    *, actor, package: SupportPackage, commune: Commune, period: int
) -> list[Household]:
    """The commune's households in the actor's area that qualify for the package and hold
    none in the period (the coverage gap, however many), by code."""
    access = require(actor, Perm.ASSIGNMENT_PROPOSE)
    require_area(access, commune)
    area = access.area_q("commune", "village")
    return coverage_gap(
        package=package, period=period, area=area, commune=commune.code, unlimited=True
    )


def bulk_propose_one(
    *, actor, household: Household, package: SupportPackage, period: int
) -> dict[str, Any]:
    """Propose the package to one household of a bulk proposal; its result row: proposed
    (with why it qualifies and how the amount is reached), skipped (already assigned in the
    period) or rejected with the reason, in English and Vietnamese."""
    try:
        a, match = _propose(household=household, package=package, period=period, actor=actor)
    except (Conflict, InvalidInput) as exc:
        outcome = "skipped" if exc.code == "duplicate_assignment" else "rejected"
        reasons = {k: exc.extra.get(k, []) for k in ("reasons_en", "reasons_vi")}
        return _bulk_row(household, outcome, exc.detail, **reasons)
    return _bulk_row(
        household,
        "proposed",
        in_language(match.explanation.vi, match.explanation.en),
        assignment=str(a.pk),
        reasons_en=match.reasons_en,
        reasons_vi=match.reasons_vi,
        explanation_en=match.explanation.en,
        explanation_vi=match.explanation.vi,
    )


# ---------------------------------------------------------------------------- decisions


@transaction.atomic
def assignment_approve(
    *, assignment: Assignment, expected_version: int | None, actor, notes: str = ""
) -> Assignment:
    """Approve and commit the amount against the budget, split by source. Allocation rows
    are locked in primary-key order; if any source cannot cover its part nothing is
    committed and the answer is 409. Whoever proposed it cannot approve it (four eyes)."""
    a = _begin(assignment, "approve", expected_version=expected_version, actor=actor)
    proposer = a.steps.filter(action="propose").values_list("actor_id", flat=True).first()
    if proposer is not None and proposer == getattr(actor, "pk", None):
        raise NotAllowed(
            gettext("You proposed this assignment; another person with the right must approve it."),
            code="proposer_cannot_approve",
        )
    parts: list[tuple[BudgetAllocation, int]] = []
    for part in a.split:
        allocation = ledger.allocation_for(a, part["source"])
        if allocation is None:
            raise Conflict(
                (
                    gettext(
                        "No %(source)s budget for %(code)s in %(period)s covers commune "
                        "%(commune_id)s."
                    )
                    % {
                        "source": part["source"],
                        "code": a.package.sub_project.code,
                        "period": a.period,
                        "commune_id": a.household.commune_id,
                    }
                ),
                code="no_allocation",
            )
        parts.append((allocation, part["amount"]))
    locked = {x.pk: x for x in ledger.lock_allocations(p.pk for p, _ in parts)}
    for allocation, amount in parts:
        current = locked[allocation.pk]
        if current.amount - current.committed < amount:
            raise Conflict(
                (
                    gettext(
                        "Budget %(current)s has %(value)s VND available; this assignment needs "
                        "%(amount)s VND from it. Nothing was committed."
                    )
                    % {
                        "current": current,
                        "value": f"{current.amount - current.committed:,}",
                        "amount": f"{amount:,}",
                    }
                ),
                code="insufficient_budget",
                fields={
                    "budget": gettext("%(pk)s: %(value)s available")
                    % {"pk": current.pk, "value": current.amount - current.committed}
                },
            )
    for allocation, amount in parts:
        ledger.post(
            allocation=allocation, assignment=a, kind=LedgerKind.COMMIT, amount=amount, actor=actor
        )
    return _end(a, "approve", S.APPROVED, actor, notes)


@transaction.atomic
def assignment_reject(
    *, assignment: Assignment, expected_version: int | None, actor, reason: str
) -> Assignment:
    a = _begin(assignment, "reject", expected_version=expected_version, actor=actor)
    a.reason = reason
    return _end(a, "reject", S.REJECTED, actor, reason)


@transaction.atomic
def assignment_cancel(
    *, assignment: Assignment, expected_version: int | None, actor, reason: str
) -> Assignment:
    """Cancel; any committed amount not yet disbursed is released to the budget."""
    a = _begin(assignment, "cancel", expected_version=expected_version, actor=actor)
    a.reason = reason
    released = ledger.release(a, actor)
    notes = f"{reason} ({released:,} VND released)" if released else reason
    return _end(a, "cancel", S.CANCELLED, actor, notes)


# ---------------------------------------------------------------------------- delivery


@transaction.atomic
def disbursement_record(
    *,
    assignment: Assignment,
    expected_version: int | None,
    actor,
    on: date,
    amount: int,
    evidence_reference: str,
) -> Disbursement:
    """Record money or goods delivered; the assignment completes when fully delivered."""
    a = _begin(assignment, "deliver", expected_version=expected_version, actor=actor)
    remaining = a.amount - a.disbursed
    if amount > remaining:
        raise InvalidInput(
            gettext("Only %(remaining)s VND of this assignment is left to disburse.")
            % {"remaining": f"{remaining:,}"},
            fields={"amount": gettext("At most %(remaining)s.") % {"remaining": remaining}},
        )
    if on > timezone.localdate():
        raise InvalidInput(
            gettext("A disbursement cannot be dated in the future."),
            fields={"date": gettext("In the future.")},
        )
    outstanding = ledger.outstanding(a)
    locked = ledger.lock_allocations(outstanding)
    shares = rules.split_amount(amount, [(str(x.pk), Decimal(outstanding[x.pk])) for x in locked])
    for allocation, (_, part) in zip(locked, shares, strict=True):
        if part:
            ledger.post(
                allocation=allocation,
                assignment=a,
                kind=LedgerKind.DISBURSE,
                amount=part,
                actor=actor,
            )
    disbursement = Disbursement.objects.create(
        assignment=a,
        date=on,
        amount=amount,
        evidence_reference=evidence_reference,
        created_by=user_of(actor),
    )
    a.disbursed += amount
    done = a.disbursed == a.amount
    _end(
        a,
        "deliver",
        S.COMPLETED if done else S.DELIVERED,
        actor,
        f"{amount:,} VND on {on} ({evidence_reference})",
    )
    return disbursement


@transaction.atomic
def assignment_complete(
    *, assignment: Assignment, expected_version: int | None, actor, notes: str = ""
) -> Assignment:
    """Close a partly delivered assignment; what was not disbursed returns to the budget."""
    a = _begin(assignment, "complete", expected_version=expected_version, actor=actor)
    released = ledger.release(a, actor)
    notes = notes or f"{released:,} VND not disbursed released"
    return _end(a, "complete", S.COMPLETED, actor, notes)
