"""The engine's view of a survey: facts built from survey rows or a stored survey."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .. import rules
from ..fields import HOUSEHOLD_FACT_FIELDS, INCOME_FIELDS, MEMBER_FACT_FIELDS
from ..models import Survey


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _months(birth: date, day: date) -> tuple[int, int]:
    return rules.month_index(birth.year, birth.month), rules.month_index(day.year, day.month)


def member_facts(row: Mapping[str, Any], survey_date: date) -> rules.MemberFacts:
    """The engine's facts of one surveyed member (`row`: date_of_birth, sex and the member
    facts; a fact missing from the row is unknown)."""
    birth = row["date_of_birth"]
    birth_month, survey_month = _months(birth, survey_date)
    return rules.MemberFacts(
        age=age_on(birth, survey_date),
        sex=row["sex"],
        **{name: row.get(name) for name in MEMBER_FACT_FIELDS},
        birth_month=birth_month,
        survey_month=survey_month,
    )


def household_facts(
    survey: Mapping[str, Any], members: Iterable[rules.MemberFacts], is_urban: bool
) -> rules.HouseholdFacts:
    return rules.HouseholdFacts(
        is_urban=is_urban,
        annual_income=sum(survey[f] for f in INCOME_FIELDS),
        members=tuple(members),
        wall_material=survey.get("wall_material"),
        frame_material=survey.get("frame_material"),
        roof_material=survey.get("roof_material"),
        floor_area_m2=survey.get("floor_area_m2"),
        water_source=survey.get("water_source"),
        latrine=survey.get("latrine"),
        uses_internet=survey.get("uses_internet"),
        devices=None if survey.get("devices") is None else frozenset(survey["devices"]),
        waste_treatment=survey.get("waste_treatment"),
    )


def survey_facts_for(survey: Survey) -> rules.HouseholdFacts:
    """Rebuild the engine's input from a stored survey (to reproduce a decision): its answers,
    and the commune's kind and the members' birth dates and sexes as it recorded them on its
    date (not as the commune and the register are now)."""
    rows = survey.members.order_by("id")
    return household_facts(
        {f: getattr(survey, f) for f in INCOME_FIELDS + HOUSEHOLD_FACT_FIELDS},
        [
            member_facts(
                {
                    "date_of_birth": r.date_of_birth,
                    "sex": r.sex,
                    **{k: getattr(r, k) for k in MEMBER_FACT_FIELDS},
                },
                survey.survey_date,
            )
            for r in rows
        ],
        survey.is_urban,
    )
