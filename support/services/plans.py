"""The plan: the program tree, budget allocations and the communes' targets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext

from core.access import Perm, require, require_area, require_province
from core.errors import Conflict, InvalidInput

from ..choices import PARENT_LEVEL
from ..models import BudgetAllocation, Program, Target
from ._records import assign, changed, save_unique


def program_tree_check(*, program: Program | None, level: str, parent: Program | None) -> None:
    """The program tree's rule, on every path (API, admin, commands): a program is a root, a
    component project sits under a program and a sub-project under a component project; a
    node whose level changes keeps children that still fit under it. The reports read a
    sub-project's program as its parent's parent (support.reports)."""
    wanted = PARENT_LEVEL.get(level)
    if (parent.level if parent is not None else None) != wanted:
        reason = (
            gettext("A %(level)s sits under a %(wanted)s.") % {"level": level, "wanted": wanted}
            if wanted
            else gettext("A program has no parent.")
        )
        raise InvalidInput(reason, fields={"parent": reason})
    if program is None or program._state.adding:
        return
    under = next((child for child, above in PARENT_LEVEL.items() if above == level), None)
    if program.children.exclude(level=under).exists():
        reason = gettext("It has children that cannot sit under a %(level)s.") % {"level": level}
        raise InvalidInput(reason, fields={"level": reason})


@transaction.atomic
def program_save(*, actor, program: Program | None, values: dict[str, Any]) -> Program:
    """Create or change a node of the program tree (program → component → sub-project)."""
    require(actor, Perm.SUPPORT_MANAGE)
    if program is not None and not program._state.adding:
        # A node and the node it goes under are locked: a level change and a child added
        # under it at the same time are checked one after the other.
        list(Program.objects.select_for_update().filter(pk=program.pk).values_list("pk"))
    program = assign(program or Program(), values)
    parent = None
    if program.parent_id is not None:
        parent = Program.objects.select_for_update().get(pk=program.parent_id)
    program_tree_check(program=program, level=program.level, parent=parent)
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
    below what is already committed; once anything is committed against it, what it funds
    (sub-project, source, year, province and commune) stays, as the commitments were made
    against that; one allocation per sub-project, source, year and area."""
    access = require(actor, Perm.SUPPORT_MANAGE)
    funds: list[tuple] = []  # what the stored allocation funds, then the changed one

    def check(a: BudgetAllocation) -> None:
        require_province(access, a.province_id)
        funds.append((a.sub_project_id, a.source, a.year, a.province_id, a.commune_id))

    allocation = changed(BudgetAllocation.objects.all(), allocation, values, check)
    if allocation.committed and funds[0] != funds[-1]:
        raise Conflict(
            gettext(
                "%(committed)s VND is committed against this allocation: its sub-project, "
                "source, year and area stay. Change its amount, or make a new allocation."
            )
            % {"committed": f"{allocation.committed:,}"},
            code="allocation_committed",
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
        fields=dict.fromkeys(
            ("sub_project", "source", "year", "province")
            + (("commune",) if allocation.commune_id else ()),
            gettext("Another allocation has the same sub-project, source, year and area."),
        ),
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
    if target.village_id:
        detail = gettext("A target for this village, year and standard exists.")
        taken = gettext("Another target has the same village, year and standard.")
        key = ("commune", "village", "year", "standard_code")
    else:
        detail = gettext("A target for this commune, year and standard exists.")
        taken = gettext("Another target has the same commune, year and standard.")
        key = ("commune", "year", "standard_code")
    exists = Conflict(detail, code="target_exists", fields=dict.fromkeys(key, taken))
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
