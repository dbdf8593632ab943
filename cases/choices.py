from django.db import models


class CaseState(models.TextChoices):
    ACTIVE = "active", "Active: poor or near-poor, working on the plan"
    MONITORING = "monitoring", "Escaped: monitored for the post-escape period"
    CLOSED = "closed", "Closed: monitoring ended with no relapse"


class GoalStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    ACHIEVED = "achieved", "Achieved"
    DROPPED = "dropped", "Dropped"


class FollowUpKind(models.TextChoices):
    VISIT = "visit", "Home visit"
    CALL = "call", "Phone call"
    MEETING = "meeting", "Meeting at the commune"
