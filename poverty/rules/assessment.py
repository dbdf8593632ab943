"""The engine's entry points: assess a household under a standard (with reasons), say which
facts a survey needs, and classify in bulk (without reasons)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from .classification import _explain, classify, within_line
from .facts import HouseholdFacts
from .indicators import RULES
from .legacy import _legacy_facts
from .specs import (
    ENGINE_VERSION,
    LEGACY_ENGINE,
    AssessmentResult,
    IndicatorResult,
    IndicatorSpec,
    StandardSpec,
)


def assess(
    facts: HouseholdFacts, standard: StandardSpec, engine: str = ENGINE_VERSION
) -> AssessmentResult:
    """Evaluate every indicator of ``standard`` on ``facts`` and classify the household.
    ``engine=LEGACY_ENGINE`` applies the rules as version 1.0.0 did (to reproduce a decision
    it took)."""
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household must have at least one member to be assessed")
    unknown_rules = [spec.rule for spec in standard.indicators if spec.rule not in RULES]
    if unknown_rules:
        raise ValueError(f"unknown indicator rule(s): {', '.join(map(repr, unknown_rules))}")
    if engine == LEGACY_ENGINE:
        facts = _legacy_facts(facts)
    elif engine != ENGINE_VERSION:
        raise ValueError(f"unknown engine version {engine!r}")

    results: list[IndicatorResult] = []
    deprived_specs: list[IndicatorSpec] = []
    unknown_specs: list[IndicatorSpec] = []
    for spec in standard.indicators:
        deprived, reason_vi, reason_en = spec.compiled(engine).reasons(facts)
        results.append(IndicatorResult(spec.code, deprived, reason_vi, reason_en))
        if deprived:
            deprived_specs.append(spec)
        elif deprived is None:
            unknown_specs.append(spec)

    line = standard.urban_line if facts.is_urban else standard.rural_line
    band_top = standard.urban_average_max if facts.is_urban else standard.rural_average_max
    classification = classify(
        facts.annual_income,
        size,
        line,
        band_top,
        len(deprived_specs),
        standard.min_deprivations,
        len(unknown_specs),
    )
    explanation_vi, explanation_en = _explain(
        facts, standard, size, line, band_top, deprived_specs, unknown_specs, classification
    )
    return AssessmentResult(
        standard_code=standard.code,
        engine_version=engine,
        household_size=size,
        income_per_person_month=facts.annual_income // (12 * size),
        line=line,
        is_urban=facts.is_urban,
        deprivation_count=len(deprived_specs),
        unknown=tuple(s.code for s in unknown_specs),
        classification=classification,
        indicators=tuple(results),
        explanation_vi=explanation_vi,
        explanation_en=explanation_en,
    )


# ------------------------------------------------------------------------------ what a survey needs


def needed_facts(
    standards: Sequence[StandardSpec], facts: HouseholdFacts
) -> tuple[set[str], list[set[str]]]:
    """The facts the standards' indicators read for this household: household facts, and for
    each member (in order) the member facts that apply to them (by age). A survey records
    each of these, or says explicitly that it is unknown."""
    household: set[str] = set()
    members: list[set[str]] = [set() for _ in facts.members]
    for standard in standards:
        for spec in standard.indicators:
            check = spec.check
            household.update(check.household_needs)
            for name, applies in check.member_needs:
                for i, m in enumerate(facts.members):
                    if applies(m):
                        members[i].add(name)
    return household, members


# ------------------------------------------------------------------------------ bulk


@dataclass(frozen=True)
class BulkPlan:
    """Several standards prepared for bulk classification: an indicator that two standards
    share (same rule, same parameters) is evaluated once per household."""

    standards: tuple[StandardSpec, ...]
    unique: tuple[IndicatorSpec, ...]
    uses: tuple[tuple[int, ...], ...]  # per standard: positions in `unique`


def bulk_plan(standards: Sequence[StandardSpec]) -> BulkPlan:
    keys: dict[tuple[str, str], int] = {}
    unique: list[IndicatorSpec] = []
    uses = []
    for standard in standards:
        positions = []
        for spec in standard.indicators:
            if spec.rule not in RULES:
                raise ValueError(f"unknown indicator rule {spec.rule!r}")
            key = (spec.rule, json.dumps(spec.params, sort_keys=True, default=sorted))
            if key not in keys:
                keys[key] = len(unique)
                unique.append(spec)
            positions.append(keys[key])
        uses.append(tuple(positions))
    return BulkPlan(tuple(standards), tuple(unique), tuple(uses))


def classify_bulk(plan: BulkPlan, facts: HouseholdFacts) -> tuple[str, ...]:
    """The class under each standard of the plan; the same answer as ``assess`` gives, without
    reasons or explanations (for re-assessing a whole province). Indicators are evaluated only
    for a standard whose income line the household is within, each at most once."""
    size = len(facts.members)
    if size < 1:
        raise ValueError("a household must have at least one member to be assessed")
    income, urban = facts.annual_income, facts.is_urban
    known: dict[int, bool | None] = {}
    classes = []
    for standard, positions in zip(plan.standards, plan.uses, strict=True):
        line = standard.urban_line if urban else standard.rural_line
        count = unknown = 0
        if within_line(income, size, line):
            for i in positions:
                if i not in known:
                    known[i] = plan.unique[i].check.deprived(facts)
                result = known[i]
                count += result is True
                unknown += result is None
        band_top = standard.urban_average_max if urban else standard.rural_average_max
        classes.append(
            classify(income, size, line, band_top, count, standard.min_deprivations, unknown)
        )
    return tuple(classes)
