"""Facts. None is a fact the survey did not record: unknown, never a deprivation."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


def month_index(year: int, month: int) -> int:
    """Months since year 0: consecutive months are consecutive numbers."""
    return year * 12 + month - 1


class MemberFacts(NamedTuple):
    """One member on the survey date. Facts are named tuples: immutable, and cheap to build
    by the million for a what-if. `birth_month`/`survey_month` (month_index) place the
    member on the retirement schedule; without them the member is taken as born in the
    survey's month `age` years before."""

    age: int  # whole years on the survey date
    sex: str  # "male" | "female"
    has_health_insurance: bool | None = None
    schooling: str | None = None  # CODES["schooling"]
    education_level: str | None = None  # CODES["education_level"]
    employment: str | None = None  # CODES["employment"]
    receives_social_allowance: bool | None = None  # monthly social allowance (elderly/disabled)
    nutrition: str | None = None  # CODES["nutrition"], children only
    birth_month: int | None = None
    survey_month: int | None = None


class HouseholdFacts(NamedTuple):
    is_urban: bool
    annual_income: int  # VND over the last 12 months, all sources
    members: tuple[MemberFacts, ...]
    wall_material: str | None = None  # CODES["material"]
    frame_material: str | None = None
    roof_material: str | None = None
    floor_area_m2: float | Decimal | None = None
    water_source: str | None = None  # CODES["water_source"]
    latrine: str | None = None  # CODES["latrine"]
    uses_internet: bool | None = None
    devices: frozenset[str] | None = None  # CODES["device"]; empty: none owned
    waste_treatment: str | None = None  # CODES["waste_treatment"]


def _months(m: MemberFacts) -> tuple[int, int]:
    """(birth month, survey month) indexes of the member (needed for working age)."""
    if m.birth_month is None or m.survey_month is None:
        raise ValueError("working age needs the member's birth_month and survey_month")
    return m.birth_month, m.survey_month


def years_months(months: int) -> tuple[int, int]:
    return divmod(months, 12)
