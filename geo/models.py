"""Reference data and places: provinces, commune-level units, villages, ethnic groups."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedRecords
from core.ids import new_id

from .choices import UnitKind, VillageKind


class Province(models.Model):
    code = models.CharField(max_length=2, primary_key=True, verbose_name=_("code"))
    name = models.CharField(max_length=100, verbose_name=_("name"))
    codename = models.CharField(max_length=100, verbose_name=_("codename"))

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Commune(models.Model):
    """A commune-level unit (xã, phường, đặc khu); codes are 5 digits and never reused."""

    code = models.CharField(max_length=5, primary_key=True, verbose_name=_("code"))
    province = models.ForeignKey(
        Province, on_delete=models.PROTECT, related_name="communes", verbose_name=_("province")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    codename = models.CharField(max_length=100, verbose_name=_("codename"))
    kind = models.CharField(max_length=10, choices=UnitKind.choices, verbose_name=_("kind"))
    is_urban = models.BooleanField(
        help_text=_(
            "Urban units use the urban income line. Phường: urban; xã: rural; "
            "đặc khu: set by the province (default rural)."
        ),
        verbose_name=_("is urban"),
    )
    household_seq = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("Last household number issued in this commune."),
        verbose_name=_("household seq"),
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["code"]
        indexes = [models.Index(fields=["province", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class EthnicGroup(models.Model):
    """The 54 ethnic groups (GSO Decision 1019/QĐ-TCTK, 2008); 01 Kinh, others minorities."""

    KINH = "01"
    code = models.CharField(max_length=2, primary_key=True, verbose_name=_("code"))
    name = models.CharField(max_length=50, verbose_name=_("name"))

    class Meta:
        verbose_name = _("ethnic group")
        verbose_name_plural = _("ethnic groups")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_minority(self) -> bool:
        return self.code != self.KINH


class Village(models.Model):
    """Village or residential group (thôn, bản, khu phố, tổ dân phố) of a commune."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False, verbose_name=_("id"))
    commune = models.ForeignKey(
        Commune, on_delete=models.PROTECT, related_name="villages", verbose_name=_("commune")
    )
    name = models.CharField(max_length=100, verbose_name=_("name"))
    kind = models.CharField(
        max_length=12, choices=VillageKind.choices, default=VillageKind.THON, verbose_name=_("kind")
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = AuditedRecords()

    class Meta:
        verbose_name = _("village")
        verbose_name_plural = _("villages")
        ordering = ["commune_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "name"], name="village_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name
