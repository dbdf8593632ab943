"""Surveys: validated against the household and the standards in force on their date, stored,
and assessed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext, ngettext

from core import dates
from core.access import Perm, require, require_household, user_of
from core.errors import Conflict, InvalidInput
from geo.services import urban_on
from households.choices import HouseholdStatus, MemberStatus
from households.models import Household, Member

from .. import rules
from ..fields import INCOME_FIELDS, MEMBER_FACT_FIELDS
from ..models import Application, PovertyStandard, ReviewKind, ReviewRound, Survey, SurveyMember
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
    every present member once, born by the survey date, devices by known codes (the API's
    serializer checks them first; the admin's form takes any JSON), each fact an applicable
    indicator reads recorded (a null saying "not known" counts as recorded, an omission does
    not), and plausible values."""
    if household.status != HouseholdStatus.ACTIVE:
        raise Conflict(
            (
                gettext("Household %(code)s is %(status)s; only active households are surveyed.")
                % {"code": household.code, "status": household.status}
            ),
            code="not_active",
        )
    day: date = values["survey_date"]
    if day > dates.today():
        raise InvalidInput(
            gettext("A survey cannot be dated in the future."),
            fields={"survey_date": gettext("In the future.")},
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
                gettext("%(pk)s is not a present member of household %(code)s.")
                % {"pk": member.pk, "code": household.code}
            ]
            continue
        if member.pk in seen:
            errors[f"{prefix}member"] = [gettext("Listed twice.")]
        seen.add(member.pk)
        if member.date_of_birth > day:
            errors[f"{prefix}member"] = [
                gettext("Born %(date_of_birth)s, after the survey date %(day)s: not a member yet.")
                % {"date_of_birth": member.date_of_birth, "day": day}
            ]
            continue
        age = age_on(member.date_of_birth, day)
        if row.get("nutrition") and age >= NUTRITION_BELOW_AGE:
            errors[f"{prefix}nutrition"] = [
                (
                    gettext(
                        "Nutrition status is recorded for children under "
                        "%(limit)s; this member is %(age)s."
                    )
                    % {"limit": NUTRITION_BELOW_AGE, "age": age}
                )
            ]
        if row.get("schooling") and age < SCHOOLING_FROM_AGE:
            errors[f"{prefix}schooling"] = [
                gettext("Schooling is not recorded under age %(limit)s (%(age)s).")
                % {"limit": SCHOOLING_FROM_AGE, "age": age}
            ]
        surveyed.append((index, row, member))
    missing = [m for pk, m in present.items() if pk not in seen]
    if not present:
        errors["members"] = [
            gettext(
                "Household %(code)s has no present member: record who lives in it before "
                "surveying it."
            )
            % {"code": household.code}
        ]
    elif missing and not errors:
        errors["members"] = [
            gettext("Every present member is surveyed; missing: %(members)s")
            % {"members": ", ".join(str(m.pk) for m in missing)}
        ]
    if not any(name in values for name in INCOME_FIELDS):
        # An income not stated is not an income of 0 (that would make the household poor or
        # near-poor on a guess). Sources not given beside a stated one count as none.
        errors["income_wages"] = [
            gettext(
                "The household's income is not stated: give its income over the last 12 "
                "months by source (0 for a source it had nothing from)."
            )
        ]
    errors.update(_unknown_devices(values.get("devices")))
    if not errors:
        errors.update(_missing_facts(household, values, surveyed, standards))
        errors.update(_implausible(values, len(surveyed)))
    if errors:
        raise InvalidInput(
            gettext("The survey is not valid: %(problems)s")
            % {"problems": "; ".join(f"{k}: {v[0]}" for k, v in errors.items())},
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
        errors[name] = [
            gettext("Required by %(codes)s; send null if it is not known.") % {"codes": codes}
        ]
    for (index, row, _), needs, person in zip(surveyed, member_needs, people, strict=True):
        for name in sorted(needs - row.keys()):
            errors[f"members.{index}.{name}"] = [
                (
                    gettext(
                        "Required for this member (age %(age)s) by %(codes)s; send null if it "
                        "is not known."
                    )
                    % {"age": person.age, "codes": codes}
                )
            ]
    return errors


def _unknown_devices(devices: Any) -> dict[str, list[str]]:
    """`devices`: null (not known) or a list of the engine's device codes (poverty.rules
    .CODES), whichever door the survey came in by; each unknown entry is named by its
    position (`devices.0`), as the API's serializer names it. The words are DRF's
    (translated in core/locale), so the admin and the API say the same."""
    if devices is None:
        return {}
    if not isinstance(devices, list):
        return {
            "devices": [
                gettext('Expected a list of items but got type "{input_type}".').format(
                    input_type=type(devices).__name__
                )
            ]
        }
    known = rules.CODES["device"]
    return {
        f"devices.{index}": [gettext('"{input}" is not a valid choice.').format(input=code)]
        for index, code in enumerate(devices)
        if not isinstance(code, str) or code not in known
    }


def _implausible(values: Mapping[str, Any], size: int) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    area = values.get("floor_area_m2")
    low, high = PLAUSIBLE_M2_PER_PERSON
    if area is not None and size and not low * size <= Decimal(str(area)) <= high * size:
        errors["floor_area_m2"] = [
            (
                ngettext(
                    "%(area)s m² for %(size)s member: a floor area per person from "
                    "%(low)s to %(high)s m² is plausible.",
                    "%(area)s m² for %(size)s members: a floor area per person from "
                    "%(low)s to %(high)s m² is plausible.",
                    size,
                )
                % {"area": area, "size": size, "low": low, "high": high}
            )
        ]
    income = sum(values.get(f) or 0 for f in INCOME_FIELDS)
    if size and income > PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH * 12 * size:
        errors["income_wages"] = [
            (
                ngettext(
                    "%(income)s VND a year for %(size)s member is more than "
                    "%(most)s VND per person per month: "
                    "check the amounts (VND over the last 12 months).",
                    "%(income)s VND a year for %(size)s members is more than "
                    "%(most)s VND per person per month: "
                    "check the amounts (VND over the last 12 months).",
                    size,
                )
                % {
                    "income": f"{income:,}",
                    "size": size,
                    "most": f"{PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH:,}",
                }
            )
        ]
    devices = values.get("devices")
    if devices and len(set(devices)) != len(devices):
        errors["devices"] = [gettext("Each device is listed once.")]
    return errors


def _standards_on(household: Household, day: date) -> list[PovertyStandard]:
    standards = applicable_standards(province_code=household.commune.province_id, on=day)
    if not standards:
        raise InvalidInput(
            (
                gettext(
                    "No published poverty standard applies on %(day)s: a survey is "
                    "assessed under the standards in force on its date."
                )
                % {"day": day}
            ),
            fields={"survey_date": gettext("No standard in force on %(day)s.") % {"day": day}},
            code="no_standard",
        )
    return standards


def _validate_round(
    review_round: ReviewRound | None, household: Household, day: date, application: str
) -> None:
    if review_round is None:
        if application != Application.NONE:
            raise InvalidInput(
                gettext("An application is reviewed in a regular review round."),
                fields={"review_round": gettext("Required with an application.")},
            )
        return
    if review_round.province_id != household.commune.province_id:
        raise InvalidInput(
            gettext("The review round belongs to another province."),
            fields={"review_round": gettext("Another province's round.")},
        )
    if not review_round.opens <= day <= review_round.closes:
        raise InvalidInput(
            (
                gettext("The survey date %(day)s is outside the round (%(opens)s – %(closes)s).")
                % {"day": day, "opens": review_round.opens, "closes": review_round.closes}
            ),
            fields={"survey_date": gettext("Outside the review round.")},
        )
    if review_round.kind == ReviewKind.PERIODIC and application != Application.NONE:
        raise InvalidInput(
            gettext("Applications (Form 04) go to a regular (monthly) review round."),
            fields={"application": gettext("Not in a periodic round.")},
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
    # The commune's kind on the survey date (a field app's survey may come after a change of
    # it: geo's dated changes), and the members' birth dates and sexes as they are when the
    # survey is recorded (the register keeps no dated past of them): its assessments, their
    # reproduction and the what-if read these, never later edits.
    survey = Survey.objects.create(
        household=household,
        enumerator=enumerator,
        submitted=dict(submitted or {}),
        is_urban=urban_on(household.commune, values["survey_date"]),
        # not the latest when a newer one is recorded (an offline app's survey sent late):
        # so its history record and its change-feed event say
        is_latest=not Survey.objects.filter(
            household=household, survey_date__gt=values["survey_date"]
        ).exists(),
        **values,
    )
    SurveyMember.objects.bulk_create(
        SurveyMember(
            survey=survey,
            member=row["member"],
            date_of_birth=row["member"].date_of_birth,
            sex=row["member"].sex,
            **{k: v for k, v in row.items() if k in MEMBER_FACT_FIELDS},
        )
        for row in members
    )
    _assess_new_survey(survey, household, standards, review_round, application)
    return survey


def survey_check(
    *,
    actor,
    household: Household,
    values: Mapping[str, Any],
    members: Sequence[Mapping[str, Any]],
) -> None:
    """The survey's validation on its own (the admin's form shows its errors early; the save
    goes through survey_submit, which checks again). The actor's role and area come first: a
    household outside the area is answered as one that does not exist (docs/security.md §2),
    before any check that would tell something about it or its members."""
    access = require(actor, Perm.SURVEY_SUBMIT)
    found = (
        Household.objects.select_related("commune")
        .filter(access.area_q("commune", "village"), pk=household.pk)
        .first()
    )
    if found is None:
        # DRF's words for an unknown id (translated in core/locale), as the API answers
        unknown = gettext('Invalid pk "{pk_value}" - object does not exist.').format(
            pk_value=household.pk
        )
        raise InvalidInput(unknown, fields={"household": unknown})
    _validate_survey(found, values, members, _standards_on(found, values["survey_date"]))


def _assess_new_survey(
    survey: Survey,
    household: Household,
    standards: Sequence[PovertyStandard],
    review_round: ReviewRound | None,
    application: str,
) -> None:
    # The survey it replaces as the latest is saved, not updated in bulk: the change has its
    # history record and change-feed event (consumers read which survey is the latest there).
    replaced = Survey.objects.filter(household=household, is_latest=True).exclude(pk=survey.pk)
    for previous in replaced.filter(survey_date__lte=survey.survey_date):
        previous.is_latest = False
        previous.save(update_fields=["is_latest"])
    facts = survey_facts_for(survey)
    for standard in standards:
        _store_assessment(survey, standard, facts, review_round, application)
