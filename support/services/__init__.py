"""Support use cases: assignments through their states, and the commitment ledger; the
catalog, the plan (programs, budgets, targets) and livelihood models. Money moves only here,
inside transactions that lock budget rows in one order. The read side (eligibility, coverage
gap, balances) is in `support.selectors`, the reports in `support.reports`.

Every write takes the acting user (`actor`; `core.access.SYSTEM` for commands) and checks
their role and area itself, whichever door it came in by (API, admin, command)."""

from .assignments import STEPS as ASSIGNMENT_STEPS
from .assignments import (
    assignment_approve,
    assignment_cancel,
    assignment_complete,
    assignment_propose,
    assignment_reject,
    bulk_already,
    bulk_candidates,
    bulk_propose_enqueue,
    bulk_propose_one,
    disbursement_record,
)
from .livelihood import livelihood_model_save, participation_save
from .packages import PACKAGE_LISTS, package_save
from .plans import allocation_save, program_save, target_save

__all__ = [
    "ASSIGNMENT_STEPS",
    "PACKAGE_LISTS",
    "allocation_save",
    "assignment_approve",
    "assignment_cancel",
    "assignment_complete",
    "assignment_propose",
    "assignment_reject",
    "bulk_already",
    "bulk_candidates",
    "bulk_propose_enqueue",
    "bulk_propose_one",
    "disbursement_record",
    "livelihood_model_save",
    "package_save",
    "participation_save",
    "program_save",
    "target_save",
]
