"""Reports: read-only figures summed from the ledger and the official statuses — budget
execution, coverage of the households each package is for, and progress against targets."""

from __future__ import annotations

from collections import defaultdict
from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Count, Q

from core.access import Access
from households.choices import HouseholdStatus
from poverty.models import OfficialStatus

from .choices import ACTIVE_STATES
from .models import Assignment, SupportPackage
from .selectors import (
    active_households_by_commune,
    allocations_in_area,
    current_status_counts,
    eligible_statuses_q,
    ledger_balances,
)

GROUP_BY = ("program", "sub_project", "source", "commune", "year")


def _program_of(a) -> Any:
    return a.sub_project.parent.parent if a.sub_project.parent else a.sub_project


def budget_execution(
    *, access: Access, group_by: str, year: int | None = None, commune: str | None = None
) -> list[dict[str, Any]]:
    """Allocated / committed / disbursed / available of the allocations the user sees (of
    one year, or all; of one commune's own allocations, or all), grouped by program,
    sub-project, source, commune or year, derived from the ledger. Each row names its key
    (`name`: the program's, sub-project's or commune's name; the source's label)."""
    key_of = {
        "program": lambda a: (_program_of(a).code, _program_of(a).name),
        "sub_project": lambda a: (a.sub_project.code, a.sub_project.name),
        "source": lambda a: (a.source, str(a.get_source_display())),
        "commune": lambda a: (
            (a.commune_id, a.commune.name)
            if a.commune_id
            else (f"province {a.province_id}", a.province.name)
        ),
        "year": lambda a: (str(a.year), str(a.year)),
    }[group_by]
    allocations = allocations_in_area(access)
    if year:
        allocations = allocations.filter(year=year)
    if commune:
        allocations = allocations.filter(commune_id=commune)
    allocations = list(allocations.select_related("sub_project__parent__parent"))
    balances = ledger_balances([a.pk for a in allocations])
    groups: dict[str, dict[str, Any]] = {}
    for a in allocations:
        key, name = key_of(a)
        g = groups.setdefault(
            key, {"name": name, "allocated": 0, "committed": 0, "disbursed": 0, "available": 0}
        )
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
    *, access: Access, period: int, package_code: str | None = None, by_kind: bool = False
) -> list[dict[str, Any]]:
    """Per commune in the user's area and package (or the one package of that code; or, with
    `by_kind`, per package type): households of the package's eligible classifications
    (current official status), how many of them have an active assignment of it in the
    period, and the same for the poor and the near-poor among them (a household poor under
    one standard the package is for and near-poor under another counts in both). One query
    per package (or type)."""
    from poverty.choices import Classification

    area = access.area_q("household__commune", "household__village")
    packages = SupportPackage.objects.prefetch_related("eligibility").order_by("code")
    if package_code:
        packages = packages.filter(code=package_code)
    groups: dict[str, list[SupportPackage]] = {}
    for package in packages:
        groups.setdefault(package.kind if by_kind else package.code, []).append(package)
    rows = []
    for key, members in sorted(groups.items()):
        wanted = [q for q in (eligible_statuses_q(p) for p in members) if q is not None]
        if not wanted:
            continue
        statuses = OfficialStatus.objects.filter(
            reduce(or_, wanted),
            area,
            valid_to__isnull=True,
            household__status=HouseholdStatus.ACTIVE,
        )
        held = Q(
            household_id__in=Assignment.objects.filter(
                package__in=members, period=period, state__in=ACTIVE_STATES
            ).values("household_id")
        )
        poor = Q(classification=Classification.POOR)
        near = Q(classification=Classification.NEAR_POOR)

        def distinct(where: Q | None = None) -> Count:
            return Count("household_id", distinct=True, filter=where)

        counts = (
            statuses.values("household__commune_id")
            .annotate(
                n=distinct(),
                covered=distinct(held),
                poor=distinct(poor),
                poor_covered=distinct(poor & held),
                near=distinct(near),
                near_covered=distinct(near & held),
            )
            .order_by("household__commune_id")
        )
        for c in counts:
            rows.append(
                {
                    "commune": c["household__commune_id"],
                    "package": key,
                    "eligible_households": c["n"],
                    "covered": c["covered"],
                    "coverage": round(c["covered"] / c["n"], 4),
                    "poor_households": c["poor"],
                    "poor_covered": c["poor_covered"],
                    "near_poor_households": c["near"],
                    "near_poor_covered": c["near_covered"],
                }
            )
    rows.sort(key=lambda r: (r["package"], r["commune"]))
    return rows
