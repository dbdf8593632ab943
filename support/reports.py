"""Reports: read-only figures summed from the ledger and the official statuses — budget
execution, coverage of the households each package is for, and progress against targets."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count

from core.access import Access
from households.choices import HouseholdStatus
from poverty.models import OfficialStatus

from .models import SupportPackage
from .selectors import (
    active_households_by_commune,
    allocations_in_area,
    current_status_counts,
    eligible_statuses_q,
    holds_package,
    ledger_balances,
)

GROUP_BY = ("program", "sub_project", "source", "commune")


def budget_execution(
    *, access: Access, group_by: str, year: int | None = None
) -> list[dict[str, Any]]:
    """Allocated / committed / disbursed / available of the allocations the user sees (of
    one year, or all), grouped by program, sub-project, source or commune, derived from the
    ledger."""
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
    allocations = allocations_in_area(access)
    if year:
        allocations = allocations.filter(year=year)
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


def _with_commune_totals(counts: dict[tuple, int]) -> defaultdict[tuple, int]:
    """Counts keyed (commune, village or None, ...), also summed per commune under village
    None: a commune's target counts all its households, a village's only its own."""
    out: defaultdict[tuple, int] = defaultdict(int)
    for (commune, village, *rest), n in counts.items():
        out[(commune, None, *rest)] += n
        if village is not None:
            out[(commune, village, *rest)] += n
    return out


def target_progress(targets) -> dict[Any, dict[str, Any]]:
    """Per target: households lifted out of poverty in its year and the current poverty rate
    of its commune (or village), both from official statuses."""
    from poverty.choices import Classification
    from poverty.models import StatusEvent

    targets = list(targets)
    communes = {t.commune_id for t in targets}
    escapes = (
        OfficialStatus.objects.filter(household__commune_id__in=communes, event=StatusEvent.ESCAPED)
        .values_list(
            "household__commune_id", "household__village_id", "standard__code", "valid_from__year"
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    lifted = _with_commune_totals({row[:-1]: row[-1] for row in escapes})
    poor = _with_commune_totals(
        current_status_counts(communes, classifications=[Classification.POOR], by_village=True)
    )
    households = _with_commune_totals(active_households_by_commune(communes, by_village=True))
    out = {}
    for t in targets:
        total = households[(t.commune_id, t.village_id)]
        n_poor = poor[(t.commune_id, t.village_id, t.standard_code, Classification.POOR)]
        rate = round(100 * n_poor / total, 3) if total else None
        done = lifted[(t.commune_id, t.village_id, t.standard_code, t.year)]
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


def coverage(
    *, access: Access, period: int, package_code: str | None = None
) -> list[dict[str, Any]]:
    """Per commune in the user's area and package (or the one package of that code):
    households of the package's eligible classifications (current official status) and how
    many of them have an active assignment of it in the period."""
    area = access.area_q("household__commune", "household__village")
    packages = SupportPackage.objects.prefetch_related("eligibility").order_by("code")
    if package_code:
        packages = packages.filter(code=package_code)
    rows = []
    for package in packages:
        wanted = eligible_statuses_q(package)
        if wanted is None:
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
            statuses.filter(**holds_package(package, period, prefix="household__assignments__"))
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
