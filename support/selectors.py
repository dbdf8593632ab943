"""Read-side queries shared by the services, the API and the admin: the allocations a user
sees, and what support rules need to know of packages and households (eligibility)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from core.access import Access
from core.errors import InvalidInput
from geo.models import Commune
from households.choices import HouseholdStatus, MemberStatus, Relationship
from households.models import Household, Member
from poverty.models import OfficialStatus
from poverty.services import age_on

from . import rules
from .choices import ACTIVE_STATES, LEDGER_EFFECT
from .models import Assignment, BudgetAllocation, LedgerEntry, SupportPackage

# ---------------------------------------------------------------------------- budgets


def allocations_in_area(access: Access) -> QuerySet[BudgetAllocation]:
    """Allocations of the user's communes, and the province-wide ones that cover them."""
    allocations = BudgetAllocation.objects.select_related("province", "commune")
    if access.everywhere:
        return allocations
    provinces_of_communes = Commune.objects.filter(code__in=access.commune_codes).values(
        "province_id"
    )
    return allocations.filter(
        Q(commune_id__in=access.commune_codes)
        | Q(province_id__in=access.province_codes)
        | Q(commune__isnull=True, province_id__in=provinces_of_communes)
    )


def ledger_totals(entries, key: str = "allocation_id") -> dict[Any, dict[str, int]]:
    """Committed and disbursed per `key` of the given ledger entries, summed from them."""
    rows = entries.values(key, "kind").annotate(total=Sum("amount")).order_by()
    out: dict[Any, dict[str, int]] = defaultdict(lambda: {"committed": 0, "disbursed": 0})
    for r in rows:
        counter, sign = LEDGER_EFFECT[r["kind"]]
        out[r[key]][counter] += sign * r["total"]
    return out


def ledger_balances(allocations) -> dict[Any, dict[str, int]]:
    """Committed and disbursed per allocation, summed from the ledger itself."""
    return ledger_totals(LedgerEntry.objects.filter(allocation__in=allocations))


# ---------------------------------------------------------------------------- counts


def active_households_by_commune(communes, *, by_village: bool = False) -> dict[Any, int]:
    """Households registered and active of the given communes, per commune code, or per
    (commune code, village id or None) with `by_village`."""
    fields = ("commune_id", "village_id") if by_village else ("commune_id",)
    rows = (
        Household.objects.filter(commune_id__in=communes, status=HouseholdStatus.ACTIVE)
        .values_list(*fields)
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(tuple(row[:-1]) if by_village else row[0]): row[-1] for row in rows}


def current_status_counts(
    communes,
    *,
    classifications,
    standard_code: str | None = None,
    active_only: bool = False,
    by_village: bool = False,
) -> dict[tuple, int]:
    """Households per (commune, standard code, classification) by current official status
    (the period without an end), of the given communes; `active_only`: of active households;
    `by_village`: per (commune, village id or None, standard code, classification)."""
    statuses = OfficialStatus.objects.filter(
        household__commune_id__in=communes,
        valid_to__isnull=True,
        classification__in=classifications,
    )
    if standard_code is not None:
        statuses = statuses.filter(standard__code=standard_code)
    if active_only:
        statuses = statuses.filter(household__status=HouseholdStatus.ACTIVE)
    where = ("household__commune_id", "household__village_id")[: 2 if by_village else 1]
    out: dict[tuple, int] = defaultdict(int)
    for row in (
        statuses.values(*where, "standard__code", "classification")
        .annotate(n=Count("id"))
        .order_by()
    ):
        key = (*(row[f] for f in where), row["standard__code"], row["classification"])
        out[key] += row["n"]
    return out


# ---------------------------------------------------------------------------- packages


def packages() -> QuerySet[SupportPackage]:
    """Packages with their eligibility, base rates and funding split."""
    return SupportPackage.objects.prefetch_related("eligibility", "rates", "funding")


def packages_with_terms() -> QuerySet[SupportPackage]:
    """The active packages, by code, with everything their terms are made of."""
    return packages().filter(active=True).order_by("code")


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


def eligible_statuses_q(package: SupportPackage) -> Q | None:
    """Official statuses of the standards and classifications the package is for (on
    `OfficialStatus`), or None when the package names none."""
    wanted = Q()
    for row in package.eligibility.all():
        wanted |= Q(standard__code=row.standard_code, classification=row.classification)
    return wanted or None


def holds_package(package: SupportPackage, period: int, *, prefix: str = "") -> dict[str, Any]:
    """Lookups for "has an active assignment of the package in the period"; `prefix` is the
    path from the filtered model to its assignments (e.g. `assignments__`)."""
    return {
        f"{prefix}package": package,
        f"{prefix}period": period,
        f"{prefix}state__in": ACTIVE_STATES,
    }


# ---------------------------------------------------------------------------- eligibility


def household_profile(
    household: Household, *, on: date, received: int = 0
) -> rules.HouseholdProfile:
    """What support rules need to know of a household, from its official statuses (and the
    assessments that decided them) and its present members."""
    return household_profiles([household], on=on, received={household.pk: received})[household.pk]


def household_profiles(
    households: list[Household], *, on: date, received: dict[Any, int] | None = None
) -> dict[Any, rules.HouseholdProfile]:
    """`household_profile` of each household (its commune selected with it), by id: two
    queries however many households (the coverage gap profiles every candidate of an area)."""
    ids = [h.pk for h in households]
    classifications: dict[Any, dict[str, str]] = defaultdict(dict)
    deprived: dict[Any, set[str]] = defaultdict(set)
    statuses = OfficialStatus.objects.filter(
        household_id__in=ids, valid_to__isnull=True
    ).select_related("standard", "assessment")
    for status in statuses:
        classifications[status.household_id][status.standard.code] = status.classification
        deprived[status.household_id] |= {
            i["code"] for i in status.assessment.indicators if i["deprived"]
        }
    members: dict[Any, list[tuple]] = defaultdict(list)
    present = Member.objects.filter(household_id__in=ids, status=MemberStatus.PRESENT)
    for household_id, *member in present.values_list(
        "household_id", "date_of_birth", "relationship", "ethnicity_id"
    ):
        members[household_id].append(member)
    received = received or {}
    return {
        h.pk: rules.HouseholdProfile(
            classifications=classifications[h.pk],
            ethnic_minority=any(
                rel == Relationship.HEAD and eth != "01" for _, rel, eth in members[h.pk]
            ),
            commune_code=h.commune_id,
            commune_kind=h.commune.kind,
            member_ages=tuple(age_on(dob, on) for dob, _, _ in members[h.pk]),
            deprived=frozenset(deprived[h.pk]),
            received_in_period=received.get(h.pk, 0),
        )
        for h in households
    }


def received_in_period(household: Household, period: int) -> dict[Any, int]:
    """Active assignments of the household in the period, counted per package id."""
    rows = (
        Assignment.objects.filter(household=household, period=period, state__in=ACTIVE_STATES)
        .values("package_id")
        .annotate(n=Count("id"))
    )
    return {r["package_id"]: r["n"] for r in rows}


def eligible_packages(
    *, household: Household, period: int | None = None, on: date | None = None
) -> list[tuple[SupportPackage, rules.Match]]:
    """Every active package with whether the household qualifies, why, and the amount.
    The period defaults to the year of `on` (today)."""
    on = on or timezone.localdate()
    received = received_in_period(household, on.year if period is None else period)
    base = household_profile(household, on=on)
    result = []
    for package in packages_with_terms():
        profile = rules.HouseholdProfile(
            **{**base.__dict__, "received_in_period": received.get(package.pk, 0)}
        )
        result.append((package, rules.match(profile, package_terms(package, on))))
    return result


# The most candidate households one coverage-gap answer checks: each is profiled (two
# queries) and matched in Python, so a national or provincial area without a commune filter
# would profile every poor household of it in one request. (A bulk proposal, a background
# job, checks them all: `unlimited`.)
COVERAGE_GAP_MAX = 5_000


def coverage_gap(
    *,
    package: SupportPackage,
    period: int,
    area: Q,
    commune: str | None = None,
    on: date | None = None,
    unlimited: bool = False,
) -> list[Household]:
    """Households that qualify for the package but have no active assignment of it in the
    period (the coverage gap), by code. Candidates come from official statuses in one query;
    more than COVERAGE_GAP_MAX of them is InvalidInput naming `commune` (narrow the area),
    unless `unlimited`."""
    on = on or timezone.localdate()
    wanted = eligible_statuses_q(package)
    if wanted is None:
        return []
    statuses = OfficialStatus.objects.filter(wanted, valid_to__isnull=True)
    candidates = (
        Household.objects.filter(
            area, status=HouseholdStatus.ACTIVE, pk__in=statuses.values("household_id")
        )
        .exclude(**holds_package(package, period, prefix="assignments__"))
        .select_related("commune")
        .order_by("code")
    )
    if commune:
        candidates = candidates.filter(commune_id=commune)
    if not unlimited and (count := candidates.count()) > COVERAGE_GAP_MAX:
        message = gettext(
            "%(count)s households would have to be checked; at most %(max)s at a time: "
            "name a commune."
        ) % {"count": f"{count:,}", "max": f"{COVERAGE_GAP_MAX:,}"}
        raise InvalidInput(message, fields={"commune": message}, code="too_many_households")
    terms = package_terms(packages_with_terms().get(pk=package.pk), on)
    candidates = list(candidates)
    profiles = household_profiles(candidates, on=on)
    return [h for h in candidates if rules.match(profiles[h.pk], terms).eligible]
