"""Support use cases: eligibility, assignments through their states, and the commitment
ledger. Money moves only here, inside transactions that lock budget rows in one order.

Every write takes the acting user (`actor`; `core.access.SYSTEM` for commands) and checks
their role and area itself, whichever door it came in by (API, admin, command)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from core.access import (
    Access,
    Perm,
    require,
    require_area,
    require_household,
    require_province,
    user_of,
)
from core.errors import Conflict, InvalidInput, NotAllowed, check_version
from geo.models import Commune
from households.choices import HouseholdStatus, MemberStatus, Relationship
from households.models import Household
from poverty.models import OfficialStatus
from poverty.services import age_on

from . import rules
from .choices import ACTIVE_STATES, AssignmentState, LedgerKind, ProgramLevel
from .models import (
    Assignment,
    AssignmentStep,
    BudgetAllocation,
    Disbursement,
    LedgerEntry,
    LivelihoodModel,
    PackageEligibility,
    Participation,
    Program,
    SupportPackage,
    Target,
)

# ---------------------------------------------------------------------------- eligibility


def package_terms(package: SupportPackage, on: date) -> rules.PackageTerms:
    eligible: dict[str, set[str]] = defaultdict(set)
    for row in package.eligibility.all():
        eligible[row.standard_code].add(row.classification)
    rate = next(
        (
            r
            for r in package.rates.all()
            if r.valid_from <= on and (r.valid_to is None or r.valid_to >= on)
        ),
        None,
    )
    return rules.PackageTerms(
        code=package.code,
        eligible={k: frozenset(v) for k, v in eligible.items()},
        base_amount=rate.base_amount if rate else None,
        criteria=package.criteria or {},
        multipliers=package.multipliers or [],
        default_multiplier=package.default_multiplier,
        limit_per_period=package.limit_per_period,
        funding=[(f.source, f.share_percent) for f in package.funding.all()],
    )


def packages_with_terms():
    return (
        SupportPackage.objects.filter(active=True)
        .prefetch_related("eligibility", "rates", "funding")
        .order_by("code")
    )


def household_profile(
    household: Household, *, on: date, received: int = 0
) -> rules.HouseholdProfile:
    """What support rules need to know of a household, from its official statuses (and the
    assessments that decided them) and its present members."""
    statuses = OfficialStatus.objects.filter(
        household=household, valid_to__isnull=True
    ).select_related("standard", "assessment")
    classifications, deprived = {}, set()
    for status in statuses:
        classifications[status.standard.code] = status.classification
        deprived |= {i["code"] for i in status.assessment.indicators if i["deprived"]}
    members = list(
        household.members.filter(status=MemberStatus.PRESENT).values_list(
            "date_of_birth", "relationship", "ethnicity_id"
        )
    )
    head_minority = any(rel == Relationship.HEAD and eth != "01" for _, rel, eth in members)
    return rules.HouseholdProfile(
        classifications=classifications,
        ethnic_minority=head_minority,
        commune_code=household.commune_id,
        commune_kind=household.commune.kind,
        member_ages=tuple(age_on(dob, on) for dob, _, _ in members),
        deprived=frozenset(deprived),
        received_in_period=received,
    )


def _received(household: Household, period: int) -> dict[Any, int]:
    rows = (
        Assignment.objects.filter(household=household, period=period, state__in=ACTIVE_STATES)
        .values("package_id")
        .annotate(n=Count("id"))
    )
    return {r["package_id"]: r["n"] for r in rows}


def eligible_packages(
    *, household: Household, period: int, on: date | None = None
) -> list[tuple[SupportPackage, rules.Match]]:
    """Every active package with whether the household qualifies, why, and the amount."""
    on = on or timezone.localdate()
    received = _received(household, period)
    base = household_profile(household, on=on)
    result = []
    for package in packages_with_terms():
        profile = rules.HouseholdProfile(
            **{**base.__dict__, "received_in_period": received.get(package.pk, 0)}
        )
        result.append((package, rules.match(profile, package_terms(package, on))))
    return result


def coverage_gap(
    *,
    package: SupportPackage,
    period: int,
    area: Q,
    commune: str | None = None,
    on: date | None = None,
) -> list[Household]:
    """Households that qualify for the package but have no active assignment of it in the
    period (the coverage gap). Candidates come from official statuses in one query."""
    on = on or timezone.localdate()
    wanted = Q()
    for row in PackageEligibility.objects.filter(package=package):
        wanted |= Q(standard__code=row.standard_code, classification=row.classification)
    if not wanted:
        return []
    statuses = OfficialStatus.objects.filter(wanted, valid_to__isnull=True)
    candidates = (
        Household.objects.filter(
            area, status=HouseholdStatus.ACTIVE, pk__in=statuses.values("household_id")
        )
        .exclude(
            assignments__package=package,
            assignments__period=period,
            assignments__state__in=ACTIVE_STATES,
        )
        .select_related("commune")
        .order_by("code")
    )
    if commune:
        candidates = candidates.filter(commune_id=commune)
    terms = package_terms(packages_with_terms().get(pk=package.pk), on)
    return [h for h in candidates if rules.match(household_profile(h, on=on), terms).eligible]


# ---------------------------------------------------------------------------- assignments


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


def _locked(assignment: Assignment, expected_version: int | None, actor, perm: Perm) -> Assignment:
    """The assignment, locked, once the actor's role and area allow `perm` on it."""
    access = require(actor, perm)
    locked = (
        Assignment.objects.select_for_update()
        .select_related("package", "household__commune")
        .get(pk=assignment.pk)
    )
    require_household(access, locked.household)
    check_version(locked.version, expected_version)
    return locked


def _require(assignment: Assignment, action: str, *states: str) -> None:
    if assignment.state not in states:
        raise Conflict(
            f"Cannot {action} an assignment that is {assignment.state}; allowed "
            f"from: {', '.join(states)}.",
            code="illegal_transition",
            fields={"state": f"Is {assignment.state}."},
        )


def _save(assignment: Assignment, reason: str) -> Assignment:
    assignment.version += 1
    assignment._change_reason = reason
    assignment.save()
    return assignment


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
        Household.objects.select_for_update().select_related("commune").get(pk=household.pk)
    )  # one proposer per household at a time
    require_household(access, household)
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(f"Household {household.code} is {household.status}.", code="not_active")
    package = packages_with_terms().get(pk=package.pk)
    received = _received(household, period).get(package.pk, 0)
    if received >= package.limit_per_period:
        raise Conflict(
            f"Household {household.code} already has {received} assignment(s) of "
            f"{package.code} in {period} (limit {package.limit_per_period}).",
            code="duplicate_assignment",
            fields={"package": "Already assigned in the period."},
        )
    on = timezone.localdate()
    result = rules.match(
        household_profile(household, on=on, received=received), package_terms(package, on)
    )
    if not result.eligible:
        raise InvalidInput(
            f"Household {household.code} does not qualify for {package.code}: "
            + "; ".join(result.reasons_en),
            fields={"household": result.reasons_en},
            code="not_eligible",
            extra={"reasons_en": result.reasons_en, "reasons_vi": result.reasons_vi},
        )
    if not result.split:
        raise InvalidInput(
            f"Package {package.code} has no funding split.", fields={"package": "No funding split."}
        )
    assignment = Assignment(
        household=household,
        package=package,
        period=period,
        base_amount=result.base_amount,
        multiplier=result.multiplier,
        amount=result.amount,
        explanation=result.explanation.en,
        split=[{"source": s, "amount": a} for s, a in result.split],
        state=AssignmentState.PROPOSED,
    )
    assignment.save()
    _step(assignment, "propose", AssignmentState.PROPOSED, actor, notes)
    return assignment, result


def _allocation_for(assignment: Assignment, source: str) -> BudgetAllocation | None:
    """The commune's own allocation for the source and year if there is one, else the
    province-wide one."""
    candidates = BudgetAllocation.objects.filter(
        sub_project_id=assignment.package.sub_project_id,
        source=source,
        year=assignment.period,
        province_id=assignment.household.commune.province_id,
    ).filter(Q(commune_id=assignment.household.commune_id) | Q(commune__isnull=True))
    return min(candidates, key=lambda a: a.commune_id is None, default=None)


@transaction.atomic
def assignment_approve(
    *, assignment: Assignment, expected_version: int | None, actor, notes: str = ""
) -> Assignment:
    """Approve and commit the amount against the budget, split by source. Allocation rows
    are locked in primary-key order; if any source cannot cover its part nothing is
    committed and the answer is 409. Whoever proposed it cannot approve it (four eyes)."""
    a = _locked(assignment, expected_version, actor, Perm.ASSIGNMENT_APPROVE)
    _require(a, "approve", AssignmentState.PROPOSED)
    proposer = a.steps.filter(action="propose").values_list("actor_id", flat=True).first()
    if proposer is not None and proposer == getattr(actor, "pk", None):
        raise NotAllowed(
            "You proposed this assignment; another person with the right must approve it.",
            code="proposer_cannot_approve",
        )
    parts: list[tuple[BudgetAllocation, int]] = []
    for part in a.split:
        allocation = _allocation_for(a, part["source"])
        if allocation is None:
            raise Conflict(
                f"No {part['source']} budget for {a.package.sub_project.code} in "
                f"{a.period} covers commune {a.household.commune_id}.",
                code="no_allocation",
            )
        parts.append((allocation, part["amount"]))
    locked = {
        x.pk: x
        for x in BudgetAllocation.objects.select_for_update()
        .filter(pk__in=[p.pk for p, _ in parts])
        .order_by("pk")
    }
    for allocation, amount in parts:
        current = locked[allocation.pk]
        if current.amount - current.committed < amount:
            raise Conflict(
                f"Budget {current} has {current.amount - current.committed:,} VND available; "
                f"this assignment needs {amount:,} VND from it. Nothing was committed.",
                code="insufficient_budget",
                fields={"budget": f"{current.pk}: {current.amount - current.committed} available"},
            )
    for allocation, amount in parts:
        BudgetAllocation.objects.filter(pk=allocation.pk).update(committed=F("committed") + amount)
        LedgerEntry.objects.create(
            allocation=allocation,
            assignment=a,
            kind=LedgerKind.COMMIT,
            amount=amount,
            actor=user_of(actor),
        )
    _step(a, "approve", AssignmentState.APPROVED, actor, notes)
    return _save(a, "approve")


def _outstanding(assignment: Assignment) -> dict[Any, int]:
    """Committed minus released minus disbursed, per allocation, for this assignment."""
    sign = {LedgerKind.COMMIT: 1, LedgerKind.RELEASE: -1, LedgerKind.DISBURSE: -1}
    totals: dict[Any, int] = defaultdict(int)
    for row in (
        assignment.entries.values("allocation_id", "kind").annotate(total=Sum("amount")).order_by()
    ):
        totals[row["allocation_id"]] += sign[row["kind"]] * row["total"]
    return {k: v for k, v in totals.items() if v > 0}


def _release(assignment: Assignment, actor) -> int:
    outstanding = _outstanding(assignment)
    locked = list(
        BudgetAllocation.objects.select_for_update().filter(pk__in=list(outstanding)).order_by("pk")
    )
    for allocation in locked:
        amount = outstanding[allocation.pk]
        BudgetAllocation.objects.filter(pk=allocation.pk).update(committed=F("committed") - amount)
        LedgerEntry.objects.create(
            allocation=allocation,
            assignment=assignment,
            kind=LedgerKind.RELEASE,
            amount=amount,
            actor=user_of(actor),
        )
    return sum(outstanding.values())


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
    a = _locked(assignment, expected_version, actor, Perm.ASSIGNMENT_PROPOSE)
    _require(a, "deliver", AssignmentState.APPROVED, AssignmentState.DELIVERED)
    remaining = a.amount - a.disbursed
    if amount > remaining:
        raise InvalidInput(
            f"Only {remaining:,} VND of this assignment is left to disburse.",
            fields={"amount": f"At most {remaining}."},
        )
    if on > timezone.localdate():
        raise InvalidInput(
            "A disbursement cannot be dated in the future.", fields={"date": "In the future."}
        )
    outstanding = _outstanding(a)
    locked = list(
        BudgetAllocation.objects.select_for_update().filter(pk__in=list(outstanding)).order_by("pk")
    )
    shares = rules.split_amount(amount, [(str(x.pk), Decimal(outstanding[x.pk])) for x in locked])
    for allocation, (_, part) in zip(locked, shares, strict=True):
        if part:
            BudgetAllocation.objects.filter(pk=allocation.pk).update(
                disbursed=F("disbursed") + part
            )
            LedgerEntry.objects.create(
                allocation=allocation,
                assignment=a,
                kind=LedgerKind.DISBURSE,
                amount=part,
                actor=user_of(actor),
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
    _step(
        a,
        "deliver",
        AssignmentState.COMPLETED if done else AssignmentState.DELIVERED,
        actor,
        f"{amount:,} VND on {on} ({evidence_reference})",
    )
    _save(a, "deliver")
    return disbursement


@transaction.atomic
def assignment_complete(
    *, assignment: Assignment, expected_version: int | None, actor, notes: str = ""
) -> Assignment:
    """Close a partly delivered assignment; what was not disbursed returns to the budget."""
    a = _locked(assignment, expected_version, actor, Perm.ASSIGNMENT_PROPOSE)
    _require(a, "complete", AssignmentState.DELIVERED)
    released = _release(a, actor)
    _step(
        a,
        "complete",
        AssignmentState.COMPLETED,
        actor,
        notes or f"{released:,} VND not disbursed released",
    )
    return _save(a, "complete")


@transaction.atomic
def assignment_reject(
    *, assignment: Assignment, expected_version: int | None, actor, reason: str
) -> Assignment:
    a = _locked(assignment, expected_version, actor, Perm.ASSIGNMENT_APPROVE)
    _require(a, "reject", AssignmentState.PROPOSED)
    a.reason = reason
    _step(a, "reject", AssignmentState.REJECTED, actor, reason)
    return _save(a, "reject")


@transaction.atomic
def assignment_cancel(
    *, assignment: Assignment, expected_version: int | None, actor, reason: str
) -> Assignment:
    """Cancel; any committed amount not yet disbursed is released to the budget."""
    a = _locked(assignment, expected_version, actor, Perm.ASSIGNMENT_APPROVE)
    _require(
        a, "cancel", AssignmentState.PROPOSED, AssignmentState.APPROVED, AssignmentState.DELIVERED
    )
    a.reason = reason
    released = _release(a, actor)
    _step(
        a,
        "cancel",
        AssignmentState.CANCELLED,
        actor,
        f"{reason} ({released:,} VND released)" if released else reason,
    )
    return _save(a, "cancel")


def _bulk_row(household: Household, outcome: str, detail: str, **more: Any) -> dict[str, Any]:
    return {
        "household": household.pk,
        "household_code": household.code,
        "outcome": outcome,
        "assignment": None,
        "detail": detail,
        "reasons_en": [],
        "reasons_vi": [],
        "explanation_en": None,
        "explanation_vi": None,
        **more,
    }


def bulk_propose(
    *, actor, package: SupportPackage, commune: Commune, period: int
) -> list[dict[str, Any]]:
    """Propose the package to every qualifying household of the commune (in the actor's
    area) that has none in the period; one result per household: proposed (with why it
    qualifies and how the amount is reached), skipped (already assigned in the period) or
    rejected with the reason, in English and Vietnamese. Sending it again proposes nothing."""
    access = require(actor, Perm.ASSIGNMENT_PROPOSE)
    require_area(access, commune)
    area = access.area_q("commune", "village")
    households = coverage_gap(package=package, period=period, area=area, commune=commune.code)
    already = list(  # read before proposing, so new proposals are not counted twice
        Household.objects.filter(
            area,
            commune=commune,
            assignments__package=package,
            assignments__period=period,
            assignments__state__in=ACTIVE_STATES,
        )
        .distinct()
        .order_by("code")
    )
    results = []
    for household in households:
        try:
            a, match = _propose(household=household, package=package, period=period, actor=actor)
        except (Conflict, InvalidInput) as exc:
            outcome = "skipped" if exc.code == "duplicate_assignment" else "rejected"
            reasons = {k: exc.extra.get(k, []) for k in ("reasons_en", "reasons_vi")}
            results.append(_bulk_row(household, outcome, exc.detail, **reasons))
        else:
            results.append(
                _bulk_row(
                    household,
                    "proposed",
                    a.explanation,
                    assignment=a.pk,
                    reasons_en=match.reasons_en,
                    reasons_vi=match.reasons_vi,
                    explanation_en=match.explanation.en,
                    explanation_vi=match.explanation.vi,
                )
            )
    results += [_bulk_row(h, "skipped", "Already assigned in the period.") for h in already]
    return results


# ---------------------------------------------------------------------------- reports


def ledger_balances(allocations) -> dict[Any, dict[str, int]]:
    """Committed and disbursed per allocation, summed from the ledger itself."""
    rows = (
        LedgerEntry.objects.filter(allocation__in=allocations)
        .values("allocation_id", "kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    out: dict[Any, dict[str, int]] = defaultdict(lambda: {"committed": 0, "disbursed": 0})
    for r in rows:
        if r["kind"] == LedgerKind.COMMIT:
            out[r["allocation_id"]]["committed"] += r["total"]
        elif r["kind"] == LedgerKind.RELEASE:
            out[r["allocation_id"]]["committed"] -= r["total"]
        else:
            out[r["allocation_id"]]["disbursed"] += r["total"]
    return out


def budget_execution(*, allocations, group_by: str) -> list[dict[str, Any]]:
    """Allocated / committed / disbursed / available grouped by program, source or commune,
    derived from the ledger."""
    key_of = {
        "program": lambda a: (
            a.sub_project.parent.parent.code
            if a.sub_project.parent and a.sub_project.parent.parent
            else a.sub_project.code
        ),
        "sub_project": lambda a: a.sub_project.code,
        "source": lambda a: a.source,
        "commune": lambda a: a.commune_id or f"province {a.province_id}",
    }[group_by]
    allocations = list(allocations.select_related("sub_project__parent__parent"))
    balances = ledger_balances([a.pk for a in allocations])
    groups: dict[str, dict[str, int]] = defaultdict(
        lambda: {"allocated": 0, "committed": 0, "disbursed": 0, "available": 0}
    )
    for a in allocations:
        g = groups[key_of(a)]
        b = balances[a.pk]
        g["allocated"] += a.amount
        g["committed"] += b["committed"]
        g["disbursed"] += b["disbursed"]
        g["available"] += a.amount - b["committed"]
    return [{"key": k, **v} for k, v in sorted(groups.items())]


# ---------------------------------------------------------------------------- catalog


@transaction.atomic
def package_save(
    *,
    actor,
    package: SupportPackage | None,
    values: dict[str, Any],
    eligibility: Sequence[dict] | None,
    rates: Sequence[dict] | None,
    funding: Sequence[dict] | None,
) -> SupportPackage:
    """Create or change a package with its eligibility, base rates and funding split."""
    from .models import PackageFunding, PackageRate

    require(actor, Perm.SUPPORT_MANAGE)
    errors: dict[str, str] = {}
    if funding is not None:
        total = sum(Decimal(f["share_percent"]) for f in funding)
        if funding and total != 100:
            errors["funding"] = f"Shares add up to {total}%, not 100%."
    if rates is not None:
        ordered = sorted(rates, key=lambda r: r["valid_from"])
        for earlier, later in itertools.pairwise(ordered):
            if earlier.get("valid_to") is None or earlier["valid_to"] >= later["valid_from"]:
                errors["rates"] = "Base-rate periods overlap."
    for rule in values.get("multipliers") or []:
        try:
            if Decimal(str(rule["multiplier"])) <= 0:
                raise ValueError
        except (KeyError, ValueError, ArithmeticError, TypeError):
            errors["multipliers"] = "Each rule has a positive `multiplier` and a `when`."
    if errors:
        raise InvalidInput(
            "The package is not consistent: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            fields=errors,
        )
    if package is None:
        package = SupportPackage.objects.create(**values)
    else:
        for name, value in values.items():
            setattr(package, name, value)
        package.save()
    for related, rows, model in [
        ("eligibility", eligibility, PackageEligibility),
        ("rates", rates, PackageRate),
        ("funding", funding, PackageFunding),
    ]:
        if rows is not None:
            getattr(package, related).all().delete()
            model.objects.bulk_create(model(package=package, **row) for row in rows)
    return package


def _save_unique(obj, conflict: Conflict):
    """Save `obj`; a unique constraint it breaks is the given 409, not a crash."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise conflict from None
    return obj


def _assign(obj, values: dict[str, Any]):
    for name, value in values.items():
        setattr(obj, name, value)
    return obj


@transaction.atomic
def program_save(*, actor, program: Program | None, values: dict[str, Any]) -> Program:
    """Create or change a node of the program tree (program → component → sub-project)."""
    require(actor, Perm.SUPPORT_MANAGE)
    program = _assign(program or Program(), values)
    if (program.level == ProgramLevel.PROGRAM) != (program.parent_id is None):
        raise InvalidInput(
            "A program has no parent; a component project or sub-project has one.",
            fields={"parent": "Required below the program level, empty at it."},
        )
    return _save_unique(program, Conflict(f"Code {program.code} is taken.", code="program_exists"))


@transaction.atomic
def allocation_save(
    *, actor, allocation: BudgetAllocation | None, values: dict[str, Any]
) -> BudgetAllocation:
    """Create or change a budget allocation of the actor's province. The amount never goes
    below what is already committed; one allocation per sub-project, source, year and area."""
    access = require(actor, Perm.SUPPORT_MANAGE)
    if allocation is not None:
        allocation = BudgetAllocation.objects.select_for_update().get(pk=allocation.pk)
        require_province(access, allocation.province_id)
    allocation = _assign(allocation or BudgetAllocation(), values)
    require_province(access, allocation.province_id)
    if allocation.commune_id and allocation.commune.province_id != allocation.province_id:
        raise InvalidInput(
            "The commune is not in the allocation's province.",
            fields={"commune": "Not in the allocation's province."},
        )
    if allocation.amount < allocation.committed:
        raise Conflict(
            f"{allocation.committed:,} VND is already committed; the allocation cannot go "
            "below it.",
            code="below_committed",
            fields={"amount": f"At least {allocation.committed}."},
        )
    # Checked here as well as by the unique constraint: SQLite treats NULL communes
    # (province-wide allocations) as distinct.
    exists = Conflict(
        "An allocation for this sub-project, source, year and area exists; change its amount "
        "instead.",
        code="allocation_exists",
    )
    if (
        BudgetAllocation.objects.filter(
            sub_project=allocation.sub_project_id,
            source=allocation.source,
            year=allocation.year,
            province=allocation.province_id,
            commune=allocation.commune_id,
        )
        .exclude(pk=allocation.pk)
        .exists()
    ):
        raise exists
    return _save_unique(allocation, exists)


def _require_model_area(access: Access, model: LivelihoodModel) -> None:
    require_area(access, Commune.objects.get(pk=model.commune_id))


@transaction.atomic
def livelihood_model_save(
    *, actor, model: LivelihoodModel | None, values: dict[str, Any]
) -> LivelihoodModel:
    """Create or change a livelihood model of a commune in the actor's area."""
    access = require(actor, Perm.LIVELIHOOD_MANAGE)
    if model is not None:
        model = LivelihoodModel.objects.select_for_update().get(pk=model.pk)
        _require_model_area(access, model)
    model = _assign(model or LivelihoodModel(), values)
    _require_model_area(access, model)
    if model.end_date and model.end_date < model.start_date:
        raise InvalidInput(
            "The model ends before it starts.", fields={"end_date": "Before start_date."}
        )
    model.save()
    return model


@transaction.atomic
def participation_save(
    *, actor, model: LivelihoodModel, household: Household | None, values: dict[str, Any]
) -> tuple[Participation, bool]:
    """Add a household of the model's commune to a livelihood model, or update its outcome
    when it is already in. Returns the participation and whether it is new."""
    access = require(actor, Perm.LIVELIHOOD_MANAGE)
    model = LivelihoodModel.objects.select_for_update().get(pk=model.pk)
    _require_model_area(access, model)
    existing = Participation.objects.filter(model=model, household=household).first()
    if existing is None and household is None:
        raise InvalidInput("Name the participating household.", fields={"household": "Required."})
    if household is not None and household.commune_id != model.commune_id:
        raise InvalidInput(
            f"Not a household of commune {model.commune_id}.",
            fields={"household": f"Not a household of commune {model.commune_id}."},
        )
    participation = _assign(existing or Participation(model=model, household=household), values)
    participation.save()
    return participation, existing is None


@transaction.atomic
def target_save(*, actor, target: Target | None, values: dict[str, Any]) -> Target:
    """Create or change a commune's target for a year (one per commune, year and standard)."""
    access = require(actor, Perm.SUPPORT_MANAGE)
    if target is not None:
        target = Target.objects.select_for_update().select_related("commune").get(pk=target.pk)
        require_area(access, target.commune)
    target = _assign(target or Target(), values)
    require_area(access, target.commune)
    return _save_unique(
        target,
        Conflict("A target for this commune, year and standard exists.", code="target_exists"),
    )


# ---------------------------------------------------------------------------- progress


def target_progress(targets) -> dict[Any, dict[str, Any]]:
    """Per target: households lifted out of poverty in its year and the current poverty rate
    of its commune, both from official statuses."""
    from poverty.choices import Classification
    from poverty.models import StatusEvent

    targets = list(targets)
    communes = {t.commune_id for t in targets}
    lifted = defaultdict(int)
    for row in (
        OfficialStatus.objects.filter(household__commune_id__in=communes, event=StatusEvent.ESCAPED)
        .values("household__commune_id", "standard__code", "valid_from__year")
        .annotate(n=Count("id"))
        .order_by()
    ):
        lifted[(row["household__commune_id"], row["standard__code"], row["valid_from__year"])] += (
            row["n"]
        )
    poor = defaultdict(int)
    for row in (
        OfficialStatus.objects.filter(
            household__commune_id__in=communes,
            valid_to__isnull=True,
            classification=Classification.POOR,
        )
        .values("household__commune_id", "standard__code")
        .annotate(n=Count("id"))
        .order_by()
    ):
        poor[(row["household__commune_id"], row["standard__code"])] += row["n"]
    households = dict(
        Household.objects.filter(commune_id__in=communes, status=HouseholdStatus.ACTIVE)
        .values_list("commune_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = {}
    for t in targets:
        total = households.get(t.commune_id, 0)
        n_poor = poor[(t.commune_id, t.standard_code)]
        rate = round(100 * n_poor / total, 3) if total else None
        done = lifted[(t.commune_id, t.standard_code, t.year)]
        out[t.pk] = {
            "households_lifted": done,
            "lift_progress": round(done / t.households_to_lift, 4)
            if t.households_to_lift
            else None,
            "poor_households": n_poor,
            "households": total,
            "poverty_rate": rate,
            "rate_target_met": rate is not None and rate <= float(t.poverty_rate_target),
        }
    return out


def coverage(*, area: Q, period: int, packages) -> list[dict[str, Any]]:
    """Per commune and package: households of the package's eligible classifications
    (current official status) and how many of them have an active assignment in the period."""
    rows = []
    for package in packages:
        wanted = Q()
        for e in package.eligibility.all():
            wanted |= Q(standard__code=e.standard_code, classification=e.classification)
        if not wanted:
            continue
        statuses = OfficialStatus.objects.filter(
            wanted, area, valid_to__isnull=True, household__status=HouseholdStatus.ACTIVE
        )
        eligible = dict(
            statuses.values("household__commune_id")
            .annotate(n=Count("household_id", distinct=True))
            .values_list("household__commune_id", "n")
            .order_by()
        )
        covered = dict(
            statuses.filter(
                household__assignments__package=package,
                household__assignments__period=period,
                household__assignments__state__in=ACTIVE_STATES,
            )
            .values("household__commune_id")
            .annotate(n=Count("household_id", distinct=True))
            .values_list("household__commune_id", "n")
            .order_by()
        )
        for commune, n in sorted(eligible.items()):
            rows.append(
                {
                    "commune": commune,
                    "package": package.code,
                    "eligible_households": n,
                    "covered": covered.get(commune, 0),
                    "coverage": round(covered.get(commune, 0) / n, 4),
                }
            )
    return rows
