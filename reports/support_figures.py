"""Support reports: progress against commune and village targets, and the provincial uplift
actually paid against the central base."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Q, Sum
from django.utils.translation import gettext_lazy as _

from households.choices import MemberStatus, Relationship
from households.models import Member
from poverty.models import PovertyStandard
from support.models import Disbursement, Target
from support.reports import target_progress as progress_of

from .base import COMMUNE, COMMUNE_NAME, VILLAGE, VILLAGE_NAME, Column, Table, rate
from .params import Selection

TARGET_COLUMNS = [
    COMMUNE,
    COMMUNE_NAME,
    VILLAGE,
    VILLAGE_NAME,
    Column("year", _("Year")),
    Column("standard", _("Standard"), "text"),
    Column("households_to_lift", _("Households to lift (target)")),
    Column("households_lifted", _("Households lifted")),
    Column("gap", _("Households still to lift")),
    Column("lift_progress", _("Progress towards the target"), "rate"),
    Column("households", _("Households")),
    Column("poor", _("Poor households")),
    Column("poverty_rate", _("Poverty rate"), "rate"),
    Column("poverty_rate_target", _("Poverty rate target"), "rate"),
    Column("rate_gap", _("Poverty rate above the target"), "rate"),
]


def target_progress(sel: Selection) -> Table:
    """One row per target of the year in the area (commune targets, then their villages')."""
    v = sel.values
    targets = Target.objects.filter(sel.access.area_q("commune", "village"), year=v["year"])
    if v.get("standard"):
        targets = targets.filter(standard_code=v["standard"])
    if v.get("commune"):
        targets = targets.filter(commune_id=v["commune"])
    if v.get("village"):
        targets = targets.filter(village_id=v["village"])
    targets = list(
        targets.select_related("commune", "village").order_by(
            "commune_id", F("village__name").asc(nulls_first=True), "standard_code"
        )
    )
    progress = progress_of(targets)
    rows = []
    for t in targets:
        p = progress[t.pk]
        target_rate = float(t.poverty_rate_target) / 100
        current = rate(p["poor_households"], p["households"])
        rows.append(
            {
                "commune": t.commune_id,
                "commune_name": t.commune.name,
                "village": str(t.village_id) if t.village_id else None,
                "village_name": t.village.name if t.village_id else None,
                "year": t.year,
                "standard": t.standard_code,
                "households_to_lift": t.households_to_lift,
                "households_lifted": p["households_lifted"],
                "gap": max(t.households_to_lift - p["households_lifted"], 0),
                "lift_progress": p["lift_progress"],
                "households": p["households"],
                "poor": p["poor_households"],
                "poverty_rate": current,
                "poverty_rate_target": round(target_rate, 6),
                "rate_gap": None if current is None else round(max(current - target_rate, 0), 4),
            }
        )
    codes = sorted({t.standard_code for t in targets})
    standards = {
        s.code: s
        for s in PovertyStandard.objects.filter(code__in=codes).order_by("code", "revision")
    }
    sel.standards[:] = [standards[c] for c in codes if c in standards]
    return Table(TARGET_COLUMNS, rows, None)


# ---------------------------------------------------------------------------- uplift

UPLIFT_COLUMNS = [
    Column("paid", _("Paid"), "money"),
    Column("central_base", _("Central base of what was paid"), "money"),
    Column("uplift", _("Provincial uplift paid"), "money"),
    Column("uplift_factor", _("Paid ÷ central base"), "decimal"),
    Column("households", _("Households paid")),
    Column("paid_minority", _("Paid to ethnic-minority households"), "money"),
    Column("uplift_minority", _("Uplift paid to ethnic-minority households"), "money"),
    Column("minority_share", _("Ethnic-minority share of what was paid"), "rate"),
    Column("households_minority", _("Ethnic-minority households paid")),
]
UPLIFT_GROUPS = {
    "commune": (
        [COMMUNE, COMMUNE_NAME],
        ["assignment__household__commune_id", "assignment__household__commune__name"],
    ),
    "package_type": (
        [Column("package_type", _("Package type"), "text")],
        ["assignment__package__kind"],
    ),
    "none": ([], []),
}


def uplift(sel: Selection) -> Table:
    """Disbursements dated in the period, each split pro rata into the central base and the
    provincial uplift its assignment recorded (base × multiplier = amount)."""
    v = sel.values
    group_cols, fields = UPLIFT_GROUPS[v["group_by"]]
    minority_head = Member.objects.filter(
        household_id=OuterRef("assignment__household_id"),
        relationship=Relationship.HEAD,
        status=MemberStatus.PRESENT,
    ).exclude(ethnicity_id="01")
    paid = Disbursement.objects.filter(
        sel.households_q("assignment__household__"),
        date__gte=v["date_from"],
        date__lte=v["date_to"],
    ).annotate(
        minority=Exists(minority_head),
        base_part=ExpressionWrapper(
            F("amount") * F("assignment__base_amount") * 1.0 / F("assignment__amount"),
            output_field=FloatField(),
        ),
    )
    minority = Q(minority=True)
    aggregates = {
        "paid": Sum("amount"),
        "base": Sum("base_part"),
        "households": Count("assignment__household_id", distinct=True),
        "paid_m": Sum("amount", filter=minority),
        "base_m": Sum("base_part", filter=minority),
        "households_m": Count("assignment__household_id", distinct=True, filter=minority),
    }
    if fields:
        found = list(paid.values(*fields).annotate(**aggregates).order_by(*fields))
    else:
        found = [paid.aggregate(**aggregates)]
    rows = []
    for r in found:
        key = dict(zip([c.key for c in group_cols], [r[f] for f in fields], strict=True))
        rows.append({**key, **_uplift_figures(r)})
    total = rows[0] if not fields else _uplift_figures(paid.aggregate(**aggregates))
    return Table([*group_cols, *UPLIFT_COLUMNS], rows, total)


def _uplift_figures(r: dict[str, Any]) -> dict[str, Any]:
    paid, base = r["paid"] or 0, round(r["base"] or 0)
    paid_m, base_m = r["paid_m"] or 0, round(r["base_m"] or 0)
    return {
        "paid": paid,
        "central_base": base,
        "uplift": paid - base,
        "uplift_factor": round(paid / base, 3) if base else None,
        "households": r["households"],
        "paid_minority": paid_m,
        "uplift_minority": paid_m - base_m,
        "minority_share": rate(paid_m, paid),
        "households_minority": r["households_m"],
    }
