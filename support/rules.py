"""Support eligibility and amounts: pure functions, no Django.

A package is for households of certain classifications (per standard), may add criteria
(ethnic minority, commune type or list, member age, a deprivation), is limited per household
per period, and pays a central base amount raised by the province's multiplier for the
household; the amount is split across capital sources by fixed shares.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


@dataclass(frozen=True)
class HouseholdProfile:
    classifications: Mapping[str, str]  # standard code → current official classification
    ethnic_minority: bool  # the head belongs to an ethnic minority
    commune_code: str
    commune_kind: str  # "xa" | "phuong" | "dac_khu"
    member_ages: tuple[int, ...]
    deprived: frozenset[str] = frozenset()  # indicators deprived in the deciding assessment
    received_in_period: int = 0  # active assignments of this package in the period


@dataclass(frozen=True)
class PackageTerms:
    code: str
    eligible: Mapping[str, frozenset[str]]  # standard code → eligible classifications
    base_amount: int | None  # central base in force (None: no rate in force)
    criteria: Mapping[str, Any] = field(default_factory=dict)
    multipliers: Sequence[Mapping[str, Any]] = ()
    default_multiplier: Decimal = Decimal(1)
    limit_per_period: int = 1
    funding: Sequence[tuple[str, Decimal]] = ()  # (capital source, share in percent)


@dataclass(frozen=True)
class Match:
    eligible: bool
    reasons: tuple[str, ...]  # why (or why not)
    base_amount: int | None
    multiplier: Decimal | None
    amount: int | None
    explanation: str
    split: tuple[tuple[str, int], ...]


def criteria_failures(profile: HouseholdProfile, criteria: Mapping[str, Any]) -> list[str]:
    """The extra criteria the household does not meet (empty: all met)."""
    failures = []
    if criteria.get("ethnic_minority") and not profile.ethnic_minority:
        failures.append("not an ethnic-minority household")
    kinds = criteria.get("commune_kinds")
    if kinds and profile.commune_kind not in kinds:
        failures.append(f"commune type {profile.commune_kind} is not one of {', '.join(kinds)}")
    communes = criteria.get("communes")
    if communes and profile.commune_code not in communes:
        failures.append(f"commune {profile.commune_code} is not on the package's list")
    ages = criteria.get("member_age")
    if ages:
        low, high = ages.get("min", 0), ages.get("max", 200)
        if not any(low <= age <= high for age in profile.member_ages):
            failures.append(f"no member aged {low}–{high}")
    deprived_in = criteria.get("deprived_in")
    if deprived_in and not profile.deprived & set(deprived_in):
        failures.append(f"not deprived in {' or '.join(deprived_in)}")
    return failures


def multiplier_for(profile: HouseholdProfile, terms: PackageTerms) -> tuple[Decimal, str]:
    """The highest multiplier whose conditions the household meets, else the default."""
    best, why = Decimal(terms.default_multiplier), "default provincial multiplier"
    for rule in terms.multipliers:
        value = Decimal(str(rule["multiplier"]))
        if value > best and not criteria_failures(profile, rule.get("when", {})):
            best, why = value, rule.get("label") or f"conditions {dict(rule.get('when', {}))}"
    return best, why


def split_amount(
    amount: int, funding: Sequence[tuple[str, Decimal]]
) -> tuple[tuple[str, int], ...]:
    """Split by shares to the dong: the largest remainders get the leftover dong (ties: the
    source listed first), so the parts always add up to the amount."""
    if not funding:
        return ()
    total_share = sum(Decimal(share) for _, share in funding)
    exact = [(source, Decimal(amount) * Decimal(share) / total_share) for source, share in funding]
    parts = {source: int(value) for source, value in exact}
    leftover = amount - sum(parts.values())
    # ties go to the source listed first
    by_remainder = sorted(exact, key=lambda p: -(p[1] - int(p[1])))
    for source, _ in by_remainder[:leftover]:
        parts[source] += 1
    return tuple((source, parts[source]) for source, _ in funding)


def match(profile: HouseholdProfile, terms: PackageTerms) -> Match:
    reasons: list[str] = []
    qualifying = [
        f"{cls} under {code}"
        for code, cls in profile.classifications.items()
        if cls in terms.eligible.get(code, frozenset())
    ]
    if qualifying:
        reasons.append("classification: " + ", ".join(qualifying))
    else:
        wanted = "; ".join(
            f"{code}: {', '.join(sorted(classes))}"
            for code, classes in sorted(terms.eligible.items())
        )
        held = ", ".join(f"{cls} under {code}" for code, cls in profile.classifications.items())
        reasons.append(f"not eligible by classification (needs {wanted}; has {held or 'none'})")
    failures = criteria_failures(profile, terms.criteria)
    reasons += [f"criterion not met: {f}" for f in failures]
    if terms.criteria and not failures:
        reasons.append("meets the package's criteria")
    over_limit = profile.received_in_period >= terms.limit_per_period
    if over_limit:
        reasons.append(
            f"already received {profile.received_in_period} in the period "
            f"(limit {terms.limit_per_period})"
        )
    if terms.base_amount is None:
        reasons.append("no base amount in force")
    eligible = (
        bool(qualifying) and not failures and not over_limit and terms.base_amount is not None
    )
    if terms.base_amount is None:
        return Match(eligible, tuple(reasons), None, None, None, "No base amount in force.", ())
    multiplier, why = multiplier_for(profile, terms)
    amount = int((Decimal(terms.base_amount) * multiplier).quantize(Decimal(1), ROUND_HALF_UP))
    explanation = f"{terms.base_amount:,} VND × {multiplier.normalize()} ({why}) = {amount:,} VND"
    return Match(
        eligible,
        tuple(reasons),
        terms.base_amount,
        multiplier,
        amount,
        explanation,
        split_amount(amount, terms.funding),
    )
