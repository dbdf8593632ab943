"""Status-timeline rules (pure): which event an approved change of official status is."""

from __future__ import annotations

from datetime import date

POOR = "poor"
NOT_POOR = "not_poor"


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def status_event(
    *, previous: str | None, new: str, voluntary: bool, escaped_within_window: bool
) -> str:
    """The event of moving from `previous` (None: no official status yet) to `new`.

    Relapse: poor again after having escaped within the configured window of years.
    """
    if voluntary:
        return "voluntary_exit"
    if previous is None:
        return "newly_poor" if new == POOR else "first_recognised"
    if previous == new:
        return "confirmed"
    if new == POOR:
        return "relapsed" if escaped_within_window else "newly_poor"
    if previous == POOR:
        return "escaped"
    return "reclassified"
