"""Assessments: the engine's result stored, and reproduced."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..models import Assessment, PovertyStandard, ReviewRound, Survey
from .facts import survey_facts_for
from .standards import standard_spec

INDICATOR_KEYS = ("code", "deprived", "reason_vi", "reason_en")  # an indicator as stored


def _indicator_rows(result: rules.AssessmentResult) -> list[dict[str, Any]]:
    return [{k: getattr(i, k) for k in INDICATOR_KEYS} for i in result.indicators]


def _store_assessment(
    survey: Survey,
    standard: PovertyStandard,
    facts: rules.HouseholdFacts,
    review_round: ReviewRound | None,
    application: str,
) -> Assessment:
    result = rules.assess(facts, standard_spec(standard))
    return Assessment.objects.create(
        household_id=survey.household_id,
        survey=survey,
        standard=standard,
        engine_version=result.engine_version,
        review_round=review_round,
        application=application,
        is_urban=result.is_urban,
        household_size=result.household_size,
        income_per_person_month=result.income_per_person_month,
        line=result.line,
        deprivation_count=result.deprivation_count,
        classification=result.classification,
        indicators=_indicator_rows(result),
        explanation_vi=result.explanation_vi,
        explanation_en=result.explanation_en,
    )


def assessment_reproduce(*, assessment: Assessment) -> dict[str, Any]:
    """Re-run the engine on the stored survey and standard, with the rules as the engine that
    decided applied them: the same inputs give the same answer (`identical`): the same
    class, income, line and area, each indicator's decision and reason, and the same
    explanation; otherwise `differences` names what is not the same, and the re-run's values
    are shown."""
    a = assessment
    engine = a.engine_version
    result = rules.assess(
        survey_facts_for(a.survey),
        standard_spec(a.standard, checked=engine != rules.LEGACY_ENGINE),
        engine=engine,
    )
    rerun_indicators = _indicator_rows(result)
    # Reasons are compared where they were stored (decisions of engine 1.0.0 may lack them).
    stored_indicators = [{k: i[k] for k in INDICATOR_KEYS if k in i} for i in a.indicators]
    # (a re-run with more or fewer indicators than were stored differs by its length)
    paired = zip(stored_indicators, rerun_indicators, strict=False)
    rerun_compared = [{k: new[k] for k in old} for old, new in paired]
    rerun_compared += rerun_indicators[len(stored_indicators) :]
    compared = {
        "classification": (a.classification, result.classification),
        "deprivation_count": (a.deprivation_count, result.deprivation_count),
        "income_per_person_month": (a.income_per_person_month, result.income_per_person_month),
        "line": (a.line, result.line),
        "is_urban": (a.is_urban, result.is_urban),
        "household_size": (a.household_size, result.household_size),
        "indicators": (stored_indicators, rerun_compared),
        "explanation_vi": (a.explanation_vi, result.explanation_vi),
        "explanation_en": (a.explanation_en, result.explanation_en),
    }
    differences = [name for name, (stored, rerun) in compared.items() if stored != rerun]
    return {
        "identical": not differences,
        "differences": differences,
        "stored_engine_version": a.engine_version,
        "engine_version": result.engine_version,
        "classification": result.classification,
        "deprivation_count": result.deprivation_count,
        "income_per_person_month": result.income_per_person_month,
        "line": result.line,
        "indicators": rerun_indicators,
        "explanation_vi": result.explanation_vi,
        "explanation_en": result.explanation_en,
    }
