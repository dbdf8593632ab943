"""Assessments: the engine's result stored, and reproduced."""

from __future__ import annotations

from typing import Any

from .. import rules
from ..models import Assessment, PovertyStandard, ReviewRound, Survey
from .facts import survey_facts_for
from .standards import standard_spec


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
        indicators=[
            {
                "code": i.code,
                "deprived": i.deprived,
                "reason_vi": i.reason_vi,
                "reason_en": i.reason_en,
            }
            for i in result.indicators
        ],
        explanation_vi=result.explanation_vi,
        explanation_en=result.explanation_en,
    )


def assessment_reproduce(*, assessment: Assessment) -> dict[str, Any]:
    """Re-run the engine on the stored survey and standard, with the rules as the engine that
    decided applied them: the same inputs give the same answer (`identical`), or the
    difference is shown."""
    a = assessment
    engine = a.engine_version
    result = rules.assess(
        survey_facts_for(a.survey),
        standard_spec(a.standard, checked=engine != rules.LEGACY_ENGINE),
        engine=engine,
    )
    identical = (
        result.classification == a.classification
        and result.deprivation_count == a.deprivation_count
        and result.income_per_person_month == a.income_per_person_month
        and [i.deprived for i in result.indicators] == [i["deprived"] for i in a.indicators]
    )
    return {
        "identical": identical,
        "stored_engine_version": a.engine_version,
        "engine_version": result.engine_version,
        "classification": result.classification,
        "deprivation_count": result.deprivation_count,
        "income_per_person_month": result.income_per_person_month,
    }
