"""No budget line is ever over-committed, even with many approvals at the same moment."""

import threading

import pytest
from django.db import connection

from support.models import Assignment, BudgetAllocation, LedgerEntry
from support.selectors import ledger_balances
from support.services import assignment_propose
from tests import factories as f
from tests.poverty.conftest import decide

from .conftest import POOR, allocate

APPROVALS = 24
AFFORDABLE = 7


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_approvals_commit_exactly_what_the_budget_covers(
    ward, leader, leader_api, housing_package, tree
):
    proposer = f.user("commune_officer", communes=[ward])  # the leader may not approve their own
    assignments = []
    for _ in range(APPROVALS):
        h = f.household(ward)  # Kinh head: ×1.3 → 52,000,000 = 36,400,000 central + 15,600,000
        decide(h, leader, day="2026-10-01", decision="2026-10-10", **POOR)
        assignments.append(
            assignment_propose(household=h, package=housing_package, period=2026, actor=proposer)
        )
    central = 36_400_000 * AFFORDABLE + 36_399_999  # one dong short of an eighth
    allocate(tree, ward, central=central, local=10**12)
    statuses: list[int] = []
    lock = threading.Lock()

    def approve(assignment_id) -> None:
        barrier.wait()
        try:
            r = f.client_for(leader).post(
                f"/api/v1/assignments/{assignment_id}/approve/", {}, HTTP_IF_MATCH='"1"'
            )
            with lock:
                statuses.append((r.status_code, r.json().get("code")))
        finally:
            connection.close()

    if connection.vendor == "postgresql":
        barrier = threading.Barrier(APPROVALS)
        threads = [threading.Thread(target=approve, args=(a.pk,)) for a in assignments]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    else:  # SQLite serialises writers: the same invariant, one request after another
        barrier = threading.Barrier(1)
        for a in assignments:
            approve(a.pk)

    assert sorted(statuses).count((200, None)) == AFFORDABLE
    assert sorted(statuses).count((409, "insufficient_budget")) == APPROVALS - AFFORDABLE
    alloc = BudgetAllocation.objects.get(source="central")
    ledger = ledger_balances([alloc.pk])[alloc.pk]
    assert alloc.committed == ledger["committed"] == 36_400_000 * AFFORDABLE
    assert alloc.amount - alloc.committed == 36_399_999
    assert Assignment.objects.filter(state="approved").count() == AFFORDABLE
    assert LedgerEntry.objects.filter(kind="commit").count() == 2 * AFFORDABLE
