"""The plan: the program tree, budget allocations and the communes' targets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.access import Perm, require, require_area, require_province
from core.errors import Conflict, InvalidInput

from ..choices import ProgramLevel
from ..models import BudgetAllocation, Program, Target
from ._records import assign, changed, save_unique


@transaction.atomic
def program_save(*, actor, program: Program | None, values: dict[str, Any]) -> Program:
    """Create or change a node of the program tree (program → component → sub-project)."""
    require(actor, Perm.SUPPORT_MANAGE)
    program = assign(program or Program(), values)
    if (program.level == ProgramLevel.PROGRAM) != (program.parent_id is None):
        raise InvalidInput(
            gettext("A program has no parent; a component project or sub-project has one."),
            fields={"parent": gettext("Required below the program level, empty at it.")},
        )
    return save_unique(
        program,
        Conflict(
            gettext("Code %(code)s is taken.") % {"code": program.code}, code="program_exists"
        ),
    )


@transaction.atomic
def allocation_save(
    *, actor, allocation: BudgetAllocation | None, values: dict[str, Any]
) -> BudgetAllocation:
    """Create or change a budget allocation of the actor's province. The amount never goes
    below what is already committed; one allocation per sub-project, source, year and area."""
    access = require(actor, Perm.SUPPORT_MANAGE)
    allocation = changed(
        BudgetAllocation.objects.all(),
        allocation,
        values,
        lambda a: require_province(access, a.province_id),
    )
    if allocation.commune_id and allocation.commune.province_id != allocation.province_id:
        raise InvalidInput(
            gettext("The commune is not in the allocation's province."),
            fields={"commune": gettext("Not in the allocation's province.")},
        )
    if allocation.amount < allocation.committed:
        raise Conflict(
            (
                gettext(
                    "%(committed)s VND is already committed; the allocation cannot go below it."
                )
                % {"committed": f"{allocation.committed:,}"}
            ),
            code="below_committed",
            fields={
                "amount": gettext("At least %(committed)s.") % {"committed": allocation.committed}
            },
        )
    # Checked here as well as by the unique constraint: SQLite treats NULL communes
    # (province-wide allocations) as distinct.
    exists = Conflict(
        gettext(
            "An allocation for this sub-project, source, year and area exists; change its amount "
            "instead."
        ),
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
    return save_unique(allocation, exists)


@transaction.atomic
def target_save(*, actor, target: Target | None, values: dict[str, Any]) -> Target:
    """Create or change a commune's or a village's target for a year (one per commune, or
    village, year and standard)."""
    access = require(actor, Perm.SUPPORT_MANAGE)
    target = changed(
        Target.objects.select_related("commune"),  # (locked: no outer join to the village)
        target,
        values,
        lambda t: require_area(access, t.commune, t.village),
    )
    if target.village_id and target.village.commune_id != target.commune_id:
        raise InvalidInput(
            gettext("The village is not in the target's commune."),
            fields={"village": gettext("Not in the commune.")},
        )
    where = "village" if target.village_id else "commune"
    exists = Conflict(
        gettext("A target for this %(where)s, year and standard exists.") % {"where": where},
        code="target_exists",
    )
    # Checked here as well as by the constraints (conditional on the village being empty).
    same = Target.objects.filter(
        commune=target.commune_id,
        village=target.village_id,
        year=target.year,
        standard_code=target.standard_code,
    ).exclude(pk=target.pk)
    if same.exists():
        raise exists
    return save_unique(target, exists)
