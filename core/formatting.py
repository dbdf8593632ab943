"""How amounts and dates read to people: `206.100.672 ₫`, `29/11/2026`.

The API keeps integers (VND) and ISO dates; these helpers are for screens (the admin, the
dashboard, exports' display columns). The same output whatever the active language, as
Vietnamese officers write them.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

EMPTY = "—"


def format_vnd(amount: int | None) -> str:
    """`206100672` → `206.100.672 ₫` (dots between thousands, a space before the sign);
    None → `—`."""
    if amount is None:
        return EMPTY
    amount = int(amount)
    digits = f"{abs(amount):,}".replace(",", ".")
    return f"{'-' if amount < 0 else ''}{digits} ₫"


def format_date(value: date | datetime | None) -> str:
    """A date as `dd/mm/yyyy`; a datetime in local time as `dd/mm/yyyy HH:MM`; None → `—`."""
    if value is None:
        return EMPTY
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y %H:%M")
    return value.strftime("%d/%m/%Y")
