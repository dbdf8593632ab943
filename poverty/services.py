"""Eligibility use cases: standards, surveys, assessments, the review workflow, official
statuses and what-if re-assessment. Rules live in poverty.rules (pure); this is the I/O.

Every write takes the acting user (`actor`; `core.access.SYSTEM` for commands) and checks
their role and area itself, whichever door it came in by (API, admin, field upload)."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone

from core.access import (
    Access,
    Perm,
    require,
    require_area,
    require_household,
    require_province,
    user_of,
)
from core.errors import Conflict, DomainError, InvalidInput, check_version
from geo.models import Commune
from households.choices import HouseholdStatus, MemberStatus
from households.models import Household, Member

from . import rules, timeline, workflow
from .choices import Classification, Scope, StandardStatus
from .models import (
    Application,
    Assessment,
    AssessmentStep,
    Complaint,
    ComplaintStatus,
    Indicator,
    OfficialStatus,
    PovertyStandard,
    ReviewKind,
    ReviewRound,
    StatusEvent,
    Survey,
    SurveyMember,
    WhatIfChange,
    WhatIfRun,
    WorkflowState,
)

INCOME_FIELDS = (
    "income_wages",
    "income_agriculture",
    "income_business",
    "income_allowances",
    "income_other",
)
HOUSEHOLD_FACT_FIELDS = (
    "wall_material",
    "frame_material",
    "roof_material",
    "floor_area_m2",
    "water_source",
    "latrine",
    "uses_internet",
    "devices",
    "waste_treatment",
)
MEMBER_FACT_FIELDS = (
    "has_health_insurance",
    "schooling",
    "education_level",
    "employment",
    "receives_social_allowance",
    "nutrition",
)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# ---------------------------------------------------------------------------- standards


_SPEC_CACHE: dict[Any, rules.StandardSpec] = {}


def standard_spec(standard: PovertyStandard, *, checked: bool = True) -> rules.StandardSpec:
    """The engine's view of a standard. Published standards never change, so it is cached.
    `checked`: every indicator's rule compiles with its parameters, or the standard is
    refused (409, naming the indicator and the parameter); reproducing a decision of engine
    1.0.0 reads its parameters as that engine did, unchecked."""
    if standard.status == StandardStatus.PUBLISHED and standard.pk in _SPEC_CACHE:
        spec = _SPEC_CACHE[standard.pk]
        if checked:
            _check_spec(standard, spec)
        return spec
    spec = rules.StandardSpec(
        code=standard.code,
        rural_line=standard.rural_line,
        urban_line=standard.urban_line,
        rural_average_max=standard.rural_average_max,
        urban_average_max=standard.urban_average_max,
        min_deprivations=standard.min_deprivations,
        indicators=tuple(
            rules.IndicatorSpec(
                code=i.code,
                dimension=i.dimension,
                name_vi=i.name_vi,
                name_en=i.name_en,
                rule=i.rule,
                params=i.params,
            )
            for i in standard.indicators.order_by("position", "code")
        ),
    )
    if standard.status == StandardStatus.PUBLISHED:
        _SPEC_CACHE[standard.pk] = spec
    if checked:
        _check_spec(standard, spec)
    return spec


def _check_spec(
    standard: PovertyStandard, spec: rules.StandardSpec, error: type[DomainError] = Conflict
) -> None:
    """Each indicator's rule compiles with its parameters (once per spec), or `error` names
    the first indicator and parameter at fault."""
    for position, indicator in enumerate(spec.indicators):
        try:
            indicator.check  # noqa: B018  (compiles, and caches the compiled rule)
        except rules.ParamError as exc:
            raise error(
                f"Standard {standard} cannot be evaluated: indicator {indicator.code}, parameter "
                f"{exc.name}: {exc.reason}.",
                fields={f"indicators.{position}.params.{exc.name}": exc.reason},
                code="standard_not_evaluable",
            ) from None


def applicable_standards(*, province_code: str, on: date) -> list[PovertyStandard]:
    """Published standards in force on the date for a household of the province: the
    national one and any provincial one, each at its latest published revision."""
    candidates = (
        PovertyStandard.objects.filter(
            Q(scope=Scope.NATIONAL) | Q(scope=Scope.PROVINCIAL, province_id=province_code),
            status=StandardStatus.PUBLISHED,
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .order_by("code", "-revision")
    )
    latest: dict[str, PovertyStandard] = {}
    for standard in candidates:
        latest.setdefault(standard.code, standard)
    return list(latest.values())


def _require_draft(standard: PovertyStandard) -> None:
    if standard.status != StandardStatus.DRAFT:
        raise Conflict(
            f"Standard {standard} is published and immutable; publish a correction as a new "
            "revision instead.",
            code="standard_published",
        )


def _standard_province(values: Mapping[str, Any]) -> str | None:
    province = values.get("province")
    return province.code if province and values.get("scope") == Scope.PROVINCIAL else None


def _require_standards(actor, standard: PovertyStandard | None = None) -> Access:
    access = require(actor, Perm.STANDARDS_MANAGE)
    if standard is not None:
        require_province(access, standard.province_id)
    return access


@transaction.atomic
def standard_create(
    *, actor, values: dict[str, Any], indicators: Sequence[dict[str, Any]]
) -> PovertyStandard:
    require_province(_require_standards(actor), _standard_province(values))
    _validate_standard(values, indicators)
    revision = (
        PovertyStandard.objects.filter(code=values["code"])
        .order_by("-revision")
        .values_list("revision", flat=True)
        .first()
        or 0
    ) + 1
    standard = PovertyStandard.objects.create(
        revision=revision, status=StandardStatus.DRAFT, **values
    )
    _write_indicators(standard, indicators)
    return standard


@transaction.atomic
def standard_update(
    *,
    actor,
    standard: PovertyStandard,
    values: dict[str, Any],
    indicators: Sequence[dict[str, Any]] | None,
) -> PovertyStandard:
    standard = PovertyStandard.objects.select_for_update().get(pk=standard.pk)
    access = _require_standards(actor, standard)
    _require_draft(standard)
    merged = {
        f: getattr(standard, f)
        for f in (
            "scope",
            "province",
            "valid_from",
            "valid_to",
            "rural_line",
            "urban_line",
            "rural_average_max",
            "urban_average_max",
        )
    }
    merged.update(values)
    require_province(access, _standard_province(merged))
    _validate_standard(merged, indicators)
    for name, value in values.items():
        setattr(standard, name, value)
    standard.save()
    if indicators is not None:
        standard.indicators.all().delete()
        _write_indicators(standard, indicators)
    return standard


@transaction.atomic
def standard_publish(*, actor, standard: PovertyStandard) -> PovertyStandard:
    standard = PovertyStandard.objects.select_for_update().get(pk=standard.pk)
    _require_standards(actor, standard)
    _require_draft(standard)
    if not standard.indicators.exists():
        raise InvalidInput(
            "A standard needs at least one indicator before it is published.",
            fields={"indicators": "No indicators."},
        )
    _check_spec(standard, standard_spec(standard, checked=False), InvalidInput)
    standard.status = StandardStatus.PUBLISHED
    standard.published_at = timezone.now()
    standard.save()
    return standard


@transaction.atomic
def standard_new_revision(*, actor, standard: PovertyStandard) -> PovertyStandard:
    """A draft copy of a standard (indicators included) to correct and publish; the new
    revision supersedes the old one from publication on."""
    _require_standards(actor, standard)
    latest = PovertyStandard.objects.filter(code=standard.code).order_by("-revision").first()
    copy = PovertyStandard.objects.get(pk=standard.pk)
    copy.pk = None
    copy.id = None
    copy._state.adding = True
    copy.revision = latest.revision + 1
    copy.status = StandardStatus.DRAFT
    copy.published_at = None
    copy.supersedes = standard
    copy.save()
    Indicator.objects.bulk_create(
        Indicator(
            standard=copy,
            code=i.code,
            position=i.position,
            dimension=i.dimension,
            name_vi=i.name_vi,
            name_en=i.name_en,
            rule=i.rule,
            params=i.params,
            sources=i.sources,
            to_confirm=i.to_confirm,
            notes=i.notes,
        )
        for i in standard.indicators.all()
    )
    return copy


def _validate_standard(values: Mapping[str, Any], indicators) -> None:
    errors: dict[str, str] = {}
    if values.get("scope") == Scope.PROVINCIAL and not values.get("province"):
        errors["province"] = "A provincial standard names its province."
    if values.get("scope") == Scope.NATIONAL and values.get("province"):
        errors["province"] = "A national standard has no province."
    if values.get("valid_to") and values["valid_to"] < values["valid_from"]:
        errors["valid_to"] = "Ends before it starts."
    for area in ("rural", "urban"):
        top = values.get(f"{area}_average_max")
        if top is not None and top <= values[f"{area}_line"]:
            errors[f"{area}_average_max"] = "The average band's top must be above the line."
    if indicators is not None:
        codes = [i["code"] for i in indicators]
        if len(codes) != len(set(codes)):
            errors["indicators"] = "Indicator codes must be unique within a standard."
    if errors:
        raise InvalidInput(
            "The standard is not consistent: " + "; ".join(f"{k}: {v}" for k, v in errors.items()),
            fields=errors,
        )


def _write_indicators(standard: PovertyStandard, indicators: Sequence[dict[str, Any]]) -> None:
    """Write the indicators; their parameters' sources default to the rule's own (a draft's
    changed values are to be sourced by whoever changes them)."""
    Indicator.objects.bulk_create(
        Indicator(
            standard=standard,
            position=i.get("position") or n,
            **{k: v for k, v in i.items() if k not in ("position", "sources")},
            sources=i.get("sources") or rules.param_sources(i["rule"]),
        )
        for n, i in enumerate(indicators, start=1)
    )
    _SPEC_CACHE.pop(standard.pk, None)


# ---------------------------------------------------------------------------- surveys


# What is plausible in a survey (a value outside gets a 400 naming the field): a floor area
# per person from 1 to 1,000 m², an income up to 10^9 VND per person per month (about 400
# times the highest poverty line), each device listed once.
PLAUSIBLE_M2_PER_PERSON = (Decimal("1"), Decimal("1000"))
PLAUSIBLE_MAX_INCOME_PER_PERSON_MONTH = 10**9


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
        wall_material=survey["wall_material"],
        frame_material=survey["frame_material"],
        roof_material=survey["roof_material"],
        floor_area_m2=survey["floor_area_m2"],
        water_source=survey["water_source"],
        latrine=survey["latrine"],
        uses_internet=survey["uses_internet"],
        devices=None if survey.get("devices") is None else frozenset(survey["devices"]),
        waste_treatment=survey.get("waste_treatment"),
    )


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
        if row.get("nutrition") and age >= 16:
            errors[f"{prefix}nutrition"] = [
                f"Nutrition status is recorded for children under 16; this member is {age}."
            ]
        if row.get("schooling") and age < 3:
            errors[f"{prefix}schooling"] = [f"Schooling is not recorded under age 3 ({age})."]
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


def survey_facts_for(survey: Survey) -> rules.HouseholdFacts:
    """Rebuild the engine's input from a stored survey (to reproduce a decision)."""
    rows = survey.members.select_related("member").order_by("id")
    return household_facts(
        {f: getattr(survey, f) for f in INCOME_FIELDS + HOUSEHOLD_FACT_FIELDS},
        [
            member_facts(
                {
                    "date_of_birth": r.member.date_of_birth,
                    "sex": r.member.sex,
                    **{k: getattr(r, k) for k in MEMBER_FACT_FIELDS},
                },
                survey.survey_date,
            )
            for r in rows
        ],
        survey.household.commune.is_urban,
    )


# ---------------------------------------------------------------------------- review rounds


def review_round_create(*, actor, values: dict[str, Any]) -> ReviewRound:
    require_province(require(actor, Perm.ROUNDS_MANAGE), values["province"].code)
    kind, year = values["kind"], values["year"]
    errors = {}
    if kind == ReviewKind.PERIODIC:
        values.setdefault("opens", date(year, 9, 1))
        values.setdefault("closes", date(year, 12, 14))
        if values.get("month"):
            errors["month"] = "A periodic round covers the year, not a month."
        if values["opens"] < date(year, 9, 1) or values["closes"] > date(year, 12, 14):
            errors["opens"] = "The periodic review runs within 1 September – 14 December."
    else:
        month = values.get("month")
        if not month:
            raise InvalidInput("A regular round names its month.", fields={"month": "Required."})
        values.setdefault("opens", date(year, month, 15))
        values.setdefault("closes", date(year + month // 12, month % 12 + 1, 14))
    if values["closes"] < values["opens"]:
        errors["closes"] = "Closes before it opens."
    if errors:
        raise InvalidInput("The review round is not valid.", fields=errors)
    values.setdefault(
        "name",
        f"{ReviewKind(kind).label} {year}"
        + (f"-{values['month']:02d}" if values.get("month") else ""),
    )
    if ReviewRound.objects.filter(
        province=values["province"], kind=kind, year=year, month=values.get("month")
    ).exists():
        raise Conflict("That review round already exists.", code="round_exists")
    return ReviewRound.objects.create(**values)


# ---------------------------------------------------------------------------- workflow
# Which step may follow which state is poverty.workflow.STEPS; "today" is always the
# server's (timezone.localdate(), Asia/Ho_Chi_Minh), never a date the client sent.


_UNVERSIONED: Any = object()  # complaints are lodged and resolved without naming a version


def _locked(assessment: Assessment, expected_version: int | None, actor, perm: Perm) -> Assessment:
    """The assessment, locked, once the actor's role and area allow `perm` on it."""
    access = require(actor, perm)
    locked = (
        Assessment.objects.select_for_update()
        .select_related("household__commune")
        .get(pk=assessment.pk)
    )
    require_household(access, locked.household)
    if expected_version is not _UNVERSIONED:
        check_version(locked.version, expected_version)
    return locked


def _require_step(a: Assessment, step: str, today: date) -> None:
    """409 unless the workflow accepts `step` now, naming the steps it accepts."""
    review = workflow.Review(
        state=a.state,
        today=today,
        posted_to=a.posted_to,
        open_complaints=a.state == WorkflowState.POSTED
        and a.complaints.filter(status=ComplaintStatus.OPEN).exists(),
        undetermined=a.classification == Classification.UNDETERMINED,
    )
    refusal = workflow.refusal(step, review)
    if refusal is not None:
        allowed = workflow.allowed(review)
        raise Conflict(
            f"{refusal.reason} Allowed now: {', '.join(allowed) or 'none (the review is over)'}.",
            code=refusal.code,
            fields={"state": f"Is {a.state}."},
            extra={"allowed": allowed},
        )


def _require_past(today: date, **dates: date) -> None:
    """400 naming each date that lies after `today`: what has happened is not in the future."""
    future = {name: "Cannot be in the future." for name, day in dates.items() if day > today}
    if future:
        raise InvalidInput(f"{', '.join(future)}: cannot be after today ({today}).", fields=future)


def _step(
    assessment: Assessment,
    *,
    action: str,
    to_state: str,
    actor,
    notes: str = "",
    attachments: Sequence[str] = (),
    data: Mapping[str, Any] | None = None,
) -> Assessment:
    """Record a step (checked by `_require_step` first) and move to `to_state`."""
    AssessmentStep.objects.create(
        assessment=assessment,
        action=action,
        from_state=assessment.state,
        to_state=to_state,
        actor=user_of(actor),
        notes=notes,
        attachments=list(attachments),
        data={k: str(v) if isinstance(v, date) else v for k, v in (data or {}).items()},
    )
    assessment.state = to_state
    assessment.version += 1
    assessment._change_reason = action
    assessment.save()
    return assessment


@transaction.atomic
def assessment_record_meeting(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    meeting_date: date,
    attendees: int,
    agreeing: int,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The village meeting: agreed by at least half of attendees, or sent back to survey."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.VILLAGE_MEETING, today)
    if attendees < 1 or not 0 <= agreeing <= attendees:
        raise InvalidInput(
            "Agreeing votes must be between 0 and the number of attendees.",
            fields={"agreeing": f"0 to {attendees}."},
        )
    _require_past(today, meeting_date=meeting_date)
    if meeting_date < a.survey.survey_date:
        raise InvalidInput(
            "The meeting cannot be before the survey.",
            fields={"meeting_date": "Before the survey date."},
        )
    a.meeting_date, a.meeting_attendees, a.meeting_agreeing = meeting_date, attendees, agreeing
    agreed = agreeing * 2 >= attendees  # at least 50% of attendees
    return _step(
        a,
        action="village_meeting",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.VILLAGE_AGREED if agreed else WorkflowState.RETURNED,
        data={
            "meeting_date": meeting_date,
            "attendees": attendees,
            "agreeing": agreeing,
            "share": round(agreeing / attendees, 4),
        },
    )


@transaction.atomic
def assessment_post(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    posted_from: date,
    posted_to: date,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The public posting of the result (complaints are lodged while it is posted). It has
    begun (`posted_from` is not in the future); its end is announced with it, so `posted_to`
    may be. It lasts at least POVERTY_POSTING_MIN_WORKING_DAYS working days."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.POST, today)
    _require_past(today, posted_from=posted_from)
    if a.meeting_date and posted_from < a.meeting_date:
        raise InvalidInput(
            "Posting starts after the village meeting.",
            fields={"posted_from": "Before the meeting."},
        )
    problem = workflow.posting_problem(
        posted_from,
        posted_to,
        minimum=settings.POVERTY_POSTING_MIN_WORKING_DAYS,
        holidays=settings.POVERTY_PUBLIC_HOLIDAYS,
    )
    if problem:
        raise InvalidInput(problem, fields={"posted_to": problem})
    a.posted_from, a.posted_to = posted_from, posted_to
    return _step(
        a,
        action="post",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.POSTED,
        data={"posted_from": posted_from, "posted_to": posted_to},
    )


@transaction.atomic
def complaint_lodge(
    *, assessment: Assessment, lodged_by: str, lodged_on: date, text: str, actor
) -> Complaint:
    """A complaint about a result while it is publicly posted."""
    a = _locked(assessment, _UNVERSIONED, actor, Perm.ASSESSMENT_REVIEW)
    today = timezone.localdate()
    _require_step(a, workflow.COMPLAINTS, today)
    _require_past(today, lodged_on=lodged_on)
    complaint = Complaint.objects.create(
        assessment=a, lodged_by=lodged_by, lodged_on=lodged_on, text=text
    )
    AssessmentStep.objects.create(
        assessment=a,
        action="complaint",
        from_state=a.state,
        to_state=a.state,
        actor=user_of(actor),
        data={"complaint": str(complaint.pk)},  # who and what: on the complaint (personal)
    )
    return complaint


@transaction.atomic
def complaint_resolve(*, complaint: Complaint, upheld: bool, resolution: str, actor) -> Complaint:
    """Re-checked by the commune: an upheld complaint sends the assessment back to survey.
    The time of the resolution is the server's (`resolved_at`), never sent by the client."""
    a = _locked(complaint.assessment, _UNVERSIONED, actor, Perm.ASSESSMENT_REVIEW)
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != ComplaintStatus.OPEN:
        raise Conflict(f"The complaint is already {complaint.status}.", code="not_open")
    if upheld:
        _require_step(a, workflow.COMPLAINTS, timezone.localdate())
    complaint.status = ComplaintStatus.UPHELD if upheld else ComplaintStatus.DISMISSED
    complaint.resolution, complaint.resolved_by = resolution, user_of(actor)
    complaint.resolved_at = timezone.now()
    complaint.save()
    if upheld:
        _step(
            a,
            action="complaint_upheld",
            actor=actor,
            notes=resolution,
            to_state=WorkflowState.RETURNED,
            data={"complaint": str(complaint.pk)},
        )
    else:
        AssessmentStep.objects.create(
            assessment=a,
            action="complaint_dismissed",
            from_state=a.state,
            to_state=a.state,
            actor=user_of(actor),
            notes=resolution,
            data={"complaint": str(complaint.pk)},
        )
    return complaint


@transaction.atomic
def assessment_approve(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    decision_number: str,
    decision_date: date,
    certificate_number: str = "",
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    """The commune's decision, once the posting period is over by the server's clock and
    every complaint is handled; dated after the posting, not in the future. Only now does
    the household's official status change."""
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_APPROVE)
    today = timezone.localdate()
    _require_step(a, workflow.APPROVE, today)
    _require_past(today, decision_date=decision_date)
    if decision_date <= a.posted_to:
        raise InvalidInput(
            f"The result was posted until {a.posted_to}; the decision is dated after it.",
            fields={"decision_date": f"Not after the posting period (until {a.posted_to})."},
        )
    a.decision_number, a.decision_date = decision_number, decision_date
    a.certificate_number = certificate_number
    _step(
        a,
        action="approve",
        actor=actor,
        notes=notes,
        attachments=attachments,
        to_state=WorkflowState.APPROVED,
        data={
            "decision_number": decision_number,
            "decision_date": decision_date,
            "certificate_number": certificate_number,
        },
    )
    _apply_official_status(a)
    return a


@transaction.atomic
def assessment_reject(
    *,
    assessment: Assessment,
    expected_version: int | None,
    actor,
    reason: str,
    notes: str = "",
    attachments: Sequence[str] = (),
) -> Assessment:
    a = _locked(assessment, expected_version, actor, Perm.ASSESSMENT_APPROVE)
    _require_step(a, workflow.REJECT, timezone.localdate())
    a.rejection_reason = reason
    return _step(
        a,
        action="reject",
        actor=actor,
        notes="\n".join(filter(None, [reason, notes])),
        attachments=attachments,
        to_state=WorkflowState.REJECTED,
    )


def _apply_official_status(a: Assessment) -> OfficialStatus:
    on = a.decision_date
    current = (
        OfficialStatus.objects.select_for_update()
        .filter(household_id=a.household_id, standard_id=a.standard_id, valid_to__isnull=True)
        .first()
    )
    if current is not None and on <= current.valid_from:
        raise Conflict(
            f"A later decision ({current.valid_from}) already sets this household's "
            "status under this standard.",
            code="superseded",
        )
    voluntary = a.application == Application.VOLUNTARY_EXIT
    new_class = Classification.NOT_POOR if voluntary else a.classification
    window_start = timeline.years_before(on, settings.POVERTY_RELAPSE_YEARS)
    escaped_recently = OfficialStatus.objects.filter(
        household_id=a.household_id,
        standard_id=a.standard_id,
        event__in=[StatusEvent.ESCAPED, StatusEvent.VOLUNTARY_EXIT],
        valid_from__gte=window_start,
    ).exists()
    event = timeline.status_event(
        previous=current.classification if current else None,
        new=new_class,
        voluntary=voluntary,
        escaped_within_window=escaped_recently,
    )
    if current is not None:
        current.valid_to = on
        current.save(update_fields=["valid_to"])
    return OfficialStatus.objects.create(
        household_id=a.household_id,
        standard_id=a.standard_id,
        classification=new_class,
        valid_from=on,
        assessment=a,
        event=event,
    )


# ---------------------------------------------------------------------------- what-if


SURVEY_ROW = (
    "survey_date",
    "household__commune_id",
    "household__commune__is_urban",
    *INCOME_FIELDS,
    *HOUSEHOLD_FACT_FIELDS,
)
MEMBER_ROW = ("member__date_of_birth", "member__sex", *MEMBER_FACT_FIELDS)
FACTS_CHUNK = 20_000  # rows fetched at a time from each stream


def latest_survey_querysets(commune: Commune | None = None, area: Q | None = None):
    """The latest surveys of active households (in the commune and area), and their members'
    facts, both ordered by survey id, as value tuples: (survey id, household id, *SURVEY_ROW)
    and (survey id, *MEMBER_ROW). Ids come as text, which loads several times faster than
    UUIDs; a caller parses the few it keeps."""
    surveys = Survey.objects.filter(
        area or Q(), is_latest=True, household__status=HouseholdStatus.ACTIVE
    )
    if commune is not None:
        surveys = surveys.filter(household__commune=commune)
    members = SurveyMember.objects.filter(survey__in=surveys.values("id"))
    return (
        surveys.order_by("id").values_list(
            Cast("id", CharField()), Cast("household_id", CharField()), *SURVEY_ROW
        ),
        members.order_by("survey_id", "id").values_list(
            Cast("survey_id", CharField()), *MEMBER_ROW
        ),
    )


class LatestSurvey(NamedTuple):
    id: str  # ids as text (hex, with or without dashes): uuid.UUID(text) parses either
    household_id: str
    survey_date: date
    commune_id: str


def latest_facts(
    commune: Commune | None = None, area: Q | None = None
) -> Iterator[tuple[LatestSurvey, rules.HouseholdFacts]]:
    """Stream (survey, facts) for the latest survey of every active household (in the commune
    and area). Two queries, each run once and read side by side as ordered streams (surveys
    by id, members by survey id; server-side cursors on PostgreSQL), never one per household.
    Must run inside a transaction (the cursors live in it)."""
    if not connection.in_atomic_block:
        raise RuntimeError("latest_facts() reads through cursors that need a transaction")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # PostgreSQL plans a cursor for its first 10% of rows by default (nested loops
            # over indexes); every row is read here, so plan for all of them (hash joins).
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
    surveys, members = latest_survey_querysets(commune, area)
    n_income = len(INCOME_FIELDS)
    member_rows = members.iterator(chunk_size=FACTS_CHUNK)
    pending = next(member_rows, None)
    for row in surveys.iterator(chunk_size=FACTS_CHUNK):
        survey_id, household_id, day, commune_code, is_urban = row[:5]
        # Members of a survey that is not in the survey stream (committed between the two
        # queries' snapshots) are skipped, never attached to the next survey.
        while pending is not None and pending[0] < survey_id:
            pending = next(member_rows, None)
        people = []
        while pending is not None and pending[0] == survey_id:
            _, birth, sex, insured, schooling, education, employment, allowance, food = pending
            people.append(
                rules.MemberFacts(
                    age_on(birth, day), sex, insured, schooling, education, employment,
                    allowance, food, birth.year * 12 + birth.month - 1,
                    day.year * 12 + day.month - 1,
                )
            )  # fmt: skip
            pending = next(member_rows, None)
        if not people:
            continue
        walls, frame, roof, area_m2, water, latrine, internet, devices, waste = row[5 + n_income :]
        facts = rules.HouseholdFacts(
            is_urban=is_urban, annual_income=sum(row[5 : 5 + n_income]),
            members=tuple(people), wall_material=walls, frame_material=frame,
            roof_material=roof, floor_area_m2=float(area_m2), water_source=water,
            latrine=latrine, uses_internet=internet,
            devices=None if devices is None else frozenset(devices), waste_treatment=waste,
        )  # fmt: skip
        yield LatestSurvey(survey_id, household_id, day, commune_code), facts


@transaction.atomic
def whatif_run(
    *,
    actor,
    standard: PovertyStandard,
    baseline: PovertyStandard,
    commune: Commune | None = None,
) -> WhatIfRun:
    """Classify the latest survey of every household in the actor's area (or one commune of
    it) under `standard` and under `baseline` (official statuses untouched) and record who
    would change class."""
    access = require(actor, Perm.WHAT_IF)
    if commune is not None:
        require_area(access, commune)
    area = None if access.everywhere else access.area_q("household__commune", "household__village")
    started = time.perf_counter()
    target_spec, baseline_spec = standard_spec(standard), standard_spec(baseline)
    run = WhatIfRun.objects.create(
        standard=standard,
        baseline=baseline,
        commune=commune,
        requested_by=user_of(actor),
    )
    counts: Counter[tuple[str, str, str]] = Counter()
    changes: list[WhatIfChange] = []
    total = 0
    plan = rules.bulk_plan([baseline_spec, target_spec])
    for survey, facts in latest_facts(commune, area):
        total += 1
        before, after = rules.classify_bulk(plan, facts)
        counts[(survey.commune_id, before, after)] += 1
        if before != after or after == rules.UNDETERMINED:
            changes.append(
                WhatIfChange(
                    run=run,
                    household_id=uuid.UUID(survey.household_id),
                    commune_id=survey.commune_id,
                    from_class=before,
                    to_class=after,
                )
            )
    WhatIfChange.objects.bulk_create(changes, batch_size=5000)
    # A household whose class under the standard depends on a fact its survey lacks is not
    # counted as changing class: it is listed apart, to be surveyed again.
    run.lacking = sum(1 for c in changes if c.to_class == rules.UNDETERMINED)
    run.households, run.changed = total, len(changes) - run.lacking
    run.summary = [
        {"commune": c, "from_class": f, "to_class": t, "households": n}
        for (c, f, t), n in sorted(counts.items())
    ]
    run.seconds = round(time.perf_counter() - started, 3)
    run.save()
    return run
