"""A household's case: who is responsible for it, its plan to escape poverty, its follow-ups.

A household has at most one case, opened when an approved assessment makes it poor or
near-poor, kept through the post-escape monitoring period, closed when that ends with no
relapse, and reopened (the same case) on relapse (cases.services.lifecycle).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.formatting import format_date
from core.ids import new_id
from core.models import LoadsFast
from households.models import Household
from poverty.choices import Classification
from poverty.models import PovertyStandard
from support.models import Assignment, SupportPackage

from .choices import CaseState, FollowUpKind, GoalStatus
from .supervision.choices import FindingRule, FindingStatus


class Case(LoadsFast, models.Model):
    # What the household commits to is what its people said (core.personal).
    PERSONAL_FIELDS = frozenset({"commitments"})

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    household = models.OneToOneField(
        Household, on_delete=models.PROTECT, related_name="case", verbose_name=_("household")
    )
    standard = models.ForeignKey(
        PovertyStandard,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The standard whose official status opened the case and drives it."),
        verbose_name=_("standard"),
    )
    classification = models.CharField(
        _("classification"),
        max_length=12,
        choices=Classification.choices,
        help_text=_("The household's current official classification under that standard."),
    )
    state = models.CharField(
        _("state"), max_length=12, choices=CaseState.choices, default=CaseState.ACTIVE
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("The responsible cadre: a user whose area covers the household."),
        verbose_name=_("cadre"),
    )
    opened_on = models.DateField(
        _("opened on"), help_text=_("Decision date of the status that opened the case.")
    )
    escaped_on = models.DateField(_("escaped on"), null=True, blank=True)
    monitoring_until = models.DateField(
        _("monitoring until"),
        null=True,
        blank=True,
        help_text=_("End of the post-escape monitoring period."),
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(
        _("reopened count"), default=0, help_text=_("Times the case was reopened on relapse.")
    )
    target_date = models.DateField(
        _("target date"),
        null=True,
        blank=True,
        help_text=_("When the plan aims for the household to escape."),
    )
    commitments = models.TextField(
        _("commitments"), blank=True, help_text=_("What the household itself commits to.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["id"]
        indexes = [models.Index(fields=["state", "id"]), models.Index(fields=["cadre", "state"])]

    def __str__(self) -> str:
        return gettext("Case of %(household)s (%(state)s)") % {
            "household": self.household.code,
            "state": self.get_state_display(),
        }


class PlanGoal(LoadsFast, models.Model):
    """A goal of the escape plan, tied to one of the household's deprivations (an indicator
    code of the standard) or to its income gap (`income`)."""

    # The text of an income goal states the household's income gap (its money); the
    # commitment and notes are what its people said (core.personal).
    PERSONAL_FIELDS = frozenset({"text", "commitment", "progress_note"})

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="goals", verbose_name=_("case")
    )
    indicator = models.CharField(
        _("indicator"),
        max_length=40,
        help_text=_("The indicator code the goal addresses, or `income`."),
    )
    text = models.CharField(_("text"), max_length=500, help_text=_("What is to be achieved."))
    due_date = models.DateField(_("due date"), null=True, blank=True)
    package = models.ForeignKey(
        SupportPackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The support package planned for it."),
        verbose_name=_("package"),
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The proposed (or approved) assignment of that package."),
        verbose_name=_("assignment"),
    )
    commitment = models.CharField(
        _("commitment"), max_length=500, blank=True, help_text=_("The household's own part.")
    )
    status = models.CharField(
        _("status"), max_length=12, choices=GoalStatus.choices, default=GoalStatus.PLANNED
    )
    progress = models.PositiveSmallIntegerField(
        _("progress"),
        default=0,
        validators=[MaxValueValidator(100)],
        help_text=_("Per cent done (0-100)."),
    )
    progress_note = models.CharField(_("progress note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("plan goal")
        verbose_name_plural = _("plan goals")
        ordering = ["case", "due_date", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "indicator"], name="plan_goal_one_per_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.text}"


class FollowUp(LoadsFast, models.Model):
    """A scheduled contact with the household, and once done what was found and the next
    step. Overdue: scheduled before today and not done."""

    PERSONAL_FIELDS = frozenset({"findings"})  # what was found at the household

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("case")
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text=_("Who is to make (or made) the contact."),
        verbose_name=_("cadre"),
    )
    kind = models.CharField(
        _("kind"), max_length=8, choices=FollowUpKind.choices, default=FollowUpKind.VISIT
    )
    scheduled_on = models.DateField(_("scheduled on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)
    findings = models.TextField(_("findings"), blank=True, help_text=_("What was found."))
    next_step = models.CharField(_("next step"), max_length=500, blank=True)
    client_id = models.UUIDField(
        _("client ID"),
        null=True,
        blank=True,
        unique=True,
        help_text=_("The field app's id of a posted visit."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["scheduled_on", "id"]
        indexes = [
            models.Index(
                fields=["scheduled_on"], condition=Q(done_on__isnull=True), name="follow_up_open"
            )
        ]

    def __str__(self) -> str:
        return gettext("%(kind)s on %(date)s") % {
            "kind": self.get_kind_display(),
            "date": format_date(self.scheduled_on),
        }


class Finding(LoadsFast, models.Model):
    """What a supervision rule found (cases.supervision): the rule, its subject (a household,
    an assignment, a disbursement, a cadre or a commune), the commune it belongs to, the
    period (year), why in Vietnamese and English with the figures, and the API paths of the
    records that show it. One row per `key` (rule, subject, period): a scan run again updates
    `last_seen` instead of adding a row. Open until resolved (confirmed, corrected or
    dismissed, with a note) through `cases.supervision.services.finding_resolve`."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    rule = models.CharField(_("rule"), max_length=24, choices=FindingRule.choices)
    key = models.CharField(
        _("key"), max_length=200, unique=True, editable=False, help_text=_("rule:subject:period")
    )
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    assignment = models.ForeignKey(
        Assignment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assignment"),
    )
    disbursement = models.ForeignKey(
        "support.Disbursement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("disbursement"),
    )
    cadre = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The cadre the finding is about (overdue follow-ups)."),
        verbose_name=_("cadre"),
    )
    period = models.PositiveSmallIntegerField(_("period"), help_text=_("Year."))
    reason_en = models.TextField(_("reason en"))
    reason_vi = models.TextField(_("reason vi"))
    figures = models.JSONField(
        _("figures"), default=dict, blank=True, help_text=_("The figures of the reason.")
    )
    evidence = models.JSONField(
        _("evidence"),
        default=list,
        blank=True,
        help_text=_("API paths of the records that show it."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("supervision finding")
        verbose_name_plural = _("supervision findings")
        ordering = ["id"]
        indexes = [models.Index(fields=["commune", "id"]), models.Index(fields=["status", "rule"])]

    def __str__(self) -> str:
        return f"{self.get_rule_display()} ({self.period})"
