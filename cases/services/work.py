"""The cadres' work on a case: the responsible cadre, the plan (target date, commitments,
goals) and the follow-ups. Every write takes the acting user, checks their role and the
household's area, locks the record and checks the version the change was based on."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.access import Perm, access_for, covers_household
from core.errors import Conflict, InvalidInput
from core.locking import UNVERSIONED, lock_for_change, require_state

from ..choices import CaseState
from ..models import Case, FollowUp, PlanGoal

CASES = Case.objects.select_related("household__commune")
GOALS = PlanGoal.objects.select_related("case__household__commune")
FOLLOW_UPS = FollowUp.objects.select_related("case__household__commune")
# What a change of a goal or a follow-up locks with it (core.locking.lock_for_change): its
# case, whose state is checked.
OF_CASE_LOCK = ("self", "case")

GOAL_FIELDS = {
    "indicator",
    "text",
    "due_date",
    "package",
    "assignment",
    "commitment",
    "status",
    "progress",
    "progress_note",
}


def _locked_case(case: Case, actor, perm: Perm, expected_version: int | None = UNVERSIONED) -> Case:
    """The case, locked with its household (whose area is checked) for a change."""
    return lock_for_change(
        CASES,
        case.pk,
        actor=actor,
        perm=perm,
        expected_version=expected_version,
        of=("self", "household"),
    )


def _case_of(row) -> Any:
    return row.case.household


def can_be_cadre(user, household) -> bool:
    """An active user whose role records follow-ups and whose area covers the household."""
    if user is None or not user.is_active:
        return False
    access = access_for(user)
    return access.can(Perm.FOLLOW_UP_RECORD) and covers_household(access, household)


@transaction.atomic
def case_assign_cadre(*, case: Case, cadre_id, expected_version: int | None, actor) -> Case:
    """Make `cadre_id` the case's responsible cadre (None: nobody); the case's open
    follow-ups with no cadre go to them."""
    case = _locked_case(case, actor, Perm.CASES_MANAGE, expected_version)
    cadre = None
    if cadre_id is not None:
        cadre = get_user_model().objects.filter(pk=cadre_id).first()
        if not can_be_cadre(cadre, case.household):
            # The same words whether the user exists elsewhere or not at all.
            raise InvalidInput(
                gettext(
                    "This user cannot be the household's cadre: a cadre is an active user whose "
                    "role records follow-ups and whose area covers the household."
                ),
                fields={"cadre": gettext("Not a possible cadre for this household.")},
            )
    case.cadre = cadre
    case.version += 1
    case.save()
    if cadre is not None:
        # Each saved, not updated in bulk: a change of a follow-up has its history record,
        # its change-feed event (the cadre's app learns the visit is theirs) and a new version.
        for follow_up in case.follow_ups.filter(done_on__isnull=True, cadre__isnull=True):
            follow_up.cadre = cadre
            follow_up.version += 1
            follow_up.save()
    return case


@transaction.atomic
def case_update(*, case: Case, values: dict[str, Any], expected_version: int | None, actor) -> Case:
    """Change the plan's target date and the household's commitments."""
    case = _locked_case(case, actor, Perm.CASES_MANAGE, expected_version)
    for name in ("target_date", "commitments"):
        if name in values:
            setattr(case, name, values[name])
    case.version += 1
    case.save()
    return case


def _check_goal(goal: PlanGoal, household) -> None:
    if goal.assignment_id and goal.assignment.household_id != household.pk:
        raise InvalidInput(
            gettext("The assignment is not one of this household's."),
            fields={"assignment": gettext("Not this household's assignment.")},
        )
    if goal.assignment_id and goal.package_id is None:
        goal.package_id = goal.assignment.package_id


def _save_goal(goal: PlanGoal) -> PlanGoal:
    try:
        with transaction.atomic():
            goal.save()
    except IntegrityError:
        raise Conflict(
            gettext("The plan already has a goal for %(indicator)s.")
            % {"indicator": goal.indicator},
            code="goal_exists",
            fields={"indicator": gettext("Already in the plan.")},
        ) from None
    return goal


@transaction.atomic
def goal_add(*, case: Case, values: dict[str, Any], actor) -> PlanGoal:
    """Add a goal to the plan of an active case."""
    case = _locked_case(case, actor, Perm.CASES_MANAGE)
    require_state(case, gettext("add a goal to"), gettext("a case"), [CaseState.ACTIVE])
    goal = PlanGoal(case=case, due_date=values.pop("due_date", None) or case.target_date)
    for name, value in values.items():
        if name in GOAL_FIELDS:
            setattr(goal, name, value)
    _check_goal(goal, case.household)
    return _save_goal(goal)


@transaction.atomic
def goal_update(
    *, goal: PlanGoal, values: dict[str, Any], expected_version: int | None, actor
) -> PlanGoal:
    """Record a goal's progress (status, per cent, note) or change its package, assignment,
    text or due date."""
    goal = lock_for_change(
        GOALS,
        goal.pk,
        actor=actor,
        perm=Perm.CASES_MANAGE,
        area_of=_case_of,
        expected_version=expected_version,
        of=OF_CASE_LOCK,
    )
    for name, value in values.items():
        if name in GOAL_FIELDS:
            setattr(goal, name, value)
    _check_goal(goal, goal.case.household)
    goal.version += 1
    return _save_goal(goal)


@transaction.atomic
def follow_up_schedule(
    *,
    case: Case,
    scheduled_on: date,
    actor,
    kind: str = "visit",
    cadre_id=None,
    next_step: str = "",
) -> FollowUp:
    """Schedule a contact with the household (by default by the case's cadre)."""
    case = _locked_case(case, actor, Perm.FOLLOW_UP_RECORD)
    require_state(
        case,
        gettext("schedule a follow-up of"),
        gettext("a case"),
        [CaseState.ACTIVE, CaseState.MONITORING],
    )
    cadre = case.cadre
    if cadre_id is not None and cadre_id != case.cadre_id:
        cadre = get_user_model().objects.filter(pk=cadre_id).first()
        if not can_be_cadre(cadre, case.household):
            raise InvalidInput(
                gettext(
                    "This user cannot visit the household: a cadre is an active user whose role "
                    "records follow-ups and whose area covers the household."
                ),
                fields={"cadre": gettext("Not a possible cadre for this household.")},
            )
    return FollowUp.objects.create(
        case=case, cadre=cadre, kind=kind, scheduled_on=scheduled_on, next_step=next_step
    )


@transaction.atomic
def follow_up_record(
    *,
    follow_up: FollowUp,
    done_on: date,
    findings: str,
    next_step: str = "",
    next_visit_on: date | None = None,
    expected_version: int | None,
    actor,
    client_id=None,
) -> tuple[FollowUp, FollowUp | None]:
    """Record that the contact was made (when, what was found, the next step) and, with
    `next_visit_on`, schedule the next one. Returns the follow-up and the next."""
    follow_up = lock_for_change(
        FOLLOW_UPS,
        follow_up.pk,
        actor=actor,
        perm=Perm.FOLLOW_UP_RECORD,
        area_of=_case_of,
        expected_version=expected_version,
        of=OF_CASE_LOCK,
    )
    if follow_up.done_on is not None:
        raise Conflict(
            gettext("This follow-up was already recorded as done on %(done_on)s.")
            % {"done_on": follow_up.done_on},
            code="already_recorded",
        )
    if done_on < follow_up.case.opened_on:
        raise InvalidInput(
            gettext("A follow-up cannot be done before its case opened."),
            fields={
                "done_on": gettext("Before the case opened (%(opened_on)s).")
                % {"opened_on": follow_up.case.opened_on}
            },
        )
    if next_visit_on is not None and next_visit_on <= done_on:
        raise InvalidInput(
            gettext("The next visit comes after this one."),
            fields={"next_visit_on": gettext("Must be after done_on.")},
        )
    follow_up.done_on = done_on
    follow_up.findings = findings
    follow_up.next_step = next_step
    if follow_up.cadre_id is None and getattr(actor, "pk", None) is not None:
        follow_up.cadre = actor if can_be_cadre(actor, follow_up.case.household) else None
    if client_id is not None:
        follow_up.client_id = client_id
    follow_up.version += 1
    follow_up.save()
    following = None
    if next_visit_on is not None and follow_up.case.state != CaseState.CLOSED:
        following = FollowUp.objects.create(
            case=follow_up.case,
            cadre=follow_up.cadre or follow_up.case.cadre,
            kind=follow_up.kind,
            scheduled_on=next_visit_on,
            next_step=next_step,
        )
    return follow_up, following
