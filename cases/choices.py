from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseState(models.TextChoices):
    ACTIVE = "active", _("Active: poor or near-poor, working on the plan")
    MONITORING = "monitoring", _("Escaped: monitored for the post-escape period")
    CLOSED = "closed", _("Closed: monitoring ended with no relapse")


class GoalStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class FollowUpKind(models.TextChoices):
    VISIT = "visit", _("Home visit")
    CALL = "call", _("Phone call")
    MEETING = "meeting", _("Meeting at the commune")
