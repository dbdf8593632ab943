"""Assessments: the engine's result stored, and reproduced."""

from __future__ import annotations

from .. import rules
from ..models import (
    Assessment,
    PovertyStandard,
    ReviewRound,
    Survey,
)
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
