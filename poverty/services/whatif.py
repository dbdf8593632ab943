"""What-if re-assessment: the latest survey of every household classified under another
standard, official statuses untouched."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext

from core import jobs
from core.access import Perm, access_digest, require, require_area, user_of
from core.errors import InvalidInput
from core.models import Job
from geo.models import Commune
from households.choices import HouseholdStatus

from .. import rules, selectors
from ..fields import HOUSEHOLD_FACT_FIELDS, INCOME_FIELDS, MEMBER_FACT_FIELDS
from ..models import PovertyStandard, Survey, SurveyMember, WhatIfChange, WhatIfRun
from .facts import age_on
from .standards import standard_spec

SURVEY_ROW = (
    "survey_date",
    "household__commune_id",
    "is_urban",  # the commune's kind when the survey was recorded, as its assessments read it
    *INCOME_FIELDS,
    *HOUSEHOLD_FACT_FIELDS,
)
MEMBER_ROW = ("date_of_birth", "sex", *MEMBER_FACT_FIELDS)  # as surveyed
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
            roof_material=roof, floor_area_m2=None if area_m2 is None else float(area_m2),
            water_source=water,
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
    would change class. A provincial standard (either one) limits the run to its province's
    households."""
    access = require(actor, Perm.WHAT_IF)
    if commune is not None:
        require_area(access, commune)
    area = Q() if access.everywhere else access.area_q("household__commune", "household__village")
    # A provincial standard applies to its province's households only (as the real
    # assessments do): the run counts no household of another province.
    for s in (standard, baseline):
        if s.province_id is not None:
            area &= Q(household__commune__province_id=s.province_id)
    started = time.perf_counter()
    target_spec, baseline_spec = standard_spec(standard), standard_spec(baseline)
    run = WhatIfRun.objects.create(
        standard=standard,
        baseline=baseline,
        commune=commune,
        requested_by=user_of(actor),
        access=access_digest(actor),  # the rights it is read under (the area above's)
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


def whatif_enqueue(
    *,
    actor,
    standard: PovertyStandard,
    baseline: PovertyStandard | None = None,
    commune: Commune | None = None,
) -> Job:
    """Queue a what-if (run by poverty.jobs.run_what_if): `standard` against `baseline` (by
    default the national standard in force today), in the actor's area or one commune of it.
    A commune outside the area is refused now, not when the job runs."""
    access = require(actor, Perm.WHAT_IF)
    if baseline is None:
        baseline = selectors.national_standard_in_force(timezone.localdate())
        if baseline is None:
            raise InvalidInput(
                gettext("No national standard is in force today; name a baseline."),
                fields={"baseline": gettext("Required.")},
            )
    if commune is not None:
        require_area(access, commune)
    return jobs.enqueue(
        "what_if",
        {
            "standard": str(standard.pk),
            "baseline": str(baseline.pk),
            "commune": commune.code if commune else None,
        },
        user=actor,
    )
