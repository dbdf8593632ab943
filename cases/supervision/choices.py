from django.db import models
from django.utils.translation import gettext_lazy as _


class FindingRule(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("Support approved for a household not eligible on the date")
    OVER_ENTITLEMENT = "over_entitlement", _("Support above the package's entitlement")
    DUPLICATE_SUPPORT = "duplicate_support", _("The same package more often than its limit")
    AFTER_CLOSE = "after_close", _("Disbursed after the household closed or moved out")
    SELF_APPROVED = "self_approved", _("Assignment approved by its proposer")
    OVERDUE_FOLLOW_UPS = "overdue_follow_ups", _("Cadre with follow-ups overdue")
    SPENDING_AHEAD = "spending_ahead", _("Commune spending well ahead of its poor households")


class FindingStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed: a real misuse, being acted on")
    CORRECTED = "corrected", _("Corrected: the data or the support was put right")
    DISMISSED = "dismissed", _("Dismissed: not a misuse (explained in the note)")


RESOLVED = (FindingStatus.CONFIRMED, FindingStatus.CORRECTED, FindingStatus.DISMISSED)
