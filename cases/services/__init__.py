"""Case use cases: the lifecycle driven by official statuses (`lifecycle`), and the cadres'
work on a case — cadre, plan, goals, follow-ups (`work`). Every write by a person takes the
acting user (`actor`) and checks role, area and version itself."""

from .lifecycle import DailyResult, on_official_status, run_daily
from .work import (
    can_be_cadre,
    case_assign_cadre,
    case_update,
    follow_up_record,
    follow_up_schedule,
    goal_add,
    goal_update,
)

__all__ = [
    "DailyResult",
    "can_be_cadre",
    "case_assign_cadre",
    "case_update",
    "follow_up_record",
    "follow_up_schedule",
    "goal_add",
    "goal_update",
    "on_official_status",
    "run_daily",
]
