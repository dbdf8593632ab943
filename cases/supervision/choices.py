from django.db import models


class FindingRule(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Support approved for a household not eligible on the date"
    OVER_ENTITLEMENT = "over_entitlement", "Support above the package's entitlement"
    DUPLICATE_SUPPORT = "duplicate_support", "The same package more often than its limit"
    AFTER_CLOSE = "after_close", "Disbursed after the household closed or moved out"
    SELF_APPROVED = "self_approved", "Assignment approved by its proposer"
    OVERDUE_FOLLOW_UPS = "overdue_follow_ups", "Cadre with follow-ups overdue"
    SPENDING_AHEAD = "spending_ahead", "Commune spending well ahead of its poor households"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed: a real misuse, being acted on"
    CORRECTED = "corrected", "Corrected: the data or the support was put right"
    DISMISSED = "dismissed", "Dismissed: not a misuse (explained in the note)"


RESOLVED = (FindingStatus.CONFIRMED, FindingStatus.CORRECTED, FindingStatus.DISMISSED)
