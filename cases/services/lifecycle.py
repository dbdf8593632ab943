"""A case through its life, driven by official statuses (poverty.services.status):

- a poor or near-poor status opens the household's case (active), its plan drafted from the
  approved assessment that decided it; on a case in monitoring or closed it is a relapse: the
  same case is reopened (`reopened_count` + 1) and its plan drafted again;
- an escape (not poor/near-poor, event escaped or voluntary exit) moves an active case to
  monitoring for CASE_MONITORING_YEARS;
- the daily run (`run_daily`: the worker's periodic `cases_daily` job, or `manage.py
  cases_daily`) opens the cases missing for poor and near-poor households (statuses recorded
  before cases existed, or loaded in bulk), closes the monitoring cases whose period has
  ended, and schedules a visit to each monitoring case on the relapse watchlist.

Which standards drive a case: those applicable to the household on the status's date
(`poverty.services.applicable_standards`): the national standard in force and its province's
own standard in force (Quảng Ninh's higher line), any revision of each. A household poor or
near-poor under either has an open case; it escapes (monitoring) only when no current status
under an applicable standard still holds it poor or near-poor. A status under a standard not
in force on its date is recorded by poverty but leaves the case alone. The case's `standard`
and `classification` follow the latest status that moved it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from households.choices import HouseholdStatus
from households.models import Household
from poverty.choices import Classification
from poverty.models import Assessment, Indicator, OfficialStatus, PovertyStandard, StatusEvent
from poverty.selectors import relapse_watchlist
from poverty.services import applicable_standards
from poverty.timeline import years_before

from ..choices import CaseState, FollowUpKind, GoalStatus
from ..models import Case, FollowUp, PlanGoal

IN_POVERTY = {Classification.POOR, Classification.NEAR_POOR}
ESCAPES = {StatusEvent.ESCAPED, StatusEvent.VOLUNTARY_EXIT}
INCOME = "income"

# The relapse watchlist's thresholds the daily run uses (the API's defaults).
WATCH_INCOME_MARGIN = 0.2
WATCH_DEPRIVATION_MARGIN = 1


def years_after(day: date, years: int) -> date:
    """`day` plus whole years (28 February for a 29 February)."""
    return years_before(day, -years)


def default_target_date(opened_on: date) -> date:
    """The plan's default target: the end of the year after the case (re)opened."""
    return date(opened_on.year + 1, 12, 31)


def applicable_codes(household_id, on: date) -> set[str]:
    """The codes of the standards applicable to the household on the date: the national one
    in force and its province's own (a correction is a new revision of the same code)."""
    province = (
        Household.objects.filter(pk=household_id)
        .values_list("commune__province_id", flat=True)
        .first()
    )
    return {s.code for s in applicable_standards(province_code=province, on=on)}


def drives_case(status: OfficialStatus) -> bool:
    """True when the status is under a standard applicable to the household on its date."""
    return status.standard.code in applicable_codes(status.household_id, status.valid_from)


def in_poverty_under_another(status: OfficialStatus) -> bool:
    """Another current status of the household, under an applicable standard, still holds it
    poor or near-poor (an escape under one standard is no escape then)."""
    codes = applicable_codes(status.household_id, status.valid_from) - {status.standard.code}
    return (
        OfficialStatus.objects.filter(
            household_id=status.household_id,
            valid_to__isnull=True,
            classification__in=IN_POVERTY,
            standard__code__in=codes,
        )
        .exclude(pk=status.pk)
        .exists()
    )


def on_official_status(status: OfficialStatus) -> None:
    """The listener (registered in CasesConfig.ready): runs in the approval's transaction."""
    if not drives_case(status):
        return
    case = Case.objects.select_for_update().filter(household_id=status.household_id).first()
    if status.classification in IN_POVERTY:
        if case is None:
            open_case(status)
        elif case.state == CaseState.ACTIVE:  # confirmed or reclassified: new deprivations
            case.classification = status.classification
            case.standard_id = status.standard_id
            _bump(case)
            draft_plan(case, status.assessment)
        else:
            reopen_case(case, status)
    elif (
        status.event in ESCAPES
        and case is not None
        and case.state == CaseState.ACTIVE
        and not in_poverty_under_another(status)
    ):
        start_monitoring(case, status)


def _bump(case: Case) -> None:
    case.version += 1
    case.save()


def open_case(status: OfficialStatus) -> Case:
    """A new active case for the household, with its plan drafted."""
    on = status.valid_from
    case = Case.objects.create(
        household_id=status.household_id,
        standard_id=status.standard_id,
        classification=status.classification,
        state=CaseState.ACTIVE,
        opened_on=on,
        target_date=default_target_date(on),
    )
    draft_plan(case, status.assessment)
    return case


def reopen_case(case: Case, status: OfficialStatus) -> Case:
    """Relapse: the case in monitoring (or closed) is active again, its plan drafted anew."""
    case.state = CaseState.ACTIVE
    case.standard_id = status.standard_id
    case.classification = status.classification
    case.reopened_count += 1
    case.escaped_on = None
    case.monitoring_until = None
    case.closed_on = None
    case.target_date = default_target_date(status.valid_from)
    _bump(case)
    draft_plan(case, status.assessment)
    return case


def start_monitoring(case: Case, status: OfficialStatus) -> Case:
    """Escape: the active case is monitored for CASE_MONITORING_YEARS from the escape."""
    case.state = CaseState.MONITORING
    case.classification = status.classification
    case.escaped_on = status.valid_from
    case.monitoring_until = years_after(status.valid_from, settings.CASE_MONITORING_YEARS)
    _bump(case)
    return case


def income_gap(assessment: Assessment) -> int:
    """VND per person per month the income is below the line (0 when it is not)."""
    return max(assessment.line - assessment.income_per_person_month, 0)


def draft_plan(case: Case, assessment: Assessment) -> list[PlanGoal]:
    """One goal per deprivation of the assessment (the indicator's names as its text) and one
    `income` goal when the income is under the line, each due on the case's target date. A
    goal already in the plan for that indicator is kept when still being worked on, planned
    again when it was achieved or dropped (a relapse)."""
    deprived = [i["code"] for i in assessment.indicators if i.get("deprived") is True]
    names = {
        i.code: (i.name_vi, i.name_en)
        for i in Indicator.objects.filter(standard_id=assessment.standard_id, code__in=deprived)
    }
    wanted: dict[str, str] = {}
    for code in deprived:
        vi, en = names.get(code, (code, code))
        wanted[code] = f"Hết thiếu hụt: {vi} / No longer deprived: {en}"
    gap = income_gap(assessment)
    if gap:
        wanted[INCOME] = (
            f"Thu nhập đạt chuẩn: thiếu {gap:,} đồng/người/tháng".replace(",", ".")
            + f" / Income up to the line: {gap:,} VND per person per month short"
        )
    existing = {g.indicator: g for g in case.goals.all()}
    goals = []
    for code, text in wanted.items():
        goal = existing.get(code)
        if goal is None:
            goal = PlanGoal.objects.create(
                case=case, indicator=code, text=text[:500], due_date=case.target_date
            )
        elif goal.status in (GoalStatus.ACHIEVED, GoalStatus.DROPPED):
            goal.status = GoalStatus.PLANNED
            goal.progress = 0
            goal.text = text[:500]
            goal.due_date = case.target_date
            goal.version += 1
            goal.save()
        goals.append(goal)
    return goals


# ---------------------------------------------------------------------------- the daily run


@dataclass
class DailyResult:
    opened: int = 0
    closed: int = 0
    visits_scheduled: int = 0


def open_missing(today: date) -> int:
    """Open the case of each household whose current status under a standard applicable to
    it today is poor or near-poor and that has none: statuses recorded before cases existed,
    or loaded in bulk (the demo register); not for a closed household. Running it again opens
    nothing twice."""
    in_force = PovertyStandard.objects.filter(status="published", valid_from__lte=today).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )
    applicable = Q(pk__in=[])
    for code, scope, province in in_force.values_list("code", "scope", "province_id").distinct():
        national = Q(standard__code=code)
        applicable |= (
            national
            if scope == "national"
            else national & Q(household__commune__province_id=province)
        )
    statuses = (
        OfficialStatus.objects.filter(
            applicable,
            valid_to__isnull=True,
            classification__in=IN_POVERTY,
            household__status=HouseholdStatus.ACTIVE,  # no case for a closed household
        )
        .exclude(household__case__isnull=False)
        .select_related("assessment")
    )
    opened = 0
    for status in statuses.iterator(chunk_size=500):
        with transaction.atomic():
            if Case.objects.filter(household_id=status.household_id).exists():
                continue
            open_case(status)
            opened += 1
    return opened


def close_ended_monitoring(today: date) -> int:
    """Close the monitoring cases whose monitoring period ended before `today`."""
    closed = 0
    ids = list(
        Case.objects.filter(state=CaseState.MONITORING, monitoring_until__lt=today).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        with transaction.atomic():
            case = Case.objects.select_for_update().get(pk=pk)
            if case.state != CaseState.MONITORING or case.monitoring_until >= today:
                continue
            case.state = CaseState.CLOSED
            case.closed_on = today
            _bump(case)
            closed += 1
    return closed


def schedule_watchlist_visits(today: date) -> int:
    """A visit today to each monitoring case whose household is on the relapse watchlist,
    unless the case has a follow-up not yet done (so running it again schedules nothing
    twice)."""
    watched = relapse_watchlist(
        area=Q(),
        on=today,
        years=settings.POVERTY_RELAPSE_YEARS,
        income_margin=WATCH_INCOME_MARGIN,
        deprivation_margin=WATCH_DEPRIVATION_MARGIN,
    ).values_list("household_id", flat=True)
    open_follow_up = FollowUp.objects.filter(case=OuterRef("pk"), done_on__isnull=True)
    cases = Case.objects.filter(state=CaseState.MONITORING, household_id__in=watched).exclude(
        Exists(open_follow_up)
    )
    scheduled = 0
    for case in cases:
        with transaction.atomic():
            locked = Case.objects.select_for_update().get(pk=case.pk)
            if locked.follow_ups.filter(done_on__isnull=True).exists():
                continue
            FollowUp.objects.create(
                case=locked,
                cadre_id=locked.cadre_id,
                kind=FollowUpKind.VISIT,
                scheduled_on=today,
                next_step="Relapse watchlist: check income and deprivations.",
            )
            scheduled += 1
    return scheduled


def run_daily(today: date | None = None) -> DailyResult:
    """Open the missing cases, close ended monitoring periods, then schedule the watchlist
    visits."""
    today = today or timezone.localdate()
    return DailyResult(
        opened=open_missing(today),
        closed=close_ended_monitoring(today),
        visits_scheduled=schedule_watchlist_visits(today),
    )
