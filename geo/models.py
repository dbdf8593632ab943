"""Reference data and places: provinces, commune-level units, villages, ethnic groups."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.ids import new_id
from core.models import LoadsFast

from .choices import UnitKind, VillageKind


class Province(LoadsFast, models.Model):
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    codename = models.CharField(_("codename"), max_length=100)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Commune(LoadsFast, models.Model):
    """A commune-level unit (xã, phường, đặc khu); codes are 5 digits and never reused."""

    code = models.CharField(_("code"), max_length=5, primary_key=True)
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("province")
    )
    name = models.CharField(_("name"), max_length=100)
    codename = models.CharField(_("codename"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=UnitKind.choices)
    is_urban = models.BooleanField(
        _("is urban"),
        help_text=_(
            "Urban units use the urban income line. Phường: urban; xã: rural; "
            "đặc khu: set by the province (default rural)."
        ),
    )
    is_urban_since = models.DateField(
        _("is urban since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "The day the unit's present kind (urban or rural) took effect: that of its latest "
            "recorded change (CommuneKindChange). Empty: no change recorded."
        ),
    )
    household_seq = models.PositiveIntegerField(
        _("last household number"),
        default=0,
        editable=False,
        help_text=_("Last household number issued in this commune."),
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["code"]
        indexes = [models.Index(fields=["province", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CommuneKindChange(LoadsFast, models.Model):
    """A unit made urban or rural from a day (an upgrade of a xã to a phường, a province's
    setting of its đặc khu), with who recorded it, when and on what basis. Appended in order
    of their days and never edited: a unit's kind on any day is read from them
    (geo.services.urban_on), so a survey dated before a change uses the kind of its day."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="kind_changes", verbose_name=_("commune")
    )
    was_urban = models.BooleanField(_("was urban"))
    is_urban = models.BooleanField(_("is urban"))
    valid_from = models.DateField(_("valid from"), help_text=_("The first day of the new kind."))
    basis = models.CharField(
        _("basis"), max_length=300, help_text=_("The decision or the reason for the change.")
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("change of a unit's kind")
        verbose_name_plural = _("changes of units' kinds")
        ordering = ["commune_id", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["commune", "valid_from"], name="commune_kind_change_one_a_day"
            ),
            models.CheckConstraint(
                condition=~models.Q(was_urban=models.F("is_urban")),
                name="commune_kind_change_changes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id} {self.valid_from}"


class EthnicGroup(LoadsFast, models.Model):
    """The 54 ethnic groups (GSO Decision 1019/QĐ-TCTK, 2008); 01 Kinh, others minorities."""

    KINH = "01"
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=50)

    class Meta:
        verbose_name = _("ethnic group")
        verbose_name_plural = _("ethnic groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_minority(self) -> bool:
        return self.code != self.KINH


class Village(LoadsFast, models.Model):
    """Village or residential group (thôn, bản, khu phố, tổ dân phố) of a commune."""

    id = models.UUIDField(_("ID"), primary_key=True, default=new_id, editable=False)
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="villages", verbose_name=_("commune")
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(
        _("kind"), max_length=12, choices=VillageKind.choices, default=VillageKind.THON
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = AuditedRecords()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["commune_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "name"], name="village_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
