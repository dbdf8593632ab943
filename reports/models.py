"""Maintained aggregates the reports read instead of scanning the register."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import LoadsFast
from geo.models import Commune, Village


class HouseholdCount(LoadsFast, models.Model):
    """Households per (commune, village, status, status date): the denominators of the
    poverty rates without a scan of the register. PostgreSQL only.

    Kept by statement-level triggers on `households_household` (reports/counts.py), so every
    write — services, admin, registry sync, bulk COPY, raw SQL, TRUNCATE — keeps it exact.
    Append-only: a statement adds one row per key it changed, with the net change `n`
    (negative for households that left the key); the count of a key is the sum of its rows.
    Nothing is ever updated in place, so concurrent writers never wait on each other here.
    `manage.py report_counts` compacts the rows (one per key) or rebuilds them from the
    register."""

    commune = models.ForeignKey(
        Commune,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        verbose_name=_("commune"),
    )
    village = models.ForeignKey(
        Village,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
        verbose_name=_("village"),
    )
    status = models.CharField(_("status"), max_length=12)
    status_date = models.DateField(_("status date"), null=True)
    n = models.IntegerField(_("households"))

    class Meta:
        verbose_name = _("household count")
        verbose_name_plural = _("household counts")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.commune_id} · {self.village_id} · {self.status} · {self.n:+d}"
