"""Review rounds: the annual periodic review and the monthly regular ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.translation import gettext

from core.access import Perm, require, require_province
from core.errors import Conflict, InvalidInput

from ..models import ReviewKind, ReviewRound


def review_round_create(*, actor, values: dict[str, Any]) -> ReviewRound:
    require_province(require(actor, Perm.ROUNDS_MANAGE), values["province"].code)
    kind, year = values["kind"], values["year"]
    errors = {}
    if kind == ReviewKind.PERIODIC:
        values.setdefault("opens", date(year, 9, 1))
        values.setdefault("closes", date(year, 12, 14))
        if values.get("month"):
            errors["month"] = gettext("A periodic round covers the year, not a month.")
        if values["opens"] < date(year, 9, 1) or values["closes"] > date(year, 12, 14):
            errors["opens"] = gettext("The periodic review runs within 1 September – 14 December.")
    else:
        month = values.get("month")
        if not month:
            raise InvalidInput(
                gettext("A regular round names its month."), fields={"month": gettext("Required.")}
            )
        values.setdefault("opens", date(year, month, 15))
        values.setdefault("closes", date(year + month // 12, month % 12 + 1, 14))
    if values["closes"] < values["opens"]:
        errors["closes"] = gettext("Closes before it opens.")
    if errors:
        raise InvalidInput(gettext("The review round is not valid."), fields=errors)
    values.setdefault(
        "name",
        f"{ReviewKind(kind).label} {year}"
        + (f"-{values['month']:02d}" if values.get("month") else ""),
    )
    if ReviewRound.objects.filter(
        province=values["province"], kind=kind, year=year, month=values.get("month")
    ).exists():
        raise Conflict(gettext("That review round already exists."), code="round_exists")
    return ReviewRound.objects.create(**values)
