"""Review rounds: the annual periodic review and the monthly regular ones."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.access import Perm, require, require_province
from core.errors import Conflict, InvalidInput

from ..models import ReviewKind, ReviewRound

# The years a round may be opened for (as the support plans' years: support.api.serializers).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _check_calendar(year: int, month: int | None) -> None:
    """A year and month a round can have: its dates are computed from them."""
    errors = {}
    if not FIRST_YEAR <= year <= LAST_YEAR:
        errors["year"] = gettext("A year from %(first)s to %(last)s.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    if month is not None and not 1 <= month <= 12:
        errors["month"] = gettext("A month from 1 to 12.")
    if errors:
        raise InvalidInput(gettext("The review round is not valid."), fields=errors)


def review_round_create(*, actor, values: dict[str, Any]) -> ReviewRound:
    require_province(require(actor, Perm.ROUNDS_MANAGE), values["province"].code)
    kind, year = values["kind"], values["year"]
    _check_calendar(year, values.get("month"))
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

    def assert_new() -> None:
        if ReviewRound.objects.filter(
            province=values["province"], kind=kind, year=year, month=values.get("month")
        ).exists():
            taken = gettext("Another round of this kind has the same period in the province.")
            raise Conflict(
                gettext("That review round already exists."),
                code="round_exists",
                fields={name: taken for name in ("year", "month") if values.get(name)},
            )

    assert_new()
    round_ = ReviewRound(**values)
    try:
        with transaction.atomic():
            round_.save()
    except IntegrityError:  # opened at the same moment: answered as when after it
        assert_new()
        raise
    return round_
