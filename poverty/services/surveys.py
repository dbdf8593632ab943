"""Surveys: validated against the household and the standards in force on their date, stored,
and assessed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.access import Perm, require, require_household, user_of
from core.errors import Conflict, InvalidInput
from households.choices import HouseholdStatus, MemberStatus
from households.models import Household, Member

from .. import rules
from ..models import (
    INCOME_FIELDS,
    MEMBER_FACT_FIELDS,
    Application,
    PovertyStandard,
    ReviewKind,
    ReviewRound,
    Survey,
    SurveyMember,
)
from .assessments import _store_assessment
from .facts import age_on, household_facts, member_facts, survey_facts_for
from .standards import applicable_standards, standard_spec

# What is plausible in a survey (a value outside gets a 400 naming the field): a floor area
# per person from 1 to 1,000 m², an income up to 10^9 VND per person per month (about 400
# times the highest poverty line), each device listed once.
PLAUSIBLE_M2_PER_PERSON = (Decimal("1"), Decimal("1000"))
PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH = 10**9
# Who a member fact is recorded for: the ages of the rules that read it (their defaults, the
# one source of thresholds: poverty.rules.PARAMETERS).
NUTRITION_BELOW_AGE = rules.PARAMETERS["nutrition"]["child_age"].default
SCHOOLING_FROM_AGE = rules.PARAMETERS["child_schooling"]["min_age"].default


def _validate_survey(
    household: Household,
    values: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
    standards: Sequence[PovertyStandard],
) -> dict[Any, Member]:
    """The survey checked against the household and the standards that apply on its date:
    every present member once, born by the survey date, each fact an applicable indicator
    reads recorded (a null saying "not known" counts as recorded, an omission does not),
    and plausible values."""
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(
            f"Household {household.code} is {household.status}; only active "
            "households are surveyed.",
            code="not_active",
        )
    day: date = values["survey_date"]
    if day > timezone.localdate():
        raise InvalidInput(
            "A survey cannot be dated in the future.", fields={"survey_date": "In the future."}
        )
    present = {m.pk: m for m in household.members.filter(status=MemberStatus.PRESENT)}
    errors: dict[str, list[str]] = {}
    seen = set()
    surveyed: list[tuple[int, Mapping[str, Any], Member]] = []
    for index, row in enumerate(members):
        member = row["member"]
        prefix = f"members.{index}."
        if member.pk not in present:
            errors[f"{prefix}member"] = [
                f"{member.pk} is not a present member of household {household.code}."
            ]
            continue
        if member.pk in seen:
            errors[f"{prefix}member"] = ["Listed twice."]
        seen.add(member.pk)
        if member.date_of_birth > day:
            errors[f"{prefix}member"] = [
                f"Born {member.date_of_birth}, after the survey date {day}: not a member yet."
            ]
            continue
        age = age_on(member.date_of_birth, day)
        if row.get("nutrition") and age >= NUTRITION_BELOW_AGE:
            errors[f"{prefix}nutrition"] = [
                f"Nutrition status is recorded for children under {NUTRITION_BELOW_AGE}; this "
                f"member is {age}."
            ]
        if row.get("schooling") and age < SCHOOLING_FROM_AGE:
            errors[f"{prefix}schooling"] = [
                f"Schooling is not recorded under age {SCHOOLING_FROM_AGE} ({age})."
            ]
        surveyed.append((index, row, member))
    missing = [m for pk, m in present.items() if pk not in seen]
    if missing and not errors:
        errors["members"] = [
            "Every present member is surveyed; missing: " + ", ".join(str(m.pk) for m in missing)
        ]
    if not errors:
        errors.update(_missing_facts(household, values, surveyed, standards))
        errors.update(_implausible(values, len(surveyed)))
    if errors:
        raise InvalidInput(
            "The survey is not valid: " + "; ".join(f"{k}: {v[0]}" for k, v in errors.items()),
            fields=errors,
        )
    return present


def _missing_facts(
    household: Household,
    values: Mapping[str, Any],
    surveyed: Sequence[tuple[int, Mapping[str, Any], Member]],
    standards: Sequence[PovertyStandard],
) -> dict[str, list[str]]:
    """Each fact an indicator of the applicable standards reads, that the survey omits."""
    day = values["survey_date"]
    people = [
        member_facts({"date_of_birth": m.date_of_birth, "sex": m.sex, **row}, day)
        for _, row, m in surveyed
    ]
    specs = [standard_spec(s) for s in standards]
    facts = household_facts({**dict.fromkeys(INCOME_FIELDS, 0), **values}, people, False)
    household_needs, member_needs = rules.needed_facts(specs, facts)
    codes = ", ".join(s.code for s in standards)
    errors: dict[str, list[str]] = {}
    for name in sorted(household_needs - values.keys()):
        errors[name] = [f"Required by {codes}; send null if it is not known."]
    for (index, row, _), needs, person in zip(surveyed, member_needs, people, strict=True):
        for name in sorted(needs - row.keys()):
            errors[f"members.{index}.{name}"] = [
                f"Required for this member (age {person.age}) by {codes}; send null if it is "
                "not known."
            ]
    return errors


def _implausible(values: Mapping[str, Any], size: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    area = values.get("floor_area_m2")
    low, high = PLAUSIBLE_M2_PER_PERSON
    if area is not None and size and not low * size <= Decimal(str(area)) <= high * size:
        errors["floor_area_m2"] = [
            f"{area} m² for {size} members: a floor area per person from {low} to {high} m² is "
            "plausible."
        ]
    income = sum(values.get(f) or 0 for f in INCOME_FIELDS)
    if size and income > PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH * 12 * size:
        errors["income_wages"] = [
            f"{income:,} VND a year for {size} members is more than "
            f"{PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH:,} VND per person per month: check the "
            "amounts (VND over the last 12 months)."
        ]
    devices = values.get("devices")
    if devices and len(set(devices)) != len(devices):
        errors["devices"] = ["Each device is listed once."]
    return errors


def _standards_on(household: Household, day: date) -> list[PovertyStandard]:
    standards = applicable_standards(province_code=household.commune.province_id, on=day)
    if not standards:
        raise InvalidInput(
            f"No published poverty standard applies on {day}: a survey is assessed under the "
            "standards in force on its date.",
            fields={"survey_date": f"No standard in force on {day}."},
            code="no_standard",
        )
    return standards


def _validate_round(
    review_round: ReviewRound | None, household: Household, day: date, application: str
) -> None:
    if review_round is None:
        if application != Application.NONE:
            raise InvalidInput(
                "An application is reviewed in a regular review round.",
                fields={"review_round": "Required with an application."},
            )
        return
    if review_round.province_id != household.commune.province_id:
        raise InvalidInput(
            "The review round belongs to another province.",
            fields={"review_round": "Another province's round."},
        )
    if not review_round.opens <= day <= review_round.closes:
        raise InvalidInput(
            f"The survey date {day} is outside the round ({review_round.opens} – "
            f"{review_round.closes}).",
            fields={"survey_date": "Outside the review round."},
        )
    if review_round.kind == ReviewKind.PERIODIC and application != Application.NONE:
        raise InvalidInput(
            "Applications (Form 04) go to a regular (monthly) review round.",
            fields={"application": "Not in a periodic round."},
        )


@transaction.atomic
def survey_submit(
    *,
    actor,
    household: Household,
    values: dict[str, Any],
    members: Sequence[dict[str, Any]],
    enumerator=None,
    submitted: Mapping[str, Any] | None = None,
    review_round: ReviewRound | None = None,
    application: str = Application.NONE,
) -> Survey:
    """Record a survey and assess it under every standard that applies on its date. The
    enumerator who surveyed defaults to the actor who submits."""
    access = require(actor, Perm.SURVEY_SUBMIT)
    household = Household.objects.select_related("commune").get(pk=household.pk)
    require_household(access, household)
    if enumerator is None:
        enumerator = user_of(actor)
    standards = _standards_on(household, values["survey_date"])
    _validate_survey(household, values, members, standards)
    _validate_round(review_round, household, values["survey_date"], application)
    survey = Survey.objects.create(
        household=household, enumerator=enumerator, submitted=dict(submitted or {}), **values
    )
    SurveyMember.objects.bulk_create(
        SurveyMember(
            survey=survey,
            member=row["member"],
            **{k: v for k, v in row.items() if k in MEMBER_FACT_FIELDS},
        )
        for row in members
    )
    _assess_new_survey(survey, household, standards, review_round, application)
    return survey


def survey_check(
    *, household: Household, values: Mapping[str, Any], members: Sequence[Mapping[str, Any]]
) -> None:
    """The survey's validation on its own (the admin's form shows its errors early; the save
    goes through survey_submit, which checks again)."""
    household = Household.objects.select_related("commune").get(pk=household.pk)
    _validate_survey(household, values, members, _standards_on(household, values["survey_date"]))


def _assess_new_survey(
    survey: Survey,
    household: Household,
    standards: Sequence[PovertyStandard],
    review_round: ReviewRound | None,
    application: str,
) -> None:
    day = survey.survey_date
    newer = Survey.objects.filter(household=household, survey_date__gt=day).exists()
    Survey.objects.filter(household=household, is_latest=True).exclude(pk=survey.pk).filter(
        survey_date__lte=day
    ).update(is_latest=False)
    if newer:
        Survey.objects.filter(pk=survey.pk).update(is_latest=False)
        survey.is_latest = False
    facts = survey_facts_for(survey)
    for standard in standards:
        _store_assessment(survey, standard, facts, review_round, application)
