"""Records of work around the assessments: what-if runs (a draft standard tried on the
latest surveys) and uploads from field apps. Defined apart from poverty.models to keep each
module readable; poverty.models imports them, so they are the app's models as any other."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.formatting import format_date
from core.ids import new_id
from core.models import LoadsFast
from households.models import Household

from .choices import Classification, UploadKind, UploadStatus


class WhatIfRun(LoadsFast, models.Model):
    """Re-assessment of the latest surveys under another standard, official statuses
    untouched: who would change class."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    standard = models.ForeignKey(
        "poverty.PovertyStandard",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("standard"),
    )
    baseline = models.ForeignKey(
        "poverty.PovertyStandard",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("baseline"),
    )
    commune = models.ForeignKey(
        "geo.Commune",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("commune"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    access = models.CharField(
        _("access"),
        max_length=64,
        blank=True,
        default="",
        help_text=_(
            "SHA-256 of the requester's role and area the run was made under: its summary "
            "and changes are read only under the same rights (empty: a run from before they "
            "were recorded, read by national administrators only)."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    households = models.PositiveIntegerField(_("households"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)
    summary = models.JSONField(
        _("summary"), default=list, help_text=_("Counts by commune and transition.")
    )
    lacking = models.PositiveIntegerField(
        _("lacking"),
        default=0,
        help_text=_(
            "Households whose class under the standard depends on a fact their latest "
            "survey did not record (to_class undetermined among the changes)."
        ),
    )

    class Meta:
        verbose_name = _("what-if run")
        verbose_name_plural = _("what-if runs")
        ordering = ["-created_at", "id"]

    def __str__(self) -> str:
        return f"{self.standard} / {self.baseline} · {format_date(self.created_at)}"


class WhatIfChange(LoadsFast, models.Model):
    run = models.ForeignKey(
        WhatIfRun, on_delete=models.CASCADE, related_name="changes", verbose_name=_("run")
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )
    commune = models.ForeignKey(
        "geo.Commune", on_delete=models.PROTECT, related_name="+", verbose_name=_("commune")
    )
    from_class = models.CharField(_("from class"), max_length=12, choices=Classification.choices)
    to_class = models.CharField(_("to class"), max_length=12, choices=Classification.choices)

    class Meta:
        verbose_name = _("what-if change")
        verbose_name_plural = _("what-if changes")
        ordering = ["run", "id"]
        indexes = [models.Index(fields=["run", "commune", "from_class", "to_class"])]

    def __str__(self) -> str:
        return (
            f"{self.household.code}: {self.get_from_class_display()} → "
            f"{self.get_to_class_display()}"
        )


class FieldUpload(LoadsFast, models.Model):
    """One item sent by a field app, keyed by the UUID the device generated: posting it again
    returns the original result; the same UUID with another body is refused."""

    PERSONAL_FIELDS = frozenset({"body", "result"})

    id = models.UUIDField(_("ID"), primary_key=True, help_text=_("Client-generated UUID."))
    kind = models.CharField(_("kind"), max_length=16, choices=UploadKind.choices)
    # None: a household registration that was rejected (nothing was created)
    household = models.ForeignKey(
        Household,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("household"),
    )
    # None: a household registration (there was no version to base it on)
    based_on_version = models.PositiveIntegerField(_("based on version"), null=True, blank=True)
    body = models.JSONField(_("body"))
    body_hash = models.CharField(_("body hash"), max_length=64)
    captured_at = models.DateTimeField(_("captured at"), help_text=_("Device capture time."))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("user")
    )
    status = models.CharField(_("status"), max_length=20, choices=UploadStatus.choices)
    result = models.JSONField(_("result"), default=dict)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution_note = models.CharField(_("resolution note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("field upload")
        verbose_name_plural = _("field uploads")
        ordering = ["captured_at", "id"]
        indexes = [models.Index(fields=["status", "captured_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {format_date(self.captured_at)} ({self.status})"
