"""Read-side queries of cases: the caseload with its overdue visits, the follow-ups, and the
two reports (overdue follow-ups; progress of the cases against their targets)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
)

from core.access import Access

from .choices import CaseState, GoalStatus
from .models import Case, FollowUp, PlanGoal

OPEN_GOAL = ~Q(status__in=[GoalStatus.ACHIEVED, GoalStatus.DROPPED])


def overdue_q(today: date, prefix: str = "") -> Q:
    """Follow-ups scheduled before today and not done (through `prefix`)."""
    return Q(**{f"{prefix}done_on__isnull": True, f"{prefix}scheduled_on__lt": today})


def cases(today: date) -> QuerySet[Case]:
    """Cases with what the caseload shows: household, standard, cadre, and how many of their
    follow-ups are overdue."""
    return Case.objects.select_related("household", "standard", "cadre").annotate(
        overdue_follow_ups=Count("follow_ups", filter=overdue_q(today, "follow_ups__"))
    )


def late_q(today: date) -> Q:
    """An active case whose target date passed, or with a goal past its due date and not
    achieved (nor dropped)."""
    late_goal = PlanGoal.objects.filter(OPEN_GOAL, case=OuterRef("pk"), due_date__lt=today)
    # (target_date IS NOT NULL: no target date is not late, and not NULL in SQL either)
    passed = Q(target_date__isnull=False, target_date__lt=today)
    return Q(state=CaseState.ACTIVE) & (passed | Exists(late_goal))


def follow_ups() -> QuerySet[FollowUp]:
    return FollowUp.objects.select_related("case__household", "cadre")


PROGRESS_GROUPS = {
    "village": "household__village_id",
    "commune": "household__commune_id",
    "cadre": "cadre_id",
}


def case_progress(*, access: Access, group_by: str, today: date) -> list[dict[str, Any]]:
    """Per village, commune or cadre: active cases on track and late, escaped (in monitoring),
    relapsed (reopened and active again; also counted as on track or late) and closed. One
    query."""
    key = PROGRESS_GROUPS[group_by]
    rows = (
        Case.objects.filter(access.area_q("household__commune", "household__village"))
        .annotate(is_late=ExpressionWrapper(late_q(today), output_field=BooleanField()))
        .values(group=F(key))
        .annotate(
            on_track=Count("pk", filter=Q(state=CaseState.ACTIVE, is_late=False)),
            late=Count("pk", filter=Q(is_late=True)),
            escaped=Count("pk", filter=Q(state=CaseState.MONITORING)),
            relapsed=Count("pk", filter=Q(state=CaseState.ACTIVE, reopened_count__gt=0)),
            closed=Count("pk", filter=Q(state=CaseState.CLOSED)),
        )
        .order_by(F("group").asc(nulls_last=True))
    )
    return [{"group_by": group_by, **row} for row in rows]


OVERDUE_GROUPS = {"cadre": "cadre_id", "commune": "case__household__commune_id"}


def overdue_summary(*, access: Access, group_by: str, today: date) -> list[dict[str, Any]]:
    """Overdue follow-ups per cadre (null: nobody assigned) or commune: how many, of how many
    cases, and the oldest date among them. One query."""
    key = OVERDUE_GROUPS[group_by]
    rows = (
        FollowUp.objects.filter(
            overdue_q(today), access.area_q("case__household__commune", "case__household__village")
        )
        .values(group=F(key))
        .annotate(
            overdue=Count("pk"),
            cases=Count("case", distinct=True),
            oldest_scheduled_on=Min("scheduled_on"),
        )
        .order_by(F("group").asc(nulls_last=True))
    )
    return [{"group_by": group_by, **row} for row in rows]
