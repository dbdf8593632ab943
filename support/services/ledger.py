"""The commitment ledger. Every movement of money is a ledger entry written together with
the running total it moves on its allocation (`LEDGER_EFFECT`), inside the caller's
transaction; allocation rows are locked in one order, by primary key, so that concurrent
steps never deadlock and never over-commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Q

from core.access import user_of

from ..choices import LEDGER_EFFECT, LedgerKind
from ..models import Assignment, BudgetAllocation, LedgerEntry
from ..selectors import ledger_totals


def allocation_for(assignment: Assignment, source: str) -> BudgetAllocation | None:
    """The commune's own allocation for the source and year if there is one, else the
    province-wide one."""
    candidates = BudgetAllocation.objects.filter(
        sub_project_id=assignment.package.sub_project_id,
        source=source,
        year=assignment.period,
        province_id=assignment.household.commune.province_id,
    ).filter(Q(commune_id=assignment.household.commune_id) | Q(commune__isnull=True))
    return min(candidates, key=lambda a: a.commune_id is None, default=None)


def lock_allocations(pks: Iterable[Any]) -> list[BudgetAllocation]:
    """The allocations, locked in primary-key order."""
    return list(
        BudgetAllocation.objects.select_for_update().filter(pk__in=list(pks)).order_by("pk")
    )


def post(
    *, allocation: BudgetAllocation, assignment: Assignment, kind: LedgerKind, amount: int, actor
) -> None:
    """One ledger entry, and the allocation's running total it moves."""
    counter, sign = LEDGER_EFFECT[kind]
    BudgetAllocation.objects.filter(pk=allocation.pk).update(
        **{counter: F(counter) + amount if sign > 0 else F(counter) - amount}
    )
    LedgerEntry.objects.create(
        allocation=allocation,
        assignment=assignment,
        kind=kind,
        amount=amount,
        actor=user_of(actor),
    )


def outstanding(assignment: Assignment) -> dict[Any, int]:
    """Committed minus released minus disbursed, per allocation, for this assignment."""
    totals = ledger_totals(assignment.entries)
    left = {k: v["committed"] - v["disbursed"] for k, v in totals.items()}
    return {k: v for k, v in left.items() if v > 0}


def release(assignment: Assignment, actor) -> int:
    """Return what the assignment has committed and not disbursed to the budget."""
    left = outstanding(assignment)
    for allocation in lock_allocations(left):
        post(
            allocation=allocation,
            assignment=assignment,
            kind=LedgerKind.RELEASE,
            amount=left[allocation.pk],
            actor=actor,
        )
    return sum(left.values())
