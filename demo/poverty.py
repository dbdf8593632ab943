"""Synthetic surveys (and, for the demo, assessments and official statuses) for the
households of the demo register. Bulk-loaded: COPY on PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from random import Random

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.bulk import analyze, write_rows
from core.ids import new_id
from households.choices import HouseholdStatus, MemberStatus, Relationship
from households.models import Household, Member
from poverty import rules, services, timeline
from poverty.models import Assessment, OfficialStatus, Survey, SurveyMember
from poverty.services.status import indicator_columns

SURVEY_COLUMNS = (
    "id", "household", "survey_date", "form", "enumerator_name", "income_wages",
    "income_agriculture", "income_business", "income_allowances", "income_other",
    "wall_material", "frame_material", "roof_material", "floor_area_m2", "water_source",
    "latrine", "uses_internet", "devices", "waste_treatment", "is_urban", "submitted",
    "is_latest", "created_at",
)  # fmt: skip
SURVEY_MEMBER_COLUMNS = (
    "survey", "member", "date_of_birth", "sex", "has_health_insurance", "schooling",
    "education_level", "employment", "receives_social_allowance", "nutrition",
)  # fmt: skip
ASSESSMENT_COLUMNS = (
    "id", "household", "survey", "standard", "engine_version", "application", "is_urban",
    "household_size", "income_per_person_month", "line", "deprivation_count", "classification",
    "indicators", "explanation_vi", "explanation_en", "state", "decision_number",
    "decision_date", "certificate_number", "rejection_reason", "version", "created_at",
    "updated_at",
)  # fmt: skip
STATUS_COLUMNS = (
    "id",
    "household",
    "standard",
    "classification",
    "valid_from",
    "assessment",
    "event",
    "created_at",
    "deprivation_count",
    "indicator_codes",
    "deprived_mask",
)
BATCH = 5_000
# Share of households surveyed as poor, near-poor and average (rural; urban is a third).
PROFILE_SHARES = {"poor": 0.04, "near_poor": 0.05, "average": 0.08}
WORKING_AGE = range(15, 61)


def _households_to_survey(limit: int | None) -> Iterator[tuple[dict, list[dict]]]:
    """Active households without a survey, with their present members, in id order."""
    unsurveyed = (
        Household.objects.filter(status=HouseholdStatus.ACTIVE)
        .filter(~Exists(Survey.objects.filter(household=OuterRef("pk"))))
        .order_by("id")
    )
    if limit:
        unsurveyed = unsurveyed[:limit]
    households = unsurveyed.values("id", "commune__is_urban").iterator(chunk_size=BATCH)
    members = (
        Member.objects.filter(household__in=unsurveyed.values("id"), status=MemberStatus.PRESENT)
        .order_by("household_id")
        .values("id", "household_id", "date_of_birth", "sex", "relationship")
        .iterator(chunk_size=4 * BATCH)
    )
    pending = next(members, None)
    for household in households:
        rows = []
        while pending is not None and pending["household_id"] == household["id"]:
            rows.append(pending)
            pending = next(members, None)
        if rows:
            yield household, rows


class SurveyFaker:
    def __init__(self, rng: Random, today: date):
        self.rng, self.today = rng, today
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())

    def profile(self, is_urban: bool) -> str:
        roll, scale = self.rng.random(), (1 / 3 if is_urban else 1)
        for name, share in PROFILE_SHARES.items():
            if roll < share * scale:
                return name
            roll -= share * scale
        return "not_poor"

    def rows(self, household: dict, members: list[dict]) -> tuple[tuple, list[tuple]]:
        rng = self.rng
        profile = self.profile(household["commune__is_urban"])
        line = 2_000_000 if household["commune__is_urban"] else 1_500_000
        factor = {
            "poor": (0.4, 1.0),
            "near_poor": (0.6, 1.0),
            "average": (1.01, 1.45),
            "not_poor": (1.6, 6.0),
        }[profile]
        monthly = int(line * rng.uniform(*factor))
        deprived = set(
            rng.sample(
                [
                    "housing",
                    "area",
                    "water",
                    "latrine",
                    "internet",
                    "devices",
                    "insurance",
                    "employment",
                ],
                {"poor": rng.randint(3, 6), "near_poor": rng.randint(0, 2)}.get(
                    profile, rng.choice([0, 0, 0, 1])
                ),
            )
        )
        day = self.today - timedelta(days=rng.randint(14, 80))
        annual = monthly * 12 * len(members)
        wages = int(annual * rng.uniform(0.3, 0.9))
        survey_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        survey = (
            survey_id.hex, household["id"].hex, day, "b2", "Demo enumerator", wages,
            annual - wages, 0, 0, 0,
            "bamboo" if "housing" in deprived else "brick_stone",
            "timber" if "housing" in deprived else "concrete",
            "leaves_straw" if "housing" in deprived else rng.choice(["tile", "metal_sheet"]),
            round(len(members) * (rng.uniform(4, 7.5) if "area" in deprived
                                  else rng.uniform(9, 30)), 2),
            "surface" if "water" in deprived else rng.choice(["tap", "borehole", "tap"]),
            "simple_pit" if "latrine" in deprived else rng.choice(["septic", "semi_septic"]),
            "internet" not in deprived,
            json.dumps([] if "devices" in deprived else ["tv", "smartphone"]),
            rng.choice(["collected", "composted_sorted", "burned"]),
            household["commune__is_urban"], "{}", True, self.now,
        )  # fmt: skip
        member_rows = []
        for i, m in enumerate(members):
            age = services.age_on(m["date_of_birth"], day)
            child = age < 16
            member_rows.append((
                survey_id.hex, m["id"].hex, m["date_of_birth"], m["sex"],
                not ("insurance" in deprived and i == len(members) - 1 and age >= 6),
                ("attending" if 3 <= age < 16 else "not_attending" if 16 <= age <= 30
                 else None),
                "lower_secondary" if child else rng.choice(["upper_secondary", "vocational"]),
                "unemployed" if "employment" in deprived and age in WORKING_AGE
                and m["relationship"] == Relationship.HEAD else
                ("not_in_labour_force" if child or age >= 61 else "self_employed"),
                age >= 80, "normal" if child else None,
            ))  # fmt: skip
        return survey, member_rows


def generate_surveys(
    *, seed: int = 1, limit: int | None = None, progress: Callable[[str], None] = lambda m: None
) -> int:
    """One survey for each active household that has none. Returns how many."""
    faker = SurveyFaker(Random(seed), timezone.localdate())
    written = 0
    with transaction.atomic():
        batch: list[tuple] = []
        members: list[tuple] = []
        for household, rows in _households_to_survey(limit):
            survey, member_rows = faker.rows(household, rows)
            batch.append(survey)
            members += member_rows
            if len(batch) >= BATCH:
                written += _flush(batch, members)
                batch, members = [], []
                progress(f"{written:,} surveys")
        written += _flush(batch, members)
    analyze(Survey, SurveyMember)
    return written


def _flush(surveys: list[tuple], members: list[tuple]) -> int:
    write_rows(Survey, SURVEY_COLUMNS, surveys)
    write_rows(SurveyMember, SURVEY_MEMBER_COLUMNS, members)
    return len(surveys)


@transaction.atomic
def assess_and_approve(*, approve_share: float = 0.8, seed: int = 1) -> tuple[int, int]:
    """Assess every latest survey without an assessment under the standards in force on its
    date; approve a share of the poor and near-poor ones (demo decisions) so that households
    have official statuses. Returns (assessments, official statuses) written."""
    rng = Random(seed)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    standards_on: dict[date, list] = {}
    assessments, statuses = [], []
    assessed = set(Assessment.objects.values_list("survey_id", flat=True))
    for survey, facts in services.latest_facts():
        survey_id, household_id = uuid.UUID(survey.id), uuid.UUID(survey.household_id)
        if survey_id in assessed:
            continue
        day = survey.survey_date
        if day not in standards_on:
            standards_on[day] = [
                (s, services.standard_spec(s))
                for s in services.applicable_standards(province_code="22", on=day)
            ]
        for standard, spec in standards_on[day]:
            result = rules.assess(facts, spec)
            approved = (
                result.classification in ("poor", "near_poor") and rng.random() < approve_share
            )
            assessment_id = new_id()
            decided = day + timedelta(days=21)
            indicators = [
                {"code": i.code, "deprived": i.deprived, "reason_vi": i.reason_vi,
                 "reason_en": i.reason_en}
                for i in result.indicators
            ]  # fmt: skip
            assessments.append((
                assessment_id.hex, household_id.hex, survey_id.hex,
                standard.pk.hex, result.engine_version, "none", result.is_urban,
                result.household_size, result.income_per_person_month, result.line,
                result.deprivation_count, result.classification,
                json.dumps(indicators),
                result.explanation_vi, result.explanation_en,
                "approved" if approved else "surveyed",
                "DEMO/QĐ-UBND" if approved else "", decided if approved else None, "", "", 1,
                now, now,
            ))  # fmt: skip
            if approved:
                event = timeline.status_event(
                    previous=None,
                    new=result.classification,
                    voluntary=False,
                    escaped_within_window=False,
                )
                statuses.append(
                    (
                        new_id().hex,
                        household_id.hex,
                        standard.pk.hex,
                        result.classification,
                        decided,
                        assessment_id.hex,
                        event,
                        now,
                        result.deprivation_count,
                        *indicator_columns(indicators).values(),
                    )
                )
    write_rows(Assessment, ASSESSMENT_COLUMNS, assessments)
    write_rows(OfficialStatus, STATUS_COLUMNS, statuses)
    analyze(Assessment, OfficialStatus)
    return len(assessments), len(statuses)


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    started = time.perf_counter()
    return fn(), time.perf_counter() - started
